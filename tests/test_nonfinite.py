"""inf and NaN: every route puts them exactly where PyTorch does, for any layer.

PyTorch (float64) multiplies only real (input, tap) pairs, so a structural zero - an inserted zero,
padding, a tap a phase lacks - never meets an inf: ``0 * inf`` is NaN only for a real pair whose
other operand is an exact 0.  The operands here hold NaN, +inf, -inf and exact zeros in ``x``, in the
weight, or in both; the oracle is PyTorch in float64 (its float32 CPU kernel multiplies the padding
by non-finite weights, so float32 inputs are compared with it in float64), and without PyTorch the
matrix route (C's non-zeros, the definition).  Complex operands follow PyTorch's complex kernels:
``nan + nan*j`` wherever a pair with a non-finite part reaches, checked against the operator's
triples directly.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tconvcalc import numeric
from tconvcalc.numeric import run
from tconvcalc.model.structure import layer_taps
from tconvcalc.model.spec import Layer

from strategies import channels, crop_layers, pytorch_parameters

ALL_ROUTES = list(run.ROUTE_FUNCTIONS)  # the four routes and both forms of the fast one
FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SPECIAL = [np.nan, np.inf, -np.inf, 0.0]


@st.composite
def pytorch_cases(draw):
    """``(ndim, i, k, s, p, op, d, groups, c_in, c_out/g, batch)`` PyTorch accepts."""
    i, k, s, p, op, d = draw(pytorch_parameters(3))
    groups, c_in, c_out = draw(channels())
    return len(i), i, k, s, p, op, d, groups, c_in, c_out // groups, draw(st.integers(1, 2))


@st.composite
def specials(draw, where):
    """Where the special values go: ``[(array name, fraction of its size, value)]``, one to three per array."""
    names = ["x", "weight"] if where == "both" else [where]
    return [(name, draw(st.floats(0, 1, exclude_max=True)), draw(st.sampled_from(SPECIAL)))
            for name in names for _ in range(draw(st.integers(1, 3)))]


def _arrays(seed, i, k, c_in, c_og, groups, batch, dtype=np.float64):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, c_in, *i)).astype(dtype)
    w = rng.standard_normal((c_in, c_og, *k)).astype(dtype)
    bias = rng.standard_normal(c_og * groups).astype(dtype)
    return x, w, bias


def _place(x, w, places):
    for name, where, value in places:
        target = x if name == "x" else w
        target.flat[int(where * target.size)] = value


def assert_same_places(got, expected, tolerance=1e-12):
    """NaN, +inf and -inf at the same positions; finite values within ``tolerance`` of the largest."""
    for kind in (np.isnan, np.isposinf, np.isneginf):
        np.testing.assert_array_equal(kind(got), kind(expected), err_msg=kind.__name__)
    finite = np.isfinite(expected)
    scale = max(1.0, float(np.abs(expected[finite]).max(initial=0.0)))
    np.testing.assert_allclose(got[finite], expected[finite], rtol=0, atol=tolerance * scale)


def _torch(torch, nd, x, w, bias, s, p, op, groups, d):
    fn = getattr(torch.nn.functional, f"conv_transpose{nd}d")
    return fn(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(bias), s, p, op, groups, d).numpy()


# --- PyTorch as the oracle ------------------------------------------------------------------------

@FAST
@given(params=pytorch_cases(), seed=st.integers(0, 2**16), places=st.sampled_from(["x", "weight", "both"]).flatmap(
    specials))
def test_every_route_puts_nan_and_inf_where_pytorch_does(torch, params, seed, places):
    nd, i, k, s, p, op, d, groups, c_in, c_og, batch = params
    x, w, bias = _arrays(seed, i, k, c_in, c_og, groups, batch)
    _place(x, w, places)
    expected = _torch(torch, nd, x, w, bias, s, p, op, groups, d)
    for route in ALL_ROUTES:
        assert_same_places(numeric.conv_transpose(x, w, bias, s, p, op, groups, d, route=route), expected)


@FAST
@given(params=pytorch_cases(), seed=st.integers(0, 2**16), places=st.sampled_from(["x", "weight", "both"]).flatmap(
    specials))
def test_float32_routes_put_them_where_pytorch_float64_does(torch, params, seed, places):
    nd, i, k, s, p, op, d, groups, c_in, c_og, batch = params
    x, w, bias = _arrays(seed, i, k, c_in, c_og, groups, batch, np.float32)
    _place(x, w, places)
    expected = _torch(torch, nd, *(a.astype(np.float64) for a in (x, w, bias)), s, p, op, groups, d)
    for route in ALL_ROUTES:
        got = numeric.conv_transpose(x, w, bias, s, p, op, groups, d, route=route)
        assert got.dtype == np.float32
        assert_same_places(got.astype(np.float64), expected, 1e-5)


@pytest.mark.parametrize("route", ALL_ROUTES)
def test_the_reported_nan_weight(torch, route):
    """A NaN on the one tap a stride of 3 gives a phase of its own: zero insertion gave all NaN, phases one too many."""
    x, w = np.ones((1, 1, 3)), np.array([[[1.0, 1.0, 1.0, np.nan]]])
    expected = torch.nn.functional.conv_transpose1d(torch.from_numpy(x), torch.from_numpy(w), stride=3).numpy()
    assert np.isfinite(expected).sum() == 7
    assert_same_places(numeric.conv_transpose(x, w, stride=3, route=route), expected)


@pytest.mark.parametrize("route", ALL_ROUTES)
def test_zero_times_inf_is_nan_only_for_a_real_pair(torch, route):
    """x = 0 meets w = inf through a real pair (NaN), while padding and inserted zeros never do."""
    x = np.array([[[0.0, 1.0, 2.0]]])
    w = np.array([[[np.inf, 1.0]]])
    expected = torch.nn.functional.conv_transpose1d(torch.from_numpy(x), torch.from_numpy(w), stride=3).numpy()
    got = numeric.conv_transpose(x, w, stride=3, route=route)
    assert_same_places(got, expected)
    assert np.isnan(got[0, 0, 0]) and got[0, 0, 2] == got[0, 0, 5] == 0  # the inserted zeros' outputs


# --- without PyTorch: the matrix route, for any crop ---------------------------------------------------

@FAST
@given(layer=crop_layers(k=(1, 5)), groups=st.integers(1, 2), seed=st.integers(0, 2**16),
       places=st.sampled_from(["x", "weight", "both"]).flatmap(specials))
def test_every_route_puts_them_where_the_matrix_does(layer, groups, seed, places):
    """The matrix route multiplies C's non-zeros only: the definition, any crop (negative ones too)."""
    x, w, bias = _arrays(seed, layer.input_size, layer.kernel_size, 2 * groups, 2, groups, 2)
    _place(x, w, places)
    expected = numeric.apply(layer, x, w, bias, groups, "matrix")
    for route in ALL_ROUTES:
        assert_same_places(numeric.apply(layer, x, w, bias, groups, route), expected)


