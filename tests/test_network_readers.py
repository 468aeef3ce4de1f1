"""The model readers (ONNX, Keras, PyTorch) against the real frameworks.

Every network a reader builds is traced (``tconvcalc.network.trace``) and compared with what the
framework itself does at the same input sizes: PyTorch run live (every module's output size through
forward hooks, and whether it raises), onnxruntime on the ONNX export (every node's output), Keras
(torch backend) on the saved model; the domain is compared with a brute-force sweep.  The committed
sweeps in ``tests/fixtures/networks`` (made by ``tests/fixtures/make_networks.py``) are compared size by
size with no framework installed.  Each error path is one sentence.
"""

from __future__ import annotations

import json
import os
import sys
import zipfile
from pathlib import Path

import pytest

from tconvcalc.errors import TORCH_INSTALL, NotInstalledError, ParameterError
from tconvcalc.network import load, trace
from tconvcalc.network.domain import accepted, axis_domain
from tconvcalc.network.readers.keras import from_keras_config, load_keras

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "networks"
EXAMPLES = ROOT / "examples" / "networks"
ONNX_REASON = "the ONNX reader needs onnx: python -m pip install onnx onnxruntime"
pytestmark = [pytest.mark.filterwarnings("ignore:You are using the legacy TorchScript-based ONNX export"),
              pytest.mark.filterwarnings("ignore:The feature will be removed"),
              pytest.mark.filterwarnings("ignore:Constant folding - Only steps=1"),
              pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")]


def one_sentence(error: Exception) -> str:
    text = str(error)
    assert "\n" not in text and "Traceback" not in text, text
    return text


# --- PyTorch, live ------------------------------------------------------------------------------------------
def torch_run(torch, model, size, channels):
    """Run ``model`` on zeros of spatial ``size``: (output size or None, {module: [size per call]})."""
    seen: dict = {}
    hooks = []
    for name, module in model.named_modules():
        if name and not list(module.children()):
            def hook(module, inputs, output, name=name):
                output = output[0] if isinstance(output, tuple) else output
                seen.setdefault(name, []).append(tuple(output.shape[2:]))
            hooks.append(module.register_forward_hook(hook))
    try:
        with torch.no_grad():
            out = model(torch.zeros(1, channels, *size))
        result = tuple((out[0] if isinstance(out, tuple) else out).shape[2:])
    except (RuntimeError, ValueError, IndexError):
        result = None
    finally:
        for handle in hooks:
            handle.remove()
    return result, seen


def assert_matches_torch(torch, model, net, sizes, channels):
    """At every size: the trace fails exactly where PyTorch raises, and every module's size agrees."""
    agreed = 0
    for size in sizes:
        out, seen = torch_run(torch, model, size, channels)
        result = trace(net, size)
        assert (result.failure is None) == (out is not None), (size, out, result.failure)
        if out is not None:
            assert result.output_size == out, size
            agreed += 1
        rows = {row.name: row.output_size for row in result.rows}
        ran = set()
        for name, calls in seen.items():
            for count, shape in enumerate(calls):
                node = name if count == 0 else f"{name}#{count + 1}"
                ran.add(node)
                if node in rows:
                    assert rows[node] == shape, (size, node)
        modules = {node.name for node in net.nodes if node.name.split("#")[0] in dict(model.named_modules())}
        assert set(rows) & modules == ran & modules, size  # the same layers ran before the failure
    return agreed


def make_modules(torch):
    """Small modules, each exercising a family of size rules (built once per call)."""
    nn, F = torch.nn, torch.nn.functional

    class Chain(nn.Module):
        """Every size-changing layer in a row, no merge (the exporters write PixelUnshuffle as reshapes and
        transposes: ``unshuffle=False`` leaves it out)."""

        def __init__(self, unshuffle=True):
            super().__init__()
            self.use_unshuffle = unshuffle
            self.stem = nn.Conv2d(3, 4, 3, padding="same")
            self.down = nn.Conv2d(4, 4, (3, 4), stride=(2, 3), padding=(1, 2), dilation=(1, 2))
            self.pool = nn.MaxPool2d(3, stride=2, padding=1, dilation=(1, 2), ceil_mode=True)
            self.avg = nn.AvgPool2d((2, 3), stride=(2, 1), padding=1, ceil_mode=True)
            self.valid = nn.Conv2d(4, 8, 2, padding="valid", padding_mode="replicate")
            self.up = nn.ConvTranspose2d(8, 8, 3, stride=2, padding=1, output_padding=1)
            self.up2 = nn.ConvTranspose2d(8, 8, (4, 3), stride=(3, 1), padding=(2, 0), dilation=(2, 1),
                                          output_padding=(2, 0))
            self.upsample = nn.Upsample(scale_factor=(2, 3), mode="nearest")
            self.unshuffle = nn.PixelUnshuffle(2)
            self.shuffle = nn.PixelShuffle(2)
            self.zero = nn.ZeroPad2d((1, 0, 2, 1))
            self.act = nn.LeakyReLU(0.1)
            self.norm = nn.BatchNorm2d(8)
            self.drop = nn.Dropout2d(0.1)

        def forward(self, x):
            x = self.down(self.stem(x))
            x = self.avg(self.pool(x))
            x = self.norm(self.up(self.valid(x)))
            x = self.drop(self.act(self.up2(x)))
            x = F.interpolate(self.upsample(x), scale_factor=2, mode="bilinear")
            if self.use_unshuffle:
                x = self.shuffle(self.unshuffle(x))
            x = F.pad(self.zero(x), (-1, 2, 0, -3))
            return x[:, :, 1:-1, 2:].sigmoid()

    class Merges(nn.Module):
        """Skips, elementwise merges, broadcasting excitations, shared modules, unpooling (which the
        TorchScript exporter cannot export: ``unpool=False`` leaves it out)."""

        def __init__(self, unpool=True):
            super().__init__()
            self.use_unpool = unpool
            self.conv = nn.Conv2d(2, 8, 3, padding=1)
            self.pool = nn.MaxPool2d(2)
            self.mid = nn.Conv2d(8, 8, 3, padding=1)
            self.up = nn.ConvTranspose2d(8, 8, 2, stride=2)
            self.se = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(8, 2, 1), nn.ReLU(), nn.Conv2d(2, 8, 1),
                                    nn.Sigmoid())
            self.fc = nn.Linear(8, 8)
            self.bias = nn.Parameter(torch.zeros(1, 8, 1, 1))
            self.unpool = nn.MaxUnpool2d(2)
            self.head = nn.Conv2d(16, 1, 1)

        def forward(self, x):
            skip = torch.relu(self.conv(x))
            a, b = torch.chunk(skip, 2, dim=1)
            skip = torch.cat((b, a), dim=1) + skip
            y = self.pool(self.pool(skip))  # one module called twice
            y = self.up(self.up(self.mid(y)))
            y = y * self.se(y) + self.bias
            w = F.adaptive_avg_pool2d(y, 1).flatten(1)
            y = y * self.fc(w).view(-1, 8, 1, 1)
            if self.use_unpool:
                pooled, indices = F.max_pool2d(y, 2, return_indices=True)
                y = torch.add(self.unpool(pooled, indices), y)
            y = y - y.mean(dim=1, keepdim=True) * 0.5
            return self.head(torch.cat([y, skip], 1))

    class Line(nn.Module):
        """1-D: an audio-like encoder/decoder with a skip."""

        def __init__(self):
            super().__init__()
            self.down = nn.Conv1d(1, 4, 5, stride=3, padding=1)
            self.pool = nn.AvgPool1d(3, stride=2, ceil_mode=True)
            self.up = nn.Upsample(scale_factor=2)
            self.tconv = nn.ConvTranspose1d(4, 4, 5, stride=3, padding=1, output_padding=1)

        def forward(self, x):
            d = self.down(x)
            u = self.up(self.pool(d))
            return self.tconv(torch.cat([u, d], 1)[:, :4])

    class Volume(nn.Module):
        """3-D: strided convolution, pooling, transposed convolution and a skip."""

        def __init__(self):
            super().__init__()
            self.conv = nn.Conv3d(1, 2, 3, padding=1)
            self.pool = nn.MaxPool3d((2, 2, 1))
            self.up = nn.ConvTranspose3d(2, 2, (2, 2, 1), stride=(2, 2, 1))

        def forward(self, x):
            x = self.conv(x)
            return torch.cat([self.up(self.pool(x)), x], 1)

    return {"Chain": (Chain, 2, 3), "Merges": (Merges, 2, 2), "Line": (Line, 1, 1), "Volume": (Volume, 3, 1)}


