"""What each kind of layer does to one spatial size, as rules over the crop model's arithmetic.

A rule takes the input size ``n`` along one axis and that axis's parameters ``q`` and returns the
output size and what must hold for the layer to run: values that must be ``≥ 0``, each with the
reason it fails.  Rules are plain arithmetic on the model's functions (:func:`~tconvcalc.model.spec.conv_count`,
:func:`~tconvcalc.model.spec.full_length`, :func:`~tconvcalc.model.spec.pool_count`), so the same rule sizes one
input (ints) and a whole class of inputs (:class:`~.affine.Affine`, for the domain).

>>> size, needs = OPS["conv"].size(7, {"k": 3, "s": 2, "d": 1, "pad": (1, 1), "same": False})
>>> size, [value for value, _ in needs]
(4, [6])
>>> OPS["max_pool"].size(5, {"k": 2, "s": 2, "d": 1, "pad": (0, 0), "ceil": True, "same": False})[0]
3
"""

from __future__ import annotations

from collections import namedtuple

from ..model.spec import ceil_div, conv_count, full_length, kernel_span, pool_count


class Reason(str):
    """Why a layer stops, as English words (the trace, the JSON) that also name their entry in the notes'
    catalogue (:mod:`tconvcalc.notes.text`) and the values it fills in, so a note can say it in its own
    language and typeset the values as math."""

    key: str
    args: dict

    def __new__(cls, key: str, text: str, **args) -> "Reason":
        reason = super().__new__(cls, text)
        reason.key, reason.args = key, args
        return reason


# size(n, q) -> (output size, [(value that must be ≥ 0, why the layer fails otherwise)]);
# divisor(q): the factor a class of inputs must be a multiple of for the rule to stay affine on it;
# text(q): the axis's parameters as a layer table shows them.
Op = namedtuple("Op", "name size divisor text merge")


def _conv(n, q):
    if q["same"]:  # TensorFlow/Keras/ONNX "same": ceil(n / s) whatever the kernel
        return ceil_div(n, q["s"]), []
    b, e = q["pad"]
    length = n + b + e
    span = kernel_span(q["k"], q["d"])
    return conv_count(length, q["k"], q["s"], q["d"]), [
        (length - span, Reason("why.kernel", f"the padded input is shorter than the dilated kernel ({span})",
                                 span=span))]


def _pool(n, q):
    if q["same"]:
        return ceil_div(n, q["s"]), []
    b, e = q["pad"]
    # PyTorch asks only for one output: with ceil_mode a window may be longer than the padded input
    size = pool_count(n, q["k"], q["s"], b, e, q["d"], q["ceil"])
    if not q.get("unpadded_window"):
        return size, []
    # PyTorch's 3-D average pooling also wants the window inside the input before its padding
    k = q["k"]
    return size, [(n - k, Reason("why.window", f"the input, before padding, is shorter than the pooling window "
                                               f"({k}), which PyTorch's 3-D average pooling refuses", k=k))]


def _conv_transpose(n, q):
    if q.get("fixed") is not None:  # ONNX output_shape: the size is given, the crop follows from it
        total = full_length(n, q["k"], q["s"], q["d"]) + q["op"] - q["fixed"]
        return q["fixed"], [(total, Reason("why.fixed", "the requested output_shape is larger than the layer "
                                                           "can produce"))]
    b, e = q["crop"]
    return full_length(n, q["k"], q["s"], q["d"]) - b - e, []


def _unshuffle(n, q):
    return n // q["r"], [(-(n % q["r"]), Reason("why.multiple", f"the size is not a multiple of the downscale "
                                                                   f"factor {q['r']}", r=q["r"]))]


def _pad_text(pair) -> str:
    return f"{pair[0]}" if pair[0] == pair[1] else f"{pair[0]},{pair[1]}"


def _conv_text(q) -> str:
    if q["same"]:
        return f"k{q['k']} s{q['s']} same" + (f" d{q['d']}" if q["d"] > 1 else "")
    return f"k{q['k']} s{q['s']} p{_pad_text(q['pad'])}" + (f" d{q['d']}" if q["d"] > 1 else "")


def _tconv_text(q) -> str:
    if q.get("fixed") is not None:
        return f"k{q['k']} s{q['s']} → {q['fixed']}" + (f" d{q['d']}" if q["d"] > 1 else "")
    return f"k{q['k']} s{q['s']} crop {_pad_text(q['crop'])}" + (f" d{q['d']}" if q["d"] > 1 else "")


def _pool_text(q) -> str:
    return _conv_text(q) + (" ceil" if q.get("ceil") else "")


def _keep(n, q):
    return n, []


OPS = {op.name: op for op in (
    Op("conv", _conv, lambda q: q["s"], _conv_text, False),
    Op("conv_transpose", _conv_transpose, lambda q: 1, _tconv_text, False),
    Op("max_pool", _pool, lambda q: q["s"], _pool_text, False),
    Op("avg_pool", _pool, lambda q: q["s"], _pool_text, False),
    Op("upsample", lambda n, q: (n * q["r"], []), lambda q: 1, lambda q: f"×{q['r']}", False),
    Op("pixel_shuffle", lambda n, q: (n * q["r"], []), lambda q: 1, lambda q: f"×{q['r']}", False),
    Op("pixel_unshuffle", _unshuffle, lambda q: q["r"], lambda q: f"÷{q['r']}", False),
    Op("pad", lambda n, q: (n + q["pad"][0] + q["pad"][1], []), lambda q: 1,
       lambda q: f"{q['pad'][0]:+},{q['pad'][1]:+}", False),
    Op("adaptive_pool", lambda n, q: (q["size"], []), lambda q: 1, lambda q: f"→ {q['size']}", False),
    Op("identity", _keep, lambda q: 1, lambda q: "", False),
    # merges: every input has the same size (concatenation along the channels, elementwise ops)
    Op("concat", _keep, lambda q: 1, lambda q: "", True),
    Op("add", _keep, lambda q: 1, lambda q: "", True),
)}

