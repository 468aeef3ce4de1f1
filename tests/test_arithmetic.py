"""Size arithmetic: properties over the whole valid space, conv_arithmetic's relationships, PyTorch."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import tconvcalc as tc
from tconvcalc.model.spec import Axis

sizes = st.integers(1, 40)
kernels = st.integers(1, 7)
strides = st.integers(1, 5)
paddings = st.integers(0, 6)
dilations = st.integers(1, 3)


def scatter_length(i, k, s, d):
    """Independent route: one past the last index n*s + a*d the full scatter writes."""
    return max(n * s + a * d for n in range(i) for a in range(k)) + 1


def conv_positions(n, k, s, p, d):
    """Independent route: count the kernel placements that fit in the padded input."""
    return sum(1 for start in range(0, n + 2 * p, s) if start + d * (k - 1) < n + 2 * p)


@given(sizes, kernels, strides, paddings, dilations)
def test_conv_size_counts_kernel_placements(n, k, s, p, d):
    assume(n + 2 * p >= d * (k - 1) + 1)
    assert tc.conv_output_size(n, k, s, p, d) == conv_positions(n, k, s, p, d)


@given(sizes, kernels, strides, paddings, dilations, st.data())
def test_tconv_size_is_the_cropped_scatter(i, k, s, p, d, data):
    op = data.draw(st.integers(0, max(s, d) - 1))
    expected = scatter_length(i, k, s, d) - 2 * p + op
    if expected >= 1:
        assert tc.conv_transpose_output_size(i, k, s, p, op, d) == expected
    else:
        with pytest.raises(tc.ParameterError):
            tc.conv_transpose_output_size(i, k, s, p, op, d)


@given(sizes, kernels, strides, paddings, dilations)
def test_tconv_of_conv_restores_the_size(n, k, s, p, d):
    assume(n + 2 * p >= d * (k - 1) + 1)
    o = tc.conv_output_size(n, k, s, p, d)
    op = tc.output_padding_for(n, o, k, s, p, d)
    assert 0 <= op < max(s, d)
    assert tc.conv_transpose_output_size(o, k, s, p, op, d) == n


@given(st.integers(1, 20), kernels, strides, paddings, dilations)
def test_conv_input_sizes_are_exactly_the_preimage(o, k, s, p, d):
    preimage = [n for n in range(1, (o + 1) * s + d * k + 1)
                if n + 2 * p >= d * (k - 1) + 1 and conv_positions(n, k, s, p, d) == o]
    if preimage:
        assert list(tc.conv_input_sizes(o, k, s, p, d)) == preimage
    else:
        with pytest.raises(tc.ParameterError):
            tc.conv_input_sizes(o, k, s, p, d)


@given(st.lists(st.tuples(sizes, kernels, strides, paddings), min_size=1, max_size=3))
def test_per_axis_tuples_are_axis_by_axis(axes):
    i, k, s, p = (tuple(col) for col in zip(*axes))
    assume(all(n + 2 * q >= kk for n, kk, q in zip(i, k, p)))
    assert tc.conv_output_size(i, k, s, p) == tuple(tc.conv_output_size(*a) for a in axes)


def test_large_sizes_stay_exact():
    i = 2**40
    assert tc.conv_transpose_output_size(i, 4, 2, 1) == 2 * i
    assert tc.conv_output_size(2 * i, 4, 2, 1) == i
    assert tc.conv_input_sizes(i, 4, 2, 1) == (2 * i, 2 * i + 1)


def test_crop_past_the_full_scatter_is_legal_when_output_padding_refills_it():
    # i=1, k=1, s=3: the scatter has 1 sample; p=1 crops it away, op=2 appends back.
    assert tc.conv_transpose_output_size(1, 1, 3, 1, 2) == 1
    assert (Axis.from_pytorch(1, 1, 3, 1, 2).b, Axis.from_pytorch(1, 1, 3, 1, 2).e) == (1, -1)


# --- Dumoulin & Visin, "A guide to convolution arithmetic", relationships 1-14 ---------

@given(sizes, kernels)
def test_relationship_1_no_padding_unit_stride(i, k):
    assume(i >= k)
    assert tc.conv_output_size(i, k) == (i - k) + 1


@given(sizes, kernels, paddings)
def test_relationship_2_padding_unit_stride(i, k, p):
    assume(i + 2 * p >= k)
    assert tc.conv_output_size(i, k, 1, p) == (i - k) + 2 * p + 1


@given(sizes, st.integers(0, 4))
def test_relationship_3_half_padding(i, n):
    k = 2 * n + 1
    assume(i + 2 * n >= k)
    assert tc.conv_output_size(i, k, 1, k // 2) == i


@given(sizes, kernels)
def test_relationship_4_full_padding(i, k):
    assert tc.conv_output_size(i, k, 1, k - 1) == i + (k - 1)


@given(sizes, kernels, strides)
def test_relationship_5_no_padding_strided(i, k, s):
    assume(i >= k)
    assert tc.conv_output_size(i, k, s) == (i - k) // s + 1


@given(sizes, kernels, strides, paddings)
def test_relationship_6_general(i, k, s, p):
    assume(i + 2 * p >= k)
    assert tc.conv_output_size(i, k, s, p) == (i + 2 * p - k) // s + 1


@given(sizes, kernels, strides)
def test_relationship_7_pooling(i, k, s):
    assume(i >= k)  # pooling is a convolution without padding
    assert tc.conv_output_size(i, k, s) == (i - k) // s + 1


def _transposed(i, k, s, p):
    """The transposed convolution of conv(i, k, s, p), with the output_padding restoring i."""
    i_prime = tc.conv_output_size(i, k, s, p)
    op = tc.output_padding_for(i, i_prime, k, s, p)
    return i_prime, tc.conv_transpose_output_size(i_prime, k, s, p, op)


@given(sizes, kernels)
def test_relationship_8_transpose_no_padding_unit_stride(i, k):
    assume(i >= k)
    i_prime, o_prime = _transposed(i, k, 1, 0)
    assert o_prime == i_prime + (k - 1)
    assert o_prime == tc.conv_output_size(i_prime, k, 1, k - 1)  # the equivalent conv: p' = k - 1


@given(sizes, kernels, paddings)
def test_relationship_9_transpose_padding_unit_stride(i, k, p):
    assume(i + 2 * p >= k and p <= k - 1)
    i_prime, o_prime = _transposed(i, k, 1, p)
    assert o_prime == i_prime + (k - 1) - 2 * p
    assert o_prime == tc.conv_output_size(i_prime, k, 1, k - p - 1)


@given(sizes, st.integers(0, 4))
def test_relationship_10_transpose_half_padding(i, n):
    k = 2 * n + 1
    i_prime, o_prime = _transposed(i, k, 1, n)
    assert o_prime == i_prime
    assert o_prime == tc.conv_output_size(i_prime, k, 1, n)


@given(sizes, kernels)
def test_relationship_11_transpose_full_padding(i, k):
    i_prime, o_prime = _transposed(i, k, 1, k - 1)
    assert o_prime == i_prime - (k - 1)
    assert o_prime == tc.conv_output_size(i_prime, k, 1, 0)


def _stretched(i_prime, s):
    """Length after inserting s - 1 zeros between input samples."""
    return i_prime + (s - 1) * (i_prime - 1)


@given(st.integers(0, 8), kernels, strides)
def test_relationship_12_transpose_no_padding_strided(m, k, s):
    i = k + m * s  # i - k is a multiple of s
    i_prime, o_prime = _transposed(i, k, s, 0)
    assert o_prime == s * (i_prime - 1) + k
    assert o_prime == tc.conv_output_size(_stretched(i_prime, s), k, 1, k - 1)


@given(st.integers(0, 8), kernels, strides, paddings)
def test_relationship_13_transpose_padding_strided(m, k, s, p):
    i = k - 2 * p + m * s  # i + 2p - k is a multiple of s
    assume(i >= 1 and p <= k - 1)
    i_prime, o_prime = _transposed(i, k, s, p)
    assert o_prime == s * (i_prime - 1) + k - 2 * p
    assert o_prime == tc.conv_output_size(_stretched(i_prime, s), k, 1, k - p - 1)


@given(sizes, kernels, strides, paddings)
def test_relationship_14_transpose_general(i, k, s, p):
    assume(i + 2 * p >= k and p <= k - 1)
    a = (i + 2 * p - k) % s
    i_prime, o_prime = _transposed(i, k, s, p)
    assert o_prime == s * (i_prime - 1) + a + k - 2 * p
    # The equivalent conv sees a extra zeros on one edge (top and right in the paper).
    assert o_prime == tc.conv_output_size(_stretched(i_prime, s) + a, k, 1, k - p - 1)


# --- PyTorch as the oracle ---------------------------------------------------------------

def outcome(call, *refusals):
    """What ``call()`` returns, or None when it refuses with one of ``refusals``: a size or a rejection."""
    try:
        return call()
    except refusals:
        return None


@given(st.integers(1, 3), st.data())
def test_pytorch_agrees_on_every_shape_and_every_rejection(torch, ndim, data):
    axes = [data.draw(st.tuples(st.integers(1, 6), st.integers(1, 4), st.integers(1, 4), st.integers(0, 4),
                                st.integers(0, 4), st.integers(1, 3))) for _ in range(ndim)]
    i, k, s, p, op, d = (tuple(col) for col in zip(*axes))
    fn = getattr(torch.nn.functional, f"conv_transpose{ndim}d")
    x = torch.zeros((1, 1, *i))
    w = torch.zeros((1, 1, *k))
    theirs = outcome(lambda: tuple(fn(x, w, stride=s, padding=p, output_padding=op, dilation=d).shape[2:]),
                     RuntimeError)
    if theirs is not None and 0 in theirs:
        # PyTorch's 2-D/3-D CPU kernels return an empty axis where 1-D raises "output size is too
        # small"; an empty output is no layer, and we reject it on every axis count (output ≥ 1).
        theirs = None
    assert outcome(lambda: tc.conv_transpose_output_size(i, k, s, p, op, d), tc.ParameterError) == theirs


@given(st.integers(1, 3), st.data())
def test_pytorch_conv_agrees_on_every_shape_and_every_rejection(torch, ndim, data):
    axes = [data.draw(st.tuples(st.integers(1, 8), st.integers(1, 5), st.integers(1, 4), st.integers(0, 3),
                                st.integers(1, 3))) for _ in range(ndim)]
    n, k, s, p, d = (tuple(col) for col in zip(*axes))
    fn = getattr(torch.nn.functional, f"conv{ndim}d")
    theirs = outcome(lambda: tuple(fn(torch.zeros((1, 1, *n)), torch.zeros((1, 1, *k)), stride=s, padding=p,
                                      dilation=d).shape[2:]), RuntimeError)
    assert outcome(lambda: tc.conv_output_size(n, k, s, p, d), tc.ParameterError) == theirs


@given(st.integers(1, 6), st.integers(1, 4), st.integers(1, 4), st.integers(0, 3), st.integers(1, 3),
       st.integers(1, 30))
def test_output_padding_for_agrees_with_pytorch_forward_output_size(torch, i, k, s, p, d, target):
    # The default rule is exactly forward(output_size=...): same sizes accepted, same op chosen.
    layer = torch.nn.ConvTranspose1d(1, 1, k, stride=s, padding=p, dilation=d, bias=False)
    theirs = outcome(lambda: tuple(layer(torch.zeros(1, 1, i), output_size=[target]).shape[2:]),
                     ValueError, RuntimeError)
    op = outcome(lambda: tc.output_padding_for(target, i, k, s, p, d), tc.ParameterError)
    ours = None if op is None else tuple(torch.nn.ConvTranspose1d(
        1, 1, k, stride=s, padding=p, dilation=d, output_padding=op)(torch.zeros(1, 1, i)).shape[2:])
    assert ours == theirs


@given(st.integers(1, 6), st.integers(1, 4), st.integers(1, 3), st.integers(0, 3), st.integers(2, 5),
       st.integers(1, 30))
def test_forward_rule_returns_only_output_padding_below_stride(i, k, s, p, d, target):
    """Without PyTorch: whatever the constructor rule finds, the default rule returns it only when op < s
    and otherwise names it; the scatter's own size (the model) confirms the size it gives."""
    try:
        op = tc.output_padding_for(target, i, k, s, p, d, rule="constructor")
    except tc.ParameterError:
        return
    assert tc.Layer.from_pytorch(i, k, s, p, op, d).output_size == (target,)
    if op < s:
        assert tc.output_padding_for(target, i, k, s, p, d) == op
    else:
        with pytest.raises(tc.ParameterError, match=f"output_padding={op} gives it"):
            tc.output_padding_for(target, i, k, s, p, d)


