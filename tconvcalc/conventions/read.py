"""The five readers: a layer in a framework's own parameters -> the canonical :class:`Layer`.

Each reader follows its framework's reference implementation (see the package docstring) and
refuses what the framework refuses, with the rule in one sentence.  The size and crop rules of
one axis (``tf_crop``, ``keras_output_length``, ``onnx_split``, ``jax_padding_pair``) are the
writers' too.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Sequence

from ..arithmetic import output_padding_for
from ..spec import Axis, Layer, ParameterError, check_at_least, check_int, full_length, kernel_span
from .names import compact, framework_name, own_names

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
    opts = own_names(framework, options)
    return _READERS[framework](input_size, kernel_size, ndim, opts)


def layer_from_framework(framework: str, input_size, kernel_size, **framework_options) -> Layer:
    """The canonical :class:`Layer` (crop model) of ``framework``'s layer; see :func:`read_framework`."""
    return read_framework(framework, input_size, kernel_size, **framework_options).layer


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


def tf_crop(i, k, s, d, n, padding):
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
        crop, window = tf_crop(i[ax], k[ax], s[ax], d[ax], shape[ax], padding)
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
        crop, _ = tf_crop(i[ax], k[ax], s[ax], d[ax], size, padding.upper())
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


def onnx_split(total: int, auto_pad: str) -> tuple[int, int]:
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
            pb, pe = onnx_split(full + op[ax] - size, auto_pad)
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


_READERS = {"pytorch": _read_pytorch, "tensorflow": _read_tensorflow, "keras": _read_keras, "onnx": _read_onnx,
            "jax": _read_jax}
