"""What ``shape``, ``conv`` and ``plan`` answer, as records (the shape path: integers only).

>>> report = shape_report((2, 2), (3, 3), (2, 2))
>>> report.output_size, report.substituted[0]
((5, 5), '(2−1)·2 − 2·0 + 1·(3−1) + 0 + 1 = 5')
>>> [alt.output_size for alt in report.axes[0].alternatives]
[5, 6]
"""

from __future__ import annotations

from typing import NamedTuple

from ..model.arithmetic import (alternatives, alternatives_total, ambiguity, conv_input_range, conv_output_size,
                          conv_transpose_cost, output_padding_for, sample_rows)
from ..conventions import pytorch_arguments, pytorch_code, pytorch_conv_code
from ..design.planner import DEFAULT_DILATIONS, DEFAULT_KERNELS, DEFAULT_MAX_PADDING, DEFAULT_STRIDES, IntSet, plan
from ..records import json_keys
from ..model.spec import range_count, Axis, Layer, broadcast

# Every output_padding on every axis multiplies out; a 3-D stride-8 layer has
# 512 combinations.  Reports list at most this many and say how many there are.
MAX_ALTERNATIVES = 1024
# Taps per output phase are listed for at most this many phases (the stride); the range says the rest.
MAX_PHASES = 64

SIZE_FORMULA = "o = (i−1)·s − 2p + d·(k−1) + op + 1"
CONV_FORMULA = "o = ⌊(i + 2p − d·(k−1) − 1) / s⌋ + 1"

class LayerRow(NamedTuple):
    """A layer's PyTorch parameters and sizes, per axis."""

    input_size: tuple[int, ...]
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    output_padding: tuple[int, ...]
    dilation: tuple[int, ...]
    output_size: tuple[int, ...]
    uniform_overlap: bool


class AlternativeRow(NamedTuple):
    output_padding: int
    output_size: int
    conv_output_size: int
    inverts: bool
    chosen: bool


class AxisAmbiguity(NamedTuple):
    """One axis's output_paddings: the rows shown (all, or the first, last and chosen ones) and how many there are; the
    taps per output phase (the first MAX_PHASES phases) and the fewest and most any phase gets."""

    axis: int
    alternatives: tuple[AlternativeRow, ...]
    alternatives_total: int
    phase_tap_counts: tuple[int, ...]
    tap_count_range: tuple[int, ...]
    uniform_overlap: bool


class Combination(NamedTuple):
    output_padding: tuple[int, ...]
    output_size: tuple[int, ...]
    inverts: bool
    chosen: bool


@json_keys(optional="target_size cost")
class ShapeReport(NamedTuple):
    """``tconvcalc shape``: the size, why, every output_padding and the layer line; with channels, the cost."""

    command: str
    ndim: int
    input_size: tuple[int, ...]
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    output_padding: tuple[int, ...]
    dilation: tuple[int, ...]
    output_size: tuple[int, ...]
    target_size: tuple[int, ...] | None
    formula: str
    substituted: tuple[str, ...]
    full_size: tuple[int, ...]
    crop: tuple[tuple[int, ...], ...]
    axes: tuple[AxisAmbiguity, ...]
    alternatives: tuple[Combination, ...]
    alternatives_total: int
    pytorch: str
    cost: ShapeCost | None


class ShapeCost(NamedTuple):
    """One sample's multiply-adds (landing, every pair, as zero insertion, as sub-pixel, as the dense matrix), the
    parameters and the output's elements: :class:`~tconvcalc.model.arithmetic.LayerCost`."""

    channels: tuple[int, ...]
    groups: int
    macs: int
    macs_dense: int
    zero_insertion: int
    subpixel: int
    matrix: int
    params: int
    output_elements: int


class ConvInput(NamedTuple):
    input_size: int
    output_padding: int
    given: bool


class ConvAxis(NamedTuple):
    axis: int
    inputs: tuple[ConvInput, ...]
    inputs_total: int


class ConvReport(NamedTuple):
    command: str
    ndim: int
    input_size: tuple[int, ...]
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    dilation: tuple[int, ...]
    formula: str
    substituted: tuple[str, ...]
    output_size: tuple[int, ...]
    axes: tuple[ConvAxis, ...]
    pytorch_conv: str
    pytorch_inverse: str


class PlanBounds(NamedTuple):
    """The search's bounds as the command line writes them: ``1-8``, ``2,4``."""

    kernel_size: str
    stride: str
    max_padding: int
    dilation: str
    uniform_only: bool


class PlanCandidate(NamedTuple):
    input_size: tuple[int, ...]
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    output_padding: tuple[int, ...]
    dilation: tuple[int, ...]
    output_size: tuple[int, ...]
    uniform_overlap: bool
    pytorch: str


class PlanReport(NamedTuple):
    command: str
    input_size: tuple[int, ...]
    output_size: tuple[int, ...]
    bounds: PlanBounds
    total: int
    candidates: tuple[PlanCandidate, ...]


