"""Kernel overlap: how many (input, kernel-tap) pairs reach each output position.

Odena, Dumoulin & Olah (Distill, 2016): when the stride does not divide the
kernel, neighbouring outputs receive different numbers of contributions, and a
transposed convolution paints a checkerboard.  The counts are read from the
same (row, column, tap) triples as the matrix C, so they equal executing the
layer on an all-ones input with an all-ones kernel.

Every layer is separable, so the counts are computed axis by axis (a stack too:
the all-ones kernel is a product of per-axis kernels) and the N-d grid is their
outer product, built only when it is small enough to list.

>>> from tconvcalc.model.spec import Layer
>>> counts(Layer.from_pytorch(5, 3, 2)).tolist()
[1, 1, 2, 1, 2, 1, 2, 1, 2, 1, 1]
>>> result = analyse([Layer.from_pytorch(5, 3, 2)])
>>> result.uniform_overlap, result.interior_values
(False, [1, 2])
"""

from __future__ import annotations

from itertools import product
from math import prod
from typing import Any, NamedTuple, Sequence

import numpy as np

from ..model.structure import input_range, tap_range
from ..records import json_keys
from ..model.spec import Axis, Layer, ParameterError, axes_text

# Per axis, counts are computed for at most this many outputs; an N-d grid is listed up to MAX_CELLS, and the
# distinct interior counts up to MAX_INTERIOR_VALUES combinations of the axes' own (their product set is what grows).
MAX_AXIS = 10_000_000
MAX_CELLS = 1_000_000
MAX_LISTED = 2_000_000  # per-axis counts listed by one report, summed over its axes (JSON lists each: 5M took 2.3 s)
MAX_INTERIOR_VALUES = 100_000
# Counts beyond int64 (a deep stack of wide kernels: 8 taps 23 times is 8**23) are kept as exact Python ints.
_INT64_MAX = 2**63 - 1


def _check_axis(axis: Axis) -> None:
    if axis.o > MAX_AXIS or axis.i * axis.k > 10 * MAX_AXIS:
        raise ParameterError(f"an axis with output size {axis.o} from input {axis.i} and kernel {axis.k} is more "
                             f"than overlap counts (at most {MAX_AXIS} outputs, {10 * MAX_AXIS} input-tap pairs "
                             f"per axis); analyse a smaller layer")


def _count_dtype(axes: Sequence[Axis]):
    """int64 while the largest count a stack can reach fits (each layer multiplies it by at most its most taps
    per output phase), else exact Python ints."""
    bound = prod(axis.tap_count_range[1] for axis in axes)
    return np.int64 if bound <= _INT64_MAX else object


def _scatter(axis: Axis, values: np.ndarray) -> np.ndarray:
    """One axis of the layer on ``values`` with an all-ones kernel: each tap adds its strided slab, or,
    when there are fewer inputs than taps, each input adds its value along its taps' positions."""
    out = np.zeros(axis.o, dtype=values.dtype)
    if axis.k <= axis.i:
        for a in range(axis.k):
            span = tap_range(axis, a)
            if span is not None:
                out[span[1]] += values[span[0]]
    else:
        for n in range(axis.i):
            span = input_range(axis, n)
            if span is not None:
                out[span[1]] += values[n]
    return out


def check_listable(layer: Layer) -> None:
    """Refuse, before counting, an output whose per-axis counts are more than a report lists."""
    for axis in layer.axes:
        _check_axis(axis)
    if sum(layer.output_size) > MAX_LISTED:
        raise ParameterError(f"the output {axes_text(layer.output_size)} has {sum(layer.output_size)} positions over "
                             f"its axes, more than the {MAX_LISTED} overlap lists the counts of; analyse fewer layers "
                             f"or a smaller input")


def axis_counts(axis: Axis) -> np.ndarray:
    """Contributions per output position along one axis."""
    _check_axis(axis)
    return _scatter(axis, np.ones(axis.i, dtype=np.int64))


def stack_axis_counts(axes: Sequence[Axis]) -> np.ndarray:
    """One axis of several layers in sequence: each scatters the previous counts.  Artifacts compound:
    a stack's pattern is the previous pattern scattered through the next layer's all-ones kernel."""
    for axis in axes:  # every layer's size, before the first array
        _check_axis(axis)
    values = np.ones(axes[0].i, dtype=_count_dtype(axes))
    for axis in axes:
        if axis.i != len(values):
            raise ParameterError(f"a layer's input size {axis.i} does not follow the previous output size "
                                 f"{len(values)}, a stack feeds each layer the last one's output; build the "
                                 f"next layer from it")
        values = _scatter(axis, values)
    return values


