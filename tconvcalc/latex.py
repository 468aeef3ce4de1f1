r"""LaTeX, Markdown and TikZ for notes, over SymPy's own printer.

Formulas and matrices are printed by ``sympy.latex``; this module writes only
the scaffolding around them, the way conv_arithmetic's own source sets it: one
``align*`` per derivation with the reasons in ``\intertext``, the main results in
framed relationship boxes (numbered and labelled with ``numbered``), captioned
booktabs tables and figures, one proof sentence per section, the document preamble
(``ctex`` for Chinese) - and decides what to elide so any size prints quickly.  Every
word comes from :mod:`tconvcalc.notes_text`, in English or Chinese.

>>> from tconvcalc.spec import Layer
>>> print(parameters_math(Layer.from_pytorch(2, 3, 2)))
i = 2,\ k = 3,\ s = 2,\ p = 0,\ \mathit{op} = 0,\ d = 1\ \Rightarrow\ o = 5
>>> "subsection*{Output size}" in layer_document(Layer.from_pytorch(2, 3, 2), ["size"])
True
>>> note = layer_document(Layer.from_pytorch(2, 3, 2), ["size"], lang="zh", numbered=True, label_prefix="up1:")
>>> "\\subsection*{输出尺寸}" in note, "\\label{up1:eq:tconv-size}" in note
(True, True)
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
from . import typst_math as tm
from .symbolic.vocabulary import latex_names
from .notes import DEFAULT_SECTIONS, sections
from .notes_text import CATALOGUES, check_language, phrase
from .operator import figure_axes, zero_insertion_cells
from .errors import NotInstalledError, ParameterError, TconvcalcError
from .spec import Layer


# pdflatex's fixed main memory (5,000,000 words) holds a whole matrix display of about 33,000 cells
# (measured: 1-D 180×182 compiles, 190×192 does not; 2-D 144×196 compiles, 169×225 does not);
# lualatex compiled the largest whole C we print (MAX_WHOLE_CELLS) in 2.4 s.
PDF_MAX_CELLS = 30_000

# float gives tables and figures [H]: each stays where its section puts it (in texlive-latex-recommended).
PREAMBLE_PACKAGES = ("amsmath", "amssymb", "booktabs", "float", "tikz")

# Pagination, in the fragment itself so it holds in any document that \input's it.  A heading starts a new page
# when fewer than this many lines are left (needspace's test, in plain TeX: no package), so it never stands at a
# page's foot without its first lines.
HEADING_KEEP_LINES = 6
KEEP_WITH_NEXT = (r"\par\penalty-100\begingroup\dimen0=\pagegoal\advance\dimen0 by -\pagetotal"
                  rf"\ifdim\dimen0<{HEADING_KEEP_LINES}\baselineskip\vfil\penalty-10000\fi\endgroup")
# A caption above a booktabs table stands clear of its top rule, as booktabs users set it.
TABLE_CAPTION_SKIPS = r"\setlength{\abovecaptionskip}{0pt}\setlength{\belowcaptionskip}{6pt}"

# Text that reaches LaTeX: the special characters, and the Unicode our sentences use.
_TEXT_ESCAPES = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#", "^": r"\^{}",
    "_": r"\_", "%": r"\%", "~": r"\textasciitilde{}", "<": r"\textless{}", ">": r"\textgreater{}",
    "−": "$-$", "·": r"$\cdot$", "≤": r"$\le$", "≥": r"$\ge$", "ᵀ": r"$^{\mathsf{T}}$", "∈": r"$\in$",
    "…": r"\dots{}", "×": r"$\times$", "✓": r"$\checkmark$", "✗": r"$\times$", "→": r"$\to$", "—": "---",
    "–": "--", "≡": r"$\equiv$", "′": "'", "|": r"$\mid$", "÷": r"$\div$",
}


def escape_text(text: str, unicode: bool = False) -> str:
    """Plain words made safe for LaTeX: specials escaped, known Unicode mapped, the rest dropped (kept when
    ``unicode``: a Chinese note is compiled by XeLaTeX or LuaLaTeX)."""
    out = []
    for char in str(text):
        if char in _TEXT_ESCAPES:
            out.append(_TEXT_ESCAPES[char])
        elif ord(char) < 128 or (unicode and char.isprintable()):
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

# The catalogue's light marks (tconvcalc.notes_text): `code`, **bold**, *emphasis*, read left to right so
# nothing inside a code span is taken for a mark.
_MARKS = re.compile(r"`([^`]*)`|\*\*(.+?)\*\*|\*(.+?)\*")
_LABEL = re.compile(r"[A-Za-z0-9:._-]{0,40}\Z")


def check_label_prefix(prefix: str) -> str:
    """A prefix for ``\\label`` names: letters, digits and ``: . _ -`` only (it reaches LaTeX verbatim)."""
    if not isinstance(prefix, str) or not _LABEL.match(prefix):
        raise ParameterError(f"label prefix {prefix!r} has characters LaTeX labels should not carry, it is put "
                             f"verbatim before eq:…; use up to 40 letters, digits and : . _ - (e.g. up1:)")
    return prefix


class LatexWriter:
    """Collects a note: paragraphs of the catalogue's prose, one ``align*`` per derivation, framed relationship
    boxes, captioned booktabs tables and figures, and one proof sentence per section."""

    markdown = False
    typst = False

    def __init__(self, lang: str = "en", numbered: bool = False, label_prefix: str = "",
                 verbose: bool = False) -> None:
        self.lang = check_language(lang)
        self.numbered = numbered
        self.label_prefix = check_label_prefix(label_prefix)
        self.verbose = verbose
        self.parts: list[str] = []
        self.proved = True  # every proof written so far holds
        self.labels: list[str] = []  # the labels placed, in order (with --numbered)

    # -- words --
    def marks(self, prose: str, in_math: bool = False) -> str:
        """The catalogue's marks as LaTeX."""
        def mark(m):
            if m.group(1) is not None:  # code keeps its Unicode where the engine has it (a Chinese note)
                return r"\texttt{" + escape_text(m.group(1), unicode=self.lang != "en") + "}"
            return (r"\textbf{" + m.group(2) + "}") if m.group(2) is not None else (r"\emph{" + m.group(3) + "}")
        return _MARKS.sub(mark, prose)

    def say(self, key: str, **values) -> str:
        """The catalogue's entry in this note's language, as this writer prints prose."""
        return self.marks(phrase(self.lang, key, **values))

    def math_say(self, key: str, **values) -> str:
        """An entry for ``\\text{…}`` inside math (Markdown's aligned reasons)."""
        return LatexWriter.marks(self, phrase(self.lang, key, **values), in_math=True)

    def escape(self, text: str) -> str:
        return escape_text(text, unicode=self.lang != "en")

    def heading(self, prose: str) -> None:
        self.parts.append(KEEP_WITH_NEXT + f"\n\\subsection*{{{prose}}}")

    def title(self, text: str) -> None:
        self.parts.append(f"\\section*{{{self.escape(text)}}}")

    def paragraph(self, prose: str) -> None:
        self.parts.append(prose + "\n")

    def text(self, text: str) -> None:
        """Plain words (not the catalogue's): escaped."""
        self.parts.append(self.escape(text) + "\n")

    def comment(self, text: str) -> None:
        self.parts.append("% " + text.replace("\n", " "))

    # -- mathematics: every formula is printed by the writer's own SymPy printer --
    def tex(self, expr, **settings) -> str:
        """A SymPy expression as this writer's math (here ``sympy.latex``; ``settings`` are its printer's)."""
        return sp.latex(expr, **settings)

    def named(self, expr) -> str:
        """``expr`` with the notes' spellings of its subscripted names (``m_{\\min}``, ``\\mathit{op}``)."""
        return sp.latex(expr, symbol_names=latex_names(expr))

    def step_math(self, step: sy.Step, expr=None) -> str:
        """A step (or one side of it) as math, its placeholders printed as their numbers."""
        return step.latex(expr)

    def sides(self, step: sy.Step) -> tuple[str, str, str] | None:
        return step.sides()

    def m(self, latex: str) -> str:
        """Hand-written math of the notes' own (``\\qquad``, ``\\vdots``), as this writer writes it."""
        return latex

    def size_math(self, value) -> str:
        """A size such as ``2×3`` inside math."""
        return _math_size(value)

    def stack(self, lines: Sequence[str], aligned: bool = True, one_line: bool = False) -> str:
        """Lines of math in one display: lined up at their ``&`` (``aligned``) or centred (``gathered``)."""
        env = "aligned" if aligned else "gathered"
        if one_line:
            return f"\\begin{{{env}}}" + r" \\ ".join(lines) + f"\\end{{{env}}}"
        return f"\\begin{{{env}}}\n" + " \\\\\n".join(lines) + f"\n\\end{{{env}}}"

    def matrix(self, matrix: sp.MatrixBase) -> str:
        return matrix_latex(matrix)

    def label(self, name: str) -> str:
        """The stable label of a key equation (``eq:tconv-size``), with the prefix; remembered."""
        label = f"{self.label_prefix}eq:{name}"
        self.labels.append(label)
        return label

    def lead(self, prose: str) -> None:
        """A paragraph that leads into the display after it: no blank line, so TeX keeps the two on one page."""
        self.parts.append(prose)

    def math(self, body: str, wide: int = 0, label: str | None = None) -> None:
        if wide > 10:
            # amsmath's matrices stop at 10 columns unless told otherwise.
            self.parts.append(f"\\setcounter{{MaxMatrixCols}}{{{wide}}}%")
        if label and self.numbered:
            display = f"\\begin{{equation}}\\label{{{self.label(label)}}}\n{body}\n\\end{{equation}}"
        else:
            display = "\\[\n" + body + "\n\\]"
        if wide > 8:
            self.parts.append("\\begingroup\\small\\setlength{\\arraycolsep}{2pt}\n" + display + "\n\\endgroup")
        else:
            self.parts.append(display)

    def align(self, rows: Sequence[tuple[str | None, tuple[str, str, str]]]) -> None:
        """One ``align*``: each row ``(reason, (lhs, relation, rhs))`` with its relation lined up; the first
        reason leads in as a sentence, the others stand in ``\\intertext``; an empty lhs continues the one above."""
        if not rows:
            return
        if rows[0][0]:
            self.parts.append(rows[0][0])  # leads into the display: the same paragraph
        lines: list[str] = []
        for n, (reason, (lhs, relation, rhs)) in enumerate(rows):
            if n and reason:
                lines.append(f"\\intertext{{{reason}}}")
            lines.append(f"{lhs} &{relation} {rhs}")
        self.parts.append(breakable_align(lines))

    def formulas(self, lead: str, lines: Sequence[str]) -> None:
        """Outputs one per line, led in by ``lead``: a long list breaks across pages (:func:`breakable_align`)."""
        self.lead(lead)
        self.parts.append(breakable_align(lines))

    def box(self, heading: str, lead: str, body: str, label: str | None = None, after: str = "") -> None:
        """A framed relationship, as conv_arithmetic sets its results: a bold heading, the conditions in words,
        the formula displayed (numbered and labelled with --numbered), and what follows it."""
        if self.numbered and label:
            display = f"\\begin{{equation}}\\label{{{self.label(label)}}}\n{body}\n\\end{{equation}}"
        else:
            display = f"\\begin{{equation*}}\n{body}\n\\end{{equation*}}"
        self.parts.append("\\par\\medskip\\noindent\\fbox{\\parbox{\\dimexpr\\linewidth-2\\fboxsep-2\\fboxrule\\relax}{%\n"
                          f"\\textbf{{{heading}{self.say('box.end')}}} {lead}\n{display}\n"
                          + (f"{after}\n" if after else "")
                          + "}}\\par\\medskip")

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]], caption: str = "",
              align: str | None = None) -> None:
        """A booktabs table in a ``table`` float with its caption above; headers and cells are prose."""
        align = align or "r" * len(headers)
        lines = ["\\begin{table}[H]", "\\centering", TABLE_CAPTION_SKIPS] + ([f"\\caption{{{caption}}}"] if caption else []) + [
            f"\\begin{{tabular}}{{{align}}}", "\\toprule", " & ".join(headers) + r" \\", "\\midrule"]
        lines += [" & ".join(row) + r" \\" for row in rows]
        lines += ["\\bottomrule", "\\end{tabular}", "\\end{table}"]
        self.parts.append("\n".join(lines))

    def figure(self, picture: str, caption: str) -> None:
        self.parts.append("\\begin{figure}[H]\n\\centering\n" + picture + f"\n\\caption{{{caption}}}\n\\end{{figure}}")

    def raw(self, latex: str) -> None:
        self.parts.append(latex)

    # -- proofs --
    def clause(self, proof: sy.Proof) -> str:
        """What a proof proved, in the catalogue's words (a proof without an entry: its statement, escaped)."""
        if not proof.key:
            return self.escape(proof.statement)
        args = {name: self.tex(value) if isinstance(value, sp.Basic) else self.size_math(value)
                for name, value in proof.args.items()}
        if "where" in args:
            args["where"] = self.say(args["where"], **args)
        return self.say(proof.key, **args)

    def proofs(self, proofs: Sequence[sy.Proof]) -> None:
        """One sentence for a section's proofs: what was proved and by which route, no timings; a failed proof
        in bold with its counterexample (the command then exits 1).  ``verbose`` adds the counts and times as a
        comment."""
        if not proofs:
            return
        if self.verbose:
            for proof in proofs:
                self.comment(("✓ " if proof.holds else "✗ ") + proof.sentence())
        held = [proof for proof in proofs if proof.holds]
        for proof in proofs:
            if not proof.holds:
                self.proved = False
                self.paragraph(self.say("proof.failed", clause=self.clause(proof),
                                        counterexample=proof.counterexample or ""))
        if held:
            self.paragraph(self.say("proof.lead", clauses=phrase(self.lang, "proof.join").join(
                self.clause(proof) for proof in held)))

    def checks(self, checks: Sequence[sy.Proof]) -> None:
        """One sentence for a section's numeric checks (what was compared, exactly, with the NumPy backend); a failed
        one in bold with what differed (the command then exits 1).  Written through :meth:`paragraph` and
        :meth:`say`, so every writer that has those has this."""
        if not checks:
            return
        held = [check for check in checks if check.holds]
        for check in checks:
            if not check.holds:
                self.proved = False
                self.paragraph(self.say("grad.check_failed", clause=self.clause(check),
                                        counterexample=self.escape(check.counterexample or "")))
        if held:
            self.paragraph(self.say("grad.checked", clauses=phrase(self.lang, "proof.join").join(
                self.clause(check) for check in held)))

    def render(self) -> str:
        return "\n".join(self.parts) + "\n"