def _complex_rule(layer, x, w, groups):
    """Where a pair with a non-finite part reaches, from the operator's triples directly: PyTorch's complex rule."""
    n, c_in = x.shape[:2]
    c_ig, c_og = c_in // groups, w.shape[1]
    bad_x = ~np.isfinite(x).reshape(n, groups, c_ig, -1)
    bad_w = ~np.isfinite(w).reshape(groups, c_ig, c_og, -1)
    hit = np.zeros((n, groups, c_og, int(np.prod(layer.output_size))), bool)
    for row, col, tap in layer_taps(layer.axes):
        flat = np.ravel_multi_index(tap, layer.kernel_size)
        # any input channel with a non-finite x or weight, for each (sample, group, output channel)
        hit[..., col] |= (bad_x[..., row][..., None] | bad_w[..., flat][None]).any(axis=2)
    return hit.reshape(n, groups * c_og, *layer.output_size)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layer=crop_layers(max_ndim=2, k=(1, 4)), groups=st.integers(1, 2), seed=st.integers(0, 2**16),
       places=st.sampled_from(["x", "weight", "both"]).flatmap(specials), imaginary=st.booleans())
def test_complex_operands_give_nan_where_a_non_finite_part_reaches(layer, groups, seed, places, imaginary):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 2 * groups, *layer.input_size)) * (1 + 0.5j)
    w = rng.standard_normal((2 * groups, 2, *layer.kernel_size)) * (0.5 - 1j)
    for name, where, value in places:
        target = x if name == "x" else w
        part = target.imag if imaginary else target.real
        part.flat[int(where * target.size)] = value
    hit = _complex_rule(layer, x, w, groups)
    finite = numeric.apply(layer, np.where(np.isfinite(x), x, 0), np.where(np.isfinite(w), w, 0), None, groups,
                           "matrix")
    for route in ALL_ROUTES:
        got = numeric.apply(layer, x, w, None, groups, route)
        np.testing.assert_array_equal(np.isnan(got.real) & np.isnan(got.imag), hit, err_msg=route)
        assert np.isfinite(got[~hit]).all(), route
        np.testing.assert_allclose(got[~hit], finite[~hit], atol=1e-12 * max(1.0, np.abs(finite).max()))