def sizes_for(ndim: int):
    if ndim == 1:
        return [(n,) for n in range(1, 70)]
    if ndim == 2:
        return [(n, n) for n in range(1, 41)] + [(n, 29 - n) for n in range(3, 27, 3)]
    return [(a, b, c) for a in (1, 2, 3, 4, 7, 8) for b in (2, 5, 6) for c in (1, 3)]


@pytest.mark.parametrize("which", ["Chain", "Merges", "Line", "Volume"])
def test_torch_trace_equals_pytorch_at_every_size(torch, which):
    from tconvcalc.network.readers.torch import from_torch

    cls, ndim, channels = make_modules(torch)[which]
    model = cls().eval()
    net = from_torch(model)
    assert net.ndim == ndim
    assert assert_matches_torch(torch, model, net, sizes_for(ndim), channels) >= 3  # it runs somewhere


def test_torch_names_and_structure(torch):
    from tconvcalc.network.readers.torch import from_torch

    cls, _, _ = make_modules(torch)["Merges"]
    net = from_torch(cls())
    names = [node.name for node in net.nodes]
    assert names[:2] == ["conv", "relu"]  # torch.relu feeds the chunk and the add: kept
    assert "pool#2" in names and "up#2" in names  # a module called twice
    assert net.by_name["cat"].op == "concat" and net.by_name["cat"].inputs == ("chunk:1", "chunk")
    assert net.by_name["add"].op == "add"
    assert "mul" not in net.by_name and "add_1" not in net.by_name  # y * se(y) + bias: size-1 factors pass
    assert net.by_name["mul_1"].op == "identity" and net.by_name["mul_1"].inputs == ("up#2",)  # read by a merge
    assert net.by_name["sub"].inputs == ("add_2", "mul_2") and net.by_name["mul_2"].channels == 1
    assert net.by_name["unpool"].op == "conv_transpose"
    assert net.by_name["se.0"].op == "adaptive_pool"
    assert net.channels == 2 and net.by_name["conv"].channels == 8 and net.by_name["cat_1"].channels == 16
    assert net.outputs == ("head",)
    assert "fc" not in names  # the linear layer acts on pooled features: no size of its own


