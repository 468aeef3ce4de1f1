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
from collections.abc import Sequence
from math import prod

from .spec import (Axis, IntOrTuple, Layer, ParameterError, broadcast, channel_counts, check_at_least, check_groups,
                   conv_length, full_length, is_per_axis, op_limit, ordinal_list, range_count)


def _per_axis(fn, per_axis: bool, **named):
    """Apply a one-axis function to every axis; unwrap when nothing was per-axis."""
    ndim, values = broadcast(**named)
    results = []
    rows = list(zip(*values.values()))
    for n, args in enumerate(rows):
        try:
            results.append(fn(*args))
        except ParameterError as error:
            if rows.count(args) == ndim:  # every axis alike: the sentence holds for all of them
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
    tconvcalc.errors.ParameterError: output_padding=2 is not < max(stride=2, dilation=1),
    PyTorch's rule for output_padding; use output_padding 0 or 1
    """
    return _per_axis(_tconv_length, is_per_axis(i, k, s, p, op, d), input_size=i, kernel_size=k,
                     stride=s, padding=p, output_padding=op, dilation=d)


def smallest_conv_input(o: int, k: int, s: int, p: int, d: int) -> int:
    """n0 = (o-1)s - 2p + d(k-1) + 1: the smallest n whose convolution has length o (may be < 1)."""
    return full_length(o, k, s, d) - 2 * p


# A function that returns every value lists at most this many; past it, it says the range instead.
MAX_LISTED = 1_000_000


def conv_input_range(o: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> range:
    """One axis: the input sizes whose convolution has output size ``o``, ``n0 .. n0+s-1`` (from 1), as a range."""
    for name, value in (("output_size", o), ("kernel_size", k), ("stride", s), ("dilation", d)):
        check_at_least(name, value, 1)
    check_at_least("padding", p, 0)
    n0 = smallest_conv_input(o, k, s, p, d)
    sizes = range(max(n0, 1), n0 + s)
    if not sizes:
        raise ParameterError(
            f"no input size gives output_size={o} with kernel_size={k}, stride={s}, padding={p}, "
            f"dilation={d}, because the padding alone already produces more outputs; use padding "
            f"≤ {(full_length(o, k, s, d) + s - 2) // 2}"
        )
    return sizes


def _conv_inputs(o: int, k: int, s: int, p: int, d: int) -> tuple[int, ...]:
    sizes = conv_input_range(o, k, s, p, d)
    if range_count(sizes) > MAX_LISTED:
        raise ParameterError(
            f"stride={s} gives {range_count(sizes)} input sizes with output_size={o}, every n from {sizes[0]} to "
            f"{sizes[-1]}, more than the {MAX_LISTED} a tuple lists; use conv_input_range(...) for the range")
    return tuple(sizes)


def conv_input_sizes(o: IntOrTuple, k: IntOrTuple, s: IntOrTuple = 1, p: IntOrTuple = 0, d: IntOrTuple = 1):
    """Every input size whose convolution has output size ``o``, ascending.

    The forward convolution is many-to-one: ``n0 ... n0+s-1`` all give ``o``.
    Per axis, a tuple with one such tuple per axis.  More than a million sizes
    (a stride that large) are refused with the range; :func:`conv_input_range` gives it.

    >>> conv_input_sizes(17, 3, s=2, p=1)
    (33, 34)
    >>> conv_input_range(17, 3, s=10**12, p=1)
    range(16000000000001, 17000000000001)
    """
    return _per_axis(_conv_inputs, is_per_axis(o, k, s, p, d),
                     output_size=o, kernel_size=k, stride=s, padding=p, dilation=d)


def output_padding_range(i: int, k: int, s: int, p: int, d: int) -> range:
    """Every output_padding PyTorch's constructor accepts here whose output has at least one sample:
    ``0 ≤ op < max(s, d)`` with ``F - 2p + op ≥ 1``.  Arithmetic, so a stride of 10**12 costs nothing."""
    base = full_length(i, k, s, d) - 2 * p
    return range(max(0, 1 - base), op_limit(s, d))


# The two rules PyTorch has for output_padding: forward(output_size=...) reaches the sizes
# F - 2p + op with 0 <= op < stride; the constructor accepts 0 <= op < max(stride, dilation).
RULES = ("forward", "constructor")


def _sizes_text(sizes: range) -> str:
    return "no size" if not sizes else f"{sizes[0]}" if range_count(sizes) == 1 else f"{sizes[0]}..{sizes[-1]}"


def _op_for(target: int, i: int, k: int, s: int, p: int, d: int, rule: str) -> int:
    for name, value, low in (("output_size", target, 1), ("input_size", i, 1), ("kernel_size", k, 1),
                             ("stride", s, 1), ("padding", p, 0), ("dilation", d, 1)):
        check_at_least(name, value, low)
    base = full_length(i, k, s, d) - 2 * p  # the size with output_padding 0
    ops = output_padding_range(i, k, s, p, d)
    allowed = ops if rule == "constructor" else ops[:max(0, s - ops.start)]  # forward: op < stride
    op = target - base
    if op in allowed:
        return op
    where = f"input_size={i} with kernel_size={k}, stride={s}, padding={p}, dilation={d}"
    sizes = range(base + allowed.start, base + allowed.stop)
    if op in ops:  # only a dilation > stride constructor value reaches it: say so, never return it silently
        other = f", or ask for {ordinal_list(sizes)}" if sizes else ""
        raise ParameterError(
            f"output size {target} is outside what PyTorch's forward(output_size=...) reaches from {where} "
            f"({_sizes_text(sizes)}, output_padding < stride); output_padding={op} gives it, which only the "
            f"constructor accepts (output_padding < max(stride, dilation)); pass output_padding={op} "
            f"to the layer{other}"
        )
    if not allowed:
        full = full_length(i, k, s, d)
        limit = op_limit(s, d) if rule == "constructor" else s
        which = "forward(output_size=...) accepts" if rule == "forward" else "PyTorch accepts"
        others = (f" (only output_padding ≥ stride, which forward refuses, gives "
                  f"{_sizes_text(range(base + ops.start, base + ops.stop))})" if ops and rule == "forward" else "")
        raise ParameterError(
            f"padding={p} crops all {full} samples of the full scatter ({where}) for every output_padding "
            f"{which}{others}, the output size must be ≥ 1; use padding ≤ {(full + limit - 2) // 2}"
        )
    raise ParameterError(
        f"output size {target} is not reachable from {where}, output_padding only reaches {_sizes_text(sizes)}; "
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
    return _per_axis(lambda target, i, k, s, p, d: _op_for(target, i, k, s, p, d, rule),
                     is_per_axis(target, i, k, s, p, d), output_size=target,
                     input_size=i, kernel_size=k, stride=s, padding=p, dilation=d)


# A table of more rows than this shows its first and last rows (and any the caller keeps): a stride-1000
# layer has 1000 output_paddings, a range, not a table.
MAX_ROWS = 16


def conv_of(layer: Layer) -> list[dict]:
    """Per axis, the convolution whose C the layer is: ``n, k, s, p, d``, its output ``i`` and the output_padding
    that restores ``n``; refused when the layer is no convolution's transpose (asymmetric or negative crop, or an
    output_padding of ``s`` or more, which no convolution's size gives back)."""
    out = []
    for axis in layer.axes:
        p, op = axis.padding_pair
        if p < 0 or Axis.from_conv(axis.o, axis.k, axis.s, p, axis.d) != axis:
            raise ParameterError(
                f"the layer of input {axis.i}, kernel {axis.k}, stride {axis.s}, padding {p}, output_padding {op}, "
                f"dilation {axis.d} is not the input gradient of a convolution, only an output_padding below the "
                f"stride gives back a convolution's input size; use output_padding < stride")
        out.append({"n": axis.o, "k": axis.k, "s": axis.s, "p": p, "d": axis.d, "i": axis.i,
                    "output_padding": output_padding_for(axis.o, axis.i, axis.k, axis.s, p, axis.d)})
    return out


