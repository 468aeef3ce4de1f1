"""``net --cost``: each layer's multiply-adds, parameters and output elements, against PyTorch executing them.

The oracle counts by running: a layer with all-ones weights (no bias) on an all-ones input outputs, at each
position, how many (input sample, tap, input channel) products reach it, so the sum of its output is the
multiply-adds that count; padding contributes zeros, cropped positions are gone.  A pooling's additions are
the sum of ``avg_pool`` with ``divisor_override=1``.  Parameters are ``sum(p.numel())``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import example, given, settings, strategies as st

from tconvcalc.network import from_torch, load
from tconvcalc.network.cost import network_cost
from tconvcalc.network.tracer import trace

from helpers import run, run_error, run_json, run_ok, torch_oracle

torch = torch_oracle()
nn, F = torch.nn, torch.nn.functional

ROOT = Path(__file__).resolve().parent.parent
NETWORKS = ROOT / "examples" / "networks"
FIXTURES = ROOT / "tests" / "fixtures" / "networks"
CONVS = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
TRANSPOSED = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
POOLS = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)


def _ones_like(module):
    """The layer with every weight 1 and no bias: its output sums the products that count."""
    kind = type(module)
    if isinstance(module, CONVS + TRANSPOSED):
        extra = {"output_padding": module.output_padding} if isinstance(module, TRANSPOSED) else {}
        ones = kind(module.in_channels, module.out_channels, module.kernel_size, module.stride, module.padding,
                    dilation=module.dilation, groups=module.groups, bias=False, dtype=torch.float64, **extra)
        nn.init.ones_(ones.weight)
        return ones
    return None


def _window_sum(module, x, shape):
    """A pooling's reads of real samples: a depthwise all-ones convolution over the zero-padded input (padding
    adds zeros), with zeros enough after it for ceil_mode's last window, cut to the pooling's own output."""
    ndim, channels = x.dim() - 2, x.shape[1]
    tuples = [v if isinstance(v, tuple) else (v,) * ndim for v in (module.kernel_size, module.stride,
                                                                     module.padding, getattr(module, "dilation", 1))]
    k, s, p, d = tuples
    pads = [side for a in reversed(range(ndim)) for side in (p[a], p[a] + s[a] * k[a] * d[a])]
    ones = torch.ones(channels, 1, *k, dtype=torch.float64)
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[ndim]
    out = conv(F.pad(torch.ones_like(x, dtype=torch.float64), pads), ones, stride=s, dilation=d, groups=channels)
    return round(out[(..., *[slice(0, m) for m in shape])].sum().item())


def _executed(model, x) -> dict[str, tuple]:
    """Per leaf module (by its path): the oracle's (macs, params, output elements, window ops)."""
    found = {}

    def hook(name):
        def record(module, inputs, output):
            ones = _ones_like(module)
            params = sum(p.numel() for p in module.parameters())
            if ones is not None:
                macs = round(ones(torch.ones_like(inputs[0], dtype=torch.float64)).sum().item())
                found[name] = (macs, params, output.numel(), 0)
            elif isinstance(module, POOLS):
                found[name] = (0, params, output.numel(), _window_sum(module, inputs[0], output.shape[2:]))
        return record

    handles = [m.register_forward_hook(hook(name)) for name, m in model.named_modules() if name]
    with torch.no_grad():
        model(x)
    for handle in handles:
        handle.remove()
    return found


def _counted(network, sizes) -> dict[str, tuple]:
    result = trace(network, sizes)
    assert result.failure is None
    costs, total = network_cost(network, result)
    return {row.name: (c.macs, c.params, c.output_elements, c.window_ops)
            for row, c in zip(result.rows, costs) if c is not None}, total


