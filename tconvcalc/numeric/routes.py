"""The independent routes the fast one is checked against, and the direct convolution.

* ``matrix`` - ``y = C^T x`` from C's non-zeros (:mod:`tconvcalc.model.structure`'s tap ranges), applied in
  sparse (COO) form with ``np.bincount``;
* ``zero_insertion`` - insert ``s-1`` zeros, pad, correlate with the flipped kernel;
* ``phases`` - the sub-pixel decomposition into ``s**n`` stride-1 convolutions.

Each takes a :class:`~tconvcalc.model.spec.Layer` and arrays already checked by :mod:`.operands`, and
reads every size, pad and phase from the layer's axes.

The correlations build their im2col copy tap by tap (:func:`gather`): per axis, each kernel tap fills
a strided run of output columns with a run of input samples, zeros elsewhere.  Only the samples a
correlation reads are copied, never the padded or zero-inserted signal itself, so a stride, dilation
or crop of 10**12 costs what its output and kernel cost, not what its full scatter would.

>>> from tconvcalc.model.spec import Axis
>>> zero_insertion_rows(Axis(2, 3, 2))   # flipped tap a': (the outputs j, every s-th; the samples read)
[(slice(2, 5, 2), slice(0, 2, None)), (slice(1, 4, 2), slice(0, 2, None)), (slice(0, 3, 2), slice(0, 2, None))]
"""

from __future__ import annotations

from itertools import product
from math import prod
from typing import Callable, Sequence

import numpy as np

from ..model.structure import axis_nnz, tap_range
from ..model.spec import Axis, Layer

__all__ = ["MATRIX_CHUNK_ELEMENTS", "MAX_PHASES", "as_table", "correlate", "direct", "direct_rows", "gather", "matrix",
           "matrix_indices", "phase_count", "phases", "real_pairs", "zero_insertion", "zero_insertion_rows"]


# --- gathering, tap by tap, through per-axis rows -----------------------------------------------------

#: Per axis, one entry per kernel tap (a row of the im2col copy): the output columns it fills, every
#: ``step``-th, and the input samples they read, in order - or None when it reads no sample at all.
Rows = list


def _row(first_column: int, first_sample: int, count: int, step: int = 1) -> tuple[slice, slice] | None:
    """Columns ``first_column, first_column + step, ...`` reading samples ``first_sample, +1, ...``."""
    if count <= 0:
        return None
    return (slice(first_column, first_column + (count - 1) * step + 1, step),
            slice(first_sample, first_sample + count))


def gather(x: np.ndarray, rows: Sequence[Rows], columns: Sequence[int]) -> np.ndarray:
    """``(N, C, *taps, *columns)``: the im2col copy, zero except where a row reads ``x`` - one strided copy
    per tap (``k`` per axis, multiplied), so nothing the size of a padded or stretched signal is stored."""
    cols = np.zeros((*x.shape[:2], *(len(r) for r in rows), *columns), x.dtype)
    for combo in product(*(enumerate(r) for r in rows)):
        if any(row is None for _, row in combo):
            continue
        target = (slice(None), slice(None), *(t for t, _ in combo), *(row[0] for _, row in combo))
        cols[target] = x[(slice(None), slice(None), *(row[1] for _, row in combo))]
    return cols


