"""The network spec: TOML or JSON, one ``[[layers]]`` table per layer in execution order.

It extends ``mirror``'s encoder spec (which it also reads): a layer has a ``name``, an ``op``
(default ``conv``), the ``inputs`` it reads (default the layer before, or the network's
``input``), PyTorch's parameter names, and optionally its output ``channels``.  Every error names
the file, the layer and the field.

>>> net = parse_network('''
... ndim = 1
... [[layers]]
... name = "down"
... kernel_size = 3
... stride = 2
... padding = 1
... [[layers]]
... name = "up"
... op = "conv_transpose"
... kernel_size = 3
... stride = 2
... padding = 1
... output_padding = 1
... [[layers]]
... name = "merge"
... op = "add"
... inputs = ["input", "up"]
... ''')
>>> [(node.name, node.op, node.text()) for node in net.nodes]
[('down', 'conv', 'k3 s2 p1'), ('up', 'conv_transpose', 'k3 s2 crop 1,0'), ('merge', 'add', '')]
"""

from __future__ import annotations

import json
from pathlib import Path

from ...errors import ParameterError
from ...model.spec import broadcast, check_at_least, check_int, op_limit
from ..graph import INPUT, Network, Node
from ..ops import ALIASES, carried_channels

# The spec's short names (as in mirror's encoder spec) for PyTorch's.
SHORT = {"k": "kernel_size", "s": "stride", "p": "padding", "d": "dilation", "c": "channels"}
COMMON = {"name", "op", "inputs", "channels"}
# The fields each op takes besides the common ones, with their defaults (None: required).
FIELDS: dict[str, dict[str, object]] = {
    "conv": {"kernel_size": None, "stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": True},
    "conv_transpose": {"kernel_size": None, "stride": 1, "padding": 0, "output_padding": 0, "dilation": 1,
                       "groups": 1, "bias": True, "crop": None},
    "max_pool": {"kernel_size": None, "stride": None, "padding": 0, "dilation": 1, "ceil_mode": False},
    "avg_pool": {"kernel_size": None, "stride": None, "padding": 0, "ceil_mode": False},
    "upsample": {"scale_factor": None, "mode": "nearest"},
    "pixel_shuffle": {"upscale_factor": None},
    "pixel_unshuffle": {"downscale_factor": None},
    "pad": {"padding": None},
    "crop": {"crop": None},
    "adaptive_pool": {"output_size": None},
    "identity": {}, "concat": {}, "add": {},
}
TOP = {"name", "ndim", "channels", "input", "input_size", "layers", "outputs"}


class _Where:
    """The file and the layer an error is about."""

    def __init__(self, source: str, where: str) -> None:
        self.source, self.where = source, where

    def fail(self, message: str) -> ParameterError:
        return ParameterError(f"{self.source}, {self.where}: {message}")

    def per_axis(self, field: str, value, ndim: int, low: int | None = None) -> tuple[int, ...]:
        try:
            values = broadcast(ndim, **{field: value})[1][field]
            return tuple(check_at_least(field, v, low) for v in values) if low is not None else values
        except ParameterError as error:
            raise self.fail(str(error)) from None

    def pairs(self, field: str, value, ndim: int) -> tuple[tuple[int, int], ...]:
        """``(before, after)`` per axis: an int or a per-axis list (both ends), or a list of pairs."""
        if isinstance(value, (list, tuple)) and value and all(isinstance(v, (list, tuple)) for v in value):
            if len(value) not in (1, ndim) or any(len(v) != 2 for v in value):
                raise self.fail(f"{field}={value!r} is not one [before, after] pair per axis ({ndim}); write "
                                f"e.g. {[[1, 0]] * ndim}")
            try:
                pairs = tuple((check_int(field, b), check_int(field, e)) for b, e in value)
            except ParameterError as error:
                raise self.fail(str(error)) from None
            return pairs * ndim if len(pairs) == 1 else pairs
        return tuple((v, v) for v in self.per_axis(field, value, ndim))


def parse_document(text: str, source: str, format: str) -> dict:
    """The spec's table from TOML or JSON text; syntax errors name the position."""
    try:
        if format == "json":
            data = json.loads(text)
        else:
            import tomllib

            data = tomllib.loads(text)
    except ValueError as error:  # JSONDecodeError and TOMLDecodeError are both ValueErrors
        raise ParameterError(f"{source} is not valid {format.upper()} ({error}), a spec must parse; fix the "
                             f"syntax at that position") from None
    except RecursionError:  # the parsers recurse once per nested array or table
        raise ParameterError(f"{source} nests arrays or tables deeper than the parser follows (about a thousand "
                             f"levels), a spec is a flat list of layers; remove the nesting") from None
    if not isinstance(data, dict):
        raise ParameterError(f"{source} holds a {type(data).__name__}, a spec is a table with 'layers'; see "
                             f"examples/unet_encoder.toml")
    return data