def conv_layer(input_size, kernel_size, stride=1, padding=0, dilation=1, ndim: int | None = None) -> Layer:
    """The transposed layer whose C is the convolution of ``input_size`` (PyTorch's symmetric padding): its
    gradient's layer.  The convolution's own rules refuse a kernel longer than the padded input."""
    _, v = broadcast(ndim, input_size=input_size, kernel_size=kernel_size, stride=stride, padding=padding,
                     dilation=dilation)
    rows = list(zip(*v.values()))
    for row in rows:
        conv_length(*row)  # the convolution's own sentence for a kernel longer than the padded input
    return Layer(tuple(Axis.from_conv(*row) for row in rows))


def sample_rows(count: int, *keep: int | None, most: int = MAX_ROWS) -> list[int]:
    """The rows of a long sequence worth showing: all up to ``most``, else the first and last halves
    of that many and the ``keep`` rows - ascending, so a view can mark the gaps.

    >>> sample_rows(5), sample_rows(1000, 500)
    ([0, 1, 2, 3, 4], [0, 1, 2, 3, 4, 5, 6, 7, 500, 992, 993, 994, 995, 996, 997, 998, 999])
    """
    if count <= most:
        return list(range(count))
    half = most // 2
    return sorted({*range(half), *range(count - half, count), *(k for k in keep if k is not None and 0 <= k < count)})


