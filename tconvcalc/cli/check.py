"""``tconvcalc check``: execute every numeric route on random inputs and compare them."""

from __future__ import annotations

import time

import click

from ..errors import ParameterError
from .options import AXIS, json_option, layer_options, ndim_option, per_axis
from .output import emit, progress

# A check shorter than this never draws a progress bar (rich's bar would only flash).
_QUIET_SECONDS = 0.5


@click.command()
@layer_options
@click.option("--groups", type=click.IntRange(min=1), default=1, show_default=True, help="channel groups")
@click.option("--channels", type=AXIS, default=None,
              help="input,output channels (one value: both) [default: 2 per group]")
@click.option("--batch", type=click.IntRange(min=1), default=2, show_default=True, help="batch size N")
@click.option("--trials", type=click.IntRange(min=1), default=3, show_default=True, help="random inputs to try")
@click.option("--dtype", type=click.Choice(["float64", "float32"]), default="float64", show_default=True,
              help="floating type of the inputs (tolerance 1e-12 and 1e-5 relative)")
@click.option("--seed", type=int, default=0, show_default=True, help="random seed")
@click.option("--nonfinite", is_flag=True,
              help="put NaN, +inf, -inf and 0 at random places of x and the weight too; a route passes when "
                   "its NaN and ±inf sit where the fast route's do (it multiplies only real (input, tap) pairs, "
                   "as PyTorch does) and its finite values agree")
@click.option("--gradient", is_flag=True,
              help="check a convolution's gradients instead: --in is the convolution's input n (as in tconvcalc conv), "
                   "the output_padding is derived; the derived routes against C's triples and PyTorch's autograd")
@ndim_option
@json_option
@click.pass_context
def check(ctx, input_size, kernel_size, stride, padding, output_padding, dilation, groups, channels, batch, trials,
          dtype, seed, nonfinite, gradient, ndim, as_json):
    """Run every numeric route on random inputs and compare them with each other and PyTorch.

    The fast route is the reference: each other route and PyTorch are compared with it.
    """
    from ..reports.check import check_report
    from .views.check import render_check

    if gradient:
        _check_gradient(ctx, input_size, kernel_size, stride, padding, output_padding, dilation, groups, channels,
                        batch, trials, dtype, seed, nonfinite, ndim, as_json)
        return

    v = per_axis(ndim, input_size=input_size, kernel_size=kernel_size, stride=stride, padding=padding,
                 output_padding=output_padding, dilation=dilation)
    if channels is None:
        channels = (2 * groups, 2 * groups)
    elif len(channels) == 1:
        channels = channels * 2
    elif len(channels) != 2:
        raise ParameterError(f"--channels has {len(channels)} values, it is input,output channels; "
                             f"write e.g. --channels 4,2 or --channels 4")
    if min(channels) < 1:
        raise ParameterError(f"--channels {','.join(map(str, channels))} has a count below 1, a layer needs "
                             f"at least one channel each way; write e.g. --channels 2,2")
    with progress("checking routes") as bar:
        report = check_report(v["input_size"], v["kernel_size"], v["stride"], v["padding"], v["output_padding"],
                              v["dilation"], groups, tuple(channels), batch, trials, dtype, seed, nonfinite,
                              _after_a_moment(bar))
    emit(report, as_json, render_check)
    if not report.passed:
        ctx.exit(1)


def _check_gradient(ctx, input_size, kernel_size, stride, padding, output_padding, dilation, groups, channels, batch,
                    trials, dtype, seed, nonfinite, ndim, as_json):
    """``check --gradient``: conv's flags; what the gradient check cannot take is refused by name."""
    for flag, source in (("--op", "output_padding"), ("--dtype", "dtype"), ("--nonfinite", "nonfinite")):
        if ctx.get_parameter_source(source).name == "COMMANDLINE":
            why = {"--op": "the output_padding that restores the convolution's input is derived, not chosen",
                   "--dtype": "the gradients are compared in float64, as autograd's reference",
                   "--nonfinite": "the gradient check draws finite inputs"}[flag]
            raise ParameterError(f"{flag} does not apply with --gradient, {why}; drop {flag}")
    from ..reports.check import gradient_check_report
    from .views.check import render_gradient_check

    v = per_axis(ndim, input_size=input_size, kernel_size=kernel_size, stride=stride, padding=padding,
                 dilation=dilation)
    if channels is not None and len(channels) not in (1, 2):
        raise ParameterError(f"--channels has {len(channels)} values, it is the convolution's input,output channels; "
                             f"write e.g. --channels 4,2 or --channels 4")
    report = gradient_check_report(v["input_size"], v["kernel_size"], v["stride"], v["padding"], v["dilation"],
                                   groups, channels, batch, trials, seed)
    emit(report, as_json, render_gradient_check)
    if not report.passed:
        ctx.exit(1)


def _after_a_moment(bar):
    """``bar``, called only once the check has run for :data:`_QUIET_SECONDS` (None stays None)."""
    if bar is None:
        return None
    start = time.monotonic()

    def update(done: int, total: int) -> None:
        if time.monotonic() - start >= _QUIET_SECONDS:
            bar(done, total)

    return update
