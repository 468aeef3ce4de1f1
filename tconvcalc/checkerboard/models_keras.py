"""Checkerboard layers of a ``.keras`` file: every ``Conv{1,2,3}DTranspose``, read from ``config.json`` and the
weights in ``model.weights.h5`` with h5py (TensorFlow and Keras are never imported).

Keras 3 stores a layer's variables at ``layers/<class in snake case, numbered>/vars/<i>`` (``conv2d_transpose``,
``conv2d_transpose_1``, … in the order of the model's layers; a nested model's under its own ``layers/``): the
kernel is ``vars/0``, ``(*k, C_out, C_in)``, the bias ``vars/1``.  The kernel is the one PyTorch's transposed
convolution scatters, unflipped (checked against TensorFlow runs when the fixtures are made), so PyTorch's layout
is its axes moved, nothing else.  Keras has no pixel-shuffle layer, so no sub-pixel layers are read here.
"""

from __future__ import annotations

import io
import re
import zipfile

import numpy as np

from ..errors import NotInstalledError, ParameterError
from ..network.readers.keras import MODELS, read_keras_config, read_member
from ..network.readers.torch_weights import MAX_WEIGHTS_BYTES
from .analysis import LayerWeights
from .weighted import WeightedModel

H5PY_INSTALL = "python -m pip install 'tconvcalc[keras]' (in a checkout: python -m pip install '.[keras]')"
WEIGHTS = "model.weights.h5"
TRANSPOSED = re.compile(r"Conv(olution)?([123])DTranspose$")


def _h5py():
    try:
        import h5py
    except ImportError:
        raise NotInstalledError("h5py", "reading a .keras file's weights", H5PY_INSTALL) from None
    return h5py


