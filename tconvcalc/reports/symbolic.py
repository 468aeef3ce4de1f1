"""What ``latex``, ``matrix`` and ``derive`` answer, as records (SymPy is imported here).

>>> from tconvcalc.model.spec import Layer
>>> report = derivation_report("size", Layer.from_pytorch(2, 3, 2))
>>> report.command, report.proved, report.steps[-1]["plain"]
('derive size', True, 'o = 5')
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import sympy as sp

from ..notes import DEFAULT_SECTIONS
from .. import symbolic as sy
from ..errors import ParameterError
from ..records import json_keys
from ..model.spec import Layer, channel_counts

class LatexReport(NamedTuple):
    """``tconvcalc latex``: the document's text and where it was written."""

    command: str
    format: str
    sections: tuple[str, ...]
    standalone: bool
    output: str | None
    pdf: str | None
    text: str
    proved: bool


@json_keys(optional="wrapper")
class Notes(NamedTuple):
    """A note's text, when asked for its compiled PDF (bytes), whether every proof in it held, and - for a fragment
    compiled to PDF - the wrapper document that \\input's it and was compiled."""

    text: str
    pdf: bytes | None
    proved: bool
    wrapper: str | None


class MatrixReport(NamedTuple):
    """``tconvcalc matrix``: C (or Cᵀ) as its non-zero entries ``[row, column, entry]``."""

    command: str
    transpose: bool
    shape: tuple[int, ...]
    nnz: int
    conv_input_size: tuple[int, ...]
    conv_output_size: tuple[int, ...]
    channels: tuple[int, ...]
    groups: int
    symbol: str
    entries: tuple[tuple[int | str, ...], ...]


class DerivationReport(NamedTuple):
    command: str
    title: str
    steps: list[dict[str, str | None]]
    proofs: list[dict[str, Any]]
    results: dict[str, Any]
    proved: bool


@json_keys(optional="proved")
class TextReport(NamedTuple):
    """A derivation (or the relationships) printed as LaTeX or Markdown."""

    command: str
    text: str
    proved: bool


class GradientReport(NamedTuple):
    """``derive gradient``: the derivation, and per axis the output_padding with which the transposed convolution is
    the convolution's input gradient."""

    command: str
    title: str
    steps: list[dict[str, str | None]]
    proofs: list[dict[str, Any]]
    results: dict[str, Any]
    output_padding: list[int]
    proved: bool


class RelationshipRow(NamedTuple):
    number: int
    title: str
    conditions: tuple[str, ...]
    formula: str
    latex: str
    holds: bool
    checked: int


class RelationshipsReport(NamedTuple):
    command: str
    relationships: tuple[RelationshipRow, ...]

# derive's subcommands: name -> the derivation that builds it
DERIVATIONS: dict[str, Callable[[Layer], sy.Derivation]] = {
    "size": sy.derive_output_size,
    "equivalence": sy.derive_equivalence,
    "ambiguity": sy.derive_ambiguity,
    "phases": sy.derive_phases,
    "formulas": sy.derive_formulas,
    "gradient": sy.derive_gradient,  # of the transposed layer whose C is the convolution (conv_layer)
}