def test_torch_domain_equals_a_pytorch_sweep(torch):
    """A U-Net-like model: the derived domain is exactly the sizes PyTorch runs, 1..64."""
    nn = torch.nn

    class Small(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc1 = nn.Conv2d(1, 2, 3, padding=1)
            self.down1 = nn.MaxPool2d(2, ceil_mode=True)
            self.enc2 = nn.Conv2d(2, 2, 3, padding=1)
            self.down2 = nn.Conv2d(2, 2, 3, stride=2, padding=1)
            self.mid = nn.Conv2d(2, 2, 3, padding=1)
            self.up2 = nn.ConvTranspose2d(2, 2, 3, stride=2, padding=1)  # 2n - 1
            self.up1 = nn.Upsample(scale_factor=2)

        def forward(self, x):
            s1 = self.enc1(x)
            s2 = self.enc2(self.down1(s1))
            y = torch.cat([self.up2(self.mid(self.down2(s2))), s2], 1)
            return torch.cat([self.up1(y), s1], 1)

    from tconvcalc.network.readers.torch import from_torch

    model = Small().eval()
    net = from_torch(model)
    for axis in (0, 1):
        found = axis_domain(net, axis)
        ran = [n for n in range(1, 65)
               if torch_run(torch, model, tuple(n if a == axis else 10 for a in (0, 1)), 1)[0] is not None]
        assert accepted(found, 64) == ran
        assert ran and len(ran) < 64


def test_load_torch_reads_files_and_modules(torch, tmp_path):
    net = load(f"{EXAMPLES / 'odd_unet.py'}:OddUNet", {"widths": [2, 2, 2, 2]})
    assert net.by_name["enc1.conv1"].channels == 2 and net.outputs == ("head",)
    code = tmp_path / "factory.py"
    code.write_text("import torch\n\ndef build(width=3):\n    from blocks import block  # a sibling, imported late\n"
                    "    return torch.nn.Sequential(torch.nn.Conv1d(1, width, 3), block())\n")
    (tmp_path / "blocks.py").write_text("import torch\n\ndef block():\n    return torch.nn.ReLU()\n")
    net = load(f"{code}:build", {"width": 5})
    assert [node.name for node in net.nodes] == ["0", "1"] and net.by_name["0"].channels == 5
    sys.path.insert(0, str(tmp_path))
    try:
        net = load("factory:build")  # a dotted module name
    finally:
        sys.path.remove(str(tmp_path))
    assert net.ndim == 1


def test_torch_errors_are_one_sentence(torch, tmp_path, monkeypatch):
    from tconvcalc.network.readers.torch import from_torch, load_torch

    nn, F = torch.nn, torch.nn.functional
    code = tmp_path / "models.py"
    code.write_text("import torch\n\nclass Net(torch.nn.Module):\n    def __init__(self, k=3):\n"
                    "        super().__init__()\n"
                    "        self.c = torch.nn.Conv2d(1, 1, k)\n    def forward(self, x):\n        return self.c(x)\n\n"
                    "def broken():\n    raise ValueError('no such width')\n\ndef number():\n    return 3\n\n"
                    "def leaves():\n    import sys\n    sys.exit(0)\n\n"
                    "class Quits(torch.nn.Module):\n    def forward(self, x):\n"
                    "        import sys\n        sys.exit(0)\n")
    quits = tmp_path / "quits.py"
    quits.write_text("import sys\nsys.exit(0)\n")  # user code must not end tconvcalc with status 0 and no answer
    notes = tmp_path / "model.txt"
    notes.write_text("class Net: pass\n")
    cases = [
        (f"{quits}:Net", {}, "raised SystemExit while importing"),
        (f"{code}:leaves", {}, "raised SystemExit"),
        (f"{code}:Quits", {}, "torch.fx cannot trace Quits \\(SystemExit"),  # forward() is user code too
        (f"{tmp_path / 'missing.py'}:Net", {}, "does not exist"),
        (f"{notes}:Net", {}, "is not a Python file Python can import"),  # an internal error before
        (f"{code}:Other", {}, "has no attribute 'Other'"),
        (f"{code}:broken", {}, "raised ValueError: no such width"),
        (f"{code}:number", {}, "returned a int, not a torch.nn.Module"),
        (f"{code}:Net", {"kk": 1}, "raised TypeError"),
        ("no_such_package_xyz.models:Net", {}, "cannot be imported"),
    ]
    for spec, kwargs, message in cases:
        with pytest.raises(ParameterError, match=message) as caught:
            load_torch(spec, kwargs)
        one_sentence(caught.value)

    class Branchy(nn.Module):
        def forward(self, x):
            return x if x.shape[2] > 3 else -x

    class Sized(nn.Module):
        def __init__(self):
            super().__init__()
            self.c = nn.Conv2d(1, 1, 3)
            self.up = nn.ConvTranspose2d(1, 1, 2, stride=2)

        def forward(self, x):
            y = self.c(x)
            return self.up(y, output_size=x.shape[2:])

    class Resized(nn.Module):
        def forward(self, x):
            return F.interpolate(F.max_pool2d(x, 2), size=x.shape[2:]) + x

    class Wide(nn.Module):
        def forward(self, x):
            return torch.cat([F.max_pool2d(x, 2), x], dim=3)

    class Mirror(nn.Module):
        def __init__(self):
            super().__init__()
            self.pad = nn.ReflectionPad2d(2)
            self.c = nn.Conv2d(1, 1, 3)

        def forward(self, x):
            return self.c(self.pad(x))

    class Linear(nn.Module):
        def __init__(self):
            super().__init__()
            self.c = nn.Conv2d(1, 1, 3)
            self.fc = nn.Linear(5, 5)

        def forward(self, x):
            return self.fc(self.c(x))

    class Fractional(nn.Module):
        def forward(self, x):
            return F.interpolate(F.avg_pool2d(x, 2), scale_factor=1.5)

    class Slicer(nn.Module):
        def forward(self, x):
            return F.max_pool2d(x, 2)[:, :, :8]

    for module, message in [
        (Branchy(), "torch.fx cannot trace Branchy .*export the model to ONNX"),
        (Sized(), "node 'up' \\(ConvTranspose2d\\) is called with output_size"),
        (Resized(), "node 'interpolate' \\(F.interpolate\\) resizes to a size read from another tensor"),
        (Wide(), "node 'cat' \\(torch.cat\\) concatenates along spatial axis 1"),
        (Mirror(), "node 'pad' \\(ReflectionPad2d\\) pads in 'reflect' mode"),
        (Linear(), "node 'fc' \\(Linear\\) could change a spatial size"),
        (Fractional(), "scales axis 0 by 1.5"),
        (Slicer(), "keeps \\[None:8\\] of spatial axis 0"),
        ("not a module", "str is not a torch.nn.Module"),
    ]:
        with pytest.raises(ParameterError, match=message) as caught:
            from_torch(module)
        one_sentence(caught.value)
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(NotInstalledError, match="reading PyTorch modules needs it") as caught:
        load_torch(f"{code}:Net")
    # the CPU build from PyTorch's own index, not a bare `pip install torch` (which pulls CUDA on Linux)
    assert "python -m pip install torch --index-url https://download.pytorch.org/whl/cpu" in one_sentence(caught.value)


# --- ONNX, exported from PyTorch and run with onnxruntime ---------------------------------------------------
@pytest.fixture(scope="module")
def onnx():
    return pytest.importorskip("onnx", reason=ONNX_REASON)


def ort_sizes(model, size, channels):
    """onnxruntime on zeros: {tensor name: spatial size} for every node output, or None if it fails."""
    ort = pytest.importorskip("onnxruntime", reason=ONNX_REASON)
    import numpy as np
    import onnx

    model = onnx.ModelProto.FromString(model.SerializeToString())
    known = {o.name for o in model.graph.output}
    for node in model.graph.node:
        for name in node.output:
            if name and name not in known:
                model.graph.output.append(onnx.helper.make_empty_tensor_value_info(name))
    options = ort.SessionOptions()
    options.log_severity_level = 4
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    feed = {session.get_inputs()[0].name: np.zeros((1, channels, *size), np.float32)}
    try:
        results = session.run(None, feed)
    except Exception:
        return None
    return {out.name: tuple(value.shape[2:]) for out, value in zip(session.get_outputs(), results)
            if hasattr(value, "shape") and value.ndim >= 2}


def ort_pools_small(net, failure, found, outputs) -> bool:
    """onnxruntime's truncating division in pooling (see test_onnx_pooling_disagreement): it pools a window
    larger than the padded input into 1 sample (or 0, and runs on with empty tensors) where tconvcalc, the
    ONNX formula and PyTorch stop."""
    node = net.by_name[failure.node]
    if node.op not in ("max_pool", "avg_pool") or failure.sizes is None:
        return False
    span = [q["d"] * (q["k"] - 1) + 1 - sum(q["pad"]) for q in node.axes][failure.axis]
    small = failure.sizes[0] < span
    return small and (found is None or found.get(outputs.get(failure.node), (0,) * 3)[failure.axis] <= 1)


def assert_matches_ort(model, net, sizes, channels):
    """At every size: the trace fails exactly where onnxruntime does (but for its small poolings), and
    every node's size agrees."""
    outputs = {(node.name or node.output[0]): node.output[0] for node in model.graph.node}
    agreed = 0
    for size in sizes:
        found = ort_sizes(model, size, channels)
        result = trace(net, size)
        if found is not None and result.failure is not None and ort_pools_small(net, result.failure, found, outputs):
            continue
        assert (result.failure is None) == (found is not None), (size, result.failure)
        for row in result.rows:
            if found is not None and row.name in outputs:
                assert row.output_size == found[outputs[row.name]], (size, row.name)
        agreed += found is not None
    return agreed


def export(torch, model, ndim, channels, path, example=8):
    names = {2 + a: f"s{a}" for a in range(ndim)}
    torch.onnx.export(model.eval(), (torch.zeros(1, channels, *([example] * ndim)),), str(path), dynamo=False,
                      input_names=["x"], output_names=["y"], dynamic_axes={"x": names}, opset_version=17)


@pytest.mark.parametrize("which", ["Chain", "Merges", "Line", "Volume"])
def test_onnx_export_trace_equals_onnxruntime(torch, onnx, tmp_path, which):
    from tconvcalc.network.readers.onnx import load_onnx

    cls, ndim, channels = make_modules(torch)[which]
    model = (cls(unpool=False) if which == "Merges" else cls(unshuffle=False) if which == "Chain" else cls()).eval()
    path = tmp_path / f"{which}.onnx"
    example = next(n for n in range(4, 99) if torch_run(torch, model, (n,) * ndim, channels)[0] is not None)
    export(torch, model, ndim, channels, path, example)
    net = load_onnx(path)
    assert net.ndim == ndim and net.channels == channels
    proto = onnx.load(str(path))
    sizes = sizes_for(ndim)
    assert assert_matches_ort(proto, net, sizes, channels) >= 3
    for size in sizes[::3]:  # and the same as the PyTorch module
        assert trace(net, size).output_size == torch_run(torch, model, size, channels)[0]


def _graph(onnx, nodes, ndim=2, inits=(), opset=22, channels=1):
    helper = onnx.helper
    x = helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, channels] + [f"s{a}" for a in range(ndim)])
    y = helper.make_tensor_value_info(nodes[-1].output[0], onnx.TensorProto.FLOAT, None)
    graph = helper.make_graph(nodes, "g", [x], [y], list(inits))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _tensor(onnx, name, values, dtype="float32"):
    import numpy as np

    return onnx.numpy_helper.from_array(np.array(values, dtype=dtype), name)


