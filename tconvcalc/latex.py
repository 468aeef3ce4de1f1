r"""LaTeX, Markdown and TikZ for notes, over SymPy's own printer.

Formulas and matrices are printed by ``sympy.latex``; this module writes only
the scaffolding around them (sections, the booktabs table, the TikZ grids, the
document preamble) and decides what to elide so any size prints quickly.

>>> from tconvcalc.spec import Layer
>>> print(parameters_math(Layer.from_pytorch(2, 3, 2)))
i = 2,\ k = 3,\ s = 2,\ p = 0,\ \mathit{op} = 0,\ d = 1\ \Rightarrow\ o = 5
>>> "subsection*{Output size}" in layer_document(Layer.from_pytorch(2, 3, 2), ["size"])
True
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from math import prod
from pathlib import Path
from typing import Sequence

import sympy as sp

from . import symbolic as sy
from .notes import DEFAULT_SECTIONS, TITLES, sections
from .operator import figure_axes, zero_insertion_cells
from .errors import NotInstalledError, TconvcalcError
from .spec import Layer


# Element formulas listed before "…"; the closed form covers the rest.
MAX_FORMULAS = 8
# pdflatex's fixed main memory (5,000,000 words) holds a whole matrix display of about 33,000 cells
# (measured: 1-D 180×182 compiles, 190×192 does not; 2-D 144×196 compiles, 169×225 does not);
# lualatex compiled the largest whole C we print (MAX_WHOLE_CELLS) in 2.4 s.
PDF_MAX_CELLS = 30_000

PREAMBLE_PACKAGES = ("amsmath", "amssymb", "booktabs", "tikz")

# Text that reaches LaTeX: the special characters, and the Unicode our sentences use.
_TEXT_ESCAPES = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#", "^": r"\^{}",
    "_": r"\_", "%": r"\%", "~": r"\textasciitilde{}", "<": r"\textless{}", ">": r"\textgreater{}",
    "−": "$-$", "·": r"$\cdot$", "≤": r"$\le$", "≥": r"$\ge$", "ᵀ": r"$^{\mathsf{T}}$", "∈": r"$\in$",
    "…": r"\dots{}", "×": r"$\times$", "✓": r"$\checkmark$", "✗": r"$\times$", "→": r"$\to$", "—": "---",
    "–": "--", "≡": r"$\equiv$", "′": "'", "|": r"$\mid$",
}


def escape_text(text: str) -> str:
    """Plain words made safe for LaTeX: specials escaped, known Unicode mapped, the rest dropped."""
    out = []
    for char in str(text):
        if char in _TEXT_ESCAPES:
            out.append(_TEXT_ESCAPES[char])
        elif ord(char) < 128:
            out.append(char if char.isprintable() else " ")
        else:
            out.append("?")  # an engine without Unicode support must still compile
    return "".join(out)


def escape_markdown(text: str) -> str:
    """User text in Markdown: no raw HTML and no math delimiters."""
    return re.sub(r"([\\`*_<>$|])", r"\\\1", str(text))


def tex(expr) -> str:
    return sp.latex(expr)


# --- writers: the same content as LaTeX or as Markdown ------------------------------


class LatexWriter:
    markdown = False

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.proved = True  # every proof written so far holds

    def proof(self, proof: sy.Proof) -> None:
        """A proof's sentence, ticked or crossed; a failed one is remembered (the command then exits 1)."""
        self.proved = self.proved and proof.holds
        self.text(("✓ " if proof.holds else "✗ ") + proof.sentence())

    def heading(self, text: str) -> None:
        self.parts.append(f"\\subsection*{{{escape_text(text)}}}")

    def text(self, text: str) -> None:
        self.parts.append(escape_text(text) + "\n")

    def math(self, body: str, wide: int = 0) -> None:
        if wide > 10:
            # amsmath's matrices stop at 10 columns unless told otherwise.
            self.parts.append(f"\\setcounter{{MaxMatrixCols}}{{{wide}}}")
        if wide > 8:
            self.parts.append("\\begingroup\\small\\setlength{\\arraycolsep}{2pt}\n\\[\n" + body + "\n\\]\n\\endgroup")
        else:
            self.parts.append("\\[\n" + body + "\n\\]")

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        align = "r" * len(headers)
        lines = [f"\\begin{{center}}\n\\begin{{tabular}}{{{align}}}", "\\toprule",
                 " & ".join(escape_text(h) for h in headers) + r" \\", "\\midrule"]
        lines += [" & ".join(escape_text(c) for c in row) + r" \\" for row in rows]
        lines += ["\\bottomrule", "\\end{tabular}\n\\end{center}"]
        self.parts.append("\n".join(lines))

    def raw(self, latex: str) -> None:
        self.parts.append(latex)

    def render(self) -> str:
        return "\n".join(self.parts) + "\n"


