"""The checkerboard engine: phase sums against layers run on constant inputs, the fix against a least-squares
solve, flat outputs after it, and the sub-pixel layer's phases against PixelShuffle."""

from __future__ import annotations

from math import prod

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

from tconvcalc import numeric
from tconvcalc.checkerboard import LayerWeights, analyse, fix_layer, phase_sums
from tconvcalc.checkerboard.analysis import ones_response, phase_matrix, tap_counts, unreached
from tconvcalc.errors import ParameterError
from tconvcalc.model.spec import Axis


@st.composite
def transposed_layers(draw, fixable=False):
    """1-3-D transposed layers: k, s, d, groups, bias; float64 weights from a seed."""
    ndim = draw(st.integers(1, 3))
    small = ndim == 3
    strides = tuple(draw(st.integers(1, 2 if small else 3)) for _ in range(ndim))
    dilations = tuple(draw(st.integers(1, 2)) for _ in range(ndim))
    kernel = tuple(draw(st.integers(1, 3 if small else 5)) for _ in range(ndim))
    if fixable:
        assume(all(Axis(1, k, s, d).tap_count_range[0] > 0 for k, s, d in zip(kernel, strides, dilations)))
    groups = draw(st.sampled_from([1, 2]))
    c_in, per_group = groups * draw(st.integers(1, 2)), draw(st.integers(1, 2))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    bias = rng.normal(size=groups * per_group) if draw(st.booleans()) else None
    return LayerWeights("t", "transposed", rng.normal(size=(c_in, per_group, *kernel)), bias, strides, dilations,
                        groups, "CRD", "ConvTranspose")


