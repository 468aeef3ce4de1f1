"""The one model every module speaks: a transposed convolution, axis by axis.

Along one axis a transposed convolution with input length ``i``, kernel ``k``,
stride ``s`` and dilation ``d`` first scatters into the *full* range
``F = (i-1)*s + d*(k-1) + 1`` and then keeps ``y[j] = f[j + b]`` for
``j < o = F - b - e``.  The crop ``(b, e)`` is where the frameworks differ;
a negative ``b`` or ``e`` means zeros appended on that side.

Every quantity derived from that description lives here, once: the dilated
span, the full scatter, the output size, PyTorch's ``(padding, output_padding)``,
the zero-insertion pads, the sub-pixel phases and the direct convolution's
length.  Other modules ask :class:`Axis` and :class:`Layer`; none re-derives them.

Everything is exact integer arithmetic with the standard library only: the
shape path (``tconvcalc shape``) imports this module and must stay cheap.

>>> axis = Axis.from_pytorch(2, 3, s=2)
>>> axis.full, axis.o, axis.pytorch, axis.zero_insertion_pads
(5, 5, (0, 0), (2, 2))
>>> [(p.residue, p.taps) for p in axis.phases]
[(0, (0, 2)), (1, (1,))]
>>> broadcast(stride=[2], kernel_size=(3, 3))
(2, {'stride': (2, 2), 'kernel_size': (3, 3)})
"""

from __future__ import annotations

from collections import namedtuple
from math import gcd
from typing import Sequence, Union

from ..errors import NotInstalledError, ParameterError, TconvcalcError

__all__ = ["Axis", "Layer", "Phase", "ParameterError", "NotInstalledError", "TconvcalcError", "axes_text", "broadcast",
           "channel_counts", "check_int", "check_at_least", "check_groups", "conv_count", "conv_length", "full_length",
           "kernel_span", "op_limit", "is_per_axis", "ordinal_list", "range_count", "ceil_div", "pool_count",
           "tap_count_range"]

IntOrTuple = Union[int, Sequence[int]]