def _weight(onnx, name, shape):
    import numpy as np

    return onnx.numpy_helper.from_array(np.ones(shape, np.float32), name)


def hand_models(onnx):
    """Attributes PyTorch's exporter never writes, one graph each: (model, sizes)."""
    h = onnx.helper
    sizes1 = [(n,) for n in range(1, 30)]
    sizes2 = [(a, b) for a in range(1, 33) for b in (1, 6, 17)]
    models = {}
    for auto_pad in ("SAME_UPPER", "SAME_LOWER", "VALID"):
        # onnxruntime refuses SAME with dilations and pads SAME transposed layers whose kernel is shorter
        # than the stride differently from the ONNX spec (test_onnx_same_disagreements): not here
        dilations = [2, 1] if auto_pad == "VALID" else [1, 1]
        models[f"conv {auto_pad}"] = (_graph(onnx, [
            h.make_node("Conv", ["x", "w"], ["c"], "conv", auto_pad=auto_pad, strides=[3, 2], dilations=dilations),
            h.make_node("MaxPool", ["c"], ["p"], "pool", kernel_shape=[3, 2], strides=[2, 2], auto_pad=auto_pad),
            h.make_node("AveragePool", ["p"], ["a"], "avg", kernel_shape=[2, 2], auto_pad=auto_pad),
            h.make_node("ConvTranspose", ["a", "t"], ["y"], "tconv", auto_pad=auto_pad, strides=[2, 3],
                        output_padding=[1, 0]),
        ], inits=[_weight(onnx, "w", (2, 1, 3, 4)), _weight(onnx, "t", (2, 2, 3, 3))]), sizes2)
    models["pads"] = (_graph(onnx, [
        h.make_node("Conv", ["x", "w"], ["c"], "conv", pads=[2, 0, 1, 3], strides=[2, 1]),
        h.make_node("MaxPool", ["c"], ["p"], "pool", kernel_shape=[3, 3], strides=[2, 3], pads=[1, 0, 1, 2],
                    ceil_mode=1, dilations=[1, 2]),
        h.make_node("AveragePool", ["p"], ["a"], "avg", kernel_shape=[2, 3], strides=[1, 2], pads=[1, 1, 0, 2],
                    ceil_mode=1, count_include_pad=1),
        h.make_node("ConvTranspose", ["a", "t"], ["y"], "tconv", pads=[1, 2, 0, 1], strides=[3, 2],
                    dilations=[1, 2], output_padding=[2, 1], group=2),
    ], inits=[_weight(onnx, "w", (2, 1, 3, 2)), _weight(onnx, "t", (2, 1, 2, 3))]), sizes2)
    models["resize"] = (_graph(onnx, [
        h.make_node("Resize", ["x", "", "scales"], ["r"], "resize", mode="nearest"),
        h.make_node("Pad", ["r", "pads"], ["p"], "pad"),
        h.make_node("Slice", ["p", "starts", "ends", "axes"], ["s"], "slice"),
        h.make_node("SpaceToDepth", ["s"], ["d"], "s2d", blocksize=2),
        h.make_node("DepthToSpace", ["d"], ["u"], "d2s", blocksize=2, mode="CRD"),
        h.make_node("Resize", ["u", "", "", "sizes"], ["y"], "to_size", mode="linear"),
    ], inits=[_tensor(onnx, "scales", [1, 1, 3, 2]), _tensor(onnx, "pads", [0, 0, 2, -1, 0, 0, -1, 3], "int64"),
              _tensor(onnx, "starts", [1, 2], "int64"), _tensor(onnx, "ends", [-2, 2 ** 63 - 1], "int64"),
              _tensor(onnx, "axes", [2, 3], "int64"), _tensor(onnx, "sizes", [1, 1, 5, 6], "int64")],
        channels=1), sizes2)
    # an unpooling smaller than the pooling's input fails or not with the data (an index past its end):
    # only sizes it restores exactly
    models["unpool"] = (_graph(onnx, [
        h.make_node("MaxPool", ["x"], ["p", "i"], "pool", kernel_shape=[2, 3], strides=[2, 2], pads=[0, 1, 0, 1]),
        h.make_node("MaxUnpool", ["p", "i"], ["y"], "unpool", kernel_shape=[2, 3], strides=[2, 2],
                    pads=[0, 1, 0, 1]),
    ]), [(a, b) for a in range(2, 30, 2) for b in range(1, 30, 2)])
    models["merges"] = (_graph(onnx, [
        h.make_node("Conv", ["x", "w"], ["a"], "a", pads=[1, 1]),
        h.make_node("MaxPool", ["a"], ["p"], "pool", kernel_shape=[2], strides=[2]),
        h.make_node("Upsample", ["p", "up"], ["u"], "upsample", mode="nearest"),
        h.make_node("Sum", ["a", "u", "a"], ["s"], "sum"),
        h.make_node("Mul", ["s", "scale"], ["m"], "scaled"),
        h.make_node("GlobalAveragePool", ["m"], ["g"], "gap"),
        h.make_node("Sigmoid", ["g"], ["gs"], "gate"),
        h.make_node("Mul", ["m", "gs"], ["e"], "excite"),
        h.make_node("ReduceMean", ["e"], ["r"], "mean", axes=[1], keepdims=1),
        h.make_node("Relu", ["r"], ["rr"], "relu"),
        h.make_node("Concat", ["rr", "e", "a"], ["y"], "cat", axis=1),
    ], ndim=1, opset=9, inits=[_weight(onnx, "w", (3, 1, 3)), _tensor(onnx, "up", [1, 1, 2]),
                                _tensor(onnx, "scale", [[2.0], [3.0], [4.0]])]), sizes1)
    return models


@pytest.mark.parametrize("name", ["conv SAME_UPPER", "conv SAME_LOWER", "conv VALID", "pads", "resize", "unpool",
                                  "merges"])
def test_onnx_attributes_trace_equals_onnxruntime(onnx, name):
    from tconvcalc.network.readers.onnx import from_onnx

    model, sizes = hand_models(onnx)[name]
    net = from_onnx(model, name)
    channels = model.graph.input[0].type.tensor_type.shape.dim[1].dim_value
    assert assert_matches_ort(model, net, sizes, channels) >= 5


def test_onnx_merges_structure(onnx):
    from tconvcalc.network.readers.onnx import from_onnx

    net = from_onnx(hand_models(onnx)["merges"][0], "merges")
    assert net.by_name["sum"].op == "add" and net.by_name["sum"].inputs == ("a", "upsample")  # a + u + a
    assert net.by_name["excite"].op == "identity"  # times a 1-wide gate: broadcast
    assert "scaled" not in net.by_name  # times a constant: dropped, its reader reads the sum
    assert net.by_name["cat"].inputs == ("relu", "excite", "a") and net.by_name["cat"].channels == 7
    assert net.by_name["upsample"].axes == ({"r": 2},)


