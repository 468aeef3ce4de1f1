"""ONNX models as networks: every node that can change a spatial size, read from its attributes and
constant inputs (the ``onnx`` package, imported when a model is read).

Sizes follow the runtime's rules (checked against onnxruntime in the tests): ``Conv`` and the
poolings with ``pads``/``auto_pad``/``ceil_mode``/``dilations``, ``ConvTranspose`` through
:func:`tconvcalc.conventions.read_framework` (its crop must not depend on the input size; with
``output_shape`` the size is fixed), ``Resize``/``Upsample`` with constant integer scales (or
constant sizes), ``DepthToSpace``/``SpaceToDepth``, ``Pad`` and ``Slice`` with constant bounds,
``Concat`` along the channels, elementwise merges, and pass-through for activations, norms and
casts.  Helper subgraphs of constants are folded; anything else that touches a size-dependent
tensor is refused by name.

What the three readers share (:class:`~tconvcalc.network.readers.base.Builder` and friends) is in
:mod:`tconvcalc.network.readers.base`.
"""

from __future__ import annotations

import gc
import math
from pathlib import Path

from ...errors import NotInstalledError, ParameterError
from .base import (Builder, Handlers, Reader, Value, broadcast_ok, merge_elementwise, transposed_axes,
                    unsupported)
from ..graph import INPUT, Network

INSTALL = "python -m pip install 'tconvcalc[onnx]' (in a checkout: python -m pip install '.[onnx]')"
handles = Handlers("onnx")  # the handler of each ONNX op type the size rules follow
BIG_END = 2 ** 31 - 1  # a Slice end at or beyond this means "to the end" (exporters write INT32/INT64 max)

PASS = {
    "Relu", "LeakyRelu", "PRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Elu", "Selu", "Celu", "Gelu",
    "Erf", "Softplus", "Softsign", "Mish", "ThresholdedRelu", "Swish", "Abs", "Neg", "Exp", "Log", "Sqrt",
    "Reciprocal", "Floor", "Ceil", "Round", "Sign", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh",
    "Cosh", "Asinh", "Acosh", "Atanh", "Not", "IsNaN", "IsInf", "Clip", "Cast", "CastLike", "Identity",
    "Dropout", "BatchNormalization", "InstanceNormalization", "LpNormalization", "LRN",
    "MeanVarianceNormalization", "GroupNormalization", "Softmax", "LogSoftmax", "Hardmax", "Shrink",
    "QuantizeLinear", "DequantizeLinear", "BitwiseNot",
}
ELEMENTWISE = {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Mean", "Sum", "Where", "Equal", "Greater",
               "GreaterOrEqual", "Less", "LessOrEqual", "And", "Or", "Xor", "Mod", "BitShift", "BitwiseAnd",
               "BitwiseOr", "BitwiseXor", "LayerNormalization"}
CONTROL_FLOW = {"If", "Loop", "Scan", "SequenceMap"}
# Ops that copy a tensor to a larger size: after a global pooling they give it a spatial size back.
REPEAT = {"Tile", "Expand"}
# Sized ops that can make a spatial size out of a tensor whose sizes tconvcalc no longer knows.
GROWING = {"ConvTranspose", "Resize", "Upsample", "Pad", "DepthToSpace", "MaxUnpool"}
REDUCE = {"ReduceMean", "ReduceMax", "ReduceMin", "ReduceSum", "ReduceProd", "ReduceL1", "ReduceL2",
          "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare", "ArgMax", "ArgMin"}


def _import_onnx():
    try:
        import onnx
    except ImportError:
        raise NotInstalledError("onnx", "reading ONNX models", INSTALL) from None
    return onnx


def load_onnx(path) -> Network:
    """A network from an ``.onnx`` file (weights are not needed: external data is not loaded)."""
    return from_onnx(load_model(path), str(path))


def load_model(path, weights: bool = False):
    """The ``onnx.ModelProto`` in the file at ``path``; with ``weights``, external data is loaded too."""
    onnx = _import_onnx()
    path = Path(path)
    if not path.is_file():
        why = "is a directory" if path.is_dir() else "does not exist"
        raise ParameterError(f"{path} {why}, an ONNX model is a file; check the path")
    try:
        return onnx.load(str(path), load_external_data=weights)
    except Exception as error:  # protobuf's DecodeError and friends
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ParameterError(f"{path} is not an ONNX model ({first}), the file must be a serialized "
                             f"ModelProto; export it again with torch.onnx.export or check the file") from None


def from_onnx(model, source: str = "model.onnx") -> Network:
    """A network from an ``onnx.ModelProto`` already in memory."""
    collecting = gc.isenabled()
    gc.disable()  # the reader makes a few small objects per node and frees none: collections only cost time
    try:
        return _OnnxReader(model, source).read()
    finally:
        if collecting:
            gc.enable()


def node_name(node) -> str:
    """What tconvcalc calls a node: its name, else its first output's, else its op."""
    return node.name or (node.output[0] if node.output else node.op_type)