def notes(layer: Layer, sections=DEFAULT_SECTIONS, *, full: bool = False, markdown: bool = False,
          title: str | None = None, symbol: str = "w", standalone: bool = False, pdf: bool = False,
          lang: str = "en", numbered: bool = False, label_prefix: str = "", verbose: bool = False,
          input_name: str = "notes", typst: bool = False) -> Notes:
    """``tconvcalc latex``: the chosen sections for ``layer``; a complete document when ``standalone``.

    ``pdf`` also compiles it with a TeX engine (XeLaTeX or LuaLaTeX for ``lang="zh"``): a standalone document
    itself; a fragment stays a fragment (to ``\\input`` as the README shows) and is compiled through a wrapper
    document that ``\\input``'s it as ``input_name`` (the fragment's file name without ``.tex``), returned as
    ``wrapper`` so both can be written side by side.  ``typst`` writes Typst instead, compiled by the ``typst``
    package (its wrapper ``#include``'s the fragment)."""
    # the notes' writers load with a note: derive's terminal and JSON answers need none of them
    from ..notes.document import layer_writer, standalone as latex_standalone
    from ..notes.engines import check_input_name, compile_pdf, pdf_engine
    from ..notes.text import check_language
    from ..notes.writers import check_label_prefix

    if typst:
        return _typst_notes(layer, sections, full=full, markdown=markdown, title=title, symbol=symbol,
                            standalone=standalone, pdf=pdf, lang=lang, numbered=numbered, label_prefix=label_prefix,
                            verbose=verbose, input_name=input_name)
    if pdf and markdown:
        raise ParameterError("pdf and markdown both asked for, a PDF is compiled from LaTeX; leave out markdown")
    options = {"lang": check_language(lang), "numbered": numbered, "label_prefix": check_label_prefix(label_prefix),
               "verbose": verbose}
    wrapped = pdf and not standalone
    if wrapped:
        check_input_name(input_name)
    engine = pdf_engine(layer, sections, full, lang) if pdf else None
    complete = standalone and not markdown  # the document's preamble carries the title then
    derived = {"inverse": inverse_derivation(layer)} if "inverse" in sections else None
    writer = layer_writer(layer, sections, full=full, markdown=markdown, title=None if complete else title,
                             symbol=sy.check_name("kernel symbol", symbol), derived=derived, **options)
    body = writer.render()
    text = latex_standalone(body, title, lang) if complete else body
    if not pdf:
        return Notes(text, None, writer.proved, None)
    if not wrapped:
        return Notes(text, compile_pdf(text, engine), writer.proved, None)
    wrapper = latex_standalone(f"\\input{{{input_name}}}\n", None, lang)
    return Notes(text, compile_pdf(wrapper, engine, inputs={input_name: text}), writer.proved, wrapper)


def _typst_notes(layer: Layer, sections, *, full, markdown, title, symbol, standalone, pdf, lang, numbered,
                 label_prefix, verbose, input_name) -> Notes:
    from ..notes.document import layer_writer, typst_standalone
    from ..notes.engines import check_input_name, compile_typst
    from ..notes.text import check_language
    from ..notes.writers import check_label_prefix

    if markdown:
        raise ParameterError("typst and markdown both asked for, a note is written one way; leave out one of them")
    options = {"lang": check_language(lang), "numbered": numbered, "label_prefix": check_label_prefix(label_prefix),
               "verbose": verbose, "typst": True}
    if pdf and not standalone:
        check_input_name(input_name)
    derived = {"inverse": inverse_derivation(layer)} if "inverse" in sections else None
    writer = layer_writer(layer, sections, full=full, title=None if standalone else title,
                             symbol=sy.check_name("kernel symbol", symbol), derived=derived, **options)
    body = writer.render()
    text = typst_standalone(body, title, lang) if standalone else body
    if not pdf:
        return Notes(text, None, writer.proved, None)
    if standalone:
        return Notes(text, compile_typst(text, lang), writer.proved, None)
    wrapper = typst_standalone(f'#include "{input_name}.typ"\n', None, lang)
    return Notes(text, compile_typst(wrapper, lang, inputs={input_name: text}), writer.proved, wrapper)


def conv_operator(input_size, kernel_size, stride=1, padding=0, dilation=1, channels=None, groups: int = 1,
                  symbol: str = "w") -> sy.ConvOperator:
    """``tconvcalc matrix``'s operator: C of the convolution of ``input_size``; ``channels`` its ``(in, out)``."""
    c_in, c_out = channel_counts(1 if channels is None else channels, 2, "a convolution (in, out)")
    return sy.conv_operator(input_size, kernel_size, stride, padding, dilation, in_channels=c_in, out_channels=c_out,
                            groups=groups, symbol=sy.check_name("kernel symbol", symbol))


