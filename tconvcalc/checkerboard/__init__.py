"""Checkerboard in the weights: find it, fix it with the smallest change, start free of it.

A transposed convolution's output for a constant input is, away from the borders, periodic with the stride: the
value at output phase ``r`` is the sum of the kernel taps in that phase
(:meth:`~tconvcalc.model.spec.Axis.residue_taps`),
for every input and output channel.  The layer is free of checkerboard on constant inputs exactly when, for every
(input, output) channel pair, all its phase sums are equal: the zero-order-hold condition of Sugawara et al., the
kernel's frequency response vanishing at the aliasing frequencies.  A sub-pixel convolution (a convolution, then
a depth to space) is the same with the phases as output-channel groups, each with its own bias.

:mod:`.analysis` measures it (:func:`~.analysis.analyse`), :mod:`.repair` makes the smallest L2 change that
removes it (:func:`~.repair.fix_layer`), and :mod:`tconvcalc.checkerboard.init` (``tc.init``) starts free of it.
"""

from __future__ import annotations

from .analysis import LayerCheck, LayerWeights, analyse, phase_sums
from .repair import Fixed, fix_layer

__all__ = ["Fixed", "LayerCheck", "LayerWeights", "analyse", "fix_layer", "phase_sums"]
