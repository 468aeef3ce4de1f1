r"""Typst math from SymPy: a printer SymPy lacks (sympy#24959), for what the notes print.

SymPy's maintainers asked for a real ``Printer`` subclass tested case by case, not LaTeX with its backslashes
stripped; this is one, limited to the objects the derivations build: symbols (``m_min``, ``w_{0,1}``, the
notes' spellings such as ``op`` in italic), integers and fractions, sums, products and powers, floor and
ceiling, ``mod``, ``Sum``, ``Piecewise``, ``Min``/``Max``, relations, ``And``, matrices, ``Indexed`` and the
vocabulary's ``m | n`` and Iverson brackets.  Anything else is refused (a bug to fix here, never a silent
misprint).  :func:`latex_fragment` turns the few hand-written LaTeX phrases of the notes' catalogue
(``$\mathit{op}$``, ``$p_{\mathrm{lo}}$``, ``\le``) into Typst the same way, from a closed table.

>>> import sympy as sp
>>> n, s, k = sp.symbols("n s k", integer=True)
>>> print(typst_math(sp.floor((n - k) / s) + 1))
floor(frac(-k + n, s)) + 1
>>> print(typst_math(sp.Symbol("op") + sp.Symbol("m_min")))
m_min + italic("op")
>>> print(latex_fragment(r"0 \le \mathit{op} < \max(s, d)"))
0 <= italic("op") < max (s, d)
"""

from __future__ import annotations

import re
from typing import Any

import sympy as sp
from sympy.printing.conventions import split_super_sub
from sympy.printing.precedence import PRECEDENCE, precedence
from sympy.printing.printer import Printer

# Greek letters Typst names as SymPy does.
GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu",
         "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega"}
# Names Typst's math mode already sets upright as operators (a subscript min stays min, not an error).
OPERATOR_NAMES = {"min", "max", "mod", "lim", "sup", "inf", "det", "gcd", "lcm", "log", "exp"}
# The notes' spellings of the derivations' names (tconvcalc.symbolic.vocabulary.LATEX_NAMES, in Typst).
TYPST_NAMES = {"op": 'italic("op")', "op_min": 'italic("op")_min', "op_max": 'italic("op")_max',
               "p_lo": 'p_"lo"', "p_hi": 'p_"hi"', "khat": "hat(k)",
               # the gradients' labels (symbolic.gradient): the derivative of L by one sample or tap
               **{f"∂L/∂{x}_{m}": f"frac(partial L, partial {x}_{m})"
                  for x, m in (("x", "m"), ("w", "c"), ("w", "a"), ("u", "c"), ("u", "j"))},
               **{f"∂L/∂{x}": f"frac(partial L, partial {x})" for x in "xwu"},
               "‖w‖²": "norm(w)^2"}  # the inverse's (symbolic.inverse)
# The elision marks of a large matrix (tconvcalc.symbolic.matrix).
DOTS = {r"\vdots": "dots.v", r"\cdots": "dots.c", r"\ddots": "dots.down"}


