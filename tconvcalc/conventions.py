"""Framework spellings of the canonical crop model, both ways.

Every framework's transposed convolution is, per axis, the full scatter
``F = (i-1)*s + d*(k-1) + 1`` cropped by ``(b, e)`` (negative: zeros added):

* **pytorch** ``padding p``, ``output_padding op``: ``(p, p - op)``; ``forward(output_size=n)``
  solves ``op = n - (F - 2p)`` within ``[0, s)``.
* **tensorflow** ``tf.nn.conv{1,2,3}d_transpose`` is the gradient of the convolution of a
  length-``n`` (``output_shape``) signal: ``VALID`` crops ``(0, F - n)``; ``SAME`` pads that
  convolution by ``t = max((ceil(n/s)-1)*s + d*(k-1) + 1 - n, 0)``, ``t//2`` before and the
  rest (the odd one) after, so the crop is ``(t//2, F - t//2 - n)``.  TF checks that the
  convolution of ``n`` gives ``i``.
* **keras** ``Conv{1,2,3}DTranspose`` computes ``n`` (Keras 3 ``compute_conv_transpose_output_length``:
  ``valid``: ``(i-1)s + K + op`` with ``op = max(K, s) - K`` when None; ``same``: ``i*s`` when
  None, else ``(i-1)s + K % 2 + op``; ``K = d(k-1)+1``) and hands it to TensorFlow's rule.
* **onnx** ``ConvTranspose`` as its reference implementation runs it: explicit ``pads``
  ``(b, e + op) = (pads_begin, pads_end)``; ``SAME_UPPER``/``SAME_LOWER`` split the total
  ``t = F + op - n`` (``n = output_shape`` or ``i*s``) with floor division, ``t//2`` before
  for UPPER and ``t - t//2`` before for LOWER (so a negative odd total puts the extra zero
  *before* for UPPER); ``output_shape`` with ``NOTSET``/``VALID`` keeps ``b = 0`` and cuts
  or extends the end.
* **jax** ``jax.lax.conv_transpose`` pads the stride-dilated input by ``(lo, hi)`` in the
  equivalent direct convolution's frame: ``(b, e) = (K-1-lo, K-1-hi)``; ``SAME``/``VALID`` are
  its ``_conv_transpose_padding`` with the dilated kernel ``K``.  ``transpose_kernel=True``
  flips the kernel and swaps its I/O axes; without it the kernel is used as a correlation.

Imports nothing beyond the standard library and :mod:`tconvcalc.spec`: the shape path
(``shape``, ``convert``) must stay cheap.  ``convert_weight`` imports NumPy when called.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Sequence

from .arithmetic import output_padding_for
from .spec import Axis, Layer, ParameterError, check_at_least, check_int, full_length, kernel_span, op_limit

__all__ = [
    "FRAMEWORKS", "Translation", "compact", "pytorch_arguments", "pytorch_code", "framework_name",
    "framework_options", "read_framework", "layer_from_framework", "to_framework", "convert",
    "weight_layout", "weight_recipe", "convert_weight", "parse_jax_padding",
]

FRAMEWORKS = ("pytorch", "tensorflow", "keras", "onnx", "jax")
_ALIASES = {"torch": "pytorch", "pt": "pytorch", "tf": "tensorflow", "keras3": "keras", "tf.keras": "keras",
            "flax": "jax"}

# Each framework's own option names; generic spellings map onto them.
_OWN = {
    "pytorch": ("stride", "padding", "output_padding", "dilation", "groups", "output_size"),
    "tensorflow": ("strides", "padding", "output_shape", "dilations"),
    "keras": ("strides", "padding", "output_padding", "dilation_rate"),
    "onnx": ("strides", "pads", "output_padding", "output_shape", "auto_pad", "dilations", "group"),
    "jax": ("strides", "padding", "rhs_dilation", "transpose_kernel", "dimension_numbers"),
}
_STRIDE = {"pytorch": "stride", "tensorflow": "strides", "keras": "strides", "onnx": "strides", "jax": "strides"}
_DILATION = {"pytorch": "dilation", "tensorflow": "dilations", "keras": "dilation_rate", "onnx": "dilations",
             "jax": "rhs_dilation"}
_GROUPS = {"pytorch": "groups", "onnx": "group"}
_GENERIC = {"stride": _STRIDE, "strides": _STRIDE, "dilation": _DILATION, "dilations": _DILATION,
            "dilation_rate": _DILATION, "rhs_dilation": _DILATION, "groups": _GROUPS, "group": _GROUPS}

_SPATIAL = {1: "H", 2: "HW", 3: "DHW"}


# --- the PyTorch code printing the shape path already uses ---------------------------------
def compact(values: Sequence[int]) -> str:
    """``3`` when every axis agrees, ``(3, 5)`` otherwise - as one writes a layer by hand."""
    values = tuple(values)
    if len(set(values)) == 1:
        return str(values[0])
    return "(" + ", ".join(map(str, values)) + ")"


def pytorch_arguments(layer: Layer) -> dict[str, tuple[int, ...]] | None:
    """``kernel_size, stride, padding, output_padding, dilation`` per axis, or None if PyTorch can't."""
    pairs = [axis.pytorch for axis in layer.axes]
    if any(pair is None for pair in pairs):
        return None
    return {
        "kernel_size": layer.field("k"),
        "stride": layer.field("s"),
        "padding": tuple(p for p, _ in pairs),
        "output_padding": tuple(op for _, op in pairs),
        "dilation": layer.field("d"),
    }


