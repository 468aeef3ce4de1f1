"""Terminal views of ``shape``, ``conv`` and ``plan``."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ...model.spec import axes_text
from . import code_block, code_line, overlap_text, per_axis_text


def _isotropic(entries) -> bool:
    """True when every axis has the same table, so it is shown once."""
    return all(entry[1:] == entries[0][1:] for entry in entries)  # field 0 is the axis number


def _axis_tables(entries, ndim: int):
    """One table per axis, or one for every axis when they agree: ``(entry, empty table)`` pairs."""
    shown = entries[:1] if _isotropic(entries) else entries
    for entry in shown:
        title = "every axis" if len(shown) == 1 and ndim > 1 else (f"axis {entry.axis}" if ndim > 1 else None)
        yield entry, Table(box=box.SIMPLE_HEAD, title=title, title_justify="left", pad_edge=False)


def _parameters(report, names: list[tuple[str, str]]) -> Text:
    line = Text()
    for key, label in names:
        line.append(f"{label}=", style="dim")
        line.append(per_axis_text(getattr(report, key)) + "  ", style="bold")
    return line


def _substitutions(lines: list[str], console: Console) -> None:
    """The formula with each axis's values; once when every axis has the same."""
    distinct = len(set(lines)) > 1
    for n, line in enumerate(lines if distinct else lines[:1]):
        console.print(Text("               = " + line + (f"   (axis {n})" if distinct else "")))


def render_shape(report, console: Console) -> None:
    ndim = report.ndim
    console.print(Text(f"Transposed convolution, {ndim}-D", style="bold"))
    console.print(Text("  ") + _parameters(report, [("input_size", "i"), ("kernel_size", "k"), ("stride", "s"),
                                       ("padding", "p"), ("output_padding", "op"), ("dilation", "d")]))
    console.print()
    console.print(Text("Output size  ", style="bold") + Text(report.formula))
    _substitutions(report.substituted, console)
    console.print(Text("             → ", style="bold") + Text(axes_text(report.output_size), style="bold green"))
    if report.target_size is not None:
        console.print(Text(f"  output_padding={per_axis_text(report.output_padding)} reaches the "
                           f"requested {axes_text(report.target_size)}", style="green"))
    console.print()

    axes = report.axes
    shown = axes[:1] if _isotropic(axes) else axes
    conv = f"Conv{ndim}d"
    console.print(Text("Why output_padding exists", style="bold"))
    if set(report.stride) == {1}:
        console.print(Text(
            f"With stride 1 a {conv} with the same k, p, d maps exactly one size to {axes_text(report.input_size)}, "
            f"so the transpose gives it back without help"
            + (": " if any(entry.alternatives_total > 1 for entry in axes) else ".")
            + ("PyTorch still accepts more output_padding (dilation > stride), and only 0 inverts:"
               if any(entry.alternatives_total > 1 for entry in axes) else "")))
    else:
        console.print(Text(
            f"A {conv} with the same k, s, p, d maps several sizes to the same {axes_text(report.input_size)};"
            f" the transpose cannot know which one you came from. output_padding picks it:"))
    for entry, table in _axis_tables(axes, ndim):
        table.add_column("output_padding", justify="right")
        table.add_column("output size", justify="right")
        table.add_column(f"{conv} of it", justify="right")
        table.add_column("")
        table.add_column("")
        want = report.input_size[entry.axis]
        previous = None
        for alt in entry.alternatives:
            if previous is not None and alt.output_padding > previous + 1:  # rows left out: say how many
                table.add_row("…", "", "", Text(f"{alt.output_padding - previous - 1} more", style="dim"), "")
            verdict = (Text(f"✓ = input {want}", style="green") if alt.inverts
                       else Text(f"✗ ≠ input {want}", style="yellow"))
            table.add_row(str(alt.output_padding), str(alt.output_size), str(alt.conv_output_size),
                          verdict, Text("◀ this layer", style="bold") if alt.chosen else "")
            previous = alt.output_padding
        console.print(table)
    for entry in shown:
        counts, (fewest, most) = entry.phase_tap_counts, entry.tap_count_range
        stride = report.stride[entry.axis]
        where = "" if len(shown) == 1 else f"axis {entry.axis}: "
        each = ", ".join(map(str, counts)) if len(counts) == stride else f"{fewest} to {most} (of {stride} phases)"
        if entry.uniform_overlap:
            console.print(Text(f"Overlap  {where}every output phase gets {fewest} kernel tap(s): "
                               f"uniform, no checkerboard pattern", style="green"))
        else:
            console.print(Text(f"Overlap  {where}output phases get {each} kernel taps: "
                               f"uneven, expect checkerboard artifacts (make k divisible by s)",
                               style="yellow"))
    console.print()
    if report.cost is not None:
        _cost(report.cost, console)
    code_block(console, "PyTorch", report.pytorch)


