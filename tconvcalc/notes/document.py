r"""Whole documents: a layer's note with the chosen sections (:mod:`tconvcalc.notes`) in order, a derivation's
or the relationships' text, and the complete LaTeX or Typst document around a fragment (preamble, title).

>>> from tconvcalc.model.spec import Layer
>>> "subsection*{Output size}" in layer_document(Layer.from_pytorch(2, 3, 2), ["size"])
True
>>> note = layer_document(Layer.from_pytorch(2, 3, 2), ["size"], lang="zh", numbered=True, label_prefix="up1:")
>>> "\\subsection*{输出尺寸}" in note, "\\label{up1:eq:tconv-size}" in note
(True, True)
"""

from __future__ import annotations

from typing import Sequence

import sympy as sp

from .. import symbolic as sy
from . import typst_math as tm
from . import DEFAULT_SECTIONS, sections
from .bodies import (_rows, derivation_body, equivalence_section, formulas_section, gradient_body, inverse_body,
                       matrix_section, parameters_math, size_body, table_section)
from .text import check_language
from .tikz import figure_section
from .writers import LatexWriter, escape_text, make_writer
from ..errors import ParameterError
from ..model.spec import Layer


# float gives tables and figures [H]: each stays where its section puts it (in texlive-latex-recommended).
PREAMBLE_PACKAGES = ("amsmath", "amssymb", "booktabs", "float", "tikz")

# The font families in the order Typst tries them: Latin text in Typst's own font, Chinese in the first CJK one.
TYPST_FONTS = ("Libertinus Serif", "FandolSong", "Noto Serif CJK SC", "Noto Sans CJK SC")


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
            lead = (writer.say("rel.for") + " " + ", ".join(f"${writer.named(c)}$" for c in rel.conditions)
                    + ("，" if writer.lang == "zh" else ","))
        else:
            lead = writer.say("rel.any")
        heading = writer.say("rel.box", n=rel.number, title=writer.say(f"rel.{rel.number}"))
        writer.box(heading, lead, f"{lhs} = {writer.tex(rel.derived)}", label=f"relationship-{rel.number}")
        writer.align(_rows(writer, rel.extra))
        writer.proofs([rel.proof])
    return writer.render()


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


def typst_standalone(body: str, title: str | None = None, lang: str = "en") -> str:
    """A complete Typst document around a fragment: A4, 10 pt, Typst's own fonts (and a CJK one for Chinese)."""
    head = ['#set page(paper: "a4", margin: (x: 2cm, y: 2cm))',
            f'#set text(size: 10pt, lang: "{check_language(lang)}", font: ({", ".join(map(repr, TYPST_FONTS))}))'
            .replace("'", '"'),
            "#set par(spacing: 0.9em)"]
    if title:
        head.append(f"= {tm.escape_markup(title)}")
    return "\n".join(head) + "\n\n" + body
