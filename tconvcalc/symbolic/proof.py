"""Derivations step by step, and the proofs behind them: every difference expands to 0."""

from __future__ import annotations

import re
import sys
import time
import types
from dataclasses import dataclass, field
from typing import Sequence

import sympy as sp
from sympy.printing.pretty.pretty import PrettyPrinter

from .vocabulary import latex_names

# --- terminal art ------------------------------------------------------------------------

_UNITS = "sympy.physics.units"
# Stands in for the units package while a product is printed: no object is an instance of its Quantity.
_NO_UNITS = types.ModuleType(_UNITS)
_NO_UNITS.Quantity = type("Quantity", (), {})  # type: ignore[attr-defined]


class TerminalPrinter(PrettyPrinter):
    """SymPy's Unicode art, without the 0.2 s its ``_print_Mul`` spends importing ``sympy.physics.units``
    (the SI tables) on first use, only to put unit quantities last in a product (SymPy removed the same
    import from its LaTeX printer, sympy#24091).  No quantity can exist before that package is loaded, so
    until then a stand-in whose ``Quantity`` matches nothing gives the same art."""

    def _print_Mul(self, product):
        if _UNITS in sys.modules:
            return super()._print_Mul(product)
        sys.modules[_UNITS] = _NO_UNITS
        try:
            return super()._print_Mul(product)
        finally:
            if sys.modules.get(_UNITS) is _NO_UNITS:
                del sys.modules[_UNITS]


def pretty(expr, columns: int | None = None) -> str:
    """``sympy.pretty(expr, use_unicode=True, num_columns=columns)``, by :class:`TerminalPrinter`."""
    return TerminalPrinter({"use_unicode": True, "num_columns": columns}).doprint(expr)

# --- derivations and proofs ------------------------------------------------------------


@dataclass
class Step:
    """One line of a derivation: words, and the SymPy object it states."""

    text: str
    expr: sp.Basic | None = None
    # Placeholder symbol -> the number it stands for: "2·(3 − 1)" stays unevaluated when printed.
    values: dict | None = None
    # The notes' catalogue entry for this step's words (tconvcalc.notes.text) and the values it names; the
    # terminal prints ``text``, a document prints the entry.
    key: str = ""
    args: dict | None = None

    def latex(self, expr=None) -> str:
        """SymPy's LaTeX of the step (or of ``expr``, a side of it), with the notes' spellings of the
        subscripted names (``m_{\\min}``, ``\\mathit{op}``) and each placeholder printed as its number."""
        expr = self.expr if expr is None else expr
        names = latex_names(expr)
        if self.values:
            names.update({s: str(v) for s, v in self.values.items()})
            return sp.latex(expr, symbol_names=names, mul_symbol="dot")
        return sp.latex(expr, symbol_names=names)

    def sides(self) -> tuple[str, str, str] | None:
        """``(lhs, relation, rhs)`` in LaTeX when the step states a relation, for an ``align`` to line up."""
        if not isinstance(self.expr, sp.core.relational.Relational):
            return None
        relation = {"==": "=", ">=": r"\geq", "<=": r"\leq", "!=": r"\neq"}.get(self.expr.rel_op, self.expr.rel_op)
        return self.latex(self.expr.lhs), relation, self.latex(self.expr.rhs)

    def pretty(self, columns: int | None = None) -> str:
        """Multi-line Unicode art for a terminal; a step with numbers substituted stays one line."""
        return self.plain() if self.values else pretty(self.expr, columns)

    def plain(self) -> str:
        expr = self.expr
        if isinstance(expr, sp.core.relational.Relational):
            relation = {"==": "=", ">=": "≥", "<=": "≤", "!=": "≠"}.get(expr.rel_op, expr.rel_op)
            text = f"{sp.sstr(expr.lhs)} {relation} {sp.sstr(expr.rhs)}"
        else:
            text = sp.sstr(expr)
        for placeholder, value in (self.values or {}).items():
            text = re.sub(rf"\b{re.escape(placeholder.name)}\b", str(value), text)
        return text.replace("*", "·")