def _math_size(value):
    """A size such as ``2×3`` inside ``$…$``."""
    return str(value).replace("×", r" \times ")


class MarkdownWriter(LatexWriter):
    """The same note for Obsidian, Typora and Jupyter: ``$…$`` inline, ``$$…$$`` display, ``aligned`` for a
    derivation, pipe tables."""

    markdown = True
    _number = 0

    def marks(self, prose: str, in_math: bool = False) -> str:
        return LatexWriter.marks(self, prose) if in_math else prose  # Markdown's own marks

    def escape(self, text: str) -> str:
        return escape_markdown(text)

    def heading(self, prose: str) -> None:
        self.parts.append(f"### {prose}\n")

    def lead(self, prose: str) -> None:
        self.paragraph(prose)

    def title(self, text: str) -> None:
        self.parts.append(f"## {escape_markdown(text)}\n")

    def comment(self, text: str) -> None:
        self.parts.append(f"<!-- {text.replace('--', '- -')} -->")

    def _tag(self, label: str | None) -> str:
        if not (label and self.numbered):
            return ""
        self.label(label)
        self._number += 1
        return f" \\tag{{{self._number}}}"

    def math(self, body: str, wide: int = 0, label: str | None = None) -> None:
        self.parts.append("$$\n" + body + self._tag(label) + "\n$$\n")

    def align(self, rows: Sequence[tuple[str | None, tuple[str, str, str]]]) -> None:
        if not rows:
            return
        if rows[0][0]:
            self.paragraph(rows[0][0])
        lines = []
        for n, (reason, (lhs, relation, rhs)) in enumerate(rows):
            side = f" && \\text{{{reason.rstrip(':,;：，；')}}}" if n and reason else ""  # a side note, not a lead-in
            lines.append(f"{lhs} &{relation} {rhs}{side}")
        self.parts.append("$$\n\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}\n$$\n")

    def formulas(self, lead: str, lines: Sequence[str]) -> None:
        self.paragraph(lead)
        self.math("\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}")

    def box(self, heading: str, lead: str, body: str, label: str | None = None, after: str = "") -> None:
        lines = [f"**{heading}{self.say('box.end')}** {lead}", "", "$$", body + self._tag(label), "$$"]
        lines += ["", after] if after else []
        self.parts.append("\n".join("> " + line if line else ">" for line in lines) + "\n")

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]], caption: str = "",
              align: str | None = None) -> None:
        # LaTeX's column types as Markdown's alignment: numbers right, prose (l, p{…}) left
        columns = re.findall(r"[lcr]|p\{[^}]*\}", align) if align else ["r"] * len(headers)
        rule = "|" + "".join({"l": ":---|", "c": ":---:|"}.get(c, "---:|" if c == "r" else ":---|") for c in columns)
        lines = ([f"*{caption}*", ""] if caption else []) + ["| " + " | ".join(headers) + " |", rule]
        # a | inside a cell (a layer named a|b, a ∣ in math) would end the cell: GFM reads \| as a literal |
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
        self.parts.append("\n".join(lines) + "\n")

    def figure(self, picture: str, caption: str) -> None:
        # TikZ does not render in Markdown viewers; keep the source for those who compile it.
        self.parts.append(f"*{caption}*\n\n```latex\n{picture}\n```\n")

    def raw(self, latex: str) -> None:
        self.parts.append("```latex\n" + latex + "\n```\n")

    def proofs(self, proofs: Sequence[sy.Proof]) -> None:
        LatexWriter.proofs(self, proofs)


