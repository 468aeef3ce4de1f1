"""The checkerboard readers and writers: each format's layers and phase sums against the framework's own run on a
constant input (PyTorch and onnxruntime live, Keras from the fixture's sidecar), the fixed model written back with
only the fixed layers changed, and bad input refused in a sentence."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tconvcalc.checkerboard import analyse, fix_layer
from tconvcalc.checkerboard.analysis import ones_response
from tconvcalc.checkerboard.models import read_weights
from tconvcalc.errors import ParameterError

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
h5py = pytest.importorskip("h5py")
from onnx import helper, numpy_helper  # noqa: E402

HERE = Path(__file__).parent / "fixtures" / "checkerboard"
SIDECAR = json.loads((HERE / "checkerboard.json").read_text())
UPSAMPLER = f"{HERE / 'decoders.py'}:Upsampler"
SUBPIXEL = f"{HERE / 'decoders.py'}:SubpixelUpsampler"


def _torch_model(factory: str, weights: str):
    """The fixture model with its weights loaded by PyTorch itself (not by the reader)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_cb_decoders", HERE / "decoders.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = getattr(module, factory)()
    model.load_state_dict(torch.load(HERE / weights, weights_only=True))
    return model.eval()


def _period(y: np.ndarray, start: int, strides) -> np.ndarray:
    """``(C, *s)``: one period of the output from ``start`` on each spatial axis."""
    return y[(0, slice(None), *(slice(start, start + s) for s in strides))]


