"""Every line of generated code text, in one place.

* :func:`pytorch_code` - the ``nn.ConvTranspose{1,2,3}d(...)`` line of a canonical layer (shape, plan);
  :func:`pytorch_conv_code` the direct ``nn.Conv{1,2,3}d(...)`` line (conv);
* :func:`translation_code` - a :class:`Translation`'s lines in its framework, post-crop included (convert);
* :func:`emit_code` / :func:`pytorch_sequential` - a whole stack of layers (chain, mirror ``--emit``);
* :func:`weight_recipe`, :func:`dilated_kernel_code` - the NumPy lines that carry a weight across.

Channel counts and tensor names are parameters; left out, each framework's lines use the
placeholders its own documentation uses.  Every PyTorch line takes its argument list from
:func:`pytorch_argument_list`, so the one-line and the translated layer cannot drift apart.
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

from ..model.spec import Layer, ParameterError, axes_text, channel_counts
from .names import check_rank, compact, framework_name
from .weights import weight_plan
from .translate import Translation, pytorch_arguments, to_framework

# PyTorch's keyword order; dilation and groups are left out at their default 1, as people write the line.
_PYTORCH_KEYWORDS = ("kernel_size", "stride", "padding", "output_padding", "dilation")


def pytorch_argument_list(arguments: Mapping[str, Sequence[int]], in_channels: str | int = "in_ch",
                          out_channels: str | int = "out_ch", groups: int = 1) -> str:
    """``in_ch, out_ch, kernel_size=3, stride=2, ...``: what stands between a PyTorch layer's parentheses."""
    parts = [str(in_channels), str(out_channels)]
    for name in _PYTORCH_KEYWORDS:
        if name in arguments and not (name == "dilation" and set(arguments[name]) == {1}):
            parts.append(f"{name}={compact(arguments[name])}")
    if groups != 1:
        parts.append(f"groups={groups}")
    return ", ".join(parts)


def pytorch_code(layer: Layer, in_channels: str | int = "in_ch", out_channels: str | int = "out_ch",
                 groups: int = 1) -> str:
    """The ready-to-paste ``nn.ConvTranspose{1,2,3}d(...)`` line for a PyTorch-expressible layer."""
    check_rank("pytorch", layer.ndim)
    arguments = pytorch_arguments(layer)
    if arguments is None:
        raise ParameterError(f"the crop {list(layer.crop)} has no PyTorch padding and output_padding, PyTorch "
                             f"crops p at the start and p - output_padding at the end; write the layer with "
                             f"to_framework(layer, 'pytorch'), which adds the crop after it")
    return f"nn.ConvTranspose{layer.ndim}d({pytorch_argument_list(arguments, in_channels, out_channels, groups)})"


def pytorch_conv_code(kernel_size: Sequence[int], stride: Sequence[int], padding: Sequence[int],
                      dilation: Sequence[int], in_channels: str | int = "in_ch",
                      out_channels: str | int = "out_ch") -> str:
    """The direct convolution's ``nn.Conv{1,2,3}d(...)`` line, from per-axis values."""
    check_rank("pytorch", len(kernel_size))
    arguments = {"kernel_size": kernel_size, "stride": stride, "padding": padding, "dilation": dilation}
    return f"nn.Conv{len(kernel_size)}d({pytorch_argument_list(arguments, in_channels, out_channels)})"


# --- a Translation's lines --------------------------------------------------------------------
_PLACEHOLDERS = {"x": "x", "weight": "w", "y": "y", "in_channels": "in_ch", "out_channels": "out_ch"}
# ONNX graphs name their tensors in capitals; TF and Keras count output channels as C_out.
_FRAMEWORK_PLACEHOLDERS = {"tensorflow": {"out_channels": "C_out"}, "keras": {"out_channels": "C_out"},
                           "onnx": {"x": "X", "weight": "W", "y": "Y"}}


def translation_code(t: Translation, x: str | None = None, y: str | None = None, *, weight: str | None = None,
                     in_channels: str | int | None = None, out_channels: str | int | None = None) -> list[str]:
    """``t``'s code lines in its framework: the layer, then the crop or zero-pad still to apply.

    ``x``/``y`` name the tensors in and out, ``weight`` the kernel (TF, ONNX, JAX), ``in_channels`` and
    ``out_channels`` the channel counts (PyTorch's arguments, Keras's ``filters``, TF's ``output_shape``).
    Each left at None is the framework's placeholder: ``x``, ``y``, ``w`` (``X``, ``Y``, ``W`` in ONNX),
    ``in_ch``, ``out_ch`` (``C_out`` in TF and Keras).  A framework without groups runs one layer per group
    (``t.groups_split``), so its line writes each group's share of a given ``out_channels``.
    """
    if t.groups_split and isinstance(out_channels, int):
        out_channels //= t.groups
    given = {"x": x, "y": y, "weight": weight, "in_channels": in_channels, "out_channels": out_channels}
    names = {**_PLACEHOLDERS, **_FRAMEWORK_PLACEHOLDERS.get(t.framework, {}),
             **{key: value for key, value in given.items() if value is not None}}
    return _LINES[t.framework](t, **names)


