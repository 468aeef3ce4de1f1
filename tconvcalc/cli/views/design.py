"""Terminal views of the design commands: overlap heatmaps, chains, mirrors, comparisons."""

from __future__ import annotations

from math import prod

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ...model.spec import axes_text
from . import add_rows, code_block, count_text, left_out, overlap_text, per_axis_text, wrap_items

# Heatmaps show at most this many cells per axis; the rest is summarised.
MAX_CELLS = 48


def _shade(value: int, low: int, high: int) -> str:
    """A background from dark blue (fewest contributions) to yellow (most), like viridis."""
    stops = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]
    t = 0.0 if high == low else (value - low) / (high - low)
    x = t * (len(stops) - 1)
    n = min(int(x), len(stops) - 2)
    f = x - n
    r, g, b = (round(a + (c - a) * f) for a, c in zip(stops[n], stops[n + 1]))
    ink = "black" if t > 0.6 else "white"
    return f"{ink} on rgb({r},{g},{b})"


def _heat_row(values: list[int], low: int, high: int, width: int, length: int) -> Text:
    row = Text()
    for v in values[:MAX_CELLS]:
        row.append(f"{v:>{width}} ", style=_shade(v, low, high))
    if length > MAX_CELLS:
        row.append(f" … {length - MAX_CELLS} more", style="dim")
    return row


def render_overlap(report, console: Console) -> None:
    low, high = report.min, report.max
    ndim = len(report.output_size)
    title = "Overlap" + (f" of {report.repeat} stacked layers" if report.repeat > 1 else "")
    console.print(Text(f"{title}: contributions per output position, {axes_text(report.output_size)}",
                       style="bold"))
    width = len(str(high))
    # The grid is the outer product of the per-axis counts: build only the cells shown.
    *leading, columns = report.axis_counts
    rows = leading[-1] if leading else [1]
    factor = prod(axis[0] for axis in leading[:-1])  # the first plane of any leading axis
    if ndim == 3:
        console.print(Text("(first plane of the leading axis shown)", style="dim"))
    for row in rows[:MAX_CELLS]:
        console.print(_heat_row([factor * row * c for c in columns[:MAX_CELLS + 1]], low, high, width,
                                len(columns)))
    if len(rows) > MAX_CELLS:
        console.print(Text(f"… {len(rows) - MAX_CELLS} more rows", style="dim"))
    console.print()
    for n, (period, phases) in enumerate(zip(report.period, report.phase_tap_counts)):
        where = f"axis {n}: " if ndim > 1 else ""
        console.print(Text(f"{where}period {period}, kernel taps per output phase {list(phases)}"))
    if not report.interior_values:
        kind = "the same number of" if report.uniform_overlap else "different numbers of"
        console.print(Text(f"No interior: every position is within a layer's border zone, so borders decide every "
                           f"count; away from borders (a longer input) the output phases would get {kind} taps.",
                           style="green" if report.uniform_overlap else "yellow"))
    elif report.uniform_overlap:
        console.print(Text(f"Uniform interior: every position away from the borders gets "
                           f"{report.interior_values[0]} contributions — no checkerboard.", style="green"))
    else:
        console.print(Text(f"Checkerboard: the interior gets {report.interior_values} contributions "
                           f"depending on the phase. Fix it with a kernel divisible by the stride, "
                           f"resize-then-convolve, or sub-pixel convolution (pixel shuffle); "
                           f"see `tconvcalc compare`.", style="yellow"))


def _cost_columns(table: Table) -> None:
    table.add_column("FLOPs", justify="right")
    table.add_column("params", justify="right")


def _stack_table(layers, console: Console) -> None:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for name in ("#", "in", "k", "s", "p", "op", "d", "out", "overlap"):
        table.add_column(name, justify="left" if name == "overlap" else "right")
    if layers[0].flops is not None:
        _cost_columns(table)

    def cells(n: int) -> list:
        layer = layers[n]
        row = [str(n + 1), axes_text(layer.input_size),
               *(per_axis_text(getattr(layer, key))
                 for key in ("kernel_size", "stride", "padding", "output_padding", "dilation")),
               axes_text(layer.output_size), overlap_text(layer.uniform_overlap)]
        if layer.flops is not None:
            row += [count_text(layer.flops), count_text(layer.params)]
        return row

    hidden = add_rows(table, len(layers), cells)
    console.print(table)
    left_out(console, hidden, len(layers), "layers")


