"""The structure of the matrix C, computed once.

``y = C^T x``: C is the ``i x o`` matrix of the direct convolution of a
length-``o`` signal, ``(C u)[n] = sum_a w[a] * u[n*s + a*d - b]``.  Its
non-zeros are the ``(row, column, tap)`` triples below; the symbolic engine
puts kernel symbols there, the numeric backend puts numbers there, and the
LaTeX and overlap views read the same triples.

>>> from tconvcalc.spec import Axis
>>> axis_taps(Axis(2, 3, 2))            # (n, m, a): input n reaches output m through tap a
[(0, 0, 0), (0, 1, 1), (0, 2, 2), (1, 2, 0), (1, 3, 1), (1, 4, 2)]
>>> zero_insertion_cells(Axis(2, 3, 2))
['pad', 'pad', 'x', 'zero', 'x', 'pad', 'pad']
"""

from __future__ import annotations

from itertools import product
from typing import Iterable, Iterator, Sequence

from .spec import Axis


def axis_taps(axis: Axis) -> list[tuple[int, int, int]]:
    """``(n, m, a)`` with ``m = n*s + a*d - b`` inside ``[0, o)``, in row order."""
    o, s, d, b = axis.o, axis.s, axis.d, axis.b
    return [
        (n, m, a)
        for n in range(axis.i)
        for a in range(axis.k)
        if 0 <= (m := n * s + a * d - b) < o
    ]


def zero_insertion_cells(axis: Axis) -> list[str]:
    """Each cell of the zero-inserted, padded input of the equivalent stride-1 convolution:
    ``'x'`` an input sample, ``'zero'`` an inserted zero, ``'pad'`` padding (conv_arithmetic's figures)."""
    before, after = axis.zero_insertion_pads
    kinds = []
    for t in range(axis.stretched + before + after):
        u = t - before
        kinds.append("pad" if not 0 <= u < axis.stretched else ("x" if u % axis.s == 0 else "zero"))
    return kinds


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


def nnz(axes: Iterable[Axis]) -> int:
    """Number of non-zeros of C without enumerating them."""
    count = 1
    for axis in axes:
        count *= len(axis_taps(axis))
    return count