def test_onnx_pooling_disagreement(onnx):
    """onnxruntime sizes a pooling whose window is larger than the padded input with C's truncating
    division: MaxPool k2 s2 on 1 sample gives 1 sample (PyTorch raises, the ONNX formula gives 0).
    tconvcalc follows the ONNX formula and PyTorch."""
    from tconvcalc.network.readers.onnx import from_onnx

    h = onnx.helper
    model = _graph(onnx, [h.make_node("MaxPool", ["x"], ["y"], "pool", kernel_shape=[2], strides=[2])], ndim=1)
    net = from_onnx(model, "pool")
    assert ort_sizes(model, (1,), 1)["y"] == (1,)
    assert trace(net, (1,)).failure.node == "pool"
    assert [ort_sizes(model, (n,), 1)["y"] for n in range(2, 9)] == [trace(net, (n,)).output_size
                                                                      for n in range(2, 9)]


def test_onnx_same_disagreements(onnx):
    """onnxruntime and the ONNX spec part ways on auto_pad SAME: onnxruntime refuses a SAME convolution with
    dilations at every size, and a SAME transposed layer whose dilated kernel plus output_padding is shorter
    than the stride gives (n-1)s + d(k-1) + 1 + output_padding (it never pads by a negative amount) instead
    of the spec's n·s.  tconvcalc follows the spec."""
    from tconvcalc.network.readers.onnx import from_onnx

    h = onnx.helper
    conv = _graph(onnx, [h.make_node("Conv", ["x", "w"], ["y"], "conv", auto_pad="SAME_UPPER", dilations=[2])],
                  ndim=1, inits=[_weight(onnx, "w", (1, 1, 3))])
    assert [ort_sizes(conv, (n,), 1) for n in (1, 5, 9)] == [None] * 3
    assert trace(from_onnx(conv, "conv"), (5,)).output_size == (5,)
    up = _graph(onnx, [h.make_node("ConvTranspose", ["x", "w"], ["y"], "up", auto_pad="SAME_UPPER", strides=[3])],
                ndim=1, inits=[_weight(onnx, "w", (1, 1, 2))])
    net = from_onnx(up, "up")
    assert net.nodes[0].axes[0]["crop"] == (-1, 0)  # the spec: n·s, UPPER puts an odd negative total first
    assert [ort_sizes(up, (n,), 1)["y"][0] for n in range(1, 6)] == [3 * n - 1 for n in range(1, 6)]
    assert [trace(net, (n,)).output_size[0] for n in range(1, 6)] == [3 * n for n in range(1, 6)]


def test_onnx_output_shape_disagreement(onnx):
    """ConvTranspose with output_shape: tconvcalc's fixed size needs full + output_padding ≥ output_shape;
    onnxruntime runs up to full + stride - 1 (zeros appended) whatever output_padding is."""
    from tconvcalc.network.readers.onnx import from_onnx

    h = onnx.helper
    for op in (0, 2):
        model = _graph(onnx, [h.make_node("ConvTranspose", ["x", "w"], ["y"], "up", strides=[3], output_shape=[10],
                                          output_padding=[op])], ndim=1, inits=[_weight(onnx, "w", (1, 1, 2))])
        net = from_onnx(model, "up")
        assert net.nodes[0].axes == ({"k": 2, "s": 3, "d": 1, "fixed": 10, "op": op},)
        ours = [n for n in range(1, 8) if trace(net, (n,)).failure is None]
        theirs = [n for n in range(1, 8) if ort_sizes(model, (n,), 1) is not None]
        assert theirs == [3, 4, 5, 6, 7]  # full = 3n - 1 ≥ 10 - 2
        assert ours == ([3, 4, 5, 6, 7] if op == 2 else [4, 5, 6, 7])


def test_onnx_dynamo_export_reads(torch, onnx, tmp_path):
    """PyTorch's default exporter (torch.export): Resize with constant scales from an initializer."""
    from tconvcalc.network.readers.onnx import load_onnx

    fixtures = sorted(FIXTURES.glob("*.dynamo.onnx"))
    if not fixtures:
        pytest.skip("no committed dynamo exports in tests/fixtures/networks")
    for path in fixtures:
        net = load_onnx(path)
        assert net.ndim in (1, 2) and all(node.name.startswith("node_") for node in net.nodes)


def test_onnx_errors_are_one_sentence(onnx, torch, tmp_path, monkeypatch):
    from tconvcalc.network.readers.onnx import from_onnx, load_onnx

    h = onnx.helper
    F = torch.nn.functional

    class Resized(torch.nn.Module):
        def forward(self, x):
            return F.interpolate(F.max_pool2d(x, 2), size=x.shape[2:]) + x

    path = tmp_path / "resized.onnx"
    export(torch, Resized(), 2, 1, path)
    with pytest.raises(ParameterError, match="\\(Resize\\) takes its sizes from .* computed at run time") as caught:
        load_onnx(path)
    one_sentence(caught.value)
    weight = [_weight(onnx, "w", (1, 1, 3, 3))]
    cases = [
        ([h.make_node("Conv", ["x", "w"], ["c"], "c"),
          h.make_node("Transpose", ["c"], ["y"], "flip", perm=[0, 1, 3, 2])],
         "node 'flip' \\(Transpose\\) could change a spatial size"),
        ([h.make_node("Conv", ["x", "w"], ["c"], "c"), h.make_node("Concat", ["c", "x"], ["y"], "cat", axis=3)],
         "node 'cat' \\(Concat\\) concatenates along spatial axis 1"),
        ([h.make_node("Conv", ["y", "w"], ["c"], "c"), h.make_node("Relu", ["c"], ["y"], "loop")],
         "node 'c' \\(Conv\\) reads 'y', which no earlier node.*no cycles"),
        ([h.make_node("Resize", ["x", "", "s"], ["y"], "half")], "scales spatial axis 0 by 0.5"),
        ([h.make_node("Resize", ["x", "", "nan"], ["y"], "nan")], "scales spatial axis 0 by nan"),
        ([h.make_node("Resize", ["x", "", "inf"], ["y"], "inf")], "scales spatial axis 1 by inf"),
        ([h.make_node("Pad", ["x", "p"], ["y"], "mirror", mode="reflect")], "pads in 'reflect' mode"),
        ([h.make_node("Slice", ["x", "b", "e", "a"], ["y"], "first")], "keeps \\[0:4\\] of spatial axis 1"),
        ([h.make_node("Shape", ["x"], ["sh"], "shape"), h.make_node("Cast", ["sh"], ["f"], "cast", to=1),
          h.make_node("Resize", ["x", "", "f"], ["y"], "dyn")], "takes its scales from 'f', computed at run time"),
        ([h.make_node("Add", ["x", "plane"], ["y"], "plus")], "constant 'plane' of shape \\[1, 1, 5, 5\\]"),
    ]
    consts = weight + [_tensor(onnx, "s", [1, 1, 0.5, 1]), _tensor(onnx, "nan", [1, 1, float("nan"), 1]),
                       _tensor(onnx, "inf", [1, 1, 2, float("inf")]),
                       _tensor(onnx, "p", [0, 0, 1, 1, 0, 0, 1, 1], "int64"),
                       _tensor(onnx, "b", [0], "int64"), _tensor(onnx, "e", [4], "int64"),
                       _tensor(onnx, "a", [3], "int64"), _weight(onnx, "plane", (1, 1, 5, 5))]
    for nodes, message in cases:
        graph = h.make_graph(nodes, "g", [h.make_tensor_value_info("x", 1, [1, 1, "h", "w"])],
                             [h.make_tensor_value_info(nodes[-1].output[0], 1, None)], consts)
        model = h.make_model(graph, opset_imports=[h.make_opsetid("", 18)])
        with pytest.raises(ParameterError, match=message) as caught:
            from_onnx(model, "m.onnx")
        assert one_sentence(caught.value).startswith("m.onnx: ")
    (tmp_path / "junk.onnx").write_bytes(b"\x00not a model at all")
    for bad, message in [(tmp_path / "none.onnx", "does not exist"), (tmp_path, "is a directory"),
                         (tmp_path / "junk.onnx", "is not an ONNX model")]:
        with pytest.raises(ParameterError, match=message) as caught:
            load_onnx(bad)
        one_sentence(caught.value)
    two = h.make_graph([h.make_node("Add", ["x", "z"], ["y"])], "g",
                       [h.make_tensor_value_info(n, 1, [1, 1, 4]) for n in "xz"],
                       [h.make_tensor_value_info("y", 1, None)])
    with pytest.raises(ParameterError, match="has 2 inputs \\(x, z\\)"):
        from_onnx(h.make_model(two), "two")
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(NotInstalledError, match="reading ONNX models needs it") as caught:
        load_onnx(path)
    assert "tconvcalc[onnx]" in one_sentence(caught.value)


