"""What to change when an input size does not run, and what each change does to every size that ran.

Three answers, each with the accepted sizes before and after it (per axis, derived by :mod:`.domain`):
the size-generic fix, where a transposed layer feeds a merge (call it with ``output_size`` = the skip's
size, :mod:`.generic`); the nearest accepted sizes and the pad or crop that reaches them (the network
unchanged); and the output_padding of the transposed layers that makes this very size run - which may
lose every size that ran before.  Given a target output size, the output_padding changes that give it.

>>> from tconvcalc.network.readers.spec_file import parse_network
>>> net = parse_network('ndim = 1\\n[[layers]]\\nname = "down"\\nop = "max_pool"\\nkernel_size = 2\\n'
...                     '[[layers]]\\nname = "up"\\nop = "conv_transpose"\\nkernel_size = 2\\nstride = 2\\n'
...                     '[[layers]]\\nname = "skip"\\nop = "concat"\\ninputs = ["input", "up"]\\n')
>>> found = fix(net, (9,))
>>> found.axes[0].below, found.axes[0].above, [(c.node, c.output_padding) for c in found.changes], found.runs
(8, 10, [('up', (1,))], True)

Before, every even size from 2 runs; output_padding 1 makes 9 run and every odd size from 3, and loses
every even one; ``output_size`` = the skip's size runs every size from 2:

>>> effect = found.effect[0]
>>> effect.before.classes, effect.after.classes, effect.lost == effect.before
(((2, 0, 2),), ((2, 1, 3),), True)
>>> found.generic.effect[0].after.classes, found.generic.effect[0].lost, found.generic.runs
(((1, 0, 2),), Sizes(classes=(), points=()), True)

A generator one sample short: ``up`` doubles 4 into 7 (k = 3, s = 2, p = 1); 8 needs output_padding 1.

>>> gen = parse_network('ndim = 1\\n[[layers]]\\nname = "up"\\nop = "conv_transpose"\\nkernel_size = 3\\n'
...                     'stride = 2\\npadding = 1\\n')
>>> found = fix(gen, (4,), target=(8,))
>>> found.output_size, [(c.node, c.output_padding) for c in found.changes], found.reached
((8,), [('up', (1,))], True)
"""

from __future__ import annotations

from bisect import bisect_left
from math import lcm
from typing import NamedTuple

from ..errors import ParameterError
from ..model.spec import Axis, Layer, broadcast, check_at_least
from .domain import AxisDomain, axis_domain, runs
from .generic import feeds, framework, module_paths, rewrite
from .graph import Network, Stop, Stopper, walk
from .ops import OPS
from .tracer import input_sizes, trace

class AxisFix(NamedTuple):
    """One axis: whether the size runs, the nearest accepted sizes below and above (None if none), the (before, after)
    padding that reaches ``above`` and the crop that reaches ``below``."""

    axis: int
    size: int
    runs: bool
    below: int | None
    above: int | None
    pad: tuple[int, ...] | None
    crop: tuple[int, ...] | None


class Sizes(NamedTuple):
    """A set of input sizes along one axis: classes ``(modulus, residue, first)`` and single sizes."""

    classes: tuple[tuple[int, ...], ...]
    points: tuple[int, ...]


class Effect(NamedTuple):
    """What a change does to one axis's accepted sizes: before, after, the sizes it loses and gains (None where the
    sets are too long-periodic to compare, or a domain not derived)."""

    axis: int
    before: Sizes | None
    after: Sizes | None
    lost: Sizes | None
    gained: Sizes | None


class Change(NamedTuple):
    """A transposed layer's new output_padding per axis (its crop in the model), its PyTorch line, and the forward call
    that does the same with output_size."""

    node: str
    output_padding: tuple[int, ...]
    crop: tuple[tuple[int, ...], ...]
    pytorch: str | None
    forward: str | None


