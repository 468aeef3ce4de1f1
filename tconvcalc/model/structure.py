"""The structure of the matrix C, computed once.

``y = C^T x``: C is the ``i x o`` matrix of the direct convolution of a
length-``o`` signal, ``(C u)[n] = sum_a w[a] * u[n*s + a*d - b]``.  Its
non-zeros are the ``(row, column, tap)`` triples below; the symbolic engine
puts kernel symbols there, the numeric backend puts numbers there, and the
LaTeX and overlap views read the same triples.

>>> from tconvcalc.model.spec import Axis
>>> axis_taps(Axis(2, 3, 2))            # (n, m, a): input n reaches output m through tap a
[(0, 0, 0), (0, 1, 1), (0, 2, 2), (1, 2, 0), (1, 3, 1), (1, 4, 2)]
>>> zero_insertion_cells(Axis(2, 3, 2))
['pad', 'pad', 'x', 'zero', 'x', 'pad', 'pad']
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from math import prod
from typing import Iterable, Iterator, Sequence

from ..errors import ParameterError
from .spec import Axis, Layer


def scatter_index(axis: Axis, n, a):
    """The output ``m = n*s + a*d - b`` that input ``n`` reaches through tap ``a``: C's index rule, which every
    function below solves for one of its unknowns.  Plain arithmetic, so it also runs on SymPy symbols (the
    general proofs state it for all sizes).

    >>> scatter_index(Axis(4, 3, 2, 1, 1, 1), 2, 1)
    4
    """
    return n * axis.s + a * axis.d - axis.b


def axis_taps(axis: Axis) -> list[tuple[int, int, int]]:
    """``(n, m, a)`` with ``m = n*s + a*d - b`` inside ``[0, o)``, in row order."""
    return [
        (n, m, a)
        for n in range(axis.i)
        for a in range(axis.k)
        if 0 <= (m := scatter_index(axis, n, a)) < axis.o
    ]


def tap_range(axis: Axis, a: int) -> tuple[slice, slice] | None:
    """The inputs ``n`` whose tap ``a`` lands inside the cropped output, and where they land (every
    ``s``-th output): C's non-zeros of one tap as two slices, or None if none lands.

    >>> tap_range(Axis(4, 3, 2, 1, 1, 1), 0)   # m = 2n - 1 for n = 1..3
    (slice(1, 4, None), slice(1, 6, 2))
    """
    shift = a * axis.d - axis.b  # output index m = n*s + shift
    lo = max(0, -(shift // axis.s))  # ceil(-shift / s)
    hi = min(axis.i - 1, (axis.o - 1 - shift) // axis.s)
    if lo > hi:
        return None
    return slice(lo, hi + 1), slice(lo * axis.s + shift, hi * axis.s + shift + 1, axis.s)


def input_range(axis: Axis, n: int) -> tuple[slice, slice] | None:
    """The taps ``a`` of input ``n`` that land inside the cropped output, and where (every ``d``-th
    output): :func:`tap_range` with the roles of ``(n, s)`` and ``(a, d)`` swapped, as ``m = n*s + a*d - b`` is.

    >>> input_range(Axis(4, 3, 2, 1, 1, 1), 0)   # m = a - 1 for a = 1, 2
    (slice(1, 3, None), slice(0, 2, 1))
    """
    return tap_range(axis._replace(i=axis.k, k=axis.i, s=axis.d, d=axis.s), n)


def _floor_sum(count: int, m: int, slope: int, const: int) -> int:
    """``sum(floor((slope*x + const) / m) for x in range(count))`` in O(log) steps (m > 0): the Euclid-like
    reduction of a lattice-point count under a line, so a kernel of 10**12 taps costs nothing."""
    total = 0
    slope_rest, const_rest = slope % m, const % m  # move the negative parts out exactly
    total += count * (count - 1) // 2 * ((slope - slope_rest) // m) + count * ((const - const_rest) // m)
    slope, const = slope_rest, const_rest
    while count > 0:
        if slope >= m:
            total += count * (count - 1) // 2 * (slope // m)
            slope %= m
        if const >= m:
            total += count * (const // m)
            const %= m
        top = slope * count + const  # the line's height at the end: count the points under it column-wise
        if top < m:
            break
        count, const = top // m, top % m
        m, slope = slope, m
    return total


def _sum_floor(first: int, last: int, slope: int, const: int, m: int) -> int:
    """``sum(floor((slope*a + const) / m) for a in first..last)``, 0 when the range is empty."""
    return _floor_sum(last - first + 1, m, slope, slope * first + const) if last >= first else 0


def landing_pairs(axis: Axis) -> int:
    """The (input, tap) pairs whose scatter position survives the crop: the sum over taps of
    :func:`tap_range`'s length, counted arithmetically from the same bounds.

    Tap ``a`` reaches inputs ``lo(a)..hi(a)``, ``lo = max(0, ⌈(b - a·d)/s⌉)``,
    ``hi = min(i - 1, ⌊(o - 1 + b - a·d)/s⌋)``;
    it lands at all for ``a`` between ``⌈(b - (i - 1)s)/d⌉`` and ``⌊(o - 1 + b)/d⌋``.  Each clamp binds on one side
    of a threshold in ``a``, and the rest is a sum of floors of a line.

    >>> landing_pairs(Axis(4, 3, 2, 1, 1, 1)), len(axis_taps(Axis(4, 3, 2, 1, 1, 1)))  # of 4·3 pairs, 2 cropped
    (10, 10)
    """
    i, k, s, d, b = axis.i, axis.k, axis.s, axis.d, axis.b
    top = axis.o - 1 + b  # the last full-scatter position kept
    first = max(0, -((-(b - (i - 1) * s)) // d))
    last = min(k - 1, top // d) if top >= 0 else -1
    if last < first:
        return 0
    whole = min(last, (top - (i - 1) * s) // d)  # taps up to here reach the last input: hi = i - 1
    his = (max(whole, first - 1) - first + 1) * (i - 1) + _sum_floor(max(whole + 1, first), last, -d, top, s)
    cut = min(last, -((-b) // d) - 1)  # taps below ceil(b/d) start past input 0: lo = ceil((b - a·d)/s)
    los = -_sum_floor(first, cut, d, -b, s)
    return his - los + (last - first + 1)


def tap_at(axis: Axis, n: int, m: int) -> int | None:
    """The tap that sends input ``n`` to output ``m`` (``m = n*s + a*d - b``), or None: one entry of C in O(1)."""
    if not (0 <= n < axis.i and 0 <= m < axis.o):
        return None
    a, rest = divmod(m + axis.b - n * axis.s, axis.d)
    return a if rest == 0 and 0 <= a < axis.k else None


def column_pairs(axis: Axis, m: int) -> list[tuple[int, int]]:
    """Every ``(n, a)`` whose scatter lands on output ``m``: one column of C, solved, not searched.

    ``a*d ≡ m + b (mod s)`` has solutions only when ``g = gcd(d, s)`` divides ``m + b``; they step by
    ``s/g``, and ``n = (m + b - a*d)/s`` must lie in ``[0, i)``.
    """
    target, s, d = m + axis.b, axis.s, axis.d
    taps = axis.residue_taps(target % s)
    if not 0 <= m < axis.o or not taps:
        return []
    low = max(0, -(-(target - (axis.i - 1) * s) // d))  # n ≤ i - 1
    high = min(axis.k - 1, target // d)  # n ≥ 0
    first = low + (taps.start - low) % taps.step
    return [((target - a * d) // s, a) for a in range(first, high + 1, taps.step)]


def zero_insertion_cells(axis: Axis) -> list[str]:
    """Each cell of the zero-inserted, padded input of the equivalent stride-1 convolution:
    ``'x'`` an input sample, ``'zero'`` an inserted zero, ``'pad'`` padding (conv_arithmetic's figures)."""
    before = axis.zero_insertion_pads[0]
    kinds = []
    for t in range(axis.padded_length):
        u = t - before
        kinds.append("pad" if not 0 <= u < axis.stretched else ("x" if u % axis.s == 0 else "zero"))
    return kinds


def padded_position(axis: Axis, n: int) -> int:
    """Where input ``n`` sits in the zero-inserted, padded input of the equivalent stride-1 convolution
    (:func:`zero_insertion_cells`' ``'x'`` cells): after the left pad, every ``s``-th cell.

    >>> padded_position(Axis(2, 3, 2), 1), zero_insertion_cells(Axis(2, 3, 2)).index("x", 3)
    (4, 4)
    """
    return axis.zero_insertion_pads[0] + n * axis.s


def scatter_cells(axis: Axis) -> list[str]:
    """Each position of :attr:`Axis.scatter_extent`: ``'out'`` a scatter sample the output keeps,
    ``'crop'`` one the crop removes (``padding``), ``'append'`` a zero the output adds past the scatter
    (``output_padding`` beyond ``padding``).

    >>> scatter_cells(Axis.from_pytorch(2, 3, s=2, p=1))
    ['crop', 'out', 'out', 'out', 'crop']
    >>> scatter_cells(Axis.from_pytorch(2, 3, s=2, p=0, op=1))
    ['out', 'out', 'out', 'out', 'out', 'append']
    """
    start, stop = axis.scatter_extent
    return ["append" if not 0 <= f < axis.full else ("out" if axis.b <= f < axis.b + axis.o else "crop")
            for f in range(start, stop)]


# Grid figures (TikZ and the matplotlib picture) draw every cell: beyond this many along an axis no page
# shows them legibly, and the count is checked before a cell is listed.
MAX_FIGURE_CELLS = 40


def figure_axes(layer: Layer) -> tuple[Axis | None, Axis]:
    """The (row, column) axes a grid figure draws (no rows for a 1-D layer), or the reason it cannot.

    >>> figure_axes(Layer.from_pytorch(4, 3, 2))[1].o
    9
    >>> figure_axes(Layer.from_pytorch(10**12, 3, 2))  # 2(i - 1) + 1 samples and k - 1 padding at each end
    Traceback (most recent call last):
    ...
    tconvcalc.errors.ParameterError: the figure's grid would be 2000000000003 cells along an axis, more than the 40
    a page shows legibly; draw a smaller layer or leave the figure out
    """
    if layer.ndim > 2:
        raise ParameterError(f"the figure draws 1-D and 2-D layers but this one is {layer.ndim}-D, a page shows "
                             f"two axes; draw one or two of its axes, or leave the figure out")
    for axis in layer.axes:
        longest = max(axis.i, axis.o, axis.span, axis.padded_length)
        if longest > MAX_FIGURE_CELLS:
            raise ParameterError(f"the figure's grid would be {longest} cells along an axis, more than the "
                                 f"{MAX_FIGURE_CELLS} a page shows legibly; draw a smaller layer or leave the "
                                 f"figure out")
    return (layer.axes[0], layer.axes[1]) if layer.ndim == 2 else (None, layer.axes[0])


def ravel(index: Sequence[int], shape: Sequence[int]) -> int:
    """Row-major flat index (last axis fastest), as conv_arithmetic flattens."""
    flat = 0
    for x, n in zip(index, shape):
        flat = flat * n + x
    return flat


def unravel(flat: int, shape: Sequence[int]) -> tuple[int, ...]:
    """The row-major index of a flat position: the inverse of :func:`ravel`."""
    index = []
    for n in reversed(shape):
        flat, r = divmod(flat, n)
        index.append(r)
    return tuple(reversed(index))


def layer_taps(axes: Iterable[Axis]) -> Iterator[tuple[int, int, tuple[int, ...]]]:
    """``(row, column, tap)`` of C over several axes: the product of each axis's triples.

    Rows index the transposed convolution's input (the direct convolution's
    output) and columns its output, both flattened row-major; ``tap`` is the
    kernel index per axis.
    """
    axes = tuple(axes)
    in_shape = tuple(a.i for a in axes)
    out_shape = tuple(a.o for a in axes)
    for combo in product(*(axis_taps(a) for a in axes)):
        rows, cols, taps = zip(*combo)
        yield ravel(rows, in_shape), ravel(cols, out_shape), taps


def axis_nnz(axis: Axis) -> int:
    """Non-zeros of one axis's C, counted tap by tap (k steps; callers bound k first, ``i·k`` bounds it)."""
    return sum(span[0].stop - span[0].start for a in range(axis.k) if (span := tap_range(axis, a)))


def nnz_bound(axes: Iterable[Axis]) -> int:
    """At least as many as C's non-zeros, in O(1): every input meets every tap, ``Π i·k``."""
    return prod(axis.i * axis.k for axis in axes)


def nnz(axes: Iterable[Axis]) -> int:
    """Number of non-zeros of C without enumerating them."""
    return prod(axis_nnz(axis) for axis in axes)


# A dense C (``derive inverse`` builds one and takes its pseudo-inverse, an SVD) is refused past this many cells:
# NumPy's pinv of 1024×2048 took 7.8 s on the 2-core machine the project is built on, 1024×1024 about 1 s.
MAX_DENSE_CELLS = 1 << 20


def dense_cells(axes: Iterable[Axis]) -> tuple[int, int]:
    """C's shape, rows × columns (the convolution's outputs × its inputs), in O(1) per axis."""
    axes = tuple(axes)
    return prod(axis.i for axis in axes), prod(axis.o for axis in axes)


def check_dense(axes: Iterable[Axis], what: str) -> tuple[int, int]:
    """C's shape, or the one sentence refusing ``what`` for a C beyond :data:`MAX_DENSE_CELLS` cells, before
    anything is built."""
    rows, cols = dense_cells(axes)
    if rows * cols > MAX_DENSE_CELLS:
        raise ParameterError(f"{what} builds C as a dense {rows}×{cols} matrix, {rows * cols} cells, more than the "
                             f"{MAX_DENSE_CELLS} (1024×1024) whose pseudo-inverse takes about a second; pass a "
                             f"smaller input size (the structure of CCᵀ is the same at every size)")
    return rows, cols


@dataclass(frozen=True)
class Measured:
    """What :func:`tconvcalc.numeric.inverse.measure_inverse` found: ``rank`` (numpy.linalg.matrix_rank's rule),
    ``transpose`` ‖CᵀCu − u‖/‖u‖ and ``pseudoinverse`` ‖C⁺Cu − u‖/‖u‖ for a kernel of unit norm (so Cᵀ is the
    scaled transpose Cᵀ/‖w‖²), and ``null_fraction`` ‖u − Pu‖/‖u‖ for P the orthogonal projector onto C's row
    space, built from C's SVD (the share of u no reconstruction can recover).  It lives here, NumPy-free, so a
    process that did not measure can hold one: the command line's parent, which receives it from a forked child."""

    shape: tuple[int, int]
    rank: int
    transpose: float
    pseudoinverse: float
    null_fraction: float
    seed: int