class Alternative(namedtuple("Alternative", "input_size output_padding output_size conv_output_size chosen")):
    """One choice of output_padding on one axis, its size, and the convolution of that size."""

    __slots__ = ()

    @property
    def inverts(self) -> bool:
        """Whether the direct convolution (same k, s, p, d) maps this size back to the layer's input."""
        return self.conv_output_size == self.input_size


class Ambiguity(Sequence):
    """Every output_padding of one axis as a sequence of :class:`Alternative`, built only when indexed:
    ``total`` (``len()`` below 2**63) and each row are arithmetic, so a stride of 10**12 costs nothing
    until rows are read.

    >>> rows = ambiguity(Axis.from_pytorch(2, 3, s=10**12))
    >>> rows.total, rows[0].output_size, rows[-1].inverts, rows.index_of(0)
    (1000000000000, 1000000000003, True, 0)
    """

    def __init__(self, axis: Axis) -> None:
        self.axis = axis
        self.padding, self.chosen_op = axis.padding_pair
        self.ops = output_padding_range(axis.i, axis.k, axis.s, self.padding, axis.d)

    @property
    def total(self) -> int:
        return range_count(self.ops)

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[j] for j in range(*index.indices(self.total))]
        a, op = self.axis, self.ops[index]
        size = full_length(a.i, a.k, a.s, a.d) - 2 * self.padding + op
        return Alternative(a.i, op, size, conv_length(size, a.k, a.s, self.padding, a.d), op == self.chosen_op)

    def index_of(self, op: int) -> int | None:
        """The row of ``op``, or None if this axis has no such output_padding."""
        return op - self.ops.start if op in self.ops else None


def ambiguity(axis: Axis) -> Ambiguity:
    """Every output_padding on this axis, its size, and the convolution that inverts it."""
    return Ambiguity(axis)


def alternatives(axes: tuple[Axis, ...], limit: int | None = None) -> list[tuple[Alternative, ...]]:
    """The product of every axis's alternatives, lexicographic in output_padding: the first ``limit``
    of them (all when None), built by counting in mixed radix, never the whole product."""
    rows = [ambiguity(axis) for axis in axes]
    total = alternatives_total(axes)
    out = []
    for number in range(total if limit is None else min(limit, total)):
        combo = []
        for row in reversed(rows):  # the last axis varies fastest
            number, index = divmod(number, row.total)
            combo.append(row[index])
        out.append(tuple(reversed(combo)))
    return out


def alternatives_total(axes: tuple[Axis, ...]) -> int:
    """How many combinations :func:`alternatives` has, counted without listing them."""
    return prod(ambiguity(axis).total for axis in axes)


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


LayerCost = namedtuple("LayerCost", "macs macs_dense zero_insertion subpixel matrix params output_elements")
LayerCost.__doc__ = """A transposed convolution's multiply-adds per sample: ``macs`` those that land in the output
(every (input, tap) pair whose scatter position survives the crop), ``macs_dense`` every pair (cropped ones too, as
ptflops and fvcore count), ``zero_insertion`` the stride-1 correlation over the zero-inserted, padded input (inserted
zeros and pads multiplied too), ``subpixel`` the sub-pixel form's stride-1 convolution (every phase padded to the
most taps, zeros of ``k < s`` phases included), ``matrix`` the dense product Cᵀx; with its parameters (weight and
bias) and the output's elements (channels times positions)."""


