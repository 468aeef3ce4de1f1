"""Sizes along one residue class of the input: ``a·t + b`` for every integer ``t ≥ 0``.

Write an input size as ``n = P·t + r``.  Every layer maps sizes by a floor of an affine map, and
``floor((a·t + b) / s) = (a/s)·t + floor(b / s)`` for every integer ``t`` once ``s`` divides ``a``:
with ``P`` a multiple of every divisor on every path, each node's size is again ``a·t + b``.  The
size rules of :mod:`.ops` are plain arithmetic, so they run unchanged on these numbers - the same
rule that sizes one input sizes a whole class of them, and that is the periodicity.

>>> n = Affine(16, 5)                      # n = 16t + 5
>>> (n + 2 - 3) // 2 + 1, -((-n) // 4)     # a k3 p1 s2 convolution; ceil(n / 4)
(Affine(8, 3), Affine(4, 2))
>>> n - n + 1 >= 1                         # constants compare as ints do
True
"""

from __future__ import annotations

from ..errors import TconvcalcError


class NotAffine(TconvcalcError):
    """A size rule left the class: a divisor that does not divide the slope (a bug in choosing P)."""


class Affine:
    """``a·t + b`` over the integers ``t ≥ 0``, closed under the operations the size rules use."""

    __slots__ = ("a", "b")

    def __init__(self, a: int, b: int) -> None:
        self.a, self.b = a, b

    def __repr__(self) -> str:
        return f"Affine({self.a}, {self.b})"

    def __str__(self) -> str:
        """As written in a derivation: ``16t``, ``2t + 1``, ``4t − 3``, ``5``."""
        if not self.a:
            return str(self.b)
        return f"{self.a}t" + (f" + {self.b}" if self.b > 0 else f" − {-self.b}" if self.b else "")

    def __eq__(self, other) -> bool:
        other = _lift(other)
        return self.a == other.a and self.b == other.b

    def __hash__(self) -> int:
        return hash((self.a, self.b))

    def at(self, t: int) -> int:
        return self.a * t + self.b

    def __add__(self, other) -> Affine:
        other = _lift(other)
        return Affine(self.a + other.a, self.b + other.b)

    __radd__ = __add__

    def __neg__(self) -> Affine:
        return Affine(-self.a, -self.b)

    def __sub__(self, other) -> Affine:
        return self + (-_lift(other))

    def __rsub__(self, other) -> Affine:
        return _lift(other) - self

    def __mul__(self, factor: int) -> Affine:
        if isinstance(factor, Affine):
            if factor.a and self.a:
                raise NotAffine(f"{self} · {factor} is quadratic in t")
            factor, other = (factor.b, self) if not factor.a else (self.b, factor)
            return Affine(other.a * factor, other.b * factor)
        return Affine(self.a * factor, self.b * factor)

    __rmul__ = __mul__

    def __floordiv__(self, divisor: int) -> Affine:
        if self.a % divisor:
            raise NotAffine(f"floor(({self.a}t + {self.b}) / {divisor}) is not affine in t: {divisor} does not "
                            f"divide {self.a}")
        return Affine(self.a // divisor, self.b // divisor)

    def __mod__(self, divisor: int) -> int:
        if self.a % divisor:
            raise NotAffine(f"({self.a}t + {self.b}) mod {divisor} depends on t")
        return self.b % divisor

    def _constant(self, other) -> int:
        difference = self - other
        if difference.a:
            raise NotAffine(f"comparing {self} with {other} depends on t")
        return difference.b

    def __ge__(self, other) -> bool:
        return self._constant(other) >= 0

    def __gt__(self, other) -> bool:
        return self._constant(other) > 0

    def __le__(self, other) -> bool:
        return self._constant(other) <= 0

    def __lt__(self, other) -> bool:
        return self._constant(other) < 0

    def first_t(self) -> int | None:
        """The least ``t ≥ 0`` from which ``a·t + b ≥ 0`` holds for good (sizes never shrink as ``t``
        grows, so ``a ≥ 0``), or None if it never does."""
        if self.a < 0:
            raise NotAffine(f"{self} ≥ 0 bounds t from above")
        if self.a == 0:
            return 0 if self.b >= 0 else None
        return max(0, -(self.b // self.a))  # ceil(-b / a)


def _lift(value) -> Affine:
    return value if isinstance(value, Affine) else Affine(0, value)