#: A spec lists layers: even a 100,000-layer one is a few MiB.  A larger file (a model's weights, a device like
#: /dev/zero) is refused after reading one byte past this, not read whole.
MAX_SPEC_BYTES = 16 << 20


def read_text(path: str | Path) -> str:
    path = Path(path)
    try:
        with path.open("rb") as file:
            data = file.read(MAX_SPEC_BYTES + 1)
    except IsADirectoryError:
        raise ParameterError(f"{path} is a directory, a spec is a TOML or JSON file; name the file") from None
    except OSError as error:
        raise ParameterError(f"cannot read {path} ({error.strerror}), the spec must be a readable file; check "
                             f"the path") from None
    if len(data) > MAX_SPEC_BYTES:
        raise ParameterError(f"{path} is larger than {MAX_SPEC_BYTES >> 20} MiB, a spec lists layers in far less; "
                             f"check that it is the spec (a model's weights go in .onnx or .keras files)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ParameterError(f"{path} is not UTF-8 text (byte {error.object[error.start]:#04x} at offset "
                             f"{error.start}), TOML and JSON specs are UTF-8; save the file as UTF-8") from None


def load_network(path: str | Path) -> Network:
    """A network from a ``.toml`` or ``.json`` spec file."""
    path = Path(path)
    return parse_network(read_text(path), str(path), "json" if path.suffix.lower() == ".json" else "toml")


def parse_network(text: str, source: str = "spec", format: str = "toml") -> Network:
    data = parse_document(text, source, format)
    top = _Where(source, "top level")
    unknown = sorted(set(data) - TOP)
    if unknown:
        raise top.fail(f"unknown field(s) {', '.join(unknown)}, the top-level fields are {', '.join(sorted(TOP))}; "
                       f"remove or rename them")
    size = data.get("input", data.get("input_size"))
    if "ndim" in data:
        try:
            ndim = check_at_least("ndim", data["ndim"], 1)
        except ParameterError as error:
            raise top.fail(str(error)) from None
    elif size is not None:
        ndim = len(size) if isinstance(size, (list, tuple)) else 1
    else:
        raise top.fail("neither 'ndim' nor 'input' is given, the spec must say how many spatial axes it has; "
                       "add e.g. ndim = 2")
    if not 1 <= ndim <= 3:
        raise top.fail(f"ndim={ndim}, networks have 1 to 3 spatial axes (Conv1d/2d/3d); give 1 to 3")
    default_input = None if size is None else top.per_axis("input", size, ndim, 1)
    channels = _channels(top, data.get("channels"))
    layers = data.get("layers")
    if not isinstance(layers, list) or not layers:
        raise top.fail("'layers' must be a non-empty list of layers; add [[layers]] tables with kernel_size, "
                       "stride, padding")
    nodes, previous, known = [], INPUT, {INPUT: channels}
    for number, entry in enumerate(layers, 1):
        node = _node(source, number, entry, ndim, previous)
        if node.channels is None:  # a pooling, a merge: what its inputs have, as the model readers carry it
            node = node._replace(channels=carried_channels(node.op, node.axes, [known.get(i) for i in node.inputs]))
        known[node.name] = node.channels
        nodes.append(node)
        previous = node.name
    outputs = data.get("outputs")
    if outputs is not None and (not isinstance(outputs, list) or not all(isinstance(o, str) for o in outputs)):
        raise top.fail(f"outputs={outputs!r} is not a list of layer names; write e.g. outputs = [\"out\"]")
    return Network(str(data.get("name", Path(source).stem)), ndim, nodes, outputs, channels, default_input, source)


def _channels(where: _Where, value) -> int | None:
    try:
        return None if value is None else check_at_least("channels", value, 1)
    except ParameterError as error:
        raise where.fail(str(error)) from None


def _node(source: str, number: int, entry, ndim: int, previous: str) -> Node:
    name = entry.get("name", f"layer{number}") if isinstance(entry, dict) else f"layer{number}"
    here = _Where(source, f"layer {number} ({name})")
    if not isinstance(entry, dict):
        raise here.fail(f"is a {type(entry).__name__}, each layer is a table; write it as [[layers]] with "
                        f"kernel_size = 3")
    values: dict[str, object] = {SHORT[key] if key in SHORT else key: value for key, value in entry.items()}
    kind = str(values.get("op", "conv")).strip().lower()
    kind = ALIASES.get(kind, kind) if kind != "crop" else kind
    if kind not in FIELDS:
        raise here.fail(f"op {values.get('op')!r} is unknown, the ops are {', '.join(FIELDS)}; use one of those")
    fields = FIELDS[kind]
    unknown = sorted(set(values) - COMMON - set(fields))
    if unknown:
        raise here.fail(f"unknown field(s) {', '.join(unknown)} for {kind}, it takes "
                        f"{', '.join(sorted(set(fields) | COMMON))}; remove or rename them")
    missing = [field for field, default in fields.items() if default is None and field not in values
               and not (kind == "conv_transpose" and field == "crop")
               and not (field == "stride" and kind.endswith("pool"))]
    if missing:
        raise here.fail(f"the field '{missing[0]}' is missing, {kind} needs it; add it, e.g. {missing[0]} = 2")
    given = {field: values.get(field, default) for field, default in fields.items()}
    inputs = values.get("inputs", [previous])
    if isinstance(inputs, str):
        inputs = [inputs]
    if not isinstance(inputs, list) or not all(isinstance(i, str) for i in inputs):
        raise here.fail(f"inputs={inputs!r} is not a list of layer names; write e.g. inputs = [\"enc1\", \"up1\"]")
    op = "pad" if kind == "crop" else kind
    axes = _axes(here, kind, given, ndim)
    return Node(str(name), op, tuple(inputs), axes, _channels(here, values.get("channels")), kind,
                _weights(here, given) if "groups" in fields else None)


def _weights(here: _Where, given: dict) -> dict:
    """A convolution's groups and bias, for its cost (PyTorch's defaults: one group, a bias)."""
    try:
        groups = check_at_least("groups", given["groups"], 1)
    except ParameterError as error:
        raise here.fail(str(error)) from None
    if not isinstance(given["bias"], bool):
        raise here.fail(f"bias={given['bias']!r} is not true or false, bias says whether the layer adds one; "
                        f"write bias = false or leave it out")
    return {"groups": groups, "bias": given["bias"]}


def _axes(here: _Where, kind: str, given: dict, ndim: int) -> tuple[dict, ...]:
    """Each axis's parameters as :mod:`.ops` reads them."""
    if kind in ("identity", "concat", "add"):
        return ({},) * ndim
    if kind in ("upsample", "pixel_shuffle", "pixel_unshuffle"):
        field = {"upsample": "scale_factor", "pixel_shuffle": "upscale_factor",
                 "pixel_unshuffle": "downscale_factor"}[kind]
        return tuple({"r": r} for r in here.per_axis(field, given[field], ndim, 1))
    if kind in ("pad", "crop"):
        sign = -1 if kind == "crop" else 1
        return tuple({"pad": (sign * b, sign * e)}
                     for b, e in here.pairs(kind if kind == "crop" else "padding",
                                            given["crop" if kind == "crop" else "padding"], ndim))
    if kind == "adaptive_pool":
        return tuple({"size": n} for n in here.per_axis("output_size", given["output_size"], ndim, 1))
    k = here.per_axis("kernel_size", given["kernel_size"], ndim, 1)
    if "groups" in given:  # not a size, but PyTorch refuses the layer without it
        here.per_axis("groups", given["groups"], 1, 1)
    s = here.per_axis("stride", k if given.get("stride") is None else given["stride"], ndim, 1)
    d = here.per_axis("dilation", given.get("dilation", 1), ndim, 1)
    if kind == "conv_transpose":
        if given["crop"] is not None:
            crops = here.pairs("crop", given["crop"], ndim)
        else:
            p = here.per_axis("padding", given["padding"], ndim, 0)
            op = here.per_axis("output_padding", given["output_padding"], ndim, 0)
            for axis, (o, s_, d_) in enumerate(zip(op, s, d)):
                if o >= op_limit(s_, d_):
                    raise here.fail(f"output_padding={o} on axis {axis} is not below max(stride, dilation)="
                                    f"{op_limit(s_, d_)}, PyTorch's rule; use output_padding 0..{op_limit(s_, d_) - 1}")
            crops = tuple((p_, p_ - o) for p_, o in zip(p, op))
        return tuple({"k": k[a], "s": s[a], "d": d[a], "crop": crops[a]} for a in range(ndim))
    padding = given["padding"]
    same = isinstance(padding, str) and padding.strip().lower() == "same"
    if isinstance(padding, str) and not same:
        if padding.strip().lower() != "valid":
            raise here.fail(f"padding={padding!r} is not a size, 'same' or 'valid'; use one of those")
        padding = 0
    pads = ((0, 0),) * ndim if same else here.pairs("padding", padding, ndim)
    axes: tuple[dict, ...] = tuple({"k": k[a], "s": s[a], "d": d[a], "pad": pads[a], "same": same} for a in range(ndim))
    if kind.endswith("pool"):
        ceil = given.get("ceil_mode")
        if not isinstance(ceil, bool):  # bool("false") is True: a string is refused, never guessed
            raise here.fail(f"ceil_mode={ceil!r} is not a boolean, PyTorch's ceil_mode is true or false; write "
                            f"ceil_mode = true or ceil_mode = false (no quotes)")
        for a, q in enumerate(axes):
            q["ceil"] = ceil
            if not same and max(q["pad"]) > q["k"] // 2:
                raise here.fail(f"padding {max(q['pad'])} on axis {a} is more than half the pooling window "
                                f"{q['k']}, PyTorch's rule for pooling; use padding ≤ {q['k'] // 2}")
    return axes