def conv_transpose_cost(layer: Layer, in_channels: int, out_channels: int, groups: int = 1,
                        bias: bool = True) -> LayerCost:
    """What one sample through ``layer`` costs, counted per axis from C's structure (a product over axes, times
    ``in_channels · out_channels / groups``): arithmetic, so a 2**64 size costs nothing to count.

    >>> cost = conv_transpose_cost(Layer.from_pytorch((16, 16), 3, 2, 1, 1), 64, 32)  # DCGAN-like, 16 -> 32
    >>> cost.macs, cost.macs_dense, cost.params, cost.output_elements
    (4524032, 4718592, 18464, 32768)
    """
    from .structure import landing_pairs

    groups = check_groups(groups, in_channels, out_channels)
    pairs = in_channels * (out_channels // groups)  # each input channel meets its group's output channels
    inputs, outputs = prod(layer.input_size), prod(layer.output_size)
    return LayerCost(pairs * prod(landing_pairs(axis) for axis in layer.axes),
                     pairs * inputs * prod(layer.kernel_size),
                     pairs * prod(axis.o * axis.k for axis in layer.axes),
                     pairs * prod(axis.s * plan.taps * plan.count for axis, plan in
                                  ((axis, axis.subpixel()) for axis in layer.axes)),
                     pairs * inputs * outputs,
                     conv_params(layer.kernel_size, in_channels, out_channels, groups, bias),
                     out_channels * outputs)


Cost = namedtuple("Cost", "macs macs_dense window_ops params output_elements")
Cost.__doc__ = """What one layer of a network costs per sample: ``macs`` the multiply-adds with its weights that count
(a convolution's products with real input samples, not its padding; a transposed convolution's that land in the
output), ``macs_dense`` every one (padding and cropped positions too: what thop, ptflops and fvcore count),
``window_ops`` a pooling's additions or comparisons with real samples, ``params`` its weights and bias, and the
output's elements (channels times positions)."""


def window_reads(n: int, count: int, k: int, s: int = 1, d: int = 1, before: int = 0) -> int:
    """The (window, tap) pairs of ``count`` windows of a dilated ``k`` at stride ``s`` over ``n`` samples padded by
    ``before`` that read a sample, not padding: the landing pairs of the transposed layer from ``count`` to ``n``
    samples, because a convolution's C and its transpose have the same non-zeros.

    >>> window_reads(5, 3, 3, 2, 1, 1), 3 * 3 - 2  # three windows over 0,x,x,x,x,x,0: the first and last read a 0
    (7, 7)
    """
    from .structure import landing_pairs

    return landing_pairs(Axis(count, k, s, d, before, full_length(count, k, s, d) - before - n))


def conv_cost(input_size: Sequence[int], output_size: Sequence[int], kernel_size: Sequence[int],
              strides: Sequence[int], dilations: Sequence[int], befores: Sequence[int], in_channels: int,
              out_channels: int, groups: int = 1, bias: bool = True) -> Cost:
    """A convolution's :class:`Cost`, per axis from :func:`window_reads` (its padding ``befores``), times
    ``in_channels · out_channels / groups``.

    Per axis 8 windows of 3 taps start at -1, 1, …, 13: only the first reads a 0 (the end's padding goes unread):

    >>> cost = conv_cost((16, 16), (8, 8), (3, 3), (2, 2), (1, 1), (1, 1), 32, 64)
    >>> cost.macs == (8 * 3 - 1) ** 2 * 32 * 64, cost.macs_dense == 8 * 8 * 9 * 32 * 64
    (True, True)
    """
    groups = check_groups(groups, in_channels, out_channels)
    pairs = in_channels * (out_channels // groups)
    reads = prod(window_reads(n, m, k, s, d, b)
                 for n, m, k, s, d, b in zip(input_size, output_size, kernel_size, strides, dilations, befores))
    outputs = prod(output_size)
    return Cost(pairs * reads, pairs * outputs * prod(kernel_size), 0,
                conv_params(tuple(kernel_size), in_channels, out_channels, groups, bias), out_channels * outputs)


def pool_cost(input_size: Sequence[int], output_size: Sequence[int], kernel_size: Sequence[int],
              strides: Sequence[int], dilations: Sequence[int], befores: Sequence[int], channels: int) -> Cost:
    """A pooling's :class:`Cost`: per channel, one addition or comparison per window sample that is not padding."""
    reads = prod(window_reads(n, m, k, s, d, b)
                 for n, m, k, s, d, b in zip(input_size, output_size, kernel_size, strides, dilations, befores))
    return Cost(0, 0, channels * reads, 0, channels * prod(output_size))


def layer_costs(layers: Sequence[Layer], channels: Sequence[int] | None, batch: int = 1) -> list[dict]:
    """FLOPs (PyTorch's flop-counter formula) and parameters per layer of a stack; channels[n] -> channels[n+1]
    (one count per boundary, or None for one channel everywhere)."""
    channels = channel_counts(1 if channels is None else channels, len(layers) + 1,
                              f"a stack of {len(layers)} layers (its input, then each layer's output)")
    costs = []
    for n, layer in enumerate(layers):
        c_in, c_out = channels[n], channels[n + 1]
        costs.append({
            "flops": conv_transpose_flops(layer.input_size, layer.kernel_size, c_in, c_out, batch=batch),
            "params": conv_params(layer.kernel_size, c_in, c_out),
        })
    return costs
