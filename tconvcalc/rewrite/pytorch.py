"""The rewrites as PyTorch modules: the size-generic modules of :mod:`.torch_modules`, built from an
``nn.ConvTranspose{1,2,3}d`` with its weights rearranged by :mod:`.weights`."""

from __future__ import annotations

from ..errors import TORCH_INSTALL, NotInstalledError, ParameterError
from ..model.spec import Axis, Layer
from .weights import subpixel_weights, zero_insertion_weights

try:
    import torch
    from torch import nn
except ImportError:  # pragma: no cover - the rewrite's own refusal says how to install it
    raise NotInstalledError("torch", "rewriting a PyTorch layer", TORCH_INSTALL) from None

from .torch_modules import SubpixelConvTranspose, ZeroInsertionConvTranspose

TRANSPOSED = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
__all__ = ["TRANSPOSED", "SubpixelConvTranspose", "ZeroInsertionConvTranspose", "subpixel_arguments",
           "subpixel_module", "zero_insertion_arguments", "zero_insertion_module"]


def _layer(module) -> tuple[Layer, int]:
    """The canonical layer of an ``nn.ConvTranspose{1,2,3}d`` at an input long enough for any crop (the rewrite's
    pads and crops do not depend on the input size), and its groups."""
    if not isinstance(module, TRANSPOSED):
        raise ParameterError(f"{type(module).__name__} is not an nn.ConvTranspose1d/2d/3d, the rewrite turns a "
                             f"transposed convolution into others; pass the transposed layer itself")
    if module.padding_mode != "zeros":
        raise ParameterError(f"padding_mode={module.padding_mode!r}, PyTorch's transposed convolutions support only "
                             f"'zeros'; build the layer with padding_mode='zeros'")
    padding = module.padding
    if isinstance(padding, str) or any(isinstance(p, str) for p in padding):  # padding="same" is kept as letters
        raise ParameterError(f"padding={padding!r}, PyTorch's transposed convolutions take no padding string and "
                             f"keep its letters as the padding; build the layer with whole-number padding")
    axes = []
    for k, s, p, op, d in zip(module.kernel_size, module.stride, padding, module.output_padding,
                              module.dilation):
        axes.append(Axis.from_pytorch(2 * p + 1, k, s, p, op, d))  # 2p + 1 inputs leave o ≥ 1 whatever the crop
    return Layer(tuple(axes)), module.groups


def _numpy(tensor):
    return tensor.detach().cpu().double().numpy()


def _pads(pairs) -> tuple[int, ...]:
    """Per-axis (before, after) as ``F.pad`` takes them: last axis first; negative crops."""
    return tuple(side for pair in reversed(pairs) for side in pair)


def subpixel_arguments(module) -> dict:
    """The constructor arguments of :class:`SubpixelConvTranspose` for ``module`` (sizes only, no weights)."""
    layer, groups = _layer(module)
    plans = [axis.subpixel() for axis in layer.axes]
    return {"in_channels": module.in_channels, "out_channels": module.out_channels,
            "kernel_size": tuple(plan.taps for plan in plans), "strides": layer.field("s"),
            "pad": _pads([plan.pads for plan in plans]), "crop_start": tuple(plan.shift for plan in plans),
            "crop_end": tuple(plan.trim for plan in plans), "groups": groups, "bias": module.bias is not None}


def zero_insertion_arguments(module) -> dict:
    """The constructor arguments of :class:`ZeroInsertionConvTranspose` for ``module``."""
    layer, groups = _layer(module)
    return {"in_channels": module.in_channels, "out_channels": module.out_channels,
            "kernel_size": layer.kernel_size, "strides": layer.field("s"),
            "pad": _pads([axis.zero_insertion_pads for axis in layer.axes]), "dilation": layer.field("d"),
            "groups": groups, "bias": module.bias is not None}


def _filled(built, module, kernel, bias):
    """``built`` on the layer's device and dtype, its convolution holding ``kernel`` and ``bias`` (NumPy)."""
    built = built.to(dtype=module.weight.dtype, device=module.weight.device)
    with torch.no_grad():
        built.conv.weight.copy_(torch.from_numpy(kernel))
        if bias is not None:
            built.conv.bias.copy_(torch.from_numpy(bias))
    return built


def subpixel_module(module) -> SubpixelConvTranspose:
    """``module`` as a :class:`SubpixelConvTranspose` with its weights."""
    layer, groups = _layer(module)
    kernel, bias = subpixel_weights(_numpy(module.weight), layer,
                                    None if module.bias is None else _numpy(module.bias), groups)
    return _filled(SubpixelConvTranspose(**subpixel_arguments(module)), module, kernel, bias)


def zero_insertion_module(module) -> ZeroInsertionConvTranspose:
    """``module`` as a :class:`ZeroInsertionConvTranspose` with its weights."""
    layer, groups = _layer(module)
    kernel = zero_insertion_weights(_numpy(module.weight), groups)
    bias = None if module.bias is None else _numpy(module.bias)
    return _filled(ZeroInsertionConvTranspose(**zero_insertion_arguments(module)), module, kernel, bias)
