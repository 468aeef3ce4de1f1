"""``tconvcalc check``: execute every route on random inputs and compare them.

Loaded lazily (NumPy, and PyTorch when installed, are imported only here).
"""

from __future__ import annotations

import click

from .cli import emit, ndim_option, per_axis
from .options import AXIS, json_option, layer_options
from .spec import Layer, ParameterError

ROUTE_LABELS = {
    "matrix": "matrix y = Cᵀx (sparse)",
    "zero_insertion": "zero insertion",
    "phases": "phases (sub-pixel)",
}


def _torch_peer(ndim: int, stride, padding, output_padding, groups, dilation):
    """PyTorch's conv_transpose{n}d on the same arrays, or the reason it cannot run."""
    try:
        import torch
    except ImportError:
        return None, {"available": False, "reason": "PyTorch is not installed"}

    def run(x, w, bias):
        conv = getattr(torch.nn.functional, f"conv_transpose{ndim}d")
        with torch.no_grad():
            return conv(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(bias), stride, padding,
                        output_padding, groups, dilation).numpy()

    return run, {"available": True, "version": torch.__version__.split("+")[0]}


def check_report(input_size, kernel_size, stride, padding, output_padding, dilation, groups, channels, batch,
                 trials, dtype, seed) -> dict:
    from . import numeric
    from .arithmetic import conv_transpose_output_size

    layer = Layer.from_pytorch(input_size, kernel_size, stride, padding, output_padding, dilation)
    if layer.ndim > 3:
        raise ParameterError(f"the layer has {layer.ndim} axes, check runs 1-D, 2-D and 3-D layers like "
                             f"PyTorch's conv_transpose1d/2d/3d; give at most 3 values per option")
    run, torch_info = _torch_peer(layer.ndim, stride, padding, output_padding, groups, dilation)
    peers = {"pytorch": run} if run else {}
    result = numeric.check_routes(layer, channels, groups, batch, trials, dtype, seed, peers)
    formula = list(conv_transpose_output_size(input_size, kernel_size, stride, padding, output_padding, dilation))
    routes = [r for r in result["routes"] if r["route"] != "pytorch"]
    if run:
        torch_info.update(next(r for r in result["routes"] if r["route"] == "pytorch"))
        del torch_info["route"]
    shape_ok = result["output_shape"][2:] == formula
    report = {
        "command": "check", "ndim": layer.ndim, "input_size": list(input_size), "kernel_size": list(kernel_size),
        "stride": list(stride), "padding": list(padding), "output_padding": list(output_padding),
        "dilation": list(dilation), **{k: v for k, v in result.items() if k not in ("routes", "passed")},
        "reference": "fast", "routes": routes, "pytorch": torch_info,
        "shape": {"routes": result["output_shape"], "formula": formula, "passed": shape_ok},
    }
    report["passed"] = result["passed"] and shape_ok
    return report


def _number(value: float) -> str:
    return f"{value:.1e}" if value else "0"


def render_check(report: dict, console) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    def verdict(ok: bool) -> Text:
        return Text("PASS", style="bold green") if ok else Text("FAIL", style="bold red")

    sizes = "×".join(map(str, report["input_size"]))
    console.print(Text(f"Transposed convolution, {report['ndim']}-D: ", style="bold") + Text(
        f"i={sizes} k={','.join(map(str, report['kernel_size']))} s={','.join(map(str, report['stride']))} "
        f"p={','.join(map(str, report['padding']))} op={','.join(map(str, report['output_padding']))} "
        f"d={','.join(map(str, report['dilation']))}"))
    console.print(Text(f"channels {report['channels'][0]}→{report['channels'][1]}, groups {report['groups']}; ",
                       style="dim") + Text(
        f"{report['trials']} random trial(s), batch {report['batch']}, {report['dtype']}, seed {report['seed']}",
        style="dim"))
    console.print(Text("errors: max |route − fast|, and that over max |fast|", style="dim"))
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for name, justify in (("check", "left"), ("max abs error", "right"), ("max rel error", "right"),
                          ("tolerance", "right"), ("", "left")):
        table.add_column(name, justify=justify)
    tol = _number(report["tolerance"])
    for row in report["routes"]:
        table.add_row(ROUTE_LABELS.get(row["route"], row["route"]), _number(row["max_abs_error"]),
                      _number(row["max_rel_error"]), tol, verdict(row["passed"]))
    torch = report["pytorch"]
    if torch["available"]:
        table.add_row(f"PyTorch {torch['version']}", _number(torch["max_abs_error"]),
                      _number(torch["max_rel_error"]), tol, verdict(torch["passed"]))
    else:
        table.add_row("PyTorch", "—", "—", "", Text(f"skipped: {torch['reason']}", style="yellow"))
    adj = report["adjoint"]
    table.add_row("adjoint ⟨Cu,x⟩=⟨u,Cᵀx⟩", _number(abs(adj["lhs"] - adj["rhs"])),
                  _number(adj["max_rel_error"]), tol, verdict(adj["passed"]))
    shape = report["shape"]
    table.add_row("output shape", "×".join(map(str, shape["routes"])),
                  "formula " + "×".join(map(str, shape["formula"])), "exact", verdict(shape["passed"]))
    console.print(table)
    failed = [r["route"] for r in report["routes"] if not r["passed"]]
    if torch["available"] and not torch["passed"]:
        failed.append("pytorch")
    if not adj["passed"]:
        failed.append("adjoint")
    if not shape["passed"]:
        failed.append("output shape")
    worst = max([r["max_rel_error"] for r in report["routes"]] + [adj["max_rel_error"]]
                + ([torch["max_rel_error"]] if torch["available"] else []))
    if report["passed"]:
        console.print(Text("PASS", style="bold green") + Text(
            f"  every route agrees with the fast one, worst relative error {_number(worst)} ≤ {tol}"))
    else:
        console.print(Text("FAIL", style="bold red") + Text(
            f"  {', '.join(failed)} disagree: worst relative error {_number(worst)} > {tol}"))


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
@ndim_option
@json_option
@click.pass_context
def check(ctx, input_size, kernel_size, stride, padding, output_padding, dilation, groups, channels, batch, trials,
          dtype, seed, ndim, as_json):
    """Run every numeric route on random inputs and compare them with each other and PyTorch."""
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
    report = check_report(v["input_size"], v["kernel_size"], v["stride"], v["padding"], v["output_padding"],
                          v["dilation"], groups, tuple(channels), batch, trials, dtype, seed)
    emit(report, as_json, render_check)
    if not report["passed"]:
        ctx.exit(1)
