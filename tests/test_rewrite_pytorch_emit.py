"""``tconvcalc rewrite FILE.py:Factory --emit pytorch``: the printed code, run with the state dict written, is the
original model in PyTorch (the oracle), whatever the transposed layers; and bad weights are one sentence."""

from __future__ import annotations

import importlib.util
import json
import pickle

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import run, run_error, run_ok

NET = """import torch
from torch import nn


def Factory():
    return nn.Sequential({layers})
"""


@st.composite
def transposed_stacks(draw):
    """``(ndim, [constructor text], in_channels)``: 1-2 ConvTranspose{1,2,3}d layers that run at every input
    size (o = d(k-1) + op + 1 - 2p + (i-1)s ≥ 1 for i ≥ 1), with groups, dilation, output_padding, bias or not."""
    ndim = draw(st.integers(1, 3))
    groups = draw(st.sampled_from([1, 1, 2]))
    width = [groups * draw(st.integers(1, 2)) for _ in range(3)]
    layers = []
    for n in range(draw(st.integers(1, 2))):
        axes = []
        for _ in range(ndim):
            k, s, d = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
            op = draw(st.integers(0, max(s, d) - 1))
            axes.append((k, s, draw(st.integers(0, (d * (k - 1) + op) // 2)), op, d))
        k, s, p, op, d = zip(*axes)
        layers.append(f"nn.ConvTranspose{ndim}d({width[n]}, {width[n + 1]}, {k}, stride={s}, padding={p}, "
                      f"output_padding={op}, dilation={d}, groups={groups}, bias={draw(st.booleans())})")
    return ndim, layers, width[0]


def _module(path):
    name = f"_emit_test_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _net(tmp_path, layers) -> tuple:
    path = tmp_path / "net.py"
    path.write_text(NET.format(layers=", nn.ReLU(), ".join(layers)))
    return path, _module(path).Factory


def _trained(torch, factory, tmp_path, seed=1):
    """The factory's model with other weights than its initial ones, and the file they are saved in."""
    model = factory()
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if tensor.is_floating_point():  # a variance stays positive
                drawn = torch.randn(tensor.shape, generator=generator)
                tensor.copy_(drawn.abs() + 0.5 if name.endswith("running_var") else drawn)
    path = tmp_path / "trained.pt"
    torch.save(model.state_dict(), path)
    return model, path


def _assert_same(torch, original, rebuilt, sizes, channels):
    original, rebuilt = original.double().eval(), rebuilt.double().eval()
    for size in sizes:
        x = torch.randn(2, channels, *size, dtype=torch.float64)
        with torch.no_grad():
            expected, got = original(x), rebuilt(x)
        assert got.shape == expected.shape
        # float64, the same products summed in another order
        torch.testing.assert_close(got, expected, rtol=0, atol=1e-10 * max(1.0, expected.abs().max().item()))


def _rebuilt(code: str, factory, torch, state_path, load=None):
    """The printed code run on its own (only torch importable from it), the rewritten state loaded strictly."""
    assert "tconvcalc" not in code.split("def rewrite")[0].replace("tconvcalc rewrite", "")
    namespace: dict = {}
    exec(compile(code, "<rewrite>", "exec"), namespace)
    model = namespace["rewrite"](factory())
    state = (load or (lambda p: torch.load(p, weights_only=True)))(state_path)
    model.load_state_dict(state, strict=True)
    return model


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(transposed_stacks(), st.sampled_from(["subpixel", "zero-insertion"]))
def test_the_printed_code_with_the_written_state_is_the_original_model(torch, tmp_path, stack, form):
    ndim, layers, channels = stack
    path, factory = _net(tmp_path, layers)
    original, weights = _trained(torch, factory, tmp_path)
    out = tmp_path / "new.pt"
    out.unlink(missing_ok=True)
    size = 3 if ndim == 3 else 5
    result = run("rewrite", f"{path}:Factory", "--weights", weights, "--to", form, "--emit", "pytorch",
                 "-o", out, "--in", size)
    assert result.exit_code == 0, result.output + result.stderr
    assert "PASS PyTorch gives the original's outputs" in " ".join(result.stderr.split())
    rebuilt = _rebuilt(result.stdout, factory, torch, out)
    assert not any(isinstance(m, torch.nn.modules.conv._ConvTransposeNd) for m in rebuilt.modules())
    _assert_same(torch, original, rebuilt, [(size,) * ndim, (1,) * ndim, (4,) * ndim], channels)


def test_default_sizes_come_from_the_domain_and_the_json_report(torch, tmp_path):
    model = "examples/networks/audio_decoder.py:AudioDecoder"  # its skip merges only at 64t .. 64t + 7
    report = json.loads(run_ok("rewrite", model, "--to", "subpixel", "--only", "up1", "--json"))
    assert [layer["node"] for layer in report["layers"]] == ["up1"]
    assert report["emit"] == "pytorch" and report["weights"] is None and report["output"] is None
    assert report["check"]["runtime"] == "pytorch" and report["check"]["passed"]
    length = report["check"]["inputs"]["input"][2]
    assert length >= 16 and length % 64 <= 7
    layer = report["layers"][0]
    assert layer["ops"] == ["F.pad", "Conv1d", "reshape + permute", "crop"]
    # the costs are those of the layer at the size it saw: the shape command's, an independent route
    shape = json.loads(run_ok("shape", "--in", layer["input_size"][0], "--k", 16, "--s", 8, "--p", 4,
                              "--ndim", 1, "--channels", "8,1", "--json"))
    assert layer["macs"] == shape["cost"]["macs"] and layer["form_macs"] == shape["cost"]["subpixel"]
    assert layer["output_size"] == shape["output_size"]


def test_initial_weights_are_seeded_and_a_checkpoint_dict_and_safetensors_are_read(torch, tmp_path):
    model = "examples/networks/dcgan.py:DCGANGenerator"
    factory = _module("examples/networks/dcgan.py").DCGANGenerator
    first = run("rewrite", model, "--to", "zero-insertion", "-o", tmp_path / "a.pt")
    second = run("rewrite", model, "--to", "zero-insertion", "-o", tmp_path / "b.pt")
    assert first.exit_code == second.exit_code == 0
    assert first.stdout == second.stdout.replace("b.pt", "a.pt")
    assert "weights: the factory's initial ones" in " ".join(first.stderr.split())
    a, b = (torch.load(tmp_path / f"{n}.pt", weights_only=True) for n in "ab")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        seeded = factory()
    _assert_same(torch, seeded, _rebuilt(first.stdout, factory, torch, tmp_path / "a.pt"), [(1, 1), (3, 2)], 8)

    trained, weights = _trained(torch, factory, tmp_path)
    torch.save({"epoch": 3, "state_dict": trained.state_dict()}, tmp_path / "checkpoint.pt")
    result = run("rewrite", model, "--weights", tmp_path / "checkpoint.pt", "--to", "subpixel", "-o",
                 tmp_path / "c.pt")
    assert result.exit_code == 0, result.stderr
    _assert_same(torch, trained, _rebuilt(result.stdout, factory, torch, tmp_path / "c.pt"), [(2, 2)], 8)

    safetensors = pytest.importorskip("safetensors.torch", reason="safetensors reads and writes .safetensors")
    safetensors.save_file(trained.state_dict(), str(tmp_path / "trained.safetensors"))
    result = run("rewrite", model, "--weights", tmp_path / "trained.safetensors", "--to", "subpixel", "-o",
                 tmp_path / "new.safetensors")
    assert result.exit_code == 0, result.stderr
    assert 'safetensors.torch.load_file("' in result.stdout
    rebuilt = _rebuilt(result.stdout, factory, torch, tmp_path / "new.safetensors", safetensors.load_file)
    _assert_same(torch, trained, rebuilt, [(2, 3)], 8)


def test_module_paths_that_are_not_names_are_assigned_as_the_model_holds_them(torch, tmp_path):
    path = tmp_path / "nested.py"
    path.write_text("from torch import nn\n\n\nclass Nested(nn.Module):\n    def __init__(self):\n"
                    "        super().__init__()\n"
                    "        self.blocks = nn.ModuleList([nn.Sequential(nn.Conv2d(2, 2, 1), "
                    "nn.ConvTranspose2d(2, 2, 3, 2))])\n"
                    "        self.heads = nn.ModuleDict({'0': nn.ConvTranspose2d(2, 1, 2, 2, 1)})\n"
                    "        self.shared = self.blocks[0][1]\n\n"
                    "    def forward(self, x):\n"
                    "        return self.heads['0'](self.shared(self.blocks[0](x)))\n")
    factory = _module(path).Nested
    original, weights = _trained(torch, factory, tmp_path)
    result = run("rewrite", f"{path}:Nested", "--weights", weights, "--to", "subpixel", "-o", tmp_path / "n.pt")
    assert result.exit_code == 0, result.stderr
    assert "model.blocks[0][1] = " in result.stdout and "model.shared = " in result.stdout
    assert "setattr(model.get_submodule('heads'), '0', " in result.stdout
    _assert_same(torch, original, _rebuilt(result.stdout, factory, torch, tmp_path / "n.pt"), [(3, 3)], 2)


def test_a_model_without_transposed_layers_writes_nothing(torch, tmp_path):
    path = tmp_path / "plain.py"
    path.write_text("from torch import nn\n\n\ndef Plain():\n    return nn.Sequential(nn.Conv2d(1, 2, 3))\n")
    result = run("rewrite", f"{path}:Plain", "--to", "subpixel", "-o", tmp_path / "out.pt")
    assert result.exit_code == 0 and result.stdout == ""
    assert "has no nn.ConvTranspose1d/2d/3d to rewrite; nothing written" in " ".join(result.stderr.split())
    assert not (tmp_path / "out.pt").exists()


class _Opens:
    """Unpickled, it would create ``path``: a pickle that runs code."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return open, (self.path, "w")


def test_bad_weights_and_options_are_one_sentence_and_write_nothing(torch, tmp_path):
    model = "examples/networks/dcgan.py:DCGANGenerator"
    out = tmp_path / "out.pt"

    def refused(*args):
        return run_error("rewrite", model, "--to", "subpixel", "-o", out, *args)

    assert "does not exist" in refused("--weights", tmp_path / "missing.pt")
    marker = tmp_path / "ran"
    torch.save({"w": _Opens(marker)}, tmp_path / "code.pt")
    sentence = refused("--weights", tmp_path / "code.pt")
    assert "open), and tconvcalc reads weights with torch.load(weights_only=True), which never unpickles code" \
        in sentence
    (tmp_path / "plain_pickle.pt").write_bytes(pickle.dumps({"up1.weight": _Opens(marker)}))
    assert "is not a file torch.load reads" in refused("--weights", tmp_path / "plain_pickle.pt")
    assert not marker.exists()
    (tmp_path / "text.pt").write_text("not weights\n")
    assert "is not a file torch.load reads" in refused("--weights", tmp_path / "text.pt")
    factory = _module("examples/networks/dcgan.py").DCGANGenerator
    state = factory().state_dict()
    torch.save(state, tmp_path / "good.pt")
    data = (tmp_path / "good.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[:len(data) // 2])
    assert "is not a file torch.load reads" in refused("--weights", tmp_path / "cut.pt")
    torch.save({k: v for k, v in state.items() if k != "up1.weight"} | {"extra.bias": torch.zeros(1)},
               tmp_path / "keys.pt")
    sentence = refused("--weights", tmp_path / "keys.pt")
    assert "1 missing (up1.weight) and 1 unexpected (extra.bias)" in sentence
    torch.save({f"module.{k}": v for k, v in state.items()}, tmp_path / "wrapped.pt")
    assert "'module.' prefix" in refused("--weights", tmp_path / "wrapped.pt")
    torch.save(_module("examples/networks/dcgan.py").DCGANGenerator(ngf=3).state_dict(), tmp_path / "wide.pt")
    assert "have another shape than the module's" in refused("--weights", tmp_path / "wide.pt")
    torch.save([1, 2], tmp_path / "list.pt")
    assert "holds a list" in refused("--weights", tmp_path / "list.pt")
    assert "no transposed convolution of the model" in refused("--only", "norm1")
    assert "a PyTorch layer already states its padding" in run_error("rewrite", model, "--to", "pads")
    assert "writes the rewritten model's state dict" in run_error("rewrite", model, "--to", "subpixel", "-o",
                                                                  tmp_path / "x.onnx")
    assert "--emit onnx rewrites an ONNX file" in run_error("rewrite", model, "--to", "subpixel", "--emit", "onnx")
    assert "--opset shapes the ONNX rewrite" in run_error("rewrite", model, "--to", "subpixel", "--opset", 17)
    assert not out.exists() and not (tmp_path / "x.onnx").exists()


def test_onnx_models_refuse_the_pytorch_options(tmp_path):
    pytest.importorskip("onnx")
    fixture = "tests/fixtures/networks/dcgan.onnx"
    assert "--emit pytorch writes PyTorch code for a PyTorch model" in run_error(
        "rewrite", fixture, "--to", "subpixel", "--emit", "pytorch")
    assert "--weights is for PyTorch code" in run_error("rewrite", fixture, "--to", "subpixel", "--weights",
                                                          tmp_path / "w.pt")


def test_the_weights_loader_refuses_files_over_its_bound(torch, tmp_path, monkeypatch):
    from tconvcalc.errors import ParameterError
    from tconvcalc.network.readers import torch_weights

    torch.save({"w": torch.zeros(4)}, tmp_path / "w.pt")
    assert list(torch_weights.read_state_dict(tmp_path / "w.pt")) == ["w"]
    monkeypatch.setattr(torch_weights, "MAX_WEIGHTS_BYTES", 16)
    with pytest.raises(ParameterError, match="more than the 16 read"):
        torch_weights.read_state_dict(tmp_path / "w.pt")
