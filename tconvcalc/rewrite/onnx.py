"""Every ConvTranspose node of an ONNX model rewritten into operators any runtime reads the same way.

* ``subpixel``: pad (or crop), a stride-1 ``Conv`` whose output channels are the ``sⁿ`` phases, ``DepthToSpace``
  (2-D, equal strides; mode CRD, as the channels are ordered channel-slowest) or ``Reshape``/``Transpose``, then a
  ``Slice`` for the crop.
* ``zero-insertion``: ``s - 1`` zeros after each sample (``Unsqueeze``/``Pad``/``Reshape``/``Slice``: no
  ConvTranspose, no Resize), then a stride-1 ``Conv`` with the flipped, transposed kernel.
* ``pads``: the ConvTranspose kept, ``auto_pad``/``output_shape``/``output_padding`` replaced by explicit ``pads``
  (a ``Pad`` after it where the layer adds zeros, which ``pads`` cannot say).

Each node's crop comes from :func:`tconvcalc.conventions.read_framework` (ONNX's own rules), its phases and
weights from :mod:`tconvcalc.rewrite.weights`; every other node, initializer, name and the model's metadata stay.
"""

from __future__ import annotations

from math import prod
from typing import NamedTuple

import numpy as np

from ..model.arithmetic import conv_transpose_cost
from ..conventions import read_framework
from ..errors import ParameterError
from ..model.spec import Layer
from .checking import CHECK_SIZE, TOLERANCE, Check, network_check_sizes, relative_error
from .weights import subpixel_weights, zero_insertion_weights

FORMS = ("subpixel", "zero-insertion", "pads")
#: The operators the rewrite writes take their current inputs from this opset on (Unsqueeze's axes as an input).
MIN_OPSET = 13
#: ConvTranspose attributes the rewrite reads; any other is refused by name.
ATTRIBUTES = {"auto_pad", "dilations", "group", "kernel_shape", "output_padding", "output_shape", "pads", "strides"}

class Rewritten(NamedTuple):
    """One ConvTranspose node: the operators it became (shape arithmetic left out), its sizes, the multiply-adds per
    sample that land (what the layer does) and those its new form computes. With ``sizes_free`` the model leaves the
    sizes free, the rewrite serves every size, and the sizes and costs are those at the inputs asked for (None
    without)."""

    node: str
    form: str
    ops: tuple[str, ...]
    input_size: tuple[int, ...] | None
    output_size: tuple[int, ...] | None
    sizes_free: bool
    macs: int | None
    form_macs: int | None


def _onnx():
    from ..network.readers.onnx import _import_onnx

    return _import_onnx()


class _Graph:
    """The model's constants and static shapes, and a writer of new nodes and initializers."""

    def __init__(self, model, inputs: dict | None = None) -> None:
        onnx = _onnx()
        from onnx import numpy_helper, shape_inference

        self.onnx, self.numpy_helper, self.model = onnx, numpy_helper, model
        self.constants = {t.name: t for t in model.graph.initializer}
        for node in model.graph.node:
            if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
                self.constants[node.output[0]] = node.attribute[0].t
        try:
            inferred = shape_inference.infer_shapes(model)
        except Exception as error:  # onnx's inference errors carry the node
            raise ParameterError(f"ONNX shape inference failed on the model ({str(error).splitlines()[0]}), the "
                                 f"rewrite needs each ConvTranspose's input size; check the model with "
                                 f"onnx.checker") from None
        self.shapes = _shapes(inferred)
        # Sizes at given input shapes (the check's), for the report and the costs where the model leaves them free.
        self.sized = self.shapes if not inputs else _shapes(shape_inference.infer_shapes(_fixed(model, inputs)))
        self.taken = {name for node in model.graph.node for name in (*node.input, *node.output, node.name)}
        self.taken |= set(self.constants) | {i.name for i in model.graph.input}
        self.initializers: list = []
        self.shape_nodes: set[str] = set()  # nodes that only compute shapes at run time

    def shape_node(self, base: str) -> str:
        name = self.fresh(base)
        self.shape_nodes.add(name)
        return name

    def array(self, name: str) -> np.ndarray | None:
        tensor = self.constants.get(name)
        return None if tensor is None else self.numpy_helper.to_array(tensor)

    def fresh(self, base: str) -> str:
        name, n = base, 1
        while name in self.taken:
            n += 1
            name = f"{base}_{n}"
        self.taken.add(name)
        return name

    def constant(self, base: str, value) -> str:
        name = self.fresh(base)
        self.initializers.append(self.numpy_helper.from_array(np.asarray(value), name))
        return name


