"""Ways to upsample by an integer factor, side by side: size, cost and overlap.

The transposed convolutions are analysed with ``overlap``; resize-then-convolve
and sub-pixel convolution (pixel shuffle) are executed on all-ones inputs with
the NumPy backend, so every "uniform" is a measured fact, not a claim.

>>> [(m.method, m.uniform_overlap) for m in compare_methods((16,), 2, 8)][:3]
[('transposed conv, k = s', True), ('transposed conv, k = 2s', True), ('transposed conv, k = s+1', False)]
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import overlap
from ..model.arithmetic import conv_cost, conv_flops, conv_params, conv_transpose_cost, conv_transpose_flops
from ..numeric import conv
from ..records import json_keys
from ..model.spec import Layer, ParameterError, channel_counts

SMOOTHING_KERNEL = 3  # the 3x3 convolution after resizing, or before pixel shuffle

@json_keys(optional="forms")
class Method(NamedTuple):
    """One way to upsample: what it runs, its size, cost and overlap; ``parameters`` (k, s, p, op) for the transposed
    convolutions, None for the other two; ``macs`` the multiply-adds that reach the output, and for a transposed
    convolution what each of its ``forms`` costs."""

    method: str
    code: str
    parameters: dict[str, int] | None
    output_size: tuple[int, ...]
    flops: int
    macs: int
    forms: Forms | None
    params: int
    uniform_overlap: bool
    interior_values: list[int]


class Forms(NamedTuple):
    """A transposed convolution's multiply-adds as each form computes it
    (:func:`~tconvcalc.model.arithmetic.conv_transpose_cost`): the direct scatter (every input-tap pair, cropped ones
    too), zero insertion then a stride-1 convolution, the sub-pixel convolution, the dense matrix Cᵀx."""

    scatter: int
    zero_insertion: int
    subpixel: int
    matrix: int


def _smoothing_counts(length: int) -> np.ndarray:
    """Contributions per output of a k=3, p=1 convolution of an all-ones signal (one axis; executed)."""
    ones_kernel = np.ones((1, 1, SMOOTHING_KERNEL))
    return np.rint(conv(np.ones((1, 1, length)), ones_kernel, padding=SMOOTHING_KERNEL // 2)[0, 0]).astype(np.int64)


def _measured(name: str, code: str, per_axis: list[np.ndarray], flops: int, macs: int, params: int,
              margin: int) -> Method:
    """A method whose counts are separable: the interior's values are products of each axis's."""
    windows = [slice(margin, max(margin, len(c) - margin)) for c in per_axis]
    values = overlap.interior_values(per_axis, windows)
    return Method(name, code, None, tuple(len(c) for c in per_axis), flops, macs, None, params, len(values) <= 1,
                  values)


def _smoothing_macs(size: tuple[int, ...], c_in: int, c_out: int) -> int:
    """The k=3, p=1 convolution's multiply-adds with real samples (its padding's zeros not counted)."""
    ones = (1,) * len(size)
    return conv_cost(size, size, (SMOOTHING_KERNEL,) * len(size), ones, ones, ones, c_in, c_out).macs


def _transposed(name: str, layer: Layer, c_in: int, c_out: int) -> Method:
    analysis = overlap.analyse([layer], with_grid=False)
    k, s = layer.axes[0].k, layer.axes[0].s
    p, op = layer.axes[0].pytorch
    cost = conv_transpose_cost(layer, c_in, c_out)
    return Method(name, f"tconv k{k} s{s} p{p}" + (f" op{op}" if op else ""),
                  {"kernel_size": k, "stride": s, "padding": p, "output_padding": op}, layer.output_size,
                  conv_transpose_flops(layer.input_size, layer.kernel_size, c_in, c_out), cost.macs,
                  Forms(cost.macs_dense, cost.zero_insertion, cost.subpixel, cost.matrix), cost.params,
                  analysis.uniform_overlap, analysis.interior_values)


def compare_methods(input_size: tuple[int, ...], scale: int, channels=64) -> list[Method]:
    """Every method's output size, FLOPs (PyTorch's formula), parameters and overlap; ``channels`` is
    ``(in, out)`` or one count for both.  Counted per axis, so the work grows with the sides, not the area."""
    c_in, c_out = channel_counts(channels, 2, "an upsampling layer (in, out)")
    ndim, s = len(input_size), scale
    if max(input_size) * s > overlap.MAX_AXIS:
        raise ParameterError(f"upsampling {max(input_size)} by scale={s} gives {max(input_size) * s} outputs per "
                             f"axis, more than the {overlap.MAX_AXIS} compare counts; use a smaller input or scale")
    smooth = (SMOOTHING_KERNEL,) * ndim
    big = tuple(n * s for n in input_size)
    half, odd = divmod(s, 2)
    methods = [
        _transposed("transposed conv, k = s", Layer.from_pytorch(input_size, s, s, 0, 0), c_in, c_out),
        # 2s - 2p + op = s: p = s/2 for even s, (s+1)/2 with op = 1 for odd s.
        _transposed("transposed conv, k = 2s", Layer.from_pytorch(input_size, 2 * s, s, half + odd, odd), c_in,
                    c_out),
        # (s+1) - 2p + op = s: p = op = 1, the common "3x3, stride 2" layer.
        _transposed("transposed conv, k = s+1", Layer.from_pytorch(input_size, s + 1, s, 1, 1), c_in, c_out),
        _measured("resize + conv", f"nearest ×{s}, conv k3 p1", [_smoothing_counts(n) for n in big],
                  conv_flops(big, smooth, c_in, c_out), _smoothing_macs(big, c_in, c_out),
                  conv_params(smooth, c_in, c_out), 1),
        # Pixel shuffle moves channel (r1, r2, ...) of input position n to output n*s + r: every
        # phase copies the same count map, so each axis's counts are repeated s times.
        _measured("sub-pixel conv", f"conv k3 p1 to C·{s ** ndim}, PixelShuffle({s})",
                  [np.repeat(_smoothing_counts(n), s) for n in input_size],
                  conv_flops(input_size, smooth, c_in, c_out * s**ndim),
                  _smoothing_macs(input_size, c_in, c_out * s**ndim), conv_params(smooth, c_in, c_out * s**ndim), s),
    ]
    return methods
