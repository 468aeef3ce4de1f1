"""The five readers: a layer in a framework's own parameters -> the canonical :class:`Layer`.

Each reader follows its framework's reference implementation (see the package docstring) and
refuses what the framework refuses, with the rule in one sentence.  Per-axis values go through
:func:`tconvcalc.model.spec.broadcast`, the one broadcasting rule of every front end; what is
framework-specific (ONNX ``pads``, JAX's ``(lo, hi)`` pairs) is checked here.  The size and
crop rules of one axis (``tf_crop``, ``keras_output_length``, ``onnx_split``,
``jax_padding_pair``) are the writers' too.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Sequence

from ..model.arithmetic import output_padding_for
from ..model.spec import (Axis, Layer, ParameterError, broadcast, check_at_least, check_int, full_length, is_per_axis,
                    kernel_span)
from .names import check_rank, compact, framework_name, own_names

FrameworkLayer = namedtuple("FrameworkLayer", "framework layer groups params")
FrameworkLayer.__doc__ = "A framework's layer read into the canonical model: ``layer`` plus its ``groups``."


def read_framework(framework: str, input_size, kernel_size, ndim: int | None = None, *, default_ndim: int = 1,
                   **options) -> FrameworkLayer:
    """The canonical :class:`Layer` of a layer written in ``framework``'s own parameters.

    ``options`` use the framework's names (``padding``, ``output_padding``, ``output_shape``,
    ``pads``, ``auto_pad``, ``strides``, ``dilations``, ``group``, ...); the generic
    ``stride``, ``dilation``, ``groups`` are accepted for every framework.  A parameter
    the framework rejects raises :class:`ParameterError` with its rule.  The number of axes is
    ``ndim``, else what the per-axis values (or ONNX ``pads``, JAX padding pairs) say, else
    ``default_ndim``.
    """
    framework = framework_name(framework)
    opts = own_names(framework, options)
    if ndim is not None:
        ndim = check_at_least("ndim", ndim, 1)
    read = _READERS[framework](input_size, kernel_size, ndim, check_at_least("default_ndim", default_ndim, 1), opts)
    check_rank(framework, read.layer.ndim)
    return read


def layer_from_framework(framework: str, input_size, kernel_size, **framework_options) -> Layer:
    """The canonical :class:`Layer` (crop model) of ``framework``'s layer; see :func:`read_framework`."""
    return read_framework(framework, input_size, kernel_size, **framework_options).layer


def _per_axis(ndim: int | None, default_ndim: int = 1, zero_ok: Sequence[str] = (), **values) -> tuple:
    """``(ndim, values...)``: the values broadcast to one number of axes, each ≥ 1 (≥ 0 for ``zero_ok``)."""
    n, per_axis = broadcast(ndim, default_ndim, **values)
    for name, items in per_axis.items():
        for item in items:
            check_at_least(name, item, 0 if name in zero_ok else 1)
    return (n, *per_axis.values())


def _choice(name: str, value, allowed: Sequence[str], framework: str, upper: bool) -> str:
    text = str(value).strip()
    key = text.upper() if upper else text.lower()
    if key not in allowed:
        raise ParameterError(f"{name}={value!r} is not a {framework} {name}, {framework} accepts "
                             f"{' or '.join(repr(a) for a in allowed)}; use one of those")
    return key


# --- pytorch ----------------------------------------------------------------------------------
def _read_pytorch(i, k, ndim, default, o):
    size = o.get("output_size")
    extra = {} if size is None else {"output_size": size}
    # Axis.from_pytorch checks each value's range, with PyTorch's rules.
    _, per_axis = broadcast(ndim, default, input_size=i, kernel_size=k, stride=o.get("stride", 1),
                            padding=o.get("padding", 0), output_padding=o.get("output_padding", 0),
                            dilation=o.get("dilation", 1), **extra)
    i, k, s, p, op, d = (per_axis[name] for name in
                         ("input_size", "kernel_size", "stride", "padding", "output_padding", "dilation"))
    if size is not None:
        op = tuple(output_padding_for(per_axis["output_size"], i, k, s, p, d))  # exactly forward(output_size=...)
    layer = Layer(tuple(Axis.from_pytorch(*a) for a in zip(i, k, s, p, op, d)))
    params = {"stride": list(s), "padding": list(p), "output_padding": list(op), "dilation": list(d)}
    return FrameworkLayer("pytorch", layer, check_at_least("groups", o.get("groups", 1), 1), params)