class TypstWriter(LatexWriter):
    """The same note in Typst: headings, ``$ … $`` displays lined up at ``&``, the boxes as stroked blocks,
    ``#table`` figures with their captions above, and with ``numbered`` the key equations numbered and labelled
    (``<eq:tconv-size>``, referred to as ``@eq:tconv-size``).  Every formula is printed by
    :class:`tconvcalc.typst_math.TypstPrinter`; the catalogue's words and hand-written math are turned into
    Typst by :func:`tconvcalc.typst_math.prose`."""

    typst = True

    def marks(self, prose: str, in_math: bool = False) -> str:
        return tm.prose(prose)

    def say(self, key: str, **values) -> str:
        # the template is turned into Typst first, then the values (already Typst) go in: a value is never
        # read twice; one inside a code span loses its backquotes, which would end the span
        template = CATALOGUES[self.lang][key]
        slots = re.sub("«([a-z_]+)»", lambda m: f"\x02{m.group(1)}\x03", template)
        text = tm.prose(slots)
        return re.sub("\x02([a-z_]+)\x03", lambda m: str(values[m.group(1)]).replace("`", "'"), text)

    def escape(self, text: str) -> str:
        return tm.escape_markup(text)

    def heading(self, prose: str) -> None:
        self.parts.append(f"=== {prose}\n")

    def title(self, text: str) -> None:
        self.parts.append(f"== {self.escape(text)}\n")

    def lead(self, prose: str) -> None:
        self.paragraph(prose)

    def comment(self, text: str) -> None:
        self.parts.append("// " + text.replace("\n", " "))

    # -- mathematics, by the Typst printer --
    def tex(self, expr, **settings) -> str:
        return tm.typst_math(expr, symbol_names=tm.typst_names(expr), **settings)

    def named(self, expr) -> str:
        return self.tex(expr)

    def step_math(self, step: sy.Step, expr=None) -> str:
        expr = step.expr if expr is None else expr
        names = tm.typst_names(expr)
        if step.values:  # placeholders print as their numbers, the products between them dotted
            names.update({symbol: str(value) for symbol, value in step.values.items()})
            return tm.typst_math(expr, symbol_names=names, mul_symbol="dot")
        return tm.typst_math(expr, symbol_names=names)

    def sides(self, step: sy.Step) -> tuple[str, str, str] | None:
        if not isinstance(step.expr, sp.core.relational.Relational):
            return None
        relation = tm.TypstPrinter._RELATIONS[step.expr.rel_op]
        return self.step_math(step, step.expr.lhs), relation, self.step_math(step, step.expr.rhs)

    def m(self, latex: str) -> str:
        return tm.latex_fragment(latex)

    def size_math(self, value) -> str:
        return str(value).replace("×", " times ")

    def stack(self, lines: Sequence[str], aligned: bool = True, one_line: bool = False) -> str:
        return " \\\n".join(lines)

    def matrix(self, matrix: sp.MatrixBase) -> str:
        return tm.typst_math(matrix)

    def _display(self, body: str, label: str | None) -> str:
        if label and self.numbered:
            return (f'#math.equation(block: true, numbering: "(1)", $ {body} $) <{self.label(label)}>')
        return f"$ {body} $"

    def math(self, body: str, wide: int = 0, label: str | None = None) -> None:
        display = self._display(body, label)
        # a wide matrix in smaller type, as the LaTeX sets it in \small with narrow columns
        self.parts.append(f"#text(size: 0.8em)[{display}]\n" if wide > 8 else display + "\n")

    def align(self, rows: Sequence[tuple[str | None, tuple[str, str, str]]]) -> None:
        """The rows lined up at their relation; a reason (LaTeX's ``\\intertext``) stands as a paragraph between
        displays, and the rows after it are lined up together."""
        block: list[str] = []
        for reason, (lhs, relation, rhs) in rows:
            if reason:
                self._flush(block)
                self.paragraph(reason)
            block.append(f"{lhs} &{relation} {rhs}")
        self._flush(block)

    def _flush(self, block: list[str]) -> None:
        if block:
            self.parts.append("$ " + " \\\n  ".join(block) + " $\n")
            block.clear()

    def formulas(self, lead: str, lines: Sequence[str]) -> None:
        self.paragraph(lead)
        self.parts.append("$ " + " \\\n  ".join(lines) + " $\n")

    def box(self, heading: str, lead: str, body: str, label: str | None = None, after: str = "") -> None:
        lines = ["#block(stroke: 0.6pt, inset: 8pt, width: 100%, breakable: false)[",
                 f"*{heading}{self.say('box.end')}* {lead}", self._display(body, label)]
        self.parts.append("\n".join(lines + ([after] if after else []) + ["]"]) + "\n")

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]], caption: str = "",
              align: str | None = None) -> None:
        """A booktabs-like table (rules at the top, under the header and at the bottom) in a figure with its
        caption above; LaTeX's column types become Typst's widths and alignments."""
        columns = re.findall(r"[lcr]|p\{[^}]*\}", align) if align else ["r"] * len(headers)
        widths = [f"{float(re.search(r'[0-9.]+', c).group()) * 100:g}%" if c.startswith("p") else "auto"
                  for c in columns]
        aligns = [{"l": "left", "c": "center"}.get(c, "right" if c == "r" else "left") for c in columns]
        cell = lambda text: f"[{text}]"  # noqa: E731
        lines = [f"#figure(kind: table, table(columns: ({', '.join(widths)},), align: ({', '.join(aligns)},),",
                 "  stroke: none, table.hline(),",
                 "  table.header(" + ", ".join(map(cell, headers)) + "), table.hline(stroke: 0.5pt),"]
        lines += ["  " + ", ".join(map(cell, row)) + "," for row in rows]
        lines += ["  table.hline()),", f"  caption: figure.caption(position: top)[{caption}])" if caption else ")"]
        if not caption:
            lines[-2] = lines[-2] + ")"
            lines.pop()
        self.parts.append("\n".join(lines) + "\n")

    def figure(self, picture: str, caption: str) -> None:
        # the figure is TikZ; Typst has none, so the note says where to find it
        self.paragraph(self.say("figure.typst"))