@given(st.integers(1, 6), st.integers(1, 4), st.integers(1, 3), st.integers(0, 3), st.integers(2, 5),
       st.integers(1, 30))
def test_a_size_only_the_constructor_reaches_is_named_not_returned(torch, i, k, s, p, d, target):
    try:
        op = tc.output_padding_for(target, i, k, s, p, d, rule="constructor")
    except tc.ParameterError:
        return
    layer = torch.nn.ConvTranspose1d(1, 1, k, stride=s, padding=p, dilation=d, output_padding=op)
    assert layer(torch.zeros(1, 1, i)).shape[2] == target  # the constructor really gives it
    if op < s:
        assert tc.output_padding_for(target, i, k, s, p, d) == op
    else:  # forward(output_size=...) refuses it; ours says which output_padding the constructor needs
        with pytest.raises(tc.ParameterError, match=f"output_padding={op} gives it"):
            tc.output_padding_for(target, i, k, s, p, d)


# --- bad input: one sentence, a ValueError ----------------------------------------------

@pytest.mark.parametrize("call, words", [
    (lambda: tc.conv_transpose_output_size(2, 3, 2, 0, 2), ["output_padding=2", "max(stride=2, dilation=1)", "0 or 1"]),
    (lambda: tc.conv_transpose_output_size(0, 3), ["input_size=0", "≥ 1"]),
    (lambda: tc.conv_transpose_output_size(2, 3, 1, -1), ["padding=-1", "≥ 0"]),
    (lambda: tc.conv_transpose_output_size(2.5, 3), ["2.5", "integer"]),
    (lambda: tc.conv_transpose_output_size((2, 2), (3, 3, 3)), ["input_size has 2 axes", "kernel_size has 3"]),
    (lambda: tc.conv_transpose_output_size(1, 1, 1, 1), ["padding=1", "≥ 1", "padding ≤ 0"]),
    (lambda: tc.conv_output_size(2, 5), ["input_size=2", "d*(k-1)+1=5", "padding ≥ 2"]),
    (lambda: tc.output_padding_for(9, 2, 3, 2), ["9 is not reachable", "5 or 6"]),
    (lambda: tc.conv_transpose_output_size((), 3), ["empty"]),
])
def test_bad_input_is_one_clear_sentence(call, words):
    with pytest.raises(ValueError) as info:
        call()
    assert isinstance(info.value, tc.ParameterError)
    message = str(info.value)
    assert "\n" not in message
    for word in words:
        assert word in message


