"""The exact input sizes a network accepts, per axis: periodic classes with a first size, and the
few sizes below them that also work.

Along one axis every layer maps sizes by a floor of an affine map, so the network's sizes are
periodic in ``P``, the least common multiple of the divisors (strides, downscale factors) multiplied
along every path.  Write ``n = P·t + r``: for each residue ``r`` the size rules of :mod:`.ops` run
on :class:`~.affine.Affine` numbers, every layer's size comes out as ``a·t + b``, each requirement
becomes ``t ≥ L`` and each merge either holds for every ``t``, for one ``t``, or never.  The classes
are merged into the shortest period that describes them, and a run of the plain size rules over
every size up to the last threshold plus a period checks the result.

>>> from tconvcalc.network.readers.spec_file import parse_network
>>> net = parse_network('ndim = 1\\n[[layers]]\\nname = "down"\\nop = "max_pool"\\nkernel_size = 2\\n'
...                     '[[layers]]\\nname = "up"\\nop = "conv_transpose"\\nkernel_size = 2\\nstride = 2\\n'
...                     '[[layers]]\\nname = "skip"\\nop = "concat"\\ninputs = ["input", "up"]\\n')
>>> found = axis_domain(net, 0)
>>> found.period, found.classes, found.points, found.checked
(2, (Progression(modulus=2, residue=0, first=2),), (), (1, 4, True))
"""

from __future__ import annotations

from math import lcm
from typing import NamedTuple

from ..errors import ParameterError, TconvcalcError
from .affine import Affine
from .graph import INPUT, Network, Stop, Stopper, walk
from .ops import OPS, Reason

class Progression(NamedTuple):
    """The sizes first, first + modulus, first + 2·modulus, … (all ≡ residue mod modulus)."""

    modulus: int
    residue: int
    first: int


class Rejected(NamedTuple):
    """Residues mod the period that never run, and the layer where they stop first."""

    residues: tuple[int, ...]
    node: str
    reason: Reason


class AxisDomain(NamedTuple):
    """One axis: the period P of the size rules, the accepted classes and single sizes, the residues that never run
    (grouped by where they stop), and the brute-force check (first size, last size, whether every size agreed)."""

    axis: int
    period: int
    classes: tuple[Progression, ...]
    points: tuple[int, ...]
    rejected: tuple[Rejected, ...]
    checked: tuple[int, int, bool] | None


class ClassResult(NamedTuple):
    """One residue r of n = P·t + r: from which t it runs (or the one t, for a merge of different slopes), or where it
    stops; and every layer's size a·t + b."""

    residue: int
    first_t: int | None
    fixed_t: int | None
    stop: tuple[str | Reason, ...] | None
    sizes: dict[str, int | Affine]

# Residue classes times layers walked at most: a deeper period is refused with its size.  The domain walks the
# classes more than once (the classes, their check, the derivation, per axis); 8,000 is about a second of CPU
# (a period of 2,666 over 3 layers, 2-D: 1.0 s; the 400,000 before took 8 s near a period of 200,000).
MAX_CLASS_WORK = 8_000
# Sizes the brute-force check may run (times layers).
MAX_CHECK_WORK = 2_000_000


def period(network: Network, axis: int) -> int:
    """The period of the network's size rules along ``axis``: divisors multiply along a path, and
    the paths' products combine by least common multiple."""
    along = {INPUT: 1}
    for node in network.nodes:
        incoming = lcm(*(along[name] for name in node.inputs))
        along[node.name] = incoming * OPS[node.op].divisor(node.axes[axis])
    return lcm(*along.values())


class _ClassJudge:
    """Turns requirements into a least ``t`` and merges into equalities, for one residue class."""

    def __init__(self) -> None:
        self.first_t: int = 0
        self.fixed_t: int | None = None

    def need(self, node, value, reason: str) -> None:
        t = value.first_t() if isinstance(value, Affine) else (0 if value >= 0 else None)
        if t is None:
            raise Stop(node.name, reason, None)
        self.first_t = max(self.first_t, t)

    def merge(self, node, sizes: list):
        base = sizes[0] if isinstance(sizes[0], Affine) else Affine(0, sizes[0])
        for other in sizes[1:]:
            other = other if isinstance(other, Affine) else Affine(0, other)
            if other == base:
                continue
            gap, slope = other.b - base.b, base.a - other.a
            if slope == 0 or gap % slope or gap // slope < 0 or self.fixed_t not in (None, gap // slope):
                raise Stop(node.name, Reason("why.merge", f"its inputs have different sizes ({base} and {other})",
                                             first=base, second=other), None)
            self.fixed_t = gap // slope
        return base