class GenericLayer(NamedTuple):
    """A transposed layer called with its skip's size: the merge, the skip (the merge's other input, by its PyTorch
    module path where the model says it), the layer's PyTorch module path (None if the model does not say it) and
    the call (None without a module path)."""

    node: str
    merge: str
    partner: str
    module: str | None
    code: str | None


class Generic(NamedTuple):
    """The size-generic fix: every transposed layer that feeds a merge takes the skip's size per call; what it does to
    the accepted sizes; whether this input size runs with it; and what the model's own framework can do (a sentence,
    None for PyTorch)."""

    framework: str
    layers: tuple[GenericLayer, ...]
    effect: tuple[Effect, ...]
    runs: bool
    note: str | None


class Fix(NamedTuple):
    """The accepted sizes now (``domain``, per axis); the size-generic fix (None without a transposed layer feeding a
    merge, or when the size runs); every axis's nearest sizes and pads; the output_padding changes that make this
    input size run (``runs``: whether they do; ``effect``: per axis, what they do to the accepted sizes) and, with a
    ``target``, give that output size (``output_size``: what comes out with the changes, None if it still stops;
    ``reached``: whether it is the target, None without one)."""

    input_size: tuple[int, ...]
    axes: tuple[AxisFix, ...]
    domain: tuple[Sizes, ...]
    generic: Generic | None
    changes: tuple[Change, ...]
    effect: tuple[Effect, ...] | None
    runs: bool
    target: tuple[int, ...] | None
    output_size: tuple[int, ...] | None
    reached: bool | None

# output_padding values tried per transposed layer and axis in the search for a target output size.
MAX_TARGET_PADDINGS = 64
MAX_TARGET_WORK = 200_000  # layer visits per axis in the search for a target output size
# Residues compared when two accepted sets are set side by side (the lcm of their moduli).
MAX_COMPARED_PERIOD = 100_000

FRAMEWORK_NOTES = {
    "onnx": "ONNX's ConvTranspose fixes its output_shape in the graph, so an ONNX model has no size-generic "
            "form: make the change in the PyTorch source and export again, or pad or crop the input.",
    "keras": "Keras's Conv2DTranspose takes no output size per call (its output_padding is fixed when it is "
             "built), so Keras has no size-generic form: pad or crop the input, or fix output_padding for one size.",
}


def _split(total: int) -> tuple[int, int]:
    return total // 2, total - total // 2


