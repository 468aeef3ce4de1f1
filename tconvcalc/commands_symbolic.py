"""``tconvcalc latex``, ``matrix`` and ``derive``: the symbolic commands.

Loaded only when one of them runs (``cli.LAZY_COMMANDS``), so SymPy never
slows the shape path.  Every command takes ``--json``; bad input raises
``ParameterError`` and ends as one ``Error:`` line.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import sympy as sp
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from . import latex as lx
from . import symbolic as sy
from .cli import emit, ndim_option, per_axis
from .options import json_option, layer_options
from .spec import Layer, ParameterError


def _layer(ndim, input_size, kernel_size, stride, padding, output_padding, dilation) -> Layer:
    v = per_axis(ndim, input_size=input_size, kernel_size=kernel_size, stride=stride, padding=padding,
                 output_padding=output_padding, dilation=dilation)
    return Layer.from_pytorch(v["input_size"], v["kernel_size"], v["stride"], v["padding"],
                              v["output_padding"], v["dilation"])


def _sections(what: str | None, figure: bool) -> list[str]:
    chosen = list(lx.DEFAULT_SECTIONS) if what is None else [w.strip() for w in what.split(",") if w.strip()]
    if figure and "figure" not in chosen:
        chosen.append("figure")
    return chosen


def _write(path: Path, data: str | bytes) -> None:
    try:
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    except OSError as error:
        raise ParameterError(f"cannot write {path} ({error.strerror}), the output file must be writable; "
                             f"choose another path with -o") from None


symbol_option = click.option("--symbol", default="w", show_default=True,
                             help="kernel symbol name (letters only; it is printed into LaTeX)")


@click.command()
@layer_options
@ndim_option
@click.option("--what", default=None, metavar="SECTIONS",
              help=f"comma list of sections: {','.join(lx.SECTIONS)} [default: all but figure]")
@click.option("--figure", is_flag=True, help="add the TikZ figure (1-D and 2-D)")
@click.option("--full/--elide", default=False, help="print large matrices whole instead of elided")
@click.option("--standalone", is_flag=True, help="a complete document (amsmath, amssymb, booktabs, tikz)")
@click.option("--markdown", is_flag=True, help="Markdown with $$…$$ math (Jupyter, Obsidian, GitHub)")
@click.option("--title", default=None, help="a heading for the fragment (escaped)")
@symbol_option
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="write to FILE instead of stdout")
@click.option("--pdf", is_flag=True, help="also compile FILE.pdf with pdflatex or lualatex (needs -o)")
@json_option
def latex(input_size, kernel_size, stride, padding, output_padding, dilation, ndim, what, figure, full,
          standalone, markdown, title, symbol, output, pdf, as_json):
    """LaTeX for notes: size derivation, C and Cᵀ, formulas, equivalence, table, figure."""
    layer = _layer(ndim, input_size, kernel_size, stride, padding, output_padding, dilation)
    sections = _sections(what, figure)
    if pdf and markdown:
        raise ParameterError("--pdf and --markdown both set, a PDF is compiled from LaTeX; drop --markdown")
    if pdf and output is None:
        raise ParameterError("--pdf needs -o FILE, the PDF is written next to the .tex; add e.g. -o notes.tex")
    body = lx.layer_document(layer, sections, full=full, markdown=markdown, title=None if standalone else title,
                             symbol=sy.check_name("kernel symbol", symbol))
    text = lx.standalone(body, title) if (standalone or pdf) and not markdown else body
    pdf_bytes = lx.compile_pdf(text) if pdf else None  # compile before writing anything
    pdf_path = output.with_suffix(".pdf") if pdf else None
    if output is not None:
        _write(output, text)
        if pdf_bytes is not None:
            _write(pdf_path, pdf_bytes)
    if as_json:
        emit({"command": "latex", "format": "markdown" if markdown else "latex", "sections": sections,
              "standalone": standalone or pdf, "output": str(output) if output else None,
              "pdf": str(pdf_path) if pdf_path else None, "text": text}, True, None)
    elif output is None:
        click.echo(text, nl=False)
    else:
        click.echo(f"wrote {output}" + (f" and {pdf_path}" if pdf_path else ""), err=True)


# --- matrix ----------------------------------------------------------------------------

MAX_TABLE_COLS, MAX_TABLE_ROWS = 16, 48
MAX_PATTERN = 120  # characters across; larger matrices are shown in blocks


def _pattern(op: sy.ConvOperator, transpose: bool) -> tuple[list[str], int, int]:
    """A sparsity pattern, one character per block of entries: '■' any non-zero, '·' none."""
    rows, cols = op.shape
    if transpose:
        rows, cols = cols, rows
    step_r = max(1, -(-rows // (MAX_PATTERN // 2)))
    step_c = max(1, -(-cols // MAX_PATTERN))
    filled = set()
    for (r, c) in op.entries():
        if transpose:
            r, c = c, r
        filled.add((r // step_r, c // step_c))
    return ["".join("■" if (br, bc) in filled else "·" for bc in range(-(-cols // step_c)))
            for br in range(-(-rows // step_r))], step_r, step_c


def _short(value: str) -> str:
    """``w_{0,1}`` -> ``0,1``; numbers stay as they are."""
    return value[value.index("{") + 1:-1] if value.endswith("}") and "_{" in value else value


def _render_matrix(report: dict, console: Console) -> None:
    name = "Cᵀ" if report["transpose"] else "C"
    rows, cols = report["shape"]
    console.print(Text(f"{name}: {rows}×{cols}, {report['nnz']} non-zeros", style="bold"),
                  Text(f"(convolution {report['conv_input_size']} → {report['conv_output_size']}"
                       f"{'; Cᵀ is its transpose' if report['transpose'] else ''})", style="dim"))
    if "table" in report:
        # Terminals are narrow: print the tap index "0,1" for w_{0,1} and say so once.
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_header=True, padding=(0, 1, 0, 0), show_edge=False)
        table.add_column("", style="dim", justify="right")
        for c in range(cols):
            table.add_column(str(c), justify="center")
        for r, row in enumerate(report["table"]):
            table.add_row(str(r), *(Text("·", style="dim") if v == "0" else Text(_short(v)) for v in row))
        console.print(table)
        console.print(Text(f"an entry a,b stands for the kernel symbol {report['symbol']}_{{a,b}} (per axis, "
                           f"channel indices first); · is 0", style="dim"))
    else:
        step_r, step_c = report["block"]
        console.print(Text(f"sparsity pattern, one character per {step_r}×{step_c} block "
                           f"(■ non-zero, · zero); --format latex shows the entries elided", style="dim"))
        for line in report["pattern"]:
            console.print(Text(line), soft_wrap=True)


@click.command()
@layer_options(output_padding=False)
@ndim_option
@click.option("--transpose", is_flag=True, help="show Cᵀ, the transposed convolution")
@click.option("--format", "fmt", type=click.Choice(["text", "latex", "markdown", "json"]), default="text",
              show_default=True, help="terminal view, LaTeX, Markdown or JSON")
@click.option("--in-channels", type=click.IntRange(min=1), default=1, show_default=True,
              help="channels of the convolution's input")
@click.option("--out-channels", type=click.IntRange(min=1), default=1, show_default=True,
              help="channels of the convolution's output")
@click.option("--groups", type=click.IntRange(min=1), default=1, show_default=True, help="channel groups")
@click.option("--full/--elide", default=False, help="LaTeX: print large matrices whole")
@symbol_option
@json_option
def matrix(input_size, kernel_size, stride, padding, dilation, ndim, transpose, fmt, in_channels, out_channels,
           groups, full, symbol, as_json):
    """C of the convolution of --in (conv_arithmetic's view), or Cᵀ with --transpose."""
    v = per_axis(ndim, input_size=input_size, kernel_size=kernel_size, stride=stride, padding=padding,
                 dilation=dilation)
    op = sy.conv_operator(v["input_size"], v["kernel_size"], v["stride"], v["padding"], v["dilation"],
                          in_channels=in_channels, out_channels=out_channels, groups=groups,
                          symbol=sy.check_name("kernel symbol", symbol))
    if as_json:
        fmt = "json"
    if fmt in ("latex", "markdown"):
        body = lx.operator_latex(op, transpose=transpose, full=full)
        click.echo(f"$$\n{body}\n$$" if fmt == "markdown" else f"\\[\n{body}\n\\]")
        return
    entries = op.entries()
    rows, cols = op.shape
    report = {"command": "matrix", "transpose": transpose, "shape": [cols, rows] if transpose else [rows, cols],
              "nnz": len(entries), "conv_input_size": list(op.conv_input_shape),
              "conv_output_size": list(op.conv_output_shape), "channels": [in_channels, out_channels],
              "groups": groups, "symbol": symbol}
    if fmt == "json":
        report["entries"] = [[c, r, str(value)] if transpose else [r, c, str(value)]
                             for (r, c), value in sorted(entries.items(), key=lambda kv: (kv[0][1], kv[0][0])
                                                         if transpose else kv[0])]
        emit(report, True, None)
        return
    shape = report["shape"]
    if shape[1] <= MAX_TABLE_COLS and shape[0] <= MAX_TABLE_ROWS:
        table = [["0"] * shape[1] for _ in range(shape[0])]
        for (r, c), value in entries.items():
            if transpose:
                r, c = c, r
            table[r][c] = str(value)
        report["table"] = table
    else:
        report["pattern"], *block = _pattern(op, transpose)
        report["block"] = block
    emit(report, False, _render_matrix)


# --- derive ----------------------------------------------------------------------------


def _render_derivation(report: dict, console: Console) -> None:
    console.print(Text(report["title"], style="bold"))
    n = 0
    for step in report["steps"]:
        if step["text"]:
            n += 1
            console.print(Text(f"{n:>2}. ", style="dim") + Text(step["text"]))
        if step["pretty"]:
            for line in step["pretty"].splitlines():
                console.print(Text("      " + line, style="cyan"), soft_wrap=True)
    for proof in report["proofs"]:
        style = "green" if proof["holds"] else "bold red"
        console.print(Text(("✓ " if proof["holds"] else "✗ ") + proof["sentence"], style=style))


def _derivation_report(der: sy.Derivation, command: str) -> dict:
    report = {"command": f"derive {command}", **der.to_dict(), "proved": der.proved}
    for step, out in zip(der.steps, report["steps"]):
        # Multi-line Unicode art for the terminal; numbers substituted stay one line.
        out["pretty"] = None if step.expr is None else (
            step.plain() if step.values else sp.pretty(step.expr, use_unicode=True))
    for proof, out in zip(der.proofs, report["proofs"]):
        out["sentence"] = proof.sentence()
    return report


def _show(der: sy.Derivation, command: str, as_latex: bool, markdown: bool, as_json: bool) -> None:
    if as_latex or markdown:
        text = lx.derivation_latex(der, markdown=markdown)
        if as_json:
            emit({"command": f"derive {command}", "text": text, "proved": der.proved}, True, None)
        else:
            click.echo(text, nl=False)
    else:
        emit(_derivation_report(der, command), as_json, _render_derivation)
    if not der.proved:
        sys.exit(1)  # a failed proof is a bug in the tool; scripts must notice


def _derive_command(name: str, build, help_text: str):
    @click.command(name=name, help=help_text)
    @layer_options
    @ndim_option
    @click.option("--latex", "as_latex", is_flag=True, help="print the derivation as LaTeX")
    @click.option("--markdown", is_flag=True, help="print the derivation as Markdown")
    @json_option
    def command(input_size, kernel_size, stride, padding, output_padding, dilation, ndim, as_latex, markdown,
                as_json):
        layer = _layer(ndim, input_size, kernel_size, stride, padding, output_padding, dilation)
        _show(build(layer), name, as_latex, markdown, as_json)

    return command


@click.group()
def derive():
    """Derivations step by step, each proved by SymPy for the given sizes."""


derive.add_command(_derive_command("size", sy.derive_output_size,
                                   "The output-size formula from the scatter's index range, with values."))
derive.add_command(_derive_command("equivalence", sy.derive_equivalence,
                                   "The equivalent direct convolution (zero insertion, padding, flipped kernel)."))
derive.add_command(_derive_command("ambiguity", sy.derive_ambiguity,
                                   "Valid output_padding and the conv input sizes that share one output size."))
derive.add_command(_derive_command("phases", sy.derive_phases,
                                   "The sub-pixel (phase) decomposition and its tap counts (checkerboard)."))
derive.add_command(_derive_command("formulas", sy.derive_formulas,
                                   "Each output y_j as its sum of w·x terms, closed form and expanded."))


def _render_relationships(report: dict, console: Console) -> None:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, title="Dumoulin & Visin's relationships, re-derived",
                  title_justify="left")
    for name in ("#", "case", "conditions", "derived", ""):
        table.add_column(name, justify="right" if name == "#" else "left")
    for rel in report["relationships"]:
        table.add_row(str(rel["number"]), rel["title"], ", ".join(rel["conditions"]), rel["formula"],
                      Text("✓ proved", style="green") if rel["holds"] else Text("✗", style="bold red"))
    console.print(table)
    console.print(Text("Each formula comes from the general conv / transposed-conv derivation with the conditions "
                       "substituted; ✓: its difference from the paper's form expands to 0 (7-13 also: the "
                       "transpose gives back the conv's input size).", style="dim"))


def _plain_relation(expr) -> str:
    return sy.Step("", expr).plain()


@derive.command()
@click.option("--latex", "as_latex", is_flag=True, help="print as LaTeX")
@click.option("--markdown", is_flag=True, help="print as Markdown")
@json_option
def relationships(as_latex, markdown, as_json):
    """conv_arithmetic's relationships 1-14, each re-derived with its conditions."""
    rels = sy.derive_relationships()
    if as_latex or markdown:
        text = lx.relationships_latex(rels, markdown=markdown)
        if as_json:
            emit({"command": "derive relationships", "text": text}, True, None)
        else:
            click.echo(text, nl=False)
    else:
        report = {"command": "derive relationships", "relationships": [
            {"number": r.number, "title": r.title, "conditions": [_plain_relation(c) for c in r.conditions],
             "formula": f"{r.lhs} = {_plain_relation(r.derived)}", "latex": f"{sp.latex(sp.Symbol(r.lhs))} = "
             f"{sp.latex(r.derived)}", "holds": r.proof.holds, "checked": r.proof.checked} for r in rels]}
        emit(report, as_json, _render_relationships)
    if not all(r.proof.holds for r in rels):
        sys.exit(1)