class MarkdownWriter(LatexWriter):
    markdown = True

    def heading(self, text: str) -> None:
        self.parts.append(f"### {escape_markdown(text)}\n")

    def text(self, text: str) -> None:
        self.parts.append(escape_markdown(text) + "\n")

    def math(self, body: str, wide: int = 0) -> None:
        self.parts.append("$$\n" + body + "\n$$\n")

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        lines = ["| " + " | ".join(escape_markdown(h) for h in headers) + " |",
                 "|" + "---:|" * len(headers)]
        lines += ["| " + " | ".join(escape_markdown(c) for c in row) + " |" for row in rows]
        self.parts.append("\n".join(lines) + "\n")

    def raw(self, latex: str) -> None:
        # TikZ does not render in Markdown viewers; keep the source for those who compile it.
        self.parts.append("```latex\n" + latex + "\n```\n")


# --- matrices ---------------------------------------------------------------------------


def matrix_latex(matrix: sp.MatrixBase) -> str:
    r"""A ``bmatrix`` one row per line (TeX reads a line into a fixed buffer), each distinct entry printed
    once by SymPy's printer - a whole C repeats a few weights thousands of times.

    >>> print(matrix_latex(sp.Matrix([[sp.Symbol("w_0"), 0], [0, sp.Symbol("w_0")]])))
    \begin{bmatrix}
    w_{0} & 0\\
    0 & w_{0}
    \end{bmatrix}
    """
    printed: dict = {}

    def cell(entry) -> str:
        if entry not in printed:
            printed[entry] = sp.latex(entry)
        return printed[entry]

    rows = (" & ".join(map(cell, row)) for row in matrix.tolist())
    return "\\begin{bmatrix}\n" + "\\\\\n".join(rows) + "\n\\end{bmatrix}"


def operator_latex(op: sy.ConvOperator, transpose: bool = False, full: bool = False, name: str | None = None) -> str:
    """``C = [...]`` (or Cᵀ) with the shape stated, elided when large."""
    rows, cols = op.shape
    matrix, elided = op.elided(transpose, full)
    body = matrix_latex(matrix)
    shape = (cols, rows) if transpose else (rows, cols)
    label = name or (r"C^{\mathsf{T}}" if transpose else "C")
    note = rf"\quad ({shape[0]} \times {shape[1]})" if elided else ""
    return f"{label} = {body}{note}"


def matrix_section(writer: LatexWriter, op: sy.ConvOperator, full: bool, transpose_only: bool = False) -> None:
    rows, cols = op.shape
    for transpose in ((True,) if transpose_only else (False, True)):
        matrix, elided = op.elided(transpose, full)
        shape = (cols, rows) if transpose else (rows, cols)
        label = r"C^{\mathsf{T}}" if transpose else "C"
        if elided:
            writer.text(f"{'Cᵀ' if transpose else 'C'} is {shape[0]} × {shape[1]} with at most {op.nnz_bound} "
                        f"non-zeros; its first rows and columns and the last ones are shown.")
        writer.math(f"{label} = {matrix_latex(matrix)}", wide=matrix.cols)


# --- sections of the layer document -----------------------------------------------------


def _axes_values(layer: Layer, name: str) -> str:
    values = [getattr(axis, name) for axis in layer.axes]
    return str(values[0]) if len(set(values)) == 1 else "(" + ", ".join(map(str, values)) + ")"


def parameters_math(layer: Layer) -> str:
    pairs = layer.field("padding_pair")
    ps = [p for p, _ in pairs]
    ops = [op for _, op in pairs]
    fmt = lambda v: str(v[0]) if len(set(v)) == 1 else "(" + ", ".join(map(str, v)) + ")"  # noqa: E731
    return (rf"i = {_axes_values(layer, 'i')},\ k = {_axes_values(layer, 'k')},\ s = {_axes_values(layer, 's')},\ "
            rf"p = {fmt(ps)},\ \mathit{{op}} = {fmt(ops)},\ d = {_axes_values(layer, 'd')}"
            rf"\ \Rightarrow\ o = {_axes_values(layer, 'o')}")


def derivation_body(writer: LatexWriter, der: sy.Derivation) -> None:
    for step in der.steps:
        if step.text:
            writer.text(step.text + (":" if step.expr is not None else "."))
        if step.expr is not None:
            writer.math(step.latex())
    for proof in der.proofs:
        writer.proof(proof)


