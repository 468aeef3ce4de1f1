"""What the three model readers (ONNX, Keras, PyTorch) share: :class:`Value`, what a reader knows about
one tensor; :class:`Builder`, which collects layers in execution order and makes the :class:`Network`
(dropping the pass-throughs nobody needs to see: those a merge or an output reads stay, as
``identity``); :class:`Reader`, how a reader names a node and refuses it; the one way a reader picks the
handler of an op (:class:`Handlers`, a table by op, layer or class name); the elementwise merge rule; a
framework's transposed layer as crop-model axes; and the one error for an op the size rules cannot follow.

>>> handles = Handlers("example")
>>> @handles("Conv", "ConvTranspose")
... def conv(reader, node):
...     return "a convolution"
>>> handles.find("Relu", "ConvTranspose") is conv, handles.find("Relu")
(True, None)
"""

from __future__ import annotations

from collections.abc import Callable

from ...errors import ParameterError
from ..graph import INPUT, Network, Node
from ..ops import OPS, invalid

FOLLOWED = ("tconvcalc follows convolutions, transposed convolutions, poolings, integer upsampling, pixel "
            "(un)shuffle, constant pads and crops, channel concatenation, elementwise merges and "
            "size-preserving activations and norms")


class Value:
    """What a reader knows about one tensor: the layer that makes it (``INPUT`` for the network's input;
    None when it does not depend on the input's size at all), its channels, and its spatial sizes when they
    are the same for every input (after a global pooling), else None."""

    __slots__ = ("node", "channels", "fixed", "shape")

    def __init__(self, node: str | None, channels: int | None = None, fixed: tuple | None = None,
                 shape: tuple | None = None) -> None:
        self.node, self.channels, self.fixed, self.shape = node, channels, fixed, shape

    @property
    def dynamic(self) -> bool:
        """Whether its spatial size follows the input's."""
        return self.node is not None and self.fixed is None

    def __repr__(self) -> str:
        return f"Value({self.node!r}, channels={self.channels}, fixed={self.fixed}, shape={self.shape})"


# Every reader's table, by reader: tests/test_layout.py checks each reader dispatches through one.
REGISTRY: dict[str, "Handlers"] = {}


class Handlers:
    """One reader's handlers by the name its framework gives an op (an ONNX op type, a Keras class name, a
    torch.nn class or function name): ``@handles("Conv", "ConvTranspose")`` registers a function for those
    names, :meth:`find` gives the handler of the first name registered."""

    def __init__(self, reader: str) -> None:
        self.reader = reader
        self.table: dict[str, Callable] = {}
        REGISTRY[reader] = self

    def __call__(self, *names: str):
        def register(function):
            for name in names:
                if name in self.table:  # two handlers for one name: a reader's own bug, found at import
                    raise ValueError(f"{self.reader} handles {name!r} twice")
                self.table[name] = function
            return function

        return register

    def find(self, *names: str):
        """The handler of the first of ``names`` that has one (a class and its bases, most specific first), or
        None."""
        return next((self.table[name] for name in names if name in self.table), None)


class Reader:
    """What every model reader does the same way: it names a node as its framework does (:meth:`node_name`),
    refuses an op the size rules cannot follow (:meth:`fail`) and a layer its framework refuses too
    (:meth:`bad`), each said of that node in the model ``source``."""

    source: str

    def node_name(self, node) -> str:
        return str(node)

    def fail(self, node, kind: str, why: str) -> ParameterError:
        return refuse(self.source, self.node_name(node), kind, why)

    def bad(self, node, kind: str, why: str) -> ParameterError:
        return invalid_model(self.source, self.node_name(node), kind, why)


def per_axis(value, ndim: int) -> list | None:
    """``value`` one entry per spatial axis: one value (or a list of one) is every axis's; None when it has
    another count of values."""
    values = list(value) if isinstance(value, (list, tuple)) else [value] * ndim
    if len(values) == 1:
        values *= ndim
    return values if len(values) == ndim else None


def fixed_size(op: str, fixed: tuple | None, axes) -> tuple | None:
    """A layer's output sizes when its input's are fixed (None when they are not, or it cannot run)."""
    if op == "adaptive_pool":
        return tuple(q["size"] for q in axes)
    if fixed is None:
        return None
    sizes = []
    for n, q in zip(fixed, axes):
        out, needs = OPS[op].size(n, q)
        if out < 1 or any(value < 0 for value, _ in needs):
            return None
        sizes.append(out)
    return tuple(sizes)


