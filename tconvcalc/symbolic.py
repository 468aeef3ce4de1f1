"""SymPy: the matrix C, its transpose, element formulas, and derivations with proofs.

C is the matrix of the direct convolution (rows: its outputs, columns: its
inputs, both flattened row-major); the transposed convolution is ``y = C^T x``.
Its non-zeros come from ``operator.layer_taps`` / ``operator.axis_taps`` only:
this module fills those triples with kernel symbols (or numbers) and never
recomputes the index rule itself.

Every formula here is derived by SymPy, and every equivalence is *proved* for
given sizes: the two routes are built independently and the difference of
each output expands to 0.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from functools import cached_property
from itertools import product
from typing import Iterable, Sequence

import sympy as sp
from sympy.logic.boolalg import BooleanFunction
from sympy.printing.pretty.stringpict import prettyForm

from .operator import axis_taps, layer_taps, nnz, ravel
from .spec import Axis, Layer, ParameterError, broadcast, check_groups, op_limit

# A symbolic sparse matrix costs ~1 µs per non-zero to build but every SymPy
# operation on it is far slower; past this many non-zeros we refuse and point
# to the elided LaTeX view or the numeric backend instead of hanging.
MAX_SYMBOLIC_NNZ = 300_000

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


# --- the operator -----------------------------------------------------------------


def _kernel_array(kernel, expected: tuple[int, ...]) -> sp.Array:
    """A numeric kernel as a SymPy array of the expected shape, exact where possible."""
    data = kernel.tolist() if hasattr(kernel, "tolist") else kernel
    try:
        array = sp.Array(data)
    except (TypeError, ValueError) as error:
        raise ParameterError(f"kernel is not a rectangular array of numbers ({error}); pass nested lists "
                             f"or an array of shape {expected}") from None
    if tuple(array.shape) != expected:
        raise ParameterError(f"kernel has shape {tuple(array.shape)} but the layer needs {expected}, the "
                             f"kernel must match (out_channels, in_channels/groups, *kernel_size) or "
                             f"kernel_size alone; pass an array of shape {expected}")
    return array.applyfunc(sp.nsimplify)


@dataclass(frozen=True)
class ConvOperator:
    """C for a layer in the canonical crop model, with channels, groups and a kernel filling.

    Channel counts are the *direct* convolution's: C maps ``in_channels`` maps of
    the conv input (the transposed convolution's output) to ``out_channels``
    maps.  The weight is PyTorch's ``(out_channels, in_channels/groups, *k)`` of
    that conv, which is the same tensor ``conv_transpose`` takes.
    """

    axes: tuple[Axis, ...]
    in_channels: int = 1
    out_channels: int = 1
    groups: int = 1
    kernel: sp.Array | None = None
    symbol: str = "w"

    def __post_init__(self) -> None:
        check_name("kernel symbol", self.symbol)
        check_groups(self.groups, self.in_channels, self.out_channels)

    # --- shape ---------------------------------------------------------------
    @property
    def ndim(self) -> int:
        return len(self.axes)

    @property
    def channels(self) -> bool:
        """Whether kernel symbols carry channel indices."""
        return self.in_channels > 1 or self.out_channels > 1

    @property
    def conv_input_shape(self) -> tuple[int, ...]:
        return tuple(axis.o for axis in self.axes)

    @property
    def conv_output_shape(self) -> tuple[int, ...]:
        return tuple(axis.i for axis in self.axes)

    @property
    def shape(self) -> tuple[int, int]:
        rows = self.out_channels * _prod(self.conv_output_shape)
        cols = self.in_channels * _prod(self.conv_input_shape)
        return rows, cols

    @property
    def weight_shape(self) -> tuple[int, ...]:
        return (self.out_channels, self.in_channels // self.groups, *(axis.k for axis in self.axes))

    @property
    def nnz_bound(self) -> int:
        """Non-zeros of C with every kernel entry non-zero, counted without enumerating."""
        return nnz(self.axes) * self.out_channels * (self.in_channels // self.groups)

    # --- filling -------------------------------------------------------------
    def weight(self, out_channel: int, in_channel: int, tap: tuple[int, ...]) -> sp.Expr:
        """The entry for a kernel tap: its symbol, or the number from the numeric kernel."""
        if self.kernel is not None:
            index = (out_channel, in_channel, *tap) if self.kernel.rank() > self.ndim else tap
            return self.kernel[index]
        return sp.Symbol(indexed_name(self.symbol, (out_channel, in_channel, *tap) if self.channels else tap))

    def _channel_pairs(self) -> list[tuple[int, int, int]]:
        """``(out_channel, in_channel, in_channel within its group)`` for every block of C."""
        per_out = self.out_channels // self.groups
        per_in = self.in_channels // self.groups
        return [(co, (co // per_out) * per_in + local, local)
                for co in range(self.out_channels) for local in range(per_in)]

    def check_size(self, what: str = "the symbolic matrix") -> None:
        if self.nnz_bound > MAX_SYMBOLIC_NNZ:
            rows, cols = self.shape
            raise ParameterError(
                f"{what} C would be {rows}×{cols} with {self.nnz_bound} non-zeros, more than a symbolic "
                f"matrix can sensibly hold ({MAX_SYMBOLIC_NNZ}); use --elide (the LaTeX view shows the "
                f"corners) or the numeric route (tconvcalc.numeric) for sizes this large"
            )

    def entries(self) -> dict[tuple[int, int], sp.Expr]:
        """``{(row, column): entry}`` of C, straight from the operator's triples."""
        self.check_size()
        rows_per, cols_per = _prod(self.conv_output_shape), _prod(self.conv_input_shape)
        pairs = self._channel_pairs()
        out: dict[tuple[int, int], sp.Expr] = {}
        for row, col, tap in layer_taps(self.axes):
            for co, ci, local in pairs:
                value = self.weight(co, local, tap)
                if value != 0:
                    out[(co * rows_per + row, ci * cols_per + col)] = value
        return out

    def matrix(self) -> sp.SparseMatrix:
        """C as a SymPy sparse matrix."""
        rows, cols = self.shape
        return sp.SparseMatrix(rows, cols, self.entries())

    def transpose_matrix(self) -> sp.SparseMatrix:
        """Cᵀ: the transposed convolution."""
        return self.matrix().T

    # --- single entries, for elided views of any size -------------------------
    @cached_property
    def _axis_lookup(self) -> list[dict[tuple[int, int], int]]:
        # Per-axis triples are small (i*k each) even when C has millions of entries.
        return [{(n, m): a for n, m, a in axis_taps(axis)} for axis in self.axes]

    def entry(self, row: int, col: int) -> sp.Expr:
        """C[row, col] without building C."""
        rows_per, cols_per = _prod(self.conv_output_shape), _prod(self.conv_input_shape)
        co, r = divmod(row, rows_per)
        ci, c = divmod(col, cols_per)
        per_out, per_in = self.out_channels // self.groups, self.in_channels // self.groups
        if co // per_out != ci // per_in:
            return sp.S.Zero
        tap = []
        for lookup, n, m in zip(self._axis_lookup, _unravel(r, self.conv_output_shape),
                                _unravel(c, self.conv_input_shape)):
            a = lookup.get((n, m))
            if a is None:
                return sp.S.Zero
            tap.append(a)
        return self.weight(co, ci % per_in, tuple(tap))

    @cached_property
    def _axis_columns(self) -> list[dict[int, list[tuple[int, int]]]]:
        # Column m of one axis: the (row n, tap a) pairs of the triples that land on m.
        out = []
        for axis in self.axes:
            by_column: dict[int, list[tuple[int, int]]] = {}
            for n, m, a in axis_taps(axis):
                by_column.setdefault(m, []).append((n, a))
            out.append(by_column)
        return out

    def column(self, col: int) -> list[tuple[int, sp.Expr]]:
        """``(row, entry)`` of the non-zeros in one column of C (one output of Cᵀ), for any size."""
        rows_per, cols_per = _prod(self.conv_output_shape), _prod(self.conv_input_shape)
        ci, c = divmod(col, cols_per)
        per_out, per_in = self.out_channels // self.groups, self.in_channels // self.groups
        group, local = divmod(ci, per_in)
        lists = [by_column.get(m, []) for by_column, m in zip(self._axis_columns, _unravel(c, self.conv_input_shape))]
        out = []
        for co in range(group * per_out, (group + 1) * per_out):
            for combo in product(*lists):
                value = self.weight(co, local, tuple(a for _, a in combo))
                if value != 0:
                    out.append((co * rows_per + ravel([n for n, _ in combo], self.conv_output_shape), value))
        return sorted(out, key=lambda pair: pair[0])

    def input_symbol(self, row: int, name: str = "x") -> sp.Symbol:
        """The symbol of one input of the transposed convolution (row of C), for any size."""
        rows_per = _prod(self.conv_output_shape)
        c, r = divmod(row, rows_per)
        index = _unravel(r, self.conv_output_shape)
        return sp.Symbol(indexed_name(name, (c, *index) if self.channels else index))

    def output_symbol(self, col: int, name: str = "y") -> sp.Symbol:
        cols_per = _prod(self.conv_input_shape)
        c, r = divmod(col, cols_per)
        index = _unravel(r, self.conv_input_shape)
        return sp.Symbol(indexed_name(name, (c, *index) if self.channels else index))

    def transpose_at(self, col: int, x_name: str = "x") -> sp.Expr:
        """One output of Cᵀx, from one column of C - cheap at any size."""
        return sp.Add(*(value * self.input_symbol(row, x_name) for row, value in self.column(col)))

    # --- the transposed convolution, element by element ----------------------
    def input_symbols(self, name: str = "x") -> list[sp.Symbol]:
        """x flattened row-major, named ``x_{n,m}`` (``x_{c,n,m}`` with channels)."""
        return _grid_symbols(check_name("input", name), self.out_channels, self.conv_output_shape, self.channels)

    def output_symbols(self, name: str = "y") -> list[sp.Symbol]:
        return _grid_symbols(check_name("output", name), self.in_channels, self.conv_input_shape, self.channels)

    def apply_transpose(self, x: Sequence[sp.Expr]) -> list[sp.Expr]:
        """Cᵀx, accumulated over C's non-zeros (SymPy's sparse product is 100x slower)."""
        terms: list[list[sp.Expr]] = [[] for _ in range(self.shape[1])]
        for (row, col), value in sorted(self.entries().items()):
            terms[col].append(value * x[row])
        return [sp.Add(*t) for t in terms]

    def apply(self, u: Sequence[sp.Expr]) -> list[sp.Expr]:
        """Cu: the direct convolution of the flattened input u."""
        terms: list[list[sp.Expr]] = [[] for _ in range(self.shape[0])]
        for (row, col), value in sorted(self.entries().items()):
            terms[row].append(value * u[col])
        return [sp.Add(*t) for t in terms]

    def element_formulas(self, x_name: str = "x", y_name: str = "y") -> list[tuple[sp.Symbol, sp.Expr]]:
        """Each output ``y_j`` of the transposed convolution as its sum of ``w·x`` terms."""
        return list(zip(self.output_symbols(y_name), self.apply_transpose(self.input_symbols(x_name))))

    # --- notebook view ---------------------------------------------------------
    def __repr__(self) -> str:
        rows, cols = self.shape
        return (f"ConvOperator({self.ndim}-D, C {rows}×{cols}, conv input {_axes_text(self.conv_input_shape)} "
                f"→ output {_axes_text(self.conv_output_shape)}, nnz ≤ {self.nnz_bound})")

    def _repr_latex_(self) -> str:
        from .latex import operator_latex  # the notebook view is the LaTeX emitter's job

        return "$$" + operator_latex(self) + "$$"


def _prod(values: Iterable[int]) -> int:
    out = 1
    for v in values:
        out *= v
    return out


def _unravel(flat: int, shape: Sequence[int]) -> tuple[int, ...]:
    index = []
    for n in reversed(shape):
        flat, r = divmod(flat, n)
        index.append(r)
    return tuple(reversed(index))


def _axes_text(shape: Sequence[int]) -> str:
    return "×".join(map(str, shape))


def _grid_symbols(name: str, channels: int, shape: Sequence[int], with_channel: bool) -> list[sp.Symbol]:
    out = []
    for c in range(channels):
        for index in product(*(range(n) for n in shape)):
            out.append(sp.Symbol(indexed_name(name, (c, *index) if with_channel else index)))
    return out


# --- building operators from the user's spelling ------------------------------------


def _per_axis_padding(padding):
    """Padding as one entry per axis: int, per-axis ints, or per-axis (b, e) pairs."""
    if isinstance(padding, (tuple, list)) and padding and all(isinstance(p, (tuple, list)) for p in padding):
        return list(padding)
    return None


def conv_operator(input_size, kernel_size, stride=1, padding=0, dilation=1, *, in_channels: int = 1,
                  out_channels: int = 1, groups: int = 1, kernel=None, symbol: str = "w") -> ConvOperator:
    """The operator of a direct convolution (PyTorch's ``conv{1,2,3}d`` parameters).

    ``padding`` is an int, one int per axis, or one ``(before, after)`` pair per
    axis (the canonical crop in the conv's frame).  ``kernel`` (optional) is a
    numeric array of shape ``kernel_size`` or ``(out, in/groups, *kernel_size)``.
    """
    pairs = _per_axis_padding(padding)
    named = dict(input_size=input_size, kernel_size=kernel_size, stride=stride, dilation=dilation)
    if pairs is None:
        named["padding"] = padding
    _, v = broadcast(None if pairs is None else len(pairs), **named)
    pads = pairs if pairs is not None else v["padding"]
    axes = tuple(Axis.from_conv(n, k, s, p, d) for n, k, s, p, d in
                 zip(v["input_size"], v["kernel_size"], v["stride"], pads, v["dilation"]))
    return operator_from_axes(axes, in_channels=in_channels, out_channels=out_channels, groups=groups,
                              kernel=kernel, symbol=symbol)


def operator_from_axes(axes: Sequence[Axis], *, in_channels: int = 1, out_channels: int = 1, groups: int = 1,
                       kernel=None, symbol: str = "w") -> ConvOperator:
    """The operator of a transposed convolution given in the canonical crop model."""
    axes = tuple(axes)
    probe = ConvOperator(axes, in_channels, out_channels, groups, None, symbol)
    array = None
    if kernel is not None:
        full = probe.weight_shape
        data = kernel.tolist() if hasattr(kernel, "tolist") else kernel
        rank = len(sp.Array(data).shape) if not isinstance(data, (int, float)) else 0
        array = _kernel_array(data, full if rank == len(full) and rank > len(axes) else full[2:])
        if array.rank() == len(axes) and probe.channels:
            raise ParameterError(f"kernel has shape {tuple(array.shape)} but with channels C needs the full "
                                 f"weight, shape (out_channels, in_channels/groups, *kernel_size); pass shape "
                                 f"{full}")
    return ConvOperator(axes, in_channels, out_channels, groups, array, symbol)


def conv_transpose_operator(input_size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1, *,
                            in_channels: int = 1, out_channels: int = 1, groups: int = 1, kernel=None,
                            symbol: str = "w") -> ConvOperator:
    """The operator of PyTorch's ``ConvTranspose{1,2,3}d``; its matrix is C, the layer is Cᵀ.

    Channel counts are the transposed convolution's (weight ``(in, out/groups, *k)``).
    """
    layer = Layer.from_pytorch(input_size, kernel_size, stride, padding, output_padding, dilation)
    return operator_from_axes(layer.axes, in_channels=out_channels, out_channels=in_channels, groups=groups,
                              kernel=kernel, symbol=symbol)


def conv_matrix(input_size, kernel_size, stride=1, padding=0, dilation=1, **options) -> sp.SparseMatrix:
    """C of the direct convolution: rows its outputs, columns its inputs, flattened row-major."""
    return conv_operator(input_size, kernel_size, stride, padding, dilation, **options).matrix()


def conv_transpose_matrix(input_size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1,
                          **options) -> sp.SparseMatrix:
    """Cᵀ: the transposed convolution (PyTorch's parameters) as a matrix."""
    return conv_transpose_operator(input_size, kernel_size, stride, padding, output_padding, dilation,
                                   **options).transpose_matrix()


# --- derivations and proofs ------------------------------------------------------------


@dataclass
class Step:
    """One line of a derivation: words, and the SymPy object it states."""

    text: str
    expr: sp.Basic | None = None
    # Placeholder symbol -> the number it stands for: "2·(3 − 1)" stays unevaluated when printed.
    values: dict | None = None

    def latex(self) -> str:
        if self.values:
            return sp.latex(self.expr, symbol_names={s: str(v) for s, v in self.values.items()}, mul_symbol="dot")
        return sp.latex(self.expr)

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

    def sentence(self) -> str:
        if self.holds:
            return f"proved: {self.statement} — {self.checked} difference(s) expand to 0 ({self.seconds:.2f} s)"
        return f"NOT proved: {self.statement} — {self.counterexample}"


@dataclass
class Derivation:
    """A derivation step by step, with the proofs that back it and a JSON-ready summary."""

    title: str
    steps: list[Step] = field(default_factory=list)
    proofs: list[Proof] = field(default_factory=list)
    results: dict = field(default_factory=dict)

    def add(self, text: str, expr: sp.Basic | None = None, values: dict | None = None) -> sp.Basic | None:
        self.steps.append(Step(text, expr, values))
        return expr

    @property
    def proved(self) -> bool:
        return all(p.holds for p in self.proofs)

    def to_dict(self) -> dict:
        return {
            "title": self.title,
            "steps": [{"text": s.text, "plain": None if s.expr is None else s.plain(),
                       "latex": None if s.expr is None else s.latex()} for s in self.steps],
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
        from .latex import derivation_latex  # the notebook view is the LaTeX emitter's job

        return derivation_latex(self, markdown=True)


def prove_equal(statement: str, left: Sequence[sp.Expr], right: Sequence[sp.Expr]) -> Proof:
    """Expand every ``left[n] - right[n]``; the proof holds when each is 0."""
    start = time.perf_counter()
    if len(left) != len(right):
        return Proof(statement, 0, False, time.perf_counter() - start,
                     f"{len(left)} expressions against {len(right)}")
    for n, (a, b) in enumerate(zip(left, right)):
        difference = sp.expand(a - b)
        if difference != 0:
            return Proof(statement, n, False, time.perf_counter() - start,
                         f"entry {n}: {sp.sstr(a)} - ({sp.sstr(b)}) = {sp.sstr(difference)}")
    return Proof(statement, len(left), True, time.perf_counter() - start)


# The general symbols: positive integers, so SymPy may simplify floors of integers.
I, K, S, D = sp.symbols("i k s d", integer=True, positive=True)
OP = sp.Symbol("op", integer=True, nonnegative=True)
P = sp.Symbol("p", integer=True, nonnegative=True)
B, E = sp.symbols("b e", integer=True)
N, A, J, M = sp.symbols("n a j m", integer=True, nonnegative=True)


def general_output_size() -> tuple[sp.Expr, list[Step]]:
    """o from the index range of the scatter m = n·s + a·d, then the crop (b, e) = (p, p − op)."""
    m = N * S + A * D
    steps = [Step("every input sample n and kernel tap a scatter to position", sp.Eq(M, m))]
    # m grows with n and a (s, d > 0), so the range ends at the corners of the index box.
    low, high = m.subs({N: 0, A: 0}), m.subs({N: I - 1, A: K - 1})
    steps.append(Step("smallest position, at n = 0, a = 0", sp.Eq(sp.Symbol("m_min"), low)))
    steps.append(Step("largest position, at n = i − 1, a = k − 1", sp.Eq(sp.Symbol("m_max"), high)))
    full = high - low + 1
    steps.append(Step("the full scatter has F = m_max − m_min + 1 samples", sp.Eq(sp.Symbol("F"), full)))
    steps.append(Step("the output drops b samples at the start and e at the end", sp.Eq(sp.Symbol("o"), full - B - E)))
    o = (full - B - E).subs({B: P, E: P - OP})
    steps.append(Step("PyTorch's padding and output_padding are the crop b = p, e = p − op", sp.Eq(sp.Symbol("o"), o)))
    return o, steps


def general_conv_size() -> sp.Expr:
    """The direct convolution's output size: how many stride steps fit the padded input."""
    # Output r reads the padded positions r·s … r·s + d(k−1); the last one must be < n + 2p.
    r = sp.Symbol("r", integer=True)
    last = sp.solve(sp.Eq(r * S + D * (K - 1), N + 2 * P - 1), r)[0]
    return sp.floor(last) + 1


def _values(axis: Axis) -> dict:
    p, op = axis.padding_pair
    return {I: axis.i, K: axis.k, S: axis.s, P: p, OP: op, D: axis.d}


def derive_output_size(layer: Layer | None = None) -> Derivation:
    """The output-size formula, derived from the scatter's index range, with each axis's values."""
    o, steps = general_output_size()
    der = Derivation("Output size of the transposed convolution", steps)
    der.results["formula"] = sp.sstr(o)
    der.results["formula_latex"] = sp.latex(o)
    if layer is None:
        return der
    sizes, lefts, rights = [], [], []
    for n, axis in enumerate(layer.axes):
        where = f" (axis {n})" if layer.ndim > 1 else ""
        values = _values(axis)
        substituted = o.subs(values, simultaneous=True)
        shown, names = _substitute_unevaluated(o, values)
        der.add(f"with i={axis.i}, k={axis.k}, s={axis.s}, p={values[P]}, op={values[OP]}, d={axis.d}{where}",
                sp.Eq(sp.Symbol("o"), shown, evaluate=False), names)
        der.add("", sp.Eq(sp.Symbol("o"), substituted))
        sizes.append(int(substituted))
        # Independent route: the positions the operator's triples actually reach after the crop.
        full_axis = Axis(axis.i, axis.k, axis.s, axis.d, 0, 0)
        positions = [m for _, m, _ in axis_taps(full_axis)]
        lefts.append(substituted)
        rights.append(sp.Integer(max(positions) - min(positions) + 1 - axis.b - axis.e))
    der.proofs.append(prove_equal("the derived o equals the span of the scatter's positions minus the crop",
                                  lefts, rights))
    der.results["output_size"] = sizes
    return der


def _substitute_unevaluated(expr: sp.Expr, values: dict) -> tuple[sp.Expr, dict]:
    """The formula with numbers in place of symbols, not yet evaluated: o = 2·(2 − 1) + …

    Each symbol becomes a placeholder printed as its number, so SymPy keeps the
    formula's structure (numbers would be folded at once).
    """
    placeholders = {symbol: sp.Symbol(f"VAL{symbol.name}") for symbol in values}
    return expr.xreplace(placeholders), {placeholders[s]: v for s, v in values.items()}


def derive_ambiguity(layer: Layer) -> Derivation:
    """The conv input sizes that share one output size, and the output_padding that picks each."""
    der = Derivation("Which sizes the transposed convolution can restore (the output_padding ambiguity)")
    conv = general_conv_size()
    der.add("a convolution of a length-n input has output size", sp.Eq(sp.Symbol("i"), conv))
    # floor(q) = i - 1  <=>  i - 1 <= q < i: solve both boundaries for n.
    q = conv - 1
    inner = q.args[0] if isinstance(q, sp.floor) else sp.floor(q).args[0]
    n_low = sp.solve(sp.Eq(inner, I - 1), N)[0]
    n_high = sp.solve(sp.Eq(inner, I - 1 + (S - 1) / S), N)[0]
    der.add("it equals i for every n from", sp.Eq(sp.Symbol("n_0"), sp.expand(n_low)))
    der.add("up to", sp.Eq(sp.Symbol("n_{s-1}"), sp.expand(n_high)))
    o, _ = general_output_size()
    base = o.subs(OP, 0)
    der.add("the transposed convolution gives", sp.Eq(sp.Symbol("o"), o))
    op_low, op_high = sp.simplify(n_low - base), sp.simplify(n_high - base)
    der.add("so output_padding = n − n_0 restores n, from", sp.Eq(sp.Symbol("op_min"), op_low))
    der.add("to", sp.Eq(sp.Symbol("op_max"), op_high))
    der.add("PyTorch accepts 0 ≤ op < max(s, d); only op < s gives back an input size of i")
    rows, lefts, rights = [], [], []
    for n_axis, axis in enumerate(layer.axes):
        values = _values(axis)
        lo, hi = int(n_low.subs(values)), int(n_high.subs(values))
        shared = list(range(max(1, lo), hi + 1))
        for op in range(op_limit(axis.s, axis.d)):
            size = int(o.subs({**values, OP: op}))
            if size < 1:
                continue
            back = int(conv.subs({**values, N: size}))
            rows.append({"axis": n_axis, "output_padding": op, "output_size": size, "conv_output_size": back,
                         "inverts": back == axis.i, "conv_sizes": shared if back == axis.i else [],
                         "chosen": op == values[OP]})
        # Every n in the derived set convolves back to i.
        for n in shared:
            lefts.append(conv.subs({**values, N: n}))
            rights.append(sp.Integer(axis.i))
    der.proofs.append(prove_equal("every n in [n_0, n_0 + s − 1] convolves back to i", lefts, rights))
    der.results["table"] = rows
    der.results["conv_sizes"] = [
        list(range(max(1, int(n_low.subs(_values(a)))), int(n_high.subs(_values(a))) + 1)) for a in layer.axes]
    der.results["op_range"] = [sp.sstr(op_low), sp.sstr(op_high)]
    return der


def _zero_insertion_route(layer: Layer, x: Sequence[sp.Expr], w) -> list[sp.Expr]:
    """The transposed convolution as a stride-1 correlation of the stretched, padded input.

    Independent of operator.py on purpose: it is the second route of the proof.
    """
    per_axis = []
    for axis in layer.axes:
        lo, _ = axis.zero_insertion_pads
        terms = []
        for j in range(axis.o):
            here = []
            for flipped in range(axis.k):
                t = j + flipped * axis.d - lo  # position in the stretched input
                if 0 <= t < axis.stretched and t % axis.s == 0:
                    here.append((axis.k - 1 - flipped, t // axis.s))
            terms.append(here)
        per_axis.append(terms)
    return _combine(layer, per_axis, x, w)


def _combine(layer: Layer, per_axis, x, w) -> list[sp.Expr]:
    """N-d outputs from per-axis ``(tap, source)`` lists: the product over axes."""
    in_shape = layer.input_size
    out = []
    for js in product(*(range(axis.o) for axis in layer.axes)):
        terms = []
        for combo in product(*(per_axis[t][j] for t, j in enumerate(js))):
            taps = tuple(a for a, _ in combo)
            sources = tuple(n for _, n in combo)
            terms.append(w(taps) * x[ravel(sources, in_shape)])
        out.append(sp.Add(*terms))
    return out


def derive_equivalence(layer: Layer, symbol: str = "w", prove: bool = True) -> Derivation:
    """The equivalent direct convolution: zero insertion, padding, flipped kernel, stride 1."""
    der = Derivation("The transposed convolution as a direct convolution")
    o, _ = general_output_size()
    stretched = (I - 1) * S + 1
    lo, hi = D * (K - 1) - B, D * (K - 1) - E
    der.add("insert s − 1 zeros between input samples: the stretched input has length", sp.Eq(sp.Symbol("i_z"), stretched))
    der.add("pad before (negative: crop)", sp.Eq(sp.Symbol("p_lo"), lo))
    der.add("pad after (negative: crop)", sp.Eq(sp.Symbol("p_hi"), hi))
    der.add("correlate with the flipped kernel", sp.Eq(sp.Symbol("w'_a"), sp.Symbol("w_{k-1-a}")))
    der.add("at stride 1 and dilation d; its output size is i_z + p_lo + p_hi − d(k − 1)",
            sp.Eq(sp.Symbol("o'"), stretched + lo + hi - D * (K - 1)))
    general = (stretched + lo + hi - D * (K - 1)).subs({B: P, E: P - OP})
    der.proofs.append(prove_equal("o' equals the transposed convolution's o for all i, k, s, p, op, d",
                                  [general], [o]))
    equivalents = []
    for n, axis in enumerate(layer.axes):
        before, after = axis.zero_insertion_pads
        equivalents.append({"axis": n, "zeros_between": axis.s - 1, "stretched_size": axis.stretched,
                            "pad_before": before, "pad_after": after,
                            "stride": 1, "dilation": axis.d, "kernel": "flipped", "output_size": axis.o})
    der.results["equivalent"] = equivalents
    op = operator_from_axes(layer.axes, symbol=symbol)
    if prove and _provable(op, der):
        x = op.input_symbols()
        direct = op.apply_transpose(x)
        route = _zero_insertion_route(layer, x, lambda taps: op.weight(0, 0, taps))
        der.proofs.append(prove_equal(f"Cᵀx equals the zero-inserted, padded, flipped-kernel convolution for "
                                      f"input {_axes_text(layer.input_size)}", direct, route))
    return der


def _provable(op: ConvOperator, der: Derivation) -> bool:
    """Whether an entry-by-entry proof fits in memory; if not, the derivation says so."""
    if op.nnz_bound <= MAX_SYMBOLIC_NNZ:
        return True
    der.add(f"the entry-by-entry proof for these sizes needs C with {op.nnz_bound} non-zeros, more than a "
            f"symbolic matrix sensibly holds ({MAX_SYMBOLIC_NNZ}); it is skipped - check large sizes with the "
            f"numeric backend (tconvcalc.numeric)")
    return False


def _phase_tables(layer: Layer) -> tuple[list, list[dict]]:
    """Per axis, phase by phase: phase r uses only the taps with a·d ≡ r (mod s)."""
    per_axis, phases = [], []
    for n_axis, axis in enumerate(layer.axes):
        terms: list[list] = [[] for _ in range(axis.o)]
        for phase in axis.phases:
            outputs = range(phase.first, axis.o, axis.s)
            phases.append({"axis": n_axis, "phase": phase.residue, "taps": list(phase.taps),
                           "offsets": list(phase.offsets),
                           "outputs": list(outputs[:6]) + (["…"] if len(outputs) > 6 else []),
                           "tap_count": len(phase.taps)})
            for q, j in enumerate(outputs, phase.q_first):  # j + b = q·s + r
                terms[j] = [(a, q - c) for a, c in zip(phase.taps, phase.offsets) if 0 <= q - c < axis.i]
        per_axis.append(terms)
    return per_axis, phases


def derive_phases(layer: Layer, symbol: str = "w") -> Derivation:
    """The sub-pixel decomposition: s interleaved stride-1 convolutions with sub-kernels."""
    der = Derivation("Sub-pixel (phase) decomposition")
    q, r, c = sp.symbols("q r c_a", integer=True)
    x, w = sp.IndexedBase("x"), sp.IndexedBase(check_name("kernel symbol", symbol))
    der.add("write each output position as j + b = q·s + r with phase 0 ≤ r < s", sp.Eq(J + B, q * S + r))
    der.add("a tap a reaches it from input n = (j + b − a·d)/s, an integer only when",
            sp.Eq(sp.Mod(A * D, S), r))
    der.add("for those taps a·d = c_a·s + r, so the input is q − c_a and phase r is a stride-1 convolution",
            sp.Eq(sp.Indexed(sp.IndexedBase("y"), q * S + r - B),
                  sp.Sum(Iverson(sp.Eq(sp.Mod(A * D, S), r)) * w[A] * x[q - (A * D - r) / S], (A, 0, K - 1))))
    op = operator_from_axes(layer.axes, symbol=symbol)
    per_axis, phases = _phase_tables(layer)
    for phase in phases:
        where = f"axis {phase['axis']}, " if layer.ndim > 1 else ""
        der.add(f"{where}phase r={phase['phase']}: taps a ∈ {{{', '.join(map(str, phase['taps']))}}} "
                f"({phase['tap_count']} tap(s)), input offsets c_a = {phase['offsets']}")
    counts = {(p["axis"]): set() for p in phases}
    for p in phases:
        counts[p["axis"]].add(p["tap_count"])
    uneven = any(len(v) > 1 for v in counts.values())
    der.add("phases with different tap counts weight outputs unevenly: checkerboard artifacts" if uneven
            else "every phase has the same number of taps: uniform overlap, no checkerboard")
    der.results["phases"] = phases
    der.results["uniform_overlap"] = not uneven
    if _provable(op, der):
        # The N-d outputs are built only when they will be proved: they grow with the grid.
        xs = op.input_symbols()
        route = _combine(layer, per_axis, xs, lambda taps: op.weight(0, 0, taps))
        der.proofs.append(prove_equal(f"Cᵀx equals the interleaved phase convolutions for input "
                                      f"{_axes_text(layer.input_size)}", op.apply_transpose(xs), route))
    return der


def closed_form(ndim: int = 1, x_name: str = "x", symbol: str = "w") -> tuple[sp.Expr, sp.Expr, dict]:
    """``y_j`` as a sum over kernel taps with Iverson brackets, for symbolic i, k, s, p, d.

    Returns ``(lhs, rhs, symbols)``; ``symbols`` maps each axis's names so callers can substitute.
    """
    names = ["i", "k", "s", "p", "d", "j", "a"]
    per_axis = []
    for t in range(ndim):
        suffix = "" if ndim == 1 else f"_{t + 1}"
        syms = {name: sp.Symbol(name + suffix, integer=True,
                                **({"positive": True} if name in "iksd" else {"nonnegative": True}))
                for name in names}
        per_axis.append(syms)
    w = sp.IndexedBase(check_name("kernel symbol", symbol))
    x = sp.IndexedBase(check_name("input", x_name))
    y = sp.IndexedBase("y")
    brackets, sources = sp.S.One, []
    for v in per_axis:
        t = v["j"] + v["p"] - v["a"] * v["d"]  # s·n for the input n that tap a sends to j
        brackets *= Iverson(Divides(v["s"], t)) * Iverson(sp.And(0 <= t, t <= v["s"] * (v["i"] - 1)))
        sources.append(t / v["s"])
    body = brackets * w[tuple(v["a"] for v in per_axis)] * x[tuple(sources)]
    limits = [(v["a"], 0, v["k"] - 1) for v in per_axis]
    rhs = sp.Sum(body, *limits)
    lhs = y[tuple(v["j"] for v in per_axis)]
    display = [sp.Eq(lhs, rhs)]
    if ndim > 1:
        # One line per axis would not fit a page: name the per-axis bracket and source once.
        t = sp.Symbol("t", integer=True, positive=True)
        generic = {name: sp.Symbol(f"{name}_t", integer=True) for name in names}
        n_t = sp.Symbol("n_t", integer=True)
        bracket = sp.Function("B")
        shift = generic["j"] + generic["p"] - generic["a"] * generic["d"]
        short = sp.Sum(sp.Mul(*(bracket(t_) for t_ in range(1, ndim + 1))) * w[tuple(v["a"] for v in per_axis)]
                       * x[tuple(sp.Symbol(f"n_{t_}") for t_ in range(1, ndim + 1))], *limits)
        display = [sp.Eq(lhs, short), sp.Eq(n_t, shift / generic["s"]),
                   sp.Eq(bracket(t), Iverson(Divides(generic["s"], shift))
                         * Iverson(sp.And(0 <= shift, shift <= generic["s"] * (generic["i"] - 1))))]
    return lhs, rhs, {"axes": per_axis, "w": w, "x": x, "display": display}


def closed_form_for(layer: Layer, outputs: Sequence[int] | None = None, symbol: str = "w",
                    x_name: str = "x") -> tuple[list[sp.Expr], Derivation]:
    """Evaluate the closed form at outputs of a concrete layer (flat indices; default all)
    and prove each equals the matching output of Cᵀx."""
    lhs, rhs, syms = closed_form(layer.ndim, x_name, symbol)
    der = Derivation("Element formulas of the transposed convolution")
    der.add("each output collects the taps whose input index is a whole number inside the input",
            syms["display"][0])
    for definition in syms["display"][1:]:
        der.add("on each axis t", definition)
    op = operator_from_axes(layer.axes, symbol=symbol)
    if outputs is None:
        op.check_size("for the element formulas,")
        outputs = range(op.shape[1])
    values = {}
    for v, axis in zip(syms["axes"], layer.axes):
        values.update({v["i"]: axis.i, v["k"]: axis.k, v["s"]: axis.s, v["p"]: axis.b, v["d"]: axis.d})
    general = rhs.xreplace(values)
    js = [v["j"] for v in syms["axes"]]

    def to_symbol(indexed):
        # Indexed w[a, b] / x[n, m] -> the Symbols w_{a,b} / x_{n,m} the matrix uses.
        return sp.Symbol(indexed_name(str(indexed.base), [int(i) for i in indexed.indices]))

    expanded, direct = [], []
    for col in outputs:
        value = general.xreplace(dict(zip(js, _unravel(col, layer.output_size)))).doit()
        value = value.replace(lambda e: isinstance(e, sp.Indexed) and all(i.is_Integer for i in e.indices),
                              to_symbol)
        expanded.append(value)
        direct.append(op.transpose_at(col, x_name))
    der.proofs.append(prove_equal(f"the closed form equals Cᵀx at {len(expanded)} output(s) of "
                                  f"{_axes_text(layer.output_size)}", expanded, direct))
    der.results["outputs"] = [[sp.sstr(op.output_symbol(c)), sp.sstr(e)] for c, e in zip(outputs, expanded)]
    return expanded, der


def derive_formulas(layer: Layer, limit: int = 12, symbol: str = "w") -> Derivation:
    """The closed form, then each output expanded (the first ``limit`` and the last), proved against Cᵀx."""
    op = operator_from_axes(layer.axes, symbol=symbol)
    total = op.shape[1]
    outputs = list(range(total)) if total <= limit + 1 else [*range(limit), total - 1]
    expanded, der = closed_form_for(layer, outputs, symbol)
    for n, (col, value) in enumerate(zip(outputs, expanded)):
        text = "for these sizes, output by output" if n == 0 else ("…" if col == total - 1 and n < col else "")
        der.add(text, sp.Eq(op.output_symbol(col), value))
    return der


# --- Dumoulin & Visin's relationships 1-14 ---------------------------------------------


@dataclass
class Relationship:
    number: int
    title: str
    conditions: list[sp.Basic]
    derived: sp.Expr
    paper: sp.Expr
    lhs: str
    proof: Proof
    extra: list[Step] = field(default_factory=list)


def derive_relationships() -> list[Relationship]:
    """Re-derive conv_arithmetic's relationships 1-14 from the general formulas and prove each."""
    i, k, s, p, d, n, a = sp.symbols("i k s p d n a", integer=True, positive=True)
    p0 = sp.Symbol("p", integer=True, nonnegative=True)
    ip = sp.Symbol("i'", integer=True, positive=True)  # the transposed convolution's input
    conv = general_conv_size().subs({N: i, K: k, S: s, P: p0, D: d})
    # The transposed convolution as a direct convolution of the stretched input (derive_equivalence):
    # input (i'−1)s + 1, padding d(k−1) − b before and d(k−1) − e after, stride 1, kernel k.
    stretched = (ip - 1) * s + 1
    equivalent_pad = (D * (K - 1) - B).subs({D: 1, K: k})
    tconv_out = stretched + 2 * (k - 1) - B - E - (k - 1)  # output of that stride-1 convolution, d = 1

    def relation(number, title, conditions, subs, paper, lhs="o"):
        derived = conv.subs(subs)
        derived = sp.simplify(derived) if derived.has(sp.floor) and subs.get(s) == 1 else derived
        proof = prove_equal(f"relationship {number}", [sp.expand(derived)], [sp.expand(paper)])
        return Relationship(number, title, conditions, derived, paper, lhs, proof)

    out = [
        relation(1, "no zero padding, unit strides", [sp.Eq(s, 1), sp.Eq(p0, 0), sp.Eq(d, 1)],
                 {s: 1, p0: 0, d: 1}, (i - k) + 1),
        relation(2, "zero padding, unit strides", [sp.Eq(s, 1), sp.Eq(d, 1)], {s: 1, d: 1}, (i - k) + 2 * p0 + 1),
        relation(3, "half (same) padding", [sp.Eq(k, 2 * n + 1), sp.Eq(p0, n), sp.Eq(s, 1), sp.Eq(d, 1)],
                 {k: 2 * n + 1, p0: n, s: 1, d: 1}, i),
        relation(4, "full padding", [sp.Eq(p0, k - 1), sp.Eq(s, 1), sp.Eq(d, 1)], {p0: k - 1, s: 1, d: 1},
                 i + (k - 1)),
        relation(5, "no zero padding, non-unit strides", [sp.Eq(p0, 0), sp.Eq(d, 1)], {p0: 0, d: 1},
                 sp.floor((i - k) / s) + 1),
        relation(6, "zero padding, non-unit strides", [sp.Eq(d, 1)], {d: 1}, sp.floor((i + 2 * p0 - k) / s) + 1),
    ]

    def transposed(number, title, conditions, conv_subs, crop, paper, paper_pad, input_size):
        """Relationships 7-13: the transpose of a conv, as the derived equivalent direct convolution."""
        pad = sp.expand(equivalent_pad.subs(B, crop[0]).subs(conv_subs))
        derived = tconv_out.subs({B: crop[0], E: crop[1]}).subs(conv_subs)
        # The transpose restores the conv input: substitute i' = conv output size.
        restores = sp.expand(derived.subs(ip, input_size) - i)
        proof = prove_equal(f"relationship {number}", [sp.expand(derived), pad, restores],
                            [sp.expand(paper.subs(conv_subs)), sp.expand(paper_pad.subs(conv_subs)), sp.S.Zero])
        extra = [Step("equivalent direct convolution: stride s' = 1, kernel k' = k, padding", sp.Eq(sp.Symbol("p'"), pad)),
                 Step("with i' the convolution's output size, o' gives back its input", sp.Eq(sp.Symbol("o'"), i))]
        return Relationship(number, title, conditions, derived, sp.expand(paper.subs(conv_subs)), "o'", proof, extra)

    conv_out = lambda subs: sp.simplify(conv.subs(subs))  # noqa: E731 - the i' each case starts from
    out += [
        transposed(7, "transpose of no padding, unit strides", [sp.Eq(s, 1), sp.Eq(p0, 0)], {s: 1, p0: 0},
                   (0, 0), ip + (k - 1), k - 1, conv_out({s: 1, p0: 0, d: 1})),
        transposed(8, "transpose of zero padding, unit strides", [sp.Eq(s, 1)], {s: 1}, (p0, p0),
                   ip + (k - 1) - 2 * p0, k - p0 - 1, conv_out({s: 1, d: 1})),
        transposed(9, "transpose of half (same) padding", [sp.Eq(k, 2 * n + 1), sp.Eq(p0, n), sp.Eq(s, 1)],
                   {k: 2 * n + 1, p0: n, s: 1}, (p0, p0), ip, p0, conv_out({k: 2 * n + 1, p0: n, s: 1, d: 1})),
        transposed(10, "transpose of full padding", [sp.Eq(p0, k - 1), sp.Eq(s, 1)], {p0: k - 1, s: 1},
                   (p0, p0), ip - (k - 1), sp.S.Zero, conv_out({p0: k - 1, s: 1, d: 1})),
        transposed(11, "transpose of no padding, non-unit strides, s | i − k",
                   [sp.Eq(p0, 0), Divides(s, i - k)], {p0: 0}, (0, 0), s * (ip - 1) + k, k - 1,
                   (i - k) / s + 1),
        transposed(12, "transpose of zero padding, non-unit strides, s | i + 2p − k",
                   [Divides(s, i + 2 * p0 - k)], {}, (p0, p0), s * (ip - 1) + k - 2 * p0, k - p0 - 1,
                   (i + 2 * p0 - k) / s + 1),
        transposed(13, "transpose of zero padding, non-unit strides, any i: a = (i + 2p − k) mod s extra zeros",
                   [sp.Eq(a, sp.Mod(i + 2 * p0 - k, s))], {}, (p0, p0 - a), s * (ip - 1) + a + k - 2 * p0,
                   k - p0 - 1, (i + 2 * p0 - k - a) / s + 1),
    ]
    dilated = conv.subs({})
    paper14 = sp.floor((i + 2 * p0 - k - (k - 1) * (d - 1)) / s) + 1
    out.append(Relationship(14, "dilated convolution", [sp.Eq(sp.Symbol("khat"), k + (k - 1) * (d - 1))],
                            dilated, paper14, "o",
                            prove_equal("relationship 14", [sp.expand(dilated)], [sp.expand(paper14)])))
    return out
