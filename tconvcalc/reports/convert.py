"""What ``convert`` answers: a layer read in one framework's parameters and written in another's.

>>> report = convert_report("tensorflow", "pytorch", 4, 3, 1, strides=2, padding="SAME", output_shape=8)
>>> report.crop, report.exact, report.code
(((0, 1),), False, ['layer = nn.ConvTranspose1d(in_ch, out_ch, kernel_size=3, stride=2, padding=0, output_padding=0)',
 'y = layer(x)', 'y = y[..., 0:-1]'])
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ..conventions import (dilated_kernel_code, framework_name, read_framework, to_framework, translation_code,
                           weight_recipe)
from ..errors import ParameterError
from ..records import json_keys
from ..model.spec import channel_counts, check_groups

@json_keys(optional="framework", json_names={"from_": "from"})
class ConvertReport(NamedTuple):
    """``tconvcalc convert``: the canonical crop in between, the target's parameters, code, weights, notes;
    ``channels`` (C_in, C_out) when given, else None and the code has placeholders."""

    command: str
    from_: str
    to: str
    ndim: int
    input_size: tuple[int, ...]
    kernel_size: tuple[int, ...]
    source: dict[str, Any]
    full_size: tuple[int, ...]
    crop: tuple[tuple[int, ...], ...]
    output_size: tuple[int, ...]
    groups: int
    channels: tuple[int, ...] | None
    target: dict[str, Any]
    exact: bool
    code: list[str]
    weight: str | None
    notes: list[str]
    framework: str | None


def convert_report(source: str, target: str, input_size, kernel_size, ndim: int | None = None, *,
                   default_ndim: int = 1, command: str = "convert", channels=None, **options) -> ConvertReport:
    """``options`` are ``source``'s own parameters, as :func:`tconvcalc.conventions.read_framework` takes them;
    ``channels`` (C_in, C_out, or one count for both) fill the code's channel counts, and the layer's groups
    must divide both, as PyTorch requires.

    ``command="shape"`` is ``shape --framework``: the same report, which then also names the framework.
    """
    source, target = framework_name(source), framework_name(target)
    read = read_framework(source, input_size, kernel_size, ndim, default_ndim=default_ndim, **options)
    if channels is not None:  # checked before anything is written: the counts, then the groups against them
        channels = channel_counts(channels, 2, "a layer (in, out)")
        check_groups(read.groups, *channels)
    t = to_framework(read.layer, target, read.groups)
    layer = read.layer
    notes = list(t.notes)
    try:
        weight = weight_recipe(source, target, layer.ndim, groups=read.groups,
                               source_transpose_kernel=bool(read.params.get("transpose_kernel", False)),
                               target_rhs_spec=t.params["dimension_numbers"][1] if target == "jax" else None)
        if source == "jax":
            notes.append("the JAX kernel is taken in the default spec (HWIO-style); for another layout use "
                         "conventions.convert_weight(w, 'jax', ..., source_rhs_spec=...)")
    except ParameterError as error:
        weight = None
        notes.append(str(error))
    if t.kernel_dilated:
        notes.append("dilated kernel: " + dilated_kernel_code(t.params["kernel_size"], layer.field("d")))
    target_part = t.as_dict()
    if target == "pytorch":
        target_part["groups"] = t.groups
    return ConvertReport(command, source, target, layer.ndim, layer.input_size, layer.kernel_size,
                         {"framework": source, **read.params}, layer.field("full"), layer.crop, layer.output_size,
                         read.groups, channels, target_part, t.exact,
                         translation_code(t, **dict(zip(("in_channels", "out_channels"), channels or ()))), weight,
                         notes,
                         source if command == "shape" else None)
