"""Ways to upsample by an integer factor, side by side: size, cost and overlap.

The transposed convolutions are analysed with ``overlap``; resize-then-convolve
and sub-pixel convolution (pixel shuffle) are executed on all-ones inputs with
the NumPy backend, so every "uniform" is a measured fact, not a claim.

>>> [(m.method, m.uniform) for m in compare_methods((16,), 2, 8)][:3]
[('transposed conv, k = s', True), ('transposed conv, k = 2s', True), ('transposed conv, k = s+1', False)]
"""

from __future__ import annotations

import numpy as np

from . import overlap
from .arithmetic import conv_flops, conv_params, conv_transpose_flops
from .numeric import conv
from .records import record
from .spec import Layer

SMOOTHING_KERNEL = 3  # the 3x3 convolution after resizing, or before pixel shuffle


def _ones_conv_counts(size: tuple[int, ...]) -> np.ndarray:
    """Contributions per output of a k=3, p=1 convolution of an all-ones map."""
    ones_kernel = np.ones((1, 1, *(SMOOTHING_KERNEL,) * len(size)))
    return np.rint(conv(np.ones((1, 1, *size)), ones_kernel, padding=SMOOTHING_KERNEL // 2)[0, 0]).astype(int)


def _interior_values(grid: np.ndarray, margin: int) -> list[int]:
    window = tuple(slice(margin, max(margin, n - margin)) for n in grid.shape)
    return np.unique(grid[window]).tolist()


def _measured(name: str, code: str, counts: np.ndarray, flops: int, params: int, margin: int) -> Method:
    values = _interior_values(counts, margin)
    return Method(name, code, None, counts.shape, flops, params, len(values) <= 1, values)


Method = record("Method", "method code parameters output_size flops params uniform interior_values",
                doc="One way to upsample: what it runs, its size, cost and overlap; ``parameters`` (k, s, p, op) "
                    "for the transposed convolutions, None for the other two.")


def _transposed(name: str, layer: Layer, channels: int) -> Method:
    analysis = overlap.analyse([layer])
    k, s = layer.axes[0].k, layer.axes[0].s
    p, op = layer.axes[0].pytorch
    return Method(name, f"tconv k{k} s{s} p{p}" + (f" op{op}" if op else ""),
                  {"kernel_size": k, "stride": s, "padding": p, "output_padding": op}, layer.output_size,
                  conv_transpose_flops(layer.input_size, layer.kernel_size, channels, channels),
                  conv_params(layer.kernel_size, channels, channels), analysis.uniform, analysis.interior_values)


def compare_methods(input_size: tuple[int, ...], scale: int, channels: int) -> list[Method]:
    """Every method's output size, FLOPs (PyTorch's formula), parameters and overlap."""
    ndim, s = len(input_size), scale
    smooth = (SMOOTHING_KERNEL,) * ndim
    big = tuple(n * s for n in input_size)
    half, odd = divmod(s, 2)
    methods = [
        _transposed("transposed conv, k = s", Layer.from_pytorch(input_size, s, s, 0, 0), channels),
        # 2s - 2p + op = s: p = s/2 for even s, (s+1)/2 with op = 1 for odd s.
        _transposed("transposed conv, k = 2s", Layer.from_pytorch(input_size, 2 * s, s, half + odd, odd), channels),
        # (s+1) - 2p + op = s: p = op = 1, the common "3x3, stride 2" layer.
        _transposed("transposed conv, k = s+1", Layer.from_pytorch(input_size, s + 1, s, 1, 1), channels),
    ]
    counts = _ones_conv_counts(big)
    methods.append(_measured("resize + conv", f"nearest ×{s}, conv k3 p1", counts,
                             conv_flops(big, smooth, channels, channels), conv_params(smooth, channels, channels), 1))
    # Pixel shuffle moves channel (r1, r2, ...) of input position n to output n*s + r: every
    # phase copies the same count map, so the output is that map repeated s times per axis.
    counts = _ones_conv_counts(tuple(input_size))
    for axis in range(ndim):
        counts = np.repeat(counts, s, axis=axis)
    methods.append(_measured("sub-pixel conv", f"conv k3 p1 to C·{s ** ndim}, PixelShuffle({s})", counts,
                             conv_flops(input_size, smooth, channels, channels * s**ndim),
                             conv_params(smooth, channels, channels * s**ndim), s))
    return methods
