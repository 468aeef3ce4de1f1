"""Terminal view of ``rewrite``: a row per ConvTranspose node (or PyTorch layer) rewritten, then the check."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.table import Table
from rich.text import Text

from ...model.spec import axes_text
from .check import number as _number

if TYPE_CHECKING:
    from rich.console import JustifyMethod

FORM_LABELS = {"subpixel": "sub-pixel", "zero-insertion": "zero insertion", "pads": "explicit pads"}
#: How each target names its layers and its runtime.
WORDS = {"onnx": {"layer": "ConvTranspose node", "missing": "ConvTranspose node", "column": "node",
                  "runtime": "onnxruntime"},
         "pytorch": {"layer": "transposed layer", "missing": "nn.ConvTranspose1d/2d/3d", "column": "module",
                     "runtime": "PyTorch"}}


def render_rewrite(report, console) -> None:
    target = getattr(report, "emit", "onnx")
    words = WORDS[target]
    if not report.layers:
        console.print(Text(f"{report.model} has no {words['missing']} to rewrite; nothing written."))
        return
    count = len(report.layers)
    console.print(Text(f"{count} {words['layer']}{'s' if count > 1 else ''} of {report.model} as "
                       f"{FORM_LABELS[report.form]}", style="bold"))
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    columns: tuple[tuple[str, JustifyMethod], ...] = ((words["column"], "left"), ("sizes", "left"),
                                                      ("became", "left"), ("MACs landing", "right"),
                                                      ("MACs of the form", "right"))
    for header, justify in columns:
        table.add_column(header, justify=justify, no_wrap=header != "became")
    for layer in report.layers:
        sized = layer.input_size is not None
        table.add_row(layer.node, f"{axes_text(layer.input_size)} → {axes_text(layer.output_size)}" if sized
                      else "any", " → ".join(layer.ops), f"{layer.macs:,}" if sized else "—",
                      f"{layer.form_macs:,}" if sized else "—")
    console.print(table)
    free = any(layer.sizes_free for layer in report.layers)
    console.print(Text("MACs: multiply-adds per sample; landing: those whose product reaches the output."
                       + (" The model leaves the sizes free: the rewrite serves every size, and sizes and MACs are "
                          "those at the check's input." if free else ""), style="dim"))
    if target == "pytorch":
        console.print(Text(f"weights: {report.weights}" if report.weights else
                           "weights: the factory's initial ones (torch seeded with --seed); give --weights STATE.pt "
                           "for trained ones", style="dim"))
    _render_check(report.check, words["runtime"], console)


def _render_check(check, runtime: str, console) -> None:
    if check is None:
        console.print(Text("not checked (--no-check): run it against the original before you deploy it",
                           style="yellow"))
    elif check.passed:
        shapes = ", ".join(f"{name} {'×'.join(map(str, shape))}" for name, shape in check.inputs.items())
        precision = " in float64" if runtime == "PyTorch" else ""
        console.print(Text(f"PASS  {runtime} gives the original's outputs on random {shapes}{precision}",
                           style="green"))
        console.print(Text(f"      worst rel error {_number(check.max_rel_error)} ≤ {check.tolerance:.1e}",
                           style="green"))
    else:
        console.print(Text(f"FAIL  {runtime}'s outputs differ: rel error {_number(check.max_rel_error)} > "
                           f"{check.tolerance:.1e}; nothing written", style="bold red"))
        if check.reference:
            console.print(Text("ONNX's reference implementation agrees with the rewrite: onnxruntime runs the "
                               "original node its own way (auto_pad with a negative total padding, most often); "
                               "--no-check writes the rewrite, which every runtime reads alike", style="yellow"))
