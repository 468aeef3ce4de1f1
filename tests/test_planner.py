"""The planner finds every layer in the bounds, each really maps in -> out, best first."""

from __future__ import annotations

from itertools import product

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tconvcalc as tc
from tconvcalc.planner import rank_key


def brute_force(i, target, kernels, strides, max_p, dilations):
    """Every (k, s, p, op, d) PyTorch accepts whose size is the target, by trying them all."""
    found = set()
    for k, s, p, d in product(kernels, strides, range(max_p + 1), dilations):
        for op in range(max(s, d)):
            try:
                if tc.conv_transpose_output_size(i, k, s, p, op, d) == target:
                    found.add((k, s, p, op, d))
            except tc.ParameterError:
                pass
    return found


def as_tuple(axis):
    p, op = axis.pytorch
    return axis.k, axis.s, p, op, axis.d


@given(st.integers(1, 12), st.integers(1, 40), st.integers(1, 4), st.integers(1, 3))
def test_every_layer_in_the_bounds_is_found_once_and_maps_in_to_out(i, target, max_p, max_d):
    kernels, strides, dilations = range(1, 6), range(1, 5), range(1, max_d + 1)
    result = tc.plan(i, target, kernels, strides, max_p, dilations, limit=10_000)
    found = [as_tuple(layer.axes[0]) for layer in result.candidates]
    assert len(found) == len(set(found)) == result.total
    assert set(found) == brute_force(i, target, kernels, strides, max_p, dilations)
    for k, s, p, op, d in found:
        assert tc.conv_transpose_output_size(i, k, s, p, op, d) == target


@given(st.tuples(st.integers(1, 9), st.integers(1, 9)), st.tuples(st.integers(2, 30), st.integers(2, 30)))
def test_per_axis_plans_are_ranked_and_correct(inputs, targets):
    result = tc.plan(inputs, targets, range(1, 5), range(1, 4), 3, limit=25)
    keys = [tuple(map(sum, zip(*(rank_key(a) for a in layer.axes)))) for layer in result.candidates]
    assert keys == sorted(keys)
    for layer in result.candidates:
        args = [as_tuple(a) for a in layer.axes]
        k, s, p, op, d = (tuple(col) for col in zip(*args))
        assert tc.conv_transpose_output_size(inputs, k, s, p, op, d) == targets
    per_axis = [tc.plan(n, t, range(1, 5), range(1, 4), 3, limit=1).total for n, t in zip(inputs, targets)]
    if inputs[0] == inputs[1] and targets[0] == targets[1]:
        assert result.total == per_axis[0]  # the same request on both axes gives a square layer
    else:
        assert result.total == per_axis[0] * per_axis[1]


def test_16_to_32_prefers_uniform_overlap_then_no_output_padding():
    best = tc.plan(16, 32, limit=100).candidates
    first = best[0].axes[0]
    assert (first.k, first.s, first.pytorch) == (2, 2, (0, 0))
    flags = [(not l.axes[0].uniform_overlap, l.axes[0].pytorch[1] != 0) for l in best]
    assert flags == sorted(flags)  # all uniform before any checkerboard; op=0 first within each


def test_no_checkerboard_keeps_only_uniform_layers():
    result = tc.plan(16, 33, uniform_only=True, limit=1000)
    assert result.candidates and all(l.axes[0].uniform_overlap for l in result.candidates)


def test_three_axis_search_with_dilation_is_complete_in_count():
    result = tc.plan((7, 9, 5), (28, 36, 20), range(1, 9), range(1, 9), 8, range(1, 4), limit=5)
    singles = [tc.plan(i, o, range(1, 9), range(1, 9), 8, range(1, 4), limit=1).total
               for i, o in ((7, 28), (9, 36), (5, 20))]
    assert result.total == singles[0] * singles[1] * singles[2]


def test_planner_rejects_bad_bounds_in_one_sentence():
    with pytest.raises(tc.ParameterError, match="kernel_size range is empty"):
        tc.plan(16, 32, kernel_sizes=[])
    with pytest.raises(tc.ParameterError, match="output_size=0"):
        tc.plan(16, 0)
