"""The matrix C and its transpose, filled with kernel symbols (or numbers) at the operator's triples.

C is the matrix of the direct convolution (rows: its outputs, columns: its
inputs, both flattened row-major); the transposed convolution is ``y = C^T x``.
Its non-zeros come from the operator only (``structure.tap_range`` tap by tap, or
``structure.column_pairs`` output by output, whichever is shorter): this module fills
those triples and never recomputes the index rule itself.

Every method that builds something bounds it first, arithmetically: the whole C by its
non-zeros (:data:`MAX_SYMBOLIC_NNZ`), SymPy expressions such as ``Cᵀx`` by their terms
(:data:`MAX_EXPRESSION_TERMS`), a numeric kernel by its entries (:data:`MAX_KERNEL_ENTRIES`);
single entries, columns and the elided view cost the same at any size.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from itertools import product
from math import prod
from typing import Callable, Sequence

import sympy as sp

from ..model.structure import axis_nnz, column_pairs, input_range, ravel, tap_at, tap_range, unravel
from ..model.spec import Axis, Layer, ParameterError, axes_text, broadcast, check_groups, range_count
from .phases import output_count
from .vocabulary import check_name, indexed_name

# Every public call answers within about a second, Python's and SymPy's start-up
# included; the limits below are measured on a 2-core machine and checked before anything is built.
# A symbolic sparse matrix costs ~3 µs per non-zero (listing, filling, SymPy's matrix); past this
# many non-zeros we refuse and point to the elided view or the numeric backend instead of hanging.
MAX_SYMBOLIC_NNZ = 100_000
# Every cell of a whole matrix is printed; beyond this many no page or terminal shows them.
MAX_WHOLE_CELLS = 250_000
# SymPy expressions (Cᵀx, Cu, element formulas) cost ~25 µs a term and ~7 µs a new symbol:
# non-zeros plus the symbols of x and y, at most this many.
MAX_EXPRESSION_TERMS = 12_000
# A numeric kernel is converted to exact SymPy numbers entry by entry (~5 µs each).
MAX_KERNEL_ENTRIES = 20_000
# Non-zeros are counted tap by tap (~2 µs a tap) up to this many taps in all; past it they are bounded.
EXACT_TAPS = 10_000


def axis_nnz_bound(axis: Axis) -> int:
    """At least as many non-zeros as one axis's C has, in O(log): every input meets at most ``k`` taps and
    every output at most the most taps a phase gets (the model's ``tap_count_range``)."""
    return min(axis.i * axis.k, axis.o * axis.tap_count_range[1])


def _listing_steps(axis: Axis) -> int:
    """The steps :func:`axis_triples` takes besides its triples: one per tap or one per output."""
    return min(axis.k, axis.o)


def axis_triples(axis: Axis) -> list[tuple[int, int, int]]:
    """``(n, m, a)``: the operator's non-zeros of one axis, tap by tap (``structure.tap_range``) or output by
    output (``structure.column_pairs``), whichever is fewer steps - never input by input, so an input of 2**64
    samples with a few outputs costs a few steps."""
    if axis.k <= axis.o:
        out: list[tuple[int, int, int]] = []
        for a in range(axis.k):
            span = tap_range(axis, a)
            if span is not None:
                out.extend((n, m, a) for n, m in zip(range(span[0].start, span[0].stop),
                                                     range(span[1].start, span[1].stop, span[1].step)))
        return out
    return [(n, m, a) for m in range(axis.o) for n, a in column_pairs(axis, m)]


def _number(value) -> sp.Expr:
    """One kernel entry as an exact SymPy number: ints as they are, floats by their shortest decimal
    (0.1 is 1/10; ``nsimplify`` would search for surds, ~20 ms an entry), anything else by ``nsimplify``."""
    if isinstance(value, bool):
        return sp.Integer(int(value))
    if isinstance(value, int):
        return sp.Integer(value)
    if isinstance(value, sp.Float) and value._prec == 53:  # a float that SymPy already holds
        value = float(value)
    if isinstance(value, float) and value == value and abs(value) != float("inf"):
        return sp.Rational(repr(value))
    if isinstance(value, sp.Rational):
        return value
    return sp.nsimplify(value)


def _numbers(data):
    """Nested lists with every leaf made exact by :func:`_number`."""
    if isinstance(data, (list, tuple)):
        return [_numbers(item) for item in data]
    return _number(data)

# --- the operator -----------------------------------------------------------------


def _kernel_array(kernel, expected: tuple[int, ...]) -> sp.Array:
    """A numeric kernel as a SymPy array of the expected shape, exact where possible."""
    data = kernel.tolist() if hasattr(kernel, "tolist") else kernel
    try:
        array = sp.Array(_numbers(data))
    except (TypeError, ValueError, sp.SympifyError) as error:
        raise ParameterError(f"kernel is not a rectangular array of numbers ({error}); pass nested lists "
                             f"or an array of shape {expected}") from None
    if tuple(array.shape) != expected:
        raise ParameterError(f"kernel has shape {tuple(array.shape)} but the layer needs {expected}, the "
                             f"kernel must match (out_channels, in_channels/groups, *kernel_size) or "
                             f"kernel_size alone; pass an array of shape {expected}")
    return array


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
        rows = self.out_channels * prod(self.conv_output_shape)
        cols = self.in_channels * prod(self.conv_input_shape)
        return rows, cols

    @property
    def weight_shape(self) -> tuple[int, ...]:
        return (self.out_channels, self.in_channels // self.groups, *(axis.k for axis in self.axes))

    @property
    def nnz_bound(self) -> int:
        """At most this many non-zeros: C's with every kernel entry non-zero, counted tap by tap when the
        kernels are short (:data:`EXACT_TAPS`), else bounded per axis by :func:`axis_nnz_bound` - never by
        listing them."""
        return self._nnz()[0]

    def _nnz(self) -> tuple[int, bool]:
        per_channel = self.out_channels * (self.in_channels // self.groups)
        if sum(axis.k for axis in self.axes) <= EXACT_TAPS:
            return prod(axis_nnz(axis) for axis in self.axes) * per_channel, True
        return prod(axis_nnz_bound(axis) for axis in self.axes) * per_channel, False

    def column_count(self, col: int) -> int:
        """How many non-zeros column ``col`` of C holds (the terms of one output of Cᵀx), in O(log s) per axis:
        its phase's taps that reach an input (:func:`tconvcalc.symbolic.phases.output_count`)."""
        col = self._check_index("column", col, self.shape[1])
        place = unravel(col % prod(self.conv_input_shape), self.conv_input_shape)
        return self.out_channels // self.groups * prod(output_count(axis, m) for axis, m in zip(self.axes, place))

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
        count, exact = self._nnz()
        rows, cols = self.shape
        if count > MAX_SYMBOLIC_NNZ:
            raise ParameterError(
                f"{what} C would be {rows}×{cols} with {'' if exact else 'up to '}{count} non-zeros, more than a "
                f"symbolic matrix can sensibly hold ({MAX_SYMBOLIC_NNZ}); show it elided (its corners) or use the "
                f"numeric backend (tconvcalc.numeric) for sizes this large"
            )
        steps = max(_listing_steps(axis) for axis in self.axes)
        if steps > MAX_SYMBOLIC_NNZ:
            raise ParameterError(
                f"{what} C would be {rows}×{cols}, and listing its non-zeros takes {steps} steps along an axis "
                f"(taps or outputs, whichever is fewer), more than a symbolic matrix can sensibly take "
                f"({MAX_SYMBOLIC_NNZ}); show it elided (its corners) or use the numeric backend (tconvcalc.numeric)")

    def check_terms(self, what: str, terms: int) -> None:
        """Refuse a SymPy expression (or list of them) of more than :data:`MAX_EXPRESSION_TERMS` terms."""
        if terms > MAX_EXPRESSION_TERMS:
            rows, cols = self.shape
            raise ParameterError(
                f"{what} of C ({rows}×{cols}) would take {terms} SymPy terms and symbols, more than stay quick "
                f"({MAX_EXPRESSION_TERMS}); take some outputs (ConvOperator.transpose_at) or the elided view, or "
                f"use the numeric backend (tconvcalc.numeric) for sizes this large")

    def check_whole(self) -> None:
        """Refuse to print every cell of a matrix too large for a page or a terminal (before building it)."""
        rows, cols = self.shape
        if rows * cols > MAX_WHOLE_CELLS:
            raise ParameterError(
                f"the whole of C would be {rows}×{cols} = {rows * cols} cells, more than a page or a terminal can "
                f"show ({MAX_WHOLE_CELLS}); show it elided (its corners) or take a smaller layer")
        self.check_size("the whole of")

    def entries(self) -> dict[tuple[int, int], sp.Expr]:
        """``{(row, column): entry}`` of C, straight from the operator's triples (bounded first).

        Equal entries are one SymPy object (one per channel pair and tap), so printing them can be cached.
        """
        self.check_size()
        rows_per, cols_per = prod(self.conv_output_shape), prod(self.conv_input_shape)
        # Per axis and tap, the flat (row, column) offsets of its non-zeros (row-major steps); a tap of C is one
        # tap per axis, and its cells are the product of those short lists.
        per_axis: list[dict[int, list[tuple[int, int]]]] = []
        row_step, col_step = rows_per, cols_per
        for axis in self.axes:
            row_step, col_step = row_step // axis.i, col_step // axis.o
            by_tap: dict[int, list[tuple[int, int]]] = {}
            for n, m, a in axis_triples(axis):
                by_tap.setdefault(a, []).append((n * row_step, m * col_step))
            per_axis.append(by_tap)
        out: dict[tuple[int, int], sp.Expr] = {}
        for co, ci, local in self._channel_pairs():
            for tap in product(*(sorted(by_tap) for by_tap in per_axis)):
                value = self.weight(co, local, tap)
                if value == 0:  # a numeric kernel's zero is no entry
                    continue
                cells = [(co * rows_per, ci * cols_per)]
                for by_tap, a in zip(per_axis, tap):
                    cells = [(r + dr, c + dc) for r, c in cells for dr, dc in by_tap[a]]
                out.update(dict.fromkeys(cells, value))
        return out

    def matrix(self) -> sp.SparseMatrix:
        """C as a SymPy sparse matrix."""
        rows, cols = self.shape
        return sp.SparseMatrix(rows, cols, self.entries())

    def transpose_matrix(self) -> sp.SparseMatrix:
        """Cᵀ: the transposed convolution."""
        return self.matrix().T

    # --- single entries, for elided views of any size -------------------------
    def _check_index(self, what: str, index: int, count: int) -> int:
        if not (hasattr(index, "__index__") and not isinstance(index, bool) and 0 <= index < count):
            raise ParameterError(f"{what} {index!r} is outside C's {count} {what}s, indices run from 0 to "
                                 f"{count - 1}; pick one in that range")
        return int(index)

    def entry(self, row: int, col: int) -> sp.Expr:
        """C[row, col] without building C."""
        rows, cols = self.shape
        row, col = self._check_index("row", row, rows), self._check_index("column", col, cols)
        rows_per, cols_per = prod(self.conv_output_shape), prod(self.conv_input_shape)
        co, r = divmod(row, rows_per)
        ci, c = divmod(col, cols_per)
        per_out, per_in = self.out_channels // self.groups, self.in_channels // self.groups
        if co // per_out != ci // per_in:
            return sp.S.Zero
        tap = []
        for axis, n, m in zip(self.axes, unravel(r, self.conv_output_shape),
                               unravel(c, self.conv_input_shape)):
            a = tap_at(axis, n, m)
            if a is None:
                return sp.S.Zero
            tap.append(a)
        return self.weight(co, ci % per_in, tuple(tap))

    def column(self, col: int) -> list[tuple[int, sp.Expr]]:
        """``(row, entry)`` of the non-zeros in one column of C (one output of Cᵀ), for any size of C; a column
        of more than :data:`MAX_EXPRESSION_TERMS` non-zeros (a huge kernel at stride 1) is refused first."""
        self.check_terms("one column", self.column_count(col))
        rows_per, cols_per = prod(self.conv_output_shape), prod(self.conv_input_shape)
        ci, c = divmod(col, cols_per)
        per_out, per_in = self.out_channels // self.groups, self.in_channels // self.groups
        group, local = divmod(ci, per_in)
        lists = [column_pairs(axis, m) for axis, m in zip(self.axes, unravel(c, self.conv_input_shape))]
        out = []
        for co in range(group * per_out, (group + 1) * per_out):
            for combo in product(*lists):
                value = self.weight(co, local, tuple(a for _, a in combo))
                if value != 0:
                    out.append((co * rows_per + ravel([n for n, _ in combo], self.conv_output_shape), value))
        return sorted(out, key=lambda pair: pair[0])

    def _grid_symbol(self, name: str, flat: int, what: str, count: int, grid: tuple[int, ...]) -> sp.Symbol:
        """The symbol at one flat position of a (channel, *grid) array, named by its index."""
        channel, rest = divmod(self._check_index(what, flat, count), prod(grid))
        index = unravel(rest, grid)
        return sp.Symbol(indexed_name(name, (channel, *index) if self.channels else index))

    def input_symbol(self, row: int, name: str = "x") -> sp.Symbol:
        """The symbol of one input of the transposed convolution (row of C), for any size."""
        return self._grid_symbol(name, row, "row", self.shape[0], self.conv_output_shape)

    def output_symbol(self, col: int, name: str = "y") -> sp.Symbol:
        """The symbol of one output of the transposed convolution (column of C), for any size."""
        return self._grid_symbol(name, col, "column", self.shape[1], self.conv_input_shape)

    def transpose_at(self, col: int, x_name: str = "x") -> sp.Expr:
        """One output of Cᵀx, from one column of C - cheap at any size."""
        return sp.Add(*(value * self.input_symbol(row, x_name) for row, value in self.column(col)))

    # --- the transposed convolution, element by element ----------------------
    def input_symbols(self, name: str = "x") -> list[sp.Symbol]:
        """x flattened row-major, named ``x_{n,m}`` (``x_{c,n,m}`` with channels)."""
        self.check_terms("the input symbols", self.shape[0])
        return _grid_symbols(check_name("input", name), self.out_channels, self.conv_output_shape, self.channels)

    def output_symbols(self, name: str = "y") -> list[sp.Symbol]:
        """y flattened row-major, named ``y_{j,l}`` (``y_{c,j,l}`` with channels)."""
        self.check_terms("the output symbols", self.shape[1])
        return _grid_symbols(check_name("output", name), self.in_channels, self.conv_input_shape, self.channels)

    def _product(self, what: str, vector: Sequence[sp.Expr], transpose: bool) -> list[sp.Expr]:
        rows, cols = self.shape
        self.check_terms(what, self.nnz_bound + rows + cols)
        if len(vector) != (rows if transpose else cols):
            raise ParameterError(f"the vector has {len(vector)} entries but {what} needs "
                                 f"{rows if transpose else cols}, one per {'row' if transpose else 'column'} of C; "
                                 f"pass that many")
        terms: list[list[sp.Expr]] = [[] for _ in range(cols if transpose else rows)]
        for (row, col), value in sorted(self.entries().items()):
            if transpose:
                terms[col].append(value * vector[row])
            else:
                terms[row].append(value * vector[col])
        return [sp.Add(*t) for t in terms]

    def apply_transpose(self, x: Sequence[sp.Expr]) -> list[sp.Expr]:
        """Cᵀx, accumulated over C's non-zeros (SymPy's sparse product is 100x slower); bounded first by
        :data:`MAX_EXPRESSION_TERMS` (one output at any size: :meth:`transpose_at`)."""
        return self._product("Cᵀx", x, True)

    def apply(self, u: Sequence[sp.Expr]) -> list[sp.Expr]:
        """Cu: the direct convolution of the flattened input u (bounded like :meth:`apply_transpose`)."""
        return self._product("Cu", u, False)

    # --- notebook view ---------------------------------------------------------
    def __repr__(self) -> str:
        rows, cols = self.shape
        return (f"ConvOperator({self.ndim}-D, C {rows}×{cols}, conv input {axes_text(self.conv_input_shape)} "
                f"→ output {axes_text(self.conv_output_shape)}, nnz ≤ {self.nnz_bound})")

    def elided(self, transpose: bool = False, full: bool = False) -> tuple[sp.Matrix, bool]:
        """C (or Cᵀ) as a matrix SymPy prints: whole, or its corners and dots when large (see :func:`elide`)."""
        rows, cols = self.shape
        if full:
            self.check_whole()
            entries = self.entries()
            if transpose:
                return sp.SparseMatrix(cols, rows, {(c, r): v for (r, c), v in entries.items()}), False
            return sp.SparseMatrix(rows, cols, entries), False
        if transpose:
            return elide((cols, rows), lambda r, c: self.entry(c, r), full, band=partial(self.row_band, transpose=True))
        return elide((rows, cols), self.entry, full, band=self.row_band)

    def row_band(self, row: int, transpose: bool = False, most: int | None = None) -> list[int] | None:
        """The columns of row ``row``'s non-zeros in C (in Cᵀ with ``transpose``), solved axis by axis
        (``structure.input_range``, ``structure.column_pairs``); None past ``most`` of them (default
        :data:`BAND_COLS`), or with channels (whose blocks the elided view does not follow)."""
        most = BAND_COLS if most is None else most
        if self.in_channels > 1 or self.out_channels > 1:
            return None
        # Counted before listed: a kernel of 2**64 taps puts that many non-zeros in a row.
        if transpose:  # a row of Cᵀ is a column of C: the inputs n that reach output m (one per tap)
            places = list(zip(self.axes, unravel(row, self.conv_input_shape)))
            if prod(output_count(axis, m) for axis, m in places) > most:
                return None
            per_axis = [sorted({n for n, _ in column_pairs(axis, m)}) for axis, m in places]
            shape = self.conv_output_shape
        else:  # a row of C is an input n of the transposed convolution: the outputs m its taps reach
            reaches = [input_range(axis, n) for axis, n in zip(self.axes, unravel(row, self.conv_output_shape))]
            spans = [range(0) if reach is None else range(reach[1].start, reach[1].stop, reach[1].step or 1)
                     for reach in reaches]
            if prod(range_count(span) for span in spans) > most:
                return None
            per_axis = [list(span) for span in spans]
            shape = self.conv_input_shape
        return sorted(ravel(index, shape) for index in product(*per_axis))

    def _repr_latex_(self) -> str:
        matrix, elided = self.elided()
        rows, cols = self.shape
        note = rf"\quad ({rows} \times {cols})" if elided else ""
        return "$$C = " + sp.latex(matrix, mat_str="bmatrix", mat_delim="") + note + "$$"


# Matrices larger than this are shown elided: the first rows and columns, dots, and the last.
MAX_ROWS, MAX_COLS = 32, 16
KEEP_ROWS, KEEP_COLS = 10, 12
# An elided view that follows the band shows up to this many columns, gaps counted (a 2-D row's non-zeros lie in
# k row blocks, each with a gap between).
BAND_COLS = MAX_COLS + 4


def _shown(count: int, limit: int, keep: int, full: bool) -> list[int | None]:
    """Indices to show: all, or the first ``keep``, a gap (None) and the last."""
    if full or count <= limit:
        return list(range(count))
    return [*range(keep), None, count - 1]


def _with_gaps(indices: Sequence[int], count: int) -> list[int | None]:
    """Sorted indices with a gap (None) wherever some are left out, at either end too."""
    out: list[int | None] = []
    for n, index in enumerate(indices):
        if index > (indices[n - 1] + 1 if n else 0):
            out.append(None)
        out.append(index)
    return out + ([None] if indices and indices[-1] < count - 1 else [])


def _band_shown(rows: int, cols: int, band: Callable[[int], list[int] | None], keep_rows: int,
                max_cols: int) -> tuple[list[int | None], list[int | None]] | None:
    """Rows taken from both ends in turn (first, last, second, second-to-last, …) while the columns of their
    non-zeros fit ``max_cols`` (gaps counted), and exactly those columns: every shown row shows all of its
    non-zeros and no shown column is zero throughout.  The first and last rows are always shown; None when a
    row has more non-zeros than fit (the fixed corners then)."""
    taken: list[int] = []
    columns: set[int] = set()
    ends = (index for t in range((rows + 1) // 2) for index in dict.fromkeys((t, rows - 1 - t)))  # each row once
    for row in ends:
        reached = band(row)
        if reached is None:
            return None
        wider = columns | set(reached)
        if len(taken) >= keep_rows or (len(taken) >= 2 and len(_with_gaps(sorted(wider), cols)) > max_cols):
            break
        taken.append(row)
        columns = wider
    return _with_gaps(sorted(taken), rows), _with_gaps(sorted(columns), cols)


def elide(shape: tuple[int, int], entry: Callable[[int, int], sp.Expr], full: bool = False,
          max_rows: int = MAX_ROWS, max_cols: int = MAX_COLS,
          band: Callable[[int], list[int] | None] | None = None) -> tuple[sp.Matrix, bool]:
    """``(matrix, elided)``: the entries at the shown indices, ⋮ ⋯ ⋱ in the gaps - any size, cheaply.

    With ``band`` (a row's non-zero columns, :meth:`ConvOperator.row_band`) the rows shown are those at both
    ends whose non-zeros fit (:func:`_band_shown`); without it, the first rows and columns and the last."""
    rows, cols = shape
    shown = ((rows if full or rows <= max_rows else KEEP_ROWS + 2)
             * (cols if full or cols <= max_cols else KEEP_COLS + 2))
    if shown > MAX_WHOLE_CELLS:
        raise ParameterError(f"the matrix would show {shown} cells ({rows}×{cols}), more than a page or a terminal "
                             f"can show ({MAX_WHOLE_CELLS}); show it elided, with smaller max_rows and max_cols")
    whole = full or (rows <= max_rows and cols <= max_cols)
    picked = None if whole or band is None else _band_shown(rows, cols, band, KEEP_ROWS + 1, max(max_cols, BAND_COLS))
    if picked is not None:
        row_ids, col_ids = picked
    else:
        row_ids, col_ids = _shown(rows, max_rows, KEEP_ROWS, full), _shown(cols, max_cols, KEEP_COLS, full)
    dots = {(True, False): sp.Symbol(r"\vdots"), (False, True): sp.Symbol(r"\cdots"),
            (True, True): sp.Symbol(r"\ddots")}
    cells = [[dots[(r is None, c is None)] if r is None or c is None else entry(r, c) for c in col_ids]
             for r in row_ids]
    return sp.Matrix(cells), len(row_ids) < rows or len(col_ids) < cols


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
    # (before, after) pairs broadcast like any per-axis value: by their position in the list
    named = dict(input_size=input_size, kernel_size=kernel_size, stride=stride, dilation=dilation,
                 padding=padding if pairs is None else list(range(len(pairs))))
    _, v = broadcast(**named)
    pads = v["padding"] if pairs is None else [pairs[j] for j in v["padding"]]
    axes = tuple(Axis.from_conv(n, k, s, p, d) for n, k, s, p, d in
                 zip(v["input_size"], v["kernel_size"], v["stride"], pads, v["dilation"]))
    return operator_from_axes(axes, in_channels=in_channels, out_channels=out_channels, groups=groups,
                              kernel=kernel, symbol=symbol)


def _apparent_shape(kernel) -> tuple[int, ...]:
    """The shape a kernel claims (an array's ``shape``, or the lengths down the first items of nested lists),
    read before any entry is converted; :func:`_kernel_array` checks that it is rectangular."""
    if hasattr(kernel, "shape"):
        return tuple(int(n) for n in kernel.shape)
    shape = []
    while isinstance(kernel, (list, tuple)):
        shape.append(len(kernel))
        if not kernel:
            break
        kernel = kernel[0]
    return tuple(shape)


def operator_from_axes(axes: Sequence[Axis], *, in_channels: int = 1, out_channels: int = 1, groups: int = 1,
                       kernel=None, symbol: str = "w") -> ConvOperator:
    """The operator of a transposed convolution given in the canonical crop model."""
    axes = tuple(axes)
    probe = ConvOperator(axes, in_channels, out_channels, groups, None, symbol)
    array = None
    if kernel is not None:
        full = probe.weight_shape
        shape = _apparent_shape(kernel)
        if prod(shape) > MAX_KERNEL_ENTRIES:
            raise ParameterError(f"a numeric kernel of {prod(shape)} entries is more than the symbolic engine converts "
                                 f"quickly ({MAX_KERNEL_ENTRIES}); leave the kernel out for symbols, or use the "
                                 f"numeric backend (tconvcalc.numeric) for kernels this large")
        data = kernel.tolist() if hasattr(kernel, "tolist") else kernel
        rank = len(shape)
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
