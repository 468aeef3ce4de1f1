"""The GEMM planner of the fast route: which axes gather, which scatter, and the index tables.

Along a *gathering* axis the outputs are split into their ``s`` sub-pixel phases; phase ``r`` reads
the input at a window of offsets shared by all phases, so the window goes into the GEMM's inner
dimension (an im2col copy of the input) and the phases into its rows.  Along a *scattering* axis
every tap goes into the GEMM's rows and its slab is added into a strided slice of the output
(col2im).  All axes gathering is the sub-pixel GEMM, all scattering is col2im; the cost model picks
the mix with the least estimated time.

Like opt_einsum's path planner, this module never sees the data: it works on the layer
(:class:`~tconvcalc.model.spec.Layer`), shapes and integer index tables; :mod:`.gemm` executes a plan.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import product
from math import gcd, prod
from typing import NamedTuple

import numpy as np

from ..model.structure import tap_range
from ..model.spec import Axis, Layer

__all__ = ["MAX_GATHER_ROWS", "AxisPhases", "GemmPlan", "best_modes", "gather_rows", "gemm_plan"]

# Relative costs, in multiply-adds of a multi-threaded GEMM, of moving one element through a
# single-threaded NumPy copy or strided in-place add.  Measured on the 2-core CI machine with
# OpenBLAS's AVX2 and AVX-512 kernels: a GEMM does 100-200 G multiply-adds/s, a strided copy moves
# 4-6 G elements/s, an in-place add half that.  They only choose among routes that all agree.
_COPY_COST, _ADD_COST = 25, 50

#: A plan that gathers lists every phase of its gathering axes (a Python record each) and a table row per
#: window row and phase combination; beyond this many (phases x window rows, multiplied over the gathering
#: axes) the plan would cost more to build than the GEMM saves, so only scattering is planned there.  A huge
#: stride (each tap in a phase of its own: nothing to gather) or a dilation far above the stride (a window
#: of mostly zero weights) is where it happens; ordinary layers stay far below (a 3-D k4 s2 layer: 64).
MAX_GATHER_ROWS = 4096


def gather_rows(layer: Layer, modes: tuple[bool, ...]) -> int | None:
    """Phases x window rows of ``modes``' gathering axes multiplied together, or None when that exceeds
    :data:`MAX_GATHER_ROWS`; the phase counts (``min(s, o)`` per axis) are bounded before any is listed."""
    bound = 1
    for axis, gather in zip(layer.axes, modes):
        if gather:
            bound *= axis.phase_count
            if bound > MAX_GATHER_ROWS:
                return None
    rows = 1
    for axis, gather in zip(layer.axes, modes):
        if gather:
            p = _axis_phases(axis)
            rows *= len(p.phases) * p.window
            if rows > MAX_GATHER_ROWS:
                return None
    return rows


def best_modes(layer: Layer, x_shape, c_out: int, groups: int) -> tuple[bool, ...]:
    """Gather (True) or scatter (False) per axis, the cheapest by :func:`_gemm_cost` among the modes whose
    plan is small (:func:`gather_rows`); scattering on every axis always is."""
    return _cheapest_modes(layer, tuple(x_shape[:2]), c_out, groups)


@lru_cache(maxsize=256)
def _cheapest_modes(layer: Layer, batch_channels: tuple[int, int], c_out: int, groups: int) -> tuple[bool, ...]:
    candidates = [modes for modes in product((True, False), repeat=layer.ndim)
                  if not any(modes) or gather_rows(layer, modes) is not None]
    return min(candidates, key=lambda modes: _gemm_cost(gemm_plan(layer, modes), batch_channels, c_out, groups))


def _gemm_cost(plan: GemmPlan, x_shape, c_out: int, groups: int) -> int:
    n, c_in = x_shape[:2]
    columns = n * prod(plan.extent)
    rows = {run: len(combos) * prod(plan.scatters) for run, combos in plan.blocks.items()}  # per C_out/g
    macs = columns * (c_out // groups) * c_in * sum(r * (last - first) for (first, last), r in rows.items())
    moves = (columns * c_in * prod(plan.windows) if plan.im2col else 0)
    written = columns * c_out * sum(rows.values())  # GEMM result elements
    return macs + _COPY_COST * moves + (_ADD_COST if plan.scatters else _COPY_COST) * written


class AxisPhases(NamedTuple):
    """A gathering axis.

    Output ``j`` with ``j + b = q*s + r`` (phase ``r``) receives ``w[a] * x[q - c_a]`` from the taps
    with ``a*d = c_a*s + r``.  All phases share one window of offsets ``c_max - v*step``
    (``v < window``); window row ``v`` at position ``q`` reads ``x[q - q_lo + v*step - pads[0]]``.
    ``phases`` holds ``(j0, count, q0, {v: a})`` per phase that has outputs.
    """
    step: int
    window: int
    q_lo: int
    length: int
    pads: tuple[int, int]
    phases: tuple


@lru_cache(maxsize=256)
def _axis_phases(axis: Axis) -> AxisPhases:
    # every tap's c_a, in the phases that have outputs (none: a one-row window of zero weights)
    offset = [c for phase in axis.phases for c in phase.offsets] or [0]
    c_min, c_max = min(offset), max(offset)
    step = 0
    for c in offset:
        step = gcd(step, c - c_min)
    step = step or 1
    phases = [(p.first, p.count, p.q_first, {(c_max - c) // step: a for a, c in zip(p.taps, p.offsets)})
              for p in axis.phases if p.count]
    q_lo = min(p[2] for p in phases)
    q_hi = max(p[2] + p[1] - 1 for p in phases)
    return AxisPhases(step, (c_max - c_min) // step + 1, q_lo, q_hi - q_lo + 1,
                      (c_max - q_lo, q_hi - c_min - (axis.i - 1)), tuple(phases))


class GemmPlan(NamedTuple):
    """The GEMMs of one choice of modes: ``gathers[ax]`` is an :class:`AxisPhases` or None (scatter)."""
    gathers: tuple
    windows: tuple  # window rows per axis (1 where it scatters)
    extent: tuple  # GEMM columns per sample, per axis: phase positions or input samples
    blocks: dict  # (first, last) window run -> phase combinations sharing that GEMM
    empty: list  # phase combinations no tap reaches: their outputs are zero
    im2col: bool  # whether the inner dimension needs a copy of x (else x itself is the operand)
    scatters: tuple  # taps per scattering axis
    taps: dict  # per GEMM, the kernel tap (flat index) of each (inner row, result row); -1 for none
    covering: tuple | None  # scatter taps whose slab alone covers the output: written first, by copy

    def per_sample(self, c_in: int, c_out: int, groups: int) -> int:
        """Elements of work buffer per sample of a batch slice: the im2col copy and one GEMM result."""
        columns = prod(self.extent)
        widest = max((len(c) for c in self.blocks.values()), default=0)  # phase combinations in one GEMM
        rows = c_out * widest * prod(self.scatters)
        return (c_in * prod(self.windows) * columns if self.im2col else 0) + rows * columns

    def weight_elements(self, c_in: int, c_og: int) -> int:
        """Elements of the blocked weights (:func:`.gemm._block_weights`): every GEMM's left operand."""
        return c_in * c_og * sum(table.size for table in self.taps.values())


