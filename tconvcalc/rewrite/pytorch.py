"""The rewrites as PyTorch modules: size-generic ``nn.Module`` s with the transposed layer's weights."""

from __future__ import annotations

from math import prod

from ..errors import TORCH_INSTALL, NotInstalledError, ParameterError
from ..spec import Axis, Layer
from .weights import subpixel_weights, zero_insertion_weights

try:
    import torch
    from torch import nn
    from torch.nn import functional as F
except ImportError:  # pragma: no cover - the rewrite's own refusal says how to install it
    raise NotInstalledError("torch", "rewriting a PyTorch layer", TORCH_INSTALL) from None


def _layer(module) -> tuple[Layer, int]:
    """The canonical layer of an ``nn.ConvTranspose{1,2,3}d`` at an input long enough for any crop (the rewrite's
    pads and crops do not depend on the input size), and its groups."""
    if not isinstance(module, (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)):
        raise ParameterError(f"{type(module).__name__} is not an nn.ConvTranspose1d/2d/3d, the rewrite turns a "
                             f"transposed convolution into others; pass the transposed layer itself")
    if module.padding_mode != "zeros":
        raise ParameterError(f"padding_mode={module.padding_mode!r}, PyTorch's transposed convolutions support only "
                             f"'zeros'; build the layer with padding_mode='zeros'")
    axes = []
    for k, s, p, op, d in zip(module.kernel_size, module.stride, module.padding, module.output_padding,
                              module.dilation):
        axes.append(Axis.from_pytorch(2 * p + 1, k, s, p, op, d))  # 2p + 1 inputs leave o ≥ 1 whatever the crop
    return Layer(tuple(axes)), module.groups


def _numpy(tensor):
    return tensor.detach().cpu().double().numpy()


def _tensor(array, like):
    return torch.from_numpy(array).to(dtype=like.dtype, device=like.device)


def _pads(pairs) -> list[int]:
    """Per-axis (before, after) as ``F.pad`` takes them: last axis first; negative crops."""
    return [side for pair in reversed(pairs) for side in pair]


class SubpixelConvTranspose(nn.Module):
    """``ConvTranspose`` as pad (or crop) → stride-1 Conv with ``C_out·Πs`` channels → depth to space → crop."""

    def __init__(self, conv, pads, strides, shifts, trims):
        super().__init__()
        self.conv, self.pads, self.strides = conv, list(pads), tuple(strides)
        self.shifts, self.trims = tuple(shifts), tuple(trims)
        square = len(strides) == 2 and strides[0] == strides[1]
        self.shuffle = nn.PixelShuffle(strides[0]) if square else None  # CRD order, as the channels are

    @classmethod
    def from_module(cls, module) -> "SubpixelConvTranspose":
        layer, groups = _layer(module)
        plans = [axis.subpixel() for axis in layer.axes]
        kernel, bias = subpixel_weights(_numpy(module.weight), layer,
                                        None if module.bias is None else _numpy(module.bias), groups)
        conv = getattr(nn, f"Conv{layer.ndim}d")(module.in_channels, kernel.shape[0], kernel.shape[2:],
                                                 groups=groups, bias=bias is not None)
        conv = conv.to(dtype=module.weight.dtype, device=module.weight.device)
        with torch.no_grad():
            conv.weight.copy_(_tensor(kernel, module.weight))
            if bias is not None:
                conv.bias.copy_(_tensor(bias, module.weight))
        return cls(conv, _pads([plan.pads for plan in plans]), layer.field("s"),
                   [plan.shift for plan in plans], [plan.trim for plan in plans])

    def extra_repr(self) -> str:
        return f"pad={tuple(self.pads)}, strides={self.strides}, crop_start={self.shifts}, crop_end={self.trims}"

    def forward(self, x):
        y = self.conv(F.pad(x, self.pads))
        if self.shuffle is not None:
            y = self.shuffle(y)
        else:  # (N, C·Πs, *q) → (N, C, q_1·s_1, …): each phase r_n interleaved after its q_n
            n = len(self.strides)
            batch, channels, *q = y.shape
            y = y.reshape(batch, channels // prod(self.strides), *self.strides, *q)
            order = [0, 1] + [axis for pair in zip(range(2 + n, 2 + 2 * n), range(2, 2 + n)) for axis in pair]
            y = y.permute(order).reshape(batch, channels // prod(self.strides),
                                         *(size * s for size, s in zip(q, self.strides)))
        return y[(..., *(slice(shift, y.shape[2 + n] - trim)
                         for n, (shift, trim) in enumerate(zip(self.shifts, self.trims))))]


class ZeroInsertionConvTranspose(nn.Module):
    """``ConvTranspose`` as ``s - 1`` zeros between inputs → pad ``d(k-1) - b``, ``d(k-1) - e`` (negative crops)
    → stride-1 Conv with the flipped, transposed kernel and the layer's dilation."""

    def __init__(self, conv, strides, pads):
        super().__init__()
        self.conv, self.strides, self.pads = conv, tuple(strides), list(pads)

    @classmethod
    def from_module(cls, module) -> "ZeroInsertionConvTranspose":
        layer, groups = _layer(module)
        kernel = zero_insertion_weights(_numpy(module.weight), groups)
        conv = getattr(nn, f"Conv{layer.ndim}d")(module.in_channels, module.out_channels, layer.kernel_size,
                                                 dilation=layer.field("d"), groups=groups,
                                                 bias=module.bias is not None)
        conv = conv.to(dtype=module.weight.dtype, device=module.weight.device)
        with torch.no_grad():
            conv.weight.copy_(_tensor(kernel, module.weight))
            if module.bias is not None:
                conv.bias.copy_(module.bias)
        return cls(conv, layer.field("s"), _pads([axis.zero_insertion_pads for axis in layer.axes]))

    def extra_repr(self) -> str:
        return f"strides={self.strides}, pad={tuple(self.pads)}"

    def forward(self, x):
        for n, s in enumerate(self.strides):
            if s > 1:  # each sample followed by s - 1 zeros, the last sample's dropped
                dim = 2 + n
                spread = F.pad(x.unsqueeze(dim + 1), [0, 0] * (x.dim() - dim - 1) + [0, s - 1])
                x = spread.flatten(dim, dim + 1).narrow(dim, 0, (x.shape[dim] - 1) * s + 1)
        return self.conv(F.pad(x, self.pads))