def _torch_ones(module, kind: str, strides, factor=None) -> np.ndarray:
    """PyTorch's response of one layer to an all-ones input, indexed by phase: a transposed layer's full scatter
    (padding 0, so output m is phase m mod s) from where every tap's input is inside; a sub-pixel layer's
    convolution and pixel shuffle, away from the borders (the shuffle does not crop)."""
    ndim = len(strides)
    with torch.no_grad():
        if kind == "transposed":
            k, d = module.kernel_size, module.dilation
            first = max(-(-(d_ * (k_ - 1)) // s) for k_, d_, s in zip(k, d, strides))
            x = torch.ones(1, module.in_channels, *([first + 2] * ndim))
            run = getattr(torch.nn.functional, f"conv_transpose{ndim}d")
            y = run(x, module.weight, module.bias, module.stride, 0, 0, module.groups, module.dilation)
            return _period(y.double().numpy(), first * strides[0], strides)
        x = torch.ones(1, module.in_channels, 8, 8)
        y = torch.nn.functional.pixel_shuffle(module(x), factor)
        return _period(y.double().numpy(), 4 * factor, strides)


# - PyTorch


@pytest.mark.parametrize("factory, weights", [(UPSAMPLER, "upsampler.pt"), (UPSAMPLER, "upsampler.safetensors"),
                                              (SUBPIXEL, "subpixel.pt"), (SUBPIXEL, "subpixel.safetensors")])
def test_torch_reader_layers_and_phase_sums_against_pytorch(factory, weights):
    read = read_weights(factory, str(HERE / weights))
    model = _torch_model(factory.rpartition(":")[2], weights.replace(".safetensors", ".pt"))
    expected = [("up.0", "transposed", (1, 16, 3, 3)), ("up.2", "transposed", (16, 1, 4, 4))] \
        if "Upsampler" == factory.rpartition(":")[2] else [("head", "subpixel", (4, 16, 3, 3))]
    assert read.format == "pytorch" and read.source == factory and not read.initial
    assert [(layer.name, layer.kind, layer.weight.shape) for layer in read.layers] == expected
    for layer in read.layers:
        module = model.get_submodule(layer.name)
        assert layer.strides == (2, 2) and layer.groups == 1
        assert np.array_equal(layer.weight, module.weight.detach().numpy())
        live = _torch_ones(module, layer.kind, layer.strides, 2)
        assert np.allclose(ones_response(layer), live, rtol=1e-5, atol=1e-6)
        assert analyse(layer).checkerboard  # the learned artifact the fixtures exist for


def test_torch_without_weights_reads_the_factory_initial_weights():
    read = read_weights(SUBPIXEL)
    assert read.initial and [layer.name for layer in read.layers] == ["head"]


FUNCTIONAL_SHUFFLE = '''
import torch
from torch import nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.a = nn.Conv2d(2, 12, 3, padding=1)
        self.b = nn.Conv2d(2, 8, 1)
        self.c = nn.Conv2d(2, 4, 1)
        self.t = nn.ConvTranspose1d(4, 6, 5, stride=3, groups=2, dilation=2, bias=False)

    def forward(self, x):
        up = torch.pixel_shuffle(self.a(x), 2) + F.pixel_shuffle(self.b(x), upscale_factor=2)[:, :2].repeat(1, 1, 1, 1)
        other = self.c(x)  # read twice: not a sub-pixel convolution
        return up, other + 1, other * 2, self.t(x.flatten(2)[:, :1].repeat(1, 4, 1))
'''


def test_torch_reader_finds_functional_pixel_shuffles_and_skips_convs_read_elsewhere(tmp_path):
    (tmp_path / "net.py").write_text(FUNCTIONAL_SHUFFLE)
    read = read_weights(f"{tmp_path / 'net.py'}:Net")
    assert [(layer.name, layer.kind, layer.strides) for layer in read.layers] == [
        ("a", "subpixel", (2, 2)), ("b", "subpixel", (2, 2)), ("t", "transposed", (3,))]
    transposed = read.layers[2]
    assert transposed.groups == 2 and transposed.dilations == (2,) and transposed.bias is None
    module = torch.nn.ConvTranspose1d(4, 6, 5, stride=3, groups=2, dilation=2, bias=False)
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(transposed.weight))
    assert np.allclose(ones_response(transposed), _torch_ones(module, "transposed", (3,)), atol=1e-6)


def test_torch_save_round_trip_changes_only_the_fixed_layers(tmp_path):
    read = read_weights(UPSAMPLER, str(HERE / "upsampler.pt"))
    fixed = {layer.name: fix_layer(layer).layer for layer in read.layers if analyse(layer).checkerboard}
    assert set(fixed) == {"up.0", "up.2"}
    original = torch.load(HERE / "upsampler.pt", weights_only=True)
    for suffix in (".pt", ".safetensors"):
        out = tmp_path / f"fixed{suffix}"
        out.write_bytes(read.save({"up.2": fixed["up.2"]}, str(out)))
        if suffix == ".pt":
            saved = torch.load(out, weights_only=True)
        else:
            from safetensors.torch import load_file
            saved = load_file(str(out))
        # torch.save keeps the names' order; safetensors stores them sorted
        assert (list(saved) if suffix == ".pt" else sorted(saved)) == (list(original) if suffix == ".pt" else
                                                                       sorted(original))
        for key, value in original.items():
            if key == "up.2.weight":
                assert np.array_equal(saved[key].numpy(), fixed["up.2"].weight)
            else:
                assert torch.equal(saved[key], value) and saved[key].dtype == value.dtype
        again = read_weights(UPSAMPLER, str(out))
        assert np.array_equal(again.layers[1].weight, fixed["up.2"].weight)
        assert np.array_equal(again.layers[0].weight, read.layers[0].weight)


@pytest.mark.parametrize("factory, weights, size", [(UPSAMPLER, "upsampler.pt", 8), (SUBPIXEL, "subpixel.pt", 16)])
def test_the_fixed_torch_model_runs_flat_on_a_constant_input(tmp_path, factory, weights, size):
    read = read_weights(factory, str(HERE / weights))
    out = tmp_path / "fixed.pt"
    out.write_bytes(read.save({layer.name: fix_layer(layer).layer for layer in read.layers}, str(out)))
    name = factory.rpartition(":")[2]
    model = _torch_model(name, weights)
    model.load_state_dict(torch.load(out, weights_only=True))
    before = _torch_model(name, weights)
    with torch.no_grad():
        flat, rough = (m(torch.ones(1, 1, size, size)).numpy()[0, 0, 8:24, 8:24] for m in (model, before))
    assert np.ptp(flat) <= 1e-5 * np.abs(flat).max() < np.ptp(rough)


# - ONNX


def _onnx_layer_ones(path, layer_name: str, kind: str) -> np.ndarray:
    """onnxruntime's response of one node of the file to an all-ones input: the node (and, for a sub-pixel layer,
    its DepthToSpace) copied into a model of its own with the file's weights; a ConvTranspose without pads (the
    full scatter: output m is phase m mod s)."""
    model = onnx.load(str(path))
    graph = model.graph
    node = next(n for n in graph.node if (n.name or n.output[0]) == layer_name)
    initializers = {t.name: t for t in graph.initializer}
    weight = numpy_helper.to_array(initializers[node.input[1]])
    strides = next((list(a.ints) for a in node.attribute if a.name in ("strides",)), [1, 1])
    copy = onnx.NodeProto()
    copy.CopyFrom(node)
    copy.input[0] = "x"
    nodes = [copy]
    if kind == "transposed":
        kept = [a for a in copy.attribute if a.name not in ("pads", "output_padding", "output_shape", "auto_pad")]
        del copy.attribute[:]
        copy.attribute.extend(kept)
        copy.output[0] = "y"
        channels, first = weight.shape[0], -(-(weight.shape[2] - 1) // strides[0])
        size, start = first + 2, first * strides[0]
    else:
        shuffle = next(n for n in graph.node if n.op_type == "DepthToSpace" and n.input[0] == node.output[0])
        after = onnx.NodeProto()
        after.CopyFrom(shuffle)
        after.output[0] = "y"
        nodes.append(after)
        strides = [next(a.i for a in shuffle.attribute if a.name == "blocksize")] * 2
        channels, size, start = weight.shape[1], 8, 4 * strides[0]  # a whole number of periods in
    used = [initializers[name] for name in copy.input[1:] if name]
    small = helper.make_model(helper.make_graph(
        nodes, "one", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, channels, size, size])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)], used), opset_imports=model.opset_import)
    session = ort.InferenceSession(small.SerializeToString(), providers=["CPUExecutionProvider"])
    y = session.run(None, {"x": np.ones((1, channels, size, size), np.float32)})[0]
    return _period(y.astype(np.float64), start, strides)