def pytorch_code(layer: Layer, in_channels: str | int = "in_ch", out_channels: str | int = "out_ch") -> str:
    """The ready-to-paste ``nn.ConvTranspose{1,2,3}d(...)`` line for a PyTorch-expressible layer."""
    args = pytorch_arguments(layer)
    if args is None:
        raise ValueError("this crop has no PyTorch padding/output_padding; see conventions for the recipe")
    parts = [str(in_channels), str(out_channels)]
    for name in ("kernel_size", "stride", "padding", "output_padding", "dilation"):
        if name == "dilation" and set(args[name]) == {1}:
            continue  # PyTorch's default; the line stays as people write it
        parts.append(f"{name}={compact(args[name])}")
    return f"nn.ConvTranspose{layer.ndim}d({', '.join(parts)})"


# --- names and options ----------------------------------------------------------------------
def framework_name(name: str) -> str:
    """``'tf'`` -> ``'tensorflow'``; an unknown name fails with the list of known ones."""
    key = str(name).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in FRAMEWORKS:
        raise ParameterError(f"framework {name!r} is unknown, tconvcalc speaks {', '.join(FRAMEWORKS)}; "
                             f"pick one of those (aliases: torch, tf)")
    return key


def framework_options(framework: str) -> tuple[str, ...]:
    """The option names ``framework`` itself uses."""
    return _OWN[framework_name(framework)]


def _own_names(framework: str, options: dict) -> dict:
    """Map generic spellings (stride, dilation, groups) onto the framework's; reject foreign options."""
    out: dict = {}
    for name, value in options.items():
        if value is None:
            continue
        own = name
        if name not in _OWN[framework]:
            own = _GENERIC.get(name, {}).get(framework)
            if own is None:
                if name in ("groups", "group"):
                    if check_at_least(name, value, 1) == 1:
                        continue
                    raise ParameterError(
                        f"{name}={value} asks for a grouped layer, which {framework} has no parameter for; "
                        f"use groups=1, or pytorch/onnx, or run one layer per channel group and concatenate")
                raise ParameterError(
                    f"{name} is not a {framework} option, {framework} takes {', '.join(_OWN[framework])}; "
                    f"use those names")
        if own in out:
            raise ParameterError(f"{name} and another spelling both set {framework}'s {own}, only one may; "
                                 f"give {own} once")
        out[own] = value
    return out


def _sizes(name: str, value, ndim: int) -> tuple[int, ...]:
    if isinstance(value, (list, tuple)):
        if len(value) != ndim:
            raise ParameterError(f"{name} has {len(value)} values but the layer has {ndim} axes, every "
                                 f"per-axis parameter needs one value per axis; give {name} {ndim} values")
        return tuple(check_int(name, v) for v in value)
    return (check_int(name, value),) * ndim


