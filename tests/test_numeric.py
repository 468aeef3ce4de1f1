"""NumPy backend: every route against PyTorch, against each other, the seed example, the adjoint."""

from __future__ import annotations

import itertools
import json
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tconvcalc import numeric
from tconvcalc.numeric import gemm, run
from tconvcalc.model.spec import Axis, Layer, ParameterError, full_length

from helpers import run as run_cli
from strategies import channels, crop_layers, pytorch_parameters

ALL_ROUTES = list(run.ROUTE_FUNCTIONS)  # the four routes and both forms of the fast one
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def pytorch_cases(draw, max_ndim=3):
    """Random valid PyTorch parameters: (ndim, i, k, s, p, op, d, groups, c_in, c_out/g, batch)."""
    i, k, s, p, op, d = draw(pytorch_parameters(max_ndim))
    groups, c_in, c_out = draw(channels())
    return len(i), i, k, s, p, op, d, groups, c_in, c_out // groups, draw(st.integers(1, 2))


def _arrays(rng, i, k, c_in, c_og, groups, batch, dtype=np.float64):
    x = rng.standard_normal((batch, c_in, *i)).astype(dtype)
    w = rng.standard_normal((c_in, c_og, *k)).astype(dtype)
    bias = rng.standard_normal(c_og * groups).astype(dtype)
    return x, w, bias


# --- the seed example -----------------------------------------------------------------------------

@pytest.mark.parametrize("route", ALL_ROUTES)
def test_seed_example(route):
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    w = np.array([[[[1.0, 0.0], [0.0, 0.0]]]])
    expected = [[1, 0, 2, 0], [0, 0, 0, 0], [3, 0, 4, 0], [0, 0, 0, 0]]
    assert numeric.conv_transpose(x, w, stride=2, route=route)[0, 0].tolist() == expected


def test_package_docstring_example_runs():
    import doctest

    result = doctest.testmod(numeric)
    assert result.attempted >= 3 and result.failed == 0


# --- PyTorch as the oracle ------------------------------------------------------------------------

def _torch_conv_transpose(torch, nd, x, w, bias, s, p, op, groups, d):
    """The oracle: torch.nn.functional.conv_transpose{nd}d on the same arrays."""
    fn = getattr(torch.nn.functional, f"conv_transpose{nd}d")
    return fn(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(bias), s, p, op, groups, d).numpy()


@FAST
@given(params=pytorch_cases(), route=st.sampled_from(ALL_ROUTES), seed=st.integers(0, 2**16))
def test_conv_transpose_matches_pytorch(torch, params, route, seed):
    nd, i, k, s, p, op, d, groups, c_in, c_og, batch = params
    x, w, bias = _arrays(np.random.default_rng(seed), i, k, c_in, c_og, groups, batch)
    expected = _torch_conv_transpose(torch, nd, x, w, bias, s, p, op, groups, d)
    got = numeric.conv_transpose(x, w, bias, s, p, op, groups, d, route=route)
    assert got.shape == expected.shape and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12 * max(1.0, np.abs(expected).max()))


@FAST
@given(params=pytorch_cases(), seed=st.integers(0, 2**16))
def test_float32_stays_float32_and_matches_pytorch(torch, params, seed):
    nd, i, k, s, p, op, d, groups, c_in, c_og, batch = params
    x, w, bias = _arrays(np.random.default_rng(seed), i, k, c_in, c_og, groups, batch, np.float32)
    expected = _torch_conv_transpose(torch, nd, x, w, bias, s, p, op, groups, d)
    for route in numeric.ROUTES:
        got = numeric.conv_transpose(x, w, bias, s, p, op, groups, d, route=route)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5 * max(1.0, np.abs(expected).max()))


@FAST
@given(params=pytorch_cases(), seed=st.integers(0, 2**16))
def test_conv_matches_pytorch(torch, params, seed):
    nd, i, k, s, p, _, d, groups, c_in, c_og, batch = params
    rng = np.random.default_rng(seed)
    # make the input long enough for the kernel, as PyTorch requires
    i = tuple(max(n, d_ * (k_ - 1) + 1 - 2 * p_) for n, k_, d_, p_ in zip(i, k, d, p))
    x = rng.standard_normal((batch, c_in, *i))
    w = rng.standard_normal((c_og * groups, c_in // groups, *k))
    bias = rng.standard_normal(c_og * groups)
    expected = getattr(torch.nn.functional, f"conv{nd}d")(
        torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(bias), s, p, d, groups).numpy()
    got = numeric.conv(x, w, bias, s, p, d, groups)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12 * max(1.0, np.abs(expected).max()))


# --- inf and NaN land where PyTorch puts them (more in test_nonfinite.py) ------------------------------


def _assert_same_non_finite(got, expected):
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(expected))
    inf, finite = np.isinf(expected), np.isfinite(expected)
    np.testing.assert_array_equal(got[inf], expected[inf])  # the same signs
    np.testing.assert_allclose(got[finite], expected[finite], rtol=0,
                               atol=1e-12 * max(1.0, np.abs(expected[finite]).max(initial=0.0)))


@FAST
@given(params=pytorch_cases(), seed=st.integers(0, 2**16), where=st.sampled_from(["x", "weight"]),
       value=st.sampled_from([np.inf, -np.inf, np.nan]), data=st.data())
