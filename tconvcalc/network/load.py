"""Which reader a model needs, from its name: a spec file, an ONNX or Keras file, or PyTorch code."""

from __future__ import annotations

from pathlib import Path

from ..errors import ParameterError
from .graph import Network

SPEC_SUFFIXES = (".toml", ".json")
FILE_SUFFIXES = SPEC_SUFFIXES + (".onnx", ".keras")


def is_torch_code(model: str) -> bool:
    """Whether ``model`` names PyTorch code (``file.py:Factory``, ``module:Factory``), the one kind of model
    built by a factory that takes keyword arguments."""
    return Path(str(model)).suffix.lower() not in FILE_SUFFIXES and ":" in str(model)


def load(model, kwargs: dict | None = None) -> Network:
    """A network from ``model``: a ``.toml``/``.json`` spec, an ``.onnx`` file, a ``.keras`` file, or
    PyTorch code as ``path/to/file.py:Factory`` or ``package.module:Factory`` (``kwargs`` go to the
    factory); an ``nn.Module`` itself is read as it is."""
    if not isinstance(model, (str, Path)):
        from .readers.torch import from_torch

        return from_torch(model)
    text = str(model)
    suffix = Path(text).suffix.lower()
    if suffix in SPEC_SUFFIXES:
        from .readers.spec_file import load_network

        return load_network(text)
    if suffix == ".onnx":
        from .readers.onnx import load_onnx

        return load_onnx(text)
    if suffix == ".keras":
        from .readers.keras import load_keras

        return load_keras(text)
    if is_torch_code(text):
        from .readers.torch import load_torch

        return load_torch(text, kwargs or {})
    raise ParameterError(f"{text!r} is not a model tconvcalc reads, a model is a .toml/.json spec, an .onnx or "
                         f".keras file, or PyTorch code as file.py:Factory or module:Factory; name one of those")
