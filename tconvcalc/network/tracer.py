"""One input size through the whole network: every layer's size per axis, the first failure, and
what each transposed convolution hides (which other sizes arrive there, checkerboard, portability).

>>> from tconvcalc.network.readers.spec_file import parse_network
>>> net = parse_network('ndim = 1\\n[[layers]]\\nname = "down"\\nkernel_size = 2\\nstride = 2\\n'
...                     '[[layers]]\\nname = "up"\\nop = "conv_transpose"\\nkernel_size = 2\\nstride = 2\\n'
...                     '[[layers]]\\nname = "skip"\\nop = "concat"\\ninputs = ["input", "up"]\\n')
>>> result = trace(net, (7,))
>>> [(row.name, row.output_size) for row in result.rows], result.failure.node, result.failure.sizes
([('down', (3,)), ('up', (6,))], 'skip', (7, 6))
>>> result.failure.paths
(('input',), ('input', 'down', 'up'))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from ..records import json_keys
from ..model.spec import Axis, Layer, ParameterError, broadcast, check_at_least
from .graph import INPUT, Network, Stop, Stopper, walk

if TYPE_CHECKING:
    from ..model.arithmetic import Cost
    from .ops import Reason


@json_keys(optional="cost")
class TraceRow(NamedTuple):
    """One layer: what it is, its sizes per axis, flags (transposed layers), and what it costs when asked
    (:class:`~tconvcalc.model.arithmetic.Cost`)."""

    name: str
    op: str
    parameters: str
    input_size: tuple[int, ...]
    output_size: tuple[int, ...]
    channels: int | None
    flags: TconvFlags | None
    cost: Cost | None


class Failure(NamedTuple):
    """Where the network stops for this input: the layer, the axis, why; for a merge its inputs' sizes and the paths
    from their last common layer."""

    node: str
    op: str
    axis: int
    reason: str | Reason
    sizes: tuple[int | None, ...]
    paths: tuple[tuple[str, ...], ...] | None


class TraceResult(NamedTuple):
    """Every layer's sizes, the network's output size, or the first failure."""

    input_size: tuple[int, ...]
    rows: tuple[TraceRow, ...]
    output_size: tuple[int, ...] | None
    failure: Failure | None


class TconvFlags(NamedTuple):
    """A transposed layer's hidden choices: per axis the input sizes of the convolution it inverts that all arrive at
    its input (more than one: output_padding decides), whether its overlap is uneven (checkerboard), and the
    frameworks that cannot write it in one layer."""

    arriving: tuple[list[int] | None, ...]
    uneven: bool
    not_exact: tuple[str, ...]


def input_sizes(network: Network, sizes) -> tuple[int, ...]:
    """The input size per axis (each ≥ 1): one value for every axis, or one per axis."""
    sizes = broadcast(network.ndim, input_size=sizes)[1]["input_size"]
    for n in sizes:
        check_at_least("input_size", n, 1)
    return sizes


def trace(network: Network, sizes) -> TraceResult:
    """Every layer's size for this input, up to the first layer that cannot run (if any)."""
    sizes = input_sizes(network, sizes)
    per_axis: list[dict] = []
    stops: list[Stop | None] = []
    for axis, n in enumerate(sizes):
        found: dict = {}
        try:
            walk(network, axis, n, Stopper(), found)
            stops.append(None)
        except Stop as stop:
            stops.append(stop)
        per_axis.append(found)
    order = {node.name: index for index, node in enumerate(network.nodes)}
    first = min((stop for stop in stops if stop), key=lambda stop: order[stop.node], default=None)
    failed_at = order[first.node] if first else len(network.nodes)
    rows = []
    for node in network.nodes[:failed_at]:
        inputs = tuple(per_axis[a][node.inputs[0]] for a in range(network.ndim))
        outputs = tuple(per_axis[a][node.name] for a in range(network.ndim))
        flags = _tconv_flags(node, inputs) if node.op == "conv_transpose" and "fixed" not in node.axes[0] else None
        rows.append(TraceRow(node.name, node.source or node.op, node.text(), inputs, outputs, node.channels, flags,
                             None))
    failure = _failure(network, first, stops.index(first), per_axis) if first else None
    output = None if first else tuple(per_axis[a][network.outputs[0]] for a in range(network.ndim))
    return TraceResult(sizes, tuple(rows), output, failure)


def _failure(network: Network, stop: Stop, axis: int, per_axis: list[dict]) -> Failure:
    node = network.by_name[stop.node]
    if stop.sizes is None:
        return Failure(node.name, node.source or node.op, axis, stop.reason,
                       (per_axis[axis].get(node.inputs[0]),), None)
    ancestors = network.ancestors()
    order = [INPUT] + [n.name for n in network.nodes]
    first, *rest = node.inputs
    other = next(name for name in rest if per_axis[axis].get(name) != per_axis[axis].get(first))
    common = max((name for name in order if _reaches(name, first, ancestors) and _reaches(name, other, ancestors)),
                 key=order.index)
    paths = (tuple(network.path(common, first, ancestors)), tuple(network.path(common, other, ancestors)))
    return Failure(node.name, node.source or node.op, axis, stop.reason,
                   (per_axis[axis][first], per_axis[axis][other]), paths)


def _reaches(start: str, end: str, ancestors: dict) -> bool:
    return start == end or start in ancestors[end]


def _tconv_flags(node, inputs: tuple[int, ...]) -> TconvFlags:
    from ..model.arithmetic import conv_input_range
    from ..conventions import FRAMEWORKS, to_framework

    axes = tuple(Axis(i, q["k"], q["s"], q["d"], *q["crop"]) for i, q in zip(inputs, node.axes))
    arriving = []
    for axis in axes:
        try:  # the convolution this layer inverts pads both ends by b (PyTorch's padding)
            sizes = conv_input_range(axis.i, axis.k, axis.s, axis.b, axis.d) if axis.b >= 0 else range(0)
        except ParameterError:
            sizes = range(0)
        arriving.append([sizes.start, sizes.stop - 1] if sizes else None)
    layer = Layer(axes)
    not_exact = tuple(name for name in FRAMEWORKS
                      if layer.ndim <= 3 and not to_framework(layer, name).exact)
    return TconvFlags(tuple(arriving), not all(axis.uniform_overlap for axis in axes), not_exact)