def breakable_align(lines: Sequence[str]) -> str:
    """An ``align*`` that may break across pages between its lines (``\\allowdisplaybreaks``, kept local), but never
    after its first line or before its last: a page never starts or ends with one stray line of it."""
    math = [n for n, line in enumerate(lines) if not line.startswith("\\intertext")]
    keep = {math[0], math[-2]} if len(math) > 1 else set()
    body = []
    for n, line in enumerate(lines):
        later_math = n in math and n != math[-1]
        body.append(line + ((r" \\*" if n in keep else r" \\") if later_math else ""))
    return "\\begingroup\\allowdisplaybreaks\n\\begin{align*}\n" + "\n".join(body) + "\n\\end{align*}\n\\endgroup"


def make_writer(markdown: bool = False, typst: bool = False, **options) -> LatexWriter:
    """The writer for the format asked for: LaTeX, Markdown (``markdown``) or Typst (``typst``)."""
    if markdown and typst:
        raise ParameterError("markdown and typst both asked for, a note is written one way; keep one of them")
    return (TypstWriter if typst else MarkdownWriter if markdown else LatexWriter)(**options)


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
    writer.paragraph(writer.say("matrix.lead"))
    for transpose in ((True,) if transpose_only else (False, True)):
        matrix, elided = op.elided(transpose, full)
        shape = (cols, rows) if transpose else (rows, cols)
        label = writer.m(r"C^{\mathsf{T}}" if transpose else "C")
        if elided:  # with its matrix on one page
            writer.lead(writer.say("matrix.elided", name=label, rows=shape[0], cols=shape[1], nnz=op.nnz_bound))
        writer.math(f"{label} = {writer.matrix(matrix)}", wide=matrix.cols, label="matrix" if transpose else None)


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


def _reason(writer: LatexWriter, step: sy.Step, first: bool) -> str | None:
    """A step's words as the catalogue says them (Markdown puts the later ones inside ``\\text``)."""
    if not CATALOGUES[writer.lang].get(step.key):  # no words of its own (a value continuing the line above)
        return None
    args = dict(step.args or {})
    if step.key == "size.values":
        args["where"] = ("" if args.get("axis") is None else writer.say("where", n=args["axis"])
                         if not args.get("alike") else writer.say("table.alike"))
    if writer.markdown and not first:
        return writer.math_say(step.key, **args)
    return writer.say(step.key, **args)


def _rows(writer: LatexWriter, steps: Sequence[sy.Step]) -> list:
    """``align`` rows for steps stating relations; a step whose lhs repeats the one above continues it."""
    rows, previous = [], None
    for step in steps:
        sides = writer.sides(step)
        if sides is None:
            continue
        lhs = "" if step.key == "size.value" and previous is not None else sides[0]
        rows.append((_reason(writer, step, not rows), (lhs, sides[1], sides[2])))
        previous = sides[0]
    return rows


def _keyed(der: sy.Derivation, *keys: str) -> list[sy.Step]:
    return [step for step in der.steps if step.key in keys]


def _step(der: sy.Derivation, key: str) -> sy.Step:
    return next(step for step in der.steps if step.key == key)


def _stated(writer: LatexWriter, step: sy.Step) -> str:
    lhs, relation, rhs = writer.sides(step)
    return f"{lhs} {relation} {rhs}"


def _notes_for(writer: LatexWriter, der: sy.Derivation, *keys: str) -> None:
    """Steps of words only (a check skipped, a sum not evaluated), in the catalogue's words."""
    for step in der.steps:
        if step.key in keys and step.expr is None:
            args = dict(step.args or {})
            if "then" in args:
                args["then"] = writer.say(args["then"], **args)
            writer.paragraph(writer.say(step.key, **args))


def size_body(writer: LatexWriter, der: sy.Derivation) -> None:
    """The general derivation in one ``align*``, the result in a relationship box, then the layer's values."""
    general = _keyed(der, "size.scatter", "size.min", "size.max", "size.full", "size.crop", "size.pytorch")
    writer.align(_rows(writer, general))
    writer.box(writer.say("box"), writer.say("size.box"), _stated(writer, general[-1]), label="tconv-size")
    values = _keyed(der, "size.values", "size.value")
    if len(values) > 2 and all(step.latex() == values[n % 2].latex() for n, step in enumerate(values)):
        # every axis alike: its numbers once
        first = values[0]
        values = [sy.Step(first.text, first.expr, first.values, first.key, {**first.args, "alike": True}), values[1]]
    writer.align(_rows(writer, values))
    writer.proofs(der.proofs)


