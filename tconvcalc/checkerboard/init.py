"""Initial weights free of checkerboard (``tc.init``): the zero-order hold and ICNR.

- :func:`zero_order_hold`: a transposed convolution's kernel as a random kernel of ``k - s + 1`` taps per axis
  convolved with the ``s``-box (Sugawara et al.): every phase then sums to the random kernel's sum, so a constant
  input gives a constant output.  Needs ``k ≥ s``, and a dilation coprime to the stride.
- :func:`icnr`: a sub-pixel convolution's weight with one random sub-kernel per output channel, copied to each of
  its phases (Aitken et al. 2017, fastai's ``PixelShuffle_ICNR``).

Both return NumPy arrays in PyTorch's layout (or Keras's, ``layout="keras"``); :func:`zero_order_hold_` and
:func:`icnr_` fill a PyTorch module in place.  The standard deviation is He's for the layer's fan-in unless given:
``√(2 / fan_in)``, the fan-in being what one output sums: ``C_in/g · Πk / Πs`` inputs for a transposed layer,
``C_in/g · Πk`` for the sub-pixel convolution.

>>> from tconvcalc.checkerboard import LayerWeights, analyse
>>> w = zero_order_hold(4, 4, (4, 4), (2, 2), seed=0)
>>> w.shape, analyse(LayerWeights("up", "transposed", w, None, (2, 2), (1, 1), 1)).checkerboard
((4, 4, 4, 4), False)
"""

from __future__ import annotations

from math import gcd, prod, sqrt

import numpy as np

from ..errors import ParameterError
from ..model.spec import broadcast, check_at_least, check_groups

LAYOUTS = ("pytorch", "keras")


def _per_axis(kernel_size, stride, dilation=1) -> tuple[tuple, tuple, tuple]:
    """Per axis: as many axes as the kernel's (or the stride's) sequence has; ints alone make a 2-D layer."""
    ndim = next((len(v) for v in (kernel_size, stride) if isinstance(v, (tuple, list))), 2)
    ndim, values = broadcast(ndim, kernel_size=kernel_size, stride=stride, dilation=dilation)
    return values["kernel_size"], values["stride"], values["dilation"]


def _layout(layout: str) -> str:
    if layout not in LAYOUTS:
        raise ParameterError(f"layout={layout!r} is not a weight layout, the layouts are {', '.join(LAYOUTS)}; give "
                             f"one")
    return layout


def zero_order_hold(in_channels: int, out_channels: int, kernel_size, stride, groups: int = 1, dilation=1,
                    std: float | None = None, seed=None, layout: str = "pytorch") -> np.ndarray:
    """A checkerboard-free transposed convolution weight ``(C_in, C_out/g, *k)`` (Keras: ``(*k, C_out, C_in)``):
    a random kernel of ``k - s + 1`` taps per axis convolved with ``s`` ones, scaled so that its entries'
    variance is ``std²`` on average."""
    kernel, strides, dilations = _per_axis(kernel_size, stride, dilation)
    groups = check_groups(groups, in_channels, out_channels)
    for k, s, d in zip(kernel, strides, dilations):
        check_at_least("kernel_size", k, 1)
        if k < s:
            raise ParameterError(f"kernel_size {k} is smaller than stride {s}, and the zero-order hold needs k ≥ s "
                                 f"(some phases get no tap whatever the weights); use kernel_size {s} or more")
        if gcd(d, s) > 1:
            raise ParameterError(f"dilation {d} shares a factor with stride {s}, so some phases get no tap whatever "
                                 f"the weights; use a dilation coprime to the stride")
    layout = _layout(layout)
    rng = np.random.default_rng(seed)
    fan_in = in_channels // groups * prod(kernel) / prod(strides)
    std = sqrt(2.0 / fan_in) if std is None else std
    short = tuple(k - s + 1 for k, s in zip(kernel, strides))
    # tap a of the held kernel sums up to s random taps: on average short·s/k of them, per axis
    spread = prod(m * s / k for m, s, k in zip(short, strides, kernel))
    weight = rng.normal(0.0, std / sqrt(spread), size=(in_channels, out_channels // groups, *short))
    for axis, s in enumerate(strides):  # convolve with the s-box: s shifted copies, summed
        spatial = 2 + axis
        pads = [(0, 0)] * weight.ndim
        pads[spatial] = (0, s - 1)
        padded = np.pad(weight, pads)
        weight = sum((np.roll(padded, shift, axis=spatial) for shift in range(s)), np.zeros_like(padded))
    return weight if layout == "pytorch" else np.ascontiguousarray(np.moveaxis(weight, (0, 1), (-1, -2)))


def icnr(in_channels: int, out_channels: int, kernel_size, scale, groups: int = 1, std: float | None = None,
         seed=None, layout: str = "pytorch") -> np.ndarray:
    """A checkerboard-free sub-pixel convolution weight: ``(C_out·Πs, C_in/g, *k)`` for PixelShuffle (CRD order:
    output channel ``c``'s phases are channels ``c·Πs … c·Πs + Πs - 1``), or Keras's ``(*k, C_in/g, C_out·Πs)`` for
    ``depth_to_space`` (DCR order: phase ``r``'s channels are ``r·C_out … r·C_out + C_out - 1``)."""
    kernel, scales, _ = _per_axis(kernel_size, scale)
    groups = check_groups(groups, in_channels, out_channels)
    layout = _layout(layout)
    rng = np.random.default_rng(seed)
    fan_in = in_channels // groups * prod(kernel)
    std = sqrt(2.0 / fan_in) if std is None else std
    block = prod(scales)
    sub = rng.normal(0.0, std, size=(out_channels, in_channels // groups, *kernel))
    if layout == "pytorch":
        return np.repeat(sub, block, axis=0)
    weight = np.tile(sub, (block,) + (1,) * (sub.ndim - 1))  # DCR: the block slowest
    return np.ascontiguousarray(np.moveaxis(weight, (0, 1), (-1, -2)))


def zero_order_hold_(module, std: float | None = None, seed=None):
    """Fill an ``nn.ConvTranspose{1,2,3}d``'s weight with :func:`zero_order_hold` (its bias is left as it is: a
    transposed layer's bias is the same at every phase); returns the module."""
    import torch

    weight = zero_order_hold(module.in_channels, module.out_channels, module.kernel_size, module.stride,
                             module.groups, module.dilation, std, seed)
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(weight))
    return module


def icnr_(module, scale, std: float | None = None, seed=None):
    """Fill an ``nn.Conv{1,2,3}d`` that feeds a ``PixelShuffle(scale)`` with :func:`icnr`, and make its bias the same
    at each phase of a channel (each phase's bias is its channel's first); returns the module."""
    import torch

    ndim = len(module.kernel_size)
    scales = _per_axis(module.kernel_size, scale)[1]
    block = prod(scales)
    if module.out_channels % block:
        raise ParameterError(f"the convolution has {module.out_channels} output channels, not a multiple of "
                             f"{block} = scale**{ndim}; a sub-pixel convolution makes C·scale**{ndim} channels")
    weight = icnr(module.in_channels, module.out_channels // block, module.kernel_size, scales, module.groups, std,
                  seed)
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(weight))
        if module.bias is not None:
            module.bias.copy_(module.bias[::block].repeat_interleave(block))
    return module
