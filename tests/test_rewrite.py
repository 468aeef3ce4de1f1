"""The rewrites of a transposed convolution, executed: the sub-pixel and zero-insertion forms equal the layer."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tconvcalc as tc
from tconvcalc.numeric import conv, conv_transpose
from tconvcalc.rewrite import subpixel_weights, zero_insertion_weights

from strategies import channels, crop_layers, pytorch_parameters


def _depth_to_space(y: np.ndarray, strides) -> np.ndarray:
    """(N, C·Πs, *q) → (N, C, q_1·s_1, …), phases in CRD order: NumPy's own reshape, independent of the module's."""
    n = len(strides)
    batch, stacked, *q = y.shape
    c = stacked // int(np.prod(strides))
    y = y.reshape(batch, c, *strides, *q)
    y = y.transpose(0, 1, *(axis for pair in zip(range(2 + n, 2 + 2 * n), range(2, 2 + n)) for axis in pair))
    return y.reshape(batch, c, *(size * s for size, s in zip(q, strides)))


@settings(max_examples=150, deadline=None)
@given(crop_layers(margin=4), channels(), st.randoms(use_true_random=False))
def test_subpixel_weights_run_by_the_numeric_backend_equal_the_layer(layer, groups_channels, rng):
    # Any crop, zeros appended (negative) included: pad the input, correlate, interleave, crop.
    groups, c_in, c_out = groups_channels
    numbers = np.random.default_rng(rng.randrange(2**32))
    x = numbers.standard_normal((2, c_in, *layer.input_size))
    w = numbers.standard_normal((c_in, c_out // groups, *layer.kernel_size))
    bias = numbers.standard_normal(c_out)
    expected = conv_transpose(x, w, bias, stride=layer.field("s"), dilation=layer.field("d"), groups=groups,
                              crop=layer.crop)
    kernel, stacked_bias = subpixel_weights(w, layer, bias, groups)
    plans = [axis.subpixel() for axis in layer.axes]
    # the positive pads first, then the negative ones crop (a crop may reach into the padding)
    padded = np.pad(x, [(0, 0), (0, 0)] + [tuple(max(0, side) for side in plan.pads) for plan in plans])
    padded = padded[(..., *(slice(max(0, -plan.pads[0]), padded.shape[2 + n] - max(0, -plan.pads[1]))
                            for n, plan in enumerate(plans)))]
    y = _depth_to_space(conv(padded, kernel, stacked_bias, groups=groups), layer.field("s"))
    assert y.shape[2:] == tuple(plan.count * axis.s for plan, axis in zip(plans, layer.axes))
    y = y[(..., *(slice(plan.shift, y.shape[2 + n] - plan.trim) for n, plan in enumerate(plans)))]
    np.testing.assert_allclose(y, expected, rtol=0, atol=1e-9 * max(1.0, np.abs(expected).max(initial=0)))


@given(crop_layers(max_ndim=2, margin=2))
def test_every_tap_sits_once_in_the_subpixel_kernel(layer):
    for axis in layer.axes:
        kernel = axis.subpixel_kernel()
        placed = sorted(a for row in kernel for a in row if a is not None)
        assert placed == list(range(axis.k))  # each tap in exactly one phase (a·d mod s) and position
        assert all(len(row) == axis.subpixel().taps for row in kernel) and len(kernel) == axis.s


def _module(torch, params, groups, c_in, c_out, bias):
    i, k, s, p, op, d = params
    return getattr(torch.nn, f"ConvTranspose{len(k)}d")(c_in, c_out, k, s, p, op, groups, bias, d).double()


@settings(max_examples=120, deadline=None)
@given(pytorch_parameters(), channels(), st.booleans(), st.sampled_from(["subpixel", "zero_insertion"]))
def test_pytorch_rewrites_equal_the_layer_in_pytorch(torch, params, groups_channels, bias, form):
    groups, c_in, c_out = groups_channels
    module = _module(torch, params, groups, c_in, c_out, bias)
    rewritten = getattr(tc.rewrite, form)(module)
    assert not any(isinstance(m, torch.nn.modules.conv._ConvTransposeNd) for m in rewritten.modules())
    for size in (params[0], tuple(n + 3 for n in params[0])):  # one module for every input size
        x = torch.randn(2, c_in, *size, dtype=torch.float64)
        expected = module(x)
        got = rewritten(x)
        assert got.shape == expected.shape
        torch.testing.assert_close(got, expected, rtol=0, atol=1e-10 * max(1.0, expected.abs().max().item()))


def test_square_2d_strides_use_pixel_shuffle_and_others_reshape(torch):
    square = tc.rewrite.subpixel(torch.nn.ConvTranspose2d(4, 2, 4, stride=2, padding=1))
    assert isinstance(square.shuffle, torch.nn.PixelShuffle) and square.conv.out_channels == 2 * 4
    assert square.conv.kernel_size == (2, 2)  # k=4, s=2: two taps per phase
    assert tc.rewrite.subpixel(torch.nn.ConvTranspose2d(4, 2, (4, 3), stride=(2, 3))).shuffle is None


def test_the_seed_example_as_subpixel_is_a_1x1_conv_and_pixel_shuffle(torch):
    layer = torch.nn.ConvTranspose2d(1, 1, 2, stride=2, bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[[[1.0, 0.0], [0.0, 0.0]]]]))
    rewritten = tc.rewrite.subpixel(layer)
    assert rewritten.conv.kernel_size == (1, 1)
    y = rewritten(torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]))
    assert y[0, 0].tolist() == [[1, 0, 2, 0], [0, 0, 0, 0], [3, 0, 4, 0], [0, 0, 0, 0]]


def test_zero_insertion_weights_are_the_flipped_transposed_kernel():
    w = np.arange(2 * 3 * 2, dtype=float).reshape(2, 3, 2)  # (C_in, C_out, k), one group
    assert np.array_equal(zero_insertion_weights(w), w.transpose(1, 0, 2)[..., ::-1])


def test_a_layer_that_is_not_transposed_is_refused(torch):
    with pytest.raises(tc.ParameterError, match="not an nn.ConvTranspose"):
        tc.rewrite.subpixel(torch.nn.Conv2d(1, 1, 3))


def test_a_padding_string_pytorch_kept_as_letters_is_refused(torch):
    layer = torch.nn.ConvTranspose2d(1, 1, 3, padding="same")  # PyTorch stores ('s', 'a', 'm', 'e')
    with pytest.raises(tc.ParameterError, match="no padding string"):
        tc.rewrite.subpixel(layer)