@dataclass
class Proof:
    """``difference expands to 0`` for every one of ``checked`` pairs of expressions."""

    statement: str
    checked: int
    holds: bool
    seconds: float
    counterexample: str | None = None
    # The notes' catalogue entry saying what was proved (tconvcalc.notes.text), and the values it names.
    key: str = ""
    args: dict = field(default_factory=dict)

    def sentence(self) -> str:
        if self.holds:
            return f"proved: {self.statement} — {self.checked} difference(s) expand to 0 ({self.seconds:.2f} s)"
        return f"NOT proved: {self.statement} — {self.counterexample}"


class NumericCheck(Proof):
    """A claim checked on the layer's numbers by the NumPy backend: ``checked`` values equal exactly (integer-valued
    draws, so no rounding), not a difference expanded."""

    def sentence(self) -> str:
        if self.holds:
            return f"checked: {self.statement} — {self.checked} value(s) equal exactly (NumPy)"
        return f"NOT checked: {self.statement} — {self.counterexample}"


@dataclass
class Derivation:
    """A derivation step by step, with the proofs that back it and a JSON-ready summary."""

    title: str
    steps: list[Step] = field(default_factory=list)
    proofs: list[Proof] = field(default_factory=list)
    results: dict = field(default_factory=dict)
    key: str = ""  # which derivation: its title in the notes' catalogue is ``title.<key>``
    notes: dict = field(default_factory=dict)  # SymPy objects only the notes print (not in to_dict)

    def add(self, text: str, expr: sp.Basic | None = None, values: dict | None = None, key: str = "",
            **args) -> sp.Basic | None:
        self.steps.append(Step(text, expr, values, key, args or None))
        return expr

    @property
    def proved(self) -> bool:
        return all(p.holds for p in self.proofs)

    def to_dict(self, printed: bool = True) -> dict:
        """JSON-ready; without ``printed`` each step's ``plain`` and ``latex`` are None (not printed: a terminal
        shows the Unicode art, and SymPy's printers cost a fifth of a derivation's own time)."""
        return {
            "title": self.title,
            "steps": [{"text": s.text, "plain": None if s.expr is None or not printed else s.plain(),
                       "latex": None if s.expr is None or not printed else s.latex()} for s in self.steps],
            "proofs": [{"statement": p.statement, "checked": p.checked, "holds": p.holds,
                        "seconds": round(p.seconds, 4), "counterexample": p.counterexample} for p in self.proofs],
            "results": self.results,
        }

    def __repr__(self) -> str:
        lines = [self.title]
        for step in self.steps:
            lines.append(f"  {step.text}" + ("" if step.expr is None else f"  {step.plain()}"))
        lines += [f"  {p.sentence()}" for p in self.proofs]
        return "\n".join(lines)

    def _repr_latex_(self) -> str:
        # A notebook shows each step's words beside its formula, aligned; tconvcalc.notes writes full notes.
        lines = []
        for step in self.steps:
            words = r"\text{" + re.sub(r"([\\{}$&#^_%~])", r"\\\1", step.text) + "}" if step.text else ""
            lines.append(f"&{step.latex()} && {words}" if step.expr is not None else f"&& {words}")
        return "$$\\begin{aligned}" + r" \\ ".join(lines) + "\\end{aligned}$$"


def prove_equal(statement: str, left: Sequence[sp.Expr], right: Sequence[sp.Expr], key: str = "",
                args: dict | None = None) -> Proof:
    """Expand every ``left[n] - right[n]``; the proof holds when each is 0.  ``key`` and ``args`` name the
    sentence the notes print for it (:mod:`tconvcalc.notes.text`)."""
    start = time.perf_counter()
    named = dict(args or {})  # the values the sentence names
    if len(left) != len(right):
        return Proof(statement, 0, False, time.perf_counter() - start,
                     f"{len(left)} expressions against {len(right)}", key=key, args=named)
    for n, (a, b) in enumerate(zip(left, right)):
        difference = sp.expand(a - b)
        if difference != 0:
            return Proof(statement, n, False, time.perf_counter() - start,
                         f"entry {n}: {sp.sstr(a)} - ({sp.sstr(b)}) = {sp.sstr(difference)}", key=key, args=named)
    return Proof(statement, len(left), True, time.perf_counter() - start, key=key, args=named)
