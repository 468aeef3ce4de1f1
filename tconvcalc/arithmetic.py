"""Sizes, the output_padding ambiguity, and solving for output_padding - exact integers.

Every function takes ints (one axis) or per-axis sequences; a single int is
broadcast to every axis.  Results are ints when every argument was an int and
tuples (one entry per axis) otherwise.

>>> conv_transpose_output_size((7, 9), 3, 2, 1, (1, 0))
(14, 17)
>>> [(alt.output_padding, alt.output_size, alt.inverts) for alt in ambiguity(Axis.from_pytorch(2, 3, 2))]
[(0, 5, True), (1, 6, True)]
"""

from __future__ import annotations

from collections import namedtuple
from itertools import product
from math import prod
from typing import Sequence

from .spec import (Axis, IntOrTuple, Layer, ParameterError, broadcast, check_at_least, conv_length, full_length,
                   is_per_axis, op_limit, ordinal_list)


def _per_axis(fn, per_axis: bool, **named):
    """Apply a one-axis function to every axis; unwrap when nothing was per-axis."""
    ndim, values = broadcast(**named)
    results = []
    for n, args in enumerate(zip(*values.values())):
        try:
            results.append(fn(*args))
        except ParameterError as error:
            if ndim == 1:
                raise
            raise ParameterError(f"on axis {n}: {error}") from None
    return tuple(results) if per_axis else results[0]


def conv_output_size(i: IntOrTuple, k: IntOrTuple, s: IntOrTuple = 1, p: IntOrTuple = 0, d: IntOrTuple = 1):
    """Output size of the direct convolution: floor((i + 2p - d(k-1) - 1) / s) + 1.

    >>> conv_output_size(33, 3, s=2, p=1)
    17
    """
    return _per_axis(conv_length, is_per_axis(i, k, s, p, d),
                     input_size=i, kernel_size=k, stride=s, padding=p, dilation=d)


def _tconv_length(i: int, k: int, s: int, p: int, op: int, d: int) -> int:
    return Axis.from_pytorch(i, k, s, p, op, d).o


def conv_transpose_output_size(i: IntOrTuple, k: IntOrTuple, s: IntOrTuple = 1, p: IntOrTuple = 0,
                               op: IntOrTuple = 0, d: IntOrTuple = 1):
    """PyTorch's ConvTranspose size: (i-1)s - 2p + d(k-1) + op + 1, with PyTorch's rules.

    >>> conv_transpose_output_size(2, 3, s=2)
    5
    >>> conv_transpose_output_size(2, 3, s=2, op=2)
    Traceback (most recent call last):
    tconvcalc.errors.ParameterError: output_padding=2 is not < max(stride=2, dilation=1), PyTorch's rule for output_padding; use output_padding 0 or 1
    """
    return _per_axis(_tconv_length, is_per_axis(i, k, s, p, op, d), input_size=i, kernel_size=k,
                     stride=s, padding=p, output_padding=op, dilation=d)


def smallest_conv_input(o: int, k: int, s: int, p: int, d: int) -> int:
    """n0 = (o-1)s - 2p + d(k-1) + 1: the smallest n whose convolution has length o (may be < 1)."""
    return full_length(o, k, s, d) - 2 * p


def _conv_inputs(o: int, k: int, s: int, p: int, d: int) -> tuple[int, ...]:
    for name, value in (("output_size", o), ("kernel_size", k), ("stride", s), ("dilation", d)):
        check_at_least(name, value, 1)
    check_at_least("padding", p, 0)
    n0 = smallest_conv_input(o, k, s, p, d)
    sizes = tuple(range(max(n0, 1), n0 + s))
    if not sizes:
        raise ParameterError(
            f"no input size gives output_size={o} with kernel_size={k}, stride={s}, padding={p}, "
            f"dilation={d}, because the padding alone already produces more outputs; use padding "
            f"≤ {(full_length(o, k, s, d) + s - 2) // 2}"
        )
    return sizes


def conv_input_sizes(o: IntOrTuple, k: IntOrTuple, s: IntOrTuple = 1, p: IntOrTuple = 0, d: IntOrTuple = 1):
    """Every input size whose convolution has output size ``o``, ascending.

    The forward convolution is many-to-one: ``n0 ... n0+s-1`` all give ``o``.
    Per axis, a tuple with one such tuple per axis.

    >>> conv_input_sizes(17, 3, s=2, p=1)
    (33, 34)
    """
    return _per_axis(_conv_inputs, is_per_axis(o, k, s, p, d),
                     output_size=o, kernel_size=k, stride=s, padding=p, dilation=d)


def reachable_sizes(i: int, k: int, s: int, p: int, d: int) -> list[tuple[int, int]]:
    """``(output_padding, output_size)`` for every output_padding PyTorch's constructor accepts here."""
    base = full_length(i, k, s, d) - 2 * p
    return [(op, base + op) for op in range(op_limit(s, d)) if base + op >= 1]


# The two rules PyTorch has for output_padding: forward(output_size=...) reaches the sizes
# F - 2p + op with 0 <= op < stride; the constructor accepts 0 <= op < max(stride, dilation).
RULES = ("forward", "constructor")