@st.composite
def stacks(draw):
    """1-3 layers of one dimensionality: a convolution or transposed convolution first (it says the input's
    channels), then any of those and poolings; every padding, dilation, groups, bias, output_padding, ceil_mode."""
    ndim = draw(st.integers(1, 3))
    side = st.integers(1, 3)
    layers, channels = [], draw(st.sampled_from([1, 2, 4]))
    for n in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["conv", "tconv"] if n == 0 else ["conv", "tconv", "pool", "avg"]))
        k, s, d = draw(side), draw(side), draw(st.integers(1, 2))
        if kind in ("pool", "avg"):
            p = draw(st.integers(0, k // 2))
            ceil = draw(st.booleans())
            layers.append((kind, k, s, p, 1 if kind == "avg" else d, ceil))
            continue
        groups = draw(st.sampled_from([g for g in (1, 2) if channels % g == 0]))
        out = groups * draw(st.integers(1, 2))
        p = draw(st.integers(0, 2))
        op = draw(st.integers(0, max(s, d) - 1)) if kind == "tconv" else 0
        layers.append((kind, k, s, p, d, channels, out, groups, draw(st.booleans()), op))
        channels = out
    return ndim, layers, draw(st.integers(6, 12))


def _build(ndim, layers):
    modules = []
    for layer in layers:
        kind = layer[0]
        if kind in ("pool", "avg"):
            _, k, s, p, d, ceil = layer
            if kind == "pool":
                modules.append([nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d][ndim - 1](k, s, p, d, ceil_mode=ceil))
            else:
                modules.append([nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d][ndim - 1](k, s, p, ceil_mode=ceil))
            continue
        _, k, s, p, d, c_in, c_out, groups, bias, op = layer
        if kind == "conv":
            modules.append(CONVS[ndim - 1](c_in, c_out, k, s, p, dilation=d, groups=groups, bias=bias))
        else:
            modules.append(TRANSPOSED[ndim - 1](c_in, c_out, k, s, p, op, groups=groups, bias=bias, dilation=d))
    return nn.Sequential(*modules)


@settings(max_examples=60, deadline=None)
@given(stacks())
# hypothesis's: PyTorch's 3-D average pooling refuses an input shorter than its window, whatever the padding
@example((3, [("conv", 1, 3, 0, 1, 1, 1, 1, False, 0), ("pool", 1, 2, 0, 1, False), ("avg", 2, 1, 1, 1, False)], 6))
def test_random_stacks_cost_what_pytorch_executes(case):
    ndim, layers, n = case
    model = _build(ndim, layers)
    network = from_torch(model)
    sizes = (n,) * ndim
    result = trace(network, sizes)
    if result.failure is not None:  # the tool says it does not run: so does PyTorch
        with pytest.raises(RuntimeError):
            model(torch.ones(1, layers[0][5], *sizes))
        return
    counted, total = _counted(network, sizes)
    executed = _executed(model, torch.ones(1, layers[0][5], *sizes))
    assert counted == executed
    assert total.macs == sum(v[0] for v in executed.values())
    assert total.params == sum(p.numel() for p in model.parameters())  # convolutions only: every parameter


def test_dense_count_is_every_pair():
    """``macs_dense`` counts padding and cropped pairs too: out × taps for a conv, in × taps for a transposed one
    (the counts ptflops and fvcore make, see benchmarks/compare_counters.py)."""
    model = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1), nn.ConvTranspose2d(8, 4, 3, 2, 1, 1))
    network = from_torch(model)
    result = trace(network, (16, 16))
    costs, _ = network_cost(network, result)
    assert costs[0].macs_dense == 8 * 8 * 8 * 9 * 3
    assert costs[1].macs_dense == 8 * 8 * 9 * 8 * 4


# --- the example networks: the same cost from every reader --------------------------------------------------

# Each example network with its PyTorch factory, as the committed fixtures' sidecars name it.
EXAMPLES = {data["network"]: data for data in (json.loads(p.read_text()) for p in FIXTURES.glob("*.pytorch.json"))}


