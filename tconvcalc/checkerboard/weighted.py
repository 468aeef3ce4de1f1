"""What every format's model read for its checkerboard layers shares: :class:`WeightedModel` and its checks of a
fix before it is written (the formats' modules subclass it; :mod:`.models` reads a model into one)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ParameterError
from .analysis import LayerWeights

FORMATS = ("onnx", "keras", "pytorch")
#: The suffixes each format's file may be written under.
SUFFIXES = {"onnx": (".onnx",), "keras": (".keras",), "pytorch": (".pt", ".pth", ".bin", ".safetensors")}


def _shape(bias: np.ndarray | None) -> tuple[int, ...]:
    """A bias's shape, () without one (as np.shape(None) is)."""
    return () if bias is None else np.shape(bias)


class WeightedModel:
    """A model read for its checkerboard layers: ``format`` (``onnx``, ``keras`` or ``pytorch``), ``source`` (the
    model argument as given) and ``layers``, every transposed and sub-pixel convolution in model order."""

    format: str = ""

    def __init__(self, source: str, layers) -> None:
        self.source = source
        self.layers: tuple[LayerWeights, ...] = tuple(layers)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.source!r}: {', '.join(layer.name for layer in self.layers)}>"

    def save(self, fixed: dict[str, LayerWeights], output: str) -> bytes:
        """The same format's file as bytes, with only the named layers' weight (and, for sub-pixel layers, bias)
        replaced; every other weight, name, attribute and metadata as it was.  ``output`` is the path the caller
        will write: its suffix must fit the format (and picks ``.pt`` or ``.safetensors`` for PyTorch)."""
        suffix = Path(str(output)).suffix.lower()
        allowed = SUFFIXES[self.format]
        if suffix not in allowed:
            raise ParameterError(f"output {output} has the suffix {suffix or '(none)'!r}, and a fixed {self.format} "
                                 f"model is written as {' or '.join(allowed)}; name the output e.g. "
                                 f"{Path(str(output)).stem or 'fixed'}{allowed[0]}")
        return self._save(self._checked(fixed), suffix)

    def _checked(self, fixed: dict) -> dict[str, LayerWeights]:
        """``fixed`` refused by name when it names no layer of the model or changes a layer's shape or kind."""
        if not isinstance(fixed, dict):
            raise ParameterError(f"fixed={type(fixed).__name__} is not a mapping of layer names to LayerWeights")
        by_name = {layer.name: layer for layer in self.layers}
        for name, new in fixed.items():
            old = by_name.get(name)
            if old is None:
                known = ", ".join(map(repr, list(by_name)[:6])) or "none"
                raise ParameterError(f"{self.source} has no checkerboard layer {name!r} to change, its layers are "
                                     f"{known}; name one of those")
            if not isinstance(new, LayerWeights) or new.kind != old.kind:
                raise ParameterError(f"layer {name!r}: the replacement is not a {old.kind} LayerWeights; pass "
                                     f"fix_layer(layer).layer")
            if np.shape(new.weight) != np.shape(old.weight) or (
                    old.kind == "subpixel" and _shape(new.bias) != _shape(old.bias)):
                raise ParameterError(f"layer {name!r}: the new weight has shape {list(np.shape(new.weight))} and "
                                     f"the model's {list(np.shape(old.weight))}, a fix keeps every shape; pass "
                                     f"fix_layer(layer).layer")
        return fixed

    def _save(self, fixed: dict[str, LayerWeights], suffix: str) -> bytes:  # pragma: no cover - per format
        raise NotImplementedError