def _shapes(model) -> dict:
    shapes = {}
    for info in [*model.graph.input, *model.graph.value_info, *model.graph.output]:
        dims = info.type.tensor_type.shape.dim
        shapes[info.name] = [d.dim_value if d.HasField("dim_value") else None for d in dims]
    return shapes


def _fixed(model, inputs: dict):
    """A copy of ``model`` whose graph inputs have the given shapes."""
    fixed = type(model)()
    fixed.CopyFrom(model)
    for info in fixed.graph.input:
        if info.name in inputs:
            for dim, size in zip(info.type.tensor_type.shape.dim, inputs[info.name]):
                dim.Clear()
                dim.dim_value = size
    return fixed


def _attributes(node, graph: _Graph) -> dict:
    values = {}
    for attribute in node.attribute:
        if attribute.name not in ATTRIBUTES:
            raise ParameterError(f"node {node.name!r} (ConvTranspose) has the attribute {attribute.name!r}, which "
                                 f"the rewrite does not know; remove it or rewrite only the other nodes")
        value = graph.onnx.helper.get_attribute_value(attribute)
        values[attribute.name] = value.decode() if isinstance(value, bytes) else value
    return values


def _read(node, graph: _Graph):
    """The node's canonical layer, groups, weight and bias (NumPy), refused by name where the rewrite cannot."""
    name = node.name or node.output[0]
    weight = graph.array(node.input[1]) if len(node.input) > 1 else None
    if weight is None:
        raise ParameterError(f"node {name!r} (ConvTranspose) takes its weight from {node.input[1]!r}, which is not "
                             f"a constant (an input or computed), and the rewrite rearranges constant weights; "
                             f"fold it into an initializer or leave the node out of the rewrite")
    bias = None
    if len(node.input) > 2 and node.input[2]:
        bias = graph.array(node.input[2])
        if bias is None:
            raise ParameterError(f"node {name!r} (ConvTranspose) takes its bias from {node.input[2]!r}, which is "
                                 f"not a constant; fold it into an initializer or leave the node out of the rewrite")
    attributes = _attributes(node, graph)
    kernel = list(weight.shape[2:])
    if "kernel_shape" in attributes and list(attributes.pop("kernel_shape")) != kernel:
        raise ParameterError(f"node {name!r} (ConvTranspose) says kernel_shape but its weight is {weight.shape}, "
                             f"ONNX requires the two to agree; export the model again")
    shape = graph.shapes.get(node.input[0]) or [None] * weight.ndim
    if len(shape) != weight.ndim:
        raise ParameterError(f"node {name!r} (ConvTranspose) gets a {len(shape)}-D input for a {weight.ndim}-D "
                             f"weight, ONNX requires (N, C, *spatial); export the model again")
    if shape[1] is not None and shape[1] != weight.shape[0]:
        raise ParameterError(f"node {name!r} (ConvTranspose) gets {shape[1]} input channels but its weight is "
                             f"for {weight.shape[0]}; export the model again")
    group = attributes.pop("group", 1)
    sized = graph.sized.get(node.input[0]) or shape
    sizes = sized[2:] if len(sized) == len(shape) else shape[2:]
    if None in shape[2:]:
        implicit = [key for key in ("auto_pad", "output_shape") if attributes.get(key, "NOTSET") != "NOTSET"]
        if implicit:
            raise ParameterError(f"node {name!r} (ConvTranspose) sets {implicit[0]}, which makes its crop depend on "
                                 f"the input size, and that size is not fixed in the model; export it with fixed "
                                 f"spatial sizes or with explicit pads")
        # Explicit pads crop the same at every size: any length with an output stands for all of them.
        pads = attributes.get("pads") or [0] * (2 * len(kernel))
        sizes = [n or pads[a] + pads[a + len(kernel)] + 1 for a, n in enumerate(sizes)]
    read = read_framework("onnx", tuple(sizes), tuple(kernel), len(kernel), group=group, **attributes)
    return name, read.layer, read.groups, weight, bias, None not in sized[2:]


