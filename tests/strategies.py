"""Hypothesis strategies over the whole valid parameter space, shared by every test module.

Sizes are kept small so symbolic and numeric routes stay fast; every draw is a legal layer
(PyTorch's rules for ``pytorch_*``, any crop with ``o ≥ 1`` for ``crop_layers``).
"""

from __future__ import annotations

from hypothesis import strategies as st

from tconvcalc.model.spec import Axis, Layer, full_length, kernel_span


@st.composite
def pytorch_axis(draw, i=(1, 5), k=(1, 5), s=(1, 3), d=(1, 2), max_padding: int | None = None):
    """``(i, k, s, p, op, d)`` that PyTorch's ConvTranspose accepts."""
    i, k, s, d = (draw(st.integers(*bounds)) for bounds in (i, k, s, d))
    op = draw(st.integers(0, max(s, d) - 1))
    largest = max(0, (full_length(i, k, s, d) + op - 1) // 2)  # o = F - 2p + op ≥ 1
    p = draw(st.integers(0, largest if max_padding is None else min(largest, max_padding)))
    return i, k, s, p, op, d


@st.composite
def pytorch_parameters(draw, max_ndim: int = 3, **bounds):
    """Per-axis tuples ``(i, k, s, p, op, d)`` of a 1..max_ndim-D PyTorch layer."""
    ndim = draw(st.integers(1, max_ndim))
    return tuple(zip(*(draw(pytorch_axis(**bounds)) for _ in range(ndim))))


def pytorch_layers(max_ndim: int = 3, **bounds):
    """A :class:`Layer` built from PyTorch parameters."""
    return pytorch_parameters(max_ndim, **bounds).map(lambda params: Layer.from_pytorch(*params))


@st.composite
def crop_layers(draw, max_ndim: int = 3, i=(1, 5), k=(1, 5), s=(1, 4), d=(1, 3), margin: int = 3):
    """A :class:`Layer` with any canonical crop, negative ones (zeros appended) down to ``-margin``."""
    axes = []
    for _ in range(draw(st.integers(1, max_ndim))):
        i_, k_, s_, d_ = (draw(st.integers(*bounds)) for bounds in (i, k, s, d))
        full = full_length(i_, k_, s_, d_)
        b = draw(st.integers(-margin, full))  # b = full: the output lies wholly in appended zeros
        axes.append(Axis(i_, k_, s_, d_, b, draw(st.integers(-margin, full - 1 - b))))
    return Layer(tuple(axes))


@st.composite
def channels(draw, max_per_group: int = 2, max_groups: int = 2):
    """``(groups, in_channels, out_channels)`` with both counts divisible by ``groups``."""
    groups = draw(st.integers(1, max_groups))
    return (groups, groups * draw(st.integers(1, max_per_group)), groups * draw(st.integers(1, max_per_group)))


@st.composite
def conv_parameters(draw, max_ndim=3):
    """A direct convolution: ``(ndim, [n, k, s, p, d] per-axis tuples, in_channels, out_channels, groups)``."""
    ndim = draw(st.integers(1, max_ndim))
    small = 5 if ndim < 3 else 3
    axes = []
    for _ in range(ndim):
        k = draw(st.integers(1, 3))
        d = draw(st.integers(1, 2))
        s = draw(st.integers(1, 3))
        p = draw(st.integers(0, 2))
        shortest = max(1, kernel_span(k, d) - 2 * p)  # the padded input must hold the dilated kernel
        n = draw(st.integers(shortest, shortest + small))
        axes.append((n, k, s, p, d))
    groups = draw(st.sampled_from([1, 1, 2]))
    cin = groups * draw(st.integers(1, 2))
    cout = groups * draw(st.integers(1, 2))
    return ndim, [tuple(a[t] for a in axes) for t in range(5)], cin, cout, groups