def snake_case(name: str) -> str:
    """Keras's ``naming.to_snake_case``: what a layer of that class is called in ``model.weights.h5``."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


class KerasWeights(WeightedModel):
    """A ``.keras`` file's transposed convolutions.  :meth:`save` writes a new zip in which every entry is copied
    (same names, order, dates and compression) and in ``model.weights.h5`` only the changed kernels' datasets are
    overwritten in place (same shape and dtype)."""

    format = "keras"

    def __init__(self, source: str, layers, datasets: dict, h5: bytes) -> None:
        super().__init__(source, layers)
        self._datasets = datasets  # layer name -> the kernel dataset's path in the h5
        self._h5 = h5

    def _save(self, fixed: dict[str, LayerWeights], suffix: str) -> bytes:
        h5py = _h5py()
        buffer = io.BytesIO(self._h5)
        with h5py.File(buffer, "r+") as h5:
            for name, layer in fixed.items():
                dataset = h5[self._datasets[name]]
                kernel = np.moveaxis(np.asarray(layer.weight), (0, 1), (-1, -2))  # back to (*k, C_out, C_in)
                dataset[...] = kernel.astype(dataset.dtype)
        out = io.BytesIO()
        with zipfile.ZipFile(self.source) as archive, zipfile.ZipFile(out, "w") as written:
            for info in archive.infolist():
                data = buffer.getvalue() if info.filename == WEIGHTS else archive.read(info)
                written.writestr(info, data, compress_type=info.compress_type)
        return out.getvalue()


def read_keras(path: str) -> KerasWeights:
    config = read_keras_config(path)
    if not isinstance(config, dict) or config.get("class_name") not in MODELS:
        kind = config.get("class_name") if isinstance(config, dict) else type(config).__name__
        raise ParameterError(f"{path}: the config describes a {kind!r}, tconvcalc reads Functional and Sequential "
                             f"models; save a keras.Model or keras.Sequential")
    h5py = _h5py()
    data = read_member(path, WEIGHTS, MAX_WEIGHTS_BYTES, "a model's weights")
    try:
        h5 = h5py.File(io.BytesIO(data), "r")
    except OSError:
        raise ParameterError(f"{path}: {WEIGHTS} is not an HDF5 file, Keras 3 saves the weights as one; save the "
                             f"model again with model.save('model.keras')") from None
    layers, datasets = [], {}
    with h5:
        for name, layer, group in _transposed(config, "", ""):
            where = f"{path}: layer {name!r} ({layer.get('class_name')})"
            found = h5.get(group + "vars")
            if found is None or "0" not in found:
                raise ParameterError(f"{where} has no kernel at {group}vars/0 in {WEIGHTS}, where Keras 3 saves it; "
                                     f"the weights do not belong to this config, save the model again")
            saved = found.attrs.get("name")
            if saved is not None and str(saved) != str(layer.get("config", {}).get("name", layer.get("name"))):
                raise ParameterError(f"{where}: {WEIGHTS} holds layer {str(saved)!r} at {group}vars, so the weights "
                                     f"do not belong to this config; save the model again")
            layers.append(_layer(where, name, layer, found))
            datasets[name] = group + "vars/0"
    return KerasWeights(path, layers, datasets, data)


def _transposed(config: dict, prefix: str, group: str):
    """(name, layer config, h5 group) of every transposed convolution, nested models followed, in model order."""
    sequential = config.get("class_name") == "Sequential"
    used: dict[str, int] = {}
    entries = config.get("config", {}).get("layers", [])
    for position, layer in enumerate(entries):
        kind = str(layer.get("class_name"))
        if sequential and position == 0 and kind == "InputLayer":
            continue  # Sequential.layers, which Keras saves, leaves its input layer out
        key = snake_case(kind)
        used[key] = used.get(key, -1) + 1
        path = f"{group}layers/{key}{'_' + str(used[key]) if used[key] else ''}/"
        name = prefix + str(layer.get("name") or layer.get("config", {}).get("name"))
        if kind in MODELS:
            yield from _transposed(layer, name + "/", path)
        elif TRANSPOSED.match(kind):
            yield name, layer, path


def _per_axis(where: str, field: str, value, ndim: int) -> tuple:
    values = (value,) * ndim if isinstance(value, int) else tuple(value or (1,) * ndim)
    if len(values) != ndim or not all(isinstance(v, int) and v >= 1 for v in values):
        raise ParameterError(f"{where} has {field}={value!r}, Keras needs {ndim} whole numbers ≥ 1; the config is "
                             f"damaged, save the model again")
    return values


def _layer(where: str, name: str, layer: dict, found) -> LayerWeights:
    config = layer.get("config", {})
    transposed = TRANSPOSED.match(str(layer.get("class_name")))
    assert transposed is not None  # _transposed gives only the layers this matches
    ndim = int(transposed.group(2))
    kernel = np.asarray(found["0"])
    size = _per_axis(where, "kernel_size", config.get("kernel_size"), ndim)
    filters = config.get("filters")
    if kernel.ndim != ndim + 2 or tuple(kernel.shape[:ndim]) != size or (filters and kernel.shape[ndim] != filters):
        raise ParameterError(f"{where}: its saved kernel has shape {list(kernel.shape)}, and kernel_size={list(size)} "
                             f"with filters={filters} make it ({', '.join(map(str, size))}, {filters}, C_in); the "
                             f"weights do not belong to this config, save the model again")
    bias = None
    if config.get("use_bias", True):
        if "1" not in found:
            raise ParameterError(f"{where} has use_bias=True and no bias at vars/1 in {WEIGHTS}; the weights do not "
                                 f"belong to this config, save the model again")
        bias = np.asarray(found["1"])
        if bias.shape != (kernel.shape[ndim],):
            raise ParameterError(f"{where}: its saved bias has shape {list(bias.shape)} for {kernel.shape[ndim]} "
                                 f"filters; the weights do not belong to this config, save the model again")
    weight = np.ascontiguousarray(np.moveaxis(kernel, (-1, -2), (0, 1)))  # (*k, C_out, C_in) -> (C_in, C_out, *k)
    return LayerWeights(name, "transposed", weight, bias, _per_axis(where, "strides", config.get("strides", 1), ndim),
                        _per_axis(where, "dilation_rate", config.get("dilation_rate", 1), ndim), 1, "CRD",
                        str(layer.get("class_name")))
