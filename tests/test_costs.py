"""Exact costs: the multiply-adds that land in the output, counted arithmetically, against brute force."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tconvcalc.model.arithmetic import conv_transpose_cost
from tconvcalc.model.structure import _floor_sum, axis_taps, landing_pairs
from tconvcalc.model.spec import Axis, Layer

from helpers import run_error, run_json
from strategies import channels, crop_layers, pytorch_layers, pytorch_parameters


@given(st.integers(0, 40), st.integers(1, 30), st.integers(-60, 60), st.integers(-60, 60))
def test_floor_sums_equal_adding_the_floors(count, m, slope, const):
    assert _floor_sum(count, m, slope, const) == sum((slope * x + const) // m for x in range(count))


@given(crop_layers(max_ndim=1, i=(1, 12), k=(1, 12), s=(1, 6), d=(1, 5), margin=8))
def test_landing_pairs_count_the_pairs_the_index_rule_keeps(layer):
    axis = layer.axes[0]
    assert landing_pairs(axis) == len(axis_taps(axis))


def test_landing_pairs_of_huge_axes_cost_nothing_and_stay_exact():
    # Far past enumeration, but the count is also i·k minus what the crops cut: a stride-1, dilation-1 axis cropped
    # by b at the start loses the pairs landing at positions 0..b-1, 1 + 2 + … + b of them when b < k.
    i, k, b = 2**64, 10**6, 1000
    assert landing_pairs(Axis(i, k, 1, 1, b, 0)) == i * k - b * (b + 1) // 2
    assert landing_pairs(Axis(i, k, 3, 7)) == i * k  # no crop: every pair lands


def _pytorch_module(torch, layer, groups, c_in, c_out):
    pairs = [axis.pytorch for axis in layer.axes]
    module = getattr(torch.nn, f"ConvTranspose{layer.ndim}d")(
        c_in, c_out, layer.kernel_size, stride=layer.field("s"), padding=tuple(p for p, _ in pairs),
        output_padding=tuple(op for _, op in pairs), dilation=layer.field("d"), groups=groups).double()
    return module


@settings(max_examples=60, deadline=None)
@given(pytorch_layers(), channels())
def test_layer_costs_equal_what_pytorch_runs(torch, layer, groups_channels):
    groups, c_in, c_out = groups_channels
    cost = conv_transpose_cost(layer, c_in, c_out, groups)
    module = _pytorch_module(torch, layer, groups, c_in, c_out)
    assert cost.params == sum(p.numel() for p in module.parameters())
    with torch.no_grad():
        torch.nn.init.ones_(module.weight)
        torch.nn.init.zeros_(module.bias)
        ones = torch.ones(1, c_in, *layer.input_size, dtype=torch.float64)
        # On ones, every (input, tap, channel pair) that lands adds exactly 1 to the output.
        y = module(ones)
        assert cost.output_elements == y.numel() and cost.macs == round(y.sum().item())
        # Uncropped (padding 0, output_padding 0) every pair lands: the dense count.
        full = torch.nn.functional.__dict__[f"conv_transpose{layer.ndim}d"](ones, module.weight, None,
                                                                           stride=layer.field("s"), groups=groups,
                                                                           dilation=layer.field("d"))
        assert cost.macs_dense == round(full.sum().item())


@settings(max_examples=30, deadline=None)
@given(pytorch_layers(), channels())
def test_zero_insertion_cost_is_what_pytorch_counts_for_its_stride_1_conv(torch, layer, groups_channels):
    from torch.utils.flop_counter import FlopCounterMode

    groups, c_in, c_out = groups_channels
    conv = getattr(torch.nn, f"Conv{layer.ndim}d")(c_in, c_out, layer.kernel_size, dilation=layer.field("d"),
                                                   groups=groups, bias=False)
    padded = torch.zeros(1, c_in, *(axis.padded_length for axis in layer.axes))  # zeros inserted and padded
    with FlopCounterMode(display=False) as counter:
        out = conv(padded)
    assert tuple(out.shape[2:]) == layer.output_size
    assert conv_transpose_cost(layer, c_in, c_out, groups).zero_insertion * 2 == counter.get_total_flops()


def test_shape_prints_the_cost_with_channels_and_refuses_groups_without():
    report = run_json("shape", "--in", 16, "--k", 3, "--s", 2, "--p", 1, "--op", 1, "--channels", "64,32")
    expected = conv_transpose_cost(Layer.from_pytorch((16, 16), 3, 2, 1, 1), 64, 32)
    assert report["cost"] == {"channels": [64, 32], "groups": 1, **expected._asdict()}
    assert report["pytorch"].startswith("nn.ConvTranspose2d(64, 32,")
    assert "cost" not in run_json("shape", "--in", 16, "--k", 3, "--s", 2)
    assert "--channels" in run_error("shape", "--in", 16, "--k", 3, "--groups", 2)
    assert "groups=4 does not divide in_channels=6" in run_error("shape", "--in", 16, "--k", 3, "--channels", "6,4",
                                                                 "--groups", 4)
    assert "64,32" in run_error("shape", "--in", 16, "--k", 3, "--channels", "1,2,3")


@settings(max_examples=30, deadline=None)
@given(pytorch_parameters(), channels())
def test_subpixel_cost_is_what_pytorch_counts_for_the_rewritten_layer(torch, params, groups_channels):
    from torch.utils.flop_counter import FlopCounterMode

    import tconvcalc as tc

    groups, c_in, c_out = groups_channels
    i, k, s, p, op, d = params
    module = getattr(torch.nn, f"ConvTranspose{len(k)}d")(c_in, c_out, k, s, p, op, groups, False, d)
    with FlopCounterMode(display=False) as counter:
        tc.rewrite.subpixel(module)(torch.zeros(1, c_in, *i))
    layer = Layer.from_pytorch(i, k, s, p, op, d)
    assert conv_transpose_cost(layer, c_in, c_out, groups).subpixel * 2 == counter.get_total_flops()
