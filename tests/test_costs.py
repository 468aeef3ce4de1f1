"""Exact costs: the multiply-adds that land in the output, counted arithmetically, against brute force."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tconvcalc.operator import _floor_sum, axis_taps, landing_pairs
from tconvcalc.spec import Axis

from strategies import crop_layers


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