def _ndim(ndim, *values, halves=()) -> int:
    lengths = {len(v) for v in values if isinstance(v, (list, tuple)) and not isinstance(v, str)}
    lengths |= {len(v) // 2 for v in halves if isinstance(v, (list, tuple))}
    if ndim is not None:
        return check_at_least("ndim", ndim, 1)
    lengths.discard(1)
    if len(lengths) > 1:
        raise ParameterError(f"the per-axis parameters disagree on the number of axes ({sorted(lengths)}), "
                             f"every per-axis parameter needs one value per axis; give each the same count")
    return lengths.pop() if lengths else 1


def _axis_list(name, value, ndim, low):
    values = _sizes(name, value, ndim)
    for v in values:
        check_at_least(name, v, low)
    return values


def _choice(name: str, value, allowed: Sequence[str], framework: str, upper: bool) -> str:
    text = str(value).strip()
    key = text.upper() if upper else text.lower()
    if key not in allowed:
        raise ParameterError(f"{name}={value!r} is not a {framework} {name}, {framework} accepts "
                             f"{' or '.join(repr(a) for a in allowed)}; use one of those")
    return key


def parse_jax_padding(text: str):
    """``'SAME'``, ``'VALID'`` or ``'1:2,0:1'`` (``lo:hi`` per axis) -> JAX's padding argument."""
    text = str(text).strip()
    if ":" not in text:
        return text
    pairs = []
    for item in text.split(","):
        lo, sep, hi = item.strip().partition(":")
        try:
            pairs.append((int(lo), int(hi)))
        except ValueError:
            raise ParameterError(f"JAX padding {text!r} is not 'SAME', 'VALID' or lo:hi pairs, explicit padding "
                                 f"is one lo:hi pair of integers per axis; write e.g. 1:2,0:1") from None
    return tuple(pairs)


# --- reading a framework's layer ----------------------------------------------------------
FrameworkLayer = namedtuple("FrameworkLayer", "framework layer groups params")
FrameworkLayer.__doc__ = "A framework's layer read into the canonical model: ``layer`` plus its ``groups``."


def read_framework(framework: str, input_size, kernel_size, ndim: int | None = None,
                   **options) -> FrameworkLayer:
    """The canonical :class:`Layer` of a layer written in ``framework``'s own parameters.

    ``options`` use the framework's names (``padding``, ``output_padding``, ``output_shape``,
    ``pads``, ``auto_pad``, ``strides``, ``dilations``, ``group``, ...); the generic
    ``stride``, ``dilation``, ``groups`` are accepted for every framework.  A parameter
    the framework rejects raises :class:`ParameterError` with its rule.
    """
    framework = framework_name(framework)
    opts = _own_names(framework, options)
    reader = {"pytorch": _read_pytorch, "tensorflow": _read_tensorflow, "keras": _read_keras,
              "onnx": _read_onnx, "jax": _read_jax}[framework]
    return reader(input_size, kernel_size, ndim, opts)


def layer_from_framework(framework: str, input_size, kernel_size, **framework_options) -> Layer:
    """The canonical :class:`Layer` (crop model) of ``framework``'s layer; see :func:`read_framework`."""
    return read_framework(framework, input_size, kernel_size, **framework_options).layer


def _groups(name: str, value) -> int:
    return check_at_least(name, 1 if value is None else value, 1)


def _read_pytorch(i, k, ndim, o):
    s, p, op, d = (o.get(n, dflt) for n, dflt in
                   (("stride", 1), ("padding", 0), ("output_padding", 0), ("dilation", 1)))
    size = o.get("output_size")
    n = _ndim(ndim, i, k, s, p, op, d, size)
    i, k, s, p, d = (_sizes(name, v, n) for name, v in
                     (("input_size", i), ("kernel_size", k), ("stride", s), ("padding", p), ("dilation", d)))
    op = _sizes("output_padding", op, n)
    if size is not None:
        size = _sizes("output_size", size, n)
        op = tuple(output_padding_for(size, i, k, s, p, d))  # exactly forward(output_size=...)
    layer = Layer(tuple(Axis.from_pytorch(*a) for a in zip(i, k, s, p, op, d)))
    params = {"stride": list(s), "padding": list(p), "output_padding": list(op), "dilation": list(d)}
    return FrameworkLayer("pytorch", layer, _groups("groups", o.get("groups")), params)


def _tf_crop(i, k, s, d, n, padding):
    """TensorFlow's rule for one axis: the crop, or the sizes TF accepts when it refuses ``n``."""
    full = full_length(i, k, s, d)
    if padding == "VALID":
        if not full <= n <= full + s - 1:
            return None, (full, full + s - 1)
        return (0, full - n), None
    if not (i - 1) * s + 1 <= n <= i * s:
        return None, ((i - 1) * s + 1, i * s)
    t = max(full - n, 0)
    return (t // 2, full - t // 2 - n), None


def _read_tensorflow(i, k, ndim, o, what="tf.nn.conv_transpose", padding_name="padding"):
    s, d = o.get("strides", 1), o.get("dilations", 1)
    shape = o.get("output_shape")
    if shape is None:
        raise ParameterError("output_shape is missing, tf.nn.conv{1,2,3}d_transpose needs the output's spatial "
                             "size (it is the gradient of the convolution of that size); give output_shape, "
                             "e.g. output_shape=(8, 8)")
    if "padding" not in o:
        raise ParameterError("padding is missing, tf.nn.conv{1,2,3}d_transpose needs 'SAME' or 'VALID'; "
                             "give padding='SAME' or padding='VALID'")
    padding = _choice("padding", o["padding"], ("SAME", "VALID"), "tensorflow", upper=True)
    n = _ndim(ndim, i, k, s, d, shape)
    i, k, s, d = (_axis_list(name, v, n, 1) for name, v in
                  (("input_size", i), ("kernel_size", k), ("strides", s), ("dilations", d)))
    shape = _axis_list("output_shape", shape, n, 1)
    axes = []
    for ax in range(n):
        crop, window = _tf_crop(i[ax], k[ax], s[ax], d[ax], shape[ax], padding)
        if crop is None:
            rule = ("ceil(n/s) = i" if padding == "SAME" else "floor((n - d*(k-1) - 1)/s) + 1 = i")
            raise ParameterError(
                f"output_shape={shape[ax]} on axis {ax} is not a size whose {padding} convolution gives input "
                f"{i[ax]}, {what} requires {rule}; use output_shape {window[0]}..{window[1]}")
        axes.append(Axis(i[ax], k[ax], s[ax], d[ax], *crop))
    params = {"strides": list(s), "padding": padding, "output_shape": list(shape), "dilations": list(d)}
    return FrameworkLayer("tensorflow", Layer(tuple(axes)), 1, params)


def _tf_dilation_rule(s, d, framework):
    if any(v > 1 for v in s) and any(v > 1 for v in d):
        raise ParameterError(f"strides={compact(s)} with dilation_rate={compact(d)}: Keras does not support "
                             f"strides > 1 together with dilation_rate > 1; use one of them, or dilate the "
                             f"kernel by hand (zeros between taps) and use dilation_rate=1")


def keras_output_length(i: int, k: int, s: int, d: int, padding: str, output_padding: int | None) -> int:
    """Keras 3 ``compute_conv_transpose_output_length`` (the TF backend's output_shape)."""
    span = kernel_span(k, d)
    if padding == "valid":
        op = max(span, s) - span if output_padding is None else output_padding
        return (i - 1) * s + span + op
    if output_padding is None:
        return i * s
    return (i - 1) * s + span % 2 + output_padding


def _read_keras(i, k, ndim, o):
    s, d = o.get("strides", 1), o.get("dilation_rate", 1)
    padding = _choice("padding", o.get("padding", "valid"), ("valid", "same"), "keras", upper=False)
    op = o.get("output_padding")
    if isinstance(op, str) and op.strip().lower() == "none":
        op = None
    n = _ndim(ndim, i, k, s, d, op)
    i, k, s, d = (_axis_list(name, v, n, 1) for name, v in
                  (("input_size", i), ("kernel_size", k), ("strides", s), ("dilation_rate", d)))
    ops = None if op is None else _axis_list("output_padding", op, n, 0)
    if ops is not None:
        for ax in range(n):
            if ops[ax] >= s[ax]:
                raise ParameterError(
                    f"output_padding={ops[ax]} on axis {ax} is not < strides={s[ax]}, Keras requires output_padding "
                    f"strictly less than strides; use output_padding 0..{s[ax] - 1} or None")
    _tf_dilation_rule(s, d, "keras")
    axes = []
    for ax in range(n):
        size = keras_output_length(i[ax], k[ax], s[ax], d[ax], padding, None if ops is None else ops[ax])
        crop, _ = _tf_crop(i[ax], k[ax], s[ax], d[ax], size, padding.upper())
        if crop is None:
            raise ParameterError(
                f"padding='same' with output_padding={ops[ax]} and an even dilated kernel "
                f"{kernel_span(k[ax], d[ax])} on axis {ax} asks "
                f"TensorFlow for output {size}, whose SAME convolution does not give {i[ax]} (TF needs "
                f"ceil(n/s) = i); use output_padding ≥ 1 or None")
        axes.append(Axis(i[ax], k[ax], s[ax], d[ax], *crop))
    params = {"strides": list(s), "padding": padding, "output_padding": None if ops is None else list(ops),
              "dilation_rate": list(d)}
    return FrameworkLayer("keras", Layer(tuple(axes)), 1, params)


def _onnx_split(total: int, auto_pad: str) -> tuple[int, int]:
    """ONNX's split of the total padding (reference implementation: Python floor division)."""
    if auto_pad == "SAME_UPPER":
        return total // 2, total - total // 2
    return total - total // 2, total // 2


def _read_onnx(i, k, ndim, o):
    s, d = o.get("strides", 1), o.get("dilations", 1)
    pads, op, shape = o.get("pads"), o.get("output_padding", 0), o.get("output_shape")
    auto_pad = _choice("auto_pad", o.get("auto_pad", "NOTSET"), ("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"),
                       "onnx", upper=True)
    if pads is not None and not isinstance(pads, (list, tuple)):
        pads = [pads]
    n = _ndim(ndim, i, k, s, d, op, shape, halves=[pads] if pads is not None and len(pads) % 2 == 0 else [])
    i, k, s, d = (_axis_list(name, v, n, 1) for name, v in
                  (("input_size", i), ("kernel_size", k), ("strides", s), ("dilations", d)))
    op = _axis_list("output_padding", op, n, 0)
    if pads is not None:
        if len(pads) != 2 * n:
            raise ParameterError(
                f"pads has {len(pads)} values but ONNX needs 2 per axis (all begins, then all ends), "
                f"{2 * n} for this {n}-D layer; write pads={[1] * (2 * n)!r} style")
        pads = tuple(check_int("pads", v) for v in pads)
        if min(pads) < 0:
            raise ParameterError(f"pads={list(pads)} has a negative value, ONNX requires pads ≥ 0; use "
                                 f"output_shape with auto_pad for a layer that adds zeros")
        if auto_pad != "NOTSET":
            raise ParameterError(f"pads and auto_pad={auto_pad} are both set, ONNX forbids pads with an auto_pad "
                                 f"other than NOTSET; drop one of them")
        if shape is not None:
            raise ParameterError("pads and output_shape are both set, the ONNX spec then ignores pads but its "
                                 "reference implementation uses them; give only one of them")
    if shape is not None:
        shape = _axis_list("output_shape", shape, n, 1)
    group = _groups("group", o.get("group"))
    axes = []
    for ax in range(n):
        if op[ax] >= s[ax]:
            raise ParameterError(
                f"output_padding={op[ax]} on axis {ax} is not < strides={s[ax]}, ONNX's reference ConvTranspose "
                f"only adds fewer than stride samples; use output_padding 0..{s[ax] - 1} or output_shape")
        full = full_length(i[ax], k[ax], s[ax], d[ax])
        if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            size = shape[ax] if shape is not None else i[ax] * s[ax]
            pb, pe = _onnx_split(full + op[ax] - size, auto_pad)
        elif shape is not None:
            if not full <= shape[ax] <= full + s[ax] - 1:
                raise ParameterError(
                    f"output_shape={shape[ax]} on axis {ax} with auto_pad={auto_pad} is outside {full}.."
                    f"{full + s[ax] - 1}, ONNX's reference keeps the full scatter's start and allows fewer than "
                    f"stride extra samples (spec and runtimes split other totals differently); use auto_pad="
                    f"SAME_UPPER or SAME_LOWER with output_shape, or explicit pads")
            pb, pe = 0, full - shape[ax]
            op_ax = 0
            axes.append(Axis(i[ax], k[ax], s[ax], d[ax], pb, pe - op_ax))
            continue
        elif pads is not None:
            pb, pe = pads[ax], pads[ax + n]
        else:
            pb, pe = 0, 0
        axes.append(Axis(i[ax], k[ax], s[ax], d[ax], pb, pe - op[ax]))
    params = {"strides": list(s), "auto_pad": auto_pad, "pads": None if pads is None else list(pads),
              "output_padding": list(op), "output_shape": None if shape is None else list(shape),
              "dilations": list(d), "group": group}
    return FrameworkLayer("onnx", Layer(tuple(axes)), group, params)


def jax_padding_pair(span: int, s: int, padding: str) -> tuple[int, int]:
    """JAX ``_conv_transpose_padding`` for a dilated kernel of extent ``span``: ``(lo, hi)``."""
    if padding == "SAME":
        total = span + s - 2
        lo = span - 1 if s > span - 1 else -(-total // 2)
    else:
        total = span + s - 2 + max(span - s, 0)
        lo = span - 1
    return lo, total - lo


def _read_jax(i, k, ndim, o):
    s, d = o.get("strides", 1), o.get("rhs_dilation", 1)
    if "padding" not in o:
        raise ParameterError("padding is missing, jax.lax.conv_transpose needs 'SAME', 'VALID' or (lo, hi) pairs; "
                             "give e.g. padding='SAME' or padding=((1, 1), (1, 1))")
    padding = o["padding"]
    if isinstance(padding, str):
        padding = parse_jax_padding(padding)
    if isinstance(padding, str):
        padding = _choice("padding", padding, ("SAME", "VALID"), "jax", upper=True)
        pairs = None
    else:
        pairs = [tuple(pair) for pair in padding]
        if any(len(pair) != 2 for pair in pairs):
            raise ParameterError(f"padding={padding!r} is not (lo, hi) pairs, JAX's explicit padding is one "
                                 f"(lo, hi) pair per spatial axis; write e.g. ((1, 2), (0, 1))")
    n = _ndim(ndim, i, k, s, d, pairs)
    i, k, s, d = (_axis_list(name, v, n, 1) for name, v in
                  (("input_size", i), ("kernel_size", k), ("strides", s), ("rhs_dilation", d)))
    if pairs is not None and len(pairs) != n:
        raise ParameterError(f"padding has {len(pairs)} (lo, hi) pairs but the layer has {n} axes, JAX needs one "
                             f"pair per spatial axis; give {n} pairs")
    axes = []
    for ax in range(n):
        reach = kernel_span(k[ax], d[ax]) - 1
        lo, hi = pairs[ax] if pairs is not None else jax_padding_pair(reach + 1, s[ax], padding)
        lo, hi = check_int("padding", lo), check_int("padding", hi)
        axes.append(Axis(i[ax], k[ax], s[ax], d[ax], reach - lo, reach - hi))  # JAX pads the stretched input
    tk = o.get("transpose_kernel", False)
    if not isinstance(tk, bool):
        raise ParameterError(f"transpose_kernel={tk!r} is not True or False, JAX takes a bool; write "
                             f"transpose_kernel=True")
    params = {"strides": list(s), "padding": padding if pairs is None else [list(p) for p in pairs],
              "rhs_dilation": list(d), "transpose_kernel": tk}
    if "dimension_numbers" in o:
        params["dimension_numbers"] = o["dimension_numbers"]
    return FrameworkLayer("jax", Layer(tuple(axes)), 1, params)


# --- writing a canonical layer in a framework ----------------------------------------------
class Translation(namedtuple("Translation", "framework layer params produced post_crop groups notes ndim "
                                           "kernel_dilated")):
    """A canonical layer written in ``framework``: ``params`` give the crop ``produced``,
    and ``post_crop`` (``(begin, end)`` per axis, negative = append zeros) turns it into
    ``layer``'s crop.  ``exact`` when no step follows the layer."""

    __slots__ = ()

    @property
    def exact(self) -> bool:
        return all(c == (0, 0) for c in self.post_crop) and not self.kernel_dilated and self.groups_split is False

    @property
    def groups_split(self) -> bool:
        return self.groups > 1 and self.framework not in _GROUPS

    @property
    def output_size(self) -> tuple[int, ...]:
        return self.layer.output_size

    def code(self, x: str = "x", y: str = "y") -> list[str]:
        return _CODE[self.framework](self, x, y)

    def options(self) -> dict:
        """``params`` as :func:`read_framework` takes them (reading them back gives ``produced``)."""
        names = {name for name in _OWN[self.framework] if name != "dimension_numbers"}
        out = {name: value for name, value in self.params.items() if name in names and value is not None}
        if self.framework in _GROUPS:
            out[_GROUPS[self.framework]] = self.groups
        return out

    def read_back(self) -> FrameworkLayer:
        """The target's parameters read back into the canonical model (the crop before ``post_crop``)."""
        kernel = self.params.get("kernel_size", self.params.get("kernel_shape"))
        return read_framework(self.framework, list(self.layer.input_size), kernel, self.ndim, **self.options())

    def as_dict(self) -> dict:
        out = {"framework": self.framework, **self.params,
               "post_crop": [list(c) for c in self.post_crop], "exact": self.exact}
        return out


def _cost(post):
    """Rank candidates: exact first, then crops only (no zeros to add), then the least work."""
    return (sum(abs(b) + abs(e) for b, e in post) > 0, any(b < 0 or e < 0 for b, e in post),
            sum(abs(b) + abs(e) for b, e in post))


def _post(axis: Axis, produced) -> tuple[int, int]:
    return axis.b - produced[0], axis.e - produced[1]


def _undilate(layer: Layer) -> Layer:
    """The same layer with its kernel dilated by hand (zeros between taps) and dilation 1."""
    return Layer(tuple(Axis(a.i, a.span, a.s, 1, a.b, a.e) for a in layer.axes))


def to_framework(layer: Layer, framework: str, groups: int = 1) -> Translation:
    """``layer`` (canonical) in ``framework``'s parameters, plus the crop to apply after it if needed."""
    framework = framework_name(framework)
    groups = check_at_least("groups", groups, 1)
    notes = []
    work, dilated = layer, False
    if framework == "keras":
        if any(a.s > 1 for a in layer.axes) and any(a.d > 1 for a in layer.axes):
            work, dilated = _undilate(layer), True
            notes.append(f"{framework} rejects dilation > 1 with stride > 1: dilate the kernel by hand (insert "
                         f"d-1 zeros between taps, kernel {compact(work.kernel_size)}) and use dilation 1")
    writer = {"pytorch": _to_pytorch, "tensorflow": _to_tensorflow, "keras": _to_keras, "onnx": _to_onnx,
              "jax": _to_jax}[framework]
    params, produced = writer(work)
    post = tuple(_post(a, c) for a, c in zip(layer.axes, produced))
    if groups > 1 and framework not in _GROUPS:
        notes.append(f"{framework} has no groups: split the channels into {groups} groups, run one layer per group "
                     f"and concatenate the outputs along the channel axis")
    if any(c != (0, 0) for c in post):
        what = []
        if any(b > 0 or e > 0 for b, e in post):
            what.append("crop")
        if any(b < 0 or e < 0 for b, e in post):
            what.append("zero-pad")
        notes.append(f"{framework} cannot express this crop in one layer: apply the {' and '.join(what)} after it "
                     f"(post_crop, negative = zeros appended)")
    return Translation(framework, layer, params, tuple(produced), post, groups, tuple(notes), layer.ndim, dilated)


def _to_pytorch(layer: Layer):
    ps, ops, produced = [], [], []
    for a in layer.axes:
        limit = op_limit(a.s, a.d)
        if a.pytorch is not None:
            p, op = a.pytorch
        else:
            p = max(0, min(a.b, a.e + limit - 1))
            op = min(max(p - a.e, 0), limit - 1)
        ps.append(p)
        ops.append(op)
        produced.append((p, p - op))
    params = {"kernel_size": list(layer.kernel_size), "stride": list(layer.field("s")), "padding": ps,
              "output_padding": ops, "dilation": list(layer.field("d"))}
    return params, produced


def _tf_candidates(a: Axis, padding: str):
    """Every output_shape TensorFlow accepts on this axis with its crop."""
    sizes = range(a.full, a.full + a.s) if padding == "VALID" else range(a.stretched, a.i * a.s + 1)
    for n in sizes:
        crop, _ = _tf_crop(a.i, a.k, a.s, a.d, n, padding)
        yield n, crop


def _to_tensorflow(layer: Layer):
    best = None
    for padding in ("SAME", "VALID"):
        shape, produced = [], []
        for a in layer.axes:
            n, crop = min(_tf_candidates(a, padding), key=lambda c: _cost([_post(a, c[1])]))
            shape.append(n)
            produced.append(crop)
        cost = _cost([_post(a, c) for a, c in zip(layer.axes, produced)])
        if best is None or cost < best[0]:
            best = (cost, padding, shape, produced)
    _, padding, shape, produced = best
    params = {"kernel_size": list(layer.kernel_size), "strides": list(layer.field("s")), "padding": padding,
              "output_shape": shape, "dilations": list(layer.field("d"))}
    return params, produced


def _to_keras(layer: Layer):
    best = None
    for padding in ("same", "valid"):
        for with_op in (False, True):
            ops, produced = [], []
            for a in layer.axes:
                options = [None] if not with_op else list(range(a.s))
                cands = []
                for op in options:
                    n = keras_output_length(a.i, a.k, a.s, a.d, padding, op)
                    crop, _ = _tf_crop(a.i, a.k, a.s, a.d, n, padding.upper())
                    if crop is not None:
                        cands.append((op, crop))
                if not cands:
                    break
                op, crop = min(cands, key=lambda c: _cost([_post(a, c[1])]))
                ops.append(op)
                produced.append(crop)
            else:
                cost = _cost([_post(a, c) for a, c in zip(layer.axes, produced)])
                if best is None or cost < best[0]:
                    best = (cost, padding, ops if with_op else None, produced)
    _, padding, ops, produced = best
    params = {"kernel_size": list(layer.kernel_size), "strides": list(layer.field("s")), "padding": padding,
              "output_padding": ops, "dilation_rate": list(layer.field("d"))}
    return params, produced


def _to_onnx(layer: Layer):
    base = {"kernel_shape": list(layer.kernel_size), "strides": list(layer.field("s")),
            "dilations": list(layer.field("d"))}
    # Explicit pads (NOTSET) with output_padding for the zeros at the end.
    pads_b, pads_e, ops, produced = [], [], [], []
    for a in layer.axes:
        pb = max(a.b, 0)
        if a.e >= 0:
            pe, op = a.e, 0
        else:
            pe, op = 0, min(-a.e, a.s - 1)
        while a.full - pb - pe + op < 1:  # the layer itself must still give at least one sample
            if pb >= pe:
                pb -= 1
            else:
                pe -= 1
        pads_b.append(pb)
        pads_e.append(pe)
        ops.append(op)
        produced.append((pb, pe - op))
    explicit = ({**base, "auto_pad": "NOTSET", "pads": pads_b + pads_e, "output_padding": ops}, produced)
    if all(_post(a, c) == (0, 0) for a, c in zip(layer.axes, produced)):
        return explicit
    # Zeros before the first sample: only auto_pad's split of a negative total gets there.
    for auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        shape, ops, produced = [], [], []
        for a in layer.axes:
            found = None
            for op in range(a.s):
                total = a.b + a.e + op
                pb, pe = _onnx_split(total, auto_pad)
                if (pb, pe - op) == (a.b, a.e):
                    found = op
                    break
            if found is None:
                break
            shape.append(a.o)
            ops.append(found)
            produced.append((a.b, a.e))
        else:
            return {**base, "auto_pad": auto_pad, "output_shape": shape, "output_padding": ops}, produced
    return explicit


def _to_jax(layer: Layer):
    pairs = list(layer.field("zero_insertion_pads"))  # JAX's (lo, hi) pad the stretched input
    padding = [list(p) for p in pairs]
    for name in ("SAME", "VALID"):
        if all(jax_padding_pair(a.span, a.s, name) == p for a, p in zip(layer.axes, pairs)):
            padding = name
            break
    params = {"kernel_size": list(layer.kernel_size), "strides": list(layer.field("s")), "padding": padding,
              "rhs_dilation": list(layer.field("d")), "transpose_kernel": True,
              "dimension_numbers": _jax_default_torch_dn(layer.ndim)}
    return params, [(a.b, a.e) for a in layer.axes]


def _jax_default_torch_dn(ndim: int) -> list[str]:
    """Dimension numbers that take PyTorch's x and weight as they are (with transpose_kernel=True)."""
    sp = _SPATIAL[ndim]
    return ["NC" + sp, "OI" + sp, "NC" + sp]


def convert(source: str, target: str, input_size, kernel_size, ndim: int | None = None,
            **options) -> Translation:
    """Read a layer in ``source``'s parameters and write it in ``target``'s."""
    read = read_framework(source, input_size, kernel_size, ndim, **options)
    return to_framework(read.layer, target, read.groups)


# --- code lines -------------------------------------------------------------------------------
def _slices(post, lead: str, trail: str) -> str | None:
    if not any(b > 0 or e > 0 for b, e in post):
        return None
    parts = []
    for b, e in post:
        b, e = max(b, 0), max(e, 0)
        parts.append(":" if b == 0 and e == 0 else f"{b}:{-e}" if e else f"{b}:")
    return lead + ", ".join(parts) + trail


def _zeros(post) -> list[tuple[int, int]] | None:
    if not any(b < 0 or e < 0 for b, e in post):
        return None
    return [(max(-b, 0), max(-e, 0)) for b, e in post]


def _code_pytorch(t: Translation, x: str, y: str) -> list[str]:
    p = t.params
    args = ["in_ch", "out_ch", f"kernel_size={compact(p['kernel_size'])}", f"stride={compact(p['stride'])}",
            f"padding={compact(p['padding'])}", f"output_padding={compact(p['output_padding'])}"]
    if set(p["dilation"]) != {1}:
        args.append(f"dilation={compact(p['dilation'])}")
    if t.groups > 1:
        args.append(f"groups={t.groups}")
    lines = [f"layer = nn.ConvTranspose{t.ndim}d({', '.join(args)})", f"{y} = layer({x})"]
    crop = _slices(t.post_crop, f"{y} = {y}[..., ", "]")
    if crop:
        lines.append(crop)
    zeros = _zeros(t.post_crop)
    if zeros:
        flat = [v for pair in reversed(zeros) for v in pair]  # F.pad: last axis first
        lines.append(f"{y} = F.pad({y}, {tuple(flat)})")
    return lines


def _channels_last_post(t: Translation, y: str, pad: str) -> list[str]:
    lines = []
    crop = _slices(t.post_crop, f"{y} = {y}[:, ", ", :]")
    if crop:
        lines.append(crop)
    zeros = _zeros(t.post_crop)
    if zeros:
        spec = [[0, 0]] + [list(z) for z in zeros] + [[0, 0]]
        lines.append(f"{y} = {pad}({y}, {spec})")
    return lines


def _code_tensorflow(t: Translation, x: str, y: str) -> list[str]:
    p = t.params
    shape = ", ".join(["N", *map(str, p["output_shape"]), "C_out"])
    lines = [f"{y} = tf.nn.conv{t.ndim}d_transpose({x}, w, output_shape=[{shape}], strides={p['strides']}, "
             f"padding=\"{p['padding']}\", dilations={p['dilations']})"]
    return lines + _channels_last_post(t, y, "tf.pad")


def _code_keras(t: Translation, x: str, y: str) -> list[str]:
    p = t.params
    args = ["filters=C_out", f"kernel_size={_tuple(p['kernel_size'])}", f"strides={_tuple(p['strides'])}",
            f"padding=\"{p['padding']}\""]
    if p["output_padding"] is not None:
        args.append(f"output_padding={_tuple(p['output_padding'])}")
    if set(p["dilation_rate"]) != {1}:
        args.append(f"dilation_rate={_tuple(p['dilation_rate'])}")
    lines = [f"{y} = keras.layers.Conv{t.ndim}DTranspose({', '.join(args)})({x})"]
    return lines + _channels_last_post(t, y, "keras.ops.pad")


def _code_onnx(t: Translation, x: str, y: str) -> list[str]:
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
    lines = [f"onnx.helper.make_node(\"ConvTranspose\", [\"X\", \"W\"], [\"Y\"], {', '.join(attrs)})"]
    n = t.ndim
    post = t.post_crop
    if any(b > 0 or e > 0 for b, e in post):
        starts = [max(b, 0) for b, _ in post]
        ends = [-max(e, 0) if e > 0 else 2**63 - 1 for _, e in post]
        lines.append(f"then Slice(starts={starts}, ends={ends}, axes={list(range(2, 2 + n))})")
    zeros = _zeros(post)
    if zeros:
        pads = [0, 0] + [z[0] for z in zeros] + [0, 0] + [z[1] for z in zeros]
        lines.append(f"then Pad(pads={pads}, mode=\"constant\")")
    return lines


def _tuple(values) -> str:
    values = list(values)
    return "(" + ", ".join(map(str, values)) + ("," if len(values) == 1 else "") + ")"


def _code_jax(t: Translation, x: str, y: str) -> list[str]:
    p = t.params
    padding = f"\"{p['padding']}\"" if isinstance(p["padding"], str) else _tuple(_tuple(q) for q in p["padding"])
    dn = _tuple(f'"{s}"' for s in p["dimension_numbers"])
    return [f"{y} = jax.lax.conv_transpose({x}, w, strides={_tuple(p['strides'])}, padding={padding}, "
            f"rhs_dilation={_tuple(p['rhs_dilation'])}, dimension_numbers={dn}, transpose_kernel=True)"]


_CODE = {"pytorch": _code_pytorch, "tensorflow": _code_tensorflow, "keras": _code_keras, "onnx": _code_onnx,
         "jax": _code_jax}


# --- weights ----------------------------------------------------------------------------------
WeightLayout = namedtuple("WeightLayout", "framework ndim to_canonical flipped")
WeightLayout.__doc__ = """How ``framework`` stores a transposed convolution's weight.

``to_canonical`` is the permutation taking the framework's array to PyTorch's
``(C_in, C_out/groups, *k)``; ``flipped`` when its spatial taps are reversed
relative to PyTorch's (JAX without ``transpose_kernel``)."""


def weight_layout(framework: str, ndim: int, *, rhs_spec: str | None = None,
                  transpose_kernel: bool = False) -> WeightLayout:
    """The weight layout of ``framework``: PyTorch/ONNX ``(C_in, C_out/g, *k)``, TF/Keras
    ``(*k, C_out, C_in)``, JAX by ``rhs_spec`` (default ``HWIO``-style) and ``transpose_kernel``."""
    framework = framework_name(framework)
    ndim = check_at_least("ndim", ndim, 1)
    if framework in ("pytorch", "onnx"):
        return WeightLayout(framework, ndim, tuple(range(ndim + 2)), False)
    if framework in ("tensorflow", "keras"):
        return WeightLayout(framework, ndim, (ndim + 1, ndim, *range(ndim)), False)
    spec = rhs_spec or (_SPATIAL[ndim] + "IO" if ndim in _SPATIAL else None)
    spec = str(spec)
    if len(spec) != ndim + 2 or spec.count("O") != 1 or spec.count("I") != 1 or len(set(spec)) != len(spec):
        raise ParameterError(f"rhs_spec={spec!r} is not a JAX kernel spec for {ndim} spatial axes, it needs one "
                             f"'O', one 'I' and {ndim} distinct spatial letters; write e.g. "
                             f"{_SPATIAL.get(ndim, 'HW')}IO")
    spatial = [j for j, c in enumerate(spec) if c not in "OI"]
    # conv_transpose(transpose_kernel=True) swaps I and O: then the 'O' axis holds C_in.
    cin, cout = (spec.index("O"), spec.index("I")) if transpose_kernel else (spec.index("I"), spec.index("O"))
    return WeightLayout("jax", ndim, (cin, cout, *spatial), not transpose_kernel)


def _compose(source: WeightLayout, target: WeightLayout) -> tuple[tuple[int, ...], bool]:
    # canonical axis c is the framework's axis to_canonical[c]; the target's axis j is canonical axis inverse[j].
    inverse = [0] * len(target.to_canonical)
    for c, j in enumerate(target.to_canonical):
        inverse[j] = c
    perm = tuple(source.to_canonical[c] for c in inverse)
    return perm, source.flipped != target.flipped


def _layout(framework, ndim, spec, tk):
    return weight_layout(framework, ndim, rhs_spec=spec, transpose_kernel=tk)


def weight_recipe(source: str, target: str, ndim: int, *, groups: int = 1, source_rhs_spec: str | None = None,
                  source_transpose_kernel: bool = False, target_rhs_spec: str | None = None,
                  target_transpose_kernel: bool = True) -> str:
    """The one-line NumPy recipe that turns ``source``'s weight into ``target``'s."""
    src = _layout(source, ndim, source_rhs_spec, source_transpose_kernel)
    dst = _layout(target, ndim, target_rhs_spec, target_transpose_kernel)
    _check_weight_groups(src, dst, groups)
    perm, flip = _compose(src, dst)
    names = {"pytorch": "w_torch", "onnx": "w_onnx", "tensorflow": "w_tf", "keras": "w_keras", "jax": "w_jax"}
    a, b = names[src.framework], names[dst.framework]
    if a == b:
        a, b = a + "_in", b
    expr = a if perm == tuple(range(ndim + 2)) else f"np.transpose({a}, {perm})"
    if flip:
        spatial = tuple(j for j in range(ndim + 2) if perm[j] in src.to_canonical[2:])
        expr = f"np.flip({expr}, axis={spatial})"
    return f"{b} = {expr}"


def _check_weight_groups(src: WeightLayout, dst: WeightLayout, groups: int) -> None:
    groups = check_at_least("groups", groups, 1)
    if groups > 1:
        for layout in (src, dst):
            if layout.framework not in _GROUPS:
                raise ParameterError(f"groups={groups} but {layout.framework} has no grouped transposed "
                                     f"convolution weight, only pytorch and onnx do; use groups=1 or one layer "
                                     f"per channel group")


def convert_weight(weight, source: str, target: str, *, groups: int = 1, source_rhs_spec: str | None = None,
                   source_transpose_kernel: bool = False, target_rhs_spec: str | None = None,
                   target_transpose_kernel: bool = True):
    """Convert a weight array from ``source``'s layout to ``target``'s (NumPy array out)."""
    import numpy as np

    w = np.asarray(weight)
    ndim = w.ndim - 2
    if ndim < 1:
        raise ParameterError(f"the weight has {w.ndim} axes, a transposed convolution's weight has two channel "
                             f"axes and 1-3 spatial ones; pass a 3-D to 5-D array")
    src = _layout(source, ndim, source_rhs_spec, source_transpose_kernel)
    dst = _layout(target, ndim, target_rhs_spec, target_transpose_kernel)
    _check_weight_groups(src, dst, groups)
    perm, flip = _compose(src, dst)
    out = np.transpose(w, perm)
    if flip:
        out = np.flip(out, axis=tuple(j for j in range(ndim + 2) if perm[j] in src.to_canonical[2:]))
    return np.ascontiguousarray(out)
