"""How far a layer's weights are from checkerboard-free: phase sums, their spread, the aliasing response.

A layer is a :class:`LayerWeights`: a transposed convolution's weight in PyTorch's layout ``(C_in, C_out/g, *k)``,
or a sub-pixel convolution's (a convolution ``(C·Πs, C_in/g, *k)`` followed by a depth to space of block ``s``).
Its phase sums ``P[c_in, c_out, *r]`` are the response at output phase ``r`` to a constant 1 on input channel
``c_in``: the sum of the taps :meth:`~tconvcalc.model.spec.Axis.residue_taps` puts in that phase (a transposed
layer), or of the convolution channel that becomes phase ``r`` of ``c_out`` (a sub-pixel one, whose bias joins as one
more input channel, constant 1: each phase has its own).

>>> import numpy as np
>>> w = np.array([[[1.0, 2.0, 3.0]]])                        # one channel, k = 3, s = 2: phases {0, 2} and {1}
>>> layer = LayerWeights("up", "transposed", w, None, (2,), (1,), 1)
>>> phase_sums(layer)[0, 0].tolist()
[4.0, 2.0]
>>> check = analyse(layer)
>>> check.checkerboard, round(check.spread, 3)             # 4 - 2 against the sums' RMS, sqrt(10)
(True, 0.632)
"""

from __future__ import annotations

import itertools
from math import prod
from types import EllipsisType
from typing import Any, NamedTuple

import numpy as np

from ..errors import ParameterError
from ..records import json_keys
from ..model.spec import Axis

#: The relative spread above which a layer is flagged: float32 weights that are exactly free come out near 1e-7,
#: a visible artifact is a percent or more.
DEFAULT_TOLERANCE = 1e-4
#: Phases (Πs) up to which the report lists each phase's values.
MAX_LISTED_PHASES = 64
#: Output channels times phases up to which the report lists the all-ones response.
MAX_LISTED_RESPONSE = 4096
KINDS = ("transposed", "subpixel")
MODES = ("CRD", "DCR")

class LayerWeights(NamedTuple):
    """A layer's weights as the checkerboard analysis reads them: ``kind`` ``transposed`` (weight ``(C_in, C_out/g,
    *k)``, ``strides`` and ``dilations`` the layer's) or ``subpixel`` (the convolution's weight ``(C·Πs, C_in/g,
    *k)``, ``strides`` the depth to space's block per axis, ``mode`` which channel becomes which phase: ``CRD`` as
    PixelShuffle, ``DCR`` ONNX's default); ``source`` what the model calls the layer (its op or class)."""

    name: str
    kind: str
    weight: np.ndarray
    bias: np.ndarray | None
    strides: tuple[int, ...]
    dilations: tuple[int, ...]
    groups: int
    mode: str = "CRD"
    source: str | None = None

@json_keys(optional="aliasing_response ones_response")
class LayerCheck(NamedTuple):
    """One layer's verdict: the taps per phase, the phases no tap reaches, the ``spread`` (the largest phase-sum range
    of any channel pair, relative to the ``typical`` phase sum, their RMS), the same for the all-ones input
    (``ones_spread``), the largest response at an aliasing frequency relative to the typical one at zero (per
    frequency in ``aliasing_response``), the ``worst`` pair and its phase sums, and the verdict under ``tolerance``."""

    name: str
    kind: str
    source: str | None
    strides: tuple[int, ...]
    phase_tap_counts: list[Any]
    unreached: tuple[tuple[int, ...], ...]
    spread: float
    typical: float
    ones_spread: float
    aliasing: float
    aliasing_response: tuple[dict[str, Any], ...] | None
    worst: WorstPair
    checkerboard: bool
    tolerance: float
    ones_response: list[Any] | None


class WorstPair(NamedTuple):
    """The channel pair whose phase sums spread most; ``input`` is ``bias`` for a sub-pixel layer's bias."""

    input: int | str
    output: int
    phase_sums: list[Any]


