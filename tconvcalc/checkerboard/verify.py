"""A fixed layer, run: a constant input per channel must give a constant output per channel away from the borders,
and a random input shows what the fix costs.  Runs in PyTorch or onnxruntime when present (the runtime the model
came from), else in the NumPy backend.

>>> import numpy as np
>>> from tconvcalc.checkerboard import LayerWeights, fix_layer
>>> layer = LayerWeights("up", "transposed", np.random.default_rng(0).normal(size=(2, 3, 4, 4)),
...                      None, (2, 2), (1, 1), 1)
>>> flatness(layer, "numpy") > 1e-3, flatness(fix_layer(layer).layer, "numpy") < 1e-12
(True, True)
"""

from __future__ import annotations

from math import prod
from typing import NamedTuple

import numpy as np

from ..errors import ParameterError
from .analysis import LayerWeights, subpixel_channel

RUNTIMES = ("numpy", "pytorch", "onnxruntime")

class Verified(NamedTuple):
    """A fix run in ``runtime``: the largest deviation of a constant input's output from constant, per channel,
    relative to the output's size (before and after), and the output's change on a random input relative to the
    output (L2)."""

    runtime: str
    flatness_before: float
    flatness_after: float
    output_change: float


def available(preferred: str) -> str:
    """``preferred`` when it can be imported, else the NumPy backend."""
    module = {"pytorch": "torch", "onnxruntime": "onnxruntime"}.get(preferred)
    if module is None:
        return "numpy"
    try:
        __import__(module)
    except ImportError:
        return "numpy"
    return preferred