def ambiguity_body(writer: LatexWriter, der: sy.Derivation) -> None:
    writer.align(_rows(writer, _keyed(der, "amb.conv", "amb.from", "amb.to", "amb.tconv", "amb.op_from",
                                      "amb.op_to")))
    writer.box(writer.say("box"), writer.say("amb.box"),
               _stated(writer, _step(der, "amb.op_from")) + writer.m(r",\qquad ") + _stated(writer, _step(der, "amb.op_to")), label="op-range",
               after=writer.say("amb.accept"))


def equivalence_body(writer: LatexWriter, der: sy.Derivation) -> None:
    writer.align(_rows(writer, _keyed(der, "eqv.stretch", "eqv.lo", "eqv.hi", "eqv.flip", "eqv.out")))
    writer.box(writer.say("box"), writer.say("eqv.box"),
               _stated(writer, _step(der, "eqv.lo")) + writer.m(r",\qquad ") + _stated(writer, _step(der, "eqv.hi")), label="equivalence")
    axis = writer.say("eqv.head.axis")
    headers = [axis] + [f"${writer.m(h)}$" for h in ("s - 1", "i_z", r"p_{\mathrm{lo}}", r"p_{\mathrm{hi}}", "s'", "d", "o'")]
    rows = [[str(e["axis"]), str(e["zeros_between"]), str(e["stretched_size"]), str(e["pad_before"]),
             str(e["pad_after"]), "1", str(e["dilation"]), str(e["output_size"])] for e in der.results["equivalent"]]
    writer.table(headers, rows, writer.say("eqv.caption"))
    _notes_for(writer, der, "skip.check")
    writer.proofs(der.proofs)


def derivation_body(writer: LatexWriter, der: sy.Derivation) -> None:
    """A derivation as notes: the derivations the catalogue knows typeset by their own writers; any other (a
    network's domain) step by step, its words escaped."""
    if der.key in BODIES:
        BODIES[der.key](writer, der)
        return
    for step in der.steps:
        if step.text:
            writer.text(step.text + (":" if step.expr is not None else "."))
        if step.expr is not None:
            writer.math(writer.step_math(step))
    writer.proofs(der.proofs)


def derivation_latex(der: sy.Derivation, markdown: bool = False, **options) -> str:
    """``derive NAME --latex`` / ``--markdown``: the heading and the derivation; ``options`` are the writer's
    (``lang``, ``numbered``, ``label_prefix``, ``verbose``)."""
    writer = make_writer(markdown, **options)
    if der.key:
        writer.heading(writer.say(f"title.{der.key}"))
    else:
        writer.heading(writer.escape(der.title))
    derivation_body(writer, der)
    return writer.render()


def relationships_latex(relationships: Sequence[sy.Relationship], markdown: bool = False, **options) -> str:
    writer = make_writer(markdown, **options)
    writer.heading(writer.say("title.relationships"))
    for rel in relationships:
        lhs = writer.tex(sp.Symbol(rel.lhs))
        if rel.conditions:
            lead = writer.say("rel.for") + " " + ", ".join(f"${writer.named(c)}$"
                                                           for c in rel.conditions) + ("，" if writer.lang == "zh" else ",")
        else:
            lead = writer.say("rel.any")
        heading = writer.say("rel.box", n=rel.number, title=writer.say(f"rel.{rel.number}"))
        writer.box(heading, lead, f"{lhs} = {writer.tex(rel.derived)}", label=f"relationship-{rel.number}")
        writer.align(_rows(writer, rel.extra))
        writer.proofs([rel.proof])
    return writer.render()


def formulas_body(writer: LatexWriter, der: sy.Derivation, outputs: Sequence[tuple[str, str]], total: int) -> None:
    """The closed form boxed with its conditions stated beside it (conv_arithmetic's way, not brackets), then
    the first outputs and the last, expanded (or why not: see ``expanded_outputs``)."""
    form = der.notes["closed_form"]
    sides = [writer.sides(sy.Step("", form["sum"])), writer.sides(sy.Step("", form["source"]))]
    body = writer.stack([f"{lhs} &{rel} {rhs}" for lhs, rel, rhs in sides], one_line=True)
    conditions = ", ".join(f"${writer.tex(c)}$" for c in form["conditions"])
    guard = writer.say("formulas.guard" if form["source"].lhs.name == "n" else "formulas.guard_axis")
    writer.box(writer.say("box"), writer.say("formulas.lead"), body, label="closed-form",
               after=f"{guard} {conditions}.")
    _notes_for(writer, der, "formulas.not_evaluated")
    if outputs:
        lead = (writer.say("formulas.shown", shown=len(outputs), total=total) if len(outputs) < total
                else writer.say("formulas.all"))
        lines = [f"{lhs} &= {rhs}" for lhs, rhs in outputs]
        if len(outputs) < total and len(outputs) > 1:
            lines.insert(-1, writer.m(r"&\;\;\vdots"))
        writer.formulas(lead, lines)
    writer.proofs(der.proofs)


def formulas_section(writer: LatexWriter, layer: Layer, op: sy.ConvOperator, full: bool = False) -> None:
    outputs, expanded, der = sy.expanded_outputs(layer, full, symbol=op.symbol)
    formulas_body(writer, der, [(writer.tex(op.output_symbol(c)), writer.tex(e)) for c, e in zip(outputs, expanded)],
                  op.shape[1])


def _derived_formulas(writer: LatexWriter, der: sy.Derivation) -> None:
    outputs = [(writer.step_math(step, step.expr.lhs), writer.step_math(step, step.expr.rhs))
               for step in _keyed(der, "formulas.output")]
    formulas_body(writer, der, outputs, der.notes.get("outputs", len(outputs)))


def equivalence_section(writer: LatexWriter, layer: Layer, op: sy.ConvOperator) -> None:
    """The equivalent direct convolution, its table, and the proof (every output of a small layer, else the
    first and last outputs, as :func:`tconvcalc.symbolic.derive_equivalence` decides and says)."""
    equivalence_body(writer, sy.derive_equivalence(layer, op.symbol))


def _isotropic(layer: Layer) -> bool:
    return len(set(layer.axes)) == 1


def _ambiguity_table(writer: LatexWriter, der: sy.Derivation, layer: Layer) -> None:
    axes = [0] if _isotropic(layer) else list(range(layer.ndim))
    heads = ["table.head.op", "table.head.o", "table.head.back", "table.head.inverts", "table.head.sizes"]
    headers = [writer.say(h) for h in (["table.head.axis"] if len(axes) > 1 else []) + heads]
    rows = []
    previous = None
    for row in der.results["table"]:
        if row["axis"] not in axes:
            continue
        if previous is not None and row["output_padding"] > previous + 1:  # a long table: its middle left out
            rows.append(([""] if len(axes) > 1 else []) + ["$" + writer.m(r"\vdots") + "$", "", "", "", ""])
        previous = row["output_padding"]
        first, last = der.results["conv_sizes"][row["axis"]]
        sizes = (", ".join(map(str, range(first, last + 1))) if last - first < 4 else f"{first}--{last}"
                 ) if row["inverts"] else writer.say("none")
        if writer.markdown:
            sizes = sizes.replace("--", "–")
        rows.append(([str(row["axis"])] if len(axes) > 1 else []) + [
            str(row["output_padding"]) + (" " + writer.say("table.chosen") if row["chosen"] else ""),
            str(row["output_size"]), str(row["conv_output_size"]), writer.say("yes" if row["inverts"] else "no"),
            sizes])
    alike = writer.say("table.alike") if layer.ndim > 1 and len(axes) == 1 else ""
    writer.table(headers, rows, writer.say("table.caption", alike=alike))


