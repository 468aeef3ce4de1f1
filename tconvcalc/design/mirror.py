"""Decoders that mirror an encoder exactly: the output_padding each level needs.

An encoder spec (TOML or JSON) gives the input size and its convolutions; the
decoder is the transposed convolutions that restore every encoder size, so skip
connections line up (U-Net, autoencoders).  Parsed with ``tomllib``/``json``;
every error names the file, the layer and the field.

>>> encoder = parse_encoder('{"input": [41], "layers": [{"kernel_size": 4, "stride": 2, "padding": 1}]}',
...                         format="json")
>>> level = mirror(encoder)[0]
>>> level.conv_output, level.decoder.output_size, level.decoder.axes[0].pytorch
((20,), (41,), (1, 1))
"""

from __future__ import annotations

from collections import namedtuple
from pathlib import Path

from ..model.arithmetic import conv_output_size, output_padding_for
from ..network.graph import MAX_LAYERS
from ..network.readers.spec_file import parse_document, read_text
from ..model.spec import Layer, ParameterError, broadcast, check_at_least

# Field name -> its short alias in a spec; both are accepted.
FIELDS = {"kernel_size": "k", "stride": "s", "padding": "p", "dilation": "d", "channels": "c"}
DEFAULTS = {"stride": 1, "padding": 0, "dilation": 1, "channels": None}


class EncoderLayer(namedtuple("EncoderLayer", "name kernel_size stride padding dilation channels")):
    __slots__ = ()


class Encoder(namedtuple("Encoder", "source input_size channels layers")):
    """``input_size`` per axis, input ``channels`` (or None) and the convolutions in order."""

    __slots__ = ()


class Level(namedtuple("Level", "encoder_layer conv_input conv_output decoder")):
    """One encoder convolution and the transposed convolution that undoes its size change."""

    __slots__ = ()


def _fail(source: str, where: str, message: str) -> ParameterError:
    return ParameterError(f"{source}, {where}: {message}")


def _per_axis(source: str, where: str, field: str, value, ndim: int | None) -> tuple[int, ...]:
    try:
        return broadcast(ndim, **{field: value})[1][field]
    except ParameterError as error:
        raise _fail(source, where, str(error)) from None


def _channels(source: str, where: str, value) -> int | None:
    """An optional channel count: a whole number ≥ 1 (never a word such as "rgb", a fraction or 0)."""
    try:
        return None if value is None else check_at_least("channels", value, 1)
    except ParameterError as error:
        raise _fail(source, where, str(error)) from None


def parse_encoder(text: str, source: str = "spec", format: str = "toml") -> Encoder:
    """An Encoder from TOML or JSON text; ``source`` names the file in errors."""
    data = parse_document(text, source, format)
    unknown = set(data) - {"input", "input_size", "channels", "layers"}
    if unknown:
        raise _fail(source, "top level", f"unknown field(s) {', '.join(sorted(unknown))}, the fields are "
                                         f"input, channels and layers; remove or rename them")
    if "input" not in data and "input_size" not in data:
        raise _fail(source, "top level", "the field 'input' is missing, a spec starts from the input size; "
                                         "add e.g. input = [64, 64]")
    input_size = _per_axis(source, "top level", "input", data.get("input", data.get("input_size")), None)
    ndim = len(input_size)
    if ndim > 3:
        raise _fail(source, "top level", f"input has {ndim} axes but a network's convolutions have 1 to 3 "
                                         f"spatial axes (Conv1d/2d/3d); give 1 to 3 sizes")
    channels = _channels(source, "top level", data.get("channels"))
    layers_data = data.get("layers")
    if not isinstance(layers_data, list) or not layers_data:
        raise _fail(source, "top level", "'layers' must be a non-empty list of convolutions; add [[layers]] "
                                         "tables with kernel_size, stride, padding")
    if len(layers_data) > MAX_LAYERS:
        raise _fail(source, "top level", f"'layers' lists {len(layers_data)} convolutions, more than the {MAX_LAYERS} "
                                         f"mirror walks; give the encoder whose sizes matter")
    layers = []
    for n, entry in enumerate(layers_data, 1):
        where = f"layer {n}"
        if not isinstance(entry, dict):
            raise _fail(source, where, f"is a {type(entry).__name__}, each layer is a table; write it as "
                                       f"[[layers]] with kernel_size = 3")
        aliases = {short: name for name, short in FIELDS.items()}
        values = {}
        for key, value in entry.items():
            name = aliases.get(key, key)
            if name not in FIELDS and name != "name":
                raise _fail(source, where, f"unknown field '{key}', a layer has {', '.join(FIELDS)} and name; "
                                           f"remove or rename it")
            values[name] = value
        if "kernel_size" not in values:
            raise _fail(source, where, "the field 'kernel_size' is missing, every convolution needs one; "
                                       "add kernel_size = 3")
        fields = {}
        for name in ("kernel_size", "stride", "padding", "dilation"):
            fields[name] = _per_axis(source, where, name, values.get(name, DEFAULTS.get(name)), ndim)
        layers.append(EncoderLayer(str(values.get("name", f"conv{n}")), channels=_channels(source, where, values.get(
            "channels")), **fields))
    return Encoder(source, input_size, channels, tuple(layers))


def load_encoder(path: str | Path) -> Encoder:
    """Read a ``.toml`` or ``.json`` encoder spec."""
    path = Path(path)
    return parse_encoder(read_text(path), str(path), "json" if path.suffix.lower() == ".json" else "toml")


def mirror(encoder: Encoder) -> list[Level]:
    """Every encoder level with the transposed convolution that restores its input size exactly."""
    levels = []
    size = encoder.input_size
    for n, layer in enumerate(encoder.layers, 1):
        args = (layer.kernel_size, layer.stride, layer.padding, layer.dilation)
        try:
            down = conv_output_size(size, *args)
            op = output_padding_for(size, down, *args)
        except ParameterError as error:
            raise _fail(encoder.source, f"layer {n} ({layer.name})", str(error)) from None
        decoder = Layer.from_pytorch(down, layer.kernel_size, layer.stride, layer.padding, op, layer.dilation)
        levels.append(Level(layer, size, down, decoder))
        size = down
    return levels