def _cost(cost, console: Console) -> None:
    c_in, c_out = cost.channels
    groups = f", {cost.groups} groups" if cost.groups > 1 else ""
    console.print(Text("Cost per sample  ", style="bold") + Text(f"{c_in} → {c_out} channels{groups}"))
    table = Table(box=None, show_header=False, padding=(0, 1, 0, 2))
    table.add_column()
    table.add_column(justify="right")
    for label, value in (("multiply-adds landing in the output", cost.macs),
                         ("every input–tap pair, cropped ones too", cost.macs_dense),
                         ("as zero insertion (a stride-1 conv)", cost.zero_insertion),
                         ("as sub-pixel (a conv, depth to space)", cost.subpixel),
                         ("as the dense matrix product Cᵀx", cost.matrix),
                         ("parameters (weight and bias)", cost.params),
                         ("output elements", cost.output_elements)):
        table.add_row(label, f"{value:,}")
    console.print(table)
    console.print()


def render_conv(report, console: Console) -> None:
    ndim = report.ndim
    console.print(Text(f"Convolution, {ndim}-D", style="bold"))
    console.print(Text("  ") + _parameters(report, [("input_size", "i"), ("kernel_size", "k"), ("stride", "s"),
                                       ("padding", "p"), ("dilation", "d")]))
    console.print()
    console.print(Text("Output size  ", style="bold") + Text(report.formula))
    _substitutions(report.substituted, console)
    console.print(Text("             → ", style="bold") + Text(axes_text(report.output_size), style="bold green"))
    console.print()
    console.print(Text("Many-to-one", style="bold"))
    console.print(Text(f"Every input size below gives {axes_text(report.output_size)}; the transposed "
                       f"convolution restores each with its output_padding:"))
    for entry, table in _axis_tables(report.axes, ndim):
        table.add_column("input size", justify="right")
        table.add_column("output_padding to restore it", justify="right")
        table.add_column("")
        previous = None
        for row in entry.inputs:
            if previous is not None and row.input_size > previous + 1:  # rows left out: say how many
                table.add_row("…", Text(f"{row.input_size - previous - 1} more", style="dim"), "")
            table.add_row(str(row.input_size), str(row.output_padding),
                          Text(" ◀ your input", style="bold") if row.given else "")
            previous = row.input_size
        console.print(table)
    code_block(console, "PyTorch", report.pytorch_conv)
    code_block(console, "and the transposed layer that restores your input size", report.pytorch_inverse)


def render_plan(report, console: Console) -> None:
    console.print(Text(f"Layers mapping {axes_text(report.input_size)} → {axes_text(report.output_size)}",
                       style="bold"),
                  Text(f"({report.total} in the bounds; best {len(report.candidates)} shown)", style="dim"))
    if not report.candidates:
        console.print(Text("No layer in these bounds reaches the target: widen --k, --s, --max-p or --d.",
                           style="yellow"))
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for name in ("#", "k", "s", "p", "op", "d", "overlap"):
        table.add_column(name, justify="left" if name == "overlap" else "right")
    for n, row in enumerate(report.candidates, 1):
        table.add_row(str(n), *(per_axis_text(getattr(row, key)) for key in
                                ("kernel_size", "stride", "padding", "output_padding", "dilation")),
                      overlap_text(row.uniform_overlap))
    console.print(table)
    console.print(Text("PyTorch", style="bold"))
    for n, row in enumerate(report.candidates, 1):
        code_line(console, row.pytorch, f"{n:>3}  ")
    console.print()
    console.print(Text("Ranked: uniform overlap first, then output_padding 0, then the smallest (dilated) "
                       "kernel, the least padding, the smallest stride.", style="dim"))