def matrix_text(op: sy.ConvOperator, transpose: bool = False, full: bool = False, markdown: bool = False) -> str:
    """``matrix --format latex|markdown``: C (or Cᵀ) as display math, elided when large."""
    from ..notes.bodies import operator_latex

    body = operator_latex(op, transpose=transpose, full=full)
    return f"$$\n{body}\n$$" if markdown else f"\\[\n{body}\n\\]"


def matrix_report(op: sy.ConvOperator, transpose: bool = False) -> MatrixReport:
    """C's (or Cᵀ's) non-zeros in row-major order, each ``[row, column, entry]``."""
    entries = op.entries()
    rows, cols = op.shape
    # Equal entries are one SymPy object (ConvOperator.entries): print each object once, found by identity.
    printed = {id(value): str(value) for value in {id(value): value for value in entries.values()}.values()}
    if transpose:
        listed = tuple((c, r, printed[id(entries[r, c])]) for c, r in sorted([(c, r) for r, c in entries]))
    else:
        listed = tuple((r, c, printed[id(entries[r, c])]) for r, c in sorted(entries))
    return MatrixReport("matrix", transpose, (cols, rows) if transpose else (rows, cols), len(entries),
                        op.conv_input_shape, op.conv_output_shape, (op.in_channels, op.out_channels), op.groups,
                        op.symbol, listed)


# The art is indented 6 columns under its step, in an 80-column terminal.
PRETTY_COLUMNS = 74


def derivation_record(command: str, der: sy.Derivation, printed: bool = True) -> DerivationReport:
    """A derivation as its report: the steps (plain, LaTeX and multi-line Unicode art) and the proofs.  Without
    ``printed`` each step's ``plain`` and ``latex`` are None (:meth:`~tconvcalc.symbolic.Derivation.to_dict`): the
    terminal's view, which prints the art."""
    data = der.to_dict(printed)
    for step, out in zip(der.steps, data["steps"]):
        # Multi-line Unicode art for the terminal; numbers substituted stay one line.
        out["pretty"] = None if step.expr is None else step.pretty(PRETTY_COLUMNS)
    for proof, out in zip(der.proofs, data["proofs"]):
        out["sentence"] = proof.sentence()
    return DerivationReport(command, data["title"], data["steps"], data["proofs"], data["results"], der.proved)


def derivation_report(name: str, layer: Layer, printed: bool = True) -> DerivationReport:
    """``derive NAME``: the derivation for ``layer``, as its report (``printed``: :func:`derivation_record`'s)."""
    return derivation_record(f"derive {name}", DERIVATIONS[name](layer), printed)


def derivation_text(name: str, layer: Layer, markdown: bool = False, **options) -> TextReport:
    """``derive NAME --latex`` / ``--markdown``; ``options`` are the notes' (``lang``, ``numbered``,
    ``label_prefix``, ``verbose``)."""
    from ..notes.document import derivation_latex

    der = DERIVATIONS[name](layer)
    return TextReport(f"derive {name}", derivation_latex(der, markdown=markdown, **options), der.proved)


def gradient_report(layer: Layer, channels=(1, 1), groups: int = 1, checks: list[dict] | None = None,
                    printed: bool = True) -> GradientReport:
    """``derive gradient``: the derivation for the convolution whose transpose is ``layer``, as its report
    (``checks``: :func:`~tconvcalc.symbolic.derive_gradient`'s, ``printed``: :func:`derivation_record`'s)."""
    der = sy.derive_gradient(layer, channels, groups, checks=checks)
    data = derivation_record("derive gradient", der, printed)
    return GradientReport(data.command, data.title, data.steps, data.proofs, data.results,
                          der.results["output_padding"], der.proved)