END = 2**63 - 1  # a Slice end past any length: "to the end"


def _pad_or_crop(graph: _Graph, base: str, x: str, pairs, nodes: list) -> tuple[str, list[int]]:
    """Per-axis (before, after) on the spatial axes of ``x``: as a Conv's own ``pads`` when none is negative, else a
    ``Pad`` of the positive parts and then a ``Slice`` of the negative ones (a crop may reach into the padding)."""
    helper = graph.onnx.helper
    ndim = len(pairs)
    if min(min(pair) for pair in pairs) >= 0:
        return x, [before for before, _ in pairs] + [after for _, after in pairs]
    grow = [(max(0, before), max(0, after)) for before, after in pairs]
    if any(max(pair) for pair in grow):
        widths = graph.constant(f"{base}/pads", np.array([0, 0, *(b for b, _ in grow), 0, 0, *(a for _, a in grow)],
                                                        dtype=np.int64))
        padded = graph.fresh(f"{base}/padded")
        nodes.append(helper.make_node("Pad", [x, widths], [padded], name=graph.fresh(f"{base}/pad")))
        x = padded
    x = _slice(graph, base, x, [max(0, -before) for before, _ in pairs], [after for _, after in pairs], nodes)
    return x, [0] * (2 * ndim)


def _slice(graph: _Graph, base: str, x: str, starts, trims, nodes: list, out: str | None = None) -> str:
    """Drop ``starts[n]`` samples at the start of spatial axis ``n`` and ``-trims[n]`` at its end where that is
    positive: the ends counted from the end, so the same nodes serve every input size."""
    helper = graph.onnx.helper
    ends = [-trim if trim > 0 else END for trim in (-t if t < 0 else 0 for t in trims)]
    axes = list(range(2, 2 + len(starts)))
    inputs = [x] + [graph.constant(f"{base}/{what}", np.array(values, dtype=np.int64))
                    for what, values in (("starts", starts), ("ends", ends), ("axes", axes))]
    out = out or graph.fresh(f"{base}/cropped")
    nodes.append(helper.make_node("Slice", inputs, [out], name=graph.fresh(f"{base}/slice")))
    return out


def _dims(graph: _Graph, base: str, x: str, first: int, last: int, nodes: list) -> str:
    """The sizes of ``x``'s axes ``first..last-1`` as an int64 tensor, at run time."""
    helper = graph.onnx.helper
    shape, part = graph.fresh(f"{base}/shape"), graph.fresh(f"{base}/dims")
    nodes += [helper.make_node("Shape", [x], [shape], name=graph.shape_node(f"{base}/shape_of")),
              helper.make_node("Slice", [shape, graph.constant(f"{base}/from", np.array([first])),
                                         graph.constant(f"{base}/to", np.array([last]))], [part],
                               name=graph.shape_node(f"{base}/dims_of"))]
    return part


def _concat(graph: _Graph, base: str, parts: list, nodes: list) -> str:
    """One int64 shape from constant lists and run-time dims, in order."""
    helper = graph.onnx.helper
    names = [part if isinstance(part, str) else graph.constant(f"{base}/part", np.array(part, dtype=np.int64))
             for part in parts]
    out = graph.fresh(f"{base}/target_shape")
    nodes.append(helper.make_node("Concat", names, [out], name=graph.shape_node(f"{base}/concat"), axis=0))
    return out