def grid(per_axis: Sequence[np.ndarray]) -> np.ndarray:
    """The N-d counts: the outer product of the per-axis counts."""
    cells = prod(len(c) for c in per_axis)
    if cells > MAX_CELLS:
        shape = axes_text([len(c) for c in per_axis])
        raise ParameterError(f"the count grid would be {shape} = {cells} cells, more than the {MAX_CELLS} overlap "
                             f"lists; analyse fewer or smaller axes (each axis's counts are in axis_counts)")
    big = any(c.dtype == object for c in per_axis) or prod(max(c.max(initial=1), 1) for c in per_axis) > _INT64_MAX
    out = np.ones((), dtype=object if big else np.int64)
    for counts_ in per_axis:
        out = np.multiply.outer(out, counts_)
    return out


def counts(layer: Layer) -> np.ndarray:
    """Contributions per output position; axes are independent, so the N-d count is an outer product."""
    return grid([axis_counts(axis) for axis in layer.axes])


def interior(axes: Sequence[Axis]) -> slice:
    """The outputs of a stack of layers (one axis) that lie away from every boundary effect.

    A layer's full scatter is fully fed only at least ``d*(k-1)`` from its ends;
    the boundary zone of its input grows by the stride and then by that reach.
    Counted separately at each end, then shifted by the crop.
    """
    start = end = 0  # boundary zone of the stack's input: none, it is all ones
    for axis in axes:
        before, after = axis.zero_insertion_pads  # d(k-1) minus the crop at each end
        start = max(start * axis.s + before, 0)
        end = max(end * axis.s + after, 0)
    o = axes[-1].o
    return slice(min(start, o), max(min(start, o), o - end))


def interior_values(per_axis: Sequence[np.ndarray], windows: Sequence[slice]) -> list[int]:
    """The distinct counts of the N-d interior: products of each axis's distinct interior counts."""
    sets = [np.unique(c[w]).tolist() for c, w in zip(per_axis, windows)]
    combinations = prod(len(values) for values in sets)
    if combinations > MAX_INTERIOR_VALUES:
        raise ParameterError(f"the interior's counts are products of {' × '.join(str(len(v)) for v in sets)} = "
                             f"{combinations} distinct per-axis counts, more than the {MAX_INTERIOR_VALUES} overlap "
                             f"lists; analyse one axis at a time or fewer layers")
    return sorted({prod(combo) for combo in product(*sets)})


@json_keys(optional="counts")
class Overlap(NamedTuple):
    """Contributions per output position (per axis, and the N-d grid when it is small enough to list), the interior's
    values and each axis's phase tap counts."""

    counts: list[Any] | None
    output_size: tuple[int, ...]
    uniform_overlap: bool
    interior: tuple[tuple[int, ...], ...]
    interior_values: list[int]
    period: tuple[int, ...]
    phase_tap_counts: tuple[tuple[int, ...], ...]
    min: int
    max: int
    axis_counts: tuple[list[int], ...]


# Taps per output phase are listed for at most this many phases.
MAX_PHASES = 64


def analyse(layers: Sequence[Layer], with_grid: bool | None = None) -> Overlap:
    """Counts, whether the interior is uniform, the period and each axis's phase tap counts, for one layer
    or a stack (each layer on the previous output).  The N-d grid is listed when ``with_grid`` (default:
    when it has at most :data:`MAX_CELLS` cells); the per-axis counts always are."""
    last = layers[-1]
    per_axis = [stack_axis_counts([layer.axes[n] for layer in layers]) for n in range(last.ndim)]
    windows = [interior([layer.axes[n] for layer in layers]) for n in range(last.ndim)]
    values = interior_values(per_axis, windows)
    if with_grid is None:
        with_grid = prod(len(c) for c in per_axis) <= MAX_CELLS
    # With no interior (every output in some layer's border zone) the taps per phase answer for a longer input.
    uniform = len(values) == 1 if values else all(axis.uniform_overlap for layer in layers for axis in layer.axes)
    return Overlap(grid(per_axis).tolist() if with_grid else None, last.output_size, uniform,
                   tuple((w.start, w.stop) for w in windows), values, last.field("s"),
                   tuple(tuple(axis.tap_count(r) for r in range(min(axis.s, MAX_PHASES))) for axis in last.axes),
                   prod(int(c.min()) for c in per_axis), prod(int(c.max()) for c in per_axis),
                   tuple(c.tolist() for c in per_axis))
