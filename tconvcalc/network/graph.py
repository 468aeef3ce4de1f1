"""A network as the sizes see it: named nodes in execution order, each an op of :mod:`.ops` with
its parameters per spatial axis, reading the outputs of earlier nodes (``"input"`` is the network's).

Readers (the TOML/JSON spec, ONNX, Keras, PyTorch) build a :class:`Network`; :func:`walk` runs the
size rules through it along one axis, for one size or for a class of sizes, and a *judge* decides
what a requirement or a merge means: the trace stops at the first failure, the domain turns each
into a bound on the class.

>>> net = Network("two convs", 1, (Node("a", "conv", ("input",), ({"k": 3, "s": 2, "d": 1, "pad": (1, 1),
...        "same": False},)), Node("b", "conv_transpose", ("a",), ({"k": 2, "s": 2, "d": 1, "crop": (0, 0)},))))
>>> walk(net, 0, 9, Stopper())
{'input': 9, 'a': 5, 'b': 10}
"""

from __future__ import annotations

from collections import namedtuple

from ..errors import ParameterError
from .ops import OPS, Reason, invalid

INPUT = "input"
#: Layers a network (or an encoder to mirror) may have: its sizes are walked per size class and typeset per
#: layer, about a second for this many; real networks have hundreds.
MAX_LAYERS = 10_000


class Node(namedtuple("Node", "name op inputs axes channels source weights", defaults=(None, None, None))):
    """One layer: ``op`` (a key of :data:`~.ops.OPS`), the names it reads, its parameters per axis
    (``axes[i]`` a dict), its output channels when known, where it came from (file, op type), and for a
    layer with weights how they are laid out, as its cost needs it: a dict of ``groups`` and ``bias`` (bool), or
    for a depthwise convolution ``depthwise``, ``depth_multiplier``, ``bias`` and ``pointwise`` (a 1×1 convolution
    after it: a separable one); ``{}`` for a layer without weights, None where the reader does not know."""

    __slots__ = ()

    def text(self) -> str:
        """The parameters as compactly as every axis allows: ``k3 s2 p1``, or per axis joined by ``|``."""
        texts = [OPS[self.op].text(q) for q in self.axes]
        return texts[0] if len(set(texts)) == 1 else " | ".join(texts)


class Network:
    """Nodes in execution order (each reads only earlier ones), ``ndim`` spatial axes, one input."""

    def __init__(self, name: str, ndim: int, nodes, outputs=None, channels: int | None = None,
                 default_input=None, source: str | None = None) -> None:
        self.name, self.ndim, self.nodes = name, ndim, tuple(nodes)
        self.channels, self.default_input, self.source = channels, default_input, source or name
        self.by_name = {}
        for node in self.nodes:
            self._check(node)
            self.by_name[node.name] = node
        if not self.nodes:
            raise ParameterError(f"{self.source} has no layers, a network needs at least one; add a layer")
        if len(self.nodes) > MAX_LAYERS:
            raise ParameterError(f"{self.source} has {len(self.nodes)} layers, more than the {MAX_LAYERS} tconvcalc "
                                 f"walks; give the part of the network whose sizes matter")
        self.outputs = tuple(outputs or (self.nodes[-1].name,))
        for name in self.outputs:
            if name not in self.by_name:
                raise ParameterError(f"{self.source}: output {name!r} is not a layer, the outputs name layers; "
                                     f"use one of {', '.join(list(self.by_name)[-3:])}")

    def _check(self, node: Node) -> None:
        where = f"{self.source}, layer {node.name!r}"
        if node.name == INPUT or node.name in self.by_name:
            raise ParameterError(f"{where}: the name is {'reserved' if node.name == INPUT else 'used twice'}, "
                                 f"layer names are unique and 'input' names the network's input; rename it")
        if node.op not in OPS:
            raise ParameterError(f"{where}: op {node.op!r} is unknown, the ops are {', '.join(OPS)}; use one")
        for name in node.inputs:
            if name != INPUT and name not in self.by_name:
                later = "a later layer or itself (a cycle)" if name == node.name or any(
                    n.name == name for n in self.nodes) else "no layer"
                raise ParameterError(f"{where}: it reads {name!r}, which is {later}; a layer reads the input "
                                     f"or layers before it")
        merge = OPS[node.op].merge
        if merge and len(node.inputs) < 2 or not merge and len(node.inputs) != 1:
            raise ParameterError(f"{where}: {node.op} reads {len(node.inputs)} input(s), "
                                 f"{'a merge reads two or more' if merge else 'it reads exactly one'}; fix its inputs")
        if len(node.axes) != self.ndim:
            raise ParameterError(f"{where}: it has parameters for {len(node.axes)} axes, the network has "
                                 f"{self.ndim}; give one value or one per axis")
        why = invalid(node.op, node.axes)
        if why:
            raise ParameterError(f"{where}: {node.op} {why}; fix the layer (its framework refuses it too)")

    def __repr__(self) -> str:
        return f"Network({self.name!r}, {self.ndim}-D, {len(self.nodes)} layers)"

    def replaced(self, node: Node) -> Network:
        """The same network with the layer of ``node``'s name replaced by ``node``."""
        return Network(self.name, self.ndim, [node if n.name == node.name else n for n in self.nodes], self.outputs,
                       self.channels, self.default_input, self.source)

    def ancestors(self) -> dict[str, frozenset]:
        """Every node's ancestors (the input included), itself excluded."""
        found: dict[str, frozenset] = {INPUT: frozenset()}
        for node in self.nodes:
            found[node.name] = frozenset().union(*({name} | found[name] for name in node.inputs))
        return found

    def path(self, start: str, end: str, ancestors: dict[str, frozenset] | None = None) -> list[str]:
        """The nodes from ``start`` to ``end`` (both included), following inputs back from ``end``."""
        ancestors = ancestors or self.ancestors()
        route = [end]
        while route[-1] != start:
            node = self.by_name[route[-1]]
            route.append(next(name for name in node.inputs if name == start or start in ancestors[name]))
        return route[::-1]


class Stopper:
    """A judge for one size: the first requirement that fails, or merge that disagrees, stops the walk."""

    def need(self, node: Node, value, reason: str) -> None:
        if value < 0:
            raise Stop(node.name, reason, None)

    def merge(self, node: Node, sizes: list) -> object:
        if len(set(sizes)) > 1:
            raise Stop(node.name, "its inputs have different sizes", tuple(sizes))
        return sizes[0]


class Stop(Exception):
    """Where a walk stopped: the node, why, and for a merge its inputs' sizes."""

    def __init__(self, node: str, reason: str, sizes) -> None:
        super().__init__(node, reason)
        self.node, self.reason, self.sizes = node, reason, sizes


def walk(network: Network, axis: int, size, judge, into: dict | None = None) -> dict:
    """Every node's size along ``axis`` from the input's ``size`` (an int or a class of sizes); the
    judge sees every requirement and merge.  Returns ``{name: size}``, the input under "input", filled
    into ``into`` when given (so a walk the judge stops keeps the sizes it reached)."""
    sizes = {} if into is None else into
    sizes[INPUT] = size
    for node in network.nodes:
        incoming = [sizes[name] for name in node.inputs]
        op = OPS[node.op]
        if op.merge:
            sizes[node.name] = judge.merge(node, incoming)
            continue
        out, needs = op.size(incoming[0], node.axes[axis])
        for value, reason in needs:
            judge.need(node, value, reason)
        judge.need(node, out - 1, Reason("why.empty", "it has no output left (a size must be at least 1)"))
        sizes[node.name] = out
    return sizes
