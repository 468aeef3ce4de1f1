"""Hostile model files for ``tests/edges/models.txt``: ONNX graphs, ``.keras`` archives, PyTorch code and
TOML/JSON specs whose attributes their own framework refuses, or that end where a reader could drop a
layer.  ``make(folder)`` writes them all (ONNX ones only when ``onnx`` is installed); run as a script it
writes them into the folder given, to try them by hand: ``python tests/edges/make_models.py /tmp/m``.

Each ONNX model is one node (or a short chain) on a ``(1, 4, 8, 8)`` input, so onnxruntime can run it too
(tests/test_network_readers.py checks the answers tconvcalc gives against it).
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

INPUT = (1, 4, 8, 8)


def _onnx_models() -> dict:
    """name -> ModelProto."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    def graph(nodes, inits=(), opset=17):
        g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, INPUT)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], list(inits))
        return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])

    def weight(shape, name="w"):
        return numpy_helper.from_array(np.ones(shape, np.float32), name)

    def const(name, values, dtype=np.int64):
        return numpy_helper.from_array(np.array(values, dtype), name)

    def conv(op="Conv", w=(4, 4, 3, 3), **attrs):
        return graph([helper.make_node(op, ["x", "w"], ["y"], **attrs)], [weight(w)])

    def pool(op="MaxPool", **attrs):
        return graph([helper.make_node(op, ["x"], ["y"], **attrs)])

    models = {
        "conv_k0": conv(w=(4, 4, 0, 0), kernel_shape=[0, 0]),
        "conv_d0": conv(dilations=[0, 0]),
        "conv_s0": conv(strides=[0, 0]),
        "conv_s-1": conv(strides=[-1, -1]),
        "conv_g0": conv(group=0),
        "conv_g3": conv(group=3),
        "conv_pad-1": conv(pads=[-1, -1, -1, -1]),
        "conv_pad4": conv(pads=[4, 4, 4, 4]),  # larger than the kernel: onnxruntime runs it (14×14)
        "conv_kshape": conv(kernel_shape=[5, 5]),
        "conv_float_strides": conv(strides=[1.5, 1.5]),
        "tconv_kshape": conv("ConvTranspose", kernel_shape=[5, 5]),
        "tconv_s0": conv("ConvTranspose", strides=[0, 0]),
        "pool_k0": pool(kernel_shape=[0, 0]),
        "pool_s0": pool(kernel_shape=[2, 2], strides=[0, 0]),
        "pool_s-1": pool(kernel_shape=[2, 2], strides=[-1, -1]),
        "pool_d0": pool(kernel_shape=[3, 3], dilations=[0, 0]),
        "pool_pad-1": pool(kernel_shape=[3, 3], pads=[-1, -1, -1, -1]),
        "pool_pad3_k3": pool(kernel_shape=[3, 3], pads=[3, 3, 3, 3]),
        "pool_pad2_k3": pool(kernel_shape=[3, 3], pads=[2, 2, 2, 2]),  # below the kernel: runs (10×10)
        "avgpool_pad4_k3": pool("AveragePool", kernel_shape=[3, 3], pads=[4, 4, 4, 4]),
        "pool_ceil2": pool(kernel_shape=[2, 2], ceil_mode=2),
        "d2s_0": pool("DepthToSpace", blocksize=0),
        "d2s_-1": pool("DepthToSpace", blocksize=-1),
        "s2d_-2": pool("SpaceToDepth", blocksize=-2),
        "slice_float": graph([helper.make_node("Slice", ["x", "st", "en", "ax"], ["y"])],
                             [const("st", [1.5], np.float32), const("en", [-1]), const("ax", [2])]),
        "slice_dup_axes": graph([helper.make_node("Slice", ["x", "st", "en", "ax"], ["y"])],
                                [const("st", [1, 1]), const("en", [-1, -1]), const("ax", [2, 2])]),
        "slice_step0": graph([helper.make_node("Slice", ["x", "st", "en", "ax", "sp"], ["y"])],
                             [const("st", [0]), const("en", [2]), const("ax", [1]), const("sp", [0])]),
        "slice_short": graph([helper.make_node("Slice", ["x", "st", "en", "ax"], ["y"])],
                             [const("st", [1, 1]), const("en", [-1]), const("ax", [2, 3])]),
        "pad_float": graph([helper.make_node("Pad", ["x", "p"], ["y"])],
                           [const("p", [0, 0, 1.5, 0, 0, 0, 1, 0], np.float32)]),
        "resize_dup_axes": graph([helper.make_node("Resize", ["x", "", "sc"], ["y"], axes=[2, 2])],
                                 [const("sc", [2.0, 2.0], np.float32)], opset=18),
        "resize_axis9": graph([helper.make_node("Resize", ["x", "", "sc"], ["y"], axes=[2, 9])],
                              [const("sc", [2.0, 2.0], np.float32)], opset=18),
        "if_branch": _if_model(helper, TensorProto, graph, const),
        "tile_after_pool": graph([helper.make_node("GlobalAveragePool", ["x"], ["g"]),
                                  helper.make_node("Tile", ["g", "r"], ["y"])], [const("r", [1, 1, 6, 6])]),
        "expand_after_pool": graph([helper.make_node("GlobalAveragePool", ["x"], ["g"]),
                                    helper.make_node("Expand", ["g", "r"], ["y"])], [const("r", [1, 4, 8, 8])]),
        "tile_ones_after_pool": graph([helper.make_node("GlobalAveragePool", ["x"], ["g"]),
                                       helper.make_node("Tile", ["g", "r"], ["y"])], [const("r", [2, 1, 1, 1])]),
        "reshape_resize": graph([helper.make_node("GlobalAveragePool", ["x"], ["g"]),
                                 helper.make_node("Reshape", ["g", "sh"], ["f"]),
                                 helper.make_node("Resize", ["f", "", "sc"], ["y"])],
                                [const("sh", [1, 4, 1, 1]), const("sc", [1.0, 1.0, 4.0, 4.0], np.float32)]),
        "pool_resize": graph([helper.make_node("GlobalAveragePool", ["x"], ["g"]),
                              helper.make_node("Resize", ["g", "", "sc"], ["y"])],
                             [const("sc", [1.0, 1.0, 4.0, 4.0], np.float32)]),  # a size rule: answered 4×4
    }
    # 10,000 pass-throughs: about 0.2 s of reading beyond onnx's 1 s import (60,000 and 30,000 came within
    # half a second of the 2 s bound, and in long test runs crossed it)
    chain = [helper.make_node("Relu", [f"t{i}"], [f"t{i + 1}"]) for i in range(10_000)]
    chain[0].input[0] = "x"
    chain.append(helper.make_node("MaxPool", ["t10000"], ["y"], kernel_shape=[2, 2], strides=[2, 2]))
    models["pass10k"] = graph(chain)
    return models