# Zeros are appended before anything is cropped: an output may lie wholly in the zeros, and
# cropping first would remove samples that are not there yet.

def _slices(post, lead: str, trail: str) -> str | None:
    """The indexing line that crops the positive parts of ``post``, or None if nothing is cropped."""
    if not any(b > 0 or e > 0 for b, e in post):
        return None
    parts = []
    for b, e in post:
        b, e = max(b, 0), max(e, 0)
        parts.append(":" if b == 0 and e == 0 else f"{b}:{-e}" if e else f"{b}:")
    return lead + ", ".join(parts) + trail


def _zeros(post) -> list[tuple[int, int]] | None:
    """Zeros to append ``(before, after)`` per axis (the negative parts of ``post``), or None."""
    if not any(b < 0 or e < 0 for b, e in post):
        return None
    return [(max(-b, 0), max(-e, 0)) for b, e in post]


def _tuple(values) -> str:
    """A Python tuple literal, ``(3,)`` for one value: Keras and JAX take tuples per axis."""
    values = list(values)
    return "(" + ", ".join(map(str, values)) + ("," if len(values) == 1 else "") + ")"


def _pytorch_lines(t: Translation, x, y, in_channels, out_channels, **_) -> list[str]:
    arguments = pytorch_argument_list(t.params, in_channels, out_channels, t.groups)
    lines = [f"layer = nn.ConvTranspose{t.ndim}d({arguments})", f"{y} = layer({x})"]
    zeros = _zeros(t.post_crop)
    if zeros:
        flat = [v for pair in reversed(zeros) for v in pair]  # F.pad: last axis first
        lines.append(f"{y} = F.pad({y}, {tuple(flat)})")
    crop = _slices(t.post_crop, f"{y} = {y}[..., ", "]")
    if crop:
        lines.append(crop)
    return lines


def _channels_last_post(t: Translation, y: str, pad: str) -> list[str]:
    lines = []
    zeros = _zeros(t.post_crop)
    if zeros:
        spec = [[0, 0]] + [list(z) for z in zeros] + [[0, 0]]
        lines.append(f"{y} = {pad}({y}, {spec})")
    crop = _slices(t.post_crop, f"{y} = {y}[:, ", ", :]")
    if crop:
        lines.append(crop)
    return lines


def _tensorflow_lines(t: Translation, x, y, weight, out_channels, **_) -> list[str]:
    p = t.params
    shape = ", ".join(["N", *map(str, p["output_shape"]), str(out_channels)])
    lines = [f"{y} = tf.nn.conv{t.ndim}d_transpose({x}, {weight}, output_shape=[{shape}], strides={p['strides']}, "
             f"padding=\"{p['padding']}\", dilations={p['dilations']})"]
    return lines + _channels_last_post(t, y, "tf.pad")


def _keras_lines(t: Translation, x, y, out_channels, **_) -> list[str]:
    p = t.params
    args = [f"filters={out_channels}", f"kernel_size={_tuple(p['kernel_size'])}", f"strides={_tuple(p['strides'])}",
            f"padding=\"{p['padding']}\""]
    if p["output_padding"] is not None:
        args.append(f"output_padding={_tuple(p['output_padding'])}")
    if set(p["dilation_rate"]) != {1}:
        args.append(f"dilation_rate={_tuple(p['dilation_rate'])}")
    lines = [f"{y} = keras.layers.Conv{t.ndim}DTranspose({', '.join(args)})({x})"]
    return lines + _channels_last_post(t, y, "keras.ops.pad")


def _onnx_lines(t: Translation, x, y, weight, **_) -> list[str]:
    p = t.params
    attrs = [f"kernel_shape={p['kernel_shape']}", f"strides={p['strides']}"]
    if p["auto_pad"] != "NOTSET":
        attrs.append(f"auto_pad=\"{p['auto_pad']}\"")
    for name in ("pads", "output_shape"):
        if p.get(name) is not None:
            attrs.append(f"{name}={p[name]}")
    if any(p["output_padding"]):
        attrs.append(f"output_padding={p['output_padding']}")
    if set(p["dilations"]) != {1}:
        attrs.append(f"dilations={p['dilations']}")
    if t.groups > 1:
        attrs.append(f"group={t.groups}")
    lines = [f"onnx.helper.make_node(\"ConvTranspose\", [\"{x}\", \"{weight}\"], [\"{y}\"], {', '.join(attrs)})"]
    post = t.post_crop
    zeros = _zeros(post)
    if zeros:
        pads = [0, 0] + [z[0] for z in zeros] + [0, 0] + [z[1] for z in zeros]
        lines.append(f"then Pad(pads={pads}, mode=\"constant\")")
    if any(b > 0 or e > 0 for b, e in post):
        starts = [max(b, 0) for b, _ in post]
        ends = [-max(e, 0) if e > 0 else 2**63 - 1 for _, e in post]  # INT64_MAX: to the end
        lines.append(f"then Slice(starts={starts}, ends={ends}, axes={list(range(2, 2 + t.ndim))})")
    return lines