def render_chain(report, console: Console) -> None:
    console.print(Text(f"Stacks of {report.depth} transposed convolutions, "
                       f"{axes_text(report.input_size)} → {axes_text(report.output_size)}", style="bold"),
                  Text(f"({report.total:,} in the bounds)", style="dim"))
    if not report.layers:
        console.print(Text("No stack in these bounds reaches the target: widen --k, --s, --max-p or --d, "
                           "or change --layers.", style="yellow"))
        return
    console.print(Text("Best stack", style="bold"))
    _stack_table(report.layers, console)
    for n, alternative in enumerate(report.alternatives, 2):
        sizes = ([axes_text(alternative.layers[0].input_size)]
                 + [axes_text(layer.output_size) for layer in alternative.layers])
        params = [f"k{per_axis_text(layer.kernel_size)} s{per_axis_text(layer.stride)} p{per_axis_text(layer.padding)}"
                  + (f" op{per_axis_text(layer.output_padding)}" if any(layer.output_padding) else "")
                  for layer in alternative.layers]
        one_line = f"{n:>3}. {' → '.join(sizes)}   {'; '.join(params)}"
        if len(one_line) <= console.width:
            console.print(Text(one_line[:one_line.index("   ", 4)], style="bold")
                          + Text(one_line[one_line.index("   ", 4):], style="dim"))
            continue
        # too long for one line: the sizes, then the layers, each wrapped between items
        for line in wrap_items(sizes, " → ", console.width, f"{n:>3}. ", 5):
            console.print(Text(line, style="bold"))
        for line in wrap_items(params, "; ", console.width, "     ", 5):
            console.print(Text(line, style="dim"))
    if report.code is not None:
        console.print()
        code_block(console, report.emit, report.code)


def render_mirror(report, console: Console) -> None:
    console.print(Text(f"Decoder mirroring {report.source}", style="bold"))
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for name in ("level", "encoder conv", "input", "output", "output_padding", "decoder gives"):
        table.add_column(name, justify="left" if name in ("level", "encoder conv") else "right", no_wrap=True)

    def cells(n: int) -> list:
        level = report.levels[n]
        enc = level.encoder
        return [enc.name,
                f"k{per_axis_text(enc.kernel_size)} s{per_axis_text(enc.stride)} p{per_axis_text(enc.padding)}"
                + (f" d{per_axis_text(enc.dilation)}" if set(enc.dilation) != {1} else ""),
                axes_text(level.conv_input), axes_text(level.conv_output), per_axis_text(level.decoder.output_padding),
                Text.assemble(axes_text(level.decoder.output_size) + " ", ("✓", "green") if restored(level) else
                              ("✗", "red"))]

    def restored(level) -> bool:
        return level.decoder.output_size == level.conv_input

    hidden = add_rows(table, len(report.levels), cells,
                      [n for n, level in enumerate(report.levels) if not restored(level)])
    console.print(table)
    left_out(console, hidden, len(report.levels), "levels")
    console.print(Text("Decoder, deepest level first", style="bold"))
    _stack_table(report.layers, console)
    if report.code is not None:
        code_block(console, report.emit, report.code)


def render_compare(report, console: Console) -> None:
    sizes = {row.output_size for row in report.methods}  # every method upsamples by the same factor
    console.print(Text(f"Upsampling {axes_text(report.input_size)} → {' / '.join(map(axes_text, sizes))} "
                       f"(×{report.scale}), {report.channels[0]} → {report.channels[1]} channels", style="bold"))
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("method, layers")  # the layers go under the method's name
    for header in ("MACs", "zero-ins.", "sub-pixel", "params"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("overlap", no_wrap=True)
    for row in report.methods:
        values = row.interior_values
        shown = f"{values}" if len(values) <= 4 else f"[{values[0]}…{values[-1]}]"
        overlap = (Text("uniform", style="green") if row.uniform_overlap
                   else Text(f"checkerboard {shown}", style="yellow"))
        forms = [count_text(row.forms.zero_insertion), count_text(row.forms.subpixel)] if row.forms else ["—", "—"]
        table.add_row(Text.assemble(row.method, "\n", (row.code, "cyan")), count_text(row.macs), *forms,
                      count_text(row.params), overlap)
    console.print(table)
    console.print(Text("MACs: multiply-adds that reach the output; zero-ins., sub-pixel: the transposed layer "
                       "rewritten so (tconvcalc rewrite). Past a million three digits; --json has them exact, "
                       "with FLOPs as PyTorch counts them.", style="dim"))