def derivation_latex(der: sy.Derivation, markdown: bool = False) -> str:
    writer = MarkdownWriter() if markdown else LatexWriter()
    writer.heading(der.title)
    derivation_body(writer, der)
    return writer.render()


def relationships_latex(relationships: Sequence[sy.Relationship], markdown: bool = False) -> str:
    writer = MarkdownWriter() if markdown else LatexWriter()
    writer.heading("Relationships 1-14 of Dumoulin & Visin, re-derived")
    for rel in relationships:
        writer.text(f"Relationship {rel.number}: {rel.title}. Conditions:")
        writer.math(r",\quad ".join(tex(c) for c in rel.conditions) if rel.conditions else r"\text{none}")
        writer.math(f"{tex(sp.Symbol(rel.lhs))} = {tex(rel.derived)}")
        for step in rel.extra:
            writer.text(step.text + ":")
            writer.math(tex(step.expr))
        writer.proof(rel.proof)
    return writer.render()


def formulas_section(writer: LatexWriter, layer: Layer, op: sy.ConvOperator) -> None:
    """The closed form, then the first outputs and the last, expanded (or why not: see ``expanded_outputs``)."""
    outputs, expanded, der = sy.expanded_outputs(layer, MAX_FORMULAS, symbol=op.symbol)
    writer.text(der.steps[0].text + ", for symbolic i, k, s, p, d (op only sets how many outputs there are):")
    closed = [step for step in der.steps if step.expr is not None]
    writer.math(r"\begin{aligned}" + r" \\ ".join(tex(step.expr).replace("=", "&=", 1) for step in closed)
                + r"\end{aligned}")
    for step in der.steps:
        if step.expr is None and step.text:  # why the closed form or the outputs are not expanded here
            writer.text(step.text + ".")
    if outputs:
        writer.text(f"For these sizes, output by output ({len(outputs)} of {op.shape[1]} shown):"
                    if len(outputs) < op.shape[1] else "For these sizes, output by output:")
        lines = [f"{tex(op.output_symbol(c))} &= {tex(e)}" for c, e in zip(outputs, expanded)]
        if len(outputs) < op.shape[1] and len(outputs) > 1:
            lines.insert(-1, r"&\;\;\vdots")
        writer.math("\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}")
    for proof in der.proofs:
        writer.proof(proof)


def equivalence_section(writer: LatexWriter, layer: Layer, op: sy.ConvOperator) -> None:
    """The equivalent direct convolution, its table, and the proof (every output of a small layer, else the
    first and last outputs, as :func:`tconvcalc.symbolic.derive_equivalence` decides and says)."""
    der = sy.derive_equivalence(layer, op.symbol)
    derivation_body(writer, der)
    headers = ["axis", "zeros between", "stretched size", "pad before", "pad after", "stride", "dilation",
               "output size"]
    rows = [[str(e["axis"]), str(e["zeros_between"]), str(e["stretched_size"]), str(e["pad_before"]),
             str(e["pad_after"]), "1", str(e["dilation"]), str(e["output_size"])] for e in der.results["equivalent"]]
    writer.table(headers, rows)


def _isotropic(layer: Layer) -> bool:
    return len(set(layer.axes)) == 1


def table_section(writer: LatexWriter, layer: Layer) -> None:
    der = sy.derive_ambiguity(layer)
    axes = [0] if _isotropic(layer) else list(range(layer.ndim))
    headers = (["axis"] if len(axes) > 1 else []) + ["output_padding", "output size", "conv of it", "inverts",
                                                     "conv sizes it inverts"]
    rows = []
    previous = None
    for row in der.results["table"]:
        if row["axis"] not in axes:
            continue
        if previous is not None and row["output_padding"] > previous + 1:  # a long table: its middle left out
            rows.append(([""] if len(axes) > 1 else []) + ["…", "", "", "", ""])
        previous = row["output_padding"]
        first, last = der.results["conv_sizes"][row["axis"]]
        sizes = (", ".join(map(str, range(first, last + 1))) if last - first < 4 else f"{first}…{last}"
                 ) if row["inverts"] else "none"
        rows.append(([str(row["axis"])] if len(axes) > 1 else []) + [
            str(row["output_padding"]) + (" (this layer)" if row["chosen"] else ""), str(row["output_size"]),
            str(row["conv_output_size"]), "✓" if row["inverts"] else "✗", sizes])
    writer.text("Every output_padding PyTorch accepts, the size it gives, and the convolution (same k, s, p, d) "
                "of that size" + (" (every axis alike)" if layer.ndim > 1 and len(axes) == 1 else "") + ":")
    writer.table(headers, rows)
    for step in der.steps[1:6]:
        if step.expr is not None:
            writer.text(step.text + ":")
            writer.math(tex(step.expr))
    for proof in der.proofs:
        writer.proof(proof)


