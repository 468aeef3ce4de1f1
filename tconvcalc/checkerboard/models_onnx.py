"""Checkerboard layers of an ONNX model: every ``ConvTranspose`` node, and every ``Conv`` whose output only a
``DepthToSpace`` reads (its ``blocksize``, its ``mode``: ONNX's default ``DCR`` or ``CRD``).

Weights come from initializers or ``Constant`` nodes (external data is loaded); a weight that is a graph input or
computed by other nodes is refused by name.  Node names are :func:`~tconvcalc.network.readers.onnx.node_name`'s.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from ..network.readers.onnx import load_model, node_name
from .analysis import LayerWeights
from .weighted import WeightedModel

STANDARD = ("", "ai.onnx")


class OnnxWeights(WeightedModel):
    """An ONNX model's checkerboard layers.  :meth:`save` replaces the weights where they are stored: an
    initializer, or a ``Constant`` node's value.  When that tensor is shared with a node whose weights do not
    change the same way (another layer, or any other reader), the changed node gets its own new initializer
    (named ``<old name>.fixed.<layer>``) and the shared one is left as it was (removed only when nothing reads it
    any more)."""

    format = "onnx"

    def __init__(self, source: str, model, layers, where: dict) -> None:
        super().__init__(source, layers)
        self.model = model
        self._where = where  # layer name -> (node index, {input index: tensor name})

    def _save(self, fixed: dict[str, LayerWeights], suffix: str) -> bytes:
        from onnx import ModelProto, numpy_helper

        model = ModelProto()
        model.CopyFrom(self.model)
        graph = model.graph
        initializers = {tensor.name: tensor for tensor in graph.initializer}
        constants = {node.output[0]: node for node in graph.node if node.op_type == "Constant" and node.output}
        changes: dict[tuple[int, int], np.ndarray] = {}  # (node index, input index) -> new array
        for name, layer in fixed.items():
            index, inputs = self._where[name]
            changes[index, 1] = layer.weight
            if layer.kind == "subpixel" and 2 in inputs and layer.bias is not None:  # read with the node's bias
                changes[index, 2] = layer.bias
        readers: dict[str, list] = {}  # tensor -> every (node index, input index) that reads it
        for position, node in enumerate(graph.node):
            for slot, tensor in enumerate(node.input):
                readers.setdefault(tensor, []).append((position, slot))
        outputs = {value.name for value in graph.output}
        for (position, slot), array in changes.items():
            node = graph.node[position]
            tensor = node.input[slot]
            old = initializers[tensor] if tensor in initializers else _constant_value(constants[tensor])
            new = numpy_helper.from_array(np.asarray(array).astype(numpy_helper.to_array(old).dtype), tensor)
            sharers = readers[tensor]
            alone = tensor not in outputs and all(
                reader in changes and np.array_equal(changes[reader], array) for reader in sharers)
            if alone:
                new.name = old.name  # a Constant's value keeps its own (often empty) name
                old.CopyFrom(new)
                continue
            new.name = _fresh(f"{tensor}.fixed.{node_name(node)}", initializers, constants)
            graph.initializer.append(new)
            initializers[new.name] = graph.initializer[-1]
            node.input[slot] = new.name
        still_read = {tensor for node in graph.node for tensor in node.input} | outputs
        for tensor in [t for t in graph.initializer if t.name not in still_read and t.name in readers]:
            graph.initializer.remove(tensor)
        return model.SerializeToString()


def _fresh(name: str, *taken) -> str:
    candidate, count = name, 1
    while any(candidate in names for names in taken):
        count += 1
        candidate = f"{name}.{count}"
    return candidate


def _constant_value(node):
    """The TensorProto of a ``Constant`` node's ``value`` attribute (the form exporters write weights in)."""
    for attribute in node.attribute:
        if attribute.name == "value":
            return attribute.t
    return None