def table_section(writer: LatexWriter, layer: Layer) -> None:
    der = sy.derive_ambiguity(layer)
    _ambiguity_table(writer, der, layer)
    ambiguity_body(writer, der)
    writer.proofs(der.proofs)


def _derived_ambiguity(writer: LatexWriter, der: sy.Derivation) -> None:
    ambiguity_body(writer, der)
    writer.proofs(der.proofs)


def _phases_body(writer: LatexWriter, der: sy.Derivation) -> None:
    writer.align(_rows(writer, _keyed(der, "ph.write", "ph.reach")))
    writer.box(writer.say("box"), writer.say("ph.conv"), _stated(writer, sy.Step("", der.notes["phase_sum"])),
               label="phases", after=f"{writer.say('formulas.guard')} ${_stated(writer, sy.Step('', der.notes['phase_condition']))}$.")
    axes = sorted({row["axis"] for row in der.results["phases"]})
    for axis in axes:
        rows = []
        listed = [row for row in der.results["phases"] if row["axis"] == axis]
        for n, row in enumerate(listed):
            if n and row["phase"] > listed[n - 1]["phase"] + 1:
                rows.append(["$" + writer.m(r"\vdots") + "$", writer.say("ph.more", count=row["phase"] - listed[n - 1]["phase"] - 1), "", ""])
            taps = ", ".join(writer.m(r"\dots") if a == "…" else str(a) for a in row["taps"])
            offsets = ", ".join(writer.m(r"\dots") if c == "…" else str(c) for c in row["offsets"])
            rows.append([f"${row['phase']}$", f"${taps}$" if taps else "--", str(row["tap_count"]),
                         f"${offsets}$" if offsets else "--"])
        where = writer.say("where", n=axis) if len(axes) > 1 else ""
        writer.table([writer.say(h) for h in ("ph.head.r", "ph.head.taps", "ph.head.count", "ph.head.offsets")],
                     rows, writer.say("ph.caption", where=where))
    verdict = next(step for step in der.steps if step.key in ("ph.uniform", "ph.checker"))
    sentence = writer.say(verdict.key)
    for n, s_, low, high in (verdict.args or {}).get("ranges", []):
        where = writer.say("where", n=n) if len(der.results["phase_count"]) > 1 else ""
        sentence += writer.say("ph.range", s=s_, where=where, low=low, high=high)
    writer.paragraph(sentence)
    _notes_for(writer, der, "skip.check")
    writer.proofs(der.proofs)


def gradient_body(writer: LatexWriter, der: sy.Derivation) -> None:
    """The backward pass: each derivation in one ``align*``, each result boxed (∂L/∂x = Cᵀg with its output padding,
    ∂L/∂w as a correlation, the converse), the layer's output padding, then what was proved and what checked."""
    writer.align(_rows(writer, _keyed(der, "grad.conv", "grad.conv_size", "grad.dx", "grad.dx_pairs", "grad.dx_tconv")))
    writer.box(writer.say("box"), writer.say("grad.box.dx"), _stated(writer, sy.Step("", der.notes["input_gradient"]))
               + writer.m(r",\qquad ") + _stated(writer, _step(der, "grad.op_mod")), label="gradient-input")
    rows = _rows(writer, _keyed(der, "grad.op", "grad.op_mod"))
    for step in _keyed(der, "grad.op_values", "size.value"):
        args = dict(step.args or {})
        where = "" if args.get("axis") is None else phrase(writer.lang, "where", n=args["axis"])
        lhs, relation, rhs = writer.sides(step)
        reason = (writer.math_say if writer.markdown else writer.say)("grad.op_values", **{**args, "where": where}) \
            if step.key == "grad.op_values" else None
        rows.append((reason, ("" if step.key == "size.value" else lhs, relation, rhs)))
    writer.align(rows)
    writer.align(_rows(writer, _keyed(der, "grad.dw", "grad.dw_corr", "grad.dw_size")))
    writer.box(writer.say("box"), writer.say("grad.box.dw"), _stated(writer, _step(der, "grad.dw_corr")),
               label="gradient-weight", after=writer.say("grad.shape", shape=writer.size_math(_step(der, "grad.shape").args["shape"])))
    writer.align(_rows(writer, _keyed(der, "grad.tconv", "grad.du", "grad.dwt")))
    writer.box(writer.say("box"), writer.say("grad.box.converse"), _stated(writer, _step(der, "grad.du")) + writer.m(r",\qquad ")
               + _stated(writer, _step(der, "grad.dwt")), label="gradient-converse")
    _notes_for(writer, der, "grad.skip")
    writer.proofs([proof for proof in der.proofs if not isinstance(proof, sy.NumericCheck)])
    writer.checks([proof for proof in der.proofs if isinstance(proof, sy.NumericCheck)])


# --- Cᵀ versus C⁻¹ and C⁺ -----------------------------------------------------------------------------


def _measured_math(writer: LatexWriter, value: str) -> str:
    """A measured error as :func:`tconvcalc.symbolic.inverse.significant` prints it, as inline math: ``< 1e-12``
    and ``4.2e-05`` in powers of ten."""
    if value.startswith("<"):
        return "$" + writer.m(r"< 10^{-12}") + "$"
    mantissa, _, power = value.partition("e")
    return "$" + writer.m(f"{mantissa} \\cdot 10^{{{int(power)}}}" if power else value) + "$"


def _steps_body(writer: LatexWriter, steps: Sequence[sy.Step]) -> None:
    """Steps in order: consecutive relations in one ``align*`` (reasons in ``\\intertext``), any other formula
    displayed after its words, words alone as a paragraph."""
    run: list[sy.Step] = []

    def flush():
        writer.align(_rows(writer, run))
        run.clear()

    for step in steps:
        if step.sides() is not None:
            run.append(step)
            continue
        flush()
        if step.expr is None:
            writer.paragraph(writer.say(step.key))
        else:
            writer.lead(writer.say(step.key))
            writer.math(writer.step_math(step))
    flush()