# --- tensorflow -------------------------------------------------------------------------------
def tf_crop(i, k, s, d, n, padding):
    """TensorFlow's rule for one axis: the crop, or the sizes TF accepts when it refuses ``n``."""
    full = full_length(i, k, s, d)
    if padding == "VALID":
        if not full <= n <= full + s - 1:
            return None, (full, full + s - 1)
        return (0, full - n), None
    stretched = full_length(i, 1, s)  # (i-1)s + 1: TF's SAME rule is ceil(n/s) = i
    if not stretched <= n <= i * s:
        return None, (stretched, i * s)
    t = max(full - n, 0)
    return (t // 2, full - t // 2 - n), None


def _read_tensorflow(i, k, ndim, default, o):
    if "output_shape" not in o:
        raise ParameterError("output_shape is missing, tf.nn.conv{1,2,3}d_transpose needs the output's spatial "
                             "size (it is the gradient of the convolution of that size); give output_shape, "
                             "e.g. output_shape=(8, 8)")
    if "padding" not in o:
        raise ParameterError("padding is missing, tf.nn.conv{1,2,3}d_transpose needs 'SAME' or 'VALID'; "
                             "give padding='SAME' or padding='VALID'")
    padding = _choice("padding", o["padding"], ("SAME", "VALID"), "tensorflow", upper=True)
    n, i, k, s, d, shape = _per_axis(ndim, default, input_size=i, kernel_size=k, strides=o.get("strides", 1),
                                     dilations=o.get("dilations", 1), output_shape=o["output_shape"])
    axes = []
    for ax in range(n):
        crop, window = tf_crop(i[ax], k[ax], s[ax], d[ax], shape[ax], padding)
        if crop is None:
            rule = ("ceil(n/s) = i" if padding == "SAME" else "floor((n - d*(k-1) - 1)/s) + 1 = i")
            raise ParameterError(
                f"output_shape={shape[ax]} on axis {ax} is not a size whose {padding} convolution gives input "
                f"{i[ax]}, tf.nn.conv_transpose requires {rule}; use output_shape {window[0]}..{window[1]}")
        axes.append(Axis(i[ax], k[ax], s[ax], d[ax], *crop))
    params = {"strides": list(s), "padding": padding, "output_shape": list(shape), "dilations": list(d)}
    return FrameworkLayer("tensorflow", Layer(tuple(axes)), 1, params)


# --- keras ------------------------------------------------------------------------------------
def keras_output_length(i: int, k: int, s: int, d: int, padding: str, output_padding: int | None) -> int:
    """Keras 3 ``compute_conv_transpose_output_length`` (the TF backend's output_shape)."""
    span = kernel_span(k, d)
    if padding == "valid":
        op = max(span, s) - span if output_padding is None else output_padding
        return (i - 1) * s + span + op
    if output_padding is None:
        return i * s
    return (i - 1) * s + span % 2 + output_padding


def _read_keras(i, k, ndim, default, o):
    padding = _choice("padding", o.get("padding", "valid"), ("valid", "same"), "keras", upper=False)
    op = o.get("output_padding")
    if isinstance(op, str) and op.strip().lower() == "none":
        op = None
    optional = {} if op is None else {"output_padding": op}
    n, i, k, s, d, *rest = _per_axis(ndim, default, zero_ok=("output_padding",), input_size=i, kernel_size=k,
                                     strides=o.get("strides", 1), dilation_rate=o.get("dilation_rate", 1), **optional)
    ops = rest[0] if rest else None
    if ops is not None:
        for ax in range(n):
            if ops[ax] >= s[ax]:
                raise ParameterError(
                    f"output_padding={ops[ax]} on axis {ax} is not < strides={s[ax]}, Keras requires output_padding "
                    f"strictly less than strides; use output_padding 0..{s[ax] - 1} or None")
    if any(v > 1 for v in s) and any(v > 1 for v in d):
        raise ParameterError(f"strides={compact(s)} with dilation_rate={compact(d)}: Keras does not support "
                             f"strides > 1 together with dilation_rate > 1; use one of them, or dilate the "
                             f"kernel by hand (zeros between taps) and use dilation_rate=1")
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


# --- onnx -------------------------------------------------------------------------------------
def onnx_split(total: int, auto_pad: str) -> tuple[int, int]:
    """ONNX's split of the total padding (reference implementation: Python floor division)."""
    if auto_pad == "SAME_UPPER":
        return total // 2, total - total // 2
    return total - total // 2, total // 2


def _onnx_pads(pads: list | None, auto_pad: str, has_shape: bool) -> list[int] | None:
    """``pads`` (begins, then ends; one pair per axis already) after ONNX's rules for combining it."""
    if pads is None:
        return None
    pads = [check_int("pads", v) for v in pads]
    if min(pads) < 0:
        raise ParameterError(f"pads={pads} has a negative value, ONNX requires pads ≥ 0; use "
                             f"output_shape with auto_pad for a layer that adds zeros")
    if auto_pad != "NOTSET":
        raise ParameterError(f"pads and auto_pad={auto_pad} are both set, ONNX forbids pads with an auto_pad "
                             f"other than NOTSET; drop one of them")
    if has_shape:
        raise ParameterError("pads and output_shape are both set, the ONNX spec then ignores pads but its "
                             "reference implementation uses them; give only one of them")
    return pads


def _read_onnx(i, k, ndim, default, o):
    auto_pad = _choice("auto_pad", o.get("auto_pad", "NOTSET"), ("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"),
                       "onnx", upper=True)
    shape = o.get("output_shape")
    pads = o.get("pads")
    pads = None if pads is None else (list(pads) if is_per_axis(pads) else [pads])
    # pads holds two values per axis, so it tells the number of axes when nothing else does; two values
    # are one (begin, end) pair, used on every axis as any per-axis value broadcasts.
    hint = len(pads) // 2 if pads is not None and len(pads) % 2 == 0 and len(pads) > 2 else default
    optional = {} if shape is None else {"output_shape": shape}
    n, i, k, s, d, op, *rest = _per_axis(ndim, hint, zero_ok=("output_padding",), input_size=i, kernel_size=k,
                                         strides=o.get("strides", 1), dilations=o.get("dilations", 1),
                                         output_padding=o.get("output_padding", 0), **optional)
    shape = rest[0] if rest else None
    if pads is not None and len(pads) == 2 and n > 1:
        pads = [pads[0]] * n + [pads[1]] * n
    if pads is not None and len(pads) != 2 * n:
        raise ParameterError(
            f"pads has {len(pads)} values but ONNX needs 2 per axis (all begins, then all ends), "
            f"{2 * n} for this {n}-D layer; write pads={[1] * (2 * n)!r} style")
    pads = _onnx_pads(pads, auto_pad, shape is not None)
    group = check_at_least("group", o.get("group", 1), 1)
    axes = []
    for ax in range(n):
        if op[ax] >= s[ax]:
            raise ParameterError(
                f"output_padding={op[ax]} on axis {ax} is not < strides={s[ax]}, ONNX's reference ConvTranspose "
                f"only adds fewer than stride samples; use output_padding 0..{s[ax] - 1} or output_shape")
        full = full_length(i[ax], k[ax], s[ax], d[ax])
        extra = op[ax]
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
            pb, pe, extra = 0, full - shape[ax], 0  # output_shape sets the end; output_padding adds nothing
        elif pads is not None:
            pb, pe = pads[ax], pads[ax + n]
        else:
            pb, pe = 0, 0
        axes.append(Axis(i[ax], k[ax], s[ax], d[ax], pb, pe - extra))
    params = {"strides": list(s), "auto_pad": auto_pad, "pads": pads,
              "output_padding": list(op), "output_shape": None if shape is None else list(shape),
              "dilations": list(d), "group": group}
    return FrameworkLayer("onnx", Layer(tuple(axes)), group, params)


# --- jax --------------------------------------------------------------------------------------
def parse_jax_padding(text: str):
    """``'SAME'``, ``'VALID'`` or ``'1:2,0:1'`` (``lo:hi`` per axis) -> JAX's padding argument."""
    text = str(text).strip()
    if ":" not in text:
        return text
    pairs = []
    for item in text.split(","):
        lo, _, hi = item.strip().partition(":")
        try:
            pairs.append((int(lo), int(hi)))
        except ValueError:
            raise ParameterError(f"JAX padding {text!r} is not 'SAME', 'VALID' or lo:hi pairs, explicit padding "
                                 f"is one lo:hi pair of integers per axis; write e.g. 1:2,0:1") from None
    return tuple(pairs)


def jax_padding_pair(span: int, s: int, padding: str) -> tuple[int, int]:
    """JAX ``_conv_transpose_padding`` for a dilated kernel of extent ``span``: ``(lo, hi)``."""
    if padding == "SAME":
        total = span + s - 2
        lo = span - 1 if s > span - 1 else -(-total // 2)
    else:
        total = span + s - 2 + max(span - s, 0)
        lo = span - 1
    return lo, total - lo


def _read_jax(i, k, ndim, default, o):
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
    # One (lo, hi) pair per axis, or one pair for every axis (as any per-axis value broadcasts).
    n, i, k, s, d = _per_axis(ndim, len(pairs) if pairs and len(pairs) > 1 else default, input_size=i,
                              kernel_size=k, strides=o.get("strides", 1), rhs_dilation=o.get("rhs_dilation", 1))
    if pairs is not None and len(pairs) not in (1, n):
        raise ParameterError(f"padding has {len(pairs)} (lo, hi) pairs but the layer has {n} axes, JAX needs one "
                             f"pair per spatial axis (or one for all); give {n} pairs")
    axes = []
    for ax in range(n):
        reach = Axis(i[ax], k[ax], s[ax], d[ax]).reach
        lo, hi = pairs[ax % len(pairs)] if pairs is not None else jax_padding_pair(reach + 1, s[ax], padding)
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