def _if_model(helper, TensorProto, graph, const):
    """An If whose branches read the outer input: a size chosen at run time."""
    def branch(name, op):
        out = helper.make_tensor_value_info(f"{name}_y", TensorProto.FLOAT, None)
        return helper.make_graph([helper.make_node(op, ["x"], [f"{name}_y"], kernel_shape=[2, 2],
                                                   strides=[2, 2])], name, [], [out])

    nodes = [helper.make_node("ReduceMean", ["x"], ["m"], keepdims=0),
             helper.make_node("Greater", ["m", "zero"], ["c"]),
             helper.make_node("If", ["c"], ["y"], then_branch=branch("then", "MaxPool"),
                              else_branch=branch("else", "AveragePool"))]
    import numpy as np
    return graph(nodes, [const("zero", 0.0, np.float32)])


def _keras_tensor(layer: str):
    return {"class_name": "__keras_tensor__", "config": {"keras_history": [layer, 0, 0]}}


def _keras_model(layers: list, shape=(None, 8, 8, 4)) -> dict:
    """A Keras 3 functional config: an Input, then ``layers`` as (class, config) each reading the one before."""
    entries = [{"class_name": "InputLayer", "name": "in", "config": {"name": "in", "batch_shape": list(shape)},
                "inbound_nodes": []}]
    previous = "in"
    for number, (kind, config) in enumerate(layers):
        name = f"l{number}"
        entries.append({"class_name": kind, "name": name, "config": {"name": name, **config},
                        "inbound_nodes": [{"args": [_keras_tensor(previous)], "kwargs": {}}]})
        previous = name
    return {"class_name": "Functional", "config": {"name": "m", "layers": entries, "input_layers": [["in", 0, 0]],
                                                   "output_layers": [[previous, 0, 0]]}}


