"""Keras models as networks, read from the ``config.json`` inside a ``.keras`` file with the standard
library only (TensorFlow and Keras are never imported).

Functional models (Keras 3's ``{"args": ..., "kwargs": ...}`` inbound nodes and Keras 2's nested lists),
Sequential models and models nested in models are read layer by layer: ``Conv{1,2,3}D`` (``valid``,
``same``, ``causal``; separable and depthwise too), ``Conv{1,2,3}DTranspose`` through
:func:`tconvcalc.conventions.read_framework` (Keras's own output length, ``output_padding`` or not),
max/average pooling (``valid``/``same``), global pooling, ``UpSampling{1,2,3}D``, ``Cropping{1,2,3}D``,
``ZeroPadding{1,2,3}D``, ``Concatenate`` along the channels, the merge layers (``Add``, ``Multiply``,
``Subtract``, ``Average``, ``Maximum``, ``Minimum``) and pass-through for activations, norms,
dropout and ``Dense`` on the channel axis.  Layer names are Keras's (a layer called twice gets ``#2``;
a nested model's layers are ``outer/inner``).
"""

from __future__ import annotations

import heapq
import json
import re
import zipfile
from pathlib import Path

from ...errors import ParameterError
from ...model.spec import check_at_least
from .base import Builder, Handlers, Reader, Value, merge_elementwise, per_axis, transposed_axes
from ..graph import INPUT, Network
from .spec_file import MAX_SPEC_BYTES

PASS = {
    "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "ThresholdedReLU", "BatchNormalization",
    "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise", "GaussianDropout",
    "AlphaDropout", "GroupNormalization", "UnitNormalization", "Rescaling", "Identity", "ActivityRegularization",
    "Masking", "LayerNormalization", "Normalization", "SyncBatchNormalization",
}
MERGES = {"Add", "Multiply", "Subtract", "Average", "Maximum", "Minimum"}
# Layers that can make a spatial size out of a tensor whose sizes tconvcalc no longer knows.
GROWING = {"UpSamplingD", "ConvDTranspose", "ConvolutionDTranspose", "ZeroPaddingD"}
MODELS = {"Functional", "Sequential", "Model"}
# The handler of each layer class, by its name with the axis count as D (Conv2D, Conv3D: "ConvD").
handles = Handlers("keras")


def load_keras(path) -> Network:
    """A network from a ``.keras`` file (its ``config.json``; the weights are not read)."""
    return from_keras_config(read_keras_config(path), str(path))


def read_member(path, name: str, limit: int, what: str) -> bytes:
    """The bytes of entry ``name`` of the ``.keras`` zip at ``path``, refused past ``limit`` bytes (as declared,
    and as inflated: a declared size can lie); ``what`` says in a sentence what the entry holds."""
    path = Path(path)
    if not path.is_file():
        why = "is a directory" if path.is_dir() else "does not exist"
        raise ParameterError(f"{path} {why}, a Keras model is a .keras file; check the path")
    try:
        with zipfile.ZipFile(path) as archive:
            size = archive.getinfo(name).file_size  # as the archive declares it, before inflating
            if size > limit:
                raise ParameterError(f"{path}: {name} would inflate to {size} bytes, more than the "
                                     f"{limit >> 20} MiB {what} takes; check the file")
            with archive.open(name) as member:
                data = member.read(limit + 1)
            if len(data) > limit:
                raise ParameterError(f"{path}: {name} inflates past {limit >> 20} MiB, more than {what} takes; "
                                     f"check the file")
    except zipfile.BadZipFile:
        raise ParameterError(f"{path} is not a zip archive, a .keras file is one (Keras 3's model.save); save "
                             f"the model again with model.save('model.keras')") from None
    except KeyError:
        raise ParameterError(f"{path} has no {name}, a .keras archive holds {what}; save the model again with "
                             f"model.save('model.keras')") from None
    return data


def read_keras_config(path) -> dict:
    """The parsed ``config.json`` of the ``.keras`` file at ``path``."""
    text = read_member(path, "config.json", MAX_SPEC_BYTES, "the model's config.json")
    try:
        return json.loads(text)
    except ValueError as error:
        raise ParameterError(f"{path}: config.json is not valid JSON ({error}); save the model again") from None
    except RecursionError:
        raise ParameterError(f"{path}: config.json nests deeper than the JSON parser follows, deeper than any "
                             f"model Keras saves; save the model again") from None


