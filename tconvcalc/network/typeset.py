"""A network's domain as notes (``net --domain --latex`` / ``--markdown``): the layers' size rules in a
table, the period and the residue classes, the accepted sizes boxed, and one sentence for the proof and
one for the check, in the notes' catalogue's words (:mod:`tconvcalc.notes.text`) and either language.

The steps come from :func:`.derive.domain_derivation`, which keys each one to its catalogue entry; SymPy's
printer writes every formula.  When every axis has the same size rules and sizes the note says so and shows
the derivation once, as the terminal view does.
"""

from __future__ import annotations

from typing import Sequence

import sympy as sp

from ..notes.writers import LatexWriter
from ..notes.text import CATALOGUES
from ..symbolic.proof import Derivation, Step
from .domain import grouped

__all__ = ["domain_note"]


def domain_note(writer: LatexWriter, derivations: Sequence[Derivation]) -> None:
    """Every axis's derivation, or one for all when they are alike (or there is one axis)."""
    first = derivations[0]
    if len(derivations) == 1:
        _section(writer, first, "", "net-domain")
    elif all(_alike(first, der) for der in derivations[1:]):
        _section(writer, first, writer.say("net.along_all"), "net-domain")
    else:
        for der in derivations:
            axis = der.notes["axis"]
            _section(writer, der, writer.say("net.along", n=axis), f"net-domain-axis{axis}")


def _alike(a: Derivation, b: Derivation) -> bool:
    """The same classes and every step's words and formula (a layer's words list every axis's parameters, so
    they alone cannot tell two axes apart)."""
    def said(der: Derivation) -> list:
        return [(s.text, None if s.expr is None else s.plain()) for s in der.steps]
    return a.results == b.results and said(a) == said(b)


def _steps(der: Derivation, key: str) -> list[Step]:
    return [step for step in der.steps if step.key == key]


def _args(step: Step) -> dict:
    """The values a step's catalogue entry names (every step the domain derivation keys names some)."""
    return step.args or {}


def _code(writer: LatexWriter, name: str) -> str:
    code = writer.marks("`" + _unquoted(name) + "`")
    # an exporter's long path (/up1/ConvTranspose) may break after a slash in a LaTeX table's narrow column
    return code if writer.markdown or writer.typst else code.replace("/", "/\\allowbreak{}")


def _unquoted(name: str) -> str:
    """A name to put between the catalogue's backquotes: one of its own would end the code span."""
    return name.replace("`", "'")


def _residues(residues: tuple[int, int]) -> str:
    first, last = residues
    return f"${first}$" if first == last else f"${first}$–${last}$"


def _reason(writer: LatexWriter, reason, args: dict) -> str:
    """Why a class stops, in the note's language when the reason names its catalogue entry."""
    key = getattr(reason, "key", "")
    if key not in CATALOGUES[writer.lang]:
        return writer.escape(str(reason))
    return writer.say(key, **{name: writer.tex(value) if isinstance(value, sp.Basic) else value
                              for name, value in args.items()})


def _outcome(writer: LatexWriter, step: Step) -> str:
    args = _args(step)
    if step.key == "net.stop":
        return writer.say("net.stop", node=_unquoted(args["node"]),
                          reason=_reason(writer, args["reason"], args["reason_args"]))
    when = (writer.say("net.at", t=args["fixed_t"]) if args["fixed_t"] is not None
            else writer.say("net.from", t=args["first_t"]))
    if args["merges"]:
        sizes = ", ".join(f"{_code(writer, name)} ${size}$" for name, size in args["merges"])
        when += writer.say("net.merges", sizes=sizes)
    return when


def _residue_set(writer: LatexWriter, residues: list[int]) -> str:
    """``\\{0, \\dots, 7\\}`` or ``\\{0, 1, 4\\}``: a set of residues."""
    if len(residues) > 2 and residues == list(range(residues[0], residues[-1] + 1)):
        return writer.m(rf"\{{{residues[0]}, \dots, {residues[-1]}\}}")
    return writer.m(r"\{" + ", ".join(map(str, residues)) + r"\}")


def _class(writer: LatexWriter, modulus: int, residue) -> str:
    """``16 t + r`` or ``16 t + 3``: a class's sizes with the multiple of t first, as they are written by hand
    (SymPy's default order puts a symbol ``r`` first, its reverse order a number)."""
    t = sp.Symbol("t", integer=True)
    return writer.tex(modulus * t + residue, order="rev-lex" if isinstance(residue, sp.Symbol) else None)