def test_per_axis_values_broadcast_as_pytorch_does(torch):
    x, w = torch.zeros(1, 1, 4, 5), torch.zeros(1, 1, 3, 3)
    theirs = tuple(torch.nn.functional.conv_transpose2d(x, w, stride=[2], padding=[1], dilation=[2]).shape[2:])
    assert tc.conv_transpose_output_size((4, 5), 3, s=[2], p=[1], d=[2]) == theirs


def test_numpy_integers_and_one_element_lists_are_per_axis_values_like_any_other():
    import numpy as np

    plain = tc.conv_transpose_output_size((4, 5), (3, 3), (2, 2), (1, 1), 0, (2, 2))
    assert tc.conv_transpose_output_size((4, 5), 3, s=[2], p=[1], d=[2]) == plain
    assert tc.conv_transpose_output_size(np.array([4, 5]), np.int64(3), s=np.int32(2), p=[np.int8(1)], d=2) == plain
    assert tc.conv_transpose_output_size(np.int64(4), 3, 2, 1, 0, 2) == plain[0]
    with pytest.raises(tc.ParameterError, match="input_size has 2 axes but stride has 3"):
        tc.conv_transpose_output_size((4, 5), 3, s=[2, 2, 2])
    with pytest.raises(tc.ParameterError, match="is not an integer"):
        tc.conv_transpose_output_size(np.bool_(True), 3)
