"""The taps one output of the transposed convolution sums, through its sub-pixel phase, for any stride.

The phases themselves are the model's (:meth:`Axis.phase`, :meth:`Axis.phase_residue`, O(log s) each); a
phase of 10**6 taps costs here only the few that reach an input.

>>> from tconvcalc.model.spec import Axis
>>> output_terms(Axis(2, 3, 2), 2)                       # y_2 = w_0·x_1 + w_2·x_0
[(0, 1), (2, 0)]
"""

from __future__ import annotations

from ..model.spec import Axis, Phase, range_count


def output_span(axis: Axis, j: int) -> tuple[Phase, int, range]:
    """Output ``j``'s phase, its ``q`` (``j + b = q·s + r``) and which of the phase's taps reach an input
    (indices into ``taps``): those whose input ``q − c_a`` lies in ``[0, i)``, found by slicing, in O(log s)."""
    q, r = divmod(j + axis.b, axis.s)
    found = axis.phase(r)
    offsets = found.offsets
    # q − c ∈ [0, i)  ⇔  c ∈ [q − i + 1, q], with c = offsets.start + t·offsets.step
    low = max(0, -(-(q - axis.i + 1 - offsets.start) // offsets.step))
    high = min(range_count(offsets) - 1, (q - offsets.start) // offsets.step)
    return found, q, range(low, max(low, high + 1))


def output_count(axis: Axis, j: int) -> int:
    """How many taps output ``j`` sums (one column of the axis's C), in O(log s)."""
    return range_count(output_span(axis, j)[2])


def output_terms(axis: Axis, j: int) -> list[tuple[int, int]]:
    """``(tap, input)`` of output ``j`` in its phase's stride-1 convolution: ``x[q − c_a]`` through each tap
    ``a`` of the phase that reaches an input - only those are visited, so a phase of 10**6 taps costs its
    few reaching ones."""
    found, q, taps = output_span(axis, j)
    return [(found.taps[t], q - found.offsets[t]) for t in taps]
