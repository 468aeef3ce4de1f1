r"""The writers notes are written with: LaTeX (:class:`LatexWriter`), Markdown (:class:`MarkdownWriter`) and
Typst (:class:`TypstWriter`), the same content each way, over SymPy's own printer.

Formulas and matrices are printed by ``sympy.latex`` (Typst: :class:`tconvcalc.notes.typst_math.TypstPrinter`);
a writer sets the scaffolding around them the way conv_arithmetic's own source does: one ``align*`` per
derivation with the reasons in ``\intertext``, the main results in framed relationship boxes (numbered and
labelled with ``numbered``), captioned booktabs tables and figures, one proof sentence per section.  Every word
comes from :mod:`tconvcalc.notes.text`, in English or Chinese.

>>> writer = make_writer(lang="zh")
>>> writer.heading(writer.say("title.size"))
>>> "\\subsection*{输出尺寸}" in writer.render()
True
"""

from __future__ import annotations

import re
from typing import Sequence

import sympy as sp

from .. import symbolic as sy
from . import typst_math as tm
from ..symbolic.vocabulary import latex_names
from .text import CATALOGUES, check_language, phrase
from ..errors import ParameterError


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

# The catalogue's light marks (tconvcalc.notes.text): `code`, **bold**, *emphasis*, read left to right so
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
        lines = (["\\begin{table}[H]", "\\centering", TABLE_CAPTION_SKIPS]
                 + ([f"\\caption{{{caption}}}"] if caption else [])
                 + [f"\\begin{{tabular}}{{{align}}}", "\\toprule", " & ".join(headers) + r" \\", "\\midrule"])
        lines += [" & ".join(row) + r" \\" for row in rows]
        lines += ["\\bottomrule", "\\end{tabular}", "\\end{table}"]
        self.parts.append("\n".join(lines))

    def figure(self, picture: str, caption: str) -> None:
        self.parts.append("\\begin{figure}[H]\n\\centering\n" + picture + f"\n\\caption{{{caption}}}\n\\end{{figure}}")

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

    def proofs(self, proofs: Sequence[sy.Proof]) -> None:
        LatexWriter.proofs(self, proofs)


class TypstWriter(LatexWriter):
    """The same note in Typst: headings, ``$ … $`` displays lined up at ``&``, the boxes as stroked blocks,
    ``#table`` figures with their captions above, and with ``numbered`` the key equations numbered and labelled
    (``<eq:tconv-size>``, referred to as ``@eq:tconv-size``).  Every formula is printed by
    :class:`tconvcalc.notes.typst_math.TypstPrinter`; the catalogue's words and hand-written math are turned into
    Typst by :func:`tconvcalc.notes.typst_math.prose`."""

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
        widths = [_typst_width(c) if c.startswith("p") else "auto" for c in columns]
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


def _typst_width(column: str) -> str:
    """A ``p{0.26\\linewidth}`` column's width as Typst's ``26%``."""
    share = re.search(r"[0-9.]+", column)
    if share is None:  # the callers give p columns as a fraction of the line width
        raise ValueError(f"table column {column!r} gives no width")
    return f"{float(share.group()) * 100:g}%"


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
