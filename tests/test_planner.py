"""The planner finds every layer in the bounds, each really maps in -> out, best first."""

from __future__ import annotations

from itertools import product

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tconvcalc as tc
from tconvcalc.design.planner import MAX_LIMIT, rank_key


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
    # every one: these bounds never give more
    result = tc.plan(i, target, kernels, strides, max_p, dilations, limit=MAX_LIMIT)
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
    flags = [(not layer.axes[0].uniform_overlap, layer.axes[0].pytorch[1] != 0) for layer in best]
    assert flags == sorted(flags)  # all uniform before any checkerboard; op=0 first within each


def test_no_checkerboard_keeps_only_uniform_layers():
    result = tc.plan(16, 33, uniform_only=True, limit=1000)
    assert result.candidates and all(layer.axes[0].uniform_overlap for layer in result.candidates)


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


def brute_force_total(i, target, kernels, strides, max_p, dilations):
    return len(brute_force(i, target, kernels, strides, max_p, dilations))


@pytest.mark.parametrize("request_, kernels, huge", [((1, 9), range(1, 5), "strides"), ((5, 9), [1], "dilations")])
def test_huge_ranges_are_counted_not_listed(request_, kernels, huge):
    """On one input sample the stride, and for a one-tap kernel the dilation, stop mattering past the useful
    range: each further value adds the same number of layers. Brute force on small ranges gives that number;
    the planner's count over 10**8 values must be the same straight line."""
    i, target = request_

    def total(n, count):
        strides, dilations = (range(1, n), [1, 2]) if huge == "strides" else ([1, 2], range(1, n))
        return count(i, target, kernels, strides, 2, dilations)

    small = [total(n, brute_force_total) for n in (40, 60, 80)]
    assert small[2] - small[1] == small[1] - small[0]  # linear past the useful range
    per_value = (small[1] - small[0]) // 20
    planned = total(10**8, lambda *args: tc.plan(*args).total)
    assert planned == small[2] + per_value * (10**8 - 80)


@pytest.mark.parametrize("text, words", [("1-", "no upper end"), ("5-2", "runs backwards"), ("0-3", "≥ 1"),
                                         ("a-b", "is not a range"), ("", "is not a range")])
def test_ranges_are_parsed_or_refused_in_one_sentence(text, words):
    with pytest.raises(tc.ParameterError, match=words):
        tc.planner.IntSet.parse("stride", text)


def test_a_search_too_large_to_run_is_refused_with_its_size():
    with pytest.raises(tc.ParameterError, match="would try up to 1000000000000"):
        tc.plan(2, 10**6, kernel_sizes=range(1, 10**6 + 1), strides=range(1, 10**6 + 1))
