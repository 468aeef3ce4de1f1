"""The independent routes the fast one is checked against, and the direct convolution.

* ``matrix`` - ``y = C^T x`` from the ``(row, column, tap)`` triples of :mod:`tconvcalc.operator`,
  applied in sparse (COO) form with ``np.bincount``;
* ``zero_insertion`` - insert ``s-1`` zeros, pad, correlate with the flipped kernel;
* ``phases`` - the sub-pixel decomposition into ``s**n`` stride-1 convolutions.

Each takes a :class:`~tconvcalc.spec.Layer` and arrays already checked by :mod:`.operands`, and
reads every size, pad and phase from the layer's axes.
"""

from __future__ import annotations

from itertools import product
from math import gcd, prod
from typing import Sequence

import numpy as np

from ..operator import axis_taps
from ..spec import Axis, Layer, conv_count

__all__ = ["MATRIX_CHUNK_ELEMENTS", "correlate", "direct", "matrix", "matrix_indices", "pad", "phases",
           "zero_insertion"]


# --- shared pieces --------------------------------------------------------------------------------

def pad(x: np.ndarray, pads: Sequence[tuple[int, int]]) -> np.ndarray:
    """Zero-pad the spatial axes by ``(lo, hi)``; a negative amount crops that end instead.

    Sample ``t`` of the result is ``x[t - lo]`` (zero outside ``x``), so a crop may reach past
    the padding of the other end.
    """
    if all(lo == 0 and hi == 0 for lo, hi in pads):
        return x
    size = x.shape[2:]
    out = np.zeros((*x.shape[:2], *(length + lo + hi for length, (lo, hi) in zip(size, pads))), x.dtype)
    src, dst = [], []
    for length, (lo, hi) in zip(size, pads):
        first, last = max(0, -lo), min(length, length + hi)  # the part of x that survives the crops
        if first >= last:
            return out
        src.append(slice(first, last))
        dst.append(slice(first + lo, last + lo))
    out[(slice(None), slice(None), *dst)] = x[(slice(None), slice(None), *src)]
    return out


