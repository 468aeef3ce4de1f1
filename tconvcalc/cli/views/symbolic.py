"""Terminal views of ``matrix`` and ``derive``."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

# Matrices up to this size are shown entry by entry; larger ones as a sparsity pattern.
MAX_TABLE_COLS, MAX_TABLE_ROWS = 16, 48
MAX_PATTERN = 120  # characters across; larger matrices are shown in blocks


def _short(value: str) -> str:
    """``w_{0,1}`` -> ``0,1``; numbers stay as they are."""
    return value[value.index("{") + 1:-1] if value.endswith("}") and "_{" in value else value


def _pattern(entries, rows: int, cols: int, width: int) -> tuple[list[str], int, int]:
    """A sparsity pattern, one character per block of entries: '■' any non-zero, '·' none; at most
    ``width`` characters across and half as many lines."""
    across = min(MAX_PATTERN, width)
    step_r = max(1, -(-rows // (across // 2)))
    step_c = max(1, -(-cols // across))
    filled = {(r // step_r, c // step_c) for r, c, _ in entries}
    return ["".join("■" if (br, bc) in filled else "·" for bc in range(-(-cols // step_c)))
            for br in range(-(-rows // step_r))], step_r, step_c


def render_matrix(report, console: Console) -> None:
    name = "Cᵀ" if report.transpose else "C"
    rows, cols = report.shape
    console.print(Text(f"{name}: {rows}×{cols}, {report.nnz} non-zeros", style="bold"),
                  Text(f"(convolution {list(report.conv_input_size)} → {list(report.conv_output_size)}"
                       f"{'; Cᵀ is its transpose' if report.transpose else ''})", style="dim"))
    # Terminals are narrow: print the tap index "0,1" for w_{0,1} and say so once; each column is its
    # widest entry (or header) plus the one-space rule between columns.
    small = cols <= MAX_TABLE_COLS and rows <= MAX_TABLE_ROWS
    if small:  # a few distinct entries repeat across C
        widest = max([len(_short(v)) for v in {v for _, _, v in report.entries}] + [len(str(cols - 1))])
        small = len(str(rows - 1)) + 1 + cols * (widest + 1) <= console.width
    if small:
        cells = [["0"] * cols for _ in range(rows)]
        for r, c, value in report.entries:
            cells[r][c] = value
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_header=True, padding=0, show_edge=False)
        table.add_column("", style="dim", justify="right")
        for c in range(cols):
            table.add_column(str(c), justify="center")
        for r, row in enumerate(cells):
            table.add_row(str(r), *(Text("·", style="dim") if v == "0" else Text(_short(v)) for v in row))
        console.print(table)
        console.print(Text(f"an entry a,b stands for the kernel symbol {report.symbol}_{{a,b}} (per axis, "
                           f"channel indices first); · is 0", style="dim"))
    else:
        pattern, step_r, step_c = _pattern(report.entries, rows, cols, console.width)
        console.print(Text(f"sparsity pattern, one character per {step_r}×{step_c} block "
                           f"(■ non-zero, · zero); --format latex shows the entries elided", style="dim"))
        for line in pattern:
            console.print(Text(line), soft_wrap=True)


def _steps_and_proofs(steps, proofs, console: Console, n: int = 0) -> int:
    """Numbered steps, each with its formula as Unicode art, then the proofs; returns the last step's number."""
    for step in steps:
        if step["text"]:
            n += 1
            console.print(Text(f"{n:>2}. ", style="dim") + Text(step["text"]))
        if step["pretty"]:
            for line in step["pretty"].splitlines():
                console.print(Text("      " + line, style="cyan"), soft_wrap=True)
    for proof in proofs:
        style = "green" if proof["holds"] else "bold red"
        console.print(Text(("✓ " if proof["holds"] else "✗ ") + proof["sentence"], style=style))
    return n


def render_derivation(report, console: Console) -> None:
    console.print(Text(report.title, style="bold"))
    _steps_and_proofs(report.steps, report.proofs, console)


def render_relationships(report, console: Console) -> None:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, title="Dumoulin & Visin's relationships, re-derived",
                  title_justify="left")
    for name in ("#", "case", "conditions", "derived", ""):
        table.add_column(name, justify="right" if name == "#" else "left")
    for rel in report.relationships:
        table.add_row(str(rel.number), rel.title, ", ".join(rel.conditions), rel.formula,
                      Text("✓ proved", style="green") if rel.holds else Text("✗", style="bold red"))
    console.print(table)
    console.print(Text("Each formula comes from the general conv / transposed-conv derivation with the conditions "
                       "substituted; ✓: its difference from the paper's form expands to 0 (7-13 also: the "
                       "transpose gives back the conv's input size).", style="dim"))


# derive inverse's parts, each under its heading: what is proved for every size, what is counted exactly for the
# layer, what is measured
_PARTS = {"theorem": "PROVED for every size and kernel (SymPy, identities of C's index rule):",
          "layer": "PROVED for this layer (counted exactly from C's columns; CCᵀ built from C's entries):",
          "measured": "MEASURED (numbers, not theorems):"}


def render_inverse(report, console: Console) -> None:
    rows, cols = report.shape
    console.print(Text(f"{report.title}: C is {rows}×{cols} (the convolution's outputs × its inputs), single channel",
                       style="bold"))
    n = 0
    for part, heading in _PARTS.items():
        console.print(Text(heading, style="bold"))
        n = _steps_and_proofs([s for s in report.steps if s["part"] == part],
                              [p for p in report.proofs if p["part"] == part], console, n)