# --- Keras: configs written by hand (no Keras needed) and models saved by Keras ---------------------------
def keras_tensor(layer: str, node: int = 0, shape=None):
    return {"class_name": "__keras_tensor__", "config": {"shape": shape, "dtype": "float32",
                                                          "keras_history": [layer, node, 0]}}


def keras_layer(kind: str, name: str, inputs, **config):
    """A Keras 3 functional layer entry; ``inputs``: one call's tensors ((layer, node) pairs)."""
    args = [keras_tensor(*ref) for ref in inputs]
    return {"module": "keras.layers", "class_name": kind, "config": {"name": name, **config},
            "registered_name": None, "name": name,
            "inbound_nodes": [{"args": [args] if len(args) > 1 else args, "kwargs": {}}]}


def keras3_config():
    layers = [
        {"module": "keras.layers", "class_name": "InputLayer", "name": "image", "inbound_nodes": [],
         "config": {"batch_shape": [None, None, None, 3], "dtype": "float32", "name": "image"}},
        keras_layer("Conv2D", "c1", [("image", 0)], filters=4, kernel_size=[3, 3], strides=[2, 2], padding="same",
                    dilation_rate=[1, 1], data_format="channels_last"),
        keras_layer("BatchNormalization", "bn", [("c1", 0)], axis=-1),
        keras_layer("MaxPooling2D", "p1", [("bn", 0)], pool_size=[2, 2], strides=[2, 2], padding="valid",
                    data_format="channels_last"),
        keras_layer("Conv2D", "c2", [("p1", 0)], filters=4, kernel_size=[3, 3], strides=[1, 1], padding="valid",
                    dilation_rate=[1, 1], data_format="channels_last"),
        keras_layer("ZeroPadding2D", "zp", [("c2", 0)], padding=[[1, 1], [1, 1]]),
        keras_layer("Conv2DTranspose", "up", [("zp", 0)], filters=4, kernel_size=[3, 3], strides=[2, 2],
                    padding="same", output_padding=None, dilation_rate=[1, 1], data_format="channels_last"),
        keras_layer("Concatenate", "cat", [("up", 0), ("bn", 0)], axis=-1),
        keras_layer("Conv2DTranspose", "up2", [("cat", 0)], filters=2, kernel_size=[4, 4], strides=[2, 2],
                    padding="valid", output_padding=[1, 1], dilation_rate=[1, 1], data_format="channels_last"),
        keras_layer("Cropping2D", "crop", [("up2", 0)], cropping=[[2, 1], [1, 2]], data_format="channels_last"),
        keras_layer("UpSampling2D", "us", [("crop", 0)], size=[2, 3], data_format="channels_last"),
        keras_layer("Activation", "act", [("us", 0)], activation="relu"),
    ]
    shared = keras_layer("Conv2D", "shared", [("act", 0)], filters=2, kernel_size=[1, 1], strides=[1, 1],
                         padding="valid", dilation_rate=[1, 1], data_format="channels_last")
    shared["inbound_nodes"].append({"args": [keras_tensor("shared", 0)], "kwargs": {}})
    layers += [shared, keras_layer("Add", "add", [("shared", 0), ("shared", 1)])]
    return {"module": "keras.src.models.functional", "class_name": "Functional",
            "config": {"name": "hand", "trainable": True, "layers": layers, "input_layers": ["image", 0, 0],
                       "output_layers": ["add", 0, 0]}}


def keras_sizes(n: int):
    """The Keras sizes of keras3_config along one axis (Keras's own formulas), or None where it fails."""
    c1 = -(-n // 2)
    if c1 < 2:
        return None
    c2 = c1 // 2 - 2
    if c2 < 1:
        return None
    up = (c2 + 2) * 2
    return up if up == c1 else None


def write_keras(path: Path, config: dict) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
    return path


def test_keras3_config_by_hand(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "keras", None)  # read without importing Keras or TensorFlow
    monkeypatch.setitem(sys.modules, "tensorflow", None)
    net = load(str(write_keras(tmp_path / "hand.keras", keras3_config())))
    assert [node.name for node in net.nodes] == ["c1", "bn", "p1", "c2", "zp", "up", "cat", "up2", "crop", "us",
                                                 "shared", "shared#2", "add"]
    assert net.channels == 3 and net.by_name["cat"].channels == 8 and net.by_name["shared"].inputs == ("us",)
    assert net.by_name["up"].axes[0] == {"k": 3, "s": 2, "d": 1, "crop": (0, 1)}  # Keras same, k3 s2: 2n
    assert net.by_name["up2"].axes[0]["crop"] == (0, -1)  # valid with output_padding 1: 2n + 3
    ran = []
    for n in range(1, 60):
        result = trace(net, (n, n))
        expected = keras_sizes(n)
        assert (result.failure is None) == (expected is not None), n
        if expected is not None:
            up2 = (2 * expected + 2 + 1) - 3
            assert result.output_size == (up2 * 2, up2 * 3)
            ran.append(n)
    assert accepted(axis_domain(net, 0), 59) == ran and ran


def test_keras2_and_sequential_configs(tmp_path):
    keras2 = {"class_name": "Functional", "config": {"name": "old", "layers": [
        {"class_name": "InputLayer", "name": "input_1", "inbound_nodes": [],
         "config": {"batch_input_shape": [None, 3, None], "name": "input_1"}},
        {"class_name": "Conv1D", "name": "conv1d", "config": {"name": "conv1d", "filters": 2, "kernel_size": [3],
                                                              "strides": [2], "padding": "causal",
                                                              "dilation_rate": [1], "data_format": "channels_first"},
         "inbound_nodes": [[["input_1", 0, 0, {}]]]},
        {"class_name": "Sequential", "name": "block", "config": {"name": "block", "layers": [
            {"class_name": "UpSampling1D", "config": {"name": "us", "size": 2}},
            {"class_name": "Cropping1D", "config": {"name": "crop", "cropping": [1, 0]}}]},
         "inbound_nodes": [[["conv1d", 0, 0, {}]]]},
        {"class_name": "Concatenate", "name": "cat", "config": {"name": "cat", "axis": 1},
         "inbound_nodes": [[["block", 0, 0, {}], ["input_1", 0, 0, {}]]]}],
        "input_layers": [["input_1", 0, 0]], "output_layers": [["cat", 0, 0]]}}
    net = load_keras(write_keras(tmp_path / "old.keras", keras2))
    assert [node.name for node in net.nodes] == ["conv1d", "block/us", "block/crop", "cat"]
    assert net.by_name["conv1d"].axes[0]["pad"] == (2, 0) and net.channels == 3
    # causal k3 s2: ceil(n / 2); x2; minus 1: runs where 2·ceil(n/2) - 1 == n, the odd sizes
    assert accepted(axis_domain(net, 0), 20) == list(range(1, 20, 2))
    sequential = {"class_name": "Sequential", "config": {"name": "seq", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 16, 16, 16, 1], "name": "in"}},
        {"class_name": "Conv3D", "config": {"name": "c", "filters": 2, "kernel_size": 3, "strides": 1,
                                            "padding": "valid", "dilation_rate": 1}},
        {"class_name": "GlobalAveragePooling3D", "config": {"name": "gap", "keepdims": False}},
        {"class_name": "Dense", "config": {"name": "fc", "units": 10}}]}}
    net = from_keras_config(sequential, "seq")
    assert [node.name for node in net.nodes] == ["c", "gap"] and net.default_input == (16, 16, 16)
    assert trace(net, 3).output_size == (1, 1, 1) and trace(net, 2).failure.node == "c"