def test_one_non_finite_value_lands_where_pytorch_puts_it(torch, params, seed, where, value, data):
    """The gathering GEMMs, zero insertion and the phases multiply padding, inserted zeros and absent taps
    with the data; inf * 0 must not leak NaN into outputs that no non-finite value reaches."""
    nd, i, k, s, p, op, d, groups, c_in, c_og, batch = params
    x, w, bias = _arrays(np.random.default_rng(seed), i, k, c_in, c_og, groups, batch)
    target = x if where == "x" else w
    target.flat[data.draw(st.integers(0, target.size - 1), label="flat index")] = value
    expected = _torch_conv_transpose(torch, nd, x, w, bias, s, p, op, groups, d)
    for route in ALL_ROUTES:
        _assert_same_non_finite(numeric.conv_transpose(x, w, bias, s, p, op, groups, d, route=route), expected)


@FAST
@given(params=pytorch_cases(), seed=st.integers(0, 2**16), where=st.sampled_from(["x", "weight"]),
       value=st.sampled_from([np.inf, -np.inf, np.nan]), data=st.data())
def test_one_non_finite_value_lands_where_the_matrix_puts_it(params, seed, where, value, data):
    """Without PyTorch, the matrix route is the oracle: it multiplies only C's non-zeros, as the definition."""
    nd, i, k, s, p, op, d, groups, c_in, c_og, batch = params
    x, w, bias = _arrays(np.random.default_rng(seed), i, k, c_in, c_og, groups, batch)
    target = x if where == "x" else w
    target.flat[data.draw(st.integers(0, target.size - 1), label="flat index")] = value
    expected = numeric.conv_transpose(x, w, bias, s, p, op, groups, d, route="matrix")
    for route in ALL_ROUTES:
        _assert_same_non_finite(numeric.conv_transpose(x, w, bias, s, p, op, groups, d, route=route), expected)


def test_inf_in_a_gathered_window_stays_out_of_other_phases(torch):
    """The reported cases: one inf in x, and a NaN on a weight tap that only one phase uses."""
    x = np.ones((1, 1, 3, 3))
    x[0, 0, 0, 0] = np.inf
    w = np.ones((1, 1, 3, 3))
    expected = torch.nn.functional.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(w), stride=2).numpy()
    assert expected[0, 0, 0, 3] == 1.0  # finite in PyTorch, and so in ours
    for route in ALL_ROUTES:
        _assert_same_non_finite(numeric.conv_transpose(x, w, stride=2, route=route), expected)
    x, w = np.ones((1, 1, 3)), np.array([[[1.0, 1.0, 1.0, np.nan]]])
    expected = torch.nn.functional.conv_transpose1d(torch.from_numpy(x), torch.from_numpy(w), stride=3).numpy()
    for route in ALL_ROUTES:
        _assert_same_non_finite(numeric.conv_transpose(x, w, stride=3, route=route), expected)


def test_per_axis_parameters_broadcast_as_in_pytorch(torch):
    """One-element lists and NumPy ints, as PyTorch's functional layers take them."""
    rng = np.random.default_rng(6)
    x, wt, wc = rng.standard_normal((1, 2, 5, 4)), rng.standard_normal((2, 3, 3, 3)), rng.standard_normal((3, 2, 3, 3))
    tx, twt, twc = torch.from_numpy(x), torch.from_numpy(wt), torch.from_numpy(wc)
    kwargs = {"stride": [2], "padding": np.int64(1), "dilation": np.array([1, 2])}
    np.testing.assert_allclose(numeric.conv_transpose(x, wt, output_padding=[1], **kwargs),
                               torch.nn.functional.conv_transpose2d(tx, twt, output_padding=[1], stride=[2],
                                                                    padding=1, dilation=[1, 2]).numpy(), atol=1e-12)
    np.testing.assert_allclose(numeric.conv(x, wc, **kwargs),
                               torch.nn.functional.conv2d(tx, twc, stride=[2], padding=1, dilation=[1, 2]).numpy(),
                               atol=1e-12)


# --- conv's padding="same" / "valid" ----------------------------------------------------------------

@FAST
@given(params=pytorch_cases(), padding=st.sampled_from(["same", "valid"]), seed=st.integers(0, 2**16))
def test_conv_same_and_valid_padding_match_pytorch(torch, params, padding, seed):
    nd, i, k, _, _, _, d, groups, c_in, c_og, batch = params
    rng = np.random.default_rng(seed)
    i = tuple(max(n, d_ * (k_ - 1) + 1) for n, k_, d_ in zip(i, k, d))  # 'valid' needs the kernel to fit
    x = rng.standard_normal((batch, c_in, *i))
    w = rng.standard_normal((c_og * groups, c_in // groups, *k))
    bias = rng.standard_normal(c_og * groups)
    with warnings.catch_warnings():  # PyTorch warns that an even kernel needs a padded copy
        warnings.simplefilter("ignore", UserWarning)
        expected = getattr(torch.nn.functional, f"conv{nd}d")(
            torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(bias), 1, padding, d, groups).numpy()
    got = numeric.conv(x, w, bias, 1, padding, d, groups)
    assert got.shape == expected.shape and (padding == "valid" or got.shape[2:] == i)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12 * max(1.0, np.abs(expected).max()))


def test_same_padding_puts_the_odd_zero_at_the_end():
    # k=2: one zero in all, after the signal, so y[j] = x[j] + x[j+1] and the last sample sees only itself.
    y = numeric.conv(np.array([[[1.0, 2.0, 4.0]]]), np.ones((1, 1, 2)), padding="same")
    assert y.tolist() == [[[3.0, 6.0, 4.0]]]


@pytest.mark.parametrize("kwargs, words", [
    ({"padding": "same", "stride": 2}, "stride 1"),
    ({"padding": "same", "stride": (1, 2)}, "stride 1"),
    ({"padding": "SAME"}, "lower-case"),
    ({"padding": "full"}, "'same' and 'valid'"),
])
def test_bad_string_padding_is_refused_in_one_sentence(kwargs, words):
    with pytest.raises(ParameterError) as info:
        numeric.conv(np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), **kwargs)
    assert words in _one_sentence(info.value)