class TypstPrinter(Printer):
    """SymPy expressions as Typst math (the text between ``$ … $``)."""

    printmethod = "_typst"
    _default_settings: dict[str, Any] = {"order": None, "symbol_names": {}, "mul_symbol": None}

    def parenthesize(self, item, level: int, strict: bool = False) -> str:
        prec = precedence(item)
        if prec < level or (strict and prec == level):
            return f"({self._print(item)})"
        return self._print(item)

    # -- atoms --
    def _print_Symbol(self, expr) -> str:
        names = self._settings["symbol_names"]
        if expr in names:
            return names[expr]
        return symbol_name(expr.name)

    _print_Dummy = _print_Symbol

    def _print_Integer(self, expr) -> str:
        return str(expr.p)

    def _print_Rational(self, expr) -> str:
        if expr.q == 1:
            return str(expr.p)
        sign = "-" if expr.p < 0 else ""
        return f"{sign}frac({abs(expr.p)}, {expr.q})"

    def _print_Infinity(self, expr) -> str:
        return "infinity"

    def _print_NegativeInfinity(self, expr) -> str:
        return "-infinity"

    def _print_BooleanTrue(self, expr) -> str:
        return '"true"'

    def _print_BooleanFalse(self, expr) -> str:
        return '"false"'

    # -- arithmetic --
    def _print_Add(self, expr) -> str:
        out = ""
        for n, term in enumerate(self._as_ordered_terms(expr, order=self._settings["order"])):
            printed = self._print(term)
            negative = term.could_extract_minus_sign() and printed.startswith("-")
            if n == 0:
                out = printed
            elif negative:
                out += " - " + printed[1:].lstrip()
            else:
                out += " + " + printed
        return out

    def _print_Mul(self, expr) -> str:
        if expr.could_extract_minus_sign():
            inner = -expr
            body = self.parenthesize(inner, PRECEDENCE["Mul"]) if inner.is_Add else self._print(inner)
            return "-" + body
        numer, denom = sp.fraction(expr, exact=True)
        if denom != 1:
            return f"frac({self._print(numer)}, {self._print(denom)})"
        coeff, factors = expr.as_coeff_mul()
        parts = [] if coeff == 1 else [self._print(coeff)]
        ordered = sp.Mul(*factors).as_ordered_factors() if len(factors) > 1 else list(factors)
        # a mod among factors is bracketed: 2 a mod s would read as (2 a) mod s
        parts += [f"({self._print(f)})" if isinstance(f, sp.Mod) else self.parenthesize(f, PRECEDENCE["Mul"])
                  for f in ordered]
        joined = parts[0]
        for previous, part in zip(parts, parts[1:]):
            # numbers side by side would read as one number; the notes' substituted values ask for dots
            dot = self._settings["mul_symbol"] == "dot" or (previous[-1].isdigit() and part[0].isdigit())
            joined += (" dot " if dot else " ") + part
        return joined

    def _print_Pow(self, expr) -> str:
        base, exp = expr.as_base_exp()
        if exp.is_Rational and exp.is_negative:
            return f"frac(1, {self._print(base ** -exp)})"
        if exp == sp.Rational(1, 2):
            return f"sqrt({self._print(base)})"
        return f"{self.parenthesize(base, PRECEDENCE['Pow'], strict=True)}^({self._print(exp)})"

    def _print_Mod(self, expr) -> str:
        a, b = expr.args
        return (f"{self.parenthesize(a, PRECEDENCE['Mul'], strict=True)} mod "
                f"{self.parenthesize(b, PRECEDENCE['Mul'], strict=True)}")

    def _print_floor(self, expr) -> str:
        return f"floor({self._print(expr.args[0])})"

    def _print_ceiling(self, expr) -> str:
        return f"ceil({self._print(expr.args[0])})"

    def _print_Abs(self, expr) -> str:
        return f"abs({self._print(expr.args[0])})"

    def _print_Min(self, expr) -> str:
        # a space: `min(` would call the operator as a function
        return "min (" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Max(self, expr) -> str:
        return "max (" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Sum(self, expr) -> str:
        limits = ""
        for var, low, high in reversed(expr.limits):
            limits += f"sum_({self._print(var)} = {self._print(low)})^({self._print(high)}) "
        return limits + self.parenthesize(expr.function, PRECEDENCE["Mul"])

    def _print_MatrixSymbol(self, expr) -> str:
        return symbol_name(expr.name)

    def _print_Transpose(self, expr) -> str:  # the notes' sans-serif T, as \mathsf{T} in the LaTeX
        return f'{self.parenthesize(expr.arg, PRECEDENCE["Pow"], strict=True)}^(upright(sans("T")))'

    def _print_MatMul(self, expr) -> str:
        return " ".join(self.parenthesize(arg, PRECEDENCE["Mul"], strict=True) for arg in expr.args)

    def _print_KroneckerDelta(self, expr) -> str:
        return f"delta_({self._print(expr.args[0])}, {self._print(expr.args[1])})"

    def _print_Piecewise(self, expr) -> str:
        rows = []
        for value, condition in expr.args:
            when = '"otherwise"' if condition is sp.true else f'"if " {self._print(condition)}'
            rows.append(f"{self._print(value)} & {when}")
        return "cases(" + ", ".join(rows) + ")"

    # -- relations and logic --
    _RELATIONS = {"==": "=", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}

    def _print_Relational(self, expr) -> str:
        return f"{self._print(expr.lhs)} {self._RELATIONS[expr.rel_op]} {self._print(expr.rhs)}"

    def _print_And(self, expr) -> str:
        return ", quad ".join(self._print(a) for a in expr.args)

    def _print_Or(self, expr) -> str:
        return " or ".join(self.parenthesize(a, PRECEDENCE["Relational"], strict=True) for a in expr.args)

    def _print_Identity(self, expr) -> str:
        return f"I_{self.parenthesize(expr.rows, PRECEDENCE['Atom'], strict=True)}"

    # the vocabulary's own (tconvcalc.symbolic.vocabulary): m | n and Knuth's bracket
    def _print_Divides(self, expr) -> str:
        a, b = (self.parenthesize(x, PRECEDENCE["Mul"]) for x in expr.args)
        return f"{a} divides {b}"

    def _print_Iverson(self, expr) -> str:
        return f"lr([{self._print(expr.args[0])}])"

    def _print_Tuple(self, expr) -> str:
        return "(" + ", ".join(self._print(a) for a in expr.args) + ")"

    # -- indexed names and matrices --
    def _print_IndexedBase(self, expr) -> str:
        return self._print(expr.label)

    def _print_Indexed(self, expr) -> str:
        indices = ", ".join(self._print(i) for i in expr.indices)
        base = self._print(expr.base)
        return (f"{base}_({indices})" if len(expr.indices) > 1 or " " in indices or len(indices) > 1
                else f"{base}_{indices}")

    def _print_MatrixBase(self, expr) -> str:
        printed: dict = {}  # a whole C repeats a few weights thousands of times: each printed once

        def cell(entry) -> str:
            if entry not in printed:
                printed[entry] = self._print(entry)
            return printed[entry]

        rows = ";\n".join(", ".join(cell(e) for e in row) for row in expr.tolist())
        return 'mat(delim: "[",\n' + rows + ")"

    _print_ImmutableMatrix = _print_MutableDenseMatrix = _print_ImmutableDenseMatrix = _print_MatrixBase

    def emptyPrinter(self, expr) -> str:
        raise TypeError(f"the Typst printer has no rule for {type(expr).__name__} ({expr}); add a _print_ method")