class _Node:
    """A NodeProto's fields read once: protobuf builds a new wrapper at every access, which dominated the
    reading of a model of many small nodes (200,000 pass-throughs took 3 s)."""

    __slots__ = ("proto", "op_type", "input", "output", "domain", "name")

    def __init__(self, proto) -> None:
        self.proto, self.op_type, self.domain, self.name = proto, proto.op_type, proto.domain, proto.name
        self.input, self.output = tuple(proto.input), tuple(proto.output)

    @property
    def attribute(self):
        return self.proto.attribute


class _OnnxReader(Reader):
    def __init__(self, model, source: str) -> None:
        self.onnx = _import_onnx()
        self.model, self.graph, self.source = model, model.graph, source
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 22)
        self.consts: dict = {}  # name -> numpy array, or TensorProto not yet converted
        self.values: dict[str, Value] = {}
        self.dynamic_ints: set[str] = set()  # non-activation tensors computed from sizes at run time (Shape)
        self.inferred: dict[str, tuple] | None = None

    # - constants
    def const(self, name: str):
        value = self.consts.get(name)
        if value is not None and not hasattr(value, "dtype"):
            from onnx import numpy_helper

            value = self.consts[name] = numpy_helper.to_array(value)
        return value

    def const_shape(self, name: str) -> tuple | None:
        value = self.consts.get(name)
        if value is None:
            return None
        return tuple(value.shape) if hasattr(value, "dtype") else tuple(value.dims)

    def ints(self, node, index: int, what: str):
        """A constant int list from input ``index`` (None when the input is absent)."""
        if index >= len(node.input) or not node.input[index]:
            return None
        name = node.input[index]
        value = self.const(name)
        if value is None:
            raise self.fail(node, node.op_type, f"takes its {what} from {name!r}, computed at run time; tconvcalc "
                                                f"follows constant {what} only (export with constant sizes or fold "
                                                f"constants with onnxsim)")
        if value.dtype.kind not in "iu":  # ONNX types these inputs int64 (int32 for some); 2.5 is no bound
            raise self.bad(node, node.op_type, f"takes its {what} from {name!r}, a {value.dtype} tensor, and ONNX "
                                               f"requires an integer (int64) tensor there")
        return [int(v) for v in value.reshape(-1)]

    # - reading
    def node_name(self, node) -> str:
        return node_name(node)

    def read(self) -> Network:
        graph = self.graph
        for tensor in graph.initializer:
            self.consts[tensor.name] = tensor
        inputs = [i for i in graph.input if i.name not in self.consts]
        if len(inputs) != 1:
            names = ", ".join(i.name for i in inputs) or "none"
            raise ParameterError(f"{self.source} has {len(inputs)} inputs ({names}), tconvcalc follows networks "
                                 f"with one image input; export the model with a single input")
        entry = inputs[0]
        dims = entry.type.tensor_type.shape.dim if entry.type.tensor_type.HasField("shape") else None
        if dims is None or not 3 <= len(dims) <= 5:
            rank = "unknown" if dims is None else len(dims)
            raise ParameterError(f"{self.source}: input {entry.name!r} has rank {rank}, tconvcalc reads inputs "
                                 f"laid out (batch, channels, *spatial) with 1 to 3 spatial axes; export with a "
                                 f"3-D, 4-D or 5-D input")
        self.rank, self.ndim = len(dims), len(dims) - 2
        channels = dims[1].dim_value or None
        spatial = [d.dim_value for d in dims[2:]]
        default_input = tuple(spatial) if all(spatial) else None
        self.builder = Builder(self.source, self.ndim)
        self.values[entry.name] = Value(INPUT, channels)
        for proto in graph.node:
            self.node(_Node(proto))
        made = [self.values[o.name] for o in graph.output if o.name in self.values]
        outputs = [value.node for value in made if value.node is not None]
        name = Path(self.source).stem or graph.name
        return self.builder.network(name, outputs, channels, default_input)

    def node(self, node) -> None:
        for name in node.input:
            if name and name not in self.values and name not in self.consts and name not in self.dynamic_ints:
                raise ParameterError(f"{self.source}: node {self.node_name(node)!r} ({node.op_type}) reads "
                                     f"{name!r}, which no earlier node, initializer or input produces, ONNX lists "
                                     f"nodes in execution order and has no cycles; check the model with "
                                     f"onnx.checker.check_model")
        if node.op_type in PASS and len(node.output) == 1 and node.domain in ("", "ai.onnx"):
            source = self.values.get(node.input[0]) if node.input else None
            if source is not None and source.node is not None and all(n in self.consts for n in node.input[1:]):
                self.values[node.output[0]] = self.builder.identity(self.node_name(node), source, node.op_type,
                                                                    source.channels)
                return  # the common case, kept short: a model can hold hundreds of thousands of them
        if node.op_type in CONTROL_FLOW and node.domain in ("", "ai.onnx"):
            raise self.fail(node, node.op_type, "runs a subgraph chosen or repeated at run time (data-dependent "
                                                "control flow), whose sizes tconvcalc cannot follow: it reads fixed "
                                                "graphs; export the model without control flow (torch.onnx.export "
                                                "traces a Python if or loop away)")
        acts = [self.values[n] for n in node.input if n in self.values]
        if node.op_type == "Constant":
            self.constant(node)
            return
        if not acts:  # a helper computation: fold it if every input is constant
            self.fold(node)
            return
        standard = node.domain in ("", "ai.onnx")
        if node.op_type in ("Shape", "Size") and standard:
            self.dynamic_ints.update(node.output)
            return
        if all(a.node is None for a in acts):
            if standard and node.op_type in REPEAT:
                self.repeat(node, acts)
                return
            if standard and node.op_type in GROWING:
                raise self.fail(node, node.op_type, "gives a tensor whose size no longer follows the input (after a "
                                                    "global pooling and a reshape) a spatial size again, which "
                                                    "tconvcalc cannot follow")
            for out in node.output:  # nothing here depends on the input's size
                self.values[out] = Value(None)
            return
        handler = handles.find(node.op_type) if standard else None
        if handler is not None:
            handler(self, node, acts, self.attributes(node))
        elif standard and node.op_type in PASS:
            self.passing(node, acts)
        elif standard and node.op_type in ELEMENTWISE:
            self.elementwise(node, acts)
        elif standard and node.op_type in REDUCE:
            self.reduce(node, acts)
        elif standard and node.op_type in REPEAT:
            self.repeat(node, acts)
        elif not any(a.dynamic for a in acts):
            for out in node.output:  # it reads only sizes fixed for every input (after a global pooling)
                self.values[out] = Value(None)
        else:
            raise unsupported(self.source, self.node_name(node), node.op_type)

    def attributes(self, node) -> dict:
        from onnx import helper

        found = {}
        for attribute in node.attribute:
            value = helper.get_attribute_value(attribute)
            found[attribute.name] = value.decode() if isinstance(value, bytes) else value
        return found

    def main(self, node, acts) -> Value:
        """The activation a single-input op reads (its first input)."""
        first = node.input[0]
        if first not in self.values:
            raise self.fail(node, node.op_type, "reads a constant as its data input, which tconvcalc cannot size")
        return self.values[first]

    def set(self, node, value: Value) -> None:
        self.values[node.output[0]] = value
        for extra in node.output[1:]:
            if extra:
                self.values[extra] = Value(None)

    def per_axis(self, node, attrs: dict, key: str, default: int, count: int | None = None) -> list[int]:
        count = count or self.ndim
        values = list(attrs.get(key, [default] * count))
        if not all(isinstance(v, int) for v in values):  # a FLOATS attribute where ONNX types INTS
            raise self.bad(node, node.op_type, f"has {key}={values}, which ONNX types as integers (INTS)")
        if len(values) != count:
            raise self.fail(node, node.op_type,
                            f"has {key}={values} with {len(values)} values for {count} (one per spatial "
                            f"axis{', begins then ends' if count == 2 * self.ndim else ''})")
        return values

    def axes(self, node, axes) -> list[int]:
        """An ``axes`` list as axis numbers 0..rank-1: each in range, none twice (the runtime refuses both)."""
        found = []
        for a in axes:
            if not isinstance(a, int) or not -self.rank <= a < self.rank:
                raise self.bad(node, node.op_type, f"names axis {a!r}, not an axis of a rank-{self.rank} tensor (axes "
                                                   f"are -{self.rank}..{self.rank - 1})")
            if a % self.rank in found:
                raise self.bad(node, node.op_type, f"names axis {a % self.rank} twice in axes={list(axes)}, ONNX "
                                                   f"requires each axis once")
            found.append(a % self.rank)
        return found

    # - folding the helper subgraphs
    def constant(self, node) -> None:
        from onnx import numpy_helper
        import numpy

        attrs = {a.name: a for a in node.attribute}
        if "value" in attrs:
            value = numpy_helper.to_array(attrs["value"].t)
        elif "value_float" in attrs:
            value = numpy.array(attrs["value_float"].f, dtype=numpy.float32)
        elif "value_floats" in attrs:
            value = numpy.array(list(attrs["value_floats"].floats), dtype=numpy.float32)
        elif "value_int" in attrs:
            value = numpy.array(attrs["value_int"].i, dtype=numpy.int64)
        elif "value_ints" in attrs:
            value = numpy.array(list(attrs["value_ints"].ints), dtype=numpy.int64)
        else:
            self.dynamic_ints.update(node.output)
            return
        self.consts[node.output[0]] = value

    def fold(self, node) -> None:
        inputs = [n for n in node.input if n]
        if node.op_type in ("Shape", "Size") or any(n in self.dynamic_ints for n in inputs) or not all(
                n in self.consts for n in inputs):
            self.dynamic_ints.update(node.output)
            return
        try:
            from onnx.reference import ReferenceEvaluator

            arrays = [self.const(n) for n in inputs]
            graph = self.onnx.helper.make_graph(
                [node.proto], "fold", [self.onnx.helper.make_tensor_value_info(n, 0, None) for n in inputs],
                [self.onnx.helper.make_tensor_value_info(n, 0, None) for n in node.output if n])
            model = self.onnx.helper.make_model(graph, opset_imports=list(self.model.opset_import))
            results = ReferenceEvaluator(model).run(None, dict(zip(inputs, arrays)))
        except Exception:  # an op the reference cannot run on its own: its outputs are simply not known
            self.dynamic_ints.update(node.output)
            return
        for name, value in zip([n for n in node.output if n], results):
            self.consts[name] = value

    def inferred_shape(self, name: str):
        """A static tensor's shape from ONNX shape inference (None entries where unknown)."""
        if self.inferred is None:
            try:
                inferred = self.onnx.shape_inference.infer_shapes(self.model)
                self.inferred = {}
                for info in list(inferred.graph.value_info) + list(inferred.graph.output):
                    if info.type.tensor_type.HasField("shape"):
                        self.inferred[info.name] = tuple(d.dim_value if d.HasField("dim_value") else None
                                                         for d in info.type.tensor_type.shape.dim)
            except Exception:
                self.inferred = {}
        return self.inferred.get(name)

    # - pass-through, elementwise, reductions
    def passing(self, node, acts) -> None:
        source = self.main(node, acts)
        self.set(node, self.builder.identity(self.node_name(node), source, node.op_type, source.channels)
                 if source.node is not None else source)

    def elementwise(self, node, acts) -> None:
        rank = self.rank
        operands = []
        for index, name in enumerate(node.input):
            if not name:
                continue
            if name in self.values:
                operands.append(self.values[name])
                continue
            if node.op_type == "Where" and index == 0 and name in self.consts:
                shape = self.const_shape(name)
            elif name in self.dynamic_ints:
                raise self.fail(node, node.op_type, f"combines the activation with {name!r}, computed from sizes at "
                                                    f"run time, which tconvcalc cannot follow")
            else:
                shape = self.const_shape(name)
            if not broadcast_ok(shape, rank, self.ndim):
                shown = "an unknown shape" if shape is None else f"shape {list(shape)}"
                raise self.fail(node, node.op_type, f"combines the activation with the constant {name!r} of "
                                      f"{shown}, which fixes a spatial size (it must be 1 on the spatial "
                                      f"axes to broadcast)")
        for value in operands:
            if value.node is None and value.shape is None:
                value.shape = self.inferred_shape(next(n for n in node.input if self.values.get(n) is value))
        fail = lambda why: self.fail(node, node.op_type, why)  # noqa: E731
        self.set(node, merge_elementwise(self.builder, self.node_name(node), node.op_type, operands, rank, fail))

    def repeat(self, node, acts) -> None:
        """Tile or Expand: with factors (shape) of 1 on every spatial axis it keeps the sizes; else it gives a
        size that depends on the constant, not a size rule tconvcalc follows (refused by name, never dropped)."""
        source = self.main(node, acts)
        if len(node.input) > 1 and node.input[1] in self.dynamic_ints and not source.dynamic:
            self.set(node, Value(None))  # expand_as-like, to a size read at run time: merges decide (SE blocks)
            return
        given = self.ints(node, 1, "repeats" if node.op_type == "Tile" else "shape") or []
        spatial = given[-self.ndim:] if len(given) >= self.ndim else given
        if node.op_type == "Tile" and len(given) != self.rank:
            raise self.bad(node, node.op_type, f"has {len(given)} repeats for a rank-{self.rank} tensor, ONNX needs "
                                               f"one per axis")
        if any(n != 1 for n in spatial):
            after = " (after a global pooling it gives the pooled tensor its size back)" if not source.dynamic else ""
            raise self.fail(node, node.op_type, f"copies the tensor to a spatial size set by the constant "
                                                f"{given}{after}, not a size rule tconvcalc follows")
        if source.node is None:
            self.set(node, source)
        else:
            self.passing(node, acts)

    def reduce(self, node, acts) -> None:
        attrs = self.attributes(node)
        source = self.main(node, acts)
        keep = attrs.get("keepdims", 1)
        given: list | None
        if node.op_type in ("ArgMax", "ArgMin"):
            given = [attrs.get("axis", 0)]
        else:
            given = attrs.get("axes")
            if given is None and len(node.input) > 1 and node.input[1]:
                given = self.ints(node, 1, "axes")
            if not given:
                given = [] if attrs.get("noop_with_empty_axes", 0) else list(range(self.rank))
        axes = {a % self.rank for a in given}
        spatial = set(range(2, self.rank))
        channels = 1 if 1 in axes else source.channels
        name = self.node_name(node)
        if not axes & spatial:
            self.set(node, self.builder.identity(name, source, node.op_type, channels) if keep else
                     self._rank_changed(node))
        elif axes >= spatial:
            if keep:
                self.set(node, self.builder.layer(name, "adaptive_pool", source, [{"size": 1}] * self.ndim,
                                                  node.op_type, channels))
            else:  # the pooling stays visible (it is where the sizes end); what it makes has no spatial axes
                self.builder.layer(name, "adaptive_pool", source, [{"size": 1}] * self.ndim, node.op_type, channels)
                self.set(node, Value(None, channels))
        else:
            raise self.fail(node, node.op_type, f"reduces over axes {sorted(axes)}, only some of the spatial axes, "
                                                f"which tconvcalc cannot size")

    def _rank_changed(self, node) -> Value:
        raise self.fail(node, node.op_type, "drops an axis (keepdims=0), so the spatial axes move")

    # - sized layers
    def _weighted(self, node, acts, attrs):
        """A Conv/ConvTranspose's input, weight shape (None when computed), kernel, strides and dilations."""
        source = self.main(node, acts)
        weight = self.const_shape(node.input[1]) if len(node.input) > 1 else None
        kernel = attrs.get("kernel_shape") or (list(weight[2:]) if weight else None)
        if not kernel:
            raise self.fail(node, node.op_type, "has no kernel_shape and its weight is computed at run time")
        kernel = self.per_axis(node, {"kernel_shape": kernel}, "kernel_shape", 1)
        if weight and len(weight) == self.rank and list(weight[2:]) != kernel:
            raise self.bad(node, node.op_type, f"has kernel_shape={kernel} and a weight of shape {list(weight)}, whose "
                                               f"last axes are the kernel (the runtime refuses the mismatch)")
        group = attrs.get("group", 1)
        if not isinstance(group, int) or group < 1:
            raise self.bad(node, node.op_type, f"has group={group!r}, ONNX's group is a whole number ≥ 1")
        if weight and source.channels is not None:
            per_group = weight[1] if node.op_type == "Conv" else weight[0] // group
            wanted = weight[1] * group if node.op_type == "Conv" else weight[0]
            if source.channels != wanted or weight[0] % group:
                raise self.bad(node, node.op_type, f"reads {source.channels} channels with group={group} and a weight "
                                                   f"of shape {list(weight)} (it takes {wanted} channels in {group} "
                                                   f"groups of {per_group})")
        return source, weight, kernel, self.per_axis(node, attrs, "strides", 1), self.per_axis(
            node, attrs, "dilations", 1)

    def _window_axes(self, node, attrs, kernel, strides, dilations, **extra) -> list[dict]:
        """A Conv's or pooling's axes: explicit ``pads`` (begins, then ends) or ``auto_pad`` SAME/VALID."""
        auto_pad = attrs.get("auto_pad", "NOTSET") or "NOTSET"
        pads = self.per_axis(node, attrs, "pads", 0, 2 * self.ndim) if auto_pad == "NOTSET" else [0] * 2 * self.ndim
        same = auto_pad in ("SAME_UPPER", "SAME_LOWER")
        lower = {"lower": True} if auto_pad == "SAME_LOWER" else {}  # where the odd zero goes: the cost reads it
        return [{"k": kernel[a], "s": strides[a], "d": dilations[a], "pad": (pads[a], pads[a + self.ndim]),
                 **extra, "same": same, **lower} for a in range(self.ndim)]

    @staticmethod
    def _weights(node, attrs) -> dict:
        return {"groups": attrs.get("group", 1), "bias": len(node.input) > 2 and bool(node.input[2])}

    @handles("Conv")
    def conv(self, node, acts, attrs) -> None:
        source, weight, kernel, strides, dilations = self._weighted(node, acts, attrs)
        axes = self._window_axes(node, attrs, kernel, strides, dilations)
        channels = weight[0] if weight else None
        self.set(node, self.builder.layer(self.node_name(node), "conv", source, axes, "Conv", channels,
                                          self._weights(node, attrs)))

    @handles("ConvTranspose")
    def conv_transpose(self, node, acts, attrs) -> None:
        source, weight, kernel, strides, dilations = self._weighted(node, acts, attrs)
        op = self.per_axis(node, attrs, "output_padding", 0)
        group = attrs.get("group", 1)
        channels = weight[1] * group if weight else None
        shape = attrs.get("output_shape")
        name = self.node_name(node)
        if shape:
            shape = list(shape)[-self.ndim:]
            upper = {"upper": True} if attrs.get("auto_pad") == "SAME_UPPER" else {}  # the crop's split
            axes = [{"k": kernel[a], "s": strides[a], "d": dilations[a], "fixed": shape[a], "op": op[a], **upper}
                    for a in range(self.ndim)]
            self.set(node, self.builder.layer(name, "conv_transpose", source, axes, "ConvTranspose", channels,
                                              self._weights(node, attrs)))
            return
        options = {"strides": strides, "dilations": dilations, "output_padding": op,
                   "auto_pad": attrs.get("auto_pad", "NOTSET") or "NOTSET", "group": group}
        if "pads" in attrs:
            options["pads"] = list(attrs["pads"])
        axes = transposed_axes("onnx", f"{self.source}: node {name!r} (ConvTranspose)", self.ndim, kernel, options)
        self.set(node, self.builder.layer(name, "conv_transpose", source, axes, "ConvTranspose", channels,
                                          self._weights(node, attrs)))

    def _pool(self, node, acts, attrs, op: str) -> None:
        source = self.main(node, acts)
        if "kernel_shape" not in attrs:
            raise self.fail(node, node.op_type, "has no kernel_shape, which ONNX requires")
        kernel = self.per_axis(node, attrs, "kernel_shape", 1)
        strides = self.per_axis(node, attrs, "strides", 1)
        dilations = self.per_axis(node, attrs, "dilations", 1)
        ceil = attrs.get("ceil_mode", 0)
        if ceil not in (0, 1) or isinstance(ceil, bool):
            raise self.bad(node, node.op_type, f"has ceil_mode={ceil!r}, ONNX's ceil_mode is 0 or 1")
        axes = self._window_axes(node, attrs, kernel, strides, dilations, ceil=bool(ceil))
        for a, q in enumerate(axes):  # onnxruntime's PoolAttributes rule (its shape inference has none)
            if isinstance(q["k"], int) and q["k"] >= 1 and max(q["pad"]) >= q["k"]:  # k < 1: the Builder says
                raise self.bad(node, node.op_type, f"pads {max(q['pad'])} on axis {a} with a window of {q['k']}, and "
                                      f"onnxruntime requires each pad smaller than the kernel")
        self.set(node, self.builder.layer(self.node_name(node), op, source, axes, node.op_type, source.channels))

    @handles("MaxPool")
    def max_pool(self, node, acts, attrs) -> None:
        self._pool(node, acts, attrs, "max_pool")
        if len(node.output) > 1 and node.output[1]:  # the indices have the pooled size
            self.values[node.output[1]] = self.values[node.output[0]]

    @handles("MaxUnpool")
    def max_unpool(self, node, acts, attrs) -> None:
        source = self.main(node, acts)
        if len(node.input) > 2 and node.input[2]:
            raise self.fail(node, node.op_type, "takes its output_shape as an input (the size before the pooling), "
                                                "which tconvcalc cannot follow yet; export without output_size")
        kernel = self.per_axis(node, attrs, "kernel_shape", 1)
        strides = self.per_axis(node, attrs, "strides", 1)
        pads = self.per_axis(node, attrs, "pads", 0, 2 * self.ndim)
        axes = [{"k": kernel[a], "s": strides[a], "d": 1, "crop": (pads[a], pads[a + self.ndim])}
                for a in range(self.ndim)]  # (n - 1)s + k - pads: a transposed convolution's size
        self.set(node, self.builder.layer(self.node_name(node), "conv_transpose", source, axes, "MaxUnpool",
                                          source.channels, {}))  # no weights: it copies values to their indices

    @handles("AveragePool")
    def average_pool(self, node, acts, attrs) -> None:
        self._pool(node, acts, attrs, "avg_pool")

    @handles("LpPool")
    def lp_pool(self, node, acts, attrs) -> None:
        self._pool(node, acts, attrs, "avg_pool")

    @handles("GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool")
    def global_pool(self, node, acts, attrs) -> None:
        source = self.main(node, acts)
        self.set(node, self.builder.layer(self.node_name(node), "adaptive_pool", source,
                                          [{"size": 1}] * self.ndim, node.op_type, source.channels))


    @handles("Resize")
    def resize(self, node, acts, attrs) -> None:
        source = self.main(node, acts)
        name = self.node_name(node)
        if attrs.get("coordinate_transformation_mode") == "tf_crop_and_resize":
            raise self.fail(node, node.op_type, "crops by its roi (tf_crop_and_resize), a size tconvcalc does not "
                                                "follow")
        scales_at, sizes_at = (1, None) if self.opset < 11 else (2, 3)
        scales = self._given(node, scales_at)
        sizes = self._given(node, sizes_at) if sizes_at is not None else None
        axes = self.axes(node, list(attrs.get("axes", range(self.rank))))
        if scales:
            self._scaled(node, source, dict(zip(axes, scales)), name)
        elif sizes:
            if attrs.get("keep_aspect_ratio_policy", "stretch") != "stretch":
                raise self.fail(node, node.op_type, "keeps the aspect ratio of constant sizes, a size that depends on "
                                                    "the input")
            given = dict(zip(axes, sizes))
            spatial = range(2, self.rank)
            if any(a not in given for a in spatial):
                raise self.fail(node, node.op_type, "resizes some spatial axes to constant sizes and keeps others, "
                                                    "which tconvcalc cannot size in one layer")
            self.set(node, self.builder.layer(name, "adaptive_pool", source, [{"size": int(given[a])} for a in spatial],
                                              "Resize", source.channels))
        else:
            raise self.fail(node, node.op_type, "has neither constant scales nor constant sizes")

    def _given(self, node, index):
        """Resize's scales or sizes input: a constant list, None when absent or empty; refuses a dynamic one."""
        if index is None or index >= len(node.input) or not node.input[index]:
            return None
        name = node.input[index]
        if name in self.dynamic_ints or name not in self.consts:
            raise self.fail(node, node.op_type, f"takes its {'scales' if index != 3 else 'sizes'} from {name!r}, "
                                                f"computed at run time (dynamic Resize scales); tconvcalc follows "
                                                f"constant integer scales - export with a constant scale_factor, or "
                                                f"fold constants (onnxsim)")
        values = self.const(name).reshape(-1).tolist()
        return values or None

    def _scaled(self, node, source: Value, scales: dict, name: str) -> None:
        for axis in (0, 1):
            if scales.get(axis, 1) != 1:
                raise self.fail(node, node.op_type, f"scales the {'batch' if axis == 0 else 'channel'} axis by "
                                      f"{scales[axis]}, tconvcalc follows spatial scales only")
        factors = []
        for axis in range(2, self.rank):
            scale = float(scales.get(axis, 1))
            if not math.isfinite(scale) or scale < 1 or scale != int(scale):  # NaN and inf are no factor
                raise self.fail(node, node.op_type, f"scales spatial axis {axis - 2} by {scale:g}, tconvcalc follows "
                                                    f"integer scales ≥ 1 (floor(n·{scale:g}) is not one of its size "
                                                    f"rules)")
            factors.append(int(scale))
        if all(r == 1 for r in factors):
            self.set(node, self.builder.identity(name, source, node.op_type, source.channels))
            return
        self.set(node, self.builder.layer(name, "upsample", source, [{"r": r} for r in factors], node.op_type,
                                          source.channels))

    @handles("Upsample")
    def upsample(self, node, acts, attrs) -> None:
        source = self.main(node, acts)
        scales = attrs.get("scales") if "scales" in attrs else self._given(node, 1)
        if not scales:
            raise self.fail(node, node.op_type, "has no constant scales")
        self._scaled(node, source, dict(enumerate(scales)), self.node_name(node))

    def _shuffle(self, node, acts, attrs, op: str) -> None:
        source = self.main(node, acts)
        if self.ndim != 2:
            raise self.fail(node, node.op_type, f"works on 4-D tensors and this network has {self.ndim} spatial axes")
        r = attrs.get("blocksize")
        if r is None:
            raise self.fail(node, node.op_type, "has no blocksize, which ONNX requires")
        if not isinstance(r, int) or r < 1:
            raise self.bad(node, node.op_type, f"has blocksize={r!r}, ONNX's blocksize is a whole number ≥ 1")
        c = source.channels
        channels = None if c is None else (c // (r * r) if op == "pixel_shuffle" else c * r * r)
        self.set(node, self.builder.layer(self.node_name(node), op, source, [{"r": r}] * 2, node.op_type, channels))

    @handles("DepthToSpace")
    def depth_to_space(self, node, acts, attrs) -> None:
        self._shuffle(node, acts, attrs, "pixel_shuffle")

    @handles("SpaceToDepth")
    def space_to_depth(self, node, acts, attrs) -> None:
        self._shuffle(node, acts, attrs, "pixel_unshuffle")

    @handles("Pad")
    def pad(self, node, acts, attrs) -> None:
        source = self.main(node, acts)
        mode = attrs.get("mode", "constant")
        if mode not in ("constant", "edge"):
            raise self.fail(node, node.op_type, f"pads in {mode!r} mode, which needs the pads to be smaller than the "
                                                f"input (a requirement tconvcalc does not model yet); constant and "
                                                f"edge pads are followed")
        if self.opset < 11:
            pads = list(attrs.get("pads", attrs.get("paddings", [])))
            axes = list(range(self.rank))
        else:
            pads = self.ints(node, 1, "pads")
            axes = self.ints(node, 3, "axes") if len(node.input) > 3 and node.input[3] else list(range(self.rank))
        axes = self.axes(node, axes)
        if pads is None or len(pads) != 2 * len(axes):
            raise self.fail(node, node.op_type, f"has pads {pads} for {len(axes)} axes, ONNX needs a begin and an end "
                                                f"for each")
        amounts = {a: (pads[i], pads[i + len(axes)]) for i, a in enumerate(axes)}
        channels = source.channels
        if channels is not None and 1 in amounts:
            channels += sum(amounts[1])
        spatial = [amounts.get(a, (0, 0)) for a in range(2, self.rank)]
        self._pad(node, source, spatial, channels)

    def _pad(self, node, source: Value, spatial: list, channels) -> None:
        name = self.node_name(node)
        if all(pair == (0, 0) for pair in spatial):
            self.set(node, self.builder.identity(name, source, node.op_type, channels))
        else:
            self.set(node, self.builder.layer(name, "pad", source, [{"pad": tuple(p)} for p in spatial],
                                              node.op_type, channels))

    @handles("Slice")
    def slice(self, node, acts, attrs) -> None:
        source = self.main(node, acts)
        if self.opset < 10:
            starts, ends = list(attrs.get("starts", [])), list(attrs.get("ends", []))
            axes, steps = attrs.get("axes"), None
            count = len(starts)
        else:
            axes = self.ints(node, 3, "axes")
            count = len(axes) if axes is not None else len(self.const(node.input[1]).reshape(-1)) \
                if node.input[1] in self.consts else self.rank
        axes = list(range(count)) if axes is None else self.axes(node, axes)
        if self.opset >= 10:
            if all(a < 2 for a in axes) and not all(n in self.consts for n in node.input[1:3]):
                # a slice of the batch or the channels with bounds computed at run time (torch.chunk's export)
                self.set(node, self.builder.identity(self.node_name(node), source, "Slice", None))
                return
            starts, ends = self.ints(node, 1, "starts"), self.ints(node, 2, "ends")
            steps = self.ints(node, 4, "steps")
        steps = steps or [1] * len(axes)
        if not len(starts) == len(ends) == len(steps) == len(axes):
            raise self.bad(node, node.op_type, f"has {len(starts)} starts, {len(ends)} ends and {len(steps)} steps for "
                                  f"{len(axes)} axes, ONNX needs one of each per axis")
        if not all(isinstance(v, int) for v in starts + ends):
            raise self.bad(node, node.op_type, f"has starts={starts}, ends={ends}, ONNX's bounds are whole numbers")
        if 0 in steps:
            raise self.bad(node, node.op_type, f"has a step of 0 in steps={steps}, which ONNX refuses (a slice moves "
                                               f"by at least one)")
        crops = {}
        channels = source.channels
        for a, b, e, step in zip(axes, starts, ends, steps):
            if a < 2:
                if a == 1 and channels is not None:
                    channels = len(range(channels)[b:min(e, channels):step])
                continue
            if step != 1:
                raise self.fail(node, node.op_type, f"steps by {step} on spatial axis {a - 2}, tconvcalc follows "
                                                    f"slices with step 1 that crop both ends")
            if b < 0 or (0 <= e < BIG_END):
                raise self.fail(node, node.op_type, f"keeps [{b}:{e}] of spatial axis {a - 2}, a slice whose length "
                                                    f"does not follow the input (tconvcalc follows starts ≥ 0 with "
                                                    f"ends < 0 or to the end)")
            crops[a] = (-b, 0 if e >= BIG_END else e)
        self._pad(node, source, [crops.get(a, (0, 0)) for a in range(2, self.rank)], channels)

    @handles("Concat")
    def concat(self, node, acts, attrs) -> None:
        axis = attrs.get("axis")
        if axis is None:
            raise self.fail(node, node.op_type, "has no axis, which ONNX requires")
        axis %= self.rank
        if axis >= 2:
            raise self.fail(node, node.op_type, f"concatenates along spatial axis {axis - 2}, tconvcalc follows "
                                  f"concatenation along the channels")
        constants = [n for n in node.input if n and n not in self.values]
        if constants:
            raise self.fail(node, node.op_type, f"concatenates the activation with the constant {constants[0]!r}, "
                                                f"whose spatial size is fixed")
        operands = [self.values[n] for n in node.input if n]
        channels = None
        known = [v.channels for v in operands if v.channels is not None]
        if axis == 1 and len(known) == len(operands):
            channels = sum(known)
        elif axis == 0:
            channels = operands[0].channels
        name = self.node_name(node)
        if len(operands) == 1:
            self.set(node, self.builder.identity(name, operands[0], "Concat", channels))
        else:
            self.set(node, self.builder.merge(name, "concat", operands, "Concat", channels))

    @handles("Split")
    def split(self, node, acts, attrs) -> None:
        source = self.main(node, acts)
        axis = attrs.get("axis", 0) % self.rank
        if axis >= 2:
            raise self.fail(node, node.op_type, f"splits along spatial axis {axis - 2}, tconvcalc follows splits along "
                                  f"the channels")
        split = attrs.get("split") or (self.ints(node, 1, "split") if len(node.input) > 1 and node.input[1]
                                       else None)
        outputs = [o for o in node.output]
        for index, out in enumerate(outputs):
            if not out:
                continue
            channels = source.channels
            if axis == 1:
                channels = split[index] if split else (None if channels is None else channels // len(outputs))
            name = self.node_name(node) if index == 0 else f"{self.node_name(node)}:{index}"
            self.values[out] = self.builder.identity(name, source, "Split", channels)