@pytest.mark.parametrize("kwargs", [{"padding": "same", "stride": 2}, {"padding": "same", "stride": (1, 2)},
                                    {"padding": "SAME"}, {"padding": "full"}])
def test_pytorch_refuses_the_same_string_paddings(torch, kwargs):
    x, w = np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3))
    with pytest.raises(RuntimeError):
        torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w), **kwargs)


def test_conv_transpose_takes_no_string_padding():
    with pytest.raises(ParameterError, match="padding='same' is not an integer"):
        numeric.conv_transpose(np.ones((1, 1, 3)), np.ones((1, 1, 2)), padding="same")


# --- routes against each other, for every canonical crop (negative ones too) ----------------------

def crop_cases():
    """``(i, k, s, d, crop)`` per axis of a layer with any canonical crop."""
    return crop_layers(k=(1, 6)).map(lambda layer: (layer.input_size, layer.kernel_size, layer.field("s"),
                                                   layer.field("d"), layer.crop))


@FAST
@given(params=crop_cases(), groups=st.integers(1, 2), seed=st.integers(0, 2**16))
def test_routes_agree_on_any_crop(params, groups, seed):
    i, k, s, d, crop = params
    x, w, bias = _arrays(np.random.default_rng(seed), i, k, 2 * groups, 2, groups, 2)
    results = {r: numeric.conv_transpose(x, w, bias, s, groups=groups, dilation=d, crop=crop, route=r)
               for r in ALL_ROUTES}
    reference = results.pop("matrix")  # the operator triples, the definition of C
    for route, y in results.items():
        np.testing.assert_allclose(y, reference, rtol=0, atol=1e-12 * max(1.0, np.abs(reference).max()),
                                   err_msg=route)


@FAST
@given(params=crop_cases(), groups=st.integers(1, 2), seed=st.integers(0, 2**16), data=st.data())
def test_every_gather_scatter_mix_agrees(params, groups, seed, data):
    """The fast route's GEMMs with each axis gathering or scattering, against the operator triples."""
    i, k, s, d, crop = params
    x, w, _ = _arrays(np.random.default_rng(seed), i, k, 2 * groups, 2, groups, 2)
    layer = numeric._crop_layer(i, k, s, d, crop)
    modes = tuple(data.draw(st.lists(st.booleans(), min_size=len(i), max_size=len(i)), label="gather"))
    reference = numeric.apply(layer, x, w, None, groups, "matrix")
    got = gemm.gemm(layer, x, w, groups, modes)
    np.testing.assert_allclose(got, reference, rtol=0, atol=1e-12 * max(1.0, np.abs(reference).max()))


def test_results_do_not_share_the_work_buffers():
    """The GEMM and im2col buffers are kept between calls; a result must never be one of them."""
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 3, 5, 5)), rng.standard_normal((3, 4, 3, 3))
    for modes in [(True, True), (True, False), (False, True), (False, False)]:
        layer = Layer.from_pytorch((5, 5), (3, 3), 2, 1, 1)
        first = gemm.gemm(layer, x, w, 1, modes)
        kept = first.copy()
        gemm.gemm(layer, 2 * x, w, 1, modes)  # fills the same work buffers with other numbers
        np.testing.assert_array_equal(first, kept)
        assert not any(np.shares_memory(first, b) for b in gemm.WORK.buffers.values())
    numeric.release_buffers()
    assert not gemm.WORK.buffers
    np.testing.assert_allclose(numeric.conv_transpose(x, w, stride=2, padding=1, output_padding=1), kept, rtol=1e-12)


def test_crop_equals_pytorch_padding():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((1, 2, 5, 4)), rng.standard_normal((2, 3, 3, 3))
    via_padding = numeric.conv_transpose(x, w, stride=2, padding=1, output_padding=1)
    np.testing.assert_array_equal(numeric.conv_transpose(x, w, stride=2, crop=((1, 0), (1, 0))), via_padding)


def test_negative_crop_appends_zeros():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((1, 1, 3)), rng.standard_normal((1, 1, 2))
    full = numeric.conv_transpose(x, w, stride=2)
    padded = numeric.conv_transpose(x, w, stride=2, crop=((-2, -1),))
    np.testing.assert_array_equal(padded[..., 2:-1], full)
    assert not padded[..., :2].any() and not padded[..., -1:].any()


# --- the adjoint identity <C u, x> = <u, C^T x> ---------------------------------------------------