def _conv(graph: _Graph, base: str, x: str, weight: np.ndarray, bias, pads, dilations, group, dtype, nodes,
          out: str | None = None) -> str:
    helper = graph.onnx.helper
    inputs = [x, graph.constant(f"{base}/weight", weight.astype(dtype))]
    if bias is not None:
        inputs.append(graph.constant(f"{base}/bias", bias.astype(dtype)))
    out = out or graph.fresh(f"{base}/conv_out")
    nodes.append(helper.make_node("Conv", inputs, [out], name=graph.fresh(f"{base}/conv"),
                                  kernel_shape=list(weight.shape[2:]), pads=list(pads), dilations=list(dilations),
                                  strides=[1] * (weight.ndim - 2), group=group))
    return out


def _subpixel(graph, base, x, layer: Layer, groups, weight, bias, out, max_block) -> list:
    helper = graph.onnx.helper
    nodes: list = []
    plans = [axis.subpixel() for axis in layer.axes]
    kernel, stacked = subpixel_weights(weight.astype(np.float64), layer,
                                       None if bias is None else bias.astype(np.float64), groups)
    x, pads = _pad_or_crop(graph, base, x, [plan.pads for plan in plans], nodes)
    y = _conv(graph, base, x, kernel, stacked, pads, [1] * layer.ndim, groups, weight.dtype, nodes)
    strides, n = layer.field("s"), layer.ndim
    c_out = kernel.shape[0] // prod(strides)
    cropped = any(plan.shift or plan.trim for plan in plans)
    if prod(strides) > 1:
        spaced = graph.fresh(f"{base}/space") if cropped else out
        if n == 2 and strides[0] == strides[1] and (max_block is None or strides[0] <= max_block):
            nodes.append(helper.make_node("DepthToSpace", [y], [spaced], name=graph.fresh(f"{base}/depth_to_space"),
                                          blocksize=strides[0], mode="CRD"))
        else:  # (N, C·Πs, *q) → (N, C, *s, *q) → (N, C, q_1, s_1, …) → (N, C, q_1·s_1, …)
            q = _dims(graph, base, y, 2, 2 + n, nodes)
            grown = graph.fresh(f"{base}/grown")
            nodes.append(helper.make_node("Mul", [q, graph.constant(f"{base}/strides", np.array(strides))], [grown],
                                          name=graph.shape_node(f"{base}/grow")))
            split = _concat(graph, base, [[0, c_out, *strides], q], nodes)
            merged = _concat(graph, base, [[0, c_out], grown], nodes)
            parts, moved = graph.fresh(f"{base}/phases"), graph.fresh(f"{base}/interleaved")
            order = [0, 1] + [axis for pair in zip(range(2 + n, 2 + 2 * n), range(2, 2 + n)) for axis in pair]
            nodes += [helper.make_node("Reshape", [y, split], [parts], name=graph.fresh(f"{base}/split")),
                      helper.make_node("Transpose", [parts], [moved], name=graph.fresh(f"{base}/transpose"),
                                       perm=order),
                      helper.make_node("Reshape", [moved, merged], [spaced], name=graph.fresh(f"{base}/merge"))]
        y = spaced
    if cropped:
        _slice(graph, base, y, [plan.shift for plan in plans], [-plan.trim for plan in plans], nodes, out)
    elif y != out:  # stride 1 everywhere and nothing cropped: the Conv alone is the layer
        nodes[-1].output[0] = out
    return nodes


