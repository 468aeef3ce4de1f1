"""The smallest change of a layer's weights that makes every channel pair's phase sums equal.

For one channel pair, phase ``r`` sums ``n_r`` taps to ``P_r``.  A change that moves the phase sums to a common
value ``c`` moves phase ``r``'s taps by ``c - P_r`` in all, and spread evenly over its ``n_r`` taps (``(c - P_r)/n_r``
each) that costs ``(c - P_r)²/n_r`` in squared L2, the least any split costs.  Minimising ``Σ_r (c - P_r)²/n_r``
over ``c`` gives ``c = Σ_r (P_r/n_r) / Σ_r (1/n_r)``: the phase sums' mean weighted by ``1/n_r``.  Pairs are
independent (each tap belongs to one pair and one phase), so this is the least-squares solution of the whole
layer's constraints, in closed form.

>>> import numpy as np
>>> from tconvcalc.checkerboard.analysis import LayerWeights, phase_sums
>>> layer = LayerWeights("up", "transposed", np.array([[[1.0, 2.0, 3.0]]]), None, (2,), (1,), 1)
>>> fixed = fix_layer(layer)                         # P = (4, 2) over n = (2, 1) taps: c = (2 + 2)/(1/2 + 1) = 8/3
>>> fixed.layer.weight.round(4).tolist(), phase_sums(fixed.layer)[0, 0].round(4).tolist()
([[[0.3333, 2.6667, 2.3333]]], [2.6667, 2.6667])
"""

from __future__ import annotations

from math import prod
from typing import NamedTuple

import numpy as np

from ..errors import ParameterError
from .analysis import (LayerCheck, LayerWeights, _grouped_phase_first, _per_group, _taps, analyse, phase_sums,
                       subpixel_channel, tap_counts)

class Fixed(NamedTuple):
    """A fixed layer (its weights changed, everything else as it was), the change relative to the old weights in L2
    (the bias's for a sub-pixel layer, else None) and the spread before and after."""

    layer: LayerWeights
    weight_change: float
    bias_change: float | None
    spread_before: float
    spread_after: float


def fix_layer(layer: LayerWeights, check: LayerCheck | None = None) -> Fixed:
    """The layer with the smallest L2 change of its weights (and, for a sub-pixel layer, of its bias) after which
    every channel pair's phase sums are equal; refused by name when a phase has no tap, which no weights fix.
    ``check`` is the layer's :func:`~.analysis.analyse` when the caller has it already (its spread is "before")."""
    before = (check or analyse(layer)).spread
    if layer.kind == "transposed":
        weight, bias = _fix_transposed(layer), layer.bias
    else:
        weight, bias = _fix_subpixel(layer)
    new = layer._replace(weight=weight.astype(layer.weight.dtype, copy=False),
                         bias=None if bias is None else np.asarray(bias).astype(np.asarray(layer.bias).dtype))
    old_norm = _norm(layer.weight)
    change = _norm(layer.weight, new.weight) / old_norm if old_norm else 0.0
    bias_change = None
    if layer.kind == "subpixel" and layer.bias is not None:
        old = np.asarray(layer.bias, dtype=np.float64)
        norm = float(np.linalg.norm(old))
        bias_change = float(np.linalg.norm(np.asarray(new.bias, dtype=np.float64) - old)) / norm if norm else 0.0
    return Fixed(new, change, bias_change, before, analyse(new).spread)


#: Weights taken at a time when a norm is summed in float64 (a float64 copy of a whole large weight is not needed).
_NORM_CHUNK = 1 << 20


def _norm(weight: np.ndarray, other: np.ndarray | None = None) -> float:
    """The L2 norm of ``weight`` (or of ``other - weight``), accumulated in float64 a chunk at a time."""
    flat = weight.reshape(-1)
    against = None if other is None else other.reshape(-1)
    total = 0.0
    for start in range(0, flat.size, _NORM_CHUNK):
        chunk = flat[start:start + _NORM_CHUNK].astype(np.float64)
        if against is not None:
            chunk = against[start:start + _NORM_CHUNK].astype(np.float64) - chunk
        total += float(np.dot(chunk, chunk))
    return float(np.sqrt(total))