def _op_for(target: int, i: int, k: int, s: int, p: int, d: int, rule: str) -> int:
    for name, value, low in (("output_size", target, 1), ("input_size", i, 1), ("kernel_size", k, 1),
                             ("stride", s, 1), ("padding", p, 0), ("dilation", d, 1)):
        check_at_least(name, value, low)
    options = reachable_sizes(i, k, s, p, d)
    allowed = [(op, size) for op, size in options if rule == "constructor" or op < s]
    for op, size in allowed:
        if size == target:
            return op
    where = f"input_size={i} with kernel_size={k}, stride={s}, padding={p}, dilation={d}"
    sizes = [size for _, size in allowed]
    span = "no size" if not sizes else f"{sizes[0]}" if len(sizes) == 1 else f"{sizes[0]}..{sizes[-1]}"
    beyond = [op for op, size in options if size == target]
    if beyond:  # only a dilation > stride constructor value reaches it: say so, never return it silently
        other = f", or ask for {ordinal_list(sizes)}" if sizes else ""
        raise ParameterError(
            f"output size {target} is outside what PyTorch's forward(output_size=...) reaches from {where} "
            f"({span}, output_padding < stride); output_padding={beyond[0]} gives it, which only the "
            f"constructor accepts (output_padding < max(stride, dilation)); pass output_padding={beyond[0]} "
            f"to the layer{other}"
        )
    if not allowed:
        full = full_length(i, k, s, d)
        limit = op_limit(s, d) if rule == "constructor" else s
        raise ParameterError(
            f"padding={p} crops all {full} samples of the full scatter ({where}) for every output_padding, "
            f"the output size must be ≥ 1; use padding ≤ {(full + limit - 2) // 2}"
        )
    raise ParameterError(
        f"output size {target} is not reachable from {where}, output_padding only reaches {span}; "
        f"ask for {ordinal_list(sizes)}, or change stride, padding or kernel_size"
    )


def output_padding_for(target: IntOrTuple, i: IntOrTuple, k: IntOrTuple, s: IntOrTuple = 1,
                       p: IntOrTuple = 0, d: IntOrTuple = 1, *, rule: str = "forward"):
    """The output_padding with which the transposed convolution of ``i`` has size ``target``.

    ``rule="forward"`` (the default) is exactly PyTorch's ``forward(output_size=...)``: the sizes
    ``F - 2p .. F - 2p + s - 1``.  When dilation exceeds stride the constructor also accepts
    ``stride ≤ output_padding < dilation``; such a size is refused with a sentence that names
    the output_padding reaching it, unless ``rule="constructor"`` asks for that rule.

    >>> output_padding_for(34, 17, 3, s=2, p=1)
    1
    >>> output_padding_for(9, 4, 3, s=1, d=2, rule="constructor")
    1
    """
    if rule not in RULES:
        raise ParameterError(f"rule={rule!r} is not a rule for output_padding, the rules are "
                             f"{' and '.join(map(repr, RULES))}; use rule='forward'")
    return _per_axis(lambda *args: _op_for(*args, rule), is_per_axis(target, i, k, s, p, d), output_size=target,
                     input_size=i, kernel_size=k, stride=s, padding=p, dilation=d)


class Alternative(namedtuple("Alternative", "input_size output_padding output_size conv_output_size chosen")):
    """One choice of output_padding on one axis, its size, and the convolution of that size."""

    __slots__ = ()

    @property
    def inverts(self) -> bool:
        """Whether the direct convolution (same k, s, p, d) maps this size back to the layer's input."""
        return self.conv_output_size == self.input_size


def ambiguity(axis: Axis) -> list[Alternative]:
    """Every output_padding on this axis, its size, and the convolution that inverts it."""
    p, chosen_op = axis.padding_pair
    return [
        Alternative(axis.i, op, size, conv_length(size, axis.k, axis.s, p, axis.d), op == chosen_op)
        for op, size in reachable_sizes(axis.i, axis.k, axis.s, p, axis.d)
    ]


def alternatives(axes: tuple[Axis, ...]) -> list[tuple[Alternative, ...]]:
    """The product of every axis's alternatives, lexicographic in output_padding."""
    return list(product(*(ambiguity(axis) for axis in axes)))


def conv_transpose_flops(input_size: IntOrTuple, kernel_size: IntOrTuple, in_channels: int, out_channels: int,
                         groups: int = 1, batch: int = 1) -> int:
    """FLOPs as PyTorch's flop counter counts a transposed convolution: 2·N·C_in·(C_out/g)·Πk·Πi.

    Every input sample meets every tap once (the scatter), whatever the crop.
    """
    _, v = broadcast(input_size=input_size, kernel_size=kernel_size)
    return 2 * batch * in_channels * (out_channels // groups) * prod(v["kernel_size"]) * prod(v["input_size"])


def conv_flops(output_size: IntOrTuple, kernel_size: IntOrTuple, in_channels: int, out_channels: int,
               groups: int = 1, batch: int = 1) -> int:
    """FLOPs of a direct convolution as PyTorch counts them: 2·N·C_out·(C_in/g)·Πk·Πo."""
    _, v = broadcast(output_size=output_size, kernel_size=kernel_size)
    return 2 * batch * out_channels * (in_channels // groups) * prod(v["kernel_size"]) * prod(v["output_size"])


def conv_params(kernel_size: IntOrTuple, in_channels: int, out_channels: int, groups: int = 1,
                bias: bool = True) -> int:
    """Learnable parameters of a (transposed) convolution: the weight and the bias."""
    _, v = broadcast(kernel_size=kernel_size)
    return in_channels * (out_channels // groups) * prod(v["kernel_size"]) + (out_channels if bias else 0)


def layer_costs(layers: Sequence[Layer], channels: Sequence[int] | None, batch: int = 1) -> list[dict]:
    """FLOPs (PyTorch's flop-counter formula) and parameters per layer of a stack; channels[n] -> channels[n+1]."""
    costs = []
    for n, layer in enumerate(layers):
        c_in, c_out = (channels[n], channels[n + 1]) if channels else (1, 1)
        costs.append({
            "flops": conv_transpose_flops(layer.input_size, layer.kernel_size, c_in, c_out, batch=batch),
            "params": conv_params(layer.kernel_size, c_in, c_out),
        })
    return costs