def _zero_insertion(graph, base, x, layer: Layer, groups, weight, bias, out) -> list:
    helper = graph.onnx.helper
    nodes: list = []
    rank = layer.ndim + 2
    for n, axis in enumerate(layer.axes):
        if axis.s == 1:
            continue
        dim = 2 + n
        lifted, spread, flat, stretched = (graph.fresh(f"{base}/{what}{n}")
                                           for what in ("lifted", "spread", "flat", "stretched"))
        widths = [0] * (2 * (rank + 1))  # the new axis after dim, padded with s - 1 zeros at its end
        widths[rank + 1 + dim + 1] = axis.s - 1
        before, length, after = (_dims(graph, base, x, *span, nodes) for span in ((0, dim), (dim, dim + 1),
                                                                                   (dim + 1, rank)))
        nodes.append(helper.make_node("Mul", [length, graph.constant(f"{base}/stride{n}", np.array([axis.s]))],
                                      [stretched], name=graph.shape_node(f"{base}/stretch")))
        target = _concat(graph, base, [before, stretched, after], nodes)
        nodes += [helper.make_node("Unsqueeze", [x, graph.constant(f"{base}/axis{n}", np.array([dim + 1]))], [lifted],
                                   name=graph.fresh(f"{base}/unsqueeze")),
                  helper.make_node("Pad",
                                   [lifted, graph.constant(f"{base}/zeros{n}", np.array(widths, dtype=np.int64))],
                                   [spread], name=graph.fresh(f"{base}/insert_zeros")),
                  helper.make_node("Reshape", [spread, target], [flat], name=graph.fresh(f"{base}/interleave"))]
        trims = [0] * layer.ndim
        trims[n] = -(axis.s - 1)  # the last sample's zeros are not part of the stretched input
        x = _slice(graph, base, flat, [0] * layer.ndim, trims, nodes)
    x, pads = _pad_or_crop(graph, base, x, [axis.zero_insertion_pads for axis in layer.axes], nodes)
    _conv(graph, base, x, zero_insertion_weights(weight, groups), bias, pads, layer.field("d"), groups,
          weight.dtype, nodes, out)
    return nodes


def _explicit_pads(graph, base, node, layer: Layer, groups, bias, out) -> list:
    helper = graph.onnx.helper
    nodes: list = []
    crops = layer.crop
    grow = [(max(0, -b), max(0, -e)) for b, e in crops]
    appended = any(max(pair) for pair in grow)
    # On an axis that appends zeros at one end, the other end's crop waits for a Slice after the Pad: as a pad of
    # the ConvTranspose it could leave that node nothing to output (o ≤ the zeros appended), which ONNX refuses.
    cut = [(max(0, b), max(0, e)) for b, e in crops]
    later = [pair if max(zeros) else (0, 0) for pair, zeros in zip(cut, grow)]
    inner = [(0, 0) if max(zeros) else pair for pair, zeros in zip(cut, grow)]
    sliced = any(max(pair) for pair in later)
    scattered = graph.fresh(f"{base}/scatter") if appended else out
    # Zeros the layer adds beyond its full scatter get the bias too, so with them the bias is added after the Pad.
    inputs = list(node.input[:2]) if appended else list(node.input)
    nodes.append(helper.make_node("ConvTranspose", inputs, [scattered], name=node.name or graph.fresh(base),
                                  kernel_shape=list(layer.kernel_size), strides=list(layer.field("s")),
                                  dilations=list(layer.field("d")), group=groups,
                                  pads=[b for b, _ in inner] + [e for _, e in inner]))
    if appended:  # explicit pads cannot be negative: a Pad says the zeros
        widths = graph.constant(f"{base}/zeros", np.array([0, 0, *(b for b, _ in grow), 0, 0, *(e for _, e in grow)],
                                                          dtype=np.int64))
        padded = out if bias is None and not sliced else graph.fresh(f"{base}/padded")
        nodes.append(helper.make_node("Pad", [scattered, widths], [padded], name=graph.fresh(f"{base}/pad")))
        if sliced:
            padded = _slice(graph, base, padded, [b for b, _ in later], [-e for _, e in later], nodes,
                            out if bias is None else None)
        if bias is not None:
            column = graph.constant(f"{base}/bias", bias.reshape(-1, *[1] * layer.ndim))
            nodes.append(helper.make_node("Add", [padded, column], [out], name=graph.fresh(f"{base}/add_bias")))
    return nodes


