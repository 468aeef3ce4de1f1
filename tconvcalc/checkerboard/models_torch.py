"""Checkerboard layers of PyTorch code ``FILE.py:Factory``: every ``nn.ConvTranspose{1,2,3}d`` module, and every
``nn.Conv2d`` whose output goes only into a pixel shuffle (``nn.PixelShuffle``, ``F.pixel_shuffle`` or
``torch.pixel_shuffle``), found in the ``torch.fx`` trace of the forward.  Names are module paths (``0``, ``up.1``).

The weights are the ``--weights`` file's, loaded strictly (:mod:`tconvcalc.network.readers.torch_weights`); without one
they are the factory's initial weights (random unless the factory seeds them), which says nothing about a trained
model.
"""

from __future__ import annotations

import io

import numpy as np

from ..errors import NotInstalledError, ParameterError
from ..network.readers.torch import _import_torch, build_torch, trace
from ..network.readers.torch_weights import SAFETENSORS_INSTALL, load_weights, read_state_dict
from .analysis import LayerWeights
from .weighted import WeightedModel

SHUFFLES = {"pixel_shuffle"}


class TorchWeights(WeightedModel):
    """A PyTorch module's checkerboard layers.  :meth:`save` writes the full state dict (the ``--weights`` file's
    names in its order, or the module's ``state_dict()``) with the changed tensors replaced, as plain tensors:
    ``torch.save`` for ``.pt``/``.pth``/``.bin``, safetensors for ``.safetensors``.  A checkpoint's other entries
    (optimizer state, epochs) are not written: the output is the state dict alone."""

    format = "pytorch"

    def __init__(self, source: str, layers, state: dict, initial: bool) -> None:
        super().__init__(source, layers)
        self.state = state
        #: Whether the weights are the factory's initial ones (no weights file was given).
        self.initial = initial

    def _save(self, fixed: dict[str, LayerWeights], suffix: str) -> bytes:
        torch = _import_torch()
        state = dict(self.state)
        for name, layer in fixed.items():
            changed = [("weight", layer.weight)] + ([("bias", layer.bias)] if layer.kind == "subpixel" and
                                                     layer.bias is not None else [])
            for field, array in changed:
                key = f"{name}.{field}" if name else field
                old = state[key]
                state[key] = torch.from_numpy(np.ascontiguousarray(array)).to(old.dtype)
        if suffix == ".safetensors":
            try:
                from safetensors.torch import save
            except ImportError:
                raise NotInstalledError("safetensors", "writing a .safetensors file", SAFETENSORS_INSTALL) from None
            return save({key: value.contiguous() for key, value in state.items()})
        buffer = io.BytesIO()
        torch.save(state, buffer)
        return buffer.getvalue()


def read_torch(spec: str, weights: str | None = None, kwargs: dict | None = None) -> TorchWeights:
    torch = _import_torch()
    module = build_torch(spec, kwargs)
    if weights is not None:
        state = read_state_dict(weights)
        load_weights(module, weights, spec, state)
    else:
        state = module.state_dict()
    module.eval()
    graph = trace(module, spec)
    nn = torch.nn
    shuffled = _shuffled_convs(torch, graph)
    layers = []
    for path, child in module.named_modules():
        if isinstance(child, nn.modules.conv._ConvTransposeNd):
            layers.append(_layer(torch, spec, path, child, state, "transposed", None))
        elif path in shuffled and shuffled[path] is not None:
            layers.append(_layer(torch, spec, path, child, state, "subpixel", shuffled[path]))
    return TorchWeights(spec, layers, state, weights is None)


def _shuffled_convs(torch, graph) -> dict:
    """Module path -> the pixel shuffle's factor, for every ``nn.Conv2d`` whose every call's output is read only by
    one pixel shuffle (None when some call's output goes elsewhere, or the factors differ)."""
    found: dict = {}
    for node in graph.graph.nodes:
        if node.op != "call_module" or type(graph.get_submodule(node.target)) is not torch.nn.Conv2d:
            continue
        factor = None
        users = list(node.users)
        if len(users) == 1:
            factor = _shuffle_factor(torch, graph, users[0], node)
        path = str(node.target)
        found[path] = factor if found.get(path, factor) == factor else None
    return found


def _shuffle_factor(torch, graph, user, source):
    """The upscale factor when ``user`` pixel-shuffles ``source`` with a constant whole factor, else None."""
    if user.op == "call_module":
        module = graph.get_submodule(user.target)
        return module.upscale_factor if isinstance(module, torch.nn.PixelShuffle) else None
    if user.op != "call_function" or getattr(user.target, "__name__", "") not in SHUFFLES:
        return None
    given = user.args[0] if user.args else user.kwargs.get("input")
    factor = user.args[1] if len(user.args) > 1 else user.kwargs.get("upscale_factor")
    whole = isinstance(factor, int) and not isinstance(factor, bool) and factor >= 1
    return factor if given is source and whole else None


def _array(torch, tensor) -> np.ndarray:
    """A parameter as a NumPy array of its dtype (bfloat16, which NumPy lacks, as float32)."""
    tensor = tensor.detach().cpu()
    return (tensor.float() if tensor.dtype == torch.bfloat16 else tensor).numpy()


def _layer(torch, spec: str, path: str, module, state: dict, kind: str, factor) -> LayerWeights:
    name = path or "(root)"
    for field in ("weight",) + (("bias",) if module.bias is not None else ()):
        key = f"{path}.{field}" if path else field
        if key not in state:
            raise ParameterError(f"{spec}: module {name!r} ({type(module).__name__}) has no {key!r} in its state "
                                 f"dict, its {field} is computed (a parametrization such as weight norm), and a "
                                 f"checkerboard check reads stored weights; remove the parametrization before saving")
    weight = _array(torch, module.weight)
    bias = None if module.bias is None else _array(torch, module.bias)
    ndim = weight.ndim - 2
    if kind == "transposed":
        return LayerWeights(path, kind, weight, bias, tuple(module.stride), tuple(module.dilation), module.groups,
                            "CRD", type(module).__name__)
    return LayerWeights(path, kind, weight, bias, (factor,) * ndim, (1,) * ndim, module.groups, "CRD",
                        "Conv2d+PixelShuffle")
