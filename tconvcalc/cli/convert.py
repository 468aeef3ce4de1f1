"""``tconvcalc convert``: a transposed convolution from one framework's parameters to another's.

Options are named as the *source* framework names them (``--padding``, ``--output-padding``,
``--output-shape``, ``--pads``, ``--auto-pad``, ``--transpose-kernel``, ``--groups``); this module
turns their text into the framework's own values for :func:`tconvcalc.reports.convert.convert_report`.
Imports only click, rich (when rendering) and the integer modules: no NumPy, no SymPy.
"""

from __future__ import annotations

import click

from ..conventions import FRAMEWORKS, framework_name, parse_jax_padding
from ..errors import ParameterError
from .options import AXIS, DEFAULT_NDIM, framework_layer_options, json_option, ndim_option
from .output import emit


def _ints(flag: str, text: str) -> tuple[int, ...]:
    items = [item.strip() for item in str(text).split(",")]
    try:
        return tuple(int(item) for item in items)
    except ValueError:
        raise ParameterError(f"{flag} {text!r} is not an integer or a comma list of integers, this framework's "
                             f"{flag[2:]} is a whole number per axis; write e.g. {flag} 1 or {flag} 1,0") from None


def source_options(framework: str, *, padding=None, output_padding=None, output_shape=None, output_size=None,
                   pads=None, auto_pad=None, transpose_kernel=None, groups=None, strides=None,
                   dilations=None) -> dict:
    """The CLI's strings and tuples as :func:`read_framework` options for ``framework``."""
    given = {"--padding": padding, "--output-padding": output_padding, "--output-shape": output_shape,
             "--output-size": output_size, "--pads": pads, "--auto-pad": auto_pad,
             "--transpose-kernel": transpose_kernel, "--groups": groups}
    allowed = {
        "pytorch": ("--padding", "--output-padding", "--output-size", "--groups"),
        "tensorflow": ("--padding", "--output-shape"),
        "keras": ("--padding", "--output-padding"),
        "onnx": ("--pads", "--output-padding", "--output-shape", "--auto-pad", "--groups"),
        "jax": ("--padding", "--transpose-kernel"),
    }[framework]
    for flag, value in given.items():
        if value is not None and flag not in allowed:
            raise ParameterError(f"{flag} is not a {framework} option, --from {framework} takes "
                                 f"{', '.join(allowed)} (plus --strides, --dilations); drop {flag} or use those")
    opts: dict = {"stride": strides, "dilation": dilations}
    if padding is not None:
        if framework == "pytorch":
            opts["padding"] = _ints("--padding", padding)
        elif framework == "jax":
            value = parse_jax_padding(padding)
            opts["padding"] = value if isinstance(value, str) else [list(p) for p in value]
        else:
            opts["padding"] = padding
    if output_padding is not None:
        if framework == "keras" and output_padding.strip().lower() == "none":
            opts["output_padding"] = None
        else:
            opts["output_padding"] = _ints("--output-padding", output_padding)
    if output_shape is not None:
        opts["output_shape"] = output_shape
    if output_size is not None:
        opts["output_size"] = output_size
    if pads is not None:
        opts["pads"] = list(pads)
    if auto_pad is not None:
        opts["auto_pad"] = auto_pad
    if transpose_kernel is not None:
        opts["transpose_kernel"] = transpose_kernel
    if groups is not None:
        opts["groups"] = groups
    return {key: value for key, value in opts.items() if value is not None or key == "output_padding"}


def report_from_text(source: str, target: str, input_size, kernel_size, ndim: int | None = None, **text):
    """``convert``'s report from the command line's values (``shape --framework`` reads them the same way)."""
    from ..reports.convert import convert_report

    source = framework_name(source)
    return convert_report(source, target, input_size, kernel_size, ndim, default_ndim=DEFAULT_NDIM,
                          **source_options(source, **text))


@click.command()
@click.option("--from", "source", required=True, metavar="FRAMEWORK",
              help=f"framework the parameters are written in: {', '.join(FRAMEWORKS)}")
@click.option("--to", "target", required=True, metavar="FRAMEWORK", help="framework to write the layer in")
@click.option("--in", "--input-size", "input_size", type=AXIS, required=True, help="input size, per axis")
@click.option("--k", "--kernel-size", "kernel_size", type=AXIS, required=True, help="kernel size, per axis")
@click.option("--strides", "--stride", "--s", "strides", type=AXIS, default=None, help="strides [default: 1]")
@click.option("--dilations", "--dilation", "--dilation-rate", "--rhs-dilation", "--d", "dilations", type=AXIS,
              default=None, help="dilations [default: 1]")
@click.option("--padding", default=None,
              help="pytorch: ints; tensorflow: SAME/VALID; keras: same/valid; jax: SAME/VALID or lo:hi,lo:hi")
@click.option("--output-padding", default=None, help="pytorch/onnx: ints; keras: ints or none")
@click.option("--output-size", type=AXIS, default=None, help="pytorch: forward(output_size=...)")
@framework_layer_options
@ndim_option
@json_option
def convert(source, target, input_size, kernel_size, strides, dilations, padding, output_padding, output_size,
            output_shape, pads, auto_pad, transpose_kernel, groups, ndim, as_json):
    """A layer in one framework's parameters, written exactly in another's.

    Example: tconvcalc convert --from tensorflow --to pytorch --in 4 --k 3 --strides 2 --padding SAME
    --output-shape 8
    """
    from .views.convert import render_convert

    report = report_from_text(source, target, input_size, kernel_size, ndim, padding=padding,
                              output_padding=output_padding, output_shape=output_shape, output_size=output_size,
                              pads=pads, auto_pad=auto_pad, transpose_kernel=transpose_kernel, groups=groups,
                              strides=strides, dilations=dilations)
    emit(report, as_json, render_convert)