@FAST
@given(params=crop_cases(), seed=st.integers(0, 2**16))
def test_adjoint_identity(params, seed):
    i, k, s, d, crop = params
    layer = Layer(tuple(Axis(*a, *c) for a, c in zip(zip(i, k, s, d), crop)))
    rng = np.random.default_rng(seed)
    x, w, _ = _arrays(rng, i, k, 2, 3, 1, 2)
    y = numeric.apply(layer, x, w)
    u = rng.standard_normal(y.shape)
    lhs, rhs = np.vdot(numeric.apply_adjoint(layer, u, w), x), np.vdot(u, y)
    assert abs(lhs - rhs) <= 1e-12 * max(1.0, abs(lhs))


def test_adjoint_is_pytorch_conv(torch):
    rng = np.random.default_rng(3)
    layer = Layer.from_pytorch((4, 5), 3, 2, 1, 1)
    w = rng.standard_normal((3, 2, 3, 3))
    u = rng.standard_normal((1, 2, *layer.output_size))
    expected = torch.nn.functional.conv2d(torch.from_numpy(u), torch.from_numpy(w), None, 2, 1).numpy()
    np.testing.assert_allclose(numeric.apply_adjoint(layer, u, w), expected, atol=1e-12)


def test_matrix_indices_are_the_operator_triples():
    from tconvcalc.model.structure import layer_taps, nnz

    layer = Layer.from_pytorch((3, 4), (2, 3), (2, 1), (0, 1), (1, 0), (1, 2))
    rows, cols, taps = numeric.matrix_indices(layer)
    expected = [(r, c, t[0] * 3 + t[1]) for r, c, t in layer_taps(layer.axes)]
    assert list(zip(rows.tolist(), cols.tolist(), taps.tolist())) == expected
    assert len(rows) == nnz(layer.axes)


def test_matrix_route_memory_follows_nonzeros():
    # 128x128 with 3x3 taps: ~150 000 non-zeros, while the dense C would have 268 million entries.
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((1, 1, 128, 128)), rng.standard_normal((1, 1, 3, 3))
    layer = Layer.from_pytorch((128, 128), 3, 1, 1)
    assert run.work_bytes("matrix", layer, x.shape, w.shape, 1, x.dtype) < 128 ** 4
    np.testing.assert_allclose(numeric.conv_transpose(x, w, padding=1, route="matrix"),
                               numeric.conv_transpose(x, w, padding=1, route="zero_insertion"), atol=1e-12)


# --- strides, dilations and crops of any size: the work follows the arrays -------------------------------

def _by_definition(layer, x, w):
    """``y[j] = f[j + b]``, ``f[m] = sum x[n] w[a]`` over ``n*s + a*d = m``: the model's sentence term by term,
    in exact integers (groups 1); for layers of a few samples, as an oracle independent of every route."""
    y = np.zeros((x.shape[0], w.shape[1], *layer.output_size))
    per_axis = [[(n, a, n * ax.s + a * ax.d - ax.b) for n in range(ax.i) for a in range(ax.k)] for ax in layer.axes]
    for combo in itertools.product(*per_axis):
        out = tuple(m for _, _, m in combo)
        if all(0 <= m < ax.o for m, ax in zip(out, layer.axes)):
            source = x[(slice(None), slice(None), *(n for n, _, _ in combo))]
            tap = w[(slice(None), slice(None), *(a for _, a, _ in combo))]
            y[(slice(None), slice(None), *out)] += source @ tap
    return y


@st.composite
def huge_axes(draw, max_ndim=2):
    """A layer of a few samples whose stride, dilation and crop may be anything up to 10**13 (o ≤ 6)."""
    big = st.one_of(st.integers(1, 4), st.integers(10**6, 10**13))
    axes = []
    for _ in range(draw(st.integers(1, max_ndim))):
        i, k, s, d = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(big), draw(big)
        full = full_length(i, k, s, d)
        o = draw(st.integers(1, 6))
        b = draw(st.one_of(st.integers(-3, 6), st.integers(full - 10, full), st.integers(-3, full)))
        axes.append(Axis(i, k, s, d, b, full - b - o))
    return Layer(tuple(axes))


@FAST
@given(layer=huge_axes(), seed=st.integers(0, 2**16))
def test_huge_stride_dilation_and_crop_run_every_route(layer, seed):
    """A crop of nearly all of a scatter of 10**13 samples: every route answers, with the definition's numbers."""
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal((2, 2, *layer.input_size)), rng.standard_normal((2, 3, *layer.kernel_size))
    expected = _by_definition(layer, x, w)
    for route in ALL_ROUTES:
        if run.route_limit(route, layer):  # the forced sub-pixel GEMM with a window of a million rows
            with pytest.raises(ParameterError, match="route='fast'"):
                numeric.apply(layer, x, w, route=route)
            continue
        np.testing.assert_allclose(numeric.apply(layer, x, w, route=route), expected, rtol=0, atol=1e-12,
                                   err_msg=route)
    u = rng.standard_normal(expected.shape)  # and the adjoint: <C u, x> = <u, C^T x>
    assert abs(np.vdot(numeric.apply_adjoint(layer, u, w), x) - np.vdot(u, expected)) <= 1e-12 * max(
        1.0, float(np.abs(u).sum() * np.abs(expected).max()))


