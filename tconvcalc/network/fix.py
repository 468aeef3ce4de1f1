"""What to change when an input size does not run: the nearest sizes that do, the pad or crop that
reaches them, and the output_padding of the transposed layers that makes this very size run - and,
given a target output size, the output_padding changes that make the network produce it.

>>> from tconvcalc.network.read_spec import parse_network
>>> net = parse_network('ndim = 1\\n[[layers]]\\nname = "down"\\nkernel_size = 3\\nstride = 2\\npadding = 1\\n'
...                     '[[layers]]\\nname = "up"\\nop = "conv_transpose"\\nkernel_size = 3\\nstride = 2\\npadding = 1\\n'
...                     '[[layers]]\\nname = "skip"\\nop = "concat"\\ninputs = ["input", "up"]\\n')
>>> found = fix(net, (8,))
>>> found.axes[0].below, found.axes[0].above, [(c.node, c.output_padding) for c in found.changes], found.runs
(7, 9, [('up', (1,))], True)

A generator one sample short: ``up`` doubles 4 into 7 (k = 3, s = 2, p = 1); 8 needs output_padding 1.

>>> gen = parse_network('ndim = 1\\n[[layers]]\\nname = "up"\\nop = "conv_transpose"\\nkernel_size = 3\\n'
...                     'stride = 2\\npadding = 1\\n')
>>> found = fix(gen, (4,), target=(8,))
>>> found.output_size, [(c.node, c.output_padding) for c in found.changes], found.reached
((8,), [('up', (1,))], True)
"""

from __future__ import annotations

from ..records import record
from ..spec import Axis, Layer
from .domain import axis_domain
from .graph import Network, Stop, Stopper, walk
from .tracer import input_sizes, trace

AxisFix = record("AxisFix", "axis size runs below above pad crop",
                 doc="One axis: whether the size runs, the nearest accepted sizes below and above (None if "
                     "none), the (before, after) padding that reaches ``above`` and the crop that reaches "
                     "``below``.")
Change = record("Change", "node output_padding crop pytorch forward",
                doc="A transposed layer's new output_padding per axis (its crop in the model), its PyTorch "
                    "line, and the forward call that does the same with output_size.")
Fix = record("Fix", "input_size axes changes runs target output_size reached",
             doc="Every axis's nearest sizes and pads, and the output_padding changes that make this input "
                 "size run (``runs``: whether they do) and, with a ``target``, give that output size "
                 "(``output_size``: what comes out with the changes, None if it still stops; ``reached``: "
                 "whether it is the target, None without one).")

# output_padding values tried per transposed layer and axis (PyTorch's forward allows 0..s-1): to make
# a merge line up (one path), and in the search for a target output size (every layer, every step).
MAX_TRIED_PADDINGS = 4096
MAX_TARGET_PADDINGS = 64
MAX_TARGET_WORK = 200_000  # layer visits per axis in the search for a target output size


def _split(total: int) -> tuple[int, int]:
    return total // 2, total - total // 2