def _keras_configs() -> dict:
    """name -> the config.json text (str) of a .keras archive."""
    conv = {"filters": 4, "kernel_size": 3, "strides": 1, "dilation_rate": 1}
    good = _keras_model([("Conv2D", {**conv, "padding": "valid"})])
    damaged = {
        "causal2d": _keras_model([("Conv2D", {**conv, "padding": "causal"})]),
        "conv_s0": _keras_model([("Conv2D", {**conv, "strides": 0, "padding": "valid"})]),
        "reshape_upsample": _keras_model([("GlobalAveragePooling2D", {}), ("Reshape", {"target_shape": [1, 1, 4]}),
                                          ("UpSampling2D", {"size": [4, 4]})]),
        "pool_upsample": _keras_model([("GlobalAveragePooling2D", {"keepdims": True}),
                                       ("UpSampling2D", {"size": [4, 4]})]),  # a size rule: answered 4×4
    }
    configs = {name: json.dumps(config) for name, config in damaged.items()}
    broken = json.loads(json.dumps(good))
    broken["config"]["layers"][1]["inbound_nodes"] = [{"args": [{"class_name": "__keras_tensor__",
                                                                 "config": {}}], "kwargs": {}}]
    configs["history_missing"] = json.dumps(broken)  # KeyError before
    broken = json.loads(json.dumps(good))
    broken["config"]["layers"][1]["inbound_nodes"] = [{"args": [{"class_name": "__keras_tensor__",
                                                                 "config": {"keras_history": ["in", 0]}}]}]
    configs["history_short"] = json.dumps(broken)  # unpacking before
    broken = json.loads(json.dumps(good))
    broken["config"]["layers"][1]["config"] = ["not", "a", "dict"]
    configs["config_list"] = json.dumps(broken)  # AttributeError before
    broken = json.loads(json.dumps(good))
    broken["config"]["layers"] = [broken["config"]["layers"][0], 7]
    configs["layer_int"] = json.dumps(broken)
    broken = json.loads(json.dumps(good))
    broken["config"]["layers"][0]["config"]["batch_shape"] = 5
    configs["shape_int"] = json.dumps(broken)  # TypeError before
    nested = json.dumps(good)
    for level in range(240):  # a model inside a model, 240 deep: the JSON parses, the reader recursed past its limit
        nested = f'{{"class_name": "Sequential", "config": {{"name": "s{level}", "layers": [{nested}]}}}}'
    configs["nested_models"] = nested
    configs["deep_json"] = '{"class_name": "Functional", "config": ' + "[" * 100_000 + "]" * 100_000 + "}"
    deep = _keras_model([("Conv2D", {**conv, "kernel_size": 1, "padding": "valid"})] * 9000)
    configs["deep9000"] = json.dumps(deep)  # quadratic in depth before (more than 10 s)
    cycle = json.loads(json.dumps(_keras_model([("ReLU", {})] * 3000)))
    cycle["config"]["layers"][1]["inbound_nodes"] = [{"args": [_keras_tensor("l2999")], "kwargs": {}}]
    configs["cycle3000"] = json.dumps(cycle)
    return configs


TORCH_CODE = '''"""Modules built with parameters PyTorch refuses when they run, or that end after a global pooling."""
import torch
from torch import nn
from torch.nn import functional as F


class _Conv(nn.Module):
    def __init__(self, after):
        super().__init__()
        self.conv, self.after = nn.Conv2d(4, 4, 3), after

    def forward(self, x):
        return self.after(self.conv(x))


class Chunk0(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3)

    def forward(self, x):
        return torch.chunk(self.conv(x), 0, 1)[0]


class Split0(Chunk0):
    def forward(self, x):
        return torch.split(self.conv(x), 0, 1)[0]


def pool_stride0():
    return _Conv(nn.MaxPool2d(2, stride=0))


def pool_stride_negative():
    return _Conv(nn.AvgPool2d(2, stride=-1))


def pool_dilation0():
    return _Conv(nn.MaxPool2d(3, dilation=0))


def pool_padding_negative():
    return _Conv(nn.MaxPool2d(3, 1, -1))


def shuffle0():
    return _Conv(nn.PixelShuffle(0))


def shuffle_negative():
    return _Conv(nn.PixelShuffle(-2))


def unshuffle0():
    return _Conv(nn.PixelUnshuffle(0))


def conv_stride_negative():
    return nn.Sequential(nn.Conv2d(4, 4, 3, stride=-1))


def conv_padding_negative():
    return nn.Sequential(nn.Conv2d(4, 4, 3, padding=-1))


def tconv_stride_negative():
    return nn.Sequential(nn.ConvTranspose2d(4, 4, 3, stride=-1))


def adaptive_negative():
    return _Conv(nn.AdaptiveAvgPool2d(-3))


def unpool_stride0():
    return nn.Sequential(nn.Conv2d(4, 4, 1), nn.Upsample(scale_factor=2), nn.MaxUnpool2d(2, stride=0))


class Repeat(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv, self.pool = nn.Conv2d(4, 4, 3), nn.AdaptiveAvgPool2d(1)

    def forward(self, x):
        return self.pool(self.conv(x)).repeat(1, 1, 6, 6)


class Expand(Repeat):
    def forward(self, x):
        return self.pool(self.conv(x)).expand(-1, -1, 8, 8)


class ViewUpsample(Repeat):
    def forward(self, x):
        return F.interpolate(self.conv(x).mean((2, 3)).view(-1, 4, 1, 1), scale_factor=4)


class PoolUpsample(Repeat):  # a fixed size through a size rule: answered, 4×4 as PyTorch gives
    def forward(self, x):
        return F.interpolate(self.pool(self.conv(x)), scale_factor=4)
'''


