"""What to change when an input size does not run: the nearest sizes that do, the pad or crop that
reaches them, and the output_padding of the transposed layers that makes this very size run.

>>> from tconvcalc.network.read_spec import parse_network
>>> net = parse_network('ndim = 1\\n[[layers]]\\nname = "down"\\nkernel_size = 3\\nstride = 2\\npadding = 1\\n'
...                     '[[layers]]\\nname = "up"\\nop = "conv_transpose"\\nkernel_size = 3\\nstride = 2\\npadding = 1\\n'
...                     '[[layers]]\\nname = "skip"\\nop = "concat"\\ninputs = ["input", "up"]\\n')
>>> found = fix(net, (8,))
>>> found.axes[0].below, found.axes[0].above, [(c.node, c.output_padding) for c in found.changes], found.runs
(7, 9, [('up', (1,))], True)
"""

from __future__ import annotations

from ..records import record
from ..spec import Axis, Layer
from .domain import axis_domain
from .graph import Network
from .tracer import input_sizes, trace

AxisFix = record("AxisFix", "axis size runs below above pad crop",
                 doc="One axis: whether the size runs, the nearest accepted sizes below and above (None if "
                     "none), the (before, after) padding that reaches ``above`` and the crop that reaches "
                     "``below``.")
Change = record("Change", "node output_padding crop pytorch forward",
                doc="A transposed layer's new output_padding per axis (its crop in the model), its PyTorch "
                    "line, and the forward call that does the same with output_size.")
Fix = record("Fix", "input_size axes changes runs",
             doc="Every axis's nearest sizes and pads, and the output_padding changes that make this input "
                 "size run (``runs``: whether they do).")


def _split(total: int) -> tuple[int, int]:
    return total // 2, total - total // 2


def _nearest(found, n: int) -> tuple[int | None, int | None]:
    below = [p for p in found.points if p <= n] + [c.first + (n - c.first) // c.modulus * c.modulus
                                                    for c in found.classes if c.first <= n]
    above = [p for p in found.points if p >= n] + [c.first + max(0, -(-(n - c.first) // c.modulus)) * c.modulus
                                                    for c in found.classes]
    return max(below, default=None), min(above, default=None)


def fix(network: Network, sizes) -> Fix:
    sizes = input_sizes(network, sizes)
    axes = []
    for axis, n in enumerate(sizes):
        below, above = _nearest(axis_domain(network, axis), n)
        axes.append(AxisFix(axis, n, below == n, below, above, None if above is None else _split(above - n),
                            None if below is None else _split(n - below)))
    changes, current = {}, network
    for _ in range(len(network.nodes)):
        result = trace(current, sizes)
        failure = result.failure
        if failure is None or failure.paths is None:
            break
        change = _retune(current, sizes, failure)
        if change is None:
            break
        current = change[0]
        changes[change[1]] = change[2]
    result = trace(current, sizes)
    rows = {row.name: row for row in result.rows}
    out = []
    for name, crops in changes.items():
        node = current.by_name[name]
        inputs = rows[name].input_size if name in rows else None
        out.append(_change(node, crops, inputs))
    return Fix(sizes, tuple(axes), tuple(out), result.failure is None)


def _retune(network: Network, sizes, failure):
    """A transposed layer on one path into the failing merge whose output_padding (within PyTorch's
    forward rule, 0..s-1) makes the merge's inputs agree along the failing axis, as the new network."""
    axis = failure.axis
    target_paths = sorted(failure.paths, key=len)
    for path in target_paths:
        for name in reversed(path[1:]):
            node = network.by_name.get(name)
            if node is None or node.op != "conv_transpose" or "crop" not in node.axes[axis]:
                continue
            b, e = node.axes[axis]["crop"]
            p, op = b, b - e
            for new_op in range(min(node.axes[axis]["s"], 4096)):
                if new_op == op:
                    continue
                q = dict(node.axes[axis], crop=(p, p - new_op))
                candidate = network.replaced(node._replace(axes=node.axes[:axis] + (q,) + node.axes[axis + 1:]))
                later = trace(candidate, sizes).failure
                if later is None or (later.node, later.axis) != (failure.node, failure.axis):
                    crops = tuple(a["crop"] for a in candidate.by_name[name].axes)
                    return candidate, name, crops
    return None


def _change(node, crops, inputs) -> Change:
    ops = tuple(b - e for b, e in crops)
    if inputs is None:
        return Change(node.name, ops, crops, None, None)
    from ..conventions import pytorch_code

    layer = Layer(tuple(Axis(i, q["k"], q["s"], q["d"], *crop) for i, q, crop in zip(inputs, node.axes, crops)))
    pytorch = pytorch_code(layer) if all(axis.pytorch for axis in layer.axes) else None
    forward = f"{node.name}(x, output_size={list(layer.output_size)})"
    return Change(node.name, ops, crops, pytorch, forward)