@pytest.mark.parametrize("file, expected", [
    ("upsampler.onnx", [("/up/up.0/ConvTranspose", "transposed", (1, 16, 3, 3)),
                        ("/up/up.2/ConvTranspose", "transposed", (16, 1, 4, 4))]),
    ("subpixel.onnx", [("/head/Conv", "subpixel", (4, 16, 3, 3))])])
def test_onnx_reader_layers_and_phase_sums_against_onnxruntime(file, expected):
    read = read_weights(str(HERE / file))
    assert read.format == "onnx"
    assert [(layer.name, layer.kind, layer.weight.shape) for layer in read.layers] == expected
    for layer in read.layers:
        assert layer.mode == "CRD" and layer.strides == (2, 2)  # PyTorch's pixel_shuffle exports as mode=CRD
        live = _onnx_layer_ones(HERE / file, layer.name, layer.kind)
        assert np.allclose(ones_response(layer), live, rtol=1e-5, atol=1e-6)


def _initializers(model) -> dict:
    return {t.name: t.SerializeToString() for t in model.graph.initializer}


@pytest.mark.parametrize("file, size", [("upsampler.onnx", 8), ("subpixel.onnx", 16)])
def test_onnx_save_round_trip_changes_only_the_fixed_layers_and_runs_flat(tmp_path, file, size):
    read = read_weights(str(HERE / file))
    fixed = {layer.name: fix_layer(layer).layer for layer in read.layers if analyse(layer).checkerboard}
    assert set(fixed) == {layer.name for layer in read.layers}
    out = tmp_path / "fixed.onnx"
    out.write_bytes(read.save(fixed, str(out)))
    before, after = onnx.load(str(HERE / file)), onnx.load(str(out))
    onnx.checker.check_model(after, full_check=True)
    changed = {name for node in before.graph.node if (node.name or node.output[0]) in fixed
               for name in node.input[1:(3 if fixed[node.name or node.output[0]].kind == "subpixel" else 2)]}
    old, new = _initializers(before), _initializers(after)
    assert list(old) == list(new) and changed
    assert all(old[name] == new[name] for name in old if name not in changed)
    assert all(old[name] != new[name] for name in changed)
    assert [n.SerializeToString() for n in before.graph.node] == [n.SerializeToString() for n in after.graph.node]
    assert (before.opset_import, before.producer_name, before.ir_version) == (
        after.opset_import, after.producer_name, after.ir_version)
    again = read_weights(str(out))
    for layer in again.layers:
        assert np.array_equal(layer.weight, fixed[layer.name].weight)
        if layer.kind == "subpixel":
            assert np.array_equal(layer.bias, fixed[layer.name].bias)
        live = _onnx_layer_ones(out, layer.name, layer.kind)
        assert np.ptp(live.reshape(live.shape[0], -1), axis=1).max() <= 1e-5 * np.abs(live).max()
    ones = np.ones((1, 1, size, size), np.float32)
    y = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"]).run(None, {"image": ones})[0][0, 0]
    assert np.ptp(y[8:24, 8:24]) <= 1e-5 * np.abs(y).max()