def correlate(xp: np.ndarray, w: np.ndarray, strides, dilations, groups: int) -> np.ndarray:
    """Direct correlation, no padding: im2col through a strided view, then one GEMM per group."""
    n, c_in, *size = xp.shape
    c_out, c_ig, *kernel = w.shape
    out = [conv_count(length, k, s, d) for length, k, s, d in zip(size, kernel, strides, dilations)]
    step = xp.strides
    view = np.lib.stride_tricks.as_strided(
        xp, (n, groups, c_ig, *kernel, *out),
        (step[0], c_ig * step[1], step[1], *(d * t for d, t in zip(dilations, step[2:])),
         *(s * t for s, t in zip(strides, step[2:]))), writeable=False)
    cols = view.reshape(n, groups, c_ig * prod(kernel), prod(out))  # the im2col copy
    y = np.matmul(w.reshape(groups, c_out // groups, c_ig * prod(kernel)), cols)
    return y.reshape(n, c_out, *out)


def direct(layer: Layer, u: np.ndarray, w: np.ndarray, groups: int) -> np.ndarray:
    """``C u``, the direct convolution whose transpose is ``layer`` (``w`` read as a convolution's weight).

    ``(C u)[n] = sum_a w[a] u[n*s + a*d - b]`` for ``n < i``: a correlation of ``u`` padded by the
    crop ``(b, e)`` (a negative end drops samples no window reaches).
    """
    return correlate(pad(u, layer.crop), w, layer.field("s"), layer.field("d"), groups)


def _weight_for_conv(w: np.ndarray, groups: int) -> np.ndarray:
    """(C_in, C_out/g, *k) of the transposed layer -> (C_out, C_in/g, *k) of the equivalent convolution."""
    c_in, c_og, *kernel = w.shape
    g = w.reshape(groups, c_in // groups, c_og, *kernel).swapaxes(1, 2)
    return g.reshape(groups * c_og, c_in // groups, *kernel)


# --- the sparse matrix C^T ------------------------------------------------------------------------

#: Non-zeros of C handled per slice; the matrix route's work memory follows it.
MATRIX_CHUNK_ELEMENTS = 1 << 21


def matrix_indices(layer: Layer) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(rows, cols, taps)`` of C as flat index arrays, from :func:`tconvcalc.operator.axis_taps`.

    The per-axis triples are combined row-major (first axis slowest), the order of
    :func:`tconvcalc.operator.layer_taps`; memory grows with the non-zeros only.
    """
    rows = cols = taps = np.zeros((), np.intp)
    for axis in layer.axes:
        t = np.asarray(axis_taps(axis), dtype=np.intp).reshape(-1, 3)
        rows = rows[..., None] * axis.i + t[:, 0]
        cols = cols[..., None] * axis.o + t[:, 1]
        taps = taps[..., None] * axis.k + t[:, 2]
    return rows.ravel(), cols.ravel(), taps.ravel()


def matrix(layer: Layer, x: np.ndarray, w: np.ndarray, groups: int) -> np.ndarray:
    n, c_in = x.shape[:2]
    c_ig, c_og = c_in // groups, w.shape[1]
    outputs = prod(layer.output_size)
    rows, cols, taps = matrix_indices(layer)
    xf = x.reshape(n, groups, c_ig, -1)
    wf = w.reshape(groups, c_ig, c_og, -1)
    # Flat destination (batch, group, channel, column) of each contribution; bincount sums them.
    base = (np.arange(n * groups * c_og, dtype=np.intp) * outputs).reshape(n, groups, c_og, 1)
    parts = (lambda a: (a.real, a.imag)) if x.dtype.kind == "c" else (lambda a: (a,))
    acc = [np.zeros(n * groups * c_og * outputs) for _ in parts(x)]
    per_entry = n * c_ig * groups + groups * c_ig * c_og + 2 * n * groups * c_og
    step = max(1, MATRIX_CHUNK_ELEMENTS // per_entry)
    for start in range(0, len(rows), step):
        r, c, t = rows[start:start + step], cols[start:start + step], taps[start:start + step]
        # value of C^T at (column, row) for every channel pair, times the input at that row
        contrib = np.einsum("ngie,gioe->ngoe", xf[..., r], wf[..., t])
        dest = (base + c).ravel()
        for total, part in zip(acc, parts(contrib)):
            total += np.bincount(dest, weights=part.ravel(), minlength=total.size)
    y = acc[0] if len(acc) == 1 else acc[0] + 1j * acc[1]
    return y.reshape(n, groups * c_og, *layer.output_size).astype(x.dtype, copy=False)


# --- zero insertion -------------------------------------------------------------------------------

def zero_insertion(layer: Layer, x: np.ndarray, w: np.ndarray, groups: int) -> np.ndarray:
    n, c_in = x.shape[:2]
    z = np.zeros((n, c_in, *layer.field("stretched")), x.dtype)
    z[(slice(None), slice(None), *(slice(None, None, a.s) for a in layer.axes))] = x  # s-1 zeros between
    zp = pad(z, layer.field("zero_insertion_pads"))
    flipped = _weight_for_conv(w, groups)[(slice(None), slice(None), *(slice(None, None, -1),) * layer.ndim)]
    return correlate(zp, np.ascontiguousarray(flipped), (1,) * layer.ndim, layer.field("d"), groups)


# --- sub-pixel phases -----------------------------------------------------------------------------

def _phase_plan(axis: Axis, phase):
    """For one :class:`~tconvcalc.spec.Phase`: where its outputs are, which taps feed them, how to pad.

    Its offsets ``c_a`` step by ``d / gcd(s, d)``, so the phase is a stride-1 convolution with that
    dilation and the taps in reverse order.
    """
    if not phase.count:
        return None
    outputs = slice(phase.first, None, axis.s)
    if not phase.taps:
        return outputs, None, None, None
    q_last = phase.q_first + phase.count - 1
    pads = (phase.offsets[-1] - phase.q_first, q_last - phase.offsets[0] - (axis.i - 1))
    return outputs, phase.taps[::-1], axis.d // gcd(axis.s, axis.d), pads


def phases(layer: Layer, x: np.ndarray, w: np.ndarray, groups: int) -> np.ndarray:
    n = x.shape[0]
    wc = _weight_for_conv(w, groups)
    y = np.zeros((n, wc.shape[0], *layer.output_size), x.dtype)
    plans = [[_phase_plan(axis, phase) for phase in axis.phases] for axis in layer.axes]
    for combo in product(*plans):
        if None in combo or any(p[1] is None for p in combo):
            continue  # no output in this phase, or no tap feeds it: it stays zero
        kernel = wc[np.ix_(range(wc.shape[0]), range(wc.shape[1]), *(p[1] for p in combo))]
        part = correlate(pad(x, [p[3] for p in combo]), kernel, (1,) * layer.ndim, [p[2] for p in combo], groups)
        y[(slice(None), slice(None), *(p[0] for p in combo))] = part
    return y
