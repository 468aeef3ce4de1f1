"""Terminal views of ``net``: the layer table and where it stops, the domain, the fix."""

from __future__ import annotations

from rich import box
from rich.console import Console, JustifyMethod
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from ...model.spec import axes_text
from . import add_rows, code_line, count_text, left_out, shown_rows
from .symbolic import render_derivation


def _notes(flags) -> str:
    """A transposed layer's flags in a few words."""
    if flags is None:
        return ""
    notes = []
    if any(r and r[1] > r[0] for r in flags.arriving):  # the conv it inverts maps these sizes all to its input
        notes.append("ambiguous: " + "×".join(f"{r[0]}–{r[1]}" if r and r[1] > r[0] else (str(r[0]) if r else "?")
                                              for r in flags.arriving))
    if flags.uneven:
        notes.append("checkerboard")
    if flags.not_exact:
        notes.append("not one layer in " + ", ".join(flags.not_exact))
    return "; ".join(notes)


def _costed(report) -> bool:
    return report.cost_total is not None or any(row.cost is not None for row in report.layers)


def _cost_cells(cost) -> list[str]:
    """A layer's MACs, parameters and output elements; a pooling has no MACs, a layer without channels no count."""
    if cost is None:
        return ["?", "?", "?"]
    return [count_text(cost.macs) if cost.macs else "—",
            count_text(cost.params) if cost.params else "—", count_text(cost.output_elements)]


def _trace_table(report, notes: list[str]) -> tuple[Table, int]:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    costed = _costed(report)
    # with the cost the layer's parameters give way to its counts (the table stays in a terminal)
    columns: list[tuple[str, JustifyMethod]] = [("layer", "left"), ("op", "left")]
    columns += [] if costed else [("parameters", "left")]
    columns += [("in", "right"), ("out", "right")]
    columns += [("MACs", "right"), ("params", "right"), ("outputs", "right")] if costed else []
    for name, justify in columns + [("notes", "left")]:
        table.add_column(name, justify=justify, no_wrap=True)

    def cells(n: int) -> list:
        row = report.layers[n]
        sizes = [axes_text(row.input_size), axes_text(row.output_size)]
        if costed:
            return [row.name, row.op, *sizes, *_cost_cells(row.cost), Text(notes[n], style="yellow")]
        return [row.name, row.op, row.parameters, *sizes, Text(notes[n], style="yellow")]

    hidden = add_rows(table, len(report.layers), cells, [n for n, note in enumerate(notes) if note])
    return table, hidden


def render_trace(report, console: Console) -> None:
    console.print(Text(f"{report.network}: input {axes_text(report.input_size)}, {report.ndim}-D", style="bold"))
    notes = [_notes(row.flags) for row in report.layers]
    table, hidden = _trace_table(report, notes)
    footnotes: list[str] = []
    if Measurement.get(console, console.options.update(max_width=10_000), table).maximum > console.width:
        # too wide for the terminal: numbered notes under the table, for the rows it shows
        shown = set(shown_rows(len(notes), [n for n, note in enumerate(notes) if note]))
        for n, (row, note) in enumerate(zip(report.layers, notes)):
            if note and n in shown:
                footnotes.append(f"[{len(footnotes) + 1}] {row.name}: {note}")
                notes[n] = f"[{len(footnotes)}]"
        table, hidden = _trace_table(report, notes)
    console.print(table)
    left_out(console, hidden, len(report.layers), "layers")
    for line in footnotes:
        console.print(Text(line, style="yellow"))
    if footnotes:
        console.print()
    failure = report.failure
    if failure is None:
        console.print(Text(f"✓ runs: output {axes_text(report.output_size)}", style="green"))
        if report.cost_total is not None:
            _cost_total(report.cost_total, console)
        return
    where = f" on axis {failure.axis}" if report.ndim > 1 else ""
    console.print(Text(f"✗ {failure.node} ({failure.op}) stops{where}: {failure.reason}", style="bold red"))
    if failure.paths:
        for size, path in zip(failure.sizes, failure.paths):
            console.print(Text(f"  {size:>6}  from " + " → ".join(path), style="red"))
    else:
        console.print(Text(f"  its input is {failure.sizes[0]}", style="red"))
    # commands to copy: the terminal wraps them, rich must not break them with a newline
    console.print(Text(f"  the sizes that run: tconvcalc net {report.model} --domain", style="dim"), soft_wrap=True)
    console.print(Text(f"  what to change:     tconvcalc net {report.model} --in "
                       f"{','.join(map(str, report.input_size))} --fix", style="dim"), soft_wrap=True)


