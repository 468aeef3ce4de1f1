"""Terminal view of ``checkerboard``: one row per layer, worst first, what to do, and the fix with its proof.

Values below the tolerance print as ``< tolerance``: their digits are float rounding, and differ between CPUs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.table import Table
from rich.text import Text

from ...reports.checkerboard import worst_first
from . import add_rows, left_out

if TYPE_CHECKING:
    from rich.console import JustifyMethod

FORMATS = {"onnx": "ONNX", "keras": "Keras", "pytorch": "PyTorch"}
#: A constant input's output counts as flat below this: float32 rounding, as onnxruntime runs it.
FLAT = 1e-5


def _relative(value: float, floor: float) -> str:
    return f"< {floor:g}" if value < floor else f"{value:.3g}"


def _taps(check) -> str:
    counts = check.phase_tap_counts
    if counts is None:
        return "…"
    flat = list(_flatten(counts))
    low, high = min(flat), max(flat)
    return str(low) if low == high else f"{low}–{high}"


def _flatten(values):
    if isinstance(values, list):
        for value in values:
            yield from _flatten(value)
    else:
        yield values


def _advice(rows, flagged: list[int]) -> list[str]:
    """What to do, once per kind of remedy, naming the layers it is for."""
    names: dict[str, list[str]] = {"fix": [], "zoh": [], "icnr": [], "none": []}
    for n in flagged:
        check = rows[n]
        if check.unreached:
            names["none"].append(check.name)
            continue
        names["fix"].append(check.name)
        names["icnr" if check.kind == "subpixel" else "zoh"].append(check.name)
    lines = {"fix": "--fix -o OUT evens the phase sums with the smallest change of the weights",
             "zoh": "to train free of it, start from tc.init.zero_order_hold",
             "icnr": "to train free of it, start from tc.init.icnr",
             "none": "no weights fix it (phases no tap reaches stay 0 or the bias): use a kernel size divisible by "
                     "the stride, or resize then convolve"}
    every = len(flagged)
    return [lines[key] + ("" if len(found) == every else f" ({_names(found)})") for key, found in names.items()
            if found]


def _names(names: list[str]) -> str:
    return ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")


def render_checkerboard(report, console) -> None:
    count = len(report.layers)
    where = "" if report.format != "pytorch" else (
        " with the factory's initial weights" if report.weights == "initial" else f" with {report.weights}")
    console.print(Text(f"Checkerboard in {report.model}{where}: {count} layer{'s' if count != 1 else ''} "
                       f"({FORMATS[report.format]}), tolerance {report.tolerance:g}", style="bold"))
    if not count:
        console.print(Text("no transposed or sub-pixel convolution: nothing to check"))
        return
    rows = worst_first(report)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("layer", "left"), ("op", "left"), ("stride", "right"), ("taps/phase", "right"), ("spread", "right"),
        ("aliasing", "right"), ("verdict", "left"))
    for header, justify in columns:
        table.add_column(header, justify=justify, no_wrap=True)

    def cells(n: int) -> list:
        check = rows[n]
        verdict = (Text("checkerboard", style="yellow") if check.checkerboard else Text("free", style="green"))
        return [check.name, check.source or check.kind, "×".join(map(str, check.strides)), _taps(check),
                _relative(check.spread, report.tolerance), _relative(check.aliasing, report.tolerance), verdict]

    flagged = [n for n, check in enumerate(rows) if check.checkerboard]
    hidden = add_rows(table, len(rows), cells, flagged)
    console.print(table)
    left_out(console, hidden, len(rows), "layers")
    console.print(Text("spread: the widest range of any channel pair's phase sums, over their RMS; aliasing: the "
                       "kernel's response at the aliasing frequencies, over the DC one's", style="dim"))
    if report.fix is not None:
        _render_fix(report, console)
        return
    if not flagged:
        console.print(Text("✓ every layer is free of checkerboard on constant inputs", style="green"))
        return
    console.print()
    console.print(Text(f"✗ {len(flagged)} layer{'s print' if len(flagged) > 1 else ' prints'} a checkerboard on a "
                       f"constant input. What to do:", style="bold yellow"))
    for line in _advice(rows, flagged):
        console.print(Text(f"• {line}"))


def _render_fix(report, console) -> None:
    fix = report.fix
    console.print()
    if fix.unchanged:
        console.print(Text(f"nothing to fix: {fix.output} is the model unchanged", style="green"))
        return
    console.print(Text(f"Fixed {len(fix.layers)} layer{'s' if len(fix.layers) > 1 else ''}: the smallest L2 change "
                       f"that evens the phase sums, run in {fix.runtime}", style="bold"))
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for header in ("layer", "weights changed", "spread after", "constant input", "output changed"):
        table.add_column(header, justify="left" if header == "layer" else "right", no_wrap=True)
    for row in fix.layers:
        change = f"{row.weight_change:.1%}" + (f" (bias {row.bias_change:.1%})" if row.bias_change else "")
        flat = "flat" if row.flatness_after < FLAT else f"{row.flatness_after:.2g} off"
        table.add_row(row.name, change, _relative(row.spread_after, report.tolerance), flat,
                      f"{row.output_change:.1%}")
    console.print(table)
    console.print(Text("weights changed: ‖Δw‖/‖w‖; constant input: the fixed layer's output for one constant per "
                       "channel, away from the borders; output changed: ‖Δy‖/‖y‖ on a random input",
                       style="dim"))
