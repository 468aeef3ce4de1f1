"""Framework spellings of the canonical crop model.

PyTorch: ``padding p``, ``output_padding op`` is the crop ``(p, p - op)``.
"""

from __future__ import annotations

from typing import Sequence

from .spec import Layer


def compact(values: Sequence[int]) -> str:
    """``3`` when every axis agrees, ``(3, 5)`` otherwise - as one writes a layer by hand."""
    values = tuple(values)
    if len(set(values)) == 1:
        return str(values[0])
    return "(" + ", ".join(map(str, values)) + ")"


def pytorch_arguments(layer: Layer) -> dict[str, tuple[int, ...]] | None:
    """``kernel_size, stride, padding, output_padding, dilation`` per axis, or None if PyTorch can't."""
    pairs = [axis.pytorch for axis in layer.axes]
    if any(pair is None for pair in pairs):
        return None
    return {
        "kernel_size": layer.field("k"),
        "stride": layer.field("s"),
        "padding": tuple(p for p, _ in pairs),
        "output_padding": tuple(op for _, op in pairs),
        "dilation": layer.field("d"),
    }


def pytorch_code(layer: Layer, in_channels: str | int = "in_ch", out_channels: str | int = "out_ch") -> str:
    """The ready-to-paste ``nn.ConvTranspose{1,2,3}d(...)`` line for a PyTorch-expressible layer."""
    args = pytorch_arguments(layer)
    if args is None:
        raise ValueError("this crop has no PyTorch padding/output_padding; see conventions for the recipe")
    parts = [str(in_channels), str(out_channels)]
    for name in ("kernel_size", "stride", "padding", "output_padding", "dilation"):
        if name == "dilation" and set(args[name]) == {1}:
            continue  # PyTorch's default; the line stays as people write it
        parts.append(f"{name}={compact(args[name])}")
    return f"nn.ConvTranspose{layer.ndim}d({', '.join(parts)})"