def check_layer(layer: LayerWeights) -> None:
    """Refuse a layer the analysis cannot read, by name: a shape that contradicts its kind, strides or groups."""
    where = f"layer {layer.name!r}"
    weight = layer.weight
    ndim = len(layer.strides)
    if layer.kind not in KINDS:
        raise ParameterError(f"{where} has kind {layer.kind!r}, a checkerboard layer is {' or '.join(KINDS)}")
    if weight.ndim != ndim + 2 or weight.ndim < 3:
        raise ParameterError(f"{where}: its weight has shape {list(weight.shape)} and the layer {ndim} spatial axes, a "
                             f"weight is (channels, channels, *kernel); read the layer's weight, not another tensor")
    if not np.issubdtype(weight.dtype, np.floating) or not np.all(np.isfinite(weight)):
        raise ParameterError(f"{where}: its weight is not all finite floats, phase sums need numbers; retrain or "
                             f"restore the layer")
    groups = layer.groups
    if layer.kind == "transposed":
        if weight.shape[0] % groups:
            raise ParameterError(f"{where}: {weight.shape[0]} input channels do not split into {groups} groups; the "
                                 f"model is inconsistent")
        if len(layer.dilations) != ndim:
            raise ParameterError(f"{where}: {len(layer.dilations)} dilations for {ndim} axes")
        return
    block = prod(layer.strides)
    if layer.mode not in MODES:
        raise ParameterError(f"{where} has depth-to-space mode {layer.mode!r}, the modes are CRD and DCR")
    if weight.shape[0] % (block * groups):
        raise ParameterError(f"{where}: {weight.shape[0]} convolution channels are not a multiple of the block "
                             f"{block} times {groups} groups; a sub-pixel convolution makes C·Πs channels")


def _axes(layer: LayerWeights) -> list[Axis]:
    """The transposed layer's axes in the crop model (the phases depend on k, s and d only)."""
    return [Axis(1, k, s, d) for k, s, d in zip(layer.weight.shape[2:], layer.strides, layer.dilations)]


def phase_matrix(axis: Axis) -> np.ndarray:
    """``(s, k)``: 1 where tap ``a`` feeds phase ``r`` (:meth:`~tconvcalc.model.spec.Axis.residue_taps`), else 0."""
    matrix = np.zeros((axis.s, axis.k))
    for r in range(axis.s):
        matrix[r, axis.residue_taps(r)] = 1.0
    return matrix


def tap_phases(axis: Axis) -> np.ndarray:
    """``(k,)``: the phase each tap feeds (every tap feeds exactly one), read off :func:`phase_matrix`."""
    return phase_matrix(axis).argmax(axis=0)