def layer_row(layer: Layer) -> LayerRow:
    """A PyTorch-expressible layer's parameters and sizes, and whether its overlap is uniform."""
    args = pytorch_arguments(layer)
    assert args is not None, "layer_row takes a layer PyTorch can write"
    return LayerRow(layer.input_size, args["kernel_size"], args["stride"], args["padding"], args["output_padding"],
                    args["dilation"], layer.output_size, layer.uniform_overlap)


def _substituted(axis: Axis) -> str:
    pair = axis.pytorch
    assert pair is not None, "shape reports layers PyTorch can write"
    p, op = pair
    return f"({axis.i}−1)·{axis.s} − 2·{p} + {axis.d}·({axis.k}−1) + {op} + 1 = {axis.o}"


def shape_report(input_size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1,
                 target=None, channels=None, groups=1) -> ShapeReport:
    """``tconvcalc shape``: with ``target``, output_padding is solved as ``forward(output_size=...)`` does; with
    ``channels`` (in, out), what one sample costs."""
    if target is not None:
        output_padding = output_padding_for(target, input_size, kernel_size, stride, padding, dilation)
    layer = Layer.from_pytorch(input_size, kernel_size, stride, padding, output_padding, dilation)
    row = layer_row(layer)
    axes = []
    for n, axis in enumerate(layer.axes):
        rows = ambiguity(axis)
        shown = [rows[j] for j in sample_rows(rows.total, rows.index_of(rows.chosen_op))]
        axes.append(AxisAmbiguity(n, tuple(AlternativeRow(alt.output_padding, alt.output_size, alt.conv_output_size,
                                                          alt.inverts, alt.chosen) for alt in shown),
                                  rows.total, tuple(axis.tap_count(r) for r in range(min(axis.s, MAX_PHASES))),
                                  axis.tap_count_range, axis.uniform_overlap))
    combinations = tuple(
        Combination(tuple(alt.output_padding for alt in combo), tuple(alt.output_size for alt in combo),
                    all(alt.inverts for alt in combo), all(alt.chosen for alt in combo))
        for combo in alternatives(layer.axes, MAX_ALTERNATIVES))
    return ShapeReport("shape", layer.ndim, *row[:7],
                       None if target is None else broadcast(layer.ndim, target=target)[1]["target"],
                       SIZE_FORMULA, tuple(_substituted(a) for a in layer.axes), layer.field("full"), layer.crop,
                       tuple(axes), combinations, alternatives_total(layer.axes),
                       pytorch_code(layer, groups=groups) if channels is None
                       else pytorch_code(layer, channels[0], channels[1], groups=groups),
                       None if channels is None else _cost(layer, channels, groups))


def _cost(layer: Layer, channels, groups: int) -> ShapeCost:
    return ShapeCost(tuple(channels), groups, *conv_transpose_cost(layer, channels[0], channels[1], groups))


def conv_report(input_size, kernel_size, stride=1, padding=0, dilation=1) -> ConvReport:
    """``tconvcalc conv``: the forward size and every input that shares it, with the op restoring each."""
    ndim, v = broadcast(input_size=input_size, kernel_size=kernel_size, stride=stride, padding=padding,
                        dilation=dilation)
    i, k, s, p, d = v.values()
    out = conv_output_size(i, k, s, p, d)
    axes = []
    for n in range(ndim):
        shared = conv_input_range(out[n], k[n], s[n], p[n], d[n])
        shown = [shared[j] for j in sample_rows(range_count(shared), i[n] - shared.start)]
        axes.append(ConvAxis(n, tuple(ConvInput(size, output_padding_for(size, out[n], k[n], s[n], p[n], d[n]),
                                                size == i[n]) for size in shown), range_count(shared)))
    restore = Layer.from_pytorch(out, k, s, p, output_padding_for(i, out, k, s, p, d), d)
    return ConvReport(
        "conv", ndim, i, k, s, p, d, CONV_FORMULA,
        tuple(f"⌊({i[n]} + 2·{p[n]} − {d[n]}·({k[n]}−1) − 1) / {s[n]}⌋ + 1 = {out[n]}" for n in range(ndim)),
        out, tuple(axes), pytorch_conv_code(k, s, p, d), pytorch_code(restore, "out_ch", "in_ch"))


def plan_report(input_size, output_size, kernel_sizes=DEFAULT_KERNELS, strides=DEFAULT_STRIDES,
                max_padding=DEFAULT_MAX_PADDING, dilations=DEFAULT_DILATIONS, limit=10,
                uniform_only=False, progress=None) -> PlanReport:
    """``tconvcalc plan``: the ranked layers within the bounds and how many there are; ``progress(done, total)``
    follows a long search."""
    result = plan(input_size, output_size, kernel_sizes, strides, max_padding, dilations, limit, uniform_only,
                  progress)
    return PlanReport("plan", result.input_size, result.output_size,
                      PlanBounds(str(IntSet.of("kernel_size", kernel_sizes)), str(IntSet.of("stride", strides)),
                                 max_padding, str(IntSet.of("dilation", dilations)), uniform_only), result.total,
                      tuple(PlanCandidate(*layer_row(layer), pytorch_code(layer)) for layer in result.candidates))