def _specs() -> dict:
    """name -> (suffix, text)."""
    one = "input = [8]\n[[layers]]\n"
    specs = {
        "conv_padding_negative": one + "kernel_size = 3\npadding = -1\n",
        "conv_padding_pair_negative": one + "kernel_size = 3\npadding = [[1, -1]]\n",
        "conv_groups0": one + "kernel_size = 3\ngroups = 0\n",
        "conv_stride0": one + "kernel_size = 3\nstride = 0\n",
        "conv_stride_negative": one + "kernel_size = 3\nstride = -1\n",
        "pool_ceil_string": one + 'op = "max_pool"\nkernel_size = 3\nceil_mode = "false"\n',
        "pool_ceil_int": one + 'op = "max_pool"\nkernel_size = 3\nceil_mode = 1\n',
        "pool_padding_negative": one + 'op = "max_pool"\nkernel_size = 3\npadding = -1\n',
        "pool_stride0": one + 'op = "avg_pool"\nkernel_size = 3\nstride = 0\n',
        "shuffle_negative": one + 'op = "pixel_shuffle"\nupscale_factor = -1\n',
        "unshuffle_negative": one + 'op = "pixel_unshuffle"\ndownscale_factor = -2\n',
        "upsample0": one + 'op = "upsample"\nscale_factor = 0\n',
        "adaptive0": one + 'op = "adaptive_pool"\noutput_size = 0\n',
        "crop_float": one + 'op = "conv_transpose"\nkernel_size = 3\ncrop = [[1.5, 0]]\n',
    }
    found = {name: (".toml", text) for name, text in specs.items()}
    found["deep_json"] = (".json", '{"input": [8], "layers": ' + "[" * 100_000 + "]" * 100_000 + "}")
    found["deep_toml"] = (".toml", "input = [8]\nlayers = " + "[" * 5000 + "]" * 5000 + "\n")
    for p in (2000, 2667):  # within the domain's bound (2,666 classes × 3 layers: about a second) and past it
        found[f"period{p}"] = (".toml", f"input = [8, 8]\n[[layers]]\nkernel_size = 1\nstride = {p}\n[[layers]]\n"
                                        f'op = "conv_transpose"\nkernel_size = 1\nstride = {p}\n[[layers]]\n'
                                        f'op = "concat"\ninputs = ["input", "layer2"]\n')
    found["pool_ceil_string_json"] = (".json", json.dumps({"input": [8], "layers": [
        {"op": "max_pool", "kernel_size": 2, "ceil_mode": "false"}]}))
    return found


def make(folder) -> Path:
    """Every hostile model into ``folder`` (created): ``onnx/*.onnx``, ``keras/*.keras``, ``torch_models.py``,
    ``spec/*``.  ONNX models need the ``onnx`` package and are skipped without it."""
    folder = Path(folder)
    for sub in ("onnx", "keras", "spec"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    try:
        models = _onnx_models()
    except ImportError:
        models = {}
    for name, model in models.items():
        (folder / "onnx" / f"{name}.onnx").write_bytes(model.SerializeToString())
    for name, text in _keras_configs().items():
        with zipfile.ZipFile(folder / "keras" / f"{name}.keras", "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("config.json", text)
    (folder / "torch_models.py").write_text(TORCH_CODE)
    for name, (suffix, text) in _specs().items():
        (folder / "spec" / f"{name}{suffix}").write_text(text)
    return folder


if __name__ == "__main__":
    print(make(sys.argv[1] if len(sys.argv) > 1 else "hostile_models"))