def test_keras_errors_are_one_sentence(tmp_path):
    config = keras3_config()
    layers = config["config"]["layers"]
    cycle = json.loads(json.dumps(config))
    cycle["config"]["layers"][1]["inbound_nodes"] = [{"args": [keras_tensor("act", 0)], "kwargs": {}}]
    spatial = json.loads(json.dumps(config))
    spatial["config"]["layers"][7]["config"]["axis"] = 2
    lambda_layer = json.loads(json.dumps(config))
    lambda_layer["config"]["layers"][4]["class_name"] = "Lambda"
    flat = json.loads(json.dumps(config))
    flat["config"]["layers"][10]["class_name"] = "Flatten"
    layers[0]["config"]["batch_shape"] = [None, 3]
    cases = [(cycle, "layers c1, bn, p1, c2, zp, up, cat, up2, crop, us, act read each other in a cycle"),
             (spatial, "node 'cat' \\(Concatenate\\) concatenates along spatial axis 1"),
             (lambda_layer, "node 'c2' \\(Lambda\\) could change a spatial size"),
             (flat, "node 'us' \\(Flatten\\) could change a spatial size"),
             (config, "the model's input has rank 2")]
    for bad, message in cases:
        with pytest.raises(ParameterError, match=message) as caught:
            load_keras(write_keras(tmp_path / "bad.keras", bad))
        one_sentence(caught.value)
    (tmp_path / "plain.keras").write_text("{}")
    with zipfile.ZipFile(tmp_path / "empty.keras", "w") as archive:
        archive.writestr("metadata.json", "{}")
    for path, message in [(tmp_path / "none.keras", "does not exist"), (tmp_path / "plain.keras", "not a zip"),
                          (tmp_path / "empty.keras", "has no config.json")]:
        with pytest.raises(ParameterError, match=message) as caught:
            load_keras(path)
        one_sentence(caught.value)


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras", reason="real Keras checks need keras (torch backend): pip install keras")


def test_keras_saved_model_trace_equals_keras(keras, torch, tmp_path):
    """The same layers built and saved by Keras 3, then run by Keras at every size."""
    import numpy as np

    L = keras.layers
    image = keras.Input((None, None, 3), name="image")
    s = L.Conv2D(4, 3, strides=2, padding="same", name="c1")(image)
    x = L.MaxPooling2D(2, padding="same", name="p1")(s)
    x = L.Conv2D(4, 3, padding="valid", dilation_rate=2, name="c2")(x)
    x = L.ZeroPadding2D(((2, 2), (3, 1)), name="zp")(x)
    x = L.Conv2DTranspose(4, 3, strides=2, padding="same", name="up")(x)
    x = L.Concatenate(name="cat")([x, s])
    x = L.Conv2DTranspose(2, 4, strides=3, padding="valid", output_padding=2, name="up2")(x)
    x = L.AveragePooling2D(3, strides=2, padding="valid", name="avg")(x)
    x = L.Cropping2D(((1, 0), (0, 2)), name="crop")(x)
    gate = L.GlobalAveragePooling2D(keepdims=True, name="gap")(x)
    x = L.Multiply(name="excite")([x, gate])
    x = L.UpSampling2D((2, 1), name="us")(x)
    model = keras.Model(image, x)
    path = tmp_path / "real.keras"
    model.save(path)
    net = load_keras(path)
    assert net.by_name["gap"].op == "adaptive_pool" and "excite" not in net.by_name  # times a 1x1 gate: passes
    agreed = 0
    for n in range(1, 48):
        for size in ((n, 20), (20, n)):
            try:
                out = tuple(model(np.zeros((1, *size, 3), np.float32)).shape[1:3])
            except Exception:
                out = None
            result = trace(net, size)
            assert (result.failure is None) == (out is not None), (size, out, result.failure)
            assert out is None or result.output_size == out
            agreed += out is not None
    assert agreed > 10


# --- the committed fixtures: sweeps of the real frameworks, 1..256 per axis --------------------------------
FIXTURE_FILES = sorted(p for p in FIXTURES.glob("*.json") if not p.name.endswith(".keras.onnx.json")) if (
    FIXTURES.is_dir()) else []
# Keras's own ONNX exports (tests/fixtures/make_keras_onnx.py): channels last, read in the tests below
KERAS_ONNX = sorted(FIXTURES.glob("*.keras.onnx")) if FIXTURES.is_dir() else []


def _fixture_net(data: dict):
    runtime = data["runtime"]
    if runtime == "onnxruntime":
        pytest.importorskip("onnx", reason=ONNX_REASON)
        return load(str(ROOT / data["model"]))
    if runtime == "keras":
        return load(str(ROOT / data["model"]))
    pytest.importorskip("torch", reason=f"PyTorch fixtures are read from their code: {TORCH_INSTALL}")
    location, _, factory = data["model"].rpartition(":")
    return load(f"{ROOT / location}:{factory}")


@pytest.mark.skipif(not FIXTURE_FILES, reason="no committed sweeps in tests/fixtures/networks yet")
@pytest.mark.parametrize("path", FIXTURE_FILES, ids=[p.name for p in FIXTURE_FILES])
def test_fixture_sweep_equals_trace_and_domain(path):
    data = json.loads(path.read_text())
    net = _fixture_net(data)
    assert net.ndim == data["ndim"]
    for axis, name in enumerate(data["axes_swept"]):
        ran = []
        for row in data["axes"][name]:
            n, ok = row[0], row[1]
            size = tuple(n if a == axis else data["fixed"] for a in range(data["ndim"]))
            result = trace(net, size)
            if ok and result.failure and data["runtime"] == "onnxruntime" and ort_pools_small(
                    net, result.failure, None, {}):
                continue  # onnxruntime runs it, the ONNX formula and PyTorch refuse it
            assert (result.failure is None) == ok, (name, n, result.failure)
            if ok:
                assert list(result.output_size) == row[2], (name, n)
                ran.append(n)
        assert accepted(axis_domain(net, axis), data["sizes"][1]) == ran, name