def read_onnx(path: str) -> OnnxWeights:
    from onnx import helper, numpy_helper

    model = load_model(path, weights=True)
    graph = model.graph
    initializers = {tensor.name: tensor for tensor in graph.initializer}
    constants = {node.output[0]: node for node in graph.node if node.op_type == "Constant" and node.output}
    producers = {out: node for node in graph.node for out in node.output}
    inputs = {value.name for value in graph.input} - set(initializers)
    readers: dict[str, list] = {}
    for node in graph.node:
        for input_name in node.input:
            readers.setdefault(input_name, []).append(node)
    outputs = {value.name for value in graph.output}

    def tensor(node, slot: int, what: str):
        name = node.input[slot]
        where = f"{path}: node {node_name(node)!r} ({node.op_type})"
        if name in initializers:
            return numpy_helper.to_array(initializers[name])
        if name in constants and _constant_value(constants[name]) is not None:
            return numpy_helper.to_array(_constant_value(constants[name]))
        if name in inputs:
            raise ParameterError(f"{where} takes its {what} from the graph input {name!r}, and a checkerboard check "
                                 f"reads constant weights; export the model with its weights as initializers")
        made = producers.get(name)
        by = f"computed by node {node_name(made)!r} ({made.op_type})" if made else "never defined"
        raise ParameterError(f"{where} takes its {what} from {name!r}, {by}, and a checkerboard check reads constant "
                             f"weights; fold the constants (onnxsim) or export with the weights as initializers")

    def attributes(node) -> dict:
        return {a.name: helper.get_attribute_value(a) for a in node.attribute}

    def per_axis(node, values, ndim: int, field: str) -> tuple:
        values = tuple(int(v) for v in values) if values else (1,) * ndim
        if len(values) != ndim or min(values) < 1:
            raise ParameterError(f"{path}: node {node_name(node)!r} ({node.op_type}) has {field}={list(values)} for "
                                 f"a {ndim}-D kernel, ONNX needs {ndim} values ≥ 1; the model is inconsistent")
        return values

    layers, where = [], {}
    for position, node in enumerate(graph.node):
        if node.domain not in STANDARD or node.op_type not in ("ConvTranspose", "Conv") or len(node.input) < 2:
            continue
        shuffle = None
        if node.op_type == "Conv":
            users = readers.get(node.output[0], [])
            if len(users) != 1 or users[0].op_type != "DepthToSpace" or node.output[0] in outputs:
                continue
            shuffle = attributes(users[0])
        weight = tensor(node, 1, "weight")
        has_bias = len(node.input) > 2 and bool(node.input[2])
        bias = tensor(node, 2, "bias") if has_bias else None
        ndim = weight.ndim - 2
        found = attributes(node)
        kernel = per_axis(node, found.get("kernel_shape") or weight.shape[2:], ndim, "kernel_shape")
        name = node_name(node)
        if ndim < 1 or kernel != tuple(weight.shape[2:]):
            raise ParameterError(f"{path}: node {name!r} ({node.op_type}) has kernel_shape={list(kernel)} and a "
                                 f"weight of shape {list(weight.shape)}, which contradict each other; export the "
                                 f"model again")
        groups = int(found.get("group", 1))
        if shuffle is None:
            strides = per_axis(node, found.get("strides"), ndim, "strides")
            dilations = per_axis(node, found.get("dilations"), ndim, "dilations")
            layer = LayerWeights(name, "transposed", weight, bias, strides, dilations, groups, "CRD", "ConvTranspose")
        else:
            mode = shuffle.get("mode", b"DCR")
            mode = (mode.decode() if isinstance(mode, bytes) else str(mode)).upper()
            block = int(shuffle.get("blocksize", 0))
            if block < 1:
                raise ParameterError(f"{path}: the DepthToSpace after node {name!r} has blocksize={block}, ONNX "
                                     f"requires one ≥ 1; the model is inconsistent")
            layer = LayerWeights(name, "subpixel", weight, bias, (block,) * ndim, (1,) * ndim, groups, mode,
                                 "Conv+DepthToSpace")
        if bias is not None and bias.shape != (weight.shape[1] * groups if shuffle is None else weight.shape[0],):
            raise ParameterError(f"{path}: node {name!r} ({node.op_type}) has a bias of shape {list(bias.shape)} "
                                 f"for a weight of shape {list(weight.shape)}, one per output channel is needed; "
                                 f"the model is inconsistent")
        if name in where:
            raise ParameterError(f"{path} has two checkerboard layers named {name!r}, and a fix names the layer it "
                                 f"changes; give the nodes distinct names")
        layers.append(layer)
        where[name] = (position, {1: node.input[1], **({2: node.input[2]} if has_bias else {})})
    return OnnxWeights(path, model, layers, where)