# Ops whose output has the channels of their input.
SAME_CHANNELS = ("max_pool", "avg_pool", "upsample", "pad", "adaptive_pool", "identity", "add")


def carried_channels(op: str, axes, inputs: list) -> int | None:
    """The channels an op without weights makes of its inputs' (None where one is unknown, and for a
    convolution, whose channels its weights say).

    >>> carried_channels("concat", ({},), [8, 4]), carried_channels("pixel_shuffle", ({"r": 2},) * 2, [16])
    (12, 4)
    """
    if None in inputs or op in ("conv", "conv_transpose"):
        return None
    if op == "concat":
        return sum(inputs)
    block = 1
    for q in axes:
        block *= q.get("r", 1)
    if op == "pixel_shuffle":
        return inputs[0] // block
    return inputs[0] * block if op == "pixel_unshuffle" else inputs[0]


# The parameters each op's size rule reads that must be whole numbers of at least a bound (the frameworks
# refuse the rest: a stride of 0 or -1, a kernel of 0, a negative convolution padding), by their words.
BOUNDS = {
    "conv": {"k": ("kernel size", 1), "s": ("stride", 1), "d": ("dilation", 1)},
    "conv_transpose": {"k": ("kernel size", 1), "s": ("stride", 1), "d": ("dilation", 1)},
    "max_pool": {"k": ("kernel size", 1), "s": ("stride", 1), "d": ("dilation", 1)},
    "avg_pool": {"k": ("kernel size", 1), "s": ("stride", 1), "d": ("dilation", 1)},
    "upsample": {"r": ("scale factor", 1)}, "pixel_shuffle": {"r": ("block size", 1)},
    "pixel_unshuffle": {"r": ("block size", 1)}, "adaptive_pool": {"size": ("output size", 1)},
}
WINDOWS = ("conv", "max_pool", "avg_pool")  # their padding adds samples: never negative


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def invalid(op: str, axes) -> str | None:
    """Why a layer's parameters cannot be a layer of any framework (None when they can): a field of
    :data:`BOUNDS` that is not a whole number at least its bound, a padding or crop that is not whole
    numbers (a window's padding is ≥ 0), a flag that is not a boolean.  Said as "has stride 0 on axis 0,
    a stride is a whole number ≥ 1", for the caller to prefix with where and end with the fix.

    >>> invalid("conv", [{"k": 3, "s": 0, "d": 1, "pad": (0, 0), "same": False}])
    'has stride 0 on axis 0, a stride is a whole number ≥ 1'
    >>> invalid("max_pool", [{"k": 3, "s": 1, "d": 1, "pad": (0, 0), "same": False, "ceil": "false"}])
    "has ceil_mode 'false' on axis 0, a flag is true or false (a boolean, not a string or a number)"
    """
    for axis, q in enumerate(axes):
        for field, (words, low) in BOUNDS.get(op, {}).items():
            value = q.get(field)
            if not _whole(value) or value < low:
                article = "an" if words[0] in "aeiou" else "a"
                return f"has {words} {value!r} on axis {axis}, {article} {words} is a whole number ≥ {low}"
        for field, words in (("pad", "padding"), ("crop", "crop")):
            pair = q.get(field)
            if pair is None:
                continue
            if not (isinstance(pair, tuple) and len(pair) == 2 and all(_whole(v) for v in pair)):
                return f"has {words} {pair!r} on axis {axis}, a {words} is two whole numbers (before, after)"
            if op in WINDOWS and min(pair) < 0:
                return (f"has padding {min(pair)} on axis {axis}, a convolution's or pooling's padding is ≥ 0 "
                        f"(a crop is a separate layer)")
        for field, words in (("same", "same padding"), ("ceil", "ceil_mode")):
            if field in q and not isinstance(q[field], bool):
                return f"has {words} {q[field]!r} on axis {axis}, a flag is true or false (a boolean, not a " \
                       f"string or a number)"
        if q.get("fixed") is not None and (not _whole(q["fixed"]) or q["fixed"] < 1 or not _whole(q.get("op"))
                                          or q["op"] < 0):
            return (f"has output shape {q['fixed']!r} with output padding {q.get('op')!r} on axis {axis}, an output "
                    f"shape is a whole number ≥ 1 and an output padding ≥ 0")
    return None


# What the spec and the readers may call an op, and the op it is.
ALIASES = {"convolution": "conv", "conv_transpose": "conv_transpose", "deconv": "conv_transpose",
           "transposed_conv": "conv_transpose", "maxpool": "max_pool", "avgpool": "avg_pool",
           "upsampling": "upsample", "resize": "upsample", "depth_to_space": "pixel_shuffle",
           "space_to_depth": "pixel_unshuffle", "cat": "concat", "concatenate": "concat",
           "sum": "add", "mul": "add", "multiply": "add", "relu": "identity", "activation": "identity",
           "batch_norm": "identity", "norm": "identity", "dropout": "identity"}