def test_complex_rule_is_pytorchs(torch):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 2, 4, 3)) + 1j * rng.standard_normal((2, 2, 4, 3))
    w = rng.standard_normal((2, 3, 3, 2)) + 1j * rng.standard_normal((2, 3, 3, 2))
    x.real[0, 1, 2, 0], w.imag[1, 2, 0, 1] = np.inf, np.nan
    expected = torch.nn.functional.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(w), stride=(2, 1),
                                                     padding=(1, 0)).numpy()
    for route in ALL_ROUTES:
        got = numeric.conv_transpose(x, w, stride=(2, 1), padding=(1, 0), route=route)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(expected), err_msg=route)
        finite = np.isfinite(expected)
        np.testing.assert_allclose(got[finite], expected[finite], atol=1e-12)


# --- tconvcalc check --nonfinite ----------------------------------------------------------------------

def test_check_routes_with_nonfinite_trials_pass_and_count():
    layer = Layer.from_pytorch((5, 4), 3, 2, 1, 1)
    result = numeric.check_routes(layer, (2, 4), groups=2, batch=2, trials=2, nonfinite=True)
    assert result.passed
    assert [r.nonfinite_mismatches for r in result.routes] == [0, 0, 0]
    inserted = result.nonfinite.inserted
    assert inserted["x"] == inserted["weight"] == {"nan": 2, "posinf": 2, "neginf": 2, "zero": 2}
    reference = result.nonfinite.reference
    assert sum(reference.values()) == 2 * 2 * 4 * 10 * 8 and reference["nan"] > 0


def test_check_routes_fails_a_route_that_misplaces_nan(monkeypatch):
    """A route that leaks NaN into outputs no non-finite value reaches fails, by the count of those outputs."""
    broken = dict(run.ROUTE_FUNCTIONS)
    right = broken["matrix"]

    def leaky(layer, x, w, groups):
        y = right(layer, x, w, groups)
        if not np.isfinite(x).all():
            y[..., 0] = np.nan
        return y

    broken["matrix"] = leaky
    monkeypatch.setattr(run, "ROUTE_FUNCTIONS", broken)
    result = numeric.check_routes(Layer.from_pytorch(6, 3, 2), (1, 1), trials=2, nonfinite=True)
    matrix = next(r for r in result.routes if r.route == "matrix")
    assert not matrix.passed and matrix.nonfinite_mismatches > 0 and not result.passed
