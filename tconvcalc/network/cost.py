"""What each layer of a traced network costs per sample: its multiply-adds, parameters and output size.

Every count comes from the model's arithmetic (:func:`~tconvcalc.model.arithmetic.conv_cost`,
:func:`~tconvcalc.model.arithmetic.conv_transpose_cost`, :func:`~tconvcalc.model.arithmetic.pool_cost`) at the sizes the
trace found, so a network costs nothing to count, whatever its sizes.  A layer whose channels the model does
not say (a spec without ``channels``, a weight computed at run time) is left uncounted, by name.

>>> from tconvcalc.network.readers.spec_file import parse_network
>>> net = parse_network('ndim = 1\\nchannels = 1\\n[[layers]]\\nname = "up"\\nop = "conv_transpose"\\n'
...                     'kernel_size = 3\\nstride = 2\\npadding = 1\\nchannels = 1\\nbias = false\\n')
>>> from tconvcalc.network.tracer import trace
>>> costs, total = network_cost(net, trace(net, (4,)))
>>> costs[0].macs, costs[0].macs_dense, total.params  # of 4·3 input-tap pairs the crop drops 2 (tconvcalc shape)
(10, 12, 3)
"""

from __future__ import annotations

from math import prod
from typing import NamedTuple

from ..model.arithmetic import Cost, conv_cost, conv_transpose_cost, pool_cost
from ..model.spec import Axis, Layer, same_padding
from .graph import INPUT, Network, Node

class CostTotal(NamedTuple):
    """A network's cost per sample: the sums of its layers' (``activations`` sums their output elements), and the
    layers left uncounted because the model does not say their channels."""

    macs: int
    macs_dense: int
    window_ops: int
    params: int
    activations: int
    uncounted: tuple[str, ...]


def _befores(node: Node, input_size) -> list[int]:
    """A window layer's zeros before the input, per axis: its own, or those its "same" padding adds."""
    return [same_padding(n, q["k"], q["s"], q["d"], q.get("lower", False))[0] if q["same"] else q["pad"][0]
            for n, q in zip(input_size, node.axes)]


def _transposed(node: Node, input_size, output_size) -> Layer:
    """The layer in the crop model: an ONNX ``output_shape`` crops what the scatter has past it, split as ONNX
    splits it (the odd sample at the start unless ``SAME_UPPER``)."""
    axes = []
    for n, o, q in zip(input_size, output_size, node.axes):
        if q.get("fixed") is None:
            axes.append(Axis(n, q["k"], q["s"], q["d"], *q["crop"]))
            continue
        total = Axis(n, q["k"], q["s"], q["d"]).full + q["op"] - o
        begin = total // 2 if q.get("upper") else total - total // 2
        axes.append(Axis(n, q["k"], q["s"], q["d"], begin, total - begin - q["op"]))
    return Layer(tuple(axes))


def node_cost(node: Node, in_channels: int | None, input_size, output_size) -> Cost | None:
    """One layer's :class:`~tconvcalc.model.arithmetic.Cost` at these sizes, or None when its channels are unknown."""
    out_channels = node.channels
    outputs = prod(output_size)
    if node.op in ("conv", "conv_transpose") and node.weights is None or in_channels is None or out_channels is None:
        return None
    if node.op in ("max_pool", "avg_pool"):
        return pool_cost(input_size, output_size, [q["k"] for q in node.axes], [q["s"] for q in node.axes],
                         [q["d"] for q in node.axes], _befores(node, input_size), in_channels)
    if node.op not in ("conv", "conv_transpose") or not node.weights:  # no weights: no multiply-adds
        return Cost(0, 0, 0, 0, out_channels * outputs)
    weights = node.weights
    if node.op == "conv_transpose":
        cost = conv_transpose_cost(_transposed(node, input_size, output_size), in_channels, out_channels,
                                   weights["groups"], weights["bias"])
        return Cost(cost.macs, cost.macs_dense, 0, cost.params, cost.output_elements)
    window = ([q["k"] for q in node.axes], [q["s"] for q in node.axes], [q["d"] for q in node.axes],
              _befores(node, input_size))
    if not weights.get("depthwise"):
        return conv_cost(input_size, output_size, *window, in_channels, out_channels, weights["groups"],
                         weights["bias"])
    middle = in_channels * weights["depth_multiplier"]
    pointwise = weights["pointwise"]
    depth = conv_cost(input_size, output_size, *window, in_channels, middle, in_channels,
                      weights["bias"] and not pointwise)
    if not pointwise:
        return depth
    ones = [1] * len(node.axes)
    point = conv_cost(output_size, output_size, ones, ones, ones, [0] * len(node.axes), middle, out_channels, 1,
                      weights["bias"])
    return Cost._make((*(a + b for a, b in zip(depth[:4], point[:4])), point.output_elements))


def network_cost(network: Network, result) -> tuple[tuple, CostTotal | None]:
    """Every traced row's :class:`~tconvcalc.model.arithmetic.Cost` (None where uncounted) and the total; the total is
    None when the network stops (a network that does not run has no cost)."""
    channels = {INPUT: network.channels, **{node.name: node.channels for node in network.nodes}}
    costs = []
    for row in result.rows:
        node = network.by_name[row.name]
        costs.append(node_cost(node, channels[node.inputs[0]], row.input_size, row.output_size))
    if result.failure is not None:
        return tuple(costs), None
    counted = [cost for cost in costs if cost is not None]
    total = CostTotal(sum(cost.macs for cost in counted), sum(cost.macs_dense for cost in counted),
                      sum(cost.window_ops for cost in counted), sum(cost.params for cost in counted),
                      sum(cost.output_elements for cost in counted),
                      tuple(row.name for row, cost in zip(result.rows, costs) if cost is None))
    return tuple(costs), total