def gradient_text(layer: Layer, channels=(1, 1), groups: int = 1, markdown: bool = False,
                  checks: list[dict] | None = None, **options) -> TextReport:
    """``derive gradient --latex`` / ``--markdown``."""
    from ..notes.document import derivation_latex

    der = sy.derive_gradient(layer, channels, groups, checks=checks)
    return TextReport("derive gradient", derivation_latex(der, markdown=markdown, **options), der.proved)


def _plain(expr) -> str:
    return sy.Step("", expr).plain()


def relationships_text(markdown: bool = False, **options) -> TextReport:
    """``derive relationships --latex`` / ``--markdown``: the fourteen, each re-derived and proved."""
    from ..notes.document import relationships_latex

    rels = sy.derive_relationships()
    return TextReport("derive relationships", relationships_latex(rels, markdown=markdown, **options),
                      all(r.proof.holds for r in rels))


def relationships_report() -> RelationshipsReport:
    """conv_arithmetic's relationships 1-14, each with its conditions, derived formula and proof."""
    rels = sy.derive_relationships()
    return RelationshipsReport("derive relationships", tuple(
        RelationshipRow(r.number, r.title, tuple(_plain(c) for c in r.conditions), f"{r.lhs} = {_plain(r.derived)}",
                        f"{sp.latex(sp.Symbol(r.lhs))} = {sp.latex(r.derived)}", r.proof.holds, r.proof.checked)
        for r in rels))


class InverseReport(NamedTuple):
    """``derive inverse``: Cᵀ versus C⁻¹ and C⁺ - the verdicts (proved), the rank and the reconstruction errors
    (measured), and the steps, each with its ``part``: ``theorem`` (for every size), ``layer`` (this layer, counted
    exactly) or ``measured``."""

    command: str
    title: str
    shape: list[int]
    proved: bool
    diagonal: bool
    right_inverse: bool
    scaled_inverse: bool
    rank: int
    null_space: int
    reconstruction: dict[str, float]
    seed: int
    steps: list[dict[str, str | None]]
    proofs: list[dict[str, Any]]


def inverse_derivation(layer: Layer, measured=None) -> sy.Derivation:
    """``derive inverse``'s derivation for C of ``layer``, with the measured numbers (NumPy's, or ``measured``:
    :func:`~tconvcalc.numeric.inverse.measure_inverse`'s when computed elsewhere): the dense bound is checked
    before anything is built."""
    from ..model.structure import check_dense

    check_dense(layer.axes, "the inverse derivation")
    if measured is None:
        from ..numeric.inverse import measure_inverse

        measured = measure_inverse(layer)
    return sy.derive_inverse(layer, measured)


def _part(step: sy.Step) -> str:
    return "measured" if step.key.startswith("inv.m_") else "layer" if step.key in sy.LAYER_STEPS else "theorem"


def inverse_report(layer: Layer, measured=None, printed: bool = True) -> InverseReport:
    """``derive inverse``: the derivation as its report, its verdicts and measurements at the top level
    (``measured``: :func:`inverse_derivation`'s, ``printed``: :func:`derivation_record`'s)."""
    der = inverse_derivation(layer, measured)
    data = derivation_record("derive inverse", der, printed)
    for step, out in zip(der.steps, data.steps):
        out["part"] = _part(step)
    for proof, out in zip(der.proofs, data.proofs):
        out["part"] = "layer" if proof.key.startswith("proof.inv_layer") else "theorem"
    r = der.results
    return InverseReport("derive inverse", data.title, r["shape"], der.proved, r["diagonal"], r["right_inverse"],
                         r["scaled_inverse"], r["rank"], r["null_space"], r["reconstruction"], r["seed"],
                         data.steps, data.proofs)


def inverse_text(layer: Layer, markdown: bool = False, measured=None, **options) -> TextReport:
    """``derive inverse --latex`` / ``--markdown``."""
    from ..notes.document import derivation_latex

    der = inverse_derivation(layer, measured)
    return TextReport("derive inverse", derivation_latex(der, markdown=markdown, **options), der.proved)