def _input_size(layer: LayerWeights) -> list[int]:
    """Per axis an input long enough that some outputs see every tap, and a few periods of them."""
    if layer.kind == "subpixel":
        return [k + 3 for k in layer.weight.shape[2:]]
    return [-(-d * (k - 1) // s) + 3 for k, s, d in zip(layer.weight.shape[2:], layer.strides, layer.dilations)]


def _interior(layer: LayerWeights, y: np.ndarray) -> np.ndarray:
    """The outputs every tap reaches: past the dilated kernel's reach, up to the last input's scatter."""
    if layer.kind == "subpixel":
        return y  # a valid convolution: every output saw a full window
    n = _input_size(layer)
    slices = tuple(slice(d * (k - 1), (i - 1) * s + 1)
                   for k, s, d, i in zip(layer.weight.shape[2:], layer.strides, layer.dilations, n))
    return y[(slice(None), slice(None), *slices)]


def run_layer(layer: LayerWeights, x: np.ndarray, runtime: str = "numpy") -> np.ndarray:
    """The layer on ``x`` ``(N, C_in, *spatial)`` (no padding, no crop): a transposed convolution, or a valid
    convolution then the depth to space of its mode."""
    if runtime not in RUNTIMES:
        raise ParameterError(f"runtime {runtime!r} is not one of {', '.join(RUNTIMES)}")
    if layer.kind == "transposed":
        return _transposed(layer, x, runtime)
    return _subpixel(layer, x, runtime)


def depth_to_space(layer: LayerWeights, y: np.ndarray) -> np.ndarray:
    """``(N, C·Πs, *spatial)`` to ``(N, C, *spatial·s)``: channel ``subpixel_channel[c, *r]`` becomes phase ``r`` of
    channel ``c`` (CRD as PixelShuffle, DCR as ONNX's default)."""
    strides, ndim = layer.strides, len(layer.strides)
    channel = subpixel_channel(layer)
    gathered = y[:, channel]  # (N, C, *s, *spatial)
    n, c = y.shape[0], channel.shape[0]
    spatial = y.shape[2:]
    order = [0, 1] + [p for a in range(ndim) for p in (2 + ndim + a, 2 + a)]  # (N, C, x0, r0, x1, r1, ...)
    return gathered.transpose(order).reshape(n, c, *(m * s for m, s in zip(spatial, strides)))


def _transposed(layer: LayerWeights, x: np.ndarray, runtime: str) -> np.ndarray:
    if runtime == "pytorch":
        import torch

        fn = (torch.nn.functional.conv_transpose1d, torch.nn.functional.conv_transpose2d,
              torch.nn.functional.conv_transpose3d)[x.ndim - 3]
        bias = None if layer.bias is None else torch.from_numpy(np.asarray(layer.bias, dtype=np.float64))
        return fn(torch.from_numpy(x), torch.from_numpy(layer.weight.astype(np.float64)), bias,
                  tuple(layer.strides), 0, 0, layer.groups, tuple(layer.dilations)).numpy()
    if runtime == "onnxruntime":
        return _onnx(layer, x, "ConvTranspose", layer.weight, layer.bias,
                     {"strides": list(layer.strides), "dilations": list(layer.dilations), "group": layer.groups})
    from .. import numeric

    return numeric.conv_transpose(x, layer.weight.astype(np.float64), layer.bias, layer.strides, 0, 0,
                                  layer.groups, layer.dilations)


def _subpixel(layer: LayerWeights, x: np.ndarray, runtime: str) -> np.ndarray:
    """The convolution, then the runtime's own depth to space where it has one (PixelShuffle for CRD, ONNX's
    DepthToSpace for a square 2-D block), else :func:`depth_to_space`."""
    square = len(layer.strides) == 2 and layer.strides[0] == layer.strides[1]
    if runtime == "pytorch":
        import torch

        fn = (torch.nn.functional.conv1d, torch.nn.functional.conv2d, torch.nn.functional.conv3d)[x.ndim - 3]
        bias = None if layer.bias is None else torch.from_numpy(np.asarray(layer.bias, dtype=np.float64))
        y = fn(torch.from_numpy(x), torch.from_numpy(layer.weight.astype(np.float64)), bias, groups=layer.groups)
        if square and layer.mode == "CRD":
            return torch.nn.functional.pixel_shuffle(y, layer.strides[0]).numpy()
        return depth_to_space(layer, y.numpy())
    if runtime == "onnxruntime":
        shuffle = {"blocksize": layer.strides[0], "mode": layer.mode} if square else None
        convolved = _onnx(layer, x, "Conv", layer.weight, layer.bias, {"group": layer.groups}, shuffle)
        return convolved if square else depth_to_space(layer, convolved)
    from .. import numeric

    return depth_to_space(layer, numeric.conv(x, layer.weight.astype(np.float64), layer.bias, groups=layer.groups))


def _onnx(layer: LayerWeights, x: np.ndarray, op: str, weight, bias, attributes: dict,
          shuffle: dict | None = None) -> np.ndarray:
    """One node in onnxruntime, in float32 (its ConvTranspose has no float64 kernel): a flat output comes out flat to
    float32 rounding, about 1e-7."""
    import onnxruntime
    from onnx import TensorProto, helper, numpy_helper

    inputs = ["x", "w"] + (["b"] if bias is not None else [])
    nodes = [helper.make_node(op, inputs, ["y" if shuffle is None else "conv"], **attributes)]
    if shuffle is not None:  # the runtime's own DepthToSpace, in the layer's mode
        nodes.append(helper.make_node("DepthToSpace", ["conv"], ["y"], **shuffle))
    initializers = [numpy_helper.from_array(np.asarray(weight, dtype=np.float32), "w")]
    if bias is not None:
        initializers.append(numpy_helper.from_array(np.asarray(bias, dtype=np.float32), "b"))
    graph = helper.make_graph(nodes, "layer", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x.astype(np.float32)})[0].astype(np.float64)


def _in_channels(layer: LayerWeights) -> int:
    return layer.weight.shape[0] if layer.kind == "transposed" else layer.weight.shape[1] * layer.groups


def _constant_input(layer: LayerWeights, seed: int) -> np.ndarray:
    """A random constant per input channel, over an input that gives an interior."""
    size = _input_size(layer)
    values = np.random.default_rng(seed).uniform(0.5, 1.5, size=_in_channels(layer))
    return values.reshape(1, -1, *([1] * len(size))) * np.ones((1, len(values), *size))


def _random_input(layer: LayerWeights, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((1, _in_channels(layer), *_input_size(layer)))


def _flatness_of(layer: LayerWeights, y: np.ndarray) -> float:
    """The largest deviation from constant of any output channel's interior of ``y`` (one batch element),
    relative to the interior's largest magnitude."""
    interior = _interior(layer, y)[0].reshape(-1, prod(_interior_shape(layer)))
    scale = float(np.abs(interior).max()) or 1.0
    return float((interior.max(axis=1) - interior.min(axis=1)).max()) / scale


def _change_of(before: np.ndarray, after: np.ndarray) -> float:
    norm = float(np.linalg.norm(before))
    return float(np.linalg.norm(after - before)) / norm if norm else 0.0


def flatness(layer: LayerWeights, runtime: str = "numpy", seed: int = 0) -> float:
    """A random constant per input channel through the layer: the largest deviation from constant of any output
    channel's interior, relative to the interior's largest magnitude (0 for a layer free of checkerboard)."""
    return _flatness_of(layer, run_layer(layer, _constant_input(layer, seed), runtime))


def _interior_shape(layer: LayerWeights) -> list[int]:
    n = _input_size(layer)
    if layer.kind == "subpixel":
        return [(m - k + 1) * s for m, k, s in zip(n, layer.weight.shape[2:], layer.strides)]
    return [(i - 1) * s + 1 - d * (k - 1) for k, s, d, i in zip(layer.weight.shape[2:], layer.strides, layer.dilations,
                                                                 n)]


def verify(old: LayerWeights, new: LayerWeights, runtime: str = "numpy", seed: int = 0) -> Verified:
    """:class:`Verified` for a fix, in ``runtime`` (or NumPy when it is missing): the constant and the random input
    go through each layer as one batch of two, so each layer runs once."""
    runtime = available(runtime)
    x = np.concatenate([_constant_input(old, seed), _random_input(old, seed)])
    before, after = run_layer(old, x, runtime), run_layer(new, x, runtime)
    return Verified(runtime, _flatness_of(old, before[:1]), _flatness_of(new, after[:1]),
                    _change_of(before[1:], after[1:]))