def _jax_lines(t: Translation, x, y, weight, **_) -> list[str]:
    # JAX's explicit pads reach every crop, so a JAX translation never has a post-crop.
    p = t.params
    padding = f"\"{p['padding']}\"" if isinstance(p["padding"], str) else _tuple(_tuple(q) for q in p["padding"])
    dn = _tuple(f'"{s}"' for s in p["dimension_numbers"])
    return [f"{y} = jax.lax.conv_transpose({x}, {weight}, strides={_tuple(p['strides'])}, padding={padding}, "
            f"rhs_dilation={_tuple(p['rhs_dilation'])}, dimension_numbers={dn}, transpose_kernel=True)"]


_LINES: dict[str, Callable[..., list[str]]] = {
    "pytorch": _pytorch_lines, "tensorflow": _tensorflow_lines, "keras": _keras_lines, "onnx": _onnx_lines,
    "jax": _jax_lines}


# --- a whole stack ----------------------------------------------------------------------------
_STACK_IMPORTS = {"keras": "import keras", "onnx": "import onnx"}


def _size_change(layer: Layer) -> str:
    return axes_text(layer.input_size) + " -> " + axes_text(layer.output_size)


def pytorch_sequential(layers: Sequence[Layer], channels: Sequence[int] | None) -> str:
    """``nn.Sequential(...)`` with one transposed convolution per layer; channels[n] -> channels[n+1]."""
    names = [str(c) for c in channels] if channels else [f"ch{n}" for n in range(len(layers) + 1)]
    lines = ["import torch.nn as nn", "", "model = nn.Sequential("]
    for n, layer in enumerate(layers):
        lines.append(f"    {pytorch_code(layer, names[n], names[n + 1])},  # {_size_change(layer)}")
    lines.append(")")
    return "\n".join(lines)


def _translated_stack(framework: str, layers: Sequence[Layer], channels: Sequence[int] | None) -> str:
    """One translated layer after another on tensors h0, h1, ... (weights W1, W2, ...), each followed by
    its exact crop or zero-pad when needed."""
    lines = [_STACK_IMPORTS[framework], ""]
    for n, layer in enumerate(layers):
        t = to_framework(layer, framework)
        lines.append(f"# layer {n + 1}: {_size_change(layer)}" + ("" if t.exact else ", exact with the step after it"))
        lines += translation_code(t, f"h{n}", f"h{n + 1}", weight=f"W{n + 1}",
                                  out_channels=channels[n + 1] if channels else None)
    return "\n".join(lines)


def emit_code(framework: str, layers: Sequence[Layer], channels: Sequence[int] | None) -> str:
    """Code for the whole stack in ``framework`` (pytorch, keras or onnx); ``channels`` is one count per
    boundary (input, then each layer's output), or None for placeholders."""
    framework = framework_name(framework)
    if channels is not None:
        channels = channel_counts(channels, len(layers) + 1,
                                  f"a stack of {len(layers)} layers (its input, then each layer's output)")
    if framework == "pytorch":
        return pytorch_sequential(layers, channels)
    if framework not in _STACK_IMPORTS:
        raise ParameterError(f"framework {framework!r} has no stack code, emit_code writes pytorch, keras or onnx; "
                             f"use one of those, or translation_code for one layer")
    return _translated_stack(framework, layers, channels)


# --- weights ----------------------------------------------------------------------------------
# The variable each framework's weight has in the recipe line.
_WEIGHT_NAMES = {"pytorch": "w_torch", "onnx": "w_onnx", "tensorflow": "w_tf", "keras": "w_keras", "jax": "w_jax"}


def weight_recipe(source: str, target: str, ndim: int, *, groups: int = 1, source_rhs_spec: str | None = None,
                  source_transpose_kernel: bool = False, target_rhs_spec: str | None = None,
                  target_transpose_kernel: bool = True) -> str:
    """The one-line NumPy recipe that turns ``source``'s weight into ``target``'s (see ``weights.weight_plan``)."""
    plan = weight_plan(source, target, ndim, groups=groups, source_rhs_spec=source_rhs_spec,
                       source_transpose_kernel=source_transpose_kernel, target_rhs_spec=target_rhs_spec,
                       target_transpose_kernel=target_transpose_kernel)
    a, b = _WEIGHT_NAMES[plan.source.framework], _WEIGHT_NAMES[plan.target.framework]
    if a == b:
        a, b = a + "_in", b
    expr = a if plan.permutation == tuple(range(ndim + 2)) else f"np.transpose({a}, {plan.permutation})"
    if plan.flip_axes:
        expr = f"np.flip({expr}, axis={plan.flip_axes})"
    return f"{b} = {expr}"


def dilated_kernel_code(kernel_size: Sequence[int], dilation: Sequence[int]) -> str:
    """A Keras kernel dilated by hand: ``d - 1`` zeros between taps, for a layer with dilation 1."""
    return ("w_dilated = np.zeros((" + ", ".join(map(str, kernel_size)) + ", C_out, C_in)); w_dilated["
            + ", ".join(f"::{d}" for d in dilation) + "] = w_keras")