def _nearest(found, n: int) -> tuple[int | None, int | None]:
    below = [p for p in found.points if p <= n] + [c.first + (n - c.first) // c.modulus * c.modulus
                                                    for c in found.classes if c.first <= n]
    above = [p for p in found.points if p >= n] + [c.first + max(0, -(-(n - c.first) // c.modulus)) * c.modulus
                                                    for c in found.classes]
    return max(below, default=None), min(above, default=None)


def _sizes(found) -> Sizes:
    return Sizes(tuple((c.modulus, c.residue, c.first) for c in found.classes), tuple(found.points))


def _domains(network: Network) -> list:
    """Every axis's derived domain after a change, or None for an axis whose period the change took beyond
    what the domain walks (the sizes before are derived, or the fix is refused)."""
    found: list[AxisDomain | None] = []
    for axis in range(network.ndim):
        try:
            found.append(axis_domain(network, axis))
        except ParameterError:
            found.append(None)
    return found


def _member(sizes: Sizes, n: int) -> bool:
    return n in sizes.points or any(n >= first and (n - first) % modulus == 0 for modulus, _, first in sizes.classes)


def minus(a: Sizes, b: Sizes) -> Sizes | None:
    """The sizes in ``a`` and not in ``b``: beyond every first size both are periodic in the lcm of their
    moduli, so each residue either stays in the difference from some size on or leaves it; below that, single
    sizes.  Classes are merged to the shortest modulus that describes the same sizes.

    >>> minus(Sizes(((1, 0, 2),), ()), Sizes(((2, 0, 2),), ()))
    Sizes(classes=((2, 1, 3),), points=())
    """
    period = lcm(1, *(m for m, _, _ in a.classes + b.classes))
    if period > MAX_COMPARED_PERIOD:
        return None
    top = max([f for _, _, f in a.classes + b.classes] + list(a.points + b.points) + [0]) + 1
    inside = lambda n: _member(a, n) and not _member(b, n)  # noqa: E731
    starts = {}
    for n in range(top, top + period):
        if inside(n):
            first = n
            while first - period >= 1 and inside(first - period):
                first -= period
            starts[n % period] = first
    points = tuple(n for n in range(1, top) if inside(n) and not (n % period in starts and n >= starts[n % period]))
    return Sizes(_shortest(starts, period), points)


def _shortest(starts: dict, period: int) -> tuple:
    """Classes mod ``period`` (residue: first size) as the fewest classes of a shorter modulus that hold the same
    sizes: the members of a class mod m must start at consecutive steps from the class's first size."""
    for m in range(1, period + 1):
        if period % m:
            continue
        merged, ok = {}, True
        for r in range(m):
            members = [x for x in range(r, period, m)]
            held = [x for x in members if x in starts]
            if not held:
                continue
            first = min(starts[x] for x in held)
            if len(held) != len(members) or any(starts[x] != first + (x - first) % period for x in members):
                ok = False
                break
            merged[r] = first
        if ok:
            return tuple((m, r, first) for r, first in sorted(merged.items()))
    return ()


def _effect(axis: int, before, after) -> Effect:
    if before is None or after is None:
        return Effect(axis, None if before is None else _sizes(before), None if after is None else _sizes(after),
                      None, None)
    old, new = _sizes(before), _sizes(after)
    return Effect(axis, old, new, minus(old, new), minus(new, old))


def fix(network: Network, sizes, target=None) -> Fix:
    """The fix for input ``sizes``; with ``target`` (an output size per axis), also the output_padding
    changes that make the network's output that size."""
    sizes = input_sizes(network, sizes)
    if target is not None:  # named as the output size it is (not as an input size)
        target = broadcast(network.ndim, output_size=target)[1]["output_size"]
        for n in target:
            check_at_least("output_size", n, 1)
    before = [axis_domain(network, axis) for axis in range(network.ndim)]  # a period too long is refused
    axes = []
    for axis, (n, found) in enumerate(zip(sizes, before)):
        below, above = _nearest(found, n)
        axes.append(AxisFix(axis, n, runs(network, axis, n), below, above, None if above is None else _split(above - n),
                            None if below is None else _split(n - below)))
    runs_now = trace(network, sizes).failure is None
    generic = None if runs_now else _generic(network, sizes, before)
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
    paths = module_paths(network)
    out = []
    for name, crops in changes.items():
        if crops == tuple(q["crop"] for q in network.by_name[name].axes):
            continue  # retuned and tuned back
        node = current.by_name[name]
        inputs = rows[name].input_size if name in rows else None
        source = current.by_name.get(node.inputs[0])
        in_channels = current.channels if source is None else source.channels
        out.append(_change(node, crops, inputs, in_channels, paths.get(name)))
    effect = None
    if out:
        effect = tuple(_effect(axis, old, new) for axis, (old, new) in enumerate(zip(before, _domains(current))))
    reached = None if target is None else result.output_size == target
    return Fix(sizes, tuple(axes), tuple(_sizes(d) for d in before), generic, tuple(out), effect,
               result.failure is None, target, result.output_size, reached)


def _generic(network: Network, sizes, before) -> Generic | None:
    """Every transposed layer that feeds a merge called with its skip's size, and what that does."""
    chosen = feeds(network)
    if not chosen:
        return None
    changed = rewrite(network, chosen)
    effect = tuple(_effect(axis, old, new) for axis, (old, new) in enumerate(zip(before, _domains(changed))))
    gained = [e.gained for e in effect]
    if any(e.lost is None or e.gained is None for e in effect) or all(not g.classes and not g.points
                                                                     for g in gained if g is not None):
        return None  # not derived, or it runs no size more: not worth a change
    kind = framework(network)
    paths = module_paths(network) if kind != "keras" else {}
    shape = f"shape[-{network.ndim}:]"
    layers = tuple(GenericLayer(feed.node, feed.merge, paths.get(feed.partner, feed.partner), paths.get(feed.node),
                                None if paths.get(feed.node) is None else
                                f"self.{paths[feed.node]}(x, output_size=skip.{shape})") for feed in chosen)
    return Generic(kind, layers, effect, trace(changed, sizes).failure is None, FRAMEWORK_NOTES.get(kind))


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
        if result.output_size is None:  # it stops: no output to tune
            break
        if result.output_size[axis] == wanted:
            continue
        best: tuple[int, Network, tuple[str, ...]] = (abs(result.output_size[axis] - wanted), current, ())
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
    forward rule, 0..s-1) makes the merge's inputs agree along the failing axis, as the new network.

    The size a path brings to the merge never decreases as a layer's output_padding grows (every size rule
    is a floor of an increasing affine map), so the value is found by bisection over 0..s-1 on the path's
    own sizes - a few steps along one path, then one trace to confirm - not by retracing every value."""
    axis = failure.axis
    reached: dict[str, int] = {}
    try:
        walk(network, axis, sizes[axis], Stopper(), reached)
    except Stop:
        pass  # the sizes up to the failing merge are what the paths start from
    for index in sorted(range(len(failure.paths)), key=lambda i: len(failure.paths[i])):
        path, wanted = failure.paths[index], failure.sizes[1 - index]
        for name in reversed(path[1:]):
            node = network.by_name.get(name)
            if node is None or node.op != "conv_transpose" or "crop" not in node.axes[axis]:
                continue
            b, e = node.axes[axis]["crop"]
            values = range(node.axes[axis]["s"])
            arriving = _Along(network, path, axis, reached[path[0]], node)
            new_op = bisect_left(values, wanted, key=arriving)
            if new_op == len(values) or new_op == b - e or arriving(new_op) != wanted:
                continue
            candidate = _with_output_padding(network, node, axis, new_op)
            later = trace(candidate, sizes).failure
            if later is None or (later.node, later.axis) != (failure.node, failure.axis):
                crops = tuple(a["crop"] for a in candidate.by_name[name].axes)
                return candidate, name, crops
    return None


class _Along:
    """The size a path brings to its end when ``layer`` along it has a given output_padding. A layer that
    would stop still passes its size on: bisection needs only the order, and one trace confirms the value."""

    def __init__(self, network: Network, path, axis: int, start: int, layer) -> None:
        self.network, self.path, self.axis, self.start, self.layer = network, path, axis, start, layer

    def __call__(self, output_padding: int) -> int:
        n = self.start
        for name in self.path[1:]:
            node = self.network.by_name[name]
            if OPS[node.op].merge:
                continue  # the merge passes the size it receives along this path
            q = node.axes[self.axis]
            if node is self.layer:
                q = dict(q, crop=(q["crop"][0], q["crop"][0] - output_padding))
            n = OPS[node.op].size(n, q)[0]
        return n


def _change(node, crops, inputs, in_channels: int | None, module: str | None) -> Change:
    ops = tuple(b - e for b, e in crops)
    if inputs is None:
        return Change(node.name, ops, crops, None, None)
    from ..conventions import pytorch_code

    layer = Layer(tuple(Axis(i, q["k"], q["s"], q["d"], *crop) for i, q, crop in zip(inputs, node.axes, crops)))
    channels = (in_channels or "in_ch", node.channels or "out_ch")  # the model's own, where it says them
    pytorch = pytorch_code(layer, *channels) if all(axis.pytorch for axis in layer.axes) else None
    # the call as the PyTorch source writes it, where the model names the module (not an exporter's node)
    forward = None if module is None else f"self.{module}(x, output_size={list(layer.output_size)})"
    return Change(node.name, ops, crops, pytorch, forward)
