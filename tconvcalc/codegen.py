"""Ready-to-run code for a stack of transposed convolutions, with its cost per layer.

PyTorch code is one ``nn.ConvTranspose{n}d`` per layer; Keras and ONNX take
each layer's canonical crop through ``conventions`` so the values are exact,
not only the shapes.
"""

from __future__ import annotations

from typing import Sequence

from .arithmetic import conv_params, conv_transpose_flops
from .conventions import pytorch_code
from .spec import Layer


def layer_costs(layers: Sequence[Layer], channels: Sequence[int] | None, batch: int = 1) -> list[dict]:
    """FLOPs (PyTorch's flop-counter formula) and parameters per layer; channels[n] -> channels[n+1]."""
    costs = []
    for n, layer in enumerate(layers):
        c_in, c_out = (channels[n], channels[n + 1]) if channels else (1, 1)
        costs.append({
            "flops": conv_transpose_flops(layer.input_size, layer.kernel_size, c_in, c_out, batch=batch),
            "params": conv_params(layer.kernel_size, c_in, c_out),
        })
    return costs


def pytorch_sequential(layers: Sequence[Layer], channels: Sequence[int] | None) -> str:
    """``nn.Sequential(...)`` with one transposed convolution per layer."""
    names = [str(c) for c in channels] if channels else [f"ch{n}" for n in range(len(layers) + 1)]
    lines = ["import torch.nn as nn", "", "model = nn.Sequential("]
    for n, layer in enumerate(layers):
        sizes = "×".join(map(str, layer.input_size)) + " -> " + "×".join(map(str, layer.output_size))
        lines.append(f"    {pytorch_code(layer, names[n], names[n + 1])},  # {sizes}")
    lines.append(")")
    return "\n".join(lines)


def _framework_lines(framework: str, layers: Sequence[Layer], channels: Sequence[int] | None) -> str:
    """One translated layer after another, each followed by its exact crop or zero-pad when needed."""
    from .conventions import to_framework

    header = {"keras": "import keras", "onnx": "import onnx"}[framework]
    lines = [header, ""]
    for n, layer in enumerate(layers):
        translation = to_framework(layer, framework)
        sizes = "×".join(map(str, layer.input_size)) + " -> " + "×".join(map(str, layer.output_size))
        lines.append(f"# layer {n + 1}: {sizes}" + ("" if translation.exact else ", exact with the step after it"))
        for line in translation.code(f"h{n}", f"h{n + 1}"):
            if channels:
                line = line.replace("filters=C_out", f"filters={channels[n + 1]}")
            if framework == "onnx":
                line = line.replace('["X", "W"], ["Y"]', f'["h{n}", "W{n + 1}"], ["h{n + 1}"]')
            lines.append(line)
    return "\n".join(lines)


def emit_code(framework: str, layers: Sequence[Layer], channels: Sequence[int] | None) -> str:
    """Code for the whole stack in ``framework`` (pytorch, keras or onnx)."""
    if framework == "pytorch":
        return pytorch_sequential(layers, channels)
    return _framework_lines(framework, layers, channels)