# --- TikZ figure in the style of conv_arithmetic -----------------------------------------


def tikz_figure(layer: Layer) -> str:
    """Input grid → zero-inserted and padded grid with the kernel at output 0 → output grid."""
    axes = figure_axes(layer)
    grids = [zero_insertion_cells(a) if a is not None else ["x"] for a in axes]
    rows_in = axes[0].i if axes[0] is not None else 1
    rows_out = axes[0].o if axes[0] is not None else 1
    cols_in, cols_out = axes[1].i, axes[1].o
    size = min(0.5, 12.0 / (cols_in + len(grids[1]) + cols_out + 4))
    lines = [f"\\begin{{tikzpicture}}[x={size:.3f}cm, y={size:.3f}cm, every node/.style={{font=\\small}}]"]
    style = {"x": "fill=blue!35", "zero": "fill=white", "pad": "fill=white, dashed"}

    def cell(x0, y0, kind):
        lines.append(f"  \\draw[{style[kind]}] ({x0},{-y0}) rectangle ++(1,-1);")

    # Input grid.
    for r in range(rows_in):
        for c in range(cols_in):
            cell(c, r, "x")
    lines.append(f"  \\node[below] at ({cols_in / 2},{-rows_in - 0.3}) {{input ${_axes_values(layer, 'i')}$}};")
    # Zero-inserted, padded grid with the kernel's taps for output 0.
    x0 = cols_in + 2
    row_kinds, col_kinds = grids[0], grids[1]
    for r, rk in enumerate(row_kinds):
        for c, ck in enumerate(col_kinds):
            kind = "x" if rk == "x" and ck == "x" else ("pad" if "pad" in (rk, ck) else "zero")
            cell(x0 + c, r, kind)
    row_taps = [a * axes[0].d for a in range(axes[0].k)] if axes[0] is not None else [0]
    col_taps = [a * axes[1].d for a in range(axes[1].k)]
    for r in row_taps:
        for c in col_taps:
            lines.append(f"  \\fill[black, opacity=0.35] ({x0 + c},{-r}) rectangle ++(1,-1);")
    lines.append(f"  \\draw[very thick] ({x0 + col_taps[0]},{-row_taps[0]}) rectangle "
                 f"({x0 + col_taps[-1] + 1},{-row_taps[-1] - 1});")
    lines.append(f"  \\node[above] at ({x0 + len(col_kinds) / 2},0.3) "
                 f"{{zero-inserted, padded; kernel at output 0}};")
    # Output grid with output 0 marked.
    x1 = x0 + len(col_kinds) + 2
    for r in range(rows_out):
        for c in range(cols_out):
            lines.append(f"  \\draw[fill=cyan!{60 if (r, c) == (0, 0) else 20}] ({x1 + c},{-r}) rectangle ++(1,-1);")
    lines.append(f"  \\node[below] at ({x1 + cols_out / 2},{-rows_out - 0.3}) {{output ${_axes_values(layer, 'o')}$}};")
    lines.append(f"  \\draw[->, thick] ({cols_in + 0.3},{-rows_in / 2}) -- ({x0 - 0.3},{-rows_in / 2});")
    lines.append(f"  \\draw[->, thick] ({x1 - 1.7},{-rows_out / 2}) -- ({x1 - 0.3},{-rows_out / 2});")
    lines.append("\\end{tikzpicture}")
    return "\n".join(lines)


def figure_section(writer: LatexWriter, layer: Layer) -> None:
    picture = tikz_figure(layer)
    writer.text("Blue: input samples; white: inserted zeros; dashed: padding; shaded: the kernel's taps for the "
                "first output (cyan, dark).")
    if writer.markdown:
        writer.raw(picture)
    else:
        writer.raw("\\begin{center}\n" + picture + "\n\\end{center}")


# --- the document ----------------------------------------------------------------------------


def layer_document(layer: Layer, what: Sequence[str] = DEFAULT_SECTIONS, *, full: bool = False,
                   markdown: bool = False, title: str | None = None, symbol: str = "w") -> str:
    """The fragment for notes: the chosen sections (:mod:`tconvcalc.notes`) for one transposed convolution."""
    return layer_writer(layer, what, full=full, markdown=markdown, title=title, symbol=symbol).render()