@FAST
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_huge_stride_and_dilation_match_pytorch(torch, data, seed):
    """Strides and dilations up to 2**28 (PyTorch sizes its output in 32 bits), padding cropping all but a few."""
    big = st.one_of(st.integers(1, 3), st.integers(2**20, 2**28))
    ndim = data.draw(st.integers(1, 2))
    small = st.integers(1, 3)
    i, k, s, d = ([data.draw(bounds) for _ in range(ndim)] for bounds in (small, small, big, big))
    op = [data.draw(st.integers(0, min(1, max(a, b) - 1))) for a, b in zip(s, d)]
    p = [max(0, (full_length(*args) + o - data.draw(st.integers(1, 5))) // 2) for args, o in zip(zip(i, k, s, d), op)]
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal((1, 2, *i)), rng.standard_normal((2, 2, *k))
    expected = getattr(torch.nn.functional, f"conv_transpose{ndim}d")(
        torch.from_numpy(x), torch.from_numpy(w), None, s, p, op, 1, d).numpy()
    for route in ALL_ROUTES:
        if route != "subpixel_gemm" or run.route_limit(route, Layer.from_pytorch(i, k, s, p, op, d)) is None:
            np.testing.assert_allclose(numeric.conv_transpose(x, w, None, s, p, op, 1, d, route=route), expected,
                                       rtol=0, atol=1e-12, err_msg=route)


def test_conv_with_huge_stride_and_padding_matches_pytorch(torch):
    x, w = np.arange(1.0, 6.0).reshape(1, 1, 5), np.array([[[1.0, 10.0, 100.0]]])
    expected = torch.nn.functional.conv1d(torch.from_numpy(x), torch.from_numpy(w), stride=2**30,
                                          padding=2**30, dilation=2**29).numpy()
    np.testing.assert_array_equal(numeric.conv(x, w, stride=2**30, padding=2**30, dilation=2**29), expected)
    # 10**12 is beyond PyTorch's 32-bit strides: y[n] = sum_a w[a] x[n*s + a*d - p], zero outside x
    y = numeric.conv(x, w, stride=10**12, padding=10**12)
    assert y.tolist() == [[[0.0, 1.0 * 1 + 10.0 * 2 + 100.0 * 3, 0.0]]]  # n = 1 reads x[0], x[1], x[2]


@pytest.mark.parametrize("route", ALL_ROUTES)
def test_an_output_too_large_is_refused_before_any_plan(monkeypatch, route):
    """stride=10**12 asks for 10**12 outputs: refused from the output's size, nothing planned for it."""
    def planned(*args):
        raise AssertionError("a plan was built for an output that cannot be held")

    for name in ("best_modes", "gemm_plan", "work_bytes"):
        monkeypatch.setattr(run, name, planned)
    with pytest.raises(ParameterError) as info:
        numeric.conv_transpose(np.ones((1, 1, 2)), np.ones((1, 1, 3)), stride=10**12, route=route)
    assert "(1, 1, 1000000000003)" in _one_sentence(info.value) and "TiB" in str(info.value)


def test_sizes_beyond_any_float_are_refused_in_words():
    with pytest.raises(ParameterError) as info:
        numeric.conv_transpose(np.ones((1, 1, 2)), np.ones((1, 1, 3)), stride=10**40)
    assert "about 2**" in _one_sentence(info.value)


def test_work_memory_is_counted_from_the_layer():
    from tconvcalc.model.structure import nnz

    layer = Layer.from_pytorch((128, 128), 3, 1, 1)
    x_shape, w_shape = (1, 1, 128, 128), (1, 1, 3, 3)
    assert run.work_bytes("matrix", layer, x_shape, w_shape, 1, np.dtype(np.float64)) >= 32 * nnz(layer.axes)
    # zero insertion stores the cells its windows read (k x o per axis), not the stretched signal
    cropped = Layer((Axis(2, 3, 10**12, 1, 10**12 - 1, 0),))
    assert run.work_bytes("zero_insertion", cropped, (1, 1, 2), (1, 1, 3), 1, np.dtype(np.float64)) < 1 << 20


def test_the_phases_route_refuses_to_list_too_many_phases(monkeypatch):
    from tconvcalc.numeric import routes

    monkeypatch.setattr(routes, "MAX_PHASES", 8)
    x, w = np.ones((1, 1, 3)), np.ones((1, 1, 3))
    with pytest.raises(ParameterError) as info:
        numeric.conv_transpose(x, w, stride=16, route="phases")
    assert "16 sub-pixel phases" in _one_sentence(info.value) and "route='fast'" in str(info.value)
    np.testing.assert_array_equal(numeric.conv_transpose(x, w, stride=16), numeric.conv_transpose(x, w, stride=16,
                                                                                                   route="matrix"))


def test_a_huge_stride_plans_no_gathering():
    from tconvcalc.numeric.gemm_plan import best_modes, gather_rows

    layer = Layer.from_pytorch(3, 3, 10**6)  # a million phases, each tap alone in its own
    assert gather_rows(layer, (True,)) is None and best_modes(layer, (1, 1), 1, 1) == (False,)
    with pytest.raises(ParameterError, match="sub-pixel GEMM"):
        numeric.apply(layer, np.ones((1, 1, 3)), np.ones((1, 1, 3)), route="subpixel_gemm")


def test_adjoint_checks_its_arrays():
    layer = Layer.from_pytorch(4, 3, 2)
    with pytest.raises(ParameterError) as info:
        numeric.apply_adjoint(layer, np.ones((1, 1, 8)), np.ones((1, 1, 3)))
    assert "output (9,)" in _one_sentence(info.value)
    with pytest.raises(ParameterError, match="channels"):
        numeric.apply_adjoint(layer, np.ones((1, 3, 9)), np.ones((1, 2, 3)))


# --- bad input --------------------------------------------------------------------------------------

def _one_sentence(error: Exception) -> str:
    text = str(error)
    assert "\n" not in text and text.count(";") >= 1, text
    return text


@pytest.mark.parametrize("x_shape, w_shape, kwargs, words", [
    ((1, 3, 4, 4), (2, 1, 3, 3), {}, "channels"),
    ((1, 3, 4, 4), (3, 1, 3, 3), {"groups": 2}, "groups=2 does not divide"),
    ((1, 2, 4, 4), (2, 1, 3), {}, "kernel axes"),
    ((2, 4, 4), (2, 1, 3, 3), {}, "batch axis"),
    ((1, 1, 4, 4), (1, 1, 3, 3), {"stride": (2, 2, 2)}, "axes"),
    ((1, 1, 4, 4), (1, 1, 3, 3), {"stride": 2, "output_padding": 2}, "output_padding"),
    ((1, 1, 4, 4), (1, 1, 3, 3), {"padding": 9}, "padding"),
    ((1, 1, 4, 4), (1, 1, 3, 3), {"route": "fft"}, "route"),
    ((1, 1, 4, 4), (1, 1, 3, 3), {"padding": 1, "crop": ((1, 1), (1, 1))}, "only one"),
])
def test_bad_shapes_and_parameters(x_shape, w_shape, kwargs, words):
    with pytest.raises(ParameterError) as info:
        numeric.conv_transpose(np.zeros(x_shape), np.zeros(w_shape), **kwargs)
    assert words in _one_sentence(info.value)


def test_bias_shape_and_conv_channels():
    with pytest.raises(ParameterError, match="bias"):
        numeric.conv_transpose(np.zeros((1, 1, 3)), np.zeros((1, 2, 2)), bias=np.zeros(3))
    with pytest.raises(ParameterError, match="channels"):
        numeric.conv(np.zeros((1, 3, 5)), np.zeros((2, 2, 2)))
    with pytest.raises(ParameterError, match="shorter than the dilated kernel"):
        numeric.conv(np.zeros((1, 1, 2)), np.zeros((1, 1, 5)))


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_])
def test_integer_arrays_are_refused(dtype):
    with pytest.raises(ParameterError, match="astype"):
        numeric.conv_transpose(np.ones((1, 1, 3), dtype), np.ones((1, 1, 2)))