def _nearest(found, n: int) -> tuple[int | None, int | None]:
    below = [p for p in found.points if p <= n] + [c.first + (n - c.first) // c.modulus * c.modulus
                                                    for c in found.classes if c.first <= n]
    above = [p for p in found.points if p >= n] + [c.first + max(0, -(-(n - c.first) // c.modulus)) * c.modulus
                                                    for c in found.classes]
    return max(below, default=None), min(above, default=None)


def fix(network: Network, sizes, target=None) -> Fix:
    """The fix for input ``sizes``; with ``target`` (an output size per axis), also the output_padding
    changes that make the network's output that size."""
    sizes = input_sizes(network, sizes)
    if target is not None:
        target = input_sizes(network, target)
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
    if target is not None:
        current = _reach(current, sizes, target, changes)
    result = trace(current, sizes)
    rows = {row.name: row for row in result.rows}
    out = []
    for name, crops in changes.items():
        if crops == tuple(q["crop"] for q in network.by_name[name].axes):
            continue  # retuned and tuned back
        node = current.by_name[name]
        inputs = rows[name].input_size if name in rows else None
        source = current.by_name.get(node.inputs[0])
        in_channels = current.channels if source is None else source.channels
        out.append(_change(node, crops, inputs, in_channels))
    reached = None if target is None else result.output_size == target
    return Fix(sizes, tuple(axes), tuple(out), result.failure is None, target, result.output_size, reached)


def _with_output_padding(network: Network, node, axis: int, output_padding: int) -> Network:
    b, e = node.axes[axis]["crop"]
    q = dict(node.axes[axis], crop=(b, b - output_padding))
    return network.replaced(node._replace(axes=node.axes[:axis] + (q,) + node.axes[axis + 1:]))


def _reach(network: Network, sizes, target, changes: dict) -> Network:
    """Per axis, the fewest output_padding changes (later layers first) after which the network runs and
    gives ``target`` along that axis - or, when none does within the budget, the nearest output found.
    Axes are independent: a transposed layer's output_padding along one axis moves no other axis's sizes.
    ``changes`` records each changed layer's crops."""
    current = network
    tuned = [node.name for node in network.nodes if node.op == "conv_transpose"
             and all("crop" in q for q in node.axes)][::-1]  # the last layers first: the least to redraw
    for axis, wanted in enumerate(target):
        result = trace(current, sizes)
        if result.failure is not None:
            break
        if result.output_size[axis] == wanted:
            continue
        best = (abs(result.output_size[axis] - wanted), current, ())
        for candidate, names in _variants(current, tuned, axis):
            out = _axis_output(candidate, axis, sizes[axis])
            if out is not None and abs(out - wanted) < best[0]:
                best = (abs(out - wanted), candidate, names)
                if best[0] == 0:
                    break
        _, current, names = best
        for name in names:
            changes[name] = tuple(q["crop"] for q in current.by_name[name].axes)
    return current


def _axis_output(network: Network, axis: int, n: int) -> int | None:
    """The network's output size along ``axis`` from input size ``n``, or None where it stops: one walk,
    without the trace's rows and flags (the search below walks thousands of variants)."""
    try:
        return walk(network, axis, n, Stopper())[network.outputs[0]]
    except Stop:
        return None


def _variants(network: Network, tuned: list[str], axis: int):
    """Networks with the output_padding of one, then two, … of the ``tuned`` layers changed along
    ``axis`` (values 0..s-1), within ``MAX_TARGET_WORK``: (network, changed layer names)."""
    from itertools import combinations, product

    choices = {}
    for name in tuned:
        q = network.by_name[name].axes[axis]
        current = q["crop"][0] - q["crop"][1]
        choices[name] = [v for v in range(min(q["s"], MAX_TARGET_PADDINGS)) if v != current]
    budget = max(1, MAX_TARGET_WORK // len(network.nodes))  # each variant is walked once, layer by layer
    for count in range(1, len(tuned) + 1):
        for names in combinations([n for n in tuned if choices[n]], count):
            for values in product(*(choices[n] for n in names)):
                if budget == 0:
                    return
                budget -= 1
                candidate = network
                for name, value in zip(names, values):
                    candidate = _with_output_padding(candidate, candidate.by_name[name], axis, value)
                yield candidate, names


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
            for new_op in range(min(node.axes[axis]["s"], MAX_TRIED_PADDINGS)):
                if new_op == b - e:
                    continue
                candidate = _with_output_padding(network, node, axis, new_op)
                later = trace(candidate, sizes).failure
                if later is None or (later.node, later.axis) != (failure.node, failure.axis):
                    crops = tuple(a["crop"] for a in candidate.by_name[name].axes)
                    return candidate, name, crops
    return None


def _change(node, crops, inputs, in_channels: int | None) -> Change:
    ops = tuple(b - e for b, e in crops)
    if inputs is None:
        return Change(node.name, ops, crops, None, None)
    from ..conventions import pytorch_code

    layer = Layer(tuple(Axis(i, q["k"], q["s"], q["d"], *crop) for i, q, crop in zip(inputs, node.axes, crops)))
    channels = (in_channels or "in_ch", node.channels or "out_ch")  # the model's own, where it says them
    pytorch = pytorch_code(layer, *channels) if all(axis.pytorch for axis in layer.axes) else None
    forward = f"{node.name}(x, output_size={list(layer.output_size)})"
    return Change(node.name, ops, crops, pytorch, forward)