@pytest.mark.skipif(not FIXTURE_FILES, reason="no committed sweeps in tests/fixtures/networks yet")
@pytest.mark.parametrize("path", [p for p in FIXTURE_FILES if p.name.endswith(".pytorch.json")],
                         ids=lambda p: p.name)
def test_fixture_module_sizes_equal_trace(torch, path):
    """PyTorch's recorded per-module sizes (forward hooks), and where it failed, against the trace rows."""
    data = json.loads(path.read_text())
    net = _fixture_net(data)
    for case in data["traces"]:
        result = trace(net, case["input"])
        rows = {row.name: list(row.output_size) for row in result.rows}
        for name, size in case["modules"].items():
            if name in rows:
                assert rows[name] == size, (case["input"], name)
        if case["ran"]:
            assert result.failure is None and list(result.output_size) == case["output"]
        else:
            assert result.failure is not None
            failed = case["failed_in"]
            assert result.failure.node == failed if failed in net.by_name else net.by_name[
                result.failure.node].op in ("concat", "add")


@pytest.mark.parametrize("path", [p for p in KERAS_ONNX if not p.name.startswith("layer_")], ids=lambda p: p.name)
def test_keras_onnx_export_runs_the_sizes_keras_ran(path):
    """The export (TensorFlow backend, tf2onnx) in onnxruntime runs exactly the sizes the Keras model ran, with the
    same outputs (two sweeps, both recorded by real runs), and gives Keras's output on the recorded input."""
    exported = json.loads(path.with_name(path.name + ".json").read_text())
    keras_run = json.loads((FIXTURES / path.name.replace(".keras.onnx", ".keras.json")).read_text())
    assert exported["fixed"] == keras_run["fixed"] and exported["axes"].keys() == keras_run["axes"].keys()
    for axis, rows in exported["axes"].items():
        assert [row[:3] for row in rows] == [row[:3] for row in keras_run["axes"][axis]], axis
        assert any(row[1] for row in rows)
    assert exported["keras_output"]["agrees"]


@pytest.mark.parametrize("path", KERAS_ONNX, ids=lambda p: p.name)
def test_keras_onnx_exports_are_refused_in_one_sentence_by_the_reader(onnx, path):
    """tconvcalc net cannot follow tf2onnx's layout Transposes (NHWC <-> NCHW) nor the crops it computes at run
    time from Shape nodes: it says which node, in one sentence, and never fails inside."""
    with pytest.raises(ParameterError) as caught:
        load(str(path))
    assert "node '" in one_sentence(caught.value)


@pytest.mark.parametrize("bad", [[2.5, 2], [float("nan"), 2], "a", 0, True, [1e400, 2]])
def test_keras_numbers_that_are_not_whole_are_one_sentence(bad):
    """JSON holds floats, NaN, strings and booleans where Keras wrote ints: the model's own check, said of the
    layer, never an internal error."""
    import copy

    config = json.loads(zipfile.ZipFile(FIXTURES / "pix2pix.keras").read("config.json"))
    broken = copy.deepcopy(config)
    layer = next(x for x in broken["config"]["layers"] if x["config"]["name"] == "down1_conv")
    layer["config"]["strides"] = bad
    with pytest.raises(ParameterError) as caught:
        from_keras_config(broken, "pix2pix.keras")
    assert one_sentence(caught.value).startswith("pix2pix.keras: layer 'down1_conv' (Conv2D): strides=")


# --- the hostile models of tests/edges/make_models.py: what tconvcalc answers, the framework answers too ------
def _hostile(tmp_path):
    sys.path.insert(0, str(Path(__file__).parent / "edges"))
    try:
        import make_models
    finally:
        sys.path.pop(0)
    return make_models.make(tmp_path), make_models


@pytest.mark.parametrize("name", ["conv_pad4", "pool_pad2_k3", "pool_resize", "tile_ones_after_pool"])
def test_hostile_onnx_answers_match_onnxruntime(name, tmp_path, onnx):
    """The crafted ONNX models tconvcalc answers (tests/edges/models.txt): onnxruntime gives the same output
    size; the ones it refuses, onnxruntime refuses too (checked in the next test)."""
    folder, make_models = _hostile(tmp_path)
    model = onnx.load(str(folder / "onnx" / f"{name}.onnx"))
    got = ort_sizes(model, make_models.INPUT[2:], make_models.INPUT[1])
    assert got is not None
    assert trace(load(str(folder / "onnx" / f"{name}.onnx")), make_models.INPUT[2:]).output_size == got["y"]


@pytest.mark.parametrize("name", ["conv_k0", "conv_d0", "conv_s0", "conv_g0", "conv_g3", "conv_pad-1", "conv_kshape",
                                  "pool_k0", "pool_s0", "pool_d0", "pool_pad-1", "pool_pad3_k3", "avgpool_pad4_k3",
                                  "d2s_0", "slice_float", "slice_dup_axes", "resize_dup_axes", "pad_float",
                                  "conv_float_strides", "tconv_kshape"])
def test_hostile_onnx_refusals_are_onnxruntime_refusals(name, tmp_path, onnx):
    folder, make_models = _hostile(tmp_path)
    try:  # refused when the session is made, or when it runs
        runs = ort_sizes(onnx.load(str(folder / "onnx" / f"{name}.onnx")), make_models.INPUT[2:],
                         make_models.INPUT[1]) is not None
    except Exception:
        runs = False
    assert not runs
    with pytest.raises(ParameterError) as caught:
        load(str(folder / "onnx" / f"{name}.onnx"))
    one_sentence(caught.value)


def test_hostile_torch_answer_matches_pytorch(tmp_path):
    torch = pytest.importorskip("torch", reason="PyTorch fixtures are read from their code: pip install torch")
    folder, make_models = _hostile(tmp_path)
    code = str(folder / "torch_models.py")
    module = load_torch_module(code, "PoolUpsample")
    real = tuple(module()(torch.zeros(make_models.INPUT)).shape[2:])
    assert trace(load(f"{code}:PoolUpsample"), make_models.INPUT[2:]).output_size == real
    for grown in ("Repeat", "Expand"):  # PyTorch gives the pooled tensor a size back: refused by name, not 1×1
        assert tuple(load_torch_module(code, grown)()(torch.zeros(make_models.INPUT)).shape[2:]) != (1, 1)
        with pytest.raises(ParameterError, match="a spatial size again"):
            load(f"{code}:{grown}")
    for invalid in ("shuffle0", "Chunk0", "pool_stride0", "unshuffle0", "pool_dilation0", "adaptive_negative"):
        with pytest.raises(RuntimeError):  # PyTorch refuses to run it
            load_torch_module(code, invalid)()(torch.zeros(make_models.INPUT))
        with pytest.raises(ParameterError, match="the model is invalid"):
            load(f"{code}:{invalid}")


def load_torch_module(path: str, name: str):
    import importlib.util

    spec = importlib.util.spec_from_file_location("hostile_torch_models", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)