def rewrite_model(model, form: str, only=None, max_block: int | None = None, inputs: dict | None = None) -> tuple:
    """``(new model, [Rewritten per node])``: every ConvTranspose (or those named in ``only``) in ``form``.

    The model is not changed; the new one keeps every other node, initializer, name, input, output and metadata.
    Where the model leaves sizes free the rewrite serves every size, and ``inputs`` (shapes by input name) gives
    the sizes the report and costs are counted at.
    """
    if form not in FORMS:
        raise ParameterError(f"form {form!r} is not one of {', '.join(FORMS)}; choose one of them")
    onnx = _onnx()
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    if opset is None or opset < MIN_OPSET:
        raise ParameterError(f"the model's opset is {opset}, and the rewrite writes opset-{MIN_OPSET} operators; "
                             f"convert the model first with the opset option (onnx.version_converter)")
    graph = _Graph(model, inputs)
    transposed = [node for node in model.graph.node if node.op_type == "ConvTranspose"]
    names = {node.name or node.output[0] for node in transposed}
    wanted = set(only) if only else names
    unknown = sorted(wanted - names)
    if unknown:
        raise ParameterError(f"no ConvTranspose node is named {', '.join(map(repr, unknown))}, the model's are "
                             f"{', '.join(map(repr, sorted(names))) or 'none'}; name one of those")
    rewritten, replaced = [], {}
    for node in transposed:
        if (node.name or node.output[0]) not in wanted:
            continue
        name, layer, groups, weight, bias, static = _read(node, graph)
        base = name.replace("/", "_") or "ConvTranspose"
        x, out = node.input[0], node.output[0]
        if form == "subpixel":
            nodes = _subpixel(graph, base, x, layer, groups, weight, bias, out, max_block)
        elif form == "zero-insertion":
            nodes = _zero_insertion(graph, base, x, layer, groups, weight, bias, out)
        else:
            nodes = _explicit_pads(graph, base, node, layer, groups, bias, out)
        replaced[id(node)] = nodes
        ops = tuple(n.op_type for n in nodes if n.name not in graph.shape_nodes)
        free = None in (graph.shapes.get(x) or [None])[2:]
        if static:
            cost = conv_transpose_cost(layer, weight.shape[0], weight.shape[1] * groups, groups)
            form_macs = {"subpixel": cost.subpixel, "zero-insertion": cost.zero_insertion,
                         "pads": cost.macs_dense}[form]
            rewritten.append(Rewritten(name, form, ops, layer.input_size, layer.output_size, free, cost.macs,
                                       form_macs))
        else:  # sizes, and so costs, are known only at run time
            rewritten.append(Rewritten(name, form, ops, None, None, free, None, None))
    new = onnx.ModelProto()
    new.CopyFrom(model)
    del new.graph.node[:]
    for node in model.graph.node:
        new.graph.node.extend(replaced.get(id(node), [node]))
    new.graph.initializer.extend(graph.initializers)
    _drop_unused(new)
    return new, rewritten


def _drop_unused(model) -> None:
    """Initializers and Constant nodes that only the replaced ConvTransposes read."""
    graph = model.graph
    used = {name for node in graph.node for name in node.input} | {o.name for o in graph.output}
    keep = [t for t in graph.initializer if t.name in used]
    del graph.initializer[:]
    graph.initializer.extend(keep)
    nodes = [node for node in graph.node if node.op_type != "Constant" or node.output[0] in used]
    del graph.node[:]
    graph.node.extend(nodes)


def check_sizes(model) -> tuple | None:
    """Spatial sizes to check the model at (:func:`~.checking.network_check_sizes` of its network), or None when
    the network reader cannot follow it."""
    from ..network.readers.onnx import from_onnx

    try:
        return network_check_sizes(from_onnx(model))
    except ParameterError:
        return None


