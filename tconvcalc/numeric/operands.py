"""Checking the arrays a call is given: dtype, shape, channels, bias, and the memory it would take.

Every refusal is one :class:`~tconvcalc.model.spec.ParameterError` sentence naming the Python argument,
the rule and the fix; no raw NumPy error reaches the caller.
"""

from __future__ import annotations

import os
from math import prod
from typing import Sequence

import numpy as np

from ..model.spec import ParameterError, check_at_least, check_groups

__all__ = ["MAX_BYTES", "all_finite", "check_bias", "check_direct_channels", "check_memory", "check_operands",
           "default_max_bytes", "finish", "format_bytes", "format_shape"]


def default_max_bytes() -> int:
    """Half the machine's memory: a request above it would swap or be killed, so it is refused up front."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (ValueError, OSError, AttributeError):
        return 8 << 30


#: Largest allocation (output plus work buffers, bytes) a call may request; ``tconvcalc.numeric.MAX_BYTES``
#: reads and sets this one value.
MAX_BYTES = default_max_bytes()


def format_bytes(n: int) -> str:
    """``5.5 MiB``: a byte count as people read it; counts past a thousand TiB (a request sized from a
    stride of 10**40, say) as a power of two, since no float holds them.

    >>> format_bytes(512), format_bytes(5767168), format_bytes(3 << 70)
    ('512 B', '5.5 MiB', 'about 2**71 B')
    """
    if n < 1024:
        return f"{n} B"
    if n >= 1000 << 40:
        return f"about 2**{n.bit_length() - 1} B"
    value = float(n)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if value < 1024 or unit == "TiB":
            return f"{value:.1f} {unit}"
    raise AssertionError  # pragma: no cover


def format_shape(shape: Sequence[int]) -> str:
    """A shape for a message; a size of more than 30 digits is said by its power of two (a 5000-digit
    number would not even convert to text).

    >>> format_shape((1, 1, 10**12 + 3)), format_shape((2, 10**40))
    ('(1, 1, 1000000000003)', '(2, about 2**132)')
    """
    words = [str(n) if n < 10**30 else f"about 2**{n.bit_length() - 1}" for n in shape]
    return f"({', '.join(words)}{',' if len(words) == 1 else ''})"


def _array(name: str, value, like: np.dtype | None = None) -> np.ndarray:
    """An ndarray of a floating or complex dtype.

    Python numbers and (nested) lists have no dtype of their own, so they take ``like`` (x's
    dtype); complex ones keep complex128 on a real x, for the one-dtype rule to refuse.  Without
    ``like`` (x itself) integer lists become float64.
    """
    if not isinstance(value, np.ndarray):
        has_dtype = hasattr(value, "dtype")  # an array-like such as a tensor keeps its own
        try:
            value = np.asarray(value)
        except (ValueError, TypeError) as error:
            raise ParameterError(f"{name} is not an array ({error}), every operand must be a rectangular "
                                 f"array of numbers; pass a numpy array") from None
        kind = value.dtype.kind
        if not has_dtype and like is not None and kind in "biufc" and (kind != "c" or like.kind == "c"):
            value = value.astype(like)
        elif kind in "biu":
            value = value.astype(np.float64)
    kind = value.dtype.kind
    if kind in "biu":
        raise ParameterError(
            f"{name} has dtype {value.dtype}, a transposed convolution runs in floating point "
            f"(integers would overflow and round silently); pass {name}.astype(np.float64)")
    if kind not in "fc":
        raise ParameterError(f"{name} has dtype {value.dtype}, which is not numeric, every operand must be "
                             f"a float or complex array; pass {name}.astype(np.float64)")
    return value


def check_operands(x, weight, bias, what: str):
    """Validated ``(x, weight, bias, result dtype, work dtype)`` for ``what`` (the function's name)."""
    x = _array("x", x)
    weight = _array("weight", weight, x.dtype)
    bias = None if bias is None else _array("bias", bias, x.dtype)
    if x.ndim not in (3, 4, 5) and weight.ndim != x.ndim + 1:
        raise ParameterError(
            f"x has {x.ndim} dimensions {x.shape}, {what} takes (N, C, *spatial) with 1 to 3 spatial axes; "
            + ("add the batch axis with x[None]" if x.ndim == 2 else "reshape x to (N, C, L), (N, C, H, W) "
               "or (N, C, D, H, W)"))
    if weight.ndim == x.ndim + 1 and weight.ndim in (3, 4, 5):
        raise ParameterError(
            f"x {x.shape} has no batch axis for the {weight.ndim - 2}-D weight {weight.shape}, {what} takes "
            f"(N, C, *spatial) like PyTorch's batched layers; add the batch axis with x[None]")
    if weight.ndim != x.ndim:
        raise ParameterError(
            f"weight has {weight.ndim - 2} kernel axes {weight.shape} but x has {x.ndim - 2} spatial axes "
            f"{x.shape}, the kernel needs one size per spatial axis; give weight the shape "
            f"(channels, channels, {', '.join(['k'] * (x.ndim - 2))})")
    _check_one_dtype(x, weight, bias)
    _check_channels(x, weight)
    dtype = x.dtype
    work = np.dtype(np.float32) if dtype == np.float16 else dtype  # no fast float16 GEMM in NumPy
    return x, weight, bias, dtype, work


def _check_one_dtype(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None) -> None:
    """PyTorch's rule: no silent casts between the operands; float32 data with a float64 kernel is a mistake."""
    for name, arr in (("weight", weight), ("bias", bias)):
        if arr is None or arr.dtype.type is x.dtype.type:
            continue
        if arr.dtype.kind == "c" and x.dtype.kind != "c":
            fix = f"x.astype(np.{arr.dtype.name}) or {name}.real"
        else:
            fix = f"{name}.astype(np.{x.dtype.name})"
        raise ParameterError(f"{name} is {arr.dtype.name} but x is {x.dtype.name}, x, weight and bias must share "
                             f"one dtype (as in PyTorch); pass {fix}")


def _check_channels(x: np.ndarray, weight: np.ndarray) -> None:
    """An empty channel axis is refused (PyTorch refuses nearly all of them); an empty batch is a legal call."""
    for name, arr, axes in (("x", x, (1,)), ("weight", weight, (0, 1))):
        for axis in axes:
            if arr.shape[axis] == 0:
                raise ParameterError(
                    f"{name} has shape {arr.shape}, with no channels on axis {axis}, every layer needs at least "
                    f"one input and one output channel; give {name} at least one channel there")


def check_direct_channels(name: str, array: np.ndarray, weight: np.ndarray, groups, layout: str) -> int:
    """A direct convolution's channels: ``array`` has ``weight.shape[1] * groups`` of them and ``groups``
    divides both sides; ``layout`` says where the count comes from.  Returns ``groups``."""
    groups = check_at_least("groups", groups, 1)
    takes = weight.shape[1] * groups
    if array.shape[1] != takes:
        raise ParameterError(f"{name} has {array.shape[1]} channels but weight {weight.shape} with groups={groups} "
                             f"takes {takes}, {layout}; give {name} {takes} channels or fix groups")
    check_groups(groups, array.shape[1], weight.shape[0])
    return groups


def check_bias(bias, c_out: int) -> None:
    if bias is not None and bias.shape != (c_out,):
        raise ParameterError(f"bias has shape {bias.shape}, a bias has one value per output channel; "
                             f"give it shape ({c_out},)")


def check_memory(what: str, shape: Sequence[int], dtype: np.dtype, extra: int = 0,
                 fix: str = "use a smaller batch or input") -> None:
    """Refuse before allocating when the result plus ``extra`` bytes of work exceed ``MAX_BYTES``.

    Sizes are exact Python integers, so a request of 2**64 samples is refused, not overflowed; call it
    with the result alone first, then with the work, so no work is planned for a result that cannot be held.
    """
    need = prod(shape) * dtype.itemsize + extra
    limit = MAX_BYTES
    if need > limit:
        work = f" plus {format_bytes(extra)} of work buffers" if extra else ""
        raise ParameterError(
            f"the {what} of shape {format_shape(shape)} ({dtype}) would need {format_bytes(need - extra)}{work}, "
            f"more than the {format_bytes(limit)} this backend allows (tconvcalc.numeric.MAX_BYTES, half the "
            f"memory); {fix}")


def all_finite(*arrays: np.ndarray) -> bool:
    return all(bool(np.isfinite(a).all()) for a in arrays)


def finish(y: np.ndarray, bias, dtype) -> np.ndarray:
    """Add the bias (one value per output channel) and return in the caller's dtype."""
    if bias is not None:
        y += bias.astype(y.dtype, copy=False).reshape((-1,) + (1,) * (y.ndim - 2))
    return y.astype(dtype, copy=False)