def _constant_run(layer: LayerWeights, values: np.ndarray) -> np.ndarray:
    """The layer on an input constant per channel, run by the NumPy backend: one period of the interior, per output
    channel, indexed by phase ``r = (j + b) mod s`` (no crop here, so b = 0)."""
    ndim = len(layer.strides)
    reach = [d * (k - 1) for k, d in zip(layer.weight.shape[2:], layer.dilations)]
    n = [-(-r // s) + 2 for r, s in zip(reach, layer.strides)]
    x = values.reshape(1, -1, *([1] * ndim)) * np.ones((1, len(values), *n))
    y = numeric.conv_transpose(x, layer.weight, layer.bias, layer.strides, 0, 0, layer.groups, layer.dilations)
    start = [(-(-r // s)) * s for r, s in zip(reach, layer.strides)]  # every tap's input is inside from here
    period = tuple(slice(a, a + s) for a, s in zip(start, layer.strides))
    return y[(0, slice(None), *period)]


@settings(max_examples=80, deadline=None)
@given(transposed_layers(), st.integers(0, 2**32 - 1))
def test_phase_sums_are_the_constant_input_response(layer, seed):
    values = np.random.default_rng(seed).normal(size=layer.weight.shape[0])
    expected = np.tensordot(values, phase_sums(layer), axes=1)
    if layer.bias is not None:
        expected = expected + layer.bias.reshape(-1, *([1] * len(layer.strides)))
    assert np.allclose(_constant_run(layer, values), expected, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(transposed_layers(fixable=True))
def test_the_fix_is_the_least_squares_change_and_flattens_the_output(layer):
    fixed = fix_layer(layer)
    # the constraint system: every pair's phase sums minus their mean vanish; lstsq gives its least-norm change
    matrix = np.ones(())
    for axis in [Axis(1, k, s, d) for k, s, d in zip(layer.weight.shape[2:], layer.strides, layer.dilations)]:
        matrix = np.kron(matrix, phase_matrix(axis))  # (Πs, Πk): each phase's taps
    block = matrix.shape[0]
    centred = (np.eye(block) - 1.0 / block) @ matrix
    kernels = layer.weight.reshape(-1, matrix.shape[1])
    change = np.linalg.lstsq(centred, -(centred @ kernels.T), rcond=None)[0].T
    assert np.allclose(fixed.layer.weight.reshape(kernels.shape) - kernels, change, atol=1e-9)
    flat = _constant_run(fixed.layer, np.random.default_rng(0).normal(size=layer.weight.shape[0]))
    spread = np.ptp(flat.reshape(flat.shape[0], -1), axis=1)
    assert np.all(spread <= 1e-9 * (1 + np.abs(flat).max()))
    assert not analyse(fixed.layer).checkerboard and fixed.spread_after <= 1e-12


def test_phase_sums_agree_with_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    layer = LayerWeights("t", "transposed", rng.normal(size=(4, 3, 3, 5)), rng.normal(size=6), (2, 3), (1, 2), 2)
    conv = torch.nn.ConvTranspose2d(4, 6, (3, 5), (2, 3), groups=2, dilation=(1, 2)).double()
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(layer.weight))
        conv.bias.copy_(torch.from_numpy(layer.bias))
        y = conv(torch.ones(1, 4, 6, 6, dtype=torch.float64))[0].numpy()
    expected = ones_response(layer)
    period = y[:, 4:6, 9:12]  # past the reaches (2 and 8), at phase 0 of each axis
    assert np.allclose(period, expected, atol=1e-10)


def test_unreached_phases_are_named_and_refused_by_the_fix():
    layer = LayerWeights("up.1", "transposed", np.ones((1, 1, 2)), None, (4,), (1,), 1, "CRD", "ConvTranspose1d")
    assert unreached(layer) == [(2,), (3,)]
    check = analyse(layer)
    assert check.checkerboard and check.unreached == ((2,), (3,))
    with pytest.raises(ParameterError, match=r"layer 'up.1' \(ConvTranspose1d\) cannot be fixed by its weights: "
                                             r"phases \(2,\), \(3,\) get no tap"):
        fix_layer(layer)
    dilated = LayerWeights("d", "transposed", np.ones((1, 1, 4)), None, (2,), (2,), 1)  # gcd(d, s) = 2
    assert unreached(dilated) == [(1,)] and tap_counts(dilated).tolist() == [4, 0]


def test_a_free_layer_in_float32_comes_out_near_rounding():
    """A kernel made free in float64 and stored in float32 spreads by rounding only."""
    rng = np.random.default_rng(2)
    layer = LayerWeights("t", "transposed", rng.normal(size=(8, 8, 4, 4)), None, (2, 2), (1, 1), 1)
    free = fix_layer(layer).layer._replace(weight=fix_layer(layer).layer.weight.astype(np.float32))
    check = analyse(free)
    assert 0 < check.spread < 1e-5 and not check.checkerboard


# --- sub-pixel convolutions ---------------------------------------------------------------------------------

@st.composite
def subpixel_layers(draw):
    r = draw(st.integers(2, 3))
    c, c_in, k = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    bias = rng.normal(size=c * r * r) if draw(st.booleans()) else None
    return LayerWeights("s", "subpixel", rng.normal(size=(c * r * r, c_in, k, k)), bias, (r, r), (1, 1), 1,
                        draw(st.sampled_from(["CRD", "DCR"])), "Conv")


def _depth_to_space(torch, y, r, mode):
    if mode == "CRD":
        return torch.nn.functional.pixel_shuffle(y, r)
    n, c, h, w = y.shape  # DCR: ONNX's default, the block's position slowest
    return y.reshape(n, r, r, c // (r * r), h, w).permute(0, 3, 4, 1, 5, 2).reshape(n, c // (r * r), h * r, w * r)


@settings(max_examples=40, deadline=None)
@given(subpixel_layers())
def test_subpixel_phases_are_what_pixel_shuffle_makes_of_a_constant(layer):
    torch = pytest.importorskip("torch")
    r = layer.strides[0]
    x = torch.ones(1, layer.weight.shape[1], 5, 5, dtype=torch.float64)
    bias = None if layer.bias is None else torch.from_numpy(layer.bias)
    y = _depth_to_space(torch, torch.nn.functional.conv2d(x, torch.from_numpy(layer.weight), bias), r, layer.mode)
    assert np.allclose(y[0, :, :r, :r].numpy(), ones_response(layer), atol=1e-10)
    fixed = fix_layer(layer).layer
    bias = None if fixed.bias is None else torch.from_numpy(fixed.bias)
    y = _depth_to_space(torch, torch.nn.functional.conv2d(x, torch.from_numpy(fixed.weight), bias), r, layer.mode)
    flat = y[0].reshape(y.shape[1], -1).numpy()
    assert np.allclose(flat, flat[:, :1], atol=1e-9)
    assert not analyse(fixed).checkerboard


def test_the_tolerance_is_checked():
    layer = LayerWeights("t", "transposed", np.ones((1, 1, 2)), None, (2,), (1,), 1)
    with pytest.raises(ParameterError, match="tolerance=-1"):
        analyse(layer, -1)
    assert analyse(layer).spread == 0 and prod(analyse(layer).phase_tap_counts) == 1


# --- initialisers that start free ---------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(st.integers(1, 3), st.integers(1, 4), st.integers(0, 3), st.sampled_from([1, 2]), st.sampled_from([1, 3]),
       st.integers(0, 2**32 - 1))
def test_zero_order_hold_passes_the_check(ndim, s, extra, groups, d, seed):
    import tconvcalc as tc

    assume(d == 1 or s % 3)
    kernel, strides = (s + extra,) * ndim, (s,) * ndim
    w = tc.init.zero_order_hold(2 * groups, groups, kernel, strides, groups, (d,) * ndim, seed=seed)
    assert w.shape == (2 * groups, 1, *kernel)
    layer = LayerWeights("zoh", "transposed", w, None, strides, (d,) * ndim, groups)
    assert not analyse(layer).checkerboard


def test_zero_order_hold_keeps_the_variance_asked_for():
    import tconvcalc as tc

    w = tc.init.zero_order_hold(64, 64, (5, 5), (2, 2), std=0.1, seed=3)
    assert abs(np.sqrt(np.mean(w ** 2)) - 0.1) < 0.01  # 409,600 entries: a percent of sampling noise at most
    keras = tc.init.zero_order_hold(3, 2, (4, 4), (2, 2), seed=4, layout="keras")
    assert np.array_equal(keras, np.moveaxis(tc.init.zero_order_hold(3, 2, (4, 4), (2, 2), seed=4), (0, 1), (-1, -2)))


@pytest.mark.parametrize("call, message", [
    (lambda tc: tc.init.zero_order_hold(1, 1, 1, 2), "kernel_size 1 is smaller than stride 2"),
    (lambda tc: tc.init.zero_order_hold(1, 1, 4, 2, dilation=2), "dilation 2 shares a factor with stride 2"),
    (lambda tc: tc.init.icnr(1, 1, 3, 2, layout="tf"), "layout='tf' is not a weight layout"),
])
def test_initialisers_refuse_what_cannot_be_free(call, message):
    import tconvcalc as tc

    with pytest.raises(ParameterError, match=message):
        call(tc)


@pytest.mark.parametrize("layout, mode", [("pytorch", "CRD"), ("keras", "DCR")])
def test_icnr_passes_the_check(layout, mode):
    import tconvcalc as tc

    w = tc.init.icnr(3, 4, (3, 3), (2, 2), seed=5, layout=layout)
    w = w if layout == "pytorch" else np.moveaxis(w, (-1, -2), (0, 1))
    layer = LayerWeights("icnr", "subpixel", w, None, (2, 2), (1, 1), 1, mode)
    assert w.shape == (16, 3, 3, 3) and not analyse(layer).checkerboard


def test_the_initialisers_fill_pytorch_modules_free_of_checkerboard():
    torch = pytest.importorskip("torch")
    import tconvcalc as tc

    up = tc.init.zero_order_hold_(torch.nn.ConvTranspose2d(3, 5, 4, 2, 1).double(), seed=6)
    y = up(torch.ones(1, 3, 8, 8, dtype=torch.float64))[0, :, 2:-2, 2:-2]
    assert torch.allclose(y, y[:, :1, :1].expand_as(y))
    conv = torch.nn.Conv2d(3, 5 * 4, 3).double()
    tc.init.icnr_(conv, 2, seed=7)
    y = torch.nn.functional.pixel_shuffle(conv(torch.ones(1, 3, 6, 6, dtype=torch.float64)), 2)[0]
    assert torch.allclose(y, y[:, :1, :1].expand_as(y))


# --- the fix, run --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("runtime", ["pytorch", "onnxruntime"])
@pytest.mark.parametrize("kind, mode", [("transposed", "CRD"), ("subpixel", "CRD"), ("subpixel", "DCR")])
def test_the_layer_runs_alike_in_numpy_and_each_runtime(runtime, kind, mode):
    """The NumPy backend's run (and its depth to space) against PyTorch's (PixelShuffle) and onnxruntime's
    (DepthToSpace in the layer's mode, float32)."""
    from tconvcalc.checkerboard.verify import available, run_layer

    if available(runtime) != runtime:
        pytest.skip(f"{runtime} is not installed")
    rng = np.random.default_rng(8)
    if kind == "transposed":
        layer = LayerWeights("t", kind, rng.normal(size=(4, 3, 3, 4)), rng.normal(size=6), (2, 3), (1, 2), 2)
    else:
        layer = LayerWeights("s", kind, rng.normal(size=(12, 3, 3, 3)), rng.normal(size=12), (2, 2), (1, 1), 1, mode)
    x = rng.normal(size=(1, 4 if kind == "transposed" else 3, 5, 6))
    ours, theirs = run_layer(layer, x, "numpy"), run_layer(layer, x, runtime)
    assert ours.shape == theirs.shape
    assert np.abs(ours - theirs).max() <= (1e-10 if runtime == "pytorch" else 1e-5) * np.abs(ours).max()


def test_verify_measures_flatness_and_the_output_change():
    from tconvcalc.checkerboard.verify import verify

    rng = np.random.default_rng(9)
    layer = LayerWeights("t", "transposed", rng.normal(size=(2, 2, 3, 3)), None, (2, 2), (1, 1), 1)
    fixed = fix_layer(layer).layer
    report = verify(layer, fixed, "numpy")
    assert report.flatness_before > 0.1 and report.flatness_after < 1e-12
    assert report.output_change > 0
    # the output is linear in the weights: doubling them changes it by itself, keeping them by nothing
    doubled = layer._replace(weight=2 * layer.weight)
    assert verify(layer, doubled).output_change == pytest.approx(1.0, rel=1e-12)
    assert verify(layer, layer).output_change == 0