def layer_writer(layer: Layer, what: Sequence[str] = DEFAULT_SECTIONS, *, full: bool = False,
                 markdown: bool = False, title: str | None = None, symbol: str = "w") -> LatexWriter:
    """:func:`layer_document`'s writer, not yet rendered: its ``proved`` says whether every proof held."""
    what = sections(",".join(what))  # validated: unknown names are refused with the list
    op = sy.operator_from_axes(layer.axes, symbol=symbol)
    writer = MarkdownWriter() if markdown else LatexWriter()
    if title:
        writer.raw(f"## {escape_markdown(title)}\n" if markdown else f"\\section*{{{escape_text(title)}}}")
    writer.text(f"Transposed convolution, {layer.ndim}-D:")
    writer.math(parameters_math(layer))
    write = {
        "size": lambda: derivation_body(writer, sy.derive_output_size(layer)),
        "matrix": lambda: matrix_section(writer, op, full),
        "formulas": lambda: formulas_section(writer, layer, op),
        "equivalence": lambda: equivalence_section(writer, layer, op),
        "table": lambda: table_section(writer, layer),
        "figure": lambda: figure_section(writer, layer),
    }
    for section in what:
        writer.heading(TITLES[section])
        write[section]()
    return writer


def standalone(body: str, title: str | None = None) -> str:
    """A complete document around a fragment: amsmath, amssymb, booktabs, tikz only."""
    head = [
        "\\documentclass[10pt,a4paper]{article}",
        *(f"\\usepackage{{{name}}}" for name in PREAMBLE_PACKAGES),
        # Wider text block without the geometry package: matrices need the room.
        "\\setlength{\\textwidth}{17cm}\\setlength{\\oddsidemargin}{-0.5cm}\\setlength{\\evensidemargin}{-0.5cm}",
        "\\setlength{\\textheight}{24cm}\\setlength{\\topmargin}{-1.5cm}",
        "\\setlength{\\parindent}{0pt}\\setlength{\\parskip}{4pt}",
        "\\setcounter{MaxMatrixCols}{40}",
        "\\begin{document}",
    ]
    if title:
        head.append(f"\\section*{{{escape_text(title)}}}")
    return "\n".join(head) + "\n" + body + "\\end{document}\n"


def tex_engine() -> str | None:
    for engine in ("pdflatex", "lualatex"):
        if shutil.which(engine):
            return engine
    return None


TEX_INSTALL = "apt-get install texlive-latex-base texlive-latex-recommended texlive-pictures"


def pdf_engine(layer: Layer, sections: Sequence[str], full: bool) -> str | None:
    """The engine for this document: pdflatex's fixed memory holds a whole matrix display of about
    :data:`PDF_MAX_CELLS` cells; LuaTeX's memory grows, so a larger whole C needs lualatex."""
    rows, cols = prod(axis.i for axis in layer.axes), prod(axis.o for axis in layer.axes)
    if not (full and "matrix" in sections and rows * cols > PDF_MAX_CELLS):
        return tex_engine()
    if shutil.which("lualatex") is None:
        raise NotInstalledError("lualatex", f"compiling the whole {rows}×{cols} C (pdflatex holds about "
                                f"{PDF_MAX_CELLS} cells)", "apt-get install texlive-luatex")
    return "lualatex"


def compile_pdf(document: str, engine: str | None = None) -> bytes:
    """Run a TeX engine on a complete document and return the PDF's bytes.

    A missing engine or LaTeX package is a :class:`NotInstalledError` with the install line; any
    other failure would be a bug in the generated LaTeX (:class:`TconvcalcError`).
    """
    engine = engine or tex_engine()
    if engine is None or shutil.which(engine) is None:
        raise NotInstalledError("a TeX engine (pdflatex or lualatex)", "compiling the PDF", TEX_INSTALL)
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "tconvcalc.tex"
        source.write_text(document, encoding="utf-8")
        result = subprocess.run([engine, "-halt-on-error", "-interaction=nonstopmode", source.name], cwd=folder,
                                capture_output=True, text=True, timeout=120)
        pdf = source.with_suffix(".pdf")
        if result.returncode != 0 or not pdf.exists():
            missing = re.search(r"File `([^']+\.sty)' not found", result.stdout)
            if missing:
                raise NotInstalledError(f"the LaTeX package {missing.group(1)}", f"{engine}", TEX_INSTALL)
            errors = [line for line in result.stdout.splitlines() if line.startswith("!")]
            raise TconvcalcError(f"{engine} could not compile the document ({errors[0] if errors else 'no PDF'}), "
                                 f"the generated LaTeX must compile; please report this with the command you ran")
        return pdf.read_bytes()