def _taps(layer: LayerWeights) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Each kernel tap of a transposed layer with the phase it feeds."""
    axes = _axes(layer)
    phases = [tap_phases(axis) for axis in axes]
    return [(tap, tuple(int(p[a]) for p, a in zip(phases, tap))) for tap in np.ndindex(*layer.weight.shape[2:])]


def _grouped_phase_first(layer: LayerWeights) -> np.ndarray:
    """``(*s, C_in, C_out/g)`` (float64): a transposed layer's phase sums within each group, phases first.  One
    addition of a ``(C_in, C_out/g)`` plane per tap, into its phase's accumulator: a single pass over the weights
    that keeps the long channel axes inner, where reductions over the short kernel axes would be slow."""
    weight = layer.weight
    sums = np.zeros((*layer.strides, *weight.shape[:2]))
    for tap, phase in _taps(layer):
        plane: tuple[slice | int, ...] = (slice(None), slice(None), *tap)  # typed: numpy's stubs misread it inline
        sums[phase] += weight[plane]
    return sums


def tap_counts(layer: LayerWeights) -> np.ndarray:
    """The taps each phase ``r`` (shape ``strides``) sums: a product over the axes; every tap of its channel for a
    sub-pixel layer."""
    if layer.kind == "subpixel":
        return np.full(layer.strides, prod(layer.weight.shape[2:]), dtype=np.int64)
    counts = np.ones((), dtype=np.int64)
    for axis in _axes(layer):
        counts = np.multiply.outer(counts, np.array(axis.phase_tap_counts(), dtype=np.int64))
    return counts


def subpixel_channel(layer: LayerWeights) -> np.ndarray:
    """``(C, *s)``: the convolution channel that becomes phase ``r`` of output channel ``c``, by the mode."""
    block, count = prod(layer.strides), layer.weight.shape[0] // prod(layer.strides)
    c = np.arange(count).reshape(count, *([1] * len(layer.strides)))
    flat = np.arange(block).reshape(layer.strides)
    return c * block + flat if layer.mode == "CRD" else flat * count + c


def _per_group(layer: LayerWeights) -> tuple[int, int]:
    """Input and output channels per group."""
    if layer.kind == "transposed":
        return layer.weight.shape[0] // layer.groups, layer.weight.shape[1]
    return layer.weight.shape[1], layer.weight.shape[0] // layer.groups


def phase_sums(layer: LayerWeights) -> np.ndarray:
    """``P[c_in, c_out, *r]`` (float64): the response at phase ``r`` of output channel ``c_out`` to a constant 1 on
    input channel ``c_in`` away from the borders; zero for pairs in different groups.  A sub-pixel layer's bias is
    one more input row, last."""
    ndim = len(layer.strides)
    return np.moveaxis(_phase_first(layer), tuple(range(ndim)), tuple(range(2, 2 + ndim)))


def _phase_first(layer: LayerWeights) -> np.ndarray:
    """:func:`phase_sums` with the phase axes first, ``(*s, rows, C_out)``, contiguous: the layout the analysis
    reduces over the phases in."""
    check_layer(layer)
    weight = layer.weight
    groups, ndim = layer.groups, len(layer.strides)
    ins, outs = _per_group(layer)
    if layer.kind == "transposed":
        grouped = _grouped_phase_first(layer)
        if groups == 1:
            return grouped
        sums = np.zeros((*layer.strides, groups * ins, groups * outs))
        for g in range(groups):
            sums[..., g * ins:(g + 1) * ins, g * outs:(g + 1) * outs] = grouped[..., g * ins:(g + 1) * ins, :]
        return sums
    per_channel = np.zeros(weight.shape[:2])  # (C·Πs, C_in/g): each convolution channel's taps summed
    for tap in np.ndindex(*weight.shape[2:]):
        per_channel += weight[(slice(None), slice(None), *tap)]
    channel = subpixel_channel(layer)  # (C, *s)
    count = channel.shape[0]
    sums = np.zeros((groups * ins + 1, count, *layer.strides))
    group = channel // outs  # the group of each convolution channel
    for g in range(groups):
        mask = group == g
        picked = np.where(mask, channel, 0)
        block = np.moveaxis(per_channel[picked], -1, 0)  # (C_in/g, C, *s)
        sums[g * ins:(g + 1) * ins] = np.where(mask, block, 0.0)
    if layer.bias is not None:
        sums[-1] = np.asarray(layer.bias, dtype=np.float64)[channel]
    return np.ascontiguousarray(np.moveaxis(sums, tuple(range(2, 2 + ndim)), tuple(range(ndim))))


def connected(layer: LayerWeights) -> np.ndarray:
    """``(rows, C_out)``: which phase-sum pairs the weights connect (same group; a sub-pixel bias row always)."""
    ins, outs = _per_group(layer)
    rows = layer.groups * ins
    c_out = layer.groups * outs if layer.kind == "transposed" else layer.weight.shape[0] // prod(layer.strides)
    if layer.kind == "transposed":
        return np.kron(np.eye(layer.groups, dtype=bool), np.ones((ins, outs), dtype=bool))
    group = subpixel_channel(layer) // outs  # every phase of output c in one group, or spread over several
    mask = np.zeros((rows + 1, c_out), dtype=bool)
    for g in range(layer.groups):
        mask[g * ins:(g + 1) * ins] = np.any(group.reshape(c_out, -1) == g, axis=1)
    mask[-1] = layer.bias is not None
    return mask


def unreached(layer: LayerWeights) -> list[tuple[int, ...]]:
    """The phases no tap reaches: their outputs are zero (or the bias) whatever the weights."""
    counts = tap_counts(layer)
    return [tuple(int(v) for v in index) for index in zip(*np.nonzero(counts == 0))]


def _spreads(first: np.ndarray, ndim: int) -> np.ndarray:
    """The largest minus the smallest value over the leading ``ndim`` phase axes, per remaining index."""
    phases = first.reshape(-1, *first.shape[ndim:])
    return phases.max(axis=0) - phases.min(axis=0)


def _rms(values: np.ndarray) -> float:
    flat = values.reshape(-1)
    return float(np.sqrt(np.dot(flat, flat) / flat.size)) if flat.size else 0.0


def analyse(layer: LayerWeights, tolerance: float = DEFAULT_TOLERANCE) -> LayerCheck:
    """The layer's :class:`LayerCheck`: ``checkerboard`` when some channel pair's phase sums differ by more than
    ``tolerance`` times the typical phase sum (phases no tap reaches count as sums of 0)."""
    if not (isinstance(tolerance, (int, float)) and np.isfinite(tolerance) and tolerance >= 0):
        raise ParameterError(f"tolerance={tolerance!r} is not a relative tolerance, it is a finite number ≥ 0; give "
                             f"e.g. {DEFAULT_TOLERANCE:g}")
    first = _phase_first(layer)  # (*s, rows, C_out)
    ndim = len(layer.strides)
    mask = connected(layer)
    every = bool(mask.all())  # an ungrouped transposed layer: no pair to leave out, so no copy of the sums
    linked = first.reshape(*layer.strides, -1) if every else first[(Ellipsis, mask)]  # (*s, pairs)
    typical = _rms(linked)
    spreads = _spreads(first, ndim)
    if not every:
        spreads = np.where(mask, spreads, 0.0)
    worst_index = np.unravel_index(int(np.argmax(spreads)), spreads.shape)
    worst_at: tuple[EllipsisType | np.intp, ...] = (Ellipsis, *worst_index)  # typed: as in _grouped_phase_first
    spread = float(spreads[worst_index]) / typical if typical > 0 else 0.0
    rows = first.shape[ndim] - (1 if layer.kind == "subpixel" else 0)
    worst = WorstPair("bias" if worst_index[0] >= rows else int(worst_index[0]), int(worst_index[1]),
                      _listed(first[worst_at]))
    ones = _ones_first(layer, first)  # (*s, C_out)
    ones_typical = _rms(ones)
    ones_spread = float(_spreads(ones, ndim).max()) / ones_typical if ones_typical > 0 else 0.0
    block = prod(layer.strides)
    scale = block * typical
    peaks = _aliasing_peaks(linked, layer.strides) / scale if scale > 0 else np.zeros(layer.strides)
    frequencies = [f for f in itertools.product(*(range(s) for s in layer.strides)) if any(f)]
    aliasing = max((float(peaks[f]) for f in frequencies), default=0.0)
    response = None
    if block <= MAX_LISTED_PHASES:
        response = tuple({"frequency": [m / s for m, s in zip(f, layer.strides)], "response": float(peaks[f])}
                         for f in frequencies)
    missing = unreached(layer)
    flagged = spread > tolerance or (bool(missing) and typical > 0)
    listed = np.moveaxis(ones, -1, 0)
    return LayerCheck(layer.name, layer.kind, layer.source, tuple(layer.strides),
                      _listed(tap_counts(layer)), tuple(missing), spread, typical, ones_spread, aliasing, response,
                      worst, flagged, tolerance, listed.tolist() if listed.size <= MAX_LISTED_RESPONSE else None)


def _aliasing_peaks(linked: np.ndarray, strides) -> np.ndarray:
    """``(*s)``: the largest magnitude over the pairs of the kernel's frequency response at ``m/s`` of the sampling
    rate, ``H(m) = Σ_r P_r e^{-2πi m·r/s}``.  The DFT over every phase axis at once is one ``(Πs, Πs)`` matrix (the
    axes' DFT matrices' Kronecker product), applied as two real matrix products over the long pair axis."""
    matrix = np.ones((1, 1))
    for s in strides:
        m = np.arange(s)
        matrix = np.kron(matrix, np.exp(-2j * np.pi * np.outer(m, m) / s))
    if not linked.size:
        return np.zeros(strides)
    values = linked.reshape(matrix.shape[0], -1)
    return np.hypot(matrix.real @ values, matrix.imag @ values).max(axis=1).reshape(strides)


def _ones_first(layer: LayerWeights, first: np.ndarray) -> np.ndarray:
    """``(*s, C_out)``: each output channel's value at each phase for an all-ones input, bias included."""
    response = first.sum(axis=len(layer.strides))
    if layer.kind == "transposed" and layer.bias is not None:
        response = response + np.asarray(layer.bias, dtype=np.float64)
    return response


def ones_response(layer: LayerWeights) -> np.ndarray:
    """``(C_out, *s)``: each output channel's value at each phase for an all-ones input, bias included."""
    return np.moveaxis(_ones_first(layer, _phase_first(layer)), -1, 0)


def _listed(values: np.ndarray):
    """One value per phase as nested lists, when there are few enough phases to print; else None."""
    return values.tolist() if values.size <= MAX_LISTED_PHASES else None
