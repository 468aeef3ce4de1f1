"""The checkerboard layers of a user's model, and the model written back with only some layers' weights changed.

:func:`read_weights` reads every transposed and sub-pixel convolution of an ONNX file, a ``.keras`` file or PyTorch
code ``FILE.py:Factory`` (with ``--weights STATE.pt|STATE.safetensors``) as :class:`LayerWeights` in PyTorch's
layout; :meth:`WeightedModel.save` gives the same format's file with only the named layers' weights replaced.
Each format lives in its own module (:mod:`.models_onnx`, :mod:`.models_keras`, :mod:`.models_torch`); the
framework packages are imported only when a model of theirs is read.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ParameterError
from .weighted import SUFFIXES, WeightedModel

__all__ = ["WeightedModel", "model_format", "read_weights"]


def read_weights(model: str, weights: str | None = None, kwargs: dict | None = None) -> WeightedModel:
    """Every transposed and sub-pixel convolution of ``model``: an ``.onnx`` file, a ``.keras`` file, or PyTorch
    code ``FILE.py:Factory`` / ``package.module:Factory`` built with ``kwargs`` and loaded with ``weights`` (without
    them, the factory's initial weights)."""
    model = str(model)
    kind = model_format(model)
    if kind != "pytorch" and (weights is not None or kwargs):
        given = "weights" if weights is not None else "kwargs"
        raise ParameterError(f"{given} are for PyTorch code (FILE.py:Factory), and {model} is a {kind} file that "
                             f"holds its own weights; leave {given} out")
    if kind == "onnx":
        from .models_onnx import read_onnx

        return read_onnx(model)
    if kind == "keras":
        from .models_keras import read_keras

        return read_keras(model)
    from .models_torch import read_torch

    return read_torch(model, weights, kwargs)


def model_format(model: str) -> str:
    """``onnx``, ``keras`` or ``pytorch``, by the argument's form; anything else is refused."""
    suffix = Path(model).suffix.lower()
    if suffix == ".onnx":
        return "onnx"
    if suffix == ".keras":
        return "keras"
    location, colon, attribute = model.rpartition(":")
    if colon and location and attribute.isidentifier() and not Path(model).is_file():
        return "pytorch"
    if suffix in (".h5", ".hdf5"):
        raise ParameterError(f"{model} is a Keras 2 HDF5 file, and tconvcalc reads Keras 3's .keras files; load it "
                             f"in Keras and save it again with model.save('model.keras')")
    if suffix in SUFFIXES["pytorch"]:
        raise ParameterError(f"{model} is a weights file, and the model is the PyTorch code that builds it; give "
                             f"FILE.py:Factory with weights={model!r}")
    raise ParameterError(f"{model} is not a model tconvcalc reads for checkerboard layers, a model is an .onnx "
                         f"file, a .keras file or PyTorch code FILE.py:Factory; give one of those")