def _inputs(model, seed: int, sizes=None, fill: int = CHECK_SIZE) -> dict:
    """Random values for every graph input: a free spatial dimension gets ``sizes``, any other free one but the
    first (the batch, which gets 2) ``fill`` -- the spatial ones of a channels-last model (a Keras export)."""
    from onnx import helper

    initializers = {t.name for t in model.graph.initializer}
    rng = np.random.default_rng(seed)
    feeds = {}
    for info in model.graph.input:
        if info.name in initializers:
            continue
        tensor = info.type.tensor_type
        dtype = helper.tensor_dtype_to_np_dtype(tensor.elem_type)
        dims = tensor.shape.dim
        spatial = list(sizes or ()) if len(dims) == 2 + len(sizes or ()) else []
        shape = [d.dim_value if d.HasField("dim_value") else
                 (spatial[n - 2] if n >= 2 and spatial else fill if n >= 1 else 2) for n, d in enumerate(dims)]
        feeds[info.name] = (rng.standard_normal(shape) if np.issubdtype(dtype, np.floating)
                            else np.zeros(shape)).astype(dtype)
    return feeds


def _session(model):
    import onnxruntime

    onnxruntime.set_default_logger_severity(4)  # the refusal says what went wrong; the runtime's own log is noise
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 4
    return onnxruntime.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])


def _runnable_fill(model, seed: int) -> int:
    """Where the network reader cannot follow the model (a channels-last export's layout Transposes, crops computed
    at run time), the smallest size from :data:`CHECK_SIZE` up to 8 times it that onnxruntime runs the original at,
    on every free spatial dimension (so merges line up); :data:`CHECK_SIZE` when none does or onnxruntime is
    missing (the check then says so)."""
    try:
        session = _session(model)
    except Exception:
        return CHECK_SIZE
    for n in range(CHECK_SIZE, 8 * CHECK_SIZE + 1):
        try:
            session.run(None, _inputs(model, seed, fill=n))
            return n
        except Exception:  # this size does not run: try the next
            continue
    return CHECK_SIZE


def check_inputs(model, seed: int = 0, sizes=None) -> dict:
    """The check's random inputs by name (free spatial sizes: ``sizes``, else :func:`check_sizes`, else the first
    size onnxruntime runs the model at)."""
    sizes = sizes or check_sizes(model)
    return _inputs(model, seed, sizes, CHECK_SIZE if sizes else _runnable_fill(model, seed))


def check_rewrite(original, rewritten, seed: int = 0, sizes=None) -> Check:
    """Run both models in onnxruntime on the same random inputs (free spatial sizes: ``sizes``, else
    :func:`check_sizes`) and compare every output."""
    try:
        import onnxruntime  # noqa: F401 - the check needs it: say so before drawing inputs
    except ImportError:
        from ..errors import NotInstalledError
        from ..network.readers.onnx import INSTALL

        raise NotInstalledError("onnxruntime", "checking the rewritten model", INSTALL) from None
    feeds = check_inputs(original, seed, sizes)

    def run(model):
        return _session(model).run(None, feeds)

    try:
        expected = run(original)
    except Exception as error:
        raise ParameterError(f"onnxruntime cannot run the original model ({str(error).splitlines()[0][:300]}), "
                             f"and the rewrite is checked against it; check the model, or write the rewrite "
                             f"unchecked with the no-check option") from None
    got = run(rewritten)
    dtypes = {a.dtype.name for a in expected if np.issubdtype(a.dtype, np.floating)}
    tolerance = max((TOLERANCE.get(name, 1e-5) for name in dtypes), default=1e-5)
    difference = relative_error(got, expected)
    reference = None
    if not difference <= tolerance:  # does ONNX's own reference implementation agree with the rewrite?
        from onnx.reference import ReferenceEvaluator

        try:
            outputs = ReferenceEvaluator(original).run(None, feeds)
            assert isinstance(outputs, list)  # a dict only for intermediate=True
            reference = relative_error(got, outputs) <= tolerance
        except Exception:
            reference = None
    shapes = {name: list(value.shape) for name, value in feeds.items()}
    return Check("onnxruntime", shapes, difference, tolerance, difference <= tolerance, reference)
