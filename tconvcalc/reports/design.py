"""What the design commands answer: ``overlap``, ``compare``, ``chain`` and ``mirror``.

``chain`` and ``mirror`` stay on the shape path (integers only); ``overlap`` and
``compare`` import NumPy when called.

>>> report = chain_report(4, 16, 2, kernels=[4], strides=[2], limit=1, channels=(8, 4, 3), emit_as="pytorch")
>>> [row.output_size for row in report.layers], [row.flops for row in report.layers]
([(8,), (16,)], [1024, 768])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from ..records import json_keys
from ..model.spec import Layer, ParameterError, channel_counts, check_at_least
from .shape import layer_row

if TYPE_CHECKING:
    from ..design.compare import Method


@json_keys(optional="counts")
class OverlapReport(NamedTuple):
    """``tconvcalc overlap``: the analysis of :func:`tconvcalc.design.overlap.analyse`; the N-d grid ``counts`` only
    when it is small enough to list."""

    command: str
    repeat: int
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


class CompareReport(NamedTuple):
    command: str
    input_size: tuple[int, ...]
    scale: int
    channels: tuple[int, ...]
    methods: list[Method]


@json_keys(optional="flops params")
class StackLayer(NamedTuple):
    """A layer of a stack; with channels known, its FLOPs and parameters."""

    input_size: tuple[int, ...]
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    output_padding: tuple[int, ...]
    dilation: tuple[int, ...]
    output_size: tuple[int, ...]
    uniform_overlap: bool
    flops: int | None
    params: int | None


class RunnerUp(NamedTuple):
    """A stack ranked after the best one."""

    layers: tuple[StackLayer, ...]


@json_keys(optional="emit code")
class ChainReport(NamedTuple):
    command: str
    input_size: tuple[int, ...]
    output_size: tuple[int, ...]
    depth: int
    total: int
    layers: tuple[StackLayer, ...]
    alternatives: tuple[RunnerUp, ...]
    emit: str | None
    code: str | None


class EncoderConv(NamedTuple):
    name: str
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    dilation: tuple[int, ...]


class MirrorLevel(NamedTuple):
    encoder: EncoderConv
    conv_input: tuple[int, ...]
    conv_output: tuple[int, ...]
    decoder: StackLayer


@json_keys(optional="emit code")
class MirrorReport(NamedTuple):
    command: str
    source: str
    input_size: tuple[int, ...]
    levels: tuple[MirrorLevel, ...]
    layers: tuple[StackLayer, ...]
    emit: str | None
    code: str | None


#: Layers overlap stacks at most: each is a pass over its counts, and a stride above 1 passes overlap's size
#: limit within a few dozen layers anyway.
MAX_REPEAT = 1000


def overlap_report(layer: Layer, repeat: int = 1) -> OverlapReport:
    """Contributions per output position after ``layer`` applied ``repeat`` times, each on the last output."""
    from ..design import overlap

    if check_at_least("repeat", repeat, 1) > MAX_REPEAT:
        raise ParameterError(f"repeat={repeat} stacks more than the {MAX_REPEAT} layers overlap counts through; "
                             f"give a repeat of {MAX_REPEAT} or fewer")
    layers = [layer]
    for _ in range(repeat - 1):
        last = layers[-1]
        paddings, output_paddings = zip(*last.field("pytorch"))
        layers.append(Layer.from_pytorch(last.output_size, last.kernel_size, last.field("s"),
                                         paddings, output_paddings, last.field("d")))
    for each in layers:  # every layer's size first: a deep stack's sizes are cheap, its counts are not
        overlap.check_listable(each)
    return OverlapReport("overlap", repeat, *overlap.analyse(layers))


def compare_report(input_size: tuple[int, ...], scale: int, channels=64) -> CompareReport:
    from ..design.compare import compare_methods

    return CompareReport("compare", input_size, scale, channel_counts(channels, 2, "an upsampling layer (in, out)"),
                         compare_methods(input_size, scale, channels))


def _stack(layers, channels) -> tuple:
    """Each layer's row; with channel counts (C0..CL) its FLOPs and parameters too."""
    from ..model.arithmetic import layer_costs

    if channels is None:
        return tuple(StackLayer(*layer_row(layer), None, None) for layer in layers)
    return tuple(StackLayer(*layer_row(layer), cost["flops"], cost["params"])
                 for layer, cost in zip(layers, layer_costs(layers, channels)))


def _code(emit_as: str | None, layers, channels) -> str | None:
    from ..conventions import emit_code

    return emit_code(emit_as, layers, channels) if emit_as else None


def chain_report(input_size, output_size, depth: int, kernels=range(1, 9), strides=range(1, 9), max_padding=8,
                 dilations=(1,), limit=5, uniform_only=False, channels=None, emit_as=None,
                 progress=None) -> ChainReport:
    """``tconvcalc chain``: the best stack (with code in ``emit_as``'s framework) and the runners-up;
    ``progress(done, total)`` follows a long search."""
    from ..design.planner import chain

    if channels is not None:  # refused before the search, not after it
        channels = channel_counts(channels, depth + 1, f"a stack of {depth} layers (its input, then each "
                                                       f"layer's output)")
    result = chain(input_size, output_size, depth, kernels, strides, max_padding, dilations, limit, uniform_only,
                   progress)
    stacks = [_stack(stack, channels) for stack in result.stacks]
    best = result.stacks[0] if result.stacks else None
    return ChainReport("chain", result.input_size, result.output_size, depth, result.total,
                       stacks[0] if stacks else (), tuple(RunnerUp(rows) for rows in stacks[1:]),
                       emit_as if best else None, _code(emit_as, best, channels) if best else None)


def mirror_report(spec: str, emit_as: str | None = None) -> MirrorReport:
    """``tconvcalc mirror``: the decoder that restores every size of the encoder in file ``spec``."""
    from ..design.mirror import load_encoder, mirror

    encoder = load_encoder(spec)
    levels = mirror(encoder)
    decoder = [level.decoder for level in reversed(levels)]
    channels = [encoder.channels, *(layer.channels for layer in encoder.layers)]
    known = None if any(c is None for c in channels) else list(reversed(channels))
    rows = tuple(MirrorLevel(EncoderConv(*level.encoder_layer[:5]), level.conv_input, level.conv_output,
                             StackLayer(*layer_row(level.decoder), None, None)) for level in levels)
    return MirrorReport("mirror", spec, encoder.input_size, rows, _stack(decoder, known), emit_as,
                        _code(emit_as, decoder, known))