def _sizes(name):
    return load(str(ROOT / EXAMPLES[name]["toml"])).default_input


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_networks_cost_what_pytorch_executes(name):
    """Each example factory read from its code, executed in PyTorch at its spec's input with hooks."""
    network = load(str(ROOT / EXAMPLES[name]["pytorch_factory"]))
    counted, total = _counted(network, _sizes(name))
    module = _instance(EXAMPLES[name]["pytorch_factory"])
    executed = _executed(module, torch.ones(1, network.channels, *_sizes(name)))
    assert {k: v for k, v in counted.items() if k in executed} == executed
    # the parameters of the convolutions (a norm's are not counted: an export folds them into the weights)
    assert total.params == sum(p.numel() for m in module.modules() if isinstance(m, CONVS + TRANSPOSED)
                               for p in m.parameters())


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_reader_counts_the_same(name):
    """The spec and the ONNX exports (TorchScript and dynamo) of each example network give the PyTorch code's
    multiply-adds; the Keras file its dense ones (it spells a padding as a ZeroPadding layer and a crop as a
    Cropping one, so its convolutions multiply zeros that PyTorch's skip); parameters differ where an export folds
    a norm into a bias, so they are checked per file."""
    sizes = _sizes(name)
    reference = _counted(load(str(ROOT / EXAMPLES[name]["pytorch_factory"])), sizes)[1]
    models = [ROOT / EXAMPLES[name]["toml"], FIXTURES / f"{name}.onnx", FIXTURES / f"{name}.dynamo.onnx",
              FIXTURES / f"{name}.keras"]
    for path in [p for p in models if p.exists()]:
        total = _counted(load(str(path)), sizes)[1]
        assert (total.macs_dense, total.window_ops) == (reference.macs_dense, reference.window_ops), path.name
        if path.suffix != ".keras":  # Keras pads with ZeroPadding layers, whose zeros a 'valid' conv multiplies
            assert total.macs == reference.macs, path.name
        if path.suffix == ".onnx":
            assert total.params == _onnx_conv_params(path), path.name


def _onnx_conv_params(path) -> int:
    """The elements of every Conv's and ConvTranspose's weight and bias, read from the file with onnx."""
    onnx = pytest.importorskip("onnx")
    from onnx import numpy_helper

    model = onnx.load(str(path))
    values = {t.name: numpy_helper.to_array(t).size for t in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Constant":
            values[node.output[0]] = numpy_helper.to_array(node.attribute[0].t).size
    return sum(values[name] for node in model.graph.node if node.op_type in ("Conv", "ConvTranspose")
               for name in node.input[1:] if name)


def _instance(factory: str):
    import importlib.util

    path, name = factory.split(":")
    spec = importlib.util.spec_from_file_location(f"example_{Path(path).stem}", ROOT / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)().eval()


# --- the command ---------------------------------------------------------------------------------------------

def test_cost_json_keys_and_total():
    data = run_json("net", str(NETWORKS / "dcgan.toml"), "--cost")
    assert set(data["cost_total"]) == {"macs", "macs_dense", "window_ops", "params", "activations", "uncounted"}
    layers = [layer for layer in data["layers"] if "cost" in layer]
    assert data["cost_total"]["macs"] == sum(layer["cost"]["macs"] for layer in layers)
    assert data["cost_total"]["activations"] == sum(layer["cost"]["output_elements"] for layer in layers)


def test_cost_counts_huge_sizes_arithmetically():
    """A 2**64 input is counted, not walked: the count is a product of per-axis floor sums."""
    n = 2**64
    data = run_json("net", str(NETWORKS / "dcgan_short.toml"), "--in", f"{n},{n}", "--cost")
    assert data["cost_total"]["macs"] > n * n


def test_cost_of_a_network_that_stops_has_no_total():
    result = run("net", str(NETWORKS / "unet.toml"), "--in", "63", "--cost", "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert "cost_total" not in data and all("cost" in layer for layer in data["layers"])


def test_cost_is_refused_beside_domain_and_fix():
    assert "--cost counts the layers at one input size" in run_error("net", str(NETWORKS / "unet.toml"), "--cost",
                                                                   "--domain")


def test_spec_bias_must_be_a_flag(tmp_path):
    spec = tmp_path / "net.toml"
    spec.write_text('ndim = 1\n[[layers]]\nkernel_size = 3\nbias = "no"\n')
    assert "bias='no' is not true or false" in run_error("net", str(spec), "--in", "8", "--cost")


def test_uncounted_layers_are_named(tmp_path):
    spec = tmp_path / "net.toml"
    spec.write_text('ndim = 1\n[[layers]]\nname = "a"\nkernel_size = 3\n')  # no channels anywhere
    out = run_ok("net", str(spec), "--in", "8", "--cost")
    assert "not counted, the model does not say their channels: a" in out