def _accepted(writer: LatexWriter, der: Derivation) -> tuple[list[str], list[str]]:
    """The box's lines (one per group of classes, then the single sizes) and the words after it."""
    n, r = sp.symbols("n r", integer=True)
    lines, words = [], []
    for modulus, start, residues in grouped(der.results["classes"]):
        if modulus == 1:
            lines.append(writer.tex(sp.Ge(n, start + residues[0])))
        elif len(residues) == 1:
            lines.append(rf"n = {_class(writer, modulus, residues[0])}" + writer.m(rf",\quad t \ge {start}"))
            words.append(writer.say("net.class", residue=residues[0], modulus=modulus,
                                    first=modulus * start + residues[0]))
        else:
            lines.append(rf"n = {_class(writer, modulus, r)}" + writer.m(r",\quad r \in ")
                         + _residue_set(writer, residues) + writer.m(rf",\quad t \ge {start}"))
    if der.results["points"]:
        lines.append(writer.m(r"n \in \{" + ", ".join(map(str, der.results["points"])) + r"\}"))
    return lines, words


def _section(writer: LatexWriter, der: Derivation, where: str, label: str) -> None:
    # the name goes in after the catalogue's marks are read, so a * or ` in it stays a character
    heading = writer.say("title.net_domain", network="\0", where=where)
    writer.heading(heading.replace("\0", writer.escape(der.notes["network"])))
    writer.paragraph(writer.say("net.rules"))
    rows = []
    for step in _steps(der, "net.rule"):
        rule = f"${writer.step_math(step)}$" + (" " + writer.say("net.ceil") if _args(step)["ceil"] else "")
        rows.append([_code(writer, _args(step)["name"]), _code(writer, _args(step)["operation"]), rule])
    writer.table([writer.say("net.head.layer"), writer.say("net.head.op"), writer.say("net.head.rule")], rows,
                 writer.say("net.rules.caption"), align="p{0.26\\linewidth}p{0.26\\linewidth}p{0.36\\linewidth}")
    for step in _steps(der, "net.more"):
        writer.paragraph(writer.say("net.more", count=_args(step)["count"]))
    period, form = der.results["period"], _class(writer, der.results["period"], sp.Symbol("r", integer=True))
    classes = writer.say("net.classes" if period > 1 else "net.classes_plain")  # the lemma: only where a layer divides
    period_sides = writer.sides(_steps(der, "net.period")[0])
    assert period_sides is not None  # the period step states P = lcm(...), a relation
    writer.align([(writer.say("net.period"), period_sides), (classes, ("n", "=", form))])
    outcomes, last = [], 0
    for step in (step for step in der.steps if step.key in ("net.stop", "net.runs")):
        first = _args(step)["residues"][0]
        if first > last + 1:  # runs left out (the first and last of many are shown): say so where they go
            outcomes.append(["$" + writer.m(r"\dots") + "$", ""])
        outcomes.append([_residues(_args(step)["residues"]), _outcome(writer, step)])
        last = _args(step)["residues"][1]
    writer.table([writer.say("net.head.residue"), writer.say("net.head.outcome")], outcomes,
                 writer.say("net.classes.caption", p=period, form=form), align="lp{0.75\\linewidth}")
    for step in _steps(der, "net.sampled"):
        writer.paragraph(writer.say("net.sampled", count=_args(step)["count"]))
    lines, words = _accepted(writer, der)
    if lines:
        body = lines[0] if len(lines) == 1 else writer.stack(lines, aligned=False)
        writer.box(writer.say("net.box"), writer.say("net.box.lead"), body, label=label,
                   after=f"({'; '.join(words)})" if words else "")
    else:
        writer.paragraph(writer.say("net.none", where=where))
    lemma = [proof for proof in der.proofs if proof.key == "proof.net_floor"]
    writer.proofs(lemma)
    for check in (proof for proof in der.proofs if proof.key == "net.checked"):
        if writer.verbose:
            writer.comment(("✓ " if check.holds else "✗ ") + check.sentence())
        if not check.holds:
            writer.proved = False
        writer.paragraph(writer.say("net.checked" if check.holds else "net.not_checked", **check.args))
