"""Kernel overlap: how many (input, kernel-tap) pairs reach each output position.

Odena, Dumoulin & Olah (Distill, 2016): when the stride does not divide the
kernel, neighbouring outputs receive different numbers of contributions, and a
transposed convolution paints a checkerboard.  The counts here are read from
the same (row, column, tap) triples as the matrix C, so they equal executing the
layer on an all-ones input with an all-ones kernel.

>>> from tconvcalc.spec import Layer
>>> counts(Layer.from_pytorch(5, 3, 2)).tolist()
[1, 1, 2, 1, 2, 1, 2, 1, 2, 1, 1]
>>> result = analyse([Layer.from_pytorch(5, 3, 2)])
>>> result.uniform, result.interior_values
(False, [1, 2])
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .operator import axis_taps
from .records import record
from .spec import Axis, Layer


def axis_counts(axis: Axis) -> np.ndarray:
    """Contributions per output position along one axis: a bincount of C's columns."""
    columns = [m for _, m, _ in axis_taps(axis)]
    return np.bincount(np.asarray(columns, dtype=np.int64), minlength=axis.o)


def counts(layer: Layer) -> np.ndarray:
    """Contributions per output position; axes are independent, so the N-d count is an outer product."""
    grid = np.ones((), dtype=np.int64)
    for axis in layer.axes:
        grid = np.multiply.outer(grid, axis_counts(axis))
    return grid


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


def stack_counts(layers: Sequence[Layer]) -> np.ndarray:
    """Contributions after several layers in sequence: each layer run on the previous counts.

    Artifacts compound: a stack's pattern is the previous pattern scattered
    through the next layer's all-ones kernel.
    """
    from .numeric import apply  # the backend executes the scatter; overlap only describes it

    grid = np.ones((1, 1, *layers[0].input_size))
    for layer in layers:  # apply() refuses a layer whose input size does not follow
        grid = apply(layer, grid, np.ones((1, 1, *layer.kernel_size)))
    return np.rint(grid[0, 0]).astype(np.int64)


Overlap = record("Overlap", "counts output_size uniform interior interior_values period phase_tap_counts min max",
                 doc="Contributions per output position, the interior's values and each axis's phase tap counts.")


def analyse(layers: Sequence[Layer]) -> Overlap:
    """Counts, whether the interior is uniform, the period and each axis's phase tap counts."""
    grid = counts(layers[0]) if len(layers) == 1 else stack_counts(layers)
    last = layers[-1]
    window = tuple(interior([layer.axes[n] for layer in layers]) for n in range(last.ndim))
    values = np.unique(grid[window])
    return Overlap(grid.tolist(), grid.shape, bool(values.size <= 1), tuple((w.start, w.stop) for w in window),
                   values.tolist(), last.field("s"), tuple(axis.phase_tap_counts() for axis in last.axes),
                   int(grid.min()), int(grid.max()))