def _cost_total(total, console: Console) -> None:
    console.print()
    console.print(Text("Cost per sample  ", style="bold")
                  + Text(f"{count_text(total.macs)} multiply-adds", style="bold")
                  + Text(f" ({count_text(total.macs_dense)} counting padding and cropped positions too), "
                         f"{count_text(total.params)} parameters, {count_text(total.activations)} output elements"
                         + (f", {count_text(total.window_ops)} pooling additions or comparisons"
                            if total.window_ops else "")))
    console.print(Text("MACs: multiply-adds with real samples that reach the output; outputs: channels × "
                       "positions; exact counts in --json", style="dim"))
    if total.uncounted:
        console.print(Text(f"not counted, the model does not say their channels: {', '.join(total.uncounted)}",
                           style="yellow"))


def _runs(values: list[int]) -> str:
    """``0–8, 12``: sorted ints with consecutive runs joined."""
    runs, start = [], None
    for n, value in enumerate(values):
        start = value if start is None else start
        if n + 1 == len(values) or values[n + 1] != value + 1:
            runs.append(str(start) if start == value else f"{start}, {value}" if value == start + 1
                        else f"{start}–{value}")
            start = None
    return ", ".join(runs)


def _classes_text(axis) -> str:
    """The accepted sizes as people write them: ``n = 16t, t ≥ 1 (16, 32, 48, …)``, residues with the
    same start grouped (``n = 64t + r, r ∈ {0–8}, t ≥ 1``), every size from some size on, single sizes."""
    from ...network.domain import grouped

    parts = []
    for modulus, start, residues in grouped(axis.classes):
        if modulus == 1:
            parts.append(f"every n ≥ {start + residues[0]}")
        elif len(residues) == 1:
            r = residues[0]
            series = ", ".join(str(modulus * (start + j) + r) for j in range(3))
            parts.append(f"n = {modulus}t{f' + {r}' if r else ''}, t ≥ {start} ({series}, …)")
        else:
            parts.append(f"n = {modulus}t + r, r ∈ {{{_runs(residues)}}}, t ≥ {start}")
    if axis.points:
        parts.append("n ∈ {" + ", ".join(map(str, axis.points)) + "}")
    return "; or ".join(parts) if parts else "no size"


def render_domain(report, console: Console) -> None:
    console.print(Text(f"{report.network}: the input sizes it runs at, per axis", style="bold"))
    for axis in report.axes:
        name = f"axis {axis.axis}" if report.ndim > 1 else "size"
        console.print(Text(f"{name}: ", style="bold") + Text(_classes_text(axis), style="bold green"))
    empty = [axis.axis for axis in report.axes if not axis.classes and not axis.points]
    if empty:
        where = "" if report.ndim == 1 else f" (axis {', '.join(map(str, empty))} accepts none)"
        console.print(Text(f"✗ {report.network} runs at no input size at all{where}", style="bold red"))
    shown = report.axes
    if len(report.axes) > 1 and all(_same(axis, report.axes[0]) for axis in report.axes):
        shown = report.axes[:1]  # every axis alike: its derivation once
        console.print(Text("(every axis has the same size rules and sizes: the derivation is shown once)", style="dim"))
    for axis in shown:
        console.print()
        render_derivation(axis.derivation, console)


def _same(axis, other) -> bool:
    """Whether two axes' derivations say the same: classes, single sizes, and every step's words and formula
    (a layer's words list every axis's parameters, so they alone cannot tell two axes apart)."""
    def said(a):
        return a.classes, a.points, [(s["text"], s["plain"]) for s in a.derivation.steps]
    return said(axis) == said(other)


def _render_changes(report, console: Console, heading: str) -> None:
    console.print(Text(heading, style="bold"))
    for change in report.changes:
        ops = change.output_padding
        console.print(Text(f"  {change.node}: output_padding={ops[0] if len(set(ops)) == 1 else ops}"))
        if change.pytorch:
            code_line(console, change.pytorch, "    ")
        if change.forward:
            console.print(Text("    or call it with output_size:", style="dim"))
            code_line(console, change.forward, "    ")


def _verdict(effect) -> str:
    """What a change does to the sizes that ran, in a few words."""
    lost, gained = effect.lost, effect.gained
    if lost is None:
        return "cannot be set against the sizes that ran (their common period is too long): compare the two"
    empty = lambda sizes: not sizes.classes and not sizes.points  # noqa: E731
    if empty(lost):
        return ("keeps exactly the sizes that ran" if empty(gained) else
                f"keeps every size that ran, and gains {_classes_text(gained)}")
    if lost == effect.before:
        return "loses every size that ran before"
    return f"loses {_classes_text(lost)}"


def _render_effect(report, console: Console, effects, indent: str = "  ") -> None:
    """Per axis the accepted sizes before and after a change, and what it loses or gains (axes alike once)."""
    def said(e):
        return e.before, e.after, e.lost, e.gained
    alike = len(effects) > 1 and all(said(e) == said(effects[0]) for e in effects)
    for effect in effects[:1] if alike else effects:
        name = "it" if report.ndim == 1 else "every axis" if alike else f"axis {effect.axis}"
        before = "no size derived" if effect.before is None else _classes_text(effect.before)
        after = "no size derived" if effect.after is None else _classes_text(effect.after)
        console.print(Text(f"{indent}before, {name} runs at {before}"))
        console.print(Text(f"{indent}after,  {name} runs at {after}"))
        loses = effect.lost is not None and bool(effect.lost.classes or effect.lost.points)
        console.print(Text(f"{indent}{'✗' if loses else '✓'} the change {_verdict(effect)}",
                           style="yellow" if loses else "green"))


