"""The fast route: run a :class:`~.gemm_plan.GemmPlan` on the data.

The plan (which axes gather, which scatter, the index tables) comes from :mod:`.gemm_plan`; this
module owns everything that touches arrays: the work buffers kept between calls, the im2col copy,
the blocked weights, the GEMMs and the strided writes into the output.
"""

from __future__ import annotations

import threading
from functools import partial
from itertools import product
from math import prod
from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..model.structure import tap_range
from ..model.spec import Layer
from .gemm_plan import GemmPlan, best_modes, gemm_plan

if TYPE_CHECKING:
    from .routes import Route

__all__ = ["FIXED_MODES", "GEMM_ROUTES", "WORK", "batch_chunk", "fast", "gemm", "release_buffers"]

# Work buffers are processed in slices of about this many bytes: small enough to stay in cache
# between the GEMM and the scatter, large enough that the GEMM runs at full speed.
_CHUNK_BYTES = 4 << 20


class Workspace(threading.local):
    """Work buffers kept between calls, one set per thread.

    A freshly allocated multi-megabyte array costs a page fault per 4 KiB page when it is first
    written - measured at 45% of a GEMM-bound layer's time - so the im2col and GEMM buffers are
    reused from call to call.  The result is always a new array.
    """

    limit = 64 << 20  # larger buffers are allocated per call and not kept

    def __init__(self) -> None:
        self.buffers: dict[str, np.ndarray] = {}

    def array(self, name: str, shape: Sequence[int], dtype: np.dtype) -> np.ndarray:
        nbytes = prod(shape) * dtype.itemsize
        if nbytes > self.limit:
            return np.empty(shape, dtype)
        buffer = self.buffers.get(name)
        if buffer is None or buffer.nbytes < nbytes:
            buffer = self.buffers[name] = np.empty(nbytes, np.uint8)
        return buffer[:nbytes].view(dtype).reshape(shape)


WORK = Workspace()


def release_buffers() -> None:
    """Free the work buffers this thread keeps between calls (two, of at most 64 MiB each)."""
    WORK.buffers.clear()


