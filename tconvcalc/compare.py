"""Ways to upsample by an integer factor, side by side: size, cost and overlap.

The transposed convolutions are analysed with ``overlap``; resize-then-convolve
and sub-pixel convolution (pixel shuffle) are executed on all-ones inputs with
the NumPy backend, so every "uniform" is a measured fact, not a claim.
"""

from __future__ import annotations

import numpy as np

from . import overlap
from .arithmetic import conv_flops, conv_params, conv_transpose_flops
from .numeric import conv
from .spec import Layer

SMOOTHING_KERNEL = 3  # the 3x3 convolution after resizing, or before pixel shuffle


def _ones_conv_counts(size: tuple[int, ...]) -> np.ndarray:
    """Contributions per output of a k=3, p=1 convolution of an all-ones map."""
    ones_kernel = np.ones((1, 1, *(SMOOTHING_KERNEL,) * len(size)))
    return np.rint(conv(np.ones((1, 1, *size)), ones_kernel, padding=SMOOTHING_KERNEL // 2)[0, 0]).astype(int)


def _interior_values(grid: np.ndarray, margin: int) -> list[int]:
    window = tuple(slice(margin, max(margin, n - margin)) for n in grid.shape)
    return np.unique(grid[window]).tolist()


def _transposed(name: str, layer: Layer, channels: int) -> dict:
    report = overlap.report([layer])
    k, s = layer.axes[0].k, layer.axes[0].s
    p, op = layer.axes[0].pytorch
    return {
        "method": name, "code": f"tconv k{k} s{s} p{p}" + (f" op{op}" if op else ""),
        "parameters": {"kernel_size": k, "stride": s, "padding": p, "output_padding": op},
        "output_size": list(layer.output_size),
        "flops": conv_transpose_flops(layer.input_size, layer.kernel_size, channels, channels),
        "params": conv_params(layer.kernel_size, channels, channels),
        "uniform": report["uniform"], "interior_values": report["interior_values"],
    }


def compare_methods(input_size: tuple[int, ...], scale: int, channels: int) -> list[dict]:
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
    methods.append({
        "method": "resize + conv", "code": f"nearest ×{s}, conv k3 p1",
        "output_size": list(big),
        "flops": conv_flops(big, smooth, channels, channels),
        "params": conv_params(smooth, channels, channels),
        "interior_values": _interior_values(counts, 1),
    })
    # Pixel shuffle moves channel (r1, r2, ...) of input position n to output n*s + r: every
    # phase copies the same count map, so the output is that map repeated s times per axis.
    counts = _ones_conv_counts(tuple(input_size))
    for axis in range(ndim):
        counts = np.repeat(counts, s, axis=axis)
    methods.append({
        "method": "sub-pixel conv", "code": f"conv k3 p1 to C·{s ** ndim}, PixelShuffle({s})",
        "output_size": list(counts.shape),
        "flops": conv_flops(input_size, smooth, channels, channels * s**ndim),
        "params": conv_params(smooth, channels, channels * s**ndim),
        "interior_values": _interior_values(counts, s),
    })
    for row in methods[3:]:
        row["uniform"] = len(row["interior_values"]) <= 1
    return methods
