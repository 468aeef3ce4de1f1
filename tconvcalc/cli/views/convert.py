"""Terminal view of ``convert`` (and ``shape --framework``)."""

from __future__ import annotations

import textwrap

from rich.text import Text

from ...conventions.names import TITLES
from ...model.spec import axes_text
from . import code_line


def _value(value) -> str:
    if isinstance(value, (list, tuple)):
        if value and isinstance(value[0], (list, tuple)):
            return ",".join(f"{a}:{b}" for a, b in value)
        return str(value[0]) if len(set(map(str, value))) == 1 else ",".join(map(str, value))
    return str(value)


def render_convert(report, console) -> None:
    src, dst = report.from_, report.to
    console.print(Text(f"{TITLES[src]} → {TITLES[dst]}, {report.ndim}-D transposed convolution", style="bold"))
    line = Text("  ")
    line.append(f"i={_value(report.input_size)}  k={_value(report.kernel_size)}  ", style="bold")
    for key, value in report.source.items():
        if key != "framework" and value is not None and not (key in ("group", "groups") and value == 1):
            line.append(f"{key}=", style="dim")
            line.append(_value(value) + "  ", style="bold")
    console.print(line)
    crop = "  ".join(f"({b}, {e})" for b, e in report.crop)
    console.print(Text("Canonical crop (b, e) ", style="bold") + Text(crop) +
                  Text(f"   full scatter {'×'.join(map(str, report.full_size))} → output "
                       f"{'×'.join(map(str, report.output_size))}", style="dim"))
    console.print(Text("Output size  ", style="bold") + Text(axes_text(report.output_size),
                                                            style="bold green"))
    console.print()
    console.print(Text(TITLES[dst], style="bold"))
    for code in report.code:
        code_line(console, code)
    if report.exact:
        console.print(Text("Exact: the layer alone gives the same values.", style="green"))
    else:
        console.print(Text("Not exact in one layer: apply the step(s) after it, as written above.", style="yellow"))
        for note in report.notes:  # wrapped under its bullet
            for wrapped in textwrap.wrap(note, console.width - 4, initial_indent="• ", subsequent_indent="  "):
                console.print(Text("  " + wrapped, style="yellow"))
    if report.weight:
        console.print()
        console.print(Text("Weights", style="bold"))
        code_line(console, report.weight)
    if report.exact:
        for note in report.notes:
            console.print(Text("  • " + note, style="dim"), soft_wrap=True)