@lru_cache(maxsize=256)
def gemm_plan(layer: Layer, modes: tuple[bool, ...]) -> GemmPlan:
    """The plan for ``modes``: gather (True) or scatter (False) per axis."""
    gathers = tuple(_axis_phases(axis) if g else None for axis, g in zip(layer.axes, modes))
    phased = [p for p in gathers if p is not None]
    windows = tuple(p.window if p else 1 for p in gathers)
    blocks, empty = _gemm_blocks(phased)
    scatters = tuple(axis.k for axis, p in zip(layer.axes, gathers) if p is None)
    return GemmPlan(gathers, windows, tuple(p.length if p else axis.i for axis, p in zip(layer.axes, gathers)),
                    blocks, empty, any(p.window > 1 or p.pads != (0, 0) for p in phased), scatters,
                    {run: _tap_table(layer, gathers, scatters, run, combos) for run, combos in blocks.items()},
                    _covering_taps(layer, gathers))


def _covering_taps(layer: Layer, gathers) -> tuple | None:
    """A tap per scattering axis whose slab reaches every output, if there is one on every such axis.

    Written first as a copy, it spares zeroing ``y`` and one read of it; only a stride-1 axis can
    have such a tap (with ``s > 1`` each tap reaches one phase).
    """
    covering = []
    for axis, p in zip(layer.axes, gathers):
        if p is None:
            full = [a for a in range(axis.k) if (span := tap_range(axis, a)) is not None
                    and span[1].start == 0 and span[1].stop == axis.o] if axis.s == 1 else []
            if not full:
                return None
            covering.append(full[0])
    return tuple(covering)


def _tap_table(layer: Layer, gathers, scatters, run, combos) -> np.ndarray:
    """``(run, combos, *scatter taps)``: the flat kernel index feeding each window row of each
    result row of one GEMM, or -1 where that row gets a zero weight."""
    windows = [p.window for p in gathers if p is not None]
    # each row's window index, per gathering axis (no axes: the one row of an empty window)
    rows = np.unravel_index(np.arange(*run), windows) if windows else ()
    shape = (run[1] - run[0], len(combos), *scatters)
    index = np.zeros(shape, np.intp)
    missing = np.zeros(shape, bool)
    g = s = 0
    for axis, p in zip(layer.axes, gathers):
        if p is None:
            table = np.arange(axis.k).reshape([-1 if i == 2 + s else 1 for i in range(len(shape))])
            s += 1
        else:
            table = np.array([[combo[g][3].get(int(v), -1) for combo in combos] for v in rows[g]])
            table = table.reshape(*table.shape, *(1,) * len(scatters))
            g += 1
        missing = missing | (table < 0)
        index = index * axis.k + table
    index[missing] = -1
    return index


def _gemm_blocks(phased):
    """Phase combinations grouped by the run of window rows (row-major) their taps need.

    A run holds every row a combination uses and, between them, rows it gets zero weights for;
    combinations with the same run share one GEMM.  Combinations without taps are returned apart:
    their outputs are zero.
    """
    windows = [p.window for p in phased]
    blocks, empty = {}, []
    for combo in product(*(p.phases for p in phased)):
        if not all(taps for *_, taps in combo):
            empty.append(combo)
            continue
        first = int(np.ravel_multi_index([min(taps) for *_, taps in combo], windows)) if combo else 0
        last = int(np.ravel_multi_index([max(taps) for *_, taps in combo], windows)) if combo else 0
        blocks.setdefault((first, last + 1), []).append(combo)
    return blocks, empty