def from_keras_config(config: dict, source: str = "model.keras") -> Network:
    """A network from a Keras model config (``model.get_config()`` wrapped as saved, or the bare one)."""
    if not isinstance(config, dict) or config.get("class_name") not in MODELS or not isinstance(
            config.get("config"), dict):
        kind = config.get("class_name") if isinstance(config, dict) else type(config).__name__
        raise ParameterError(f"{source}: the config describes a {kind!r}, tconvcalc reads Functional and "
                             f"Sequential models; save a keras.Model or keras.Sequential")
    try:
        return _KerasReader(source).read(config)
    except ParameterError:
        raise
    except RecursionError:  # models nested in models, each a level of the reader's recursion
        raise ParameterError(f"{source}: models are nested in models deeper than tconvcalc follows (about a "
                             f"thousand levels), deeper than any model Keras builds; flatten the nesting") from None
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as error:
        # a field missing or of the wrong type where Keras always writes one (the reader's own checks name
        # what they know; this is what a damaged or hand-edited config.json leaves)
        raise ParameterError(f"{source}: the config is damaged ({type(error).__name__}: {error}), it does not "
                             f"have the layout Keras saves; save the model again with model.save") from None


def _history(item):
    """A Keras 3 serialized tensor's (layer, node, tensor) or None."""
    if isinstance(item, dict) and item.get("class_name") == "__keras_tensor__":
        layer, node, tensor = item["config"]["keras_history"]
        return layer, node, tensor
    return None


def _tensors(structure) -> list:
    """Every tensor reference in a call's arguments, in order: Keras 3 dicts or Keras 2 lists."""
    if isinstance(structure, dict):
        found = _history(structure)
        if found:
            return [found]
        if "args" in structure:
            return _tensors(structure["args"])
        return []
    if isinstance(structure, (list, tuple)):
        if len(structure) >= 3 and isinstance(structure[0], str) and isinstance(structure[1], int):
            return [tuple(structure[:3])]  # Keras 2: [layer, node, tensor, kwargs]
        return [t for item in structure for t in _tensors(item)]
    return []


def _layer_refs(value) -> list:
    """``input_layers``/``output_layers``: one [name, node, tensor] or a list of them."""
    if not value:
        return []
    if isinstance(value[0], str):
        return [tuple(value[:3])]
    return [tuple(v[:3]) for v in value]