def inverse_body(writer: LatexWriter, der: sy.Derivation) -> None:
    """Cᵀ versus C⁻¹ and C⁺: the general derivation (relations aligned), the right inverse boxed, the square case and
    the rank; the proofs; this layer's verdicts and its proof; the measured numbers in a table, said to be measured."""
    rows, cols = der.results["shape"]
    writer.lead(writer.say("inv.lead", rows=rows, cols=cols))
    general = [step for step in der.steps if step.key not in sy.LAYER_STEPS and not step.key.startswith("inv.m_")]
    split = next(n for n, step in enumerate(general) if step.key == "inv.right")
    _steps_body(writer, general[:split])
    writer.box(writer.say("box"), writer.say("inv.box"), _stated(writer, general[split]), label="right-inverse")
    _steps_body(writer, general[split + 1:])
    writer.proofs([proof for proof in der.proofs if not proof.key.startswith("proof.inv_layer")])
    for step in der.steps:
        if step.key not in sy.LAYER_STEPS:
            continue
        args = dict(step.args or {})
        if step.key == "inv.layer":
            args["where"] = "" if args["n"] is None else phrase(writer.lang, "where", n=args["n"])
            args["relation"] = writer.m("<" if args["holds"] else r"\ge")
        elif step.key == "inv.is_diagonal":
            args["padding_only"] = phrase(writer.lang, "inv.padding_only") if args["padding_only"] else ""
        elif step.key == "inv.no_right":
            args["why"] = phrase(writer.lang, "inv.why.overlap" if args["overlap"] else "inv.why.partial")
        writer.paragraph(writer.say(step.key, **args))
    writer.proofs([proof for proof in der.proofs if proof.key.startswith("proof.inv_layer")])
    if "rank" in der.results:
        measured = {step.key: step.args for step in der.steps if step.key.startswith("inv.m_")}
        r = der.results
        writer.lead(writer.say("inv.measured", seed=r["seed"]))
        table = [[writer.say("inv.m_rank", cols=cols), f"${r['rank']}$"],
                 [writer.say("inv.m_null"), f"${r['null_space']}$"],
                 [writer.say("inv.m_transpose"), _measured_math(writer, measured["inv.m_transpose"]["value"])],
                 [writer.say("inv.m_pinv"), _measured_math(writer, measured["inv.m_pinv"]["value"])],
                 [writer.say("inv.m_lost"), _measured_math(writer, measured["inv.m_pinv"]["lost"])]]
        writer.table([writer.say("inv.head.quantity"), writer.say("inv.head.value")], table,
                     writer.say("inv.caption"), align="lr")
    writer.paragraph(writer.say("inv.said"))


BODIES = {"size": size_body, "ambiguity": _derived_ambiguity, "equivalence": equivalence_body,
          "phases": _phases_body, "formulas": _derived_formulas, "gradient": gradient_body,
          "inverse": inverse_body}


# --- TikZ figure in the style of conv_arithmetic -----------------------------------------


def tikz_figure(layer: Layer, lang: str = "en") -> str:
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
    lines.append(f"  \\node[below] at ({cols_in / 2},{-rows_in - 0.3}) {{{phrase(lang, 'figure.input')} ${_axes_values(layer, 'i')}$}};")
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
                 f"{{{phrase(lang, 'figure.stretched')}}};")
    # Output grid with output 0 marked.
    x1 = x0 + len(col_kinds) + 2
    for r in range(rows_out):
        for c in range(cols_out):
            lines.append(f"  \\draw[fill=cyan!{60 if (r, c) == (0, 0) else 20}] ({x1 + c},{-r}) rectangle ++(1,-1);")
    lines.append(f"  \\node[below] at ({x1 + cols_out / 2},{-rows_out - 0.3}) {{{phrase(lang, 'figure.output')} ${_axes_values(layer, 'o')}$}};")
    lines.append(f"  \\draw[->, thick] ({cols_in + 0.3},{-rows_in / 2}) -- ({x0 - 0.3},{-rows_in / 2});")
    lines.append(f"  \\draw[->, thick] ({x1 - 1.7},{-rows_out / 2}) -- ({x1 - 0.3},{-rows_out / 2});")
    lines.append("\\end{tikzpicture}")
    return "\n".join(lines)


def figure_section(writer: LatexWriter, layer: Layer) -> None:
    picture = tikz_figure(layer, writer.lang)
    writer.figure(picture, writer.say("figure.caption", i=_axes_values(layer, "i"), o=_axes_values(layer, "o")))


# --- the document ----------------------------------------------------------------------------


def layer_document(layer: Layer, what: Sequence[str] = DEFAULT_SECTIONS, *, full: bool = False,
                   markdown: bool = False, title: str | None = None, symbol: str = "w", **options) -> str:
    """The fragment for notes: the chosen sections (:mod:`tconvcalc.notes`) for one transposed convolution;
    ``options`` are the writer's: ``lang`` (``en``, ``zh``), ``numbered``, ``label_prefix``, ``verbose``."""
    return layer_writer(layer, what, full=full, markdown=markdown, title=title, symbol=symbol, **options).render()


def layer_writer(layer: Layer, what: Sequence[str] = DEFAULT_SECTIONS, *, full: bool = False,
                 markdown: bool = False, title: str | None = None, symbol: str = "w", derived: dict | None = None,
                 **options) -> LatexWriter:
    """:func:`layer_document`'s writer, not yet rendered: its ``proved`` says whether every proof held.

    ``derived`` holds derivations made elsewhere: ``inverse`` (:func:`tconvcalc.symbolic.derive_inverse` with its
    measured numbers, which NumPy makes: ``tconvcalc.reports.symbolic.notes`` passes it), read for C of the layer -
    the convolution whose transpose the layer is."""
    derived = derived or {}
    if "inverse" in what and "inverse" not in derived:
        raise ParameterError("the inverse section needs its derivation with the measured numbers, which the notes "
                             "do not make themselves; pass derived={'inverse': derive_inverse(layer, measured)} "
                             "or build the notes with tconvcalc.reports.symbolic.notes")
    what = sections(",".join(what))  # validated: unknown names are refused with the list
    writer = make_writer(markdown, **options)
    op = sy.operator_from_axes(layer.axes, symbol=symbol)
    if title:
        writer.title(title)
    writer.paragraph(writer.say("intro", ndim=layer.ndim))
    writer.math(writer.m(parameters_math(layer)))
    write = {
        "size": lambda: size_body(writer, sy.derive_output_size(layer)),
        "matrix": lambda: matrix_section(writer, op, full),
        "formulas": lambda: formulas_section(writer, layer, op, full),
        "equivalence": lambda: equivalence_section(writer, layer, op),
        "table": lambda: table_section(writer, layer),
        "figure": lambda: figure_section(writer, layer),
        "gradient": lambda: gradient_body(writer, sy.derive_gradient(layer)),
        "inverse": lambda: inverse_body(writer, derived["inverse"]),
    }
    for section in what:
        writer.heading(writer.say(f"title.{section}"))
        write[section]()
    return writer


def standalone(body: str, title: str | None = None, lang: str = "en") -> str:
    """A complete document around a fragment: amsmath, amssymb, booktabs, tikz only (and ctex for Chinese,
    compiled by XeLaTeX or LuaLaTeX)."""
    head = [
        "\\documentclass[10pt,a4paper]{article}",
        *(["\\usepackage[UTF8]{ctex}"] if check_language(lang) == "zh" else []),
        *(f"\\usepackage{{{name}}}" for name in PREAMBLE_PACKAGES),
        # Wider text block without the geometry package: matrices need the room.
        "\\setlength{\\textwidth}{17cm}\\setlength{\\oddsidemargin}{-0.5cm}\\setlength{\\evensidemargin}{-0.5cm}",
        "\\setlength{\\textheight}{24cm}\\setlength{\\topmargin}{-1.5cm}",
        "\\setlength{\\parindent}{0pt}\\setlength{\\parskip}{4pt}",
        # no paragraph's first or last line alone at a page's edge
        "\\clubpenalty=10000 \\widowpenalty=10000",
        "\\setcounter{MaxMatrixCols}{40}",
        "\\begin{document}",
    ]
    if title:
        head.append(f"\\section*{{{escape_text(title, unicode=lang != 'en')}}}")
    return "\n".join(head) + "\n" + body + "\\end{document}\n"