@pytest.mark.parametrize("x_dtype, w_dtype, b_dtype, fix", [
    (np.float32, np.float64, None, "weight.astype(np.float32)"),
    (np.float64, np.float32, None, "weight.astype(np.float64)"),
    (np.float32, np.float32, np.float64, "bias.astype(np.float32)"),
    (np.complex128, np.float64, None, "weight.astype(np.complex128)"),
    (np.float64, np.complex128, None, "x.astype(np.complex128) or weight.real"),
    (np.float16, np.float32, None, "weight.astype(np.float16)"),
])
@pytest.mark.parametrize("function, w_shape", [("conv_transpose", (2, 3, 3)), ("conv", (3, 2, 3))])
def test_mixed_dtypes_are_refused(x_dtype, w_dtype, b_dtype, fix, function, w_shape):
    x, w = np.ones((1, 2, 5), x_dtype), np.ones(w_shape, w_dtype)
    bias = None if b_dtype is None else np.ones(3, b_dtype)
    with pytest.raises(ParameterError) as info:
        getattr(numeric, function)(x, w, bias)
    text = _one_sentence(info.value)
    assert "must share one dtype" in text and text.endswith(f"pass {fix}")


@pytest.mark.parametrize("x_dtype, w_dtype", [(np.float32, np.float64), (np.complex64, np.float32)])
def test_pytorch_refuses_mixed_dtypes_too(torch, x_dtype, w_dtype):
    with pytest.raises(RuntimeError):
        torch.nn.functional.conv_transpose1d(torch.ones(1, 2, 5, dtype=getattr(torch, np.dtype(x_dtype).name)),
                                             torch.ones(2, 3, 3, dtype=getattr(torch, np.dtype(w_dtype).name)))


@pytest.mark.parametrize("x_dtype", [np.float32, np.float64, np.complex64])
def test_lists_take_the_dtype_of_x(x_dtype):
    x = np.arange(6, dtype=x_dtype).reshape(1, 2, 3)
    w, bias = [[[1, 2]], [[3, 4.5]]], [0.5]
    y = numeric.conv_transpose(x, w, bias, stride=2)
    assert y.dtype == x_dtype
    np.testing.assert_array_equal(y, numeric.conv_transpose(x, np.array(w, x_dtype), np.array(bias, x_dtype), 2))
    assert numeric.conv(x, [[[1, 1], [1, 1]]]).dtype == x_dtype


def test_complex_lists_with_real_x_are_refused():
    with pytest.raises(ParameterError, match="weight is complex128 but x is float64"):
        numeric.conv_transpose(np.ones((1, 1, 3)), [[[1j, 1]]])


