"""The sub-pixel phases of an axis one at a time, arithmetically: what :attr:`Axis.phases` lists, for any stride.

:attr:`tconvcalc.spec.Axis.phases` lists every phase with outputs (``min(s, o) + k`` work). A stride of 10**12
has 10**12 of them and a kernel of 10**6 taps puts 10**6 taps in one, so the derivations ask for the phases they
show, and for the taps of one output, here: each answer is O(log s), with taps and offsets as ranges. The
counts are the model's (:meth:`Axis.tap_count`); tests check every record against :attr:`Axis.phases`.

>>> from tconvcalc.spec import Axis
>>> axis = Axis(2, 3, s=10**12, b=10**12 - 1)          # o = 4: four phases have outputs
>>> phase_count(axis), [phase_residue(axis, t) for t in range(4)]
(4, [0, 1, 2, 999999999999])
>>> phase(Axis(2, 3, 2), 0)
Phase(residue=0, taps=range(0, 4, 2), offsets=range(0, 2), first=0, count=3, q_first=0)
>>> output_terms(Axis(2, 3, 2), 2)                       # y_2 = w_0·x_1 + w_2·x_0
[(0, 1), (2, 0)]
"""

from __future__ import annotations

from math import gcd

from ..spec import Axis, Phase, range_count


def phase_count(axis: Axis) -> int:
    """How many phases have outputs: all ``s`` when ``o ≥ s``, else the ``o`` residues the outputs fall on."""
    return min(axis.s, axis.o)


def phase_residue(axis: Axis, t: int) -> int:
    """The residue of the ``t``-th phase with outputs, in ascending order, without listing the others: the
    outputs' residues ``(b + f) mod s`` for ``f < o`` are one run of consecutive residues, wrapping past s − 1."""
    if axis.o >= axis.s:
        return t
    begin = axis.b % axis.s
    wrapped = begin + axis.o - axis.s  # residues 0 .. wrapped - 1 come from the run's end
    if wrapped <= 0:
        return begin + t
    return t if t < wrapped else begin + t - wrapped


def phase(axis: Axis, r: int) -> Phase:
    """Phase ``r`` as the model's :class:`Phase`, its taps and offsets as ranges (never a list of k).

    ``a·d ≡ r (mod s)`` holds for the taps ``a ≡ a0 (mod s/g)``, ``g = gcd(d, s)`` (none unless g divides r),
    and their input offsets ``c_a = (a·d − r)/s`` step by ``d/g``; how many there are is :meth:`Axis.tap_count`.
    """
    s, d = axis.s, axis.d
    g = gcd(d, s)
    period = s // g
    a0 = (r // g) * pow(d // g, -1, period) % period if period > 1 and r % g == 0 else 0
    c0 = (a0 * d - r) // s
    first = (r - axis.b) % s
    count = axis.tap_count(first)
    return Phase(r, range(a0, a0 + count * period, period), range(c0, c0 + count * (d // g), d // g), first,
                 -(-(axis.o - first) // s), (first + axis.b) // s)


def output_span(axis: Axis, j: int) -> tuple[Phase, int, range]:
    """Output ``j``'s phase, its ``q`` (``j + b = q·s + r``) and which of the phase's taps reach an input
    (indices into ``taps``): those whose input ``q − c_a`` lies in ``[0, i)``, found by slicing, in O(log s)."""
    q, r = divmod(j + axis.b, axis.s)
    found = phase(axis, r)
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