def _refuse_unreached(layer: LayerWeights, counts: np.ndarray) -> None:
    missing = [tuple(int(v) for v in index) for index in zip(*np.nonzero(counts == 0))]
    if not missing:
        return
    kernel = "×".join(map(str, layer.weight.shape[2:]))
    dilation = "" if all(d == 1 for d in layer.dilations) else f", dilation {','.join(map(str, layer.dilations))}"
    shown = ", ".join(map(str, missing[:4])) + (f" and {len(missing) - 4} more" if len(missing) > 4 else "")
    raise ParameterError(f"layer {layer.name!r} ({layer.source or 'transposed convolution'}) cannot be fixed by its "
                         f"weights: phase{'s' if len(missing) > 1 else ''} {shown} get no tap (kernel {kernel}, "
                         f"stride {','.join(map(str, layer.strides))}{dilation}), so those outputs stay 0 or the bias "
                         f"whatever the weights; use a kernel size divisible by the stride (and a dilation coprime "
                         f"to it), or resize then convolve")


def _fix_transposed(layer: LayerWeights) -> np.ndarray:
    counts = tap_counts(layer)
    _refuse_unreached(layer, counts)
    ndim = len(layer.strides)
    sums = _grouped_phase_first(layer)  # (*s, C_in, C_out/g): each pair within its group
    inverse = (1.0 / counts).reshape(*counts.shape, 1, 1)
    phases = tuple(range(ndim))
    common = (sums * inverse).sum(axis=phases) / inverse.sum()
    change = (common - sums) * inverse  # per phase and pair: what each of its taps moves by
    # Each tap moves by its phase's share: the pairs' changes as rows (pair, phase), gathered per tap in the
    # weight's own order, added in float64 and rounded once.
    pairs = np.ascontiguousarray(change.reshape(counts.size, -1).T)
    phase_of_tap = [np.ravel_multi_index(phase, layer.strides) for _, phase in _taps(layer)]
    flat = layer.weight.reshape(pairs.shape[0], -1)
    return (flat + pairs[:, phase_of_tap]).astype(layer.weight.dtype).reshape(layer.weight.shape)


def _fix_subpixel(layer: LayerWeights) -> tuple[np.ndarray, np.ndarray | None]:
    ndim, block = len(layer.strides), prod(layer.strides)
    ins, outs = _per_group(layer)
    channel = subpixel_channel(layer).reshape(-1, block)  # (C, Πs): the convolution channel of each phase
    group = channel // outs
    split = np.nonzero((group != group[:, :1]).any(axis=1))[0]
    if split.size:
        raise ParameterError(f"layer {layer.name!r}: output channel {int(split[0])}'s phases come from different "
                             f"groups of its convolution (DCR order with groups), so no change of the weights "
                             f"equalises them; use the CRD order (PixelShuffle's) with groups")
    sums = phase_sums(layer).reshape(-1, channel.shape[0], block)  # (rows, C, Πs), the bias row last
    change = (sums.mean(axis=-1, keepdims=True) - sums)  # the phase sums' change; each tap takes 1/Πk of it
    order = np.empty(channel.size, dtype=np.intp)
    order[channel.ravel()] = np.arange(channel.size)
    c, r = np.divmod(order, block)  # each convolution channel's output channel and phase
    rows = group[c, 0][:, None] * ins + np.arange(ins)[None, :]
    per_tap = change[rows, c[:, None], r[:, None]] / prod(layer.weight.shape[2:])  # (C·Πs, C_in/g)
    weight = layer.weight.astype(np.float64) + per_tap.reshape(*per_tap.shape, *([1] * ndim))
    bias = None
    if layer.bias is not None:
        bias = np.asarray(layer.bias, dtype=np.float64) + change[-1][c, r]
    return weight, bias