@pytest.mark.parametrize("function, x_shape, w_shape, words", [
    ("conv_transpose", (1, 0, 3), (0, 1, 2), "x has shape (1, 0, 3), with no channels on axis 1"),
    ("conv_transpose", (1, 1, 3), (1, 0, 2), "weight has shape (1, 0, 2), with no channels on axis 1"),
    ("conv_transpose", (0, 0, 3), (0, 1, 2), "x has shape (0, 0, 3)"),
    ("conv", (1, 1, 3), (0, 1, 2), "weight has shape (0, 1, 2), with no channels on axis 0"),
    ("conv", (1, 0, 3), (1, 0, 2), "x has shape (1, 0, 3)"),
])
def test_empty_channel_axes_are_refused(function, x_shape, w_shape, words):
    with pytest.raises(ParameterError) as info:
        getattr(numeric, function)(np.ones(x_shape), np.ones(w_shape))
    assert words in _one_sentence(info.value)


@pytest.mark.parametrize("x_shape, w_shape", [((1, 0, 3), (0, 1, 2)), ((1, 1, 3), (1, 0, 2))])
def test_pytorch_refuses_empty_channels_too(torch, x_shape, w_shape):
    with pytest.raises(RuntimeError):
        torch.nn.functional.conv_transpose1d(torch.ones(x_shape), torch.ones(w_shape))


def test_lists_are_taken_as_float64():
    y = numeric.conv_transpose([[[1, 2]]], [[[1, 1]]])
    assert y.dtype == np.float64 and y.tolist() == [[[1.0, 3.0, 2.0]]]


def test_complex_weight_on_real_input_is_refused_but_complex_runs():
    x = np.ones((1, 1, 3))
    with pytest.raises(ParameterError, match="complex"):
        numeric.conv_transpose(x, np.ones((1, 1, 2), complex))
    rng = np.random.default_rng(5)
    xr, xi, w = rng.standard_normal((1, 2, 4)), rng.standard_normal((1, 2, 4)), rng.standard_normal((2, 1, 3))
    # linearity: C^T (a + ib) = C^T a + i C^T b, computed independently per part
    expected = numeric.conv_transpose(xr, w, stride=2) + 1j * numeric.conv_transpose(xi, w, stride=2)
    for route in numeric.ROUTES:
        np.testing.assert_allclose(numeric.conv_transpose(xr + 1j * xi, w.astype(complex), stride=2, route=route),
                                   expected, atol=1e-12)


def test_float16_keeps_its_dtype():
    x, w = np.ones((1, 1, 2, 2), np.float16), np.ones((1, 1, 2, 2), np.float16)
    y = numeric.conv_transpose(x, w, stride=2)
    assert y.dtype == np.float16 and y.tolist() == np.ones((1, 1, 4, 4)).tolist()


@pytest.mark.parametrize("route", numeric.ROUTES)
def test_nan_and_inf_propagate_without_crashing(route):
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = np.nan
    x[0, 0, 0, 0] = np.inf
    y = numeric.conv_transpose(x, np.ones((1, 1, 2, 2)), stride=2, route=route)
    assert np.isnan(y[0, 0, 2:4, 2:4]).all() and np.isinf(y[0, 0, :2, :2]).all()
    assert np.isfinite(y[0, 0, 4:, 4:]).all()


@pytest.mark.parametrize("route", numeric.ROUTES)
def test_empty_batch_gives_empty_result(route):
    y = numeric.conv_transpose(np.zeros((0, 2, 3, 3)), np.zeros((2, 4, 3, 3)), np.ones(4), stride=2, route=route)
    assert y.shape == (0, 4, 7, 7)
    assert numeric.conv(np.zeros((0, 2, 5)), np.zeros((3, 2, 3))).shape == (0, 3, 3)


def test_huge_output_is_refused_before_allocating(monkeypatch):
    monkeypatch.setattr(numeric, "MAX_BYTES", 1 << 20)
    x = np.zeros((1, 1, 600, 600), np.float32)  # the output alone would be 5.5 MiB at stride 2
    with pytest.raises(ParameterError) as info:
        numeric.conv_transpose(x, np.zeros((1, 1, 2, 2), np.float32), stride=2)
    assert "MiB" in _one_sentence(info.value) and "MAX_BYTES" in str(info.value)


# --- tconvcalc check ----------------------------------------------------------------------------

