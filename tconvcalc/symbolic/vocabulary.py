"""The small SymPy vocabulary of the derivations: safe symbol names, ``m | n`` and Iverson brackets."""

from __future__ import annotations

import re
from typing import Sequence

import sympy as sp
from sympy.logic.boolalg import BooleanFunction
from sympy.printing.pretty.stringpict import prettyForm

from ..model.spec import ParameterError

# Symbol names reach LaTeX verbatim, so only plain letters are accepted.
_NAME = re.compile(r"[A-Za-z]{1,8}\Z")


def check_name(what: str, name: str) -> str:
    """A symbol name that is safe in LaTeX: letters only (no backslash, brace or ^)."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ParameterError(
            f"{what} name {name!r} is not 1-8 plain letters, symbol names are printed verbatim into "
            f"LaTeX; use a name such as w or x"
        )
    return name


# How the notes spell the derivations' subscripted names: operator subscripts upright (m_{\min}), the
# two-letter op in italic as one name, word subscripts in roman.  Passed to SymPy's printer as symbol_names.
LATEX_NAMES = {"m_min": r"m_{\min}", "m_max": r"m_{\max}", "op": r"\mathit{op}", "op_min": r"\mathit{op}_{\min}",
               "op_max": r"\mathit{op}_{\max}", "p_lo": r"p_{\mathrm{lo}}", "p_hi": r"p_{\mathrm{hi}}",
               "khat": r"\hat{k}", "‖w‖²": r"\lVert w \rVert^{2}", "q_min": r"q_{\min}",
               "m_first": r"m_{\mathrm{first}}", "m_last": r"m_{\mathrm{last}}",
               # the gradients' labels (symbolic.gradient): the derivative of L by one sample or tap
               **{f"∂L/∂{x}_{m}": rf"\frac{{\partial L}}{{\partial {x}_{{{m}}}}}"
                  for x, m in (("x", "m"), ("w", "c"), ("w", "a"), ("u", "c"), ("u", "j"))},
               **{f"∂L/∂{x}": rf"\frac{{\partial L}}{{\partial {x}}}" for x in "xwu"}}


def latex_names(expr) -> dict:
    r"""``symbol_names`` for SymPy's printer: the symbols of ``expr`` that :data:`LATEX_NAMES` spells.

    >>> import sympy as sp
    >>> print(sp.latex(sp.Symbol("m_min"), symbol_names=latex_names(sp.Symbol("m_min"))))
    m_{\min}
    """
    if expr is None or not hasattr(expr, "free_symbols"):
        return {}
    return {s: LATEX_NAMES[s.name] for s in expr.free_symbols if s.name in LATEX_NAMES}


def indexed_name(name: str, index: Sequence[int]) -> str:
    """``w_{0,1}``: conv_arithmetic's spelling, which ``sympy.latex`` prints as written."""
    return f"{name}_{{{','.join(map(str, index))}}}"


# --- small SymPy vocabulary for element formulas ----------------------------------


class Divides(BooleanFunction):
    """``m | n``: true when ``n`` is a multiple of ``m`` (decided once both are integers)."""

    @classmethod
    def eval(cls, m, n):
        if m.is_Integer and n.is_Integer:
            return sp.true if n % m == 0 else sp.false
        return None

    def _latex(self, printer):
        return f"{printer._print(self.args[0])} \\mid {printer._print(self.args[1])}"

    def _sympystr(self, printer):
        return f"{printer._print(self.args[0])} | {printer._print(self.args[1])}"

    def _pretty(self, printer):
        return prettyForm(*printer._print(self.args[0]).right(" | ", printer._print(self.args[1])))


class Iverson(sp.Function):
    """Knuth's bracket ``[P]``: 1 when P holds, 0 when it fails, unevaluated while unknown."""

    @classmethod
    def eval(cls, condition):
        if condition is sp.true:
            return sp.S.One
        if condition is sp.false:
            return sp.S.Zero
        return None

    def _latex(self, printer, exp=None):
        body = r"\left[" + printer._print(self.args[0]) + r"\right]"
        return body if exp is None else f"{body}^{{{exp}}}"

    def _sympystr(self, printer):
        return "[" + printer._print(self.args[0]) + "]"

    def _pretty(self, printer):
        return prettyForm(*printer._print(self.args[0]).parens("[", "]"))