def _tiny_onnx(weight_source: str = "initializer") -> bytes:
    """Two ConvTransposes sharing one weight (or taking it from a Constant, a graph input, a computation)."""
    rng = np.random.default_rng(0)
    w = rng.normal(size=(1, 1, 3, 3)).astype(np.float32)
    inputs = [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 1, 4, 4])]
    nodes, inits = [], []
    if weight_source == "initializer":
        inits.append(numpy_helper.from_array(w, "W"))
    elif weight_source == "constant":
        nodes.append(helper.make_node("Constant", [], ["W"], name="wconst", value=numpy_helper.from_array(w, "W")))
    elif weight_source == "input":
        inputs.append(helper.make_tensor_value_info("W", onnx.TensorProto.FLOAT, [1, 1, 3, 3]))
    else:
        inits.append(numpy_helper.from_array(w, "W0"))
        nodes.append(helper.make_node("Neg", ["W0"], ["W"], name="negate"))
    nodes += [helper.make_node("ConvTranspose", ["x", "W"], ["a"], name="first", strides=[2, 2]),
              helper.make_node("ConvTranspose", ["x", "W"], ["b"], name="second", strides=[2, 2])]
    outputs = [helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, [1, 1, 9, 9]) for n in ("a", "b")]
    graph = helper.make_graph(nodes, "tiny", inputs, outputs, inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def test_onnx_shared_initializer_gets_a_copy_for_the_changed_node(tmp_path):
    path = tmp_path / "tiny.onnx"
    path.write_bytes(_tiny_onnx())
    read = read_weights(str(path))
    first = read.layers[0]
    out = tmp_path / "fixed.onnx"
    out.write_bytes(read.save({"first": fix_layer(first).layer}, str(out)))
    model = onnx.load(str(out))
    onnx.checker.check_model(model, full_check=True)
    inputs = {n.name: list(n.input) for n in model.graph.node}
    assert inputs["second"] == ["x", "W"] and inputs["first"][1] != "W"
    again = read_weights(str(out))
    assert np.array_equal(again.layers[1].weight, first.weight)
    assert np.array_equal(again.layers[0].weight, fix_layer(first).layer.weight)
    x = np.ones((1, 1, 4, 4), np.float32)
    a, b = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"]).run(None, {"x": x})
    assert np.ptp(a[0, 0, 2:6, 2:6]) <= 1e-5 * np.abs(a).max() < np.ptp(b[0, 0, 2:6, 2:6])
    # both changed the same way: the one initializer is replaced in place
    both = read.save({"first": fix_layer(first).layer, "second": fix_layer(read.layers[1]).layer}, str(out))
    assert [t.name for t in onnx.load_from_string(both).graph.initializer] == ["W"]


def test_onnx_constant_node_weights_are_read_and_replaced(tmp_path):
    path = tmp_path / "const.onnx"
    path.write_bytes(_tiny_onnx("constant"))
    read = read_weights(str(path))
    fixed = {layer.name: fix_layer(layer).layer for layer in read.layers}
    model = onnx.load_from_string(read.save(fixed, "fixed.onnx"))
    onnx.checker.check_model(model)
    value = next(a.t for a in model.graph.node[0].attribute if a.name == "value")
    assert np.array_equal(numpy_helper.to_array(value), fixed["first"].weight) and not model.graph.initializer


@pytest.mark.parametrize("source, words", [("input", "graph input 'W'"), ("computed", "computed by node 'negate'")])
def test_onnx_weights_not_constant_are_refused_by_name(tmp_path, source, words):
    path = tmp_path / "bad.onnx"
    path.write_bytes(_tiny_onnx(source))
    with pytest.raises(ParameterError, match=words) as error:
        read_weights(str(path))
    assert "node 'first' (ConvTranspose)" in str(error.value)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the TorchScript exporter says it is legacy
@settings(max_examples=12, deadline=None)
@given(st.sampled_from([1, 2]), st.integers(1, 5), st.integers(1, 3), st.integers(1, 2), st.sampled_from([1, 2]),
       st.booleans(), st.integers(0, 1000))
def test_random_nets_exported_to_onnx_read_as_the_torch_reader_reads_them(ndim, k, s, d, groups, subpixel, seed):
    import tempfile

    kwargs = {"ndim": ndim, "k": k, "s": s, "d": d, "groups": groups, "subpixel": subpixel, "seed": seed}
    with tempfile.TemporaryDirectory() as folder:
        code = Path(folder) / "random_net.py"
        code.write_text(RANDOM_NET)
        spec = f"{code}:Net"
        read = read_weights(spec, kwargs=kwargs)
        from tconvcalc.network.readers.torch import build_torch

        module = build_torch(spec, kwargs)
        size = [6] * ndim
        onnx_path = Path(folder) / "net.onnx"
        torch.onnx.export(module, (torch.zeros(1, 2, *size),), str(onnx_path), dynamo=False, opset_version=17)
        exported = read_weights(str(onnx_path))
    assert [(a.kind, a.strides, a.groups, a.mode) for a in exported.layers] == [
        (b.kind, b.strides, b.groups, b.mode) for b in read.layers]
    for a, b in zip(exported.layers, read.layers):
        assert np.allclose(ones_response(a), ones_response(b), rtol=1e-6, atol=1e-6)
        assert analyse(a).spread == pytest.approx(analyse(b).spread, rel=1e-5, abs=1e-7)


RANDOM_NET = '''
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, ndim, k, s, d, groups, subpixel, seed):
        super().__init__()
        torch.manual_seed(seed)
        self.subpixel = subpixel and ndim == 2
        transposed = getattr(nn, f"ConvTranspose{ndim}d")
        self.up = transposed(2, 2 * groups, k, stride=s, dilation=d, groups=groups, bias=seed % 2 == 0)
        self.head = nn.Conv2d(2 * groups, 2 * s * s, 3, padding=1, groups=groups) if self.subpixel else None
        self.s = s

    def forward(self, x):
        y = self.up(x)
        return nn.functional.pixel_shuffle(self.head(y), self.s) if self.subpixel else y
'''


# - Keras


def test_keras_reader_layers_and_phase_sums_against_keras_sidecar():
    read = read_weights(str(HERE / "upsampler.keras"))
    assert read.format == "keras"
    assert [(layer.name, layer.kind, layer.weight.shape, layer.source) for layer in read.layers] == [
        ("up1", "transposed", (1, 16, 3, 3), "Conv2DTranspose"), ("up2", "transposed", (16, 1, 4, 4),
                                                                  "Conv2DTranspose")]
    keras = SIDECAR["keras"]
    for layer in read.layers:
        recorded = keras["layers"][layer.name]
        assert list(layer.strides) == recorded["strides"]
        assert np.allclose(ones_response(layer), np.array(recorded["ones_response"]), rtol=1e-5, atol=1e-6)
    # the whole model: Keras's output for all ones against the PyTorch port loaded with the reader's weights
    model = _torch_model("Upsampler", "upsampler.pt")
    with torch.no_grad():
        for index, layer in zip((0, 2), read.layers):
            model.up[index].weight.copy_(torch.from_numpy(layer.weight))
            model.up[index].bias.copy_(torch.from_numpy(layer.bias))
        y = model(torch.ones(1, 1, 8, 8)).numpy()[0].transpose(1, 2, 0)
    assert np.allclose(y, np.array(keras["ones_output"]), rtol=1e-5, atol=1e-5)


def _h5_datasets(data: bytes) -> dict:
    found = {}
    with h5py.File(io.BytesIO(data), "r") as h5:
        h5.visititems(lambda name, item: found.__setitem__(name, (
            np.asarray(item).tobytes(), item.dtype.str, dict(item.attrs)) if isinstance(item, h5py.Dataset) else
            dict(item.attrs)))
    return found


def test_keras_save_round_trip_changes_only_the_fixed_datasets(tmp_path):
    read = read_weights(str(HERE / "upsampler.keras"))
    fixed = {"up2": fix_layer(read.layers[1]).layer}
    out = tmp_path / "fixed.keras"
    out.write_bytes(read.save(fixed, str(out)))
    with zipfile.ZipFile(HERE / "upsampler.keras") as a, zipfile.ZipFile(out) as b:
        assert [(i.filename, i.date_time, i.compress_type) for i in a.infolist()] == [
            (i.filename, i.date_time, i.compress_type) for i in b.infolist()]
        for name in a.namelist():
            if name != "model.weights.h5":
                assert a.read(name) == b.read(name)
        old, new = _h5_datasets(a.read("model.weights.h5")), _h5_datasets(b.read("model.weights.h5"))
    assert list(old) == list(new)
    changed = [name for name in old if old[name] != new[name]]
    assert changed == ["layers/conv2d_transpose_1/vars/0"]
    again = read_weights(str(out))
    assert np.array_equal(again.layers[1].weight, fixed["up2"].weight)
    assert np.array_equal(again.layers[0].weight, read.layers[0].weight)
    assert np.array_equal(again.layers[1].bias, read.layers[1].bias)


def _rewrite_keras(source: Path, target: Path, config=None, weights=None) -> None:
    with zipfile.ZipFile(source) as a, zipfile.ZipFile(target, "w") as b:
        for info in a.infolist():
            data = a.read(info)
            if info.filename == "config.json" and config:
                data = json.dumps(config(json.loads(data))).encode()
            if info.filename == "model.weights.h5" and weights:
                buffer = io.BytesIO(data)
                with h5py.File(buffer, "r+") as h5:
                    weights(h5)
                data = buffer.getvalue()
            b.writestr(info, data)


def test_keras_missing_vars_and_contradicting_shapes_are_refused(tmp_path):
    missing = tmp_path / "missing.keras"
    _rewrite_keras(HERE / "upsampler.keras", missing, weights=lambda h5: h5.__delitem__(
        "layers/conv2d_transpose/vars/0"))
    with pytest.raises(ParameterError, match=r"layer 'up1' \(Conv2DTranspose\) has no kernel at "
                                             r"layers/conv2d_transpose/vars/0"):
        read_weights(str(missing))

    def bigger(config):
        config["config"]["layers"][1]["config"]["kernel_size"] = [5, 5]
        return config

    wrong = tmp_path / "wrong.keras"
    _rewrite_keras(HERE / "upsampler.keras", wrong, config=bigger)
    with pytest.raises(ParameterError, match=r"saved kernel has shape \[3, 3, 16, 1\], and kernel_size=\[5, 5\]"):
        read_weights(str(wrong))


# - bad input


def test_bad_input_is_one_sentence(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "junk.onnx").write_bytes(b"\x00not a model")
    (tmp_path / "junk.keras").write_bytes(b"not a zip")
    cases = [
        (str(tmp_path / "notes.txt"), {}, "is not a model tconvcalc reads"),
        (str(tmp_path / "absent.onnx"), {}, "does not exist"),
        (str(tmp_path / "absent.keras"), {}, "does not exist"),
        (str(tmp_path / "junk.onnx"), {}, "is not an ONNX model"),
        (str(tmp_path / "junk.keras"), {}, "is not a zip archive"),
        (str(HERE / "upsampler.pt"), {}, "is a weights file"),
        (str(HERE / "upsampler.onnx"), {"weights": str(HERE / "upsampler.pt")}, "weights are for PyTorch code"),
        (UPSAMPLER, {"weights": str(HERE / "subpixel.pt")}, "does not fit"),
        (UPSAMPLER, {"weights": str(tmp_path / "absent.pt")}, "does not exist"),
    ]
    for model, options, words in cases:
        with pytest.raises(ParameterError, match=words) as error:
            read_weights(model, **options)
        assert "\n" not in str(error.value)
    read = read_weights(str(HERE / "upsampler.onnx"))
    layer = read.layers[0]
    with pytest.raises(ParameterError, match="has the suffix '.pt', and a fixed onnx model is written as .onnx"):
        read.save({}, "fixed.pt")
    with pytest.raises(ParameterError, match="has no checkerboard layer 'up.0'"):
        read.save({"up.0": layer}, "fixed.onnx")
    with pytest.raises(ParameterError, match="a fix keeps every shape"):
        read.save({layer.name: layer._replace(weight=layer.weight[:, :2])}, "fixed.onnx")
    keras = read_weights(str(HERE / "upsampler.keras"))
    with pytest.raises(ParameterError, match="written as .keras"):
        keras.save({}, "fixed.onnx")


def test_a_parametrized_weight_is_refused_by_name(tmp_path):
    (tmp_path / "normed.py").write_text(
        "from torch import nn\nfrom torch.nn.utils.parametrizations import weight_norm\n\n\n"
        "def Net():\n    return nn.Sequential(weight_norm(nn.ConvTranspose2d(1, 1, 4, 2)))\n")
    with pytest.raises(ParameterError, match=r"module '0' \(ParametrizedConvTranspose2d\) has no '0.weight'"):
        read_weights(f"{tmp_path / 'normed.py'}:Net")


@pytest.mark.parametrize("file", ["espcn.onnx", "espcn.dynamo.onnx", "unet.dynamo.onnx", "audio_decoder.onnx"])
def test_onnx_reader_on_the_network_fixtures_against_onnxruntime(file):
    """Other exporters and shapes: the dynamo exporter's node names, a 3×3 pixel shuffle, 1-D layers."""
    path = HERE.parent / "networks" / file
    read = read_weights(str(path))
    assert read.layers and all(layer.name for layer in read.layers)
    for layer in read.layers:
        if len(layer.strides) != 2:
            continue  # the one-node runner below builds 2-D inputs
        live = _onnx_layer_ones(path, layer.name, layer.kind)
        assert np.allclose(ones_response(layer), live, rtol=1e-5, atol=1e-5)