def test_check_json_passes_with_every_route():
    result = run_cli("check", "--in", "5", "--k", "3", "--s", "2", "--p", "1", "--op", "1", "--groups", "2",
                 "--channels", "4,6", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["passed"] is True
    assert [r["route"] for r in report["routes"]] == ["matrix", "zero_insertion", "phases"]
    assert all(r["max_rel_error"] <= 1e-12 for r in report["routes"])
    assert report["shape_check"]["routes"] == [2, 6, 10, 10] and report["shape_check"]["formula"] == [10, 10]
    assert report["adjoint"]["passed"] is True
    assert report["pytorch"]["available"] in (True, False)


def test_check_table_says_pass():
    result = run_cli("check", "--in", "8", "--k", "4", "--s", "2", "--p", "1", "--ndim", "1", "--dtype", "float32",
                 "--trials", "2")
    assert result.exit_code == 0, result.output
    assert "PASS" in result.output and "FAIL" not in result.output
    assert "1-D" in result.output


def test_check_fails_and_exits_1_when_a_route_is_wrong(monkeypatch):
    broken = dict(run.ROUTE_FUNCTIONS)
    right = broken["phases"]
    broken["phases"] = lambda layer, x, w, g: right(layer, x, w, g) * 1.001
    monkeypatch.setattr(run, "ROUTE_FUNCTIONS", broken)
    result = run_cli("check", "--in", "4", "--k", "3", "--s", "2")
    assert result.exit_code == 1
    assert "FAIL" in result.output and "phases" in result.output
    result = run_cli("check", "--in", "4", "--k", "3", "--s", "2", "--json")
    assert result.exit_code == 1 and json.loads(result.output)["passed"] is False


@pytest.mark.parametrize("args, words", [
    (["--in", "4", "--k", "3", "--groups", "2", "--channels", "3,2"], "groups=2 does not divide"),
    (["--in", "4", "--k", "3", "--channels", "1,2,3"], "--channels"),
    (["--in", "4", "--k", "3", "--s", "2", "--op", "2"], "output_padding"),
])
def test_check_bad_input_exits_2_with_one_line(args, words):
    result = run_cli("check", *args)
    assert result.exit_code == 2
    assert words in result.output and "Traceback" not in result.output


def test_check_refuses_what_it_cannot_hold_in_one_line():
    """All it would hold at once against MAX_BYTES, before anything is drawn: 2**64 samples too."""
    from helpers import run_error

    line = run_error("check", "--in", "100000", "--k", "3", "--s", "2")
    assert "input_size (100000, 100000)" in line and "MAX_BYTES" in line
    line = run_error("check", "--in", str(2**64), "--k", "3")
    assert f"input_size ({2**64}, {2**64})" in line and "about 2**" in line
    assert "seed" in run_error("check", "--in", "4", "--k", "3", "--seed", "-1")


def test_check_counts_what_it_holds(monkeypatch):
    """A check that fits runs; lower MAX_BYTES below its count and the same check is refused."""
    layer = Layer.from_pytorch((12, 10), 3, 2, 1, 1)
    need = numeric.check_bytes(layer, (2, 2), 1, 2, "float64", 1, True)
    assert numeric.check_routes(layer, (2, 2), batch=2, trials=1, nonfinite=True).passed
    monkeypatch.setattr(numeric, "MAX_BYTES", need - 1)
    with pytest.raises(ParameterError, match="would hold"):
        numeric.check_routes(layer, (2, 2), batch=2, trials=1, peers={"peer": lambda x, w, b: None},
                             nonfinite=True)


def test_check_reports_progress():
    calls = []
    numeric.check_routes(Layer.from_pytorch(5, 3, 2), (1, 1), trials=2, peers={"copy": lambda x, w, b: None},
                         progress=lambda done, total: calls.append((done, total)))
    assert [done for done, _ in calls] == list(range(1, len(calls) + 1)) and calls[-1] == (calls[-1][1],) * 2


def test_check_fails_a_route_that_gives_nan_on_finite_inputs(monkeypatch):
    """max(0, nan) is 0: a NaN must not pass as a zero error."""
    broken = dict(run.ROUTE_FUNCTIONS)
    right = broken["zero_insertion"]

    def nan_at_one_place(layer, x, w, g):
        y = right(layer, x, w, g)
        y[0, 0, 0] = np.nan
        return y

    broken["zero_insertion"] = nan_at_one_place
    monkeypatch.setattr(run, "ROUTE_FUNCTIONS", broken)
    result = run_cli("check", "--in", "4", "--k", "3", "--s", "2", "--ndim", "1", "--json")
    assert result.exit_code == 1
    row = next(r for r in json.loads(result.output)["routes"] if r["route"] == "zero_insertion")
    assert row["passed"] is False and row["nonfinite_mismatches"] == 3  # one output in each of 3 trials
    text = run_cli("check", "--in", "4", "--k", "3", "--s", "2", "--ndim", "1").output
    assert "NaN/±inf" in text and "3 differ" in text


def test_check_nonfinite_json_and_table():
    args = ("check", "--in", "6", "--k", "3", "--s", "2", "--p", "1", "--op", "1", "--groups", "2", "--channels",
            "4,2", "--nonfinite")
    report = json.loads(run_cli(*args, "--json").output)
    assert report["passed"] is True and report["reference"] == "fast"
    assert all(r["nonfinite_mismatches"] == 0 for r in report["routes"])
    assert report["nonfinite"]["inserted"]["x"] == {"nan": 3, "posinf": 3, "neginf": 3, "zero": 3}
    assert report["nonfinite"]["reference"]["nan"] > 0 and report["nonfinite"]["reference"]["finite"] > 0
    result = run_cli(*args)
    assert result.exit_code == 0 and "NaN/±inf" in result.output and "same" in result.output
    assert "at the same" in result.output
    finite = json.loads(run_cli("check", "--in", "6", "--k", "3", "--json").output)
    assert "nonfinite" not in finite and all(r["nonfinite_mismatches"] == 0 for r in finite["routes"])


def test_check_says_why_pytorch_cannot_run_a_layer(torch):
    """PyTorch's kernels take 32-bit strides: at 10**12 it refuses, and check says so instead of failing."""
    report = json.loads(run_cli("check", "--in", "2", "--k", "3", "--s", str(10**12), "--p", str(5 * 10**11),
                                "--ndim", "1", "--trials", "1", "--json").output)
    assert report["passed"] is True and report["shape_check"]["formula"] == [3]
    assert report["pytorch"]["available"] is False and "cannot run this layer" in report["pytorch"]["reason"]