def correlate(x: np.ndarray, kernel: np.ndarray, rows: Sequence[Rows], columns: Sequence[int],
              groups: int) -> np.ndarray:
    """``y[o, q] = sum_{c, t} kernel[o, c, t] * (the sample row t reads at column q)`` per group: the im2col
    copy of :func:`gather`, then one GEMM per group.  ``kernel`` is ``(C_out, C_in/groups, *taps)``."""
    n = x.shape[0]
    c_out = kernel.shape[0]
    cols = gather(x, rows, columns).reshape(n, groups, -1, prod(columns))
    y = np.matmul(kernel.reshape(groups, c_out // groups, -1), cols)
    return y.reshape(n, c_out, *columns)


def gather_bytes(x_shape, sizes, itemsize: int) -> int:
    """Memory :func:`correlate` takes beyond its result: the im2col copy of ``(taps, columns)`` per axis."""
    n, c = x_shape[:2]
    return n * c * prod(t for t, _ in sizes) * prod(q for _, q in sizes) * itemsize


def as_table(rows: Rows, samples: int, columns: int) -> np.ndarray:
    """``rows`` as a ``(taps, columns)`` table of the sample each cell reads, ``samples`` where it reads a zero.

    >>> from tconvcalc.model.spec import Axis
    >>> as_table(zero_insertion_rows(Axis(2, 3, 2)), 2, 5).tolist()   # flipped tap x output; 2: a zero
    [[2, 2, 0, 2, 1], [2, 0, 2, 1, 2], [0, 2, 1, 2, 2]]
    """
    table = np.full((len(rows), columns), samples, np.intp)
    for t, row in enumerate(rows):
        if row is not None:
            table[t, row[0]] = np.arange(row[1].start, row[1].stop, row[1].step or 1)
    return table


# --- the direct convolution (C u) -------------------------------------------------------------------

def direct_rows(axis: Axis) -> Rows:
    """Per tap ``a``, the positions ``n`` of ``C u`` it feeds and the samples ``m = n*s + a*d - b`` of ``u``
    it reads there (the others read zeros): :func:`tconvcalc.model.structure.tap_range`, tap by tap."""
    return [tap_range(axis, a) for a in range(axis.k)]


def direct(layer: Layer, u: np.ndarray, w: np.ndarray, groups: int) -> np.ndarray:
    """``C u``, the direct convolution whose transpose is ``layer`` (``w`` read as a convolution's weight).

    ``(C u)[n] = sum_a w[a] u[n*s + a*d - b]`` for ``n < i``: ``u`` zero outside ``[0, o)`` (the
    padding of ``numeric.conv``, multiplied like PyTorch's float64 convolution multiplies it).
    """
    return correlate(u, w, [direct_rows(axis) for axis in layer.axes], layer.input_size, groups)


def direct_bytes(layer: Layer, u_shape, itemsize: int) -> int:
    return gather_bytes(u_shape, [(a.k, a.i) for a in layer.axes], itemsize)


def _weight_for_conv(w: np.ndarray, groups: int) -> np.ndarray:
    """(C_in, C_out/g, *k) of the transposed layer -> (C_out, C_in/g, *k) of the equivalent convolution."""
    c_in, c_og, *kernel = w.shape
    g = w.reshape(groups, c_in // groups, c_og, *kernel).swapaxes(1, 2)
    return g.reshape(groups * c_og, c_in // groups, *kernel)


# --- the sparse matrix C^T ------------------------------------------------------------------------

#: Non-zeros of C handled per slice; the matrix route's work memory follows it.
MATRIX_CHUNK_ELEMENTS = 1 << 21


def _axis_indices(axis: Axis) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(rows, cols, taps)`` of one axis's non-zeros in row order (taps ascending within a row), the order
    of :func:`tconvcalc.model.structure.axis_taps`; built from its tap ranges, so ``k`` steps of Python, not ``i*k``."""
    parts = [(span[0], span[1], a) for a in range(axis.k) if (span := tap_range(axis, a)) is not None]
    rows = np.concatenate([np.arange(r.start, r.stop) for r, _, _ in parts] or [np.zeros(0, np.intp)])
    cols = np.concatenate([np.arange(c.start, c.stop, c.step) for _, c, _ in parts] or [np.zeros(0, np.intp)])
    taps = np.concatenate([np.full(r.stop - r.start, a) for r, _, a in parts] or [np.zeros(0, np.intp)])
    order = np.argsort(rows * axis.k + taps, kind="stable")
    return rows[order], cols[order], taps[order]


def matrix_indices(layer: Layer) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(rows, cols, taps)`` of C as flat index arrays, in the order of :func:`tconvcalc.model.structure.layer_taps`.

    The per-axis non-zeros are combined row-major (first axis slowest); memory grows with the non-zeros
    only (``4 * 8`` bytes each at the peak, see :func:`matrix_bytes`).
    """
    rows = cols = taps = np.zeros((), np.intp)
    for axis in layer.axes:
        r, c, t = _axis_indices(axis)
        rows = rows[..., None] * axis.i + r
        cols = cols[..., None] * axis.o + c
        taps = taps[..., None] * axis.k + t
    return rows.ravel(), cols.ravel(), taps.ravel()


def _matrix_step(n: int, c_in: int, c_og: int, groups: int) -> int:
    per_entry = n * c_in + c_in * c_og + 2 * n * groups * c_og
    return max(1, MATRIX_CHUNK_ELEMENTS // per_entry)


def matrix(layer: Layer, x: np.ndarray, w: np.ndarray, groups: int) -> np.ndarray:
    n, c_in = x.shape[:2]
    c_ig, c_og = c_in // groups, w.shape[1]
    outputs = prod(layer.output_size)
    rows, cols, taps = matrix_indices(layer)
    xf = x.reshape(n, groups, c_ig, -1)
    wf = w.reshape(groups, c_ig, c_og, -1)
    # The sums are kept output position by output position, (batch, group, channel) within each, so the
    # non-zeros of a slice (consecutive rows of C) land in one band of it and bincount covers that band only.
    lanes = n * groups * c_og
    parts = (lambda a: (a.real, a.imag)) if x.dtype.kind == "c" else (lambda a: (a,))
    acc = [np.zeros(outputs * lanes) for _ in parts(x)]
    step = _matrix_step(n, c_in, c_og, groups)
    lane = np.arange(lanes, dtype=np.intp)
    for start in range(0, len(rows), step):
        r, c, t = rows[start:start + step], cols[start:start + step], taps[start:start + step]
        # value of C^T at (column, row) for every channel pair, times the input at that row: real pairs only
        contrib = np.einsum("ngie,gioe->engo", xf[..., r], wf[..., t])
        low, high = int(c.min()), int(c.max()) + 1
        dest = ((c - low)[:, None] * lanes + lane).ravel()
        for total, part in zip(acc, parts(contrib)):
            total[low * lanes:high * lanes] += np.bincount(dest, weights=part.ravel(), minlength=(high - low) * lanes)
    if len(acc) == 1:
        y = acc[0]
    else:  # not acc[0] + 1j * acc[1]: 1j * inf is nan + inf*1j
        y = np.empty(outputs * lanes, np.complex128)
        y.real, y.imag = acc
    y = y.reshape(outputs, n, groups * c_og).transpose(1, 2, 0)
    return np.ascontiguousarray(y, dtype=x.dtype).reshape(n, groups * c_og, *layer.output_size)


def matrix_bytes(layer: Layer, x_shape, w_shape, groups: int, dtype: np.dtype) -> int:
    """Memory the matrix route takes beyond its result, counted from C's non-zeros (``structure.axis_nnz``)."""
    n, c_in = x_shape[:2]
    c_og = w_shape[1]
    nonzeros = prod(axis_nnz(axis) for axis in layer.axes)
    per_axis = sum(axis_nnz(axis) for axis in layer.axes)
    total = prod(layer.output_size) * n * groups * c_og
    parts = 2 if dtype.kind == "c" else 1
    step = min(_matrix_step(n, c_in, c_og, groups), max(nonzeros, 1))
    per_entry = n * c_in + c_in * c_og + 2 * n * groups * c_og
    return (8 * (4 * nonzeros + 9 * per_axis)  # the index arrays, their last product's temporary, the sorts
            + 8 * step * (per_entry + 2 * n * groups * c_og) * parts  # one slice's operands, products, targets
            + 8 * total * (2 * parts + 1)  # the sums, one band's bincount, the complex result
            + total * dtype.itemsize)  # the sums in the output's layout


# --- zero insertion -------------------------------------------------------------------------------

def zero_insertion_rows(axis: Axis) -> Rows:
    """Per flipped tap ``a'``: the outputs ``j`` whose window cell ``j + a'*d`` of the zero-inserted, padded
    signal holds an input sample, and those samples (every other cell is an inserted zero or padding).

    The stretched signal holds ``x[n]`` at ``n*s`` (``s-1`` zeros between samples) and is padded by
    :attr:`~tconvcalc.model.spec.Axis.zero_insertion_pads`; a negative pad crops.  Only the cells the correlation
    reads are visited, ``k`` rows of ``o``: a crop of nearly all of a huge stride's scatter costs nothing.
    """
    before = axis.zero_insertion_pads[0]
    last = axis.stretched - 1  # the stretched signal's last cell, x[i-1]
    out = []
    for flipped in range(axis.k):
        shift = flipped * axis.d - before  # output j reads stretched cell j + shift
        first = -(-max(0, shift) // axis.s)  # the first sample whose cell a window reads
        stop = min(last, axis.o - 1 + shift) // axis.s + 1
        out.append(_row(first * axis.s - shift, first, stop - first, axis.s))
    return out


def zero_insertion(layer: Layer, x: np.ndarray, w: np.ndarray, groups: int) -> np.ndarray:
    flipped = _weight_for_conv(w, groups)[(slice(None), slice(None), *(slice(None, None, -1),) * layer.ndim)]
    return correlate(x, np.ascontiguousarray(flipped), [zero_insertion_rows(axis) for axis in layer.axes],
                     layer.output_size, groups)


def zero_insertion_bytes(layer: Layer, x_shape, w_shape, itemsize: int) -> int:
    """The im2col copy (``k`` taps by ``o`` outputs per axis) and the flipped kernel."""
    return gather_bytes(x_shape, [(a.k, a.o) for a in layer.axes], itemsize) + prod(w_shape) * itemsize


# --- sub-pixel phases -----------------------------------------------------------------------------

#: The phases route lists every sub-pixel phase that has outputs (``Axis.phases``, a Python record each);
#: past this many along the axes together it is refused rather than spending seconds listing them.
MAX_PHASES = 1 << 18


def phase_count(layer: Layer) -> int:
    """How many phases ``Axis.phases`` lists along the axes together, ``min(s, o)`` each, without listing them."""
    return sum(axis.phase_count for axis in layer.axes)


def _phase_rows(axis: Axis, phase) -> tuple[slice, Rows]:
    """Where one :class:`~tconvcalc.model.spec.Phase`'s outputs are (every ``s``-th), and per tap its rows: output
    ``q_first + t`` of the phase reads ``x[q_first + t - c_a]`` through tap ``a``, a zero outside ``x``."""
    rows = []
    for offset in phase.offsets:
        shift = phase.q_first - offset  # column t reads x[t + shift]
        first, stop = max(0, -shift), min(phase.count, axis.i - shift)
        rows.append(_row(first, first + shift, stop - first))
    return slice(phase.first, None, axis.s), rows


def phases(layer: Layer, x: np.ndarray, w: np.ndarray, groups: int) -> np.ndarray:
    n = x.shape[0]
    wc = _weight_for_conv(w, groups)
    y = np.zeros((n, wc.shape[0], *layer.output_size), x.dtype)
    # a phase no tap feeds stays zero; the others are each an ordinary stride-1 convolution
    fed = [[(phase, *_phase_rows(axis, phase)) for phase in axis.phases if phase.taps] for axis in layer.axes]
    for combo in product(*fed):
        kernel = wc[np.ix_(range(wc.shape[0]), range(wc.shape[1]), *(phase.taps for phase, _, _ in combo))]
        part = correlate(x, kernel, [rows for _, _, rows in combo], [phase.count for phase, _, _ in combo], groups)
        y[(slice(None), slice(None), *(where for _, where, _ in combo))] = part
    return y


def phases_bytes(layer: Layer, x_shape, w_shape, groups: int, itemsize: int) -> int:
    """Memory the phases route takes beyond its result: the listed phases (about 256 bytes of Python each),
    the kernel as a convolution's, and the largest phase's correlation (at most ``ceil(k / (s/g))`` taps
    and ``ceil(o/s)`` outputs per axis, :attr:`~tconvcalc.model.spec.Axis.tap_count_range`)."""
    most = [(axis.tap_count_range[1], -(-axis.o // axis.s)) for axis in layer.axes]
    part = x_shape[0] * w_shape[1] * groups * prod(q for _, q in most)  # two alive: the last one and the next
    return (256 * phase_count(layer) + gather_bytes(x_shape, most, itemsize)
            + (2 * part + 2 * prod(w_shape)) * itemsize)


# --- inf and NaN: only real (input, tap) pairs are multiplied ------------------------------------------

Route = Callable[[Layer, np.ndarray, np.ndarray, int], np.ndarray]


def real_pairs(route: Route, layer: Layer, x: np.ndarray, w: np.ndarray, groups: int) -> np.ndarray:
    """``route`` for operands holding inf or NaN, with NaN and inf exactly where PyTorch puts them.

    Zero insertion and the phases multiply structural zeros (inserted zeros, padding) with the
    kernel, and ``0 * inf`` is NaN where PyTorch, which multiplies only real (input, tap) pairs, has a
    number.  So the route runs on the operands with their inf and NaN set to zero - every finite
    output is then exact - and again on 0/1 indicator arrays, where its sums count the real pairs of
    each kind reaching each output (structural zeros count nothing): any pair giving NaN (a NaN, or
    ``0 * inf``), or +inf and -inf together, makes NaN; else +inf or -inf.  All vectorised, up to 12
    further runs of the route, only for the kinds present.

    Complex operands follow PyTorch's complex kernels instead, which give ``nan + nan*j`` at every output
    a pair with a non-finite part reaches (two indicator runs), whatever the route.
    """
    finite_x, finite_w = np.isfinite(x), np.isfinite(w)
    y = route(layer, np.where(finite_x, x, 0), np.where(finite_w, w, 0), groups)
    counts = x.real.dtype  # 0/1 indicators and their sums, exact

    def reaches(*pairs) -> np.ndarray | None:
        """Outputs some real pair (x where the first mask holds, w where the second) reaches."""
        hit = None
        for a, b in pairs:
            if a.any() and b.any():
                count = route(layer, a.astype(counts), b.astype(counts), groups) > 0
                hit = count if hit is None else hit | count
        return hit

    every_x, every_w = np.ones(x.shape, bool), np.ones(w.shape, bool)
    if x.dtype.kind == "c":
        hit = reaches((~finite_x, every_w), (every_x, ~finite_w))
        if hit is not None:
            y[hit] = complex(np.nan, np.nan)
        return y
    inf_x, inf_w = np.isinf(x), np.isinf(w)
    nan = reaches((np.isnan(x), every_w), (every_x, np.isnan(w)), (inf_x, w == 0), (x == 0, inf_w))
    pinf_x, ninf_x, pinf_w, ninf_w = np.isposinf(x), np.isneginf(x), np.isposinf(w), np.isneginf(w)
    above_x, below_x = finite_x & (x > 0), finite_x & (x < 0)
    above_w, below_w = w > 0, w < 0  # inf included, NaN not
    up = reaches((pinf_x, above_w), (ninf_x, below_w), (above_x, pinf_w), (below_x, ninf_w))
    down = reaches((pinf_x, below_w), (ninf_x, above_w), (above_x, ninf_w), (below_x, pinf_w))
    if up is not None:
        y[up] = np.inf
    if down is not None:
        y[down] = -np.inf
        if up is not None:
            y[up & down] = np.nan
    if nan is not None:
        y[nan] = np.nan
    return y


def real_pairs_bytes(x_bytes: int, w_bytes: int, x_size: int, w_size: int, out_elements: int, itemsize: int) -> int:
    """Memory :func:`real_pairs` adds to one run of its route: the zeroed operands, the masks, one indicator
    pair, the count and the three hit masks."""
    return 2 * (x_bytes + w_bytes) + 8 * (x_size + w_size) + out_elements * (itemsize + 3)