def range_count(values: range) -> int:
    """How many values a range holds, at any size (``len()`` stops at 2**63 - 1).

    >>> range_count(range(5, 2**70)), range_count(range(3, 1))
    (1180591620717411303419, 0)
    """
    return max(0, -(-(values.stop - values.start) // values.step))


def ordinal_list(values: Sequence[int]) -> str:
    """'0', '0 or 1', '0, 1 or 2' - for the 'how to fix' part of a message; a long run of values
    (a range of a million) is said by its ends, 'any of 5..1000004', without listing it."""
    if len(values[:5]) > 4:  # a slice: len() of a range past 2**63 overflows
        return f"any of {values[0]}..{values[-1]}"
    words = [str(v) for v in values]
    if len(words) <= 2:
        return " or ".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


def axes_text(sizes: Sequence[int]) -> str:
    """``4×4``: a size per axis as people write it (``5`` for one axis)."""
    return "×".join(map(str, sizes))


def check_int(name: str, value: object) -> int:
    """Accept Python and NumPy integers, never bools, floats or strings."""
    if not isinstance(value, bool) and hasattr(value, "__index__"):
        try:
            return int(value.__index__())
        except TypeError:  # a NumPy bool or an array: not one whole number
            pass
    raise ParameterError(
        f"{name}={value!r} is not an integer, every size and step is a whole number; "
        f"write {name} as an int such as 3"
    )


def check_at_least(name: str, value: object, low: int) -> int:
    value = check_int(name, value)
    if value < low:
        what = "positive" if low == 1 else f"≥ {low}"
        raise ParameterError(
            f"{name}={value} is not {what}, {name} must be ≥ {low}; use {name}={low} or more"
        )
    return value


def _divisors(n: int) -> str:
    return ", ".join(str(d) for d in range(1, n + 1) if n % d == 0)


def check_groups(groups: object, in_channels: object, out_channels: object) -> int:
    """``groups`` that divides both channel counts (each at least 1), as PyTorch requires."""
    groups = check_at_least("groups", groups, 1)
    for name, count in (("in_channels", in_channels), ("out_channels", out_channels)):
        count = check_int(name, count)
        if count < 1:
            raise ParameterError(f"{name}={count}, a layer needs at least one channel on each side; "
                                 f"give {name} ≥ 1")
        if count % groups:
            raise ParameterError(f"groups={groups} does not divide {name}={count}, each group takes an equal "
                                 f"share of the channels; use groups among {_divisors(count)}")
    return groups


def channel_counts(values: object, count: int, what: str) -> tuple[int, ...]:
    """``count`` channel counts, each ≥ 1: one value is used for all of them, else exactly ``count`` values.

    ``what`` says what they count, for the message: "a layer (in, out)", "a stack of 3 layers (...)".

    >>> channel_counts(64, 2, "a layer (in, out)"), channel_counts([3, 8, 1], 3, "a stack of 2 layers")
    ((64, 64), (3, 8, 1))
    """
    items = _items(values)
    items = (values,) if items is None else items
    if len(items) == 1:
        items = items * count
    if len(items) != count:
        raise ParameterError(f"channels has {len(items)} values but {what} needs {count}; give {count} counts, "
                             f"or one for all")
    return tuple(check_at_least("channels", v, 1) for v in items)


def _items(value: object) -> tuple | None:
    """The per-axis entries of ``value``, or None when it is one value for every axis."""
    if isinstance(value, (list, tuple)):
        return tuple(value)
    if getattr(value, "ndim", 0) == 1 and hasattr(value, "tolist"):  # a 1-D NumPy array
        return tuple(value.tolist())
    return None


def is_per_axis(*values: object) -> bool:
    """True when any argument was given per axis, so results come back as tuples."""
    return any(_items(v) is not None for v in values)


def broadcast(ndim: int | None = None, default_ndim: int = 1,
              **named: IntOrTuple) -> tuple[int, dict[str, tuple[int, ...]]]:
    """Bring per-axis parameters to one number of axes: the one broadcasting rule of every front end.

    Each value is an int (Python or NumPy), or a sequence (list, tuple, 1-D array) with one int per
    axis; a one-element sequence is used on every axis, as PyTorch's ``stride=[2]`` on a 2-D layer.
    The number of axes is ``ndim`` when given, else the longest sequence, else ``default_ndim``.
    Returns ``(ndim, {name: tuple})``.
    """
    if ndim is not None:
        ndim = check_at_least("ndim", ndim, 1)
    lengths: dict[str, int] = {}
    values: dict[str, tuple] = {}
    for name, value in named.items():
        items = _items(value)
        if items is None:
            values[name] = (value,)
            continue
        if not items:
            raise ParameterError(f"{name} is empty, every parameter needs at least one value; "
                                 f"give one int, or one per axis such as {name}=(3, 3)")
        values[name] = items
        if len(items) > 1:
            lengths[name] = len(items)
    if ndim is None:
        ndim = max(lengths.values(), default=default_ndim)
    for name, length in lengths.items():
        if length != ndim:
            longest = max(lengths, key=lengths.__getitem__)
            other = f"{longest} has {ndim}" if lengths[longest] == ndim else f"the layer has {ndim}"
            raise ParameterError(
                f"{name} has {length} axes but {other}, every per-axis parameter needs the same number of "
                f"axes or a single value; give {name} {ndim} values or one")
    return ndim, {name: tuple(check_int(name, v) for v in (items * ndim if len(items) == 1 else items))
                  for name, items in values.items()}


def kernel_span(k: int, d: int = 1) -> int:
    """Extent of a kernel of ``k`` taps dilated by ``d``: d*(k-1) + 1."""
    return d * (k - 1) + 1


def full_length(i: int, k: int, s: int = 1, d: int = 1) -> int:
    """Length of the full scatter, (i-1)*s + d*(k-1) + 1: every position some n*s + a*d reaches."""
    return (i - 1) * s + kernel_span(k, d)


def conv_count(length: int, k: int, s: int = 1, d: int = 1) -> int:
    """Positions a dilated kernel takes in ``length`` samples at stride ``s``: (length - d(k-1) - 1)//s + 1."""
    return (length - kernel_span(k, d)) // s + 1


def ceil_div(a, b: int):
    """``ceil(a / b)`` by floor division, so it also runs on exact non-int numbers (the network domain's)."""
    return -((-a) // b)


def same_padding(n: int, k: int, s: int = 1, d: int = 1, lower: bool = False) -> tuple[int, int]:
    """The ``(before, after)`` zeros of a window layer's "same" padding (TensorFlow, Keras, ONNX ``auto_pad``):
    ``ceil(n/s)`` windows need ``(ceil(n/s) - 1)s + d(k-1) + 1 - n`` samples more than ``n`` (none when that is
    negative), the odd one after (``SAME_UPPER``, TensorFlow's) or, with ``lower``, before (``SAME_LOWER``).

    >>> same_padding(5, 3, 2), same_padding(4, 4, 1), same_padding(4, 4, 1, lower=True)
    ((1, 1), (1, 2), (2, 1))
    """
    total = max((ceil_div(n, s) - 1) * s + kernel_span(k, d) - n, 0)
    return (total - total // 2, total // 2) if lower else (total // 2, total - total // 2)


def pool_count(n, k: int, s: int, before: int, after: int, d: int = 1, ceil_mode: bool = False):
    """PyTorch's pooled length: windows of a dilated ``k`` at stride ``s`` over the padded ``n``; with
    ``ceil_mode`` a last partial window counts, unless it would start in the right padding (it must start
    inside the input or the left padding).  Pure arithmetic, like :func:`conv_count`.

    >>> pool_count(5, 2, 2, 0, 0), pool_count(5, 2, 2, 0, 0, ceil_mode=True)
    (2, 3)
    >>> pool_count(5, 3, 3, 1, 1, ceil_mode=True)  # a third window would start in the right padding
    2
    """
    length = n + before + after - kernel_span(k, d)
    if not ceil_mode:
        return length // s + 1
    count = ceil_div(length, s) + 1
    return count - 1 if (count - 1) * s >= n + before else count


def op_limit(stride: int, dilation: int) -> int:
    """PyTorch's constructor rule: 0 <= output_padding < max(stride, dilation)."""
    return max(stride, dilation)


class Phase(namedtuple("Phase", "residue taps offsets first count q_first")):
    """One sub-pixel phase of an axis: the outputs ``j`` with ``(j + b) mod s = residue``.

    They are ``first, first + s, ...`` (``count`` of them; ``first = (residue - b) mod s``), and
    output ``j = q*s + residue - b`` receives ``w[a] * x[q - c_a]`` from each tap ``a`` in ``taps``
    (those with ``a*d ≡ residue (mod s)``) with its offset ``c_a = (a*d - residue)/s`` in
    ``offsets``; ``q_first`` is the ``q`` of the first output.  Phases with different tap counts
    are the checkerboard of Odena, Dumoulin & Olah.
    """

    __slots__ = ()


class Subpixel(namedtuple("Subpixel", "taps pads q_first count shift trim")):
    """One axis of the sub-pixel form: a stride-1 correlation whose ``s`` output phases interleave into the output.

    The input is padded by ``pads`` (before, after; negative: cropped), correlated with a kernel of ``taps``
    samples per phase, giving ``count`` low-resolution outputs ``q = q_first, q_first + 1, ...``; interleaving the
    phases (depth to space) puts phase ``r`` of ``q`` at full-scatter position ``q*s + r``, and the layer's output
    is what remains after ``shift`` samples at the start and ``trim`` at the end.  Only ``count`` depends on the
    input length, so the form is one module for every input size.  Where each tap sits in the per-phase kernels
    is :meth:`Axis.subpixel_kernel`.
    """

    __slots__ = ()


# Immutable records are named tuples, not dataclasses: on the shape path every
# millisecond of import counts, and a frozen dataclass costs about one per class.
class Axis(namedtuple("Axis", "i k s d b e", defaults=(1, 1, 0, 0))):
    """One axis of a transposed convolution in the canonical crop model.

    ``i`` input length, ``k`` kernel size, ``s`` stride, ``d`` dilation,
    ``b``/``e`` samples cropped at the start/end (negative: zeros added there).

    >>> axis = Axis.from_pytorch(3, 3, s=2, p=1, op=1)   # b = p = 1, e = p - op = 0
    >>> axis, axis.full, axis.o, axis.phase_tap_counts()
    (Axis(i=3, k=3, s=2, d=1, b=1, e=0), 7, 6, (2, 1))
    """

    __slots__ = ()

    def __new__(cls, i: int, k: int, s: int = 1, d: int = 1, b: int = 0, e: int = 0) -> "Axis":
        self = super().__new__(cls, check_at_least("input_size", i, 1), check_at_least("kernel_size", k, 1),
                               check_at_least("stride", s, 1), check_at_least("dilation", d, 1),
                               check_int("crop begin", b), check_int("crop end", e))
        if self.o < 1:
            raise ParameterError(
                f"the output size would be {self.o} (full scatter {self.full} minus crop "
                f"{self.b}+{self.e}), the output size must be ≥ 1; crop less, "
                f"at most {self.full - 1} samples in all"
            )
        return self

    # --- sizes ---------------------------------------------------------------
    @property
    def span(self) -> int:
        """Extent of the dilated kernel, d*(k-1) + 1."""
        return kernel_span(self.k, self.d)

    @property
    def reach(self) -> int:
        """How far the last tap lies from the first, d*(k-1)."""
        return self.span - 1

    @property
    def full(self) -> int:
        """Length of the full scatter: (i-1)*s + d*(k-1) + 1."""
        return full_length(self.i, self.k, self.s, self.d)

    @property
    def o(self) -> int:
        """Output length F - b - e."""
        return self.full - self.b - self.e

    @property
    def stretched(self) -> int:
        """Length of the input with s-1 zeros inserted between samples, (i-1)*s + 1."""
        return (self.i - 1) * self.s + 1

    @property
    def zero_insertion_pads(self) -> tuple[int, int]:
        """Zeros before and after the stretched input for the equivalent stride-1 convolution with the
        flipped kernel: ``(d(k-1) - b, d(k-1) - e)``; negative means cropped."""
        return self.reach - self.b, self.reach - self.e

    @property
    def padded_length(self) -> int:
        """Length of the zero-inserted, padded input of the equivalent stride-1 convolution: the stretched
        input and its zero-insertion pads, which the kernel's span covers exactly ``o`` times.

        >>> axis = Axis.from_pytorch(3, 3, s=2, p=1, op=1)
        >>> axis.padded_length, axis.o + axis.reach
        (8, 8)
        """
        return self.stretched + sum(self.zero_insertion_pads)

    @property
    def uncropped(self) -> "Axis":
        """The same layer with no crop: its output is the whole full scatter, cropped border included."""
        return self._replace(b=0, e=0)

    @property
    def scatter_extent(self) -> tuple[int, int]:
        """``[start, stop)`` in the full scatter's positions that a picture of the scatter shows: the full
        scatter ``[0, F)`` and the output window ``[b, b + o)``, which reaches past it where the crop is
        negative (zeros appended, as ``output_padding > padding`` does).

        >>> Axis.from_pytorch(3, 3, s=2, p=1, op=1).scatter_extent   # F = 7, crop (1, 0): inside
        (0, 7)
        >>> Axis.from_pytorch(2, 3, s=2, p=0, op=1).scatter_extent   # F = 5, one zero appended
        (0, 6)
        """
        return min(0, self.b), max(self.full, self.b + self.o)

    # --- PyTorch's spelling ----------------------------------------------------
    @classmethod
    def from_pytorch(cls, i: int, k: int, s: int = 1, p: int = 0, op: int = 0, d: int = 1) -> "Axis":
        """``padding p`` and ``output_padding op`` are the crop ``(p, p - op)``."""
        i = check_at_least("input_size", i, 1)
        k = check_at_least("kernel_size", k, 1)
        s = check_at_least("stride", s, 1)
        d = check_at_least("dilation", d, 1)
        p = check_at_least("padding", p, 0)
        op = check_at_least("output_padding", op, 0)
        limit = op_limit(s, d)
        if op >= limit:
            raise ParameterError(
                f"output_padding={op} is not < max(stride={s}, dilation={d}), PyTorch's rule "
                f"for output_padding; use output_padding {ordinal_list(range(limit))}"
            )
        full = full_length(i, k, s, d)
        if full - 2 * p + op < 1:
            # Say which padding would still work rather than only that this one fails.
            best = (full + op - 1) // 2
            raise ParameterError(
                f"padding={p} crops {2 * p - op} of the {full} samples the layer produces "
                f"(i={i}, k={k}, s={s}, d={d}, output_padding={op}), the output size "
                f"(i-1)*s - 2p + d*(k-1) + op + 1 must be ≥ 1; use padding ≤ {best}"
            )
        return cls(i, k, s, d, p, p - op)

    @property
    def padding_pair(self) -> tuple[int, int]:
        """``(padding, output_padding) = (b, b - e)``, whether or not PyTorch accepts them."""
        return self.b, self.b - self.e

    @property
    def pytorch(self) -> tuple[int, int] | None:
        """``(padding, output_padding)`` when PyTorch can express this crop, else None."""
        p, op = self.padding_pair
        if p >= 0 and 0 <= op < op_limit(self.s, self.d):
            return p, op
        return None

    @classmethod
    def from_conv(cls, n: int, k: int, s: int = 1, p: int | tuple[int, int] = 0, d: int = 1) -> "Axis":
        """The transpose of the direct convolution of a length-``n`` signal.

        ``p`` is PyTorch's symmetric padding or a ``(before, after)`` pair (negative crops the
        signal).  The axis's input is the convolution's output and its output has length ``n``,
        which is how the matrix view ``y = C^T x`` is set up.
        """
        before, after = _pad_pair(p)
        o_conv = conv_length(n, k, s, (before, after), d)
        return cls(o_conv, k, s, d, before, full_length(o_conv, k, s, d) - before - n)

    # --- structure -------------------------------------------------------------
    @property
    def phase_count(self) -> int:
        """How many sub-pixel phases have outputs: all ``s`` when ``o >= s``, else one per output."""
        return min(self.s, self.o)

    def phase_residue(self, t: int) -> int:
        """The residue of the ``t``-th phase with outputs, ascending, without listing the others: the
        outputs' residues ``(b + j) mod s``, ``j < o``, are one run of consecutive residues, wrapping past s - 1.

        >>> axis = Axis(2, 3, s=10**12, b=10**12 - 1)          # o = 4: four phases have outputs
        >>> axis.phase_count, [axis.phase_residue(t) for t in range(4)]
        (4, [0, 1, 2, 999999999999])
        """
        if self.o >= self.s:
            return t
        begin = self.b % self.s
        wrapped = begin + self.o - self.s  # residues 0 .. wrapped - 1 come from the run's end
        if wrapped <= 0:
            return begin + t
        return t if t < wrapped else begin + t - wrapped

    def output_phase(self, j: int) -> int:
        """The sub-pixel phase ``r = (j + b) mod s`` output ``j`` belongs to, the one every view labels it by
        (:meth:`phase` gives its taps, ``a*d ≡ r (mod s)``).

        >>> axis = Axis.from_pytorch(3, 3, s=2, p=1, op=1)      # b = 1: y[0] is phase 1, y[1] phase 0
        >>> [axis.output_phase(j) for j in range(axis.o)], axis.phase(0).taps
        ([1, 0, 1, 0, 1, 0], range(0, 3, 2))
        """
        return (j + self.b) % self.s

    def residue_taps(self, r: int) -> range:
        """The taps ``a`` with ``a*d ≡ r (mod s)``, the ones that feed phase ``r``, as a range.

        With ``g = gcd(d, s)`` only residues divisible by ``g`` are fed, each by the taps
        ``a ≡ a0 (mod s/g)``, ``a0`` from the inverse of ``d/g`` modulo ``s/g``: O(log s).

        >>> Axis(2, 5, 2).residue_taps(1), Axis(2, 5, 4, 2).residue_taps(1)
        (range(1, 5, 2), range(0, 0))
        """
        s, d = self.s, self.d
        g = gcd(d, s)
        if r % g:
            return range(0)
        period = s // g
        a0 = (r // g) * pow(d // g, -1, period) % period if period > 1 else 0
        return range(a0, max(a0, self.k), period)

    def phase(self, r: int) -> Phase:
        """Phase ``r`` (see :class:`Phase`), its taps and their offsets as ranges, in O(log s).

        >>> Axis(2, 3, 2).phase(0)
        Phase(residue=0, taps=range(0, 3, 2), offsets=range(0, 2), first=0, count=3, q_first=0)
        """
        s, d = self.s, self.d
        taps = self.residue_taps(r)
        step = d // gcd(d, s)  # consecutive taps step by s/g, their offsets (a*d - r)/s by d/g
        c0 = (taps.start * d - r) // s
        first = (r - self.b) % s
        return Phase(r, taps, range(c0, c0 + range_count(taps) * step, step), first, -(-(self.o - first) // s),
                     (first + self.b) // s)

    @property
    def phases(self) -> tuple[Phase, ...]:
        """The sub-pixel phases that have outputs, by residue ``r = (j + b) mod s`` (see :class:`Phase`):
        all ``s`` of them when ``o >= s``, else the ``o`` residues the outputs fall on; taps and offsets as
        tuples.  ``min(s, o) + k`` work: callers bound the output and the kernel first (the numeric routes
        by their bytes), or ask for one :meth:`phase` at a time.

        >>> [(p.residue, p.taps, p.first, p.count) for p in Axis(2, 3, 2).phases]
        [(0, (0, 2), 0, 3), (1, (1,), 1, 2)]
        >>> [(p.residue, p.taps, p.first) for p in Axis(2, 3, s=10**12, b=10**12 - 1).phases]  # o = 4
        [(0, (0,), 1), (1, (1,), 2), (2, (2,), 3), (999999999999, (), 0)]
        """
        out = []
        for t in range(self.phase_count):
            p = self.phase(self.phase_residue(t))
            out.append(p._replace(taps=tuple(p.taps), offsets=tuple(p.offsets)))
        return tuple(out)

    def subpixel(self) -> Subpixel:
        """This axis as a stride-1 correlation and a depth to space (see :class:`Subpixel`): output ``j`` is
        full-scatter position ``m = j + b = q*s + r``, and phase ``r`` gets ``w[a] * x[q - c_a]`` from each of its
        taps, ``c_a = (a*d - r)/s`` (:meth:`phase`) at most ``⌊(k - 1)d/s⌋``.  Arithmetic, any size.

        >>> plan = Axis(2, 3, 2).subpixel()   # k=3, s=2: offsets 0 and 1, so 2 taps per phase
        >>> plan.taps, plan.pads, plan.count, plan.shift, plan.trim
        (2, (1, 1), 3, 0, 1)
        """
        s = self.s
        last = (self.k - 1) * self.d // s  # the largest offset c_a of any tap
        q_first, q_last = self.b // s, (self.b + self.o - 1) // s
        count, shift = q_last - q_first + 1, self.b - q_first * s
        return Subpixel(last + 1, (last - q_first, q_last - self.i + 1), q_first, count, shift,
                        count * s - shift - self.o)

    def subpixel_kernel(self) -> tuple[tuple[int | None, ...], ...]:
        """Where each tap sits in the sub-pixel form: row ``r`` (phase) position ``u`` holds the tap ``a`` with
        ``u = taps - 1 - c_a``, or None where the phase has no tap there (fewer taps, or none when ``k < s``).
        ``s × taps`` entries: bound the stride first.

        >>> Axis(2, 3, 2).subpixel_kernel()   # phase 0: taps 2 and 0; phase 1: tap 1 alone
        ((2, 0), (None, 1))
        """
        taps = self.subpixel().taps
        kernel = []
        for r in range(self.s):
            row: list[int | None] = [None] * taps
            phase = self.phase(r)
            for a, offset in zip(phase.taps, phase.offsets):
                row[taps - 1 - offset] = a
            kernel.append(tuple(row))
        return tuple(kernel)

    def tap_count(self, r: int) -> int:
        """How many kernel taps feed output phase ``r = (j + b) mod s`` (:meth:`output_phase`), arithmetically."""
        return range_count(self.residue_taps(r % self.s))

    def phase_tap_counts(self) -> tuple[int, ...]:
        """How many kernel taps feed each output phase ``r = (j + b) mod s``, r = 0 … s - 1 (``s`` values: bound
        the stride first).

        Equal counts mean a uniform interior (no checkerboard); unequal counts
        are the artifact Odena, Dumoulin & Olah describe.
        """
        return tuple(self.tap_count(r) for r in range(self.s))

    @property
    def tap_count_range(self) -> tuple[int, int]:
        """The fewest and most taps any output phase gets (:func:`tap_count_range`); the crop only rotates the
        phases."""
        return tap_count_range(self.k, self.s, self.d)

    @property
    def uniform_overlap(self) -> bool:
        """Every output phase gets the same number of taps: ``gcd(d, s) = 1`` and ``s`` divides ``k``."""
        fewest, most = self.tap_count_range
        return fewest == most


def tap_count_range(k: int, s: int, d: int) -> tuple[int, int]:
    """The fewest and most taps any output phase of a kernel ``k``, stride ``s``, dilation ``d`` gets,
    arithmetically: ``(k // s, ceil(k / s))`` when ``gcd(d, s) = 1``, else some phases get none.

    >>> tap_count_range(3, 2, 1), tap_count_range(4, 2, 1), tap_count_range(3, 2, 2)
    ((1, 2), (2, 2), (0, 3))
    """
    g = gcd(d, s)
    period = s // g
    return (k // period if g == 1 else 0), -(-k // period)


def _pad_pair(p: int | tuple[int, int]) -> tuple[int, int]:
    """PyTorch's symmetric padding ``p`` (≥ 0), or an explicit ``(before, after)`` pair (any sign)."""
    items = _items(p)
    if items is None:
        p = check_at_least("padding", p, 0)
        return p, p
    if len(items) != 2:
        raise ParameterError(f"padding {p!r} is not an int or a (before, after) pair, padding per axis "
                             f"is p or (b, e); write e.g. 1 or (1, 2)")
    return check_int("padding", items[0]), check_int("padding", items[1])


def conv_length(n: int, k: int, s: int = 1, p: int | tuple[int, int] = 0, d: int = 1) -> int:
    """Output length of the direct convolution, with PyTorch's rules and our messages.

    ``p`` is PyTorch's symmetric padding or a ``(before, after)`` pair.
    """
    n = check_at_least("input_size", n, 1)
    k = check_at_least("kernel_size", k, 1)
    s = check_at_least("stride", s, 1)
    d = check_at_least("dilation", d, 1)
    before, after = _pad_pair(p)
    span = kernel_span(k, d)
    if n + before + after < span:
        if _items(p) is None:
            rule, fix = "i + 2p ≥ d*(k-1)+1", f"padding ≥ {-(-(span - n) // 2)}"
            padding = f"padding={before}"
        else:
            rule, fix = "i + b + e ≥ d*(k-1)+1", f"padding whose two ends add up to ≥ {span - n}"
            padding = f"padding ({before}, {after})"
        raise ParameterError(
            f"input_size={n} with {padding} is shorter than the dilated kernel "
            f"d*(k-1)+1={span}, a convolution needs {rule}; use {fix} or a smaller kernel"
        )
    return conv_count(n + before + after, k, s, d)


class Layer(namedtuple("Layer", "axes")):
    """A transposed convolution over one or more axes (row-major, last axis fastest).

    >>> layer = Layer.from_pytorch((7, 9), 3, 2, 1, (1, 0))
    >>> layer.output_size, layer.crop, layer.uniform_overlap
    ((14, 17), ((1, 0), (1, 1)), False)
    """

    __slots__ = ()

    @classmethod
    def from_pytorch(
        cls, i: IntOrTuple, k: IntOrTuple, s: IntOrTuple = 1, p: IntOrTuple = 0,
        op: IntOrTuple = 0, d: IntOrTuple = 1, *, ndim: int | None = None,
    ) -> "Layer":
        _, v = broadcast(ndim, input_size=i, kernel_size=k, stride=s, padding=p, output_padding=op, dilation=d)
        return cls(tuple(Axis.from_pytorch(*args) for args in zip(*v.values())))

    @property
    def ndim(self) -> int:
        return len(self.axes)

    def field(self, name: str) -> tuple:
        """One quantity of every axis: ``layer.field("o")`` is the output size."""
        return tuple(getattr(axis, name) for axis in self.axes)

    @property
    def input_size(self) -> tuple[int, ...]:
        return self.field("i")

    @property
    def output_size(self) -> tuple[int, ...]:
        return self.field("o")

    @property
    def kernel_size(self) -> tuple[int, ...]:
        return self.field("k")

    @property
    def crop(self) -> tuple[tuple[int, int], ...]:
        return tuple((axis.b, axis.e) for axis in self.axes)

    @property
    def uniform_overlap(self) -> bool:
        """Every axis feeds every output phase from the same number of taps: no checkerboard."""
        return all(axis.uniform_overlap for axis in self.axes)

    def _repr_html_(self) -> str:
        """The layer's grid in Jupyter (:func:`tconvcalc.explore.layer_html`).  The model stays standard-library
        only: the page builder is loaded by name when a notebook asks, never when this module is imported."""
        import importlib

        return importlib.import_module("tconvcalc.explore").layer_html(self)