class _KerasReader(Reader):
    # set by read from the model's input before any layer is read
    builder: Builder
    ndim: int

    def __init__(self, source: str) -> None:
        self.source = source
        self.channels_last = True
        self.network_channels: int | None = None
        self.default_input: tuple | None = None

    # - the top level
    def read(self, config: dict) -> Network:
        shape = self._input_shape(config)
        if shape is None or not 3 <= len(shape) <= 5:
            rank = "unknown" if shape is None else len(shape)
            raise ParameterError(f"{self.source}: the model's input has rank {rank}, tconvcalc reads image inputs "
                                 f"(batch, *spatial, channels) with 1 to 3 spatial axes; give the model an Input "
                                 f"with a shape")
        self.ndim = len(shape) - 2
        formats = re.findall(r'"data_format": "(channels_\w+)"', json.dumps(config))
        self.channels_last = (formats[0] if formats else "channels_last") == "channels_last"
        if len(set(formats)) > 1:
            raise ParameterError(f"{self.source} mixes channels_last and channels_first layers, tconvcalc reads one "
                                 f"layout; use one data_format")
        spatial = list(shape[1:-1]) if self.channels_last else list(shape[2:])
        channel = shape[-1] if self.channels_last else shape[1]
        self.network_channels = channel if isinstance(channel, int) else None
        if all(isinstance(n, int) and n > 0 for n in spatial):
            self.default_input = tuple(spatial)
        self.builder = Builder(self.source, self.ndim)
        outputs = self.model(config, [Value(INPUT, self.network_channels)], "")
        name = config["config"].get("name") or Path(self.source).stem
        return self.builder.network(name, [v.node for v in outputs if v.node is not None], self.network_channels,
                                    self.default_input)

    def _input_shape(self, config: dict):
        body = config["config"]
        for layer in body.get("layers", []):
            inner = layer.get("config", {})
            for key in ("batch_shape", "batch_input_shape"):
                if inner.get(key) is not None:
                    return inner[key]
            if layer.get("class_name") in MODELS:
                found = self._input_shape(layer)
                if found is not None:
                    return found
            if config["class_name"] == "Sequential":
                break
        shape = body.get("build_input_shape") or (config.get("build_config") or {}).get("input_shape")
        return shape

    # - models
    def model(self, config: dict, inputs: list[Value], prefix: str) -> list[Value]:
        if config.get("class_name") == "Sequential":
            return self.sequential(config["config"], inputs, prefix)
        return self.functional(config["config"], inputs, prefix)

    def sequential(self, body: dict, inputs: list[Value], prefix: str) -> list[Value]:
        if len(inputs) != 1:
            raise ParameterError(f"{self.source}: Sequential {body.get('name')!r} is called with {len(inputs)} "
                                 f"inputs, a Sequential model takes one")
        value = inputs[0]
        for layer in body.get("layers", []):
            if layer.get("class_name") == "InputLayer":
                continue
            name = prefix + str(layer.get("name") or layer.get("config", {}).get("name") or "layer")
            outputs = self.call(layer, name, [value])
            if len(outputs) != 1:
                raise self.fail(name, layer.get("class_name"), "returns several tensors inside a Sequential model")
            value = outputs[0]
        return [value]

    def functional(self, body: dict, inputs: list[Value], prefix: str) -> list[Value]:
        layers = body.get("layers", [])
        by_name = {layer.get("name") or layer.get("config", {}).get("name"): layer for layer in layers}
        input_refs = _layer_refs(body.get("input_layers"))
        if len(input_refs) != len(inputs):
            raise ParameterError(f"{self.source}: model {body.get('name')!r} has {len(input_refs)} inputs, "
                                 f"tconvcalc follows networks with one image input; give the model one Input")
        tensors: dict = {}
        for ref, value in zip(input_refs, inputs):
            tensors[ref] = value
        pending = []  # (layer, call index, the tensors it reads)
        for layer in layers:
            name = layer.get("name") or layer.get("config", {}).get("name")
            if layer.get("class_name") == "InputLayer":
                if (name, 0, 0) not in tensors:
                    raise ParameterError(f"{self.source}: input layer {name!r} is not the model's input, tconvcalc "
                                         f"follows networks with one image input")
                continue
            for index, call in enumerate(layer.get("inbound_nodes", [])):
                pending.append((layer, index, _tensors(call)))
        for layer, index, reads in pending:
            for ref in reads:
                if ref[0] not in by_name:
                    raise ParameterError(f"{self.source}: layer {layer.get('name')!r} reads {ref[0]!r}, which is "
                                         f"not a layer of the model; the config is damaged, save the model again")
        # calls in dependency order, each made once all it reads exists (linear in the calls: Kahn's order)
        waiting: dict = {}  # a tensor not yet made -> the calls that read it
        missing = []
        ready = []
        for item in pending:
            absent = {ref for ref in item[2] if ref not in tensors}
            missing.append(len(absent))
            for ref in absent:
                waiting.setdefault(ref, []).append(len(missing) - 1)
            if not absent:
                ready.append(len(missing) - 1)
        done = 0
        while ready:
            layer, index, reads = pending[heapq.heappop(ready)]
            done += 1
            name = prefix + str(layer.get("name"))
            outputs = self.call(layer, name, [tensors[ref] for ref in reads])
            for position, value in enumerate(outputs):
                ref = (layer.get("name"), index, position)
                if ref in tensors:
                    continue
                tensors[ref] = value
                for reader in waiting.pop(ref, ()):
                    missing[reader] -= 1
                    if not missing[reader]:
                        heapq.heappush(ready, reader)  # the config's order among the calls ready
        if done < len(pending):
            raise self._stuck([item for item, count in zip(pending, missing) if count], tensors)
        found = []
        for ref in _layer_refs(body.get("output_layers")):
            if ref not in tensors:
                raise ParameterError(f"{self.source}: output {ref[0]!r} is never computed; the config is damaged, "
                                     f"save the model again")
            found.append(tensors[ref])
        return found

    def _stuck(self, stuck: list, tensors: dict) -> ParameterError:
        """Why these calls cannot run: one reads a call the model never makes, or they read each other in a
        cycle (every tensor they miss is one of theirs)."""
        calls = {(layer.get("name"), index) for layer, index, refs in stuck}
        for layer, index, refs in stuck:
            for ref in refs:
                if ref not in tensors and tuple(ref[:2]) not in calls:
                    return ParameterError(f"{self.source}: a layer reads call {ref[1]} of {ref[0]!r} (output "
                                          f"{ref[2]}), which the model never makes; the config is damaged, save "
                                          f"the model again")
        # follow missing reads from the first stuck call until a call repeats: the calls since then are a cycle
        reads = {(layer.get("name"), index): [tuple(ref[:2]) for ref in refs if ref not in tensors]
                 for layer, index, refs in stuck}
        order = {call: position for position, call in enumerate(reads)}
        path: list[tuple] = []
        seen: dict[tuple, int] = {}
        call = next(iter(reads))
        while call not in seen:
            seen[call] = len(path)
            path.append(call)
            call = next(c for c in reads[call] if c in reads)
        cycle = sorted(path[seen[call]:], key=order.__getitem__)
        names = list(dict.fromkeys(str(name) for name, index in cycle))
        shown = ", ".join(names[:20]) + (f" and {len(names) - 20} more" if len(names) > 20 else "")
        return ParameterError(f"{self.source}: layers {shown} read each other in a cycle, a model's layers read "
                              f"earlier ones; fix the model")

    # - layers
    def call(self, layer: dict, name: str, inputs: list[Value]) -> list[Value]:
        kind = str(layer.get("class_name"))
        config = layer.get("config", {})
        if kind in MODELS:
            return self.model(layer, inputs, name + "/")
        if not inputs:
            raise self.fail(name, kind, "reads no tensor")
        if kind in MERGES:
            return [self.elementwise(name, kind, inputs)]
        if kind == "Concatenate":
            return [self.concatenate(name, kind, config, inputs)]
        if len(inputs) != 1:
            raise self.fail(name, kind, f"reads {len(inputs)} tensors, tconvcalc follows it with one")
        source = inputs[0]
        if source.node is None:
            if re.sub(r"[123]D", "D", kind) in GROWING:
                raise self.fail(name, kind, "gives a tensor whose size no longer follows the input (after a "
                                            "global pooling and a reshape) a spatial size again, which tconvcalc "
                                            "cannot follow")
            return [self.static(name, kind, config, source)]
        handler = handles.find(re.sub(r"[123]D", "D", kind))
        if handler is not None:
            return [handler(self, name, kind, config, source)]
        if kind in PASS:
            if kind == "LayerNormalization" and not self._channel_axes(config.get("axis", -1)):
                raise self.fail(name, kind, f"normalizes over axis {config.get('axis')}, which fixes a spatial size")
            return [self.builder.identity(name, source, kind, source.channels)]
        if kind == "Dense":
            if not self.channels_last:
                raise self.fail(name, kind, "acts on the last axis, a spatial one with channels_first, which fixes "
                                            "its size")
            return [self.builder.identity(name, source, kind, config.get("units"))]
        if not source.dynamic:
            return [self.static(name, kind, config, source)]
        raise self.fail(name, kind, "could change a spatial size and tconvcalc has no size rule for it")

    def _channel_axes(self, axis) -> bool:
        axes = axis if isinstance(axis, list) else [axis]
        rank = self.ndim + 2
        channel = rank - 1 if self.channels_last else 1
        return all(a % rank == channel for a in axes)

    def static(self, name: str, kind: str, config: dict, source: Value) -> Value:
        """A layer on a tensor whose size no longer follows the input: no layer, a shape when it is known."""
        shape = source.shape
        if kind == "Reshape":
            target = list(config.get("target_shape", ()))
            shape = (None,) + tuple(target)
            if self.channels_last and len(shape) >= 3:
                shape = (shape[0], shape[-1]) + shape[1:-1]
        elif kind == "Dense" and shape is not None:
            shape = shape[:1] + (config.get("units"),) + shape[2:] if len(shape) > 2 else shape[:-1] + (
                config.get("units"),)
        elif kind not in PASS:
            shape = None
        return Value(None, source.channels, shape=shape)

    def per_axis(self, name: str, kind: str, field: str, value, default=None) -> list:
        if value is None:
            value = default
        values = per_axis(value, self.ndim)
        if values is None:
            raise self.fail(name, kind, f"has {field}={value!r}, not one value per spatial axis ({self.ndim})")
        return [self.checked(name, kind, field, v, 1) for v in values]

    def checked(self, name: str, kind: str, field: str, value, low: int) -> int:
        """A whole number ≥ ``low`` from the config (JSON may hold 2.5, true, "a", NaN): the model's check,
        said of this layer."""
        try:
            return check_at_least(field, value, low)
        except ParameterError as error:
            raise ParameterError(f"{self.source}: layer {name!r} ({kind}): {error}") from None

    @handles("ConvD", "ConvolutionD", "SeparableConvD", "SeparableConvolutionD", "DepthwiseConvD")
    def conv(self, name: str, kind: str, config: dict, source: Value) -> Value:
        k = self.per_axis(name, kind, "kernel_size", config.get("kernel_size"))
        s = self.per_axis(name, kind, "strides", config.get("strides"), 1)
        d = self.per_axis(name, kind, "dilation_rate", config.get("dilation_rate"), 1)
        padding = str(config.get("padding", "valid")).lower()
        if padding not in ("valid", "same", "causal"):
            raise self.fail(name, kind, f"has padding={padding!r}, Keras's are 'valid', 'same' and 'causal'")
        if padding == "causal" and (self.ndim != 1 or not kind.startswith("Conv")):
            raise self.bad(name, kind, "has padding='causal', which Keras allows only on "
                                                         "Conv1D (its standardize_padding refuses it elsewhere)")
        pads = [(d[a] * (k[a] - 1), 0) if padding == "causal" else (0, 0) for a in range(self.ndim)]
        axes = [{"k": k[a], "s": s[a], "d": d[a], "pad": pads[a], "same": padding == "same"}
                for a in range(self.ndim)]
        channels = config.get("filters")
        weights = {"groups": config.get("groups", 1), "bias": bool(config.get("use_bias", True))}
        if kind.startswith(("DepthwiseConv", "SeparableConv")):  # one filter per input channel (and a 1×1 after)
            weights = {"depthwise": True, "depth_multiplier": config.get("depth_multiplier", 1),
                       "pointwise": kind.startswith("SeparableConv"), "bias": weights["bias"]}
        if kind.startswith("DepthwiseConv") and source.channels is not None:
            channels = source.channels * config.get("depth_multiplier", 1)
        return self.builder.layer(name, "conv", source, axes, kind, channels, weights)


    @handles("ConvDTranspose", "ConvolutionDTranspose")
    def conv_transpose(self, name: str, kind: str, config: dict, source: Value) -> Value:
        k = self.per_axis(name, kind, "kernel_size", config.get("kernel_size"))
        options = {"strides": config.get("strides") or 1, "padding": config.get("padding", "valid"),
                   "dilation_rate": config.get("dilation_rate") or 1}
        if config.get("output_padding") is not None:
            options["output_padding"] = config["output_padding"]
        axes = transposed_axes("keras", f"{self.source}: layer {name!r} ({kind})", self.ndim, k, options)
        return self.builder.layer(name, "conv_transpose", source, axes, kind, config.get("filters"),
                                  {"groups": 1, "bias": bool(config.get("use_bias", True))})


    def _pool(self, name: str, kind: str, config: dict, source: Value, op: str) -> Value:
        k = self.per_axis(name, kind, "pool_size", config.get("pool_size"), 2)
        s = self.per_axis(name, kind, "strides", config.get("strides"), k)
        padding = str(config.get("padding", "valid")).lower()
        if padding not in ("valid", "same"):
            raise self.fail(name, kind, f"has padding={padding!r}, Keras's are 'valid' and 'same'")
        axes = [{"k": k[a], "s": s[a], "d": 1, "pad": (0, 0), "ceil": False, "same": padding == "same"}
                for a in range(self.ndim)]
        return self.builder.layer(name, op, source, axes, kind, source.channels)

    @handles("MaxPoolingD", "MaxPoolD")
    def max_pooling(self, name, kind, config, source) -> Value:
        return self._pool(name, kind, config, source, "max_pool")

    @handles("AveragePoolingD", "AvgPoolD")
    def average_pooling(self, name, kind, config, source) -> Value:
        return self._pool(name, kind, config, source, "avg_pool")

    @handles("GlobalPooling", "GlobalAveragePoolingD", "GlobalMaxPoolingD", "GlobalAvgPoolD", "GlobalMaxPoolD")
    def global_pooling(self, name: str, kind: str, config: dict, source: Value) -> Value:
        pooled = self.builder.layer(name, "adaptive_pool", source, [{"size": 1}] * self.ndim, kind, source.channels)
        if config.get("keepdims"):
            return pooled
        return Value(None, source.channels, shape=(None, source.channels))


    @handles("UpSamplingD")
    def up_sampling(self, name: str, kind: str, config: dict, source: Value) -> Value:
        r = self.per_axis(name, kind, "size", config.get("size"), 2)
        if not all(isinstance(v, int) and v >= 1 for v in r):
            raise self.fail(name, kind, f"has size={config.get('size')!r}, UpSampling takes integer factors ≥ 1")
        return self.builder.layer(name, "upsample", source, [{"r": v} for v in r], kind, source.channels)

    def _pairs(self, name: str, kind: str, field: str, value) -> list[tuple[int, int]]:
        """Keras's cropping/padding: an int, one int per axis, or a (before, after) pair per axis (1-D: one pair),
        each a whole number ≥ 0."""
        pairs = self._pair_shape(name, kind, field, value)
        return [(self.checked(name, kind, field, b, 0), self.checked(name, kind, field, e, 0)) for b, e in pairs]

    def _pair_shape(self, name: str, kind: str, field: str, value) -> list[tuple]:
        if not isinstance(value, (list, tuple)):  # one number for every side (checked by the caller)
            return [(value, value)] * self.ndim
        value = list(value)
        if self.ndim == 1 and len(value) == 2 and all(isinstance(v, int) for v in value):
            return [tuple(value)]
        if len(value) == self.ndim and all(isinstance(v, int) for v in value):
            return [(v, v) for v in value]
        if len(value) == self.ndim and all(isinstance(v, (list, tuple)) and len(v) == 2 for v in value):
            return [tuple(v) for v in value]
        raise self.fail(name, kind, f"has {field}={value!r}, not an int, one int per axis or one pair per axis")

    @handles("CroppingD")
    def cropping(self, name: str, kind: str, config: dict, source: Value) -> Value:
        pairs = self._pairs(name, kind, "cropping", config.get("cropping", 1))
        return self.builder.layer(name, "pad", source, [{"pad": (-b, -e)} for b, e in pairs], kind, source.channels)

    @handles("ZeroPaddingD")
    def zero_padding(self, name: str, kind: str, config: dict, source: Value) -> Value:
        pairs = self._pairs(name, kind, "padding", config.get("padding", 1))
        return self.builder.layer(name, "pad", source, [{"pad": (b, e)} for b, e in pairs], kind, source.channels)

    def concatenate(self, name: str, kind: str, config: dict, inputs: list[Value]) -> Value:
        axis = config.get("axis", -1)
        rank = self.ndim + 2
        if not isinstance(axis, int) or not -rank <= axis < rank:
            raise self.fail(name, kind, f"concatenates along axis={axis!r}, not an axis of a {rank}-D tensor")
        axis %= rank
        channel = rank - 1 if self.channels_last else 1
        if axis not in (0, channel):
            spatial = axis - 1 if self.channels_last else axis - 2
            raise self.fail(name, kind, f"concatenates along spatial axis {spatial}, tconvcalc follows "
                                        f"concatenation along the channels (axis={-1 if self.channels_last else 1})")
        if any(v.node is None for v in inputs):
            if all(v.node is None for v in inputs):
                return Value(None)
            raise self.fail(name, kind, "concatenates a tensor whose sizes follow the input with one whose do not")
        channels = None
        known = [v.channels for v in inputs if v.channels is not None]
        if axis == channel and len(known) == len(inputs):
            channels = sum(known)
        elif axis == 0:
            channels = inputs[0].channels
        return self.builder.merge(name, "concat", inputs, kind, channels)

    def elementwise(self, name: str, kind: str, inputs: list[Value]) -> Value:
        return merge_elementwise(self.builder, name, kind, inputs, self.ndim + 2,
                                 lambda why: self.fail(name, kind, why))