def tex_engine(lang: str = "en") -> str | None:
    """The engine that compiles a note in ``lang``: pdflatex (else lualatex) for English; XeLaTeX (else LuaLaTeX)
    for Chinese, which ctex needs a Unicode engine for."""
    for engine in (("xelatex", "lualatex") if lang == "zh" else ("pdflatex", "lualatex")):
        if shutil.which(engine):
            return engine
    return None


TEX_INSTALL = "apt-get install texlive-latex-base texlive-latex-recommended texlive-pictures"
ZH_INSTALL = "apt-get install texlive-xetex texlive-lang-chinese"


def pdf_engine(layer: Layer, sections: Sequence[str], full: bool, lang: str = "en") -> str | None:
    """The engine for this document: pdflatex's (and XeTeX's) fixed memory holds a whole matrix display of about
    :data:`PDF_MAX_CELLS` cells; LuaTeX's memory grows, so a larger whole C needs lualatex.  A Chinese note needs
    XeLaTeX or LuaLaTeX: without either it stops here, with the install line."""
    rows, cols = prod(axis.i for axis in layer.axes), prod(axis.o for axis in layer.axes)
    if not (full and "matrix" in sections and rows * cols > PDF_MAX_CELLS):
        engine = tex_engine(lang)
        if engine is None and lang == "zh":
            raise NotInstalledError("xelatex (or lualatex)", "compiling the Chinese notes with ctex", ZH_INSTALL)
        return engine
    if shutil.which("lualatex") is None:
        raise NotInstalledError("lualatex", f"compiling the whole {rows}×{cols} C (pdflatex holds about "
                                f"{PDF_MAX_CELLS} cells)", "apt-get install texlive-luatex")
    return "lualatex"


_INPUT_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}\Z")


def check_input_name(name: str) -> str:
    """A file name ``\\input`` reads as it is: letters, digits and ``. _ -`` (a space or ``%`` would need quoting that
    engines disagree on)."""
    if not _INPUT_NAME.match(name) or name.startswith("."):
        raise ParameterError(f"the file name {name!r} cannot be \\input as it is, the PDF of a fragment is compiled "
                             f"through a wrapper that \\input's it; name it with letters, digits and . _ - only "
                             f"(e.g. notes.tex), or make the note a standalone document")
    return name


def compile_pdf(document: str, engine: str | None = None, inputs: dict[str, str] | None = None) -> bytes:
    """Run a TeX engine on a complete document and return the PDF's bytes; ``inputs`` are the files it
    ``\\input``'s (name without ``.tex`` -> text), written beside it.

    A missing engine or LaTeX package is a :class:`NotInstalledError` with the install line; any
    other failure would be a bug in the generated LaTeX (:class:`TconvcalcError`).
    """
    engine = engine or tex_engine()
    chinese = "{ctex}" in document
    install = ZH_INSTALL if chinese else TEX_INSTALL
    if engine is None or shutil.which(engine) is None:
        raise NotInstalledError("a TeX engine (pdflatex or lualatex)", "compiling the PDF", install)
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "tconvcalc-document.tex"
        source.write_text(document, encoding="utf-8")
        for name, text in (inputs or {}).items():
            (Path(folder) / f"{name}.tex").write_text(text, encoding="utf-8")
        result = subprocess.run([engine, "-halt-on-error", "-interaction=nonstopmode", source.name], cwd=folder,
                                capture_output=True, text=True, errors="replace", timeout=180)
        pdf = source.with_suffix(".pdf")
        if result.returncode != 0 or not pdf.exists():
            missing = re.search(r"File `([^']+\.sty)' not found", result.stdout)
            if missing:
                raise NotInstalledError(f"the LaTeX package {missing.group(1)}", f"{engine}", install)
            errors = [line for line in result.stdout.splitlines() if line.startswith("!")]
            raise TconvcalcError(f"{engine} could not compile the document ({errors[0] if errors else 'no PDF'}), "
                                 f"the generated LaTeX must compile; please report this with the command you ran")
        return pdf.read_bytes()


# --- Typst documents ---------------------------------------------------------------------------

TYPST_INSTALL = "python -m pip install 'tconvcalc[typst]'"
CJK_INSTALL = "apt-get install texlive-lang-chinese (the Fandol fonts) or fonts-noto-cjk"
# Where Debian puts the CJK fonts a Chinese note can use: TeX Live's Fandol (texlive-lang-chinese), then Noto.
FANDOL_FOLDERS = ("/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol",
                  "/usr/share/texmf/fonts/opentype/public/fandol")
NOTO_CJK_FOLDERS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/noto")
# The font families in the order Typst tries them: Latin text in Typst's own font, Chinese in the first CJK one.
TYPST_FONTS = ("Libertinus Serif", "FandolSong", "Noto Serif CJK SC", "Noto Sans CJK SC")


def cjk_font_folder() -> str:
    """The folder of a CJK font for a Chinese note: Fandol where kpsewhich (or TeX Live's known path) finds it,
    else Debian's fonts-noto-cjk; none is a :class:`ParameterError` saying what to install."""
    if shutil.which("kpsewhich"):
        found = subprocess.run(["kpsewhich", "FandolSong-Regular.otf"], capture_output=True, text=True).stdout.strip()
        if found:
            return str(Path(found).parent)
    for folder in FANDOL_FOLDERS:
        if (Path(folder) / "FandolSong-Regular.otf").exists():
            return folder
    for folder in NOTO_CJK_FOLDERS:
        if any(Path(folder).glob("Noto*CJK*")):
            return folder
    raise ParameterError(f"a Chinese Typst note needs a CJK font and none was found (Fandol or Noto CJK); install "
                         f"one with: {CJK_INSTALL}")


def typst_standalone(body: str, title: str | None = None, lang: str = "en") -> str:
    """A complete Typst document around a fragment: A4, 10 pt, Typst's own fonts (and a CJK one for Chinese)."""
    head = ['#set page(paper: "a4", margin: (x: 2cm, y: 2cm))',
            f'#set text(size: 10pt, lang: "{check_language(lang)}", font: ({", ".join(map(repr, TYPST_FONTS))}))'
            .replace("'", '"'),
            "#set par(spacing: 0.9em)"]
    if title:
        head.append(f"= {tm.escape_markup(title)}")
    return "\n".join(head) + "\n\n" + body


def compile_typst(document: str, lang: str = "en", inputs: dict[str, str] | None = None) -> bytes:
    """Compile a complete Typst document with the ``typst`` package and return the PDF's bytes; ``inputs`` are the
    files it ``#include``'s (name without ``.typ`` -> text).  A Chinese note is given a CJK font's folder."""
    try:
        import typst
    except ImportError:
        raise NotInstalledError("the typst package", "compiling Typst notes to PDF", TYPST_INSTALL) from None
    fonts = [cjk_font_folder()] if lang == "zh" else []
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "tconvcalc-document.typ"
        source.write_text(document, encoding="utf-8")
        for name, text in (inputs or {}).items():
            (Path(folder) / f"{name}.typ").write_text(text, encoding="utf-8")
        try:
            return typst.compile(str(source), root=folder, font_paths=fonts)
        except typst.TypstError as error:
            raise TconvcalcError(f"typst could not compile the document ({str(error).splitlines()[0]}), the "
                                 f"generated Typst must compile; please report this with the command you ran") from None