def classes(network: Network, axis: int, p: int | None = None) -> list[ClassResult]:
    """Every residue class ``n = P·t + r`` (``r = 1..P``) of the axis, walked on affine sizes."""
    p = p or period(network, axis)
    work = p * len(network.nodes)
    if work > MAX_CLASS_WORK:
        raise ParameterError(f"axis {axis} of {network.source} has period {p}: its {p} residue classes times "
                             f"{len(network.nodes)} layers are more than the {MAX_CLASS_WORK} the domain walks (about "
                             f"a second); trace single sizes instead")
    results = []
    for r in range(1, p + 1):
        judge = _ClassJudge()
        sizes: dict[str, int | Affine] = {}
        try:
            walk(network, axis, Affine(p, r), judge, sizes)
            stop = None
        except Stop as error:
            stop = error
        fixed = judge.fixed_t
        if stop is None and fixed is not None and fixed < judge.first_t:
            stop = Stop(fixed_merge(network, sizes), Reason("why.below", "its inputs agree only below the sizes "
                                                                         "where the layers run"), None)
        results.append(ClassResult(r, None if stop else judge.first_t, None if stop else fixed,
                                   None if stop is None else (stop.node, stop.reason), sizes))
    return results


def fixed_merge(network: Network, sizes: dict) -> str:
    """The first merge whose inputs' slopes differ (where a single t was fixed)."""
    for node in network.nodes:
        slopes = {sizes[name].a if isinstance(sizes[name], Affine) else 0 for name in node.inputs if name in sizes}
        if OPS[node.op].merge and len(slopes) > 1:
            return node.name
    return network.nodes[-1].name


def axis_domain(network: Network, axis: int) -> AxisDomain:
    p = period(network, axis)
    found = classes(network, axis, p)
    rays = {c.residue % p: c.first_t * p + c.residue for c in found if c.first_t is not None and c.fixed_t is None}
    points = {c.fixed_t * p + c.residue for c in found if c.fixed_t is not None}
    modulus = next(m for m in range(1, p + 1) if p % m == 0
                   and all(((r + m) % p) in rays for r in rays))
    progressions = []
    for residue in sorted({r % modulus for r in rays}):
        members = [r for r in range(residue, p, modulus)]  # the classes mod P that make up this one
        # the first size from which every member class has started
        start = max(rays[r] - p + 1 for r in members)
        first = start + (residue - start) % modulus
        first = first if first >= 1 else first + modulus * (-(-(1 - first) // modulus))
        progressions.append((residue, first))
        for r in members:  # members that start below it: their early sizes are single accepted sizes
            points.update(range(rays[r], first, p))
    rejected: dict = {}
    for c in found:
        if c.stop is not None:
            rejected.setdefault(c.stop, []).append(c.residue % p)
    result = AxisDomain(axis, p, tuple(Progression(modulus, r, f) for r, f in progressions), tuple(sorted(points)),
                        tuple(Rejected(tuple(sorted(rs)), node, reason) for (node, reason), rs in rejected.items()),
                        None)
    return result._replace(checked=check(network, axis, result))


def domain(network: Network) -> tuple[AxisDomain, ...]:
    """Every axis's domain (axes are independent: each is derived with the others held where they run)."""
    return tuple(axis_domain(network, axis) for axis in range(network.ndim))


def grouped(classes) -> list[tuple[int, int, list[int]]]:
    """Accepted classes ``(modulus, residue, first)`` as people write them: ``(modulus, first t, residues)``,
    the residues that start at the same ``t`` together (``n = 64t + r, r ∈ {0, …, 7}, t ≥ 1``).

    >>> grouped([Progression(8, 0, 8), Progression(8, 1, 9), (8, 4, 4)])
    [(8, 0, [4]), (8, 1, [0, 1])]
    """
    groups: dict = {}
    for modulus, residue, first in classes:
        groups.setdefault((modulus, (first - residue) // modulus), []).append(residue)
    return [(modulus, start, sorted(residues)) for (modulus, start), residues in sorted(groups.items())]


def accepts(found: AxisDomain, n: int) -> bool:
    """Whether ``n`` is in the derived domain (arithmetic, any size)."""
    return n in found.points or any(n >= c.first and (n - c.first) % c.modulus == 0 for c in found.classes)


def accepted(found: AxisDomain, upto: int) -> list[int]:
    """Every accepted size from 1 to ``upto``, ascending."""
    sizes = set(n for n in found.points if n <= upto)
    for c in found.classes:
        sizes.update(range(c.first, upto + 1, c.modulus))
    return sorted(sizes)


def runs(network: Network, axis: int, n: int) -> bool:
    """Whether the plain size rules run the network at size ``n`` along ``axis``."""
    try:
        walk(network, axis, n, Stopper())
        return True
    except Stop:
        return False


def check(network: Network, axis: int, found: AxisDomain) -> tuple[int, int, bool]:
    """The derived domain against the plain size rules at every size from 1 to the last threshold plus
    a period (or as far as the work bound reaches): ``(1, last, all agree)``."""
    firsts = [c.first for c in found.classes] + list(found.points)
    last = max(firsts, default=0) + found.period
    last = max(1, min(last, MAX_CHECK_WORK // max(1, len(network.nodes))))
    agree = all(runs(network, axis, n) == accepts(found, n) for n in range(1, last + 1))
    if not agree:  # the two routes are independent; a disagreement is a bug in one of them
        raise TconvcalcError(f"the derived domain of axis {axis} of {network.source} disagrees with the size rules "
                             f"below {last}; please report this with the model")
    return 1, last, agree