def symbol_name(name: str) -> str:
    """A SymPy symbol's name in Typst math: ``w_{0,1}`` -> ``w_(0, 1)``, ``m_min`` -> ``m_min``, ``op`` ->
    ``italic("op")``, ``\\vdots`` -> ``dots.v``."""
    if name in TYPST_NAMES:
        return TYPST_NAMES[name]
    if name in DOTS:
        return DOTS[name]
    braced = re.fullmatch(r"([A-Za-z]+'*)_\{([^{}]*)\}", name)  # conv_arithmetic's w_{0,1}
    if braced:
        base, sub = braced.groups()
        parts = [p.strip() for p in sub.split(",")]
        inner = ", ".join(_subscript_part(p) for p in parts)
        return f"{_base(base)}_({inner})" if len(parts) > 1 or len(inner) > 1 else f"{_base(base)}_{inner}"
    base, supers, subs = split_super_sub(name)
    out = _base(base)
    for sub in subs:
        part = _subscript_part(sub)
        out += f"_{part}" if len(part) == 1 or part.isdigit() or part in OPERATOR_NAMES else f"_({part})"
    for sup in supers:
        out += f"^({_subscript_part(sup)})"
    return out


def _base(name: str) -> str:
    named = re.fullmatch(r"([A-Za-z]+)('*)", name)  # primes as Typst writes them: w'
    if not named:
        raise TypeError(f"the symbol name {name!r} has characters Typst math cannot take as a name")
    letters, primes = named.groups()
    if len(letters) == 1 or letters in GREEK:
        return letters + primes
    return f'italic("{letters}")' + primes  # a multi-letter name is one variable, as LaTeX's \mathit sets it


def _subscript_part(part: str) -> str:
    if re.fullmatch(r"-?\d+|[A-Za-z]", part) or part in OPERATOR_NAMES or part in GREEK:
        return part
    if re.fullmatch(r"[A-Za-z]+", part):
        return f'"{part}"'  # a word as a subscript: upright, as \mathrm sets it
    if re.fullmatch(r"[A-Za-z0-9+-]+", part) and not re.search(r"[A-Za-z]{2}", part):
        return " ".join(re.findall(r"[A-Za-z0-9]+|[+-]", part))  # an index such as k-1-a
    raise TypeError(f"the subscript {part!r} has characters Typst math cannot take")


def typst_math(expr, **settings) -> str:
    """``expr`` as Typst math; settings: ``order`` (SymPy's term order), ``symbol_names`` (symbol -> Typst),
    ``mul_symbol`` (``"dot"`` between every factor)."""
    return TypstPrinter(settings).doprint(sp.sympify(expr))


def typst_names(expr) -> dict:
    """``symbol_names`` for the printer: the notes' spellings of ``expr``'s symbols."""
    if expr is None or not hasattr(expr, "free_symbols"):
        return {}
    return {s: TYPST_NAMES[s.name] for s in expr.free_symbols if s.name in TYPST_NAMES}


# --- the catalogue's hand-written math ----------------------------------------------------------