def _render_generic(report, console: Console, size: str) -> None:
    generic = report.generic
    console.print(Text(f"{'' if generic.runs else 'or, to run more sizes, '}take each transposed layer's size "
                       f"from the skip it joins (PyTorch picks output_padding per call):", style="bold"))
    for layer in generic.layers:
        if layer.code:
            code_line(console, f"{layer.code}  # skip: {layer.partner}, joined at {layer.merge}", "    ")
        else:
            console.print(Text(f"    {layer.node} feeds {layer.merge}, joined with {layer.partner}"))
    renamed = [layer.node for layer in generic.layers if layer.code and layer.module != layer.node]
    if renamed:
        console.print(Text(f"  ({', '.join(renamed)}: the exporter's names; the module paths are its name scopes)",
                           style="dim"))
    if generic.note:
        console.print(Text(f"  {generic.note}", style="dim"))
    console.print(Text(f"  ✓ with it {size} runs" if generic.runs else f"  ✗ with it {size} still does not run",
                       style="green" if generic.runs else "yellow"))
    _render_effect(report, console, generic.effect)


def render_fix(report, console: Console) -> None:
    size = axes_text(report.input_size)
    if report.target is not None:
        _render_target(report, console, size)
        return
    if all(axis.runs for axis in report.axes):
        console.print(Text(f"{report.network} runs at {size}: nothing to change", style="green"))
        return
    console.print(Text(f"{report.network} does not run at {size}", style="bold"))
    generic = report.generic
    if generic and generic.runs:  # the size-generic fix first, when it makes this size run
        _render_generic(report, console, size)
        console.print(Text("or pad or crop the input to the nearest size that runs (the network unchanged):",
                           style="bold"))
    _render_nearest(report, console, "  " if generic and generic.runs else "")
    if generic and not generic.runs:
        _render_generic(report, console, size)
    if report.changes and report.runs:  # a change that does not make this size run is no advice
        _render_changes(report, console, f"or change output_padding so that {size} runs (PyTorch):")
        console.print(Text(f"  ✓ with these changes {size} runs", style="green"))
        _render_effect(report, console, report.effect)


def _render_nearest(report, console: Console, indent: str = "") -> None:
    for axis in report.axes:
        name = f"axis {axis.axis}" if report.ndim > 1 else "size"
        if axis.runs:
            console.print(Text(f"{indent}{name}: {axis.size} runs"))
            continue
        if axis.below is None and axis.above is None:
            console.print(Text(f"{indent}{name}: no size runs at all"))
            continue
        options = []
        if axis.below is not None:
            options.append(f"{axis.below} below (crop {axis.crop[0]}, {axis.crop[1]})")
        else:
            options.append(f"no accepted size below {axis.size}")
        if axis.above is not None:
            options.append(f"{axis.above} above (pad {axis.pad[0]}, {axis.pad[1]})")
        else:
            options.append(f"no accepted size above {axis.size}")
        joiner = " or " if axis.below is not None and axis.above is not None else "; "
        console.print(Text(f"{indent}{name}: {axis.size} → " + joiner.join(options)))


def _render_target(report, console: Console, size: str) -> None:
    """``--fix --out``: the output_padding changes that give the wanted output at this input."""
    target = axes_text(report.target)
    if not all(axis.runs for axis in report.axes):
        console.print(Text(f"{report.network} does not run at {size}", style="bold"))
        _render_nearest(report, console)
    if not report.changes:
        if report.reached:
            console.print(Text(f"{report.network} gives {target} at {size}: nothing to change", style="green"))
        else:
            console.print(Text(f"✗ no output_padding change gives {target} at {size}", style="yellow"))
        return
    if report.reached or report.output_size is None:
        heading = f"for {target} from {size}, change output_padding (PyTorch):"
    else:
        heading = f"{target} is out of reach; the nearest output, {axes_text(report.output_size)}, needs (PyTorch):"
    _render_changes(report, console, heading)
    if report.reached:
        console.print(Text(f"✓ with these changes {size} gives {target}", style="green"))
    elif report.output_size is None:
        console.print(Text(f"✗ output_padding alone does not make {size} run; pad or crop the input",
                           style="yellow"))
    else:
        console.print(Text(f"✗ output_padding alone reaches {axes_text(report.output_size)}, not {target}; "
                           f"change a kernel, stride or padding", style="yellow"))
    if report.effect:
        _render_effect(report, console, report.effect)
