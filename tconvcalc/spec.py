"""The one model every module speaks: a transposed convolution, axis by axis.

Along one axis a transposed convolution with input length ``i``, kernel ``k``,
stride ``s`` and dilation ``d`` first scatters into the *full* range
``F = (i-1)*s + d*(k-1) + 1`` and then keeps ``y[j] = f[j + b]`` for
``j < o = F - b - e``.  The crop ``(b, e)`` is where the frameworks differ;
a negative ``b`` or ``e`` means zeros appended on that side.

Everything here is exact integer arithmetic with the standard library only:
the shape path (``tconvcalc shape``) imports this module and must stay cheap.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Sequence, Union

IntOrTuple = Union[int, Sequence[int]]


class ParameterError(ValueError):
    """An invalid parameter, explained in one sentence: what, which rule, how to fix."""


def _ordinal_list(values: Sequence[int]) -> str:
    """'0', '0 or 1', '0, 1 or 2' - for the 'how to fix' part of a message."""
    words = [str(v) for v in values]
    if len(words) <= 2:
        return " or ".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


def check_int(name: str, value: object) -> int:
    """Accept Python and NumPy-style integers, never bools, floats or strings."""
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise ParameterError(
            f"{name}={value!r} is not an integer, every size and step is a whole number; "
            f"write {name} as an int such as 3"
        )
    return int(value.__index__())


def check_at_least(name: str, value: object, low: int) -> int:
    value = check_int(name, value)
    if value < low:
        what = "positive" if low == 1 else f"≥ {low}"
        raise ParameterError(
            f"{name}={value} is not {what}, {name} must be ≥ {low}; use {name}={low} or more"
        )
    return value


def broadcast(**named: IntOrTuple) -> tuple[int, dict[str, tuple[int, ...]]]:
    """Bring per-axis parameters to one number of axes.

    Each value is an int (same on every axis) or a sequence with one int per
    axis.  Returns ``(ndim, {name: tuple})``.  With only ints, ndim is 1.
    """
    lengths: dict[str, int] = {}
    for name, value in named.items():
        if isinstance(value, (list, tuple)):
            if len(value) == 0:
                raise ParameterError(
                    f"{name} is empty, every parameter needs at least one value; "
                    f"give one int, or one per axis such as {name}=(3, 3)"
                )
            lengths[name] = len(value)
    ndim = max(lengths.values(), default=1)
    for name, length in lengths.items():
        if length != ndim:
            longest = max(lengths, key=lengths.__getitem__)
            raise ParameterError(
                f"{name} has {length} axes but {longest} has {ndim}, every per-axis "
                f"parameter needs the same number of axes or a single value; "
                f"give {name} {ndim} values or one"
            )
    out = {}
    for name, value in named.items():
        items = value if isinstance(value, (list, tuple)) else (value,) * ndim
        out[name] = tuple(check_int(name, v) for v in items)
    return ndim, out


def is_per_axis(*values: object) -> bool:
    """True when any argument was given per axis, so results come back as tuples."""
    return any(isinstance(v, (list, tuple)) for v in values)


def full_length(i: int, k: int, s: int = 1, d: int = 1) -> int:
    """Length of the full scatter, (i-1)*s + d*(k-1) + 1: every position some n*s + a*d reaches."""
    return (i - 1) * s + d * (k - 1) + 1


def op_limit(stride: int, dilation: int) -> int:
    """PyTorch's rule: 0 <= output_padding < max(stride, dilation)."""
    return max(stride, dilation)


# Immutable records are named tuples, not dataclasses: on the shape path every
# millisecond of import counts, and a frozen dataclass costs about one per class.
class Axis(namedtuple("Axis", "i k s d b e", defaults=(1, 1, 0, 0))):
    """One axis of a transposed convolution in the canonical crop model.

    ``i`` input length, ``k`` kernel size, ``s`` stride, ``d`` dilation,
    ``b``/``e`` samples cropped at the start/end (negative: zeros added there).
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
        return self.d * (self.k - 1) + 1

    @property
    def full(self) -> int:
        """Length of the full scatter: (i-1)*s + d*(k-1) + 1."""
        return full_length(self.i, self.k, self.s, self.d)

    @property
    def o(self) -> int:
        """Output length F - b - e."""
        return self.full - self.b - self.e

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
                f"for output_padding; use output_padding {_ordinal_list(range(limit))}"
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
    def pytorch(self) -> tuple[int, int] | None:
        """``(padding, output_padding)`` when PyTorch can express this crop, else None."""
        p, op = self.b, self.b - self.e
        if p >= 0 and 0 <= op < op_limit(self.s, self.d):
            return p, op
        return None

    @classmethod
    def from_conv(cls, n: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> "Axis":
        """The transpose of the direct convolution of a length-``n`` signal.

        Its input is the convolution's output and its output has length ``n``,
        which is how the matrix view ``y = C^T x`` is set up.
        """
        o_conv = conv_length(n, k, s, p, d)
        full = full_length(o_conv, k, s, d)
        return cls(o_conv, k, s, d, p, full - p - n)

    # --- structure -------------------------------------------------------------
    def phase_tap_counts(self) -> tuple[int, ...]:
        """How many kernel taps feed each output phase ``(j + b) mod s``.

        Equal counts mean a uniform interior (no checkerboard); unequal counts
        are the artifact Odena, Dumoulin & Olah describe.
        """
        counts = [0] * self.s
        for a in range(self.k):
            counts[(a * self.d) % self.s] += 1
        # Re-index by output phase j mod s: j + b = r (mod s).
        return tuple(counts[(r + self.b) % self.s] for r in range(self.s))

    @property
    def uniform_overlap(self) -> bool:
        counts = self.phase_tap_counts()
        return min(counts) == max(counts)


def conv_length(n: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    """Output length of the direct convolution, with PyTorch's rules and our messages."""
    n = check_at_least("input_size", n, 1)
    k = check_at_least("kernel_size", k, 1)
    s = check_at_least("stride", s, 1)
    d = check_at_least("dilation", d, 1)
    p = check_at_least("padding", p, 0)
    span = d * (k - 1) + 1
    if n + 2 * p < span:
        need = -(-(span - n) // 2)
        raise ParameterError(
            f"input_size={n} with padding={p} is shorter than the dilated kernel "
            f"d*(k-1)+1={span}, a convolution needs i + 2p ≥ d*(k-1)+1; use padding ≥ {need} "
            f"or a smaller kernel"
        )
    return (n + 2 * p - span) // s + 1


class Layer(namedtuple("Layer", "axes")):
    """A transposed convolution over one or more axes (row-major, last axis fastest)."""

    __slots__ = ()

    @classmethod
    def from_pytorch(
        cls, i: IntOrTuple, k: IntOrTuple, s: IntOrTuple = 1, p: IntOrTuple = 0,
        op: IntOrTuple = 0, d: IntOrTuple = 1,
    ) -> "Layer":
        _, v = broadcast(input_size=i, kernel_size=k, stride=s, padding=p, output_padding=op, dilation=d)
        return cls(tuple(
            Axis.from_pytorch(*args) for args in zip(
                v["input_size"], v["kernel_size"], v["stride"], v["padding"],
                v["output_padding"], v["dilation"])
        ))

    @property
    def ndim(self) -> int:
        return len(self.axes)

    def field(self, name: str) -> tuple[int, ...]:
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