def batch_chunk(per_sample: int, n: int) -> int:
    """Samples per slice of the batch, for ``per_sample`` bytes of work buffer each."""
    return max(1, min(n, _CHUNK_BYTES // max(per_sample, 1)))


def fast(layer: Layer, x: np.ndarray, w: np.ndarray, groups: int) -> np.ndarray:
    """The default: the per-axis gather/scatter GEMM the cost model finds cheapest."""
    return gemm(layer, x, w, groups, best_modes(layer, x.shape, w.shape[1] * groups, groups))


# The extreme forms of the fast route, selectable for tests and benchmarks: every axis gathers or not.
FIXED_MODES = {"col2im": False, "subpixel_gemm": True}


def _uniform_gemm(gather: bool, layer: Layer, x: np.ndarray, w: np.ndarray, groups: int) -> np.ndarray:
    return gemm(layer, x, w, groups, (gather,) * layer.ndim)


#: The routes this module runs, by name.
GEMM_ROUTES: dict[str, Route] = {
    "fast": fast, **{route: partial(_uniform_gemm, gather) for route, gather in FIXED_MODES.items()}}


def gemm(layer: Layer, x: np.ndarray, w: np.ndarray, groups: int, modes) -> np.ndarray:
    """Run the GEMMs of ``modes`` (gather True / scatter False per axis) and assemble ``y``."""
    plan = gemm_plan(layer, modes)
    n, c_in = x.shape[:2]
    c_ig, c_og = c_in // groups, w.shape[1]
    columns = prod(plan.extent)
    weights = _block_weights(w, groups, plan)
    # Scattered slabs are added, so y starts at zero unless one slab covers it; otherwise every
    # sample is written once.
    fill = np.zeros if plan.scatters and plan.covering is None else np.empty
    y = fill((n, groups, c_og, *layer.output_size), x.dtype)
    for combo in plan.empty:
        y[(slice(None),) * 3 + _phase_slices(layer, plan, combo, None)[1]] = 0
    step = batch_chunk(plan.per_sample(c_in, groups * c_og, groups) * x.dtype.itemsize, n)
    for start in range(0, n, step):
        stop = min(n, start + step)
        batch = stop - start
        if plan.im2col:
            cols = _im2col(layer, plan, x[start:stop].reshape(batch, groups, c_ig, *layer.input_size))
            cols = cols.reshape(groups, prod(plan.windows) * c_ig, batch * columns)
        else:  # x itself, (batch, g, C_in/g, columns), is the operand: one GEMM per sample
            cols = x[start:stop].reshape(batch, groups, c_ig, columns)
        for (first, last), combos in plan.blocks.items():
            m = weights[first, last]
            if plan.im2col:
                out = np.matmul(m, cols[:, first * c_ig:last * c_ig],
                                out=WORK.array("gemm", (groups, m.shape[1], batch * columns), x.dtype))
                out = out.reshape(groups, c_og, len(combos), *plan.scatters, batch, *plan.extent)
            else:
                out = np.matmul(m, cols, out=WORK.array("gemm", (batch, groups, m.shape[1], columns), x.dtype))
                out = np.moveaxis(out.reshape(batch, groups, c_og, len(combos), *plan.scatters, *plan.extent),
                                  0, 3 + len(plan.scatters))
            _write_out(y, out, layer, plan, combos, slice(start, stop))
    return y.reshape(n, groups * c_og, *layer.output_size)


def _im2col(layer: Layer, plan: GemmPlan, x: np.ndarray) -> np.ndarray:
    """``(g, *windows, C_in/g, batch, *extent)``: the input at every window row, zeros past its ends.

    Read straight from ``x`` ``(batch, g, C_in/g, *input)``, so the padding is never materialised.
    """
    batch, groups, c_ig = x.shape[:3]
    cols = WORK.array("im2col", (groups, *plan.windows, c_ig, batch, *plan.extent), x.dtype)
    source = x.transpose(1, 2, 0, *range(3, x.ndim))  # (g, C_in/g, batch, *input)
    for v in product(*(range(k) for k in plan.windows)):
        window: tuple[slice | int, ...] = (slice(None), *v)  # typed: numpy's stubs misread a starred tuple inline
        target = cols[window]  # (g, C_in/g, batch, *extent)
        dst, src = [], []
        for t, p, axis, length in zip(v, plan.gathers, layer.axes, plan.extent):
            lo = 0 if p is None else t * p.step - p.pads[0]  # input index read at column 0
            first, last = max(0, -lo), min(length, axis.i - lo)
            dst.append(slice(first, max(first, last)))
            src.append(slice(first + lo, max(first, last) + lo))
        if any(d.start >= d.stop for d in dst):
            target.fill(0)
            continue
        lead = (slice(None),) * 3
        target[(*lead, *dst)] = source[(*lead, *src)]
        for ax, (d, length) in enumerate(zip(dst, plan.extent)):  # zero the borders, axis by axis
            before = (slice(None),) * ax
            target[(*lead, *before, slice(0, d.start))] = 0
            target[(*lead, *before, slice(d.stop, length))] = 0
    return cols


def _block_weights(w: np.ndarray, groups: int, plan: GemmPlan) -> dict:
    """Per GEMM, the left operand ``(g, C_out/g * combos * scatter taps, run * C_in/g)``: each result
    row's taps at their window rows, zeros where it has none.

    Built as its transpose ``(run, C_in/g, C_out/g, ...)`` - a gather within each weight's kernel,
    then a move of whole ``C_out/g`` blocks - and handed to the GEMM as a transposed view, which BLAS
    reads as fast as a copy; building the operand itself would walk ``w`` across its channels.
    """
    c_in, c_og = w.shape[:2]
    wg = w.reshape(groups, c_in // groups, c_og, -1)
    weights = {}
    for run, table in plan.taps.items():
        block = wg[:, :, :, np.maximum(table, 0)]  # (g, C_in/g, C_out/g, run, combos, *scatter taps)
        missing = table < 0
        if missing.any():
            block[:, :, :, missing] = 0
        block = np.ascontiguousarray(np.moveaxis(block, 3, 1))  # (g, run, C_in/g, C_out/g, ...)
        weights[run] = block.reshape(groups, table.shape[0] * (c_in // groups), -1).transpose(0, 2, 1)
    return weights


def _phase_slices(layer: Layer, plan: GemmPlan, combo, taps):
    """Source slices into a GEMM result's positions and target slices into ``y``, per axis, for one
    phase combination and one tap per scattering axis; None if that tap lands outside the output."""
    src, dst = [], []
    phases, scattered = iter(combo), iter(taps or ())
    for axis, p in zip(layer.axes, plan.gathers):
        if p is None:
            span = tap_range(axis, next(scattered)) if taps is not None else (slice(None), slice(None))
            if span is None:
                return None
            src.append(span[0])
            dst.append(span[1])
        else:
            j0, count, q0, _ = next(phases)
            src.append(slice(q0 - p.q_lo, q0 - p.q_lo + count))
            dst.append(slice(j0, j0 + (count - 1) * axis.s + 1, axis.s))
    return tuple(src), tuple(dst)


def _write_out(y, out, layer: Layer, plan: GemmPlan, combos, batch: slice) -> None:
    """Move a GEMM result ``(g, C_out/g, combos, *scatter taps, batch, *extent)`` into ``y``: a strided
    copy per phase, or a strided in-place add per scattered tap (the covering one copied first)."""
    taps = list(product(*(range(k) for k in plan.scatters)))
    if plan.covering is not None:
        taps.remove(plan.covering)
        taps.insert(0, plan.covering)
    for index, combo in enumerate(combos):
        for number, tap in enumerate(taps):
            slices = _phase_slices(layer, plan, combo, tap)
            if slices is None:
                continue
            src = out[(slice(None), slice(None), index, *tap, slice(None), *slices[0])]
            src = np.moveaxis(src, 2, 0)  # (batch, g, C_out/g, ...)
            view = y[(batch, slice(None), slice(None), *slices[1])]
            if plan.scatters and (number or plan.covering is None):
                np.add(view, src, out=view)  # no temporaries
            else:
                view[...] = src