# Every LaTeX command the notes' catalogue and scaffolding write inside $…$, and its Typst.
_COMMANDS = {
    r"\le": "<=", r"\leq": "<=", r"\ge": ">=", r"\geq": ">=", r"\neq": "!=", r"\times": "times", r"\cdot": "dot",
    r"\checkmark": "checkmark", r"\mid": "divides", r"\in": "in", r"\equiv": "equiv", r"\bmod": "mod",
    r"\dots": "dots", r"\vdots": "dots.v", r"\cdots": "dots.c", r"\ldots": "dots", r"\quad": "quad",
    r"\qquad": "wide", r"\;": " ", r"\,": " ", r"\ ": " ", r"\Rightarrow": "=>", r"\to": "->", r"\max": "max",
    r"\min": "min", r"\{": "{", r"\}": "}", r"\partial": "partial", r"\sum": "sum", r"\delta": "delta",
    r"\langle": "chevron.l", r"\rangle": "chevron.r", r"\lfloor": "floor.l", r"\rfloor": "floor.r",
    r"\gcd": "gcd", r"\lVert": "bar.v.double", r"\rVert": "bar.v.double",
}
_STYLED = {r"\mathit": lambda x: f'italic("{x}")' if len(x) > 1 else x, r"\mathrm": lambda x: f'"{x}"',
           r"\mathsf": lambda x: f'upright(sans("{x}"))', r"\text": lambda x: f'"{x}"',
           r"\hat": lambda x: f"hat({x})", r"\operatorname": lambda x: f'op("{x}")'}
_TOKEN = re.compile(r"\\pmod\{([^{}]*)\}|\\[A-Za-z]+|\\[{};, ]|[_^]\{([^{}]*)\}|\{([^{}]*)\}|.", re.S)


def latex_fragment(latex: str) -> str:
    """The notes' own hand-written LaTeX math (a closed vocabulary: :data:`_COMMANDS`, ``\\mathit{…}``,
    ``_{…}``, ``\\pmod{…}``) in Typst; an unknown command is refused, so a new phrase cannot slip through
    as a misprint."""
    styled: list[str] = []

    def keep(m) -> str:  # \mathsf{T} and the like first, so a brace group around one is still one group
        styled.append(_STYLED[m.group(1)](m.group(2)))
        return f"\x01{len(styled) - 1}\x01"

    text = re.sub(r"(\\mathit|\\mathrm|\\mathsf|\\text|\\hat|\\operatorname)\{([^{}]*)\}", keep, latex)
    typst = _fragment(text, latex)
    return re.sub("\x01([0-9]+)\x01", lambda m: styled[int(m.group(1))], typst)


def _fragment(latex: str, whole: str) -> str:
    out = []
    for m in _TOKEN.finditer(latex):
        token = m.group(0)
        if token.startswith("\\pmod"):
            out.append(f" (mod {_fragment(m.group(1), whole)})")
        elif token in _COMMANDS:
            word = _COMMANDS[token]
            out.append(word if not word[0].isalpha() else f" {word} ")
        elif token.startswith("\\"):
            raise ValueError(f"latex_fragment has no Typst for {token} (in {whole!r}); add it to _COMMANDS")
        elif m.group(2) is not None:  # a braced sub- or superscript
            inner = _fragment(m.group(2), whole).strip()
            out.append(token[0] + (inner if re.fullmatch(r"\w|\x01[0-9]+\x01", inner) else f"({inner})"))
        elif m.group(3) is not None:
            out.append(_fragment(m.group(3), whole))
        else:
            out.append(token)
    return re.sub(r" {2,}", " ", "".join(out))


# --- the catalogue's prose --------------------------------------------------------------------

# Typst markup's special characters in running text (the catalogue's and the user's words).
_MARKUP = re.compile(r"([\\#$*_<>@\[\]`~])")
_PROSE = re.compile(r"\$([^$]*)\$|`([^`]*)`|\*\*(.+?)\*\*|\*(.+?)\*", re.S)


def escape_markup(text: str) -> str:
    """Plain words made safe in Typst markup: its specials escaped, a ``//`` (a comment) broken, and a line's
    leading ``=``, ``-`` or ``+`` (a heading or a list) escaped."""
    text = _MARKUP.sub(r"\\\1", str(text)).replace("//", "/\\/")
    return re.sub(r"(?m)^(\s*)([=+-])", r"\1\\\2", text)


def prose(text: str) -> str:
    """The catalogue's prose (LaTeX math between ``$``, the light marks `` `code` ``, ``**bold**``,
    ``*emphasis*``) as Typst markup.  A backslash command outside math would print as it is, so it is refused."""
    out, at = [], 0
    for m in _PROSE.finditer(text):
        out.append(_words(text[at:m.start()]))
        math, code, bold, emph = m.groups()
        if math is not None:
            out.append("$" + latex_fragment(math).strip() + "$")
        elif code is not None:
            out.append("`" + code + "`")  # raw text: Typst needs no escapes inside a raw span
        elif bold is not None:
            out.append("*" + prose(bold) + "*")
        else:
            out.append("_" + prose(emph) + "_")
        at = m.end()
    out.append(_words(text[at:]))
    return "".join(out)


def _words(text: str) -> str:
    if re.search(r"\\[A-Za-z]", text):
        raise ValueError(f"the catalogue's words {text!r} hold a LaTeX command outside math; write it in $…$")
    return escape_markup(text)