class Builder:
    """Collects a reader's layers in execution order and makes the :class:`Network`.

    ``layer`` adds a sized op, ``merge`` a merge, ``identity`` a pass-through; a pass-through that
    neither a merge nor an output reads is dropped and its readers read its input instead.
    """

    def __init__(self, source: str, ndim: int) -> None:
        self.source, self.ndim = source, ndim
        self.entries: list[list] = []  # name, op, inputs, axes, channels, kind, pass-through, weights
        self.taken = {INPUT}
        self.merged: set[str | None] = set()  # what merges read (None: a value whose size follows no input)

    def unique(self, wanted: str) -> str:
        wanted = str(wanted) or "node"
        name, count = wanted, 1
        while name in self.taken:
            count += 1
            name = f"{wanted}#{count}"
        self.taken.add(name)
        return name

    def layer(self, wanted: str, op: str, source: Value, axes, kind: str, channels: int | None = None,
              weights: dict | None = None) -> Value:
        axes = tuple(axes)
        why = invalid(op, axes)
        if why:  # before any size is computed from them (a stride of 0 divides by zero)
            raise invalid_model(self.source, wanted, kind, why)
        name = self.unique(wanted)
        self.entries.append([name, op, (source.node,), axes, channels, kind, False, weights])
        return Value(name, channels, fixed_size(op, source.fixed, axes))

    def merge(self, wanted: str, op: str, sources: list[Value], kind: str, channels: int | None = None) -> Value:
        name = self.unique(wanted)
        inputs = tuple(value.node for value in sources)
        self.merged.update(inputs)
        self.entries.append([name, op, inputs, ({},) * self.ndim, channels, kind, False, None])
        fixed = {value.fixed for value in sources}
        return Value(name, channels, fixed.pop() if len(fixed) == 1 else None)

    def identity(self, wanted: str, source: Value, kind: str, channels: int | None = None) -> Value:
        name = self.unique(wanted)
        self.entries.append([name, "identity", (source.node,), ({},) * self.ndim, channels, kind, True, None])
        return Value(name, channels, source.fixed)

    def network(self, name: str, outputs: list[str], channels: int | None = None, default_input=None) -> Network:
        keep = self.merged | set(outputs)
        alias: dict[str, str] = {}
        nodes = []
        for entry_name, op, inputs, axes, node_channels, kind, passing, weights in self.entries:
            inputs = tuple(alias.get(i, i) for i in inputs)
            if passing and entry_name not in keep:
                alias[entry_name] = inputs[0]
                continue
            nodes.append(Node(entry_name, op, inputs, axes, node_channels, kind, weights))
        if not nodes:
            raise ParameterError(f"{self.source} has no layer that changes or carries a spatial size, a network "
                                 f"needs at least one; {FOLLOWED}")
        outputs = list(dict.fromkeys(alias.get(o, o) for o in outputs if alias.get(o, o) != INPUT))
        return Network(name, self.ndim, nodes, outputs or None, channels, default_input, self.source)


def refuse(source: str, name: str, kind: str, why: str) -> ParameterError:
    """The one error for an op the size rules cannot follow: where, what, why, and what is followed."""
    return ParameterError(f"{source}: node {name!r} ({kind}) {why}; {FOLLOWED} - describe the network in a "
                          f"TOML spec (examples/networks/*.toml) if you need it")


def invalid_model(source: str, name: str, kind: str, why: str) -> ParameterError:
    """The one error for a layer its own framework refuses (a stride of 0, a kernel that contradicts its
    weight): the model is invalid, not merely beyond tconvcalc's size rules."""
    return ParameterError(f"{source}: node {name!r} ({kind}) {why}; the model is invalid (its framework refuses "
                          f"it too), fix that layer")


def unsupported(source: str, name: str, kind: str) -> ParameterError:
    return refuse(source, name, kind, "could change a spatial size and tconvcalc has no size rule for it")


def broadcast_ok(shape, rank: int, ndim: int) -> bool:
    """Whether a tensor of ``shape`` (None entries unknown) broadcasts against a rank-``rank`` activation
    without fixing a spatial size: aligned from the right, its entries on the spatial axes are all 1."""
    if shape is None or len(shape) > rank:
        return False
    return all(dim == 1 for dim in tuple(shape)[max(0, len(shape) - ndim):])


def ones(value: Value) -> bool:
    """A size-1 value on every spatial axis (a global pooling's): it broadcasts in elementwise ops."""
    return value.fixed is not None and all(n == 1 for n in value.fixed)


def merge_elementwise(builder: Builder, name: str, kind: str, operands: list[Value], rank: int, fail) -> Value:
    """An elementwise op over activations (constants already checked by the caller): the operands whose
    size follows the input must agree (a merge); size-1 operands broadcast; with one left it passes."""
    dynamic = list({v.node: v for v in operands if v.node is not None and not ones(v)}.values())
    static = [v for v in operands if v.node is None]
    for value in static:
        if dynamic and not broadcast_ok(value.shape, rank, builder.ndim):
            raise fail("combines the activation with a tensor whose shape tconvcalc cannot tell, so it cannot "
                       "say whether that tensor broadcasts or fixes a spatial size")
    channels = max((v.channels for v in operands if v.channels is not None), default=None)
    if len(dynamic) >= 2:
        return builder.merge(name, "add", dynamic, kind, channels)
    if len(dynamic) == 1:
        return builder.identity(name, dynamic[0], kind, channels)
    sized = [v for v in operands if v.node is not None]
    if len(sized) >= 2:
        return builder.merge(name, "add", sized, kind, channels)
    if sized:
        return builder.identity(name, sized[0], kind, channels)
    return Value(None, channels, shape=None)


def transposed_axes(framework: str, where: str, ndim: int, kernel, options: dict) -> list[dict]:
    """A framework's transposed layer, in its own parameters, as crop-model axes (k, s, d, crop).

    The framework's convention (:func:`tconvcalc.conventions.read_framework`) gives the crop at an input
    size; it is read at two sizes because a crop that moved with the input could not be one layer of the
    network (``same`` padding's crop does not move: its output is always s·n)."""
    from ...conventions import read_framework

    layers = []
    for n in (7, 12):
        try:
            layers.append(read_framework(framework, (n,) * ndim, kernel, ndim=ndim, **options).layer)
        except ParameterError as error:
            raise ParameterError(f"{where}: {error}") from None
    first, second = (layer.crop for layer in layers)
    if first != second:
        raise ParameterError(f"{where} crops {first} at input 7 but {second} at input 12, a crop that depends "
                             f"on the input size; tconvcalc sizes a layer whose crop is fixed")
    return [{"k": axis.k, "s": axis.s, "d": axis.d, "crop": tuple(first[a])}
            for a, axis in enumerate(layers[0].axes)]
