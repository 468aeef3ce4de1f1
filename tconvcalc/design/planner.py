"""Search the parameter space for transposed convolutions that map one size to another.

Kept apart from execution (as opt_einsum keeps its path planner apart from
contraction): the planner only reasons about the crop model and ranks.

Ranking, best first, compared axis-summed and in this order:

1. uniform overlap - every output phase gets the same number of kernel taps
   (for d = 1: ``k`` divisible by ``s``), so no checkerboard artifacts;
2. ``output_padding = 0`` - the layer needs no disambiguation;
3. the smallest kernel (its dilated extent ``d(k-1)+1``), then the least padding,
   the smallest stride, dilation and output_padding.

The work is bounded before it starts.  The size ``(i-1)s + d(k-1) + 1 - 2p + op``
fixes the paddings and output_paddings that land on a target, so they are solved,
never searched; kernels, strides and dilations are clipped to what can reach it
(a span or stride past ``target + 2·max_padding`` never does); and the values past
that (a stride of 10**8 on a one-sample input behaves like every other large one)
are counted, not listed.  A search still too large is refused with its size.

>>> [layer.kernel_size for layer in plan(16, 32, strides=[2], limit=3).candidates]  # uniform overlap first
[(2,), (4,), (6,)]
>>> plan(1, 32, strides=range(1, 10**8)).total   # counted, not listed: 72 more layers per larger stride
7199997372
"""

from __future__ import annotations

import heapq
from collections import namedtuple
from functools import lru_cache
from typing import Callable, Iterable, Sequence

from ..model.spec import (Axis, IntOrTuple, Layer, ParameterError, broadcast, check_at_least, check_int, kernel_span,
                   range_count, tap_count_range)

DEFAULT_KERNELS = range(1, 9)
DEFAULT_STRIDES = range(1, 9)
DEFAULT_MAX_PADDING = 8
DEFAULT_DILATIONS = (1,)

# A search tries at most this many (kernel, stride, dilation) triples per axis, and a chain
# search at most this many size-and-move evaluations; beyond, it is refused with its size.
MAX_TRIPLES = 400_000
MAX_CHAIN_WORK = 40_000_000
# Candidates listed at most (plan's layers, chain's stacks): each is ranked, built and printed.
MAX_LIMIT = 1000


class IntSet:
    """A set of positive integers as sorted, disjoint ranges: ``1-8``, ``2,4`` or ``1-100000000`` at no cost.

    >>> bounds = IntSet.parse("kernel_size", "1-3,7,10-100000000")
    >>> bounds.count, str(bounds), list(bounds.upto(8)), bounds.above(99999998, 5)
    (99999995, '1-3,7,10-100000000', [1, 2, 3, 7], ([99999999, 100000000], 0))
    >>> IntSet.parse("kernel_size", "1-18446744073709551616").count  # len() stops at 2**63 - 1; count does not
    18446744073709551616
    """

    __slots__ = ("name", "ranges")

    def __init__(self, name: str, ranges: Iterable[range]) -> None:
        merged: list[range] = []
        for r in sorted((r for r in ranges if r.stop > r.start), key=lambda r: r.start):
            if merged and r.start <= merged[-1].stop:
                merged[-1] = range(merged[-1].start, max(merged[-1].stop, r.stop))
            else:
                merged.append(r)
        self.name, self.ranges = name, tuple(merged)

    @classmethod
    def of(cls, name: str, values) -> "IntSet":
        """From an IntSet, a ``range`` (any length, any step) or any iterable of ints, each ≥ 1."""
        if isinstance(values, IntSet):
            return cls(name, values.ranges)
        if isinstance(values, range) and values.step == 1:
            out = cls(name, [values])
        elif isinstance(values, range) and range_count(values) > MAX_TRIPLES:
            raise ParameterError(f"{name} is a range of {range_count(values)} values with step {values.step}, "
                                 f"more than the {MAX_TRIPLES} a stepped range may hold; use a step of 1 or fewer "
                                 f"values")
        else:
            out = cls(name, [range(v, v + 1) for v in (check_int(name, v) for v in values)])
        if not out.ranges:
            raise ParameterError(f"the {name} range is empty, the planner needs at least one {name} to try; "
                                 f"give a range such as 1-8")
        check_at_least(name, out.ranges[0].start, 1)
        return out

    @classmethod
    def parse(cls, name: str, text: str) -> "IntSet":
        """``1-7``, ``2,4,8`` or ``3``; an open range (``1-``) has no upper end and is refused."""
        ranges = []
        for item in str(text).split(","):
            low, dash, high = (part.strip() for part in item.strip().partition("-"))
            if dash and not high:
                raise ParameterError(f"{item.strip()!r} has no upper end, a range is LOW-HIGH; write e.g. "
                                     f"{low or 1}-8")
            try:
                low_i, high_i = int(low), int(high) if dash else int(low)
            except ValueError:
                raise ParameterError(f"{text!r} is not a range, ranges are LOW-HIGH or a comma list of positive "
                                     f"integers; write e.g. 1-7 or 2,4") from None
            if low_i > high_i:
                raise ParameterError(f"{item.strip()!r} runs backwards, a range is LOW-HIGH with LOW ≤ HIGH; "
                                     f"write {high_i}-{low_i}")
            ranges.append(range(low_i, high_i + 1))
        out = cls(name, ranges)
        if out.ranges and out.ranges[0].start < 1:
            raise ParameterError(f"{text!r} includes {out.ranges[0].start}, {name} values must be ≥ 1; start the "
                                 f"range at 1")
        return cls.of(name, out)

    @property
    def count(self) -> int:
        """How many values, arithmetically (the ranges all step by 1; ``len()`` stops at ``2**63 - 1``)."""
        return sum(map(range_count, self.ranges))

    def __len__(self) -> int:
        return self.count

    def __iter__(self):
        for r in self.ranges:
            yield from r

    def __eq__(self, other) -> bool:
        return isinstance(other, IntSet) and self.ranges == other.ranges

    def __repr__(self) -> str:
        return f"IntSet({self.name!r}, {str(self)!r})"

    def __str__(self) -> str:
        return ",".join(str(r.start) if r.stop - r.start == 1 else f"{r.start}-{r.stop - 1}" for r in self.ranges)

    def upto(self, high: int) -> "IntSet":
        """The values ≤ ``high``."""
        return IntSet(self.name, [range(r.start, min(r.stop, high + 1)) for r in self.ranges])

    def above(self, high: int, first: int) -> tuple[list[int], int]:
        """The first ``first`` values above ``high``, and how many more there are."""
        listed: list[int] = []
        rest = 0
        for r in self.ranges:
            part = range(max(r.start, high + 1), r.stop)
            take = part[:max(0, first - len(listed))]
            listed.extend(take)
            rest += range_count(part) - len(take)
        return listed, rest


def rank_key(axis: Axis) -> tuple[int, ...]:
    """The preference of the module docstring as a vector; smaller is better."""
    pair = axis.pytorch
    assert pair is not None, "the planner ranks only the layers PyTorch can express"
    p, op = pair
    return _key(axis.k, axis.s, axis.d, p, op)


@lru_cache(maxsize=65536)
def _uniform(k: int, s: int, d: int) -> bool:
    fewest, most = tap_count_range(k, s, d)  # the model's rule, without building an Axis per triple
    return fewest == most


def _key(k: int, s: int, d: int, p: int, op: int) -> tuple[int, ...]:
    return (0 if _uniform(k, s, d) else 1, 1 if op else 0, kernel_span(k, d), p, s, d, op)


# Keys are summed over axes and layers and compared lexicographically: packed into one integer
# with a wide field per component they add and compare as the tuples do, much faster.
_FIELD = 1 << 80


def _pack(key: Sequence[int]) -> int:
    packed = 0
    for part in key:
        packed = packed * _FIELD + part
    return packed


_OPFLAG = _pack((0, 1, 0, 0, 0, 0, 0))  # the output_padding ≠ 0 component, alone


#: The search's bounds: kernel sizes, strides, the largest padding, dilations.
Bounds = tuple[IntSet, IntSet, int, IntSet]

Triple = namedtuple("Triple", "k s d weight listed")
Triple.__doc__ = ("A (kernel, stride, dilation) to try; ``weight`` how many values it stands for (the ones "
                  "past the useful range behave alike and are counted through one), ``listed`` whether its "
                  "layers may be listed (it is a value of the bounds itself).")


def _triple_count(high: int, kernels: IntSet, strides: IntSet, dilations: IntSet, max_padding: int, limit: int) -> int:
    """At most how many triples :func:`_triples` lists, counted before anything is listed."""
    useful = high + 2 * max_padding + 1
    return kernels.upto(useful).count * dilations.upto(useful + limit).count * strides.upto(useful + limit).count


def _triples(i: int, high: int, kernels: IntSet, strides: IntSet, dilations: IntSet, max_padding: int,
             limit: int) -> list[Triple]:
    """Every triple whose layers from size ``i`` can reach a size ≤ ``high``, clipped arithmetically.

    A span or stride past ``useful = high + 2·max_padding + 1`` cannot reach ``high``, except that
    the stride does not matter on a one-sample input and the dilation not for a one-tap kernel: those
    values past ``useful`` behave alike (every output_padding is then allowed), so the first ``limit``
    of them are listed and the rest counted through one of them.
    """
    useful = high + 2 * max_padding + 1
    reach = useful - 1  # the largest span, and (i-1)·s, that can still land ≤ high
    estimate = _triple_count(high, kernels, strides, dilations, max_padding, limit)
    if estimate > MAX_TRIPLES:
        raise ParameterError(
            f"the search would try up to {estimate} (kernel_size, stride, dilation) combinations per axis, more "
            f"than {MAX_TRIPLES}; narrow kernel_sizes ({kernels}), strides ({strides}) or dilations ({dilations})")

    def values(bounds: IntSet, free: bool, clip: int):
        """``(value, weight, listed)``: those ≤ clip, and when ``free`` the first ``limit`` above and the rest."""
        out = [(v, 1, True) for v in bounds.upto(clip)]
        if free:
            extra, rest = bounds.above(clip, limit)
            out += [(v, 1, True) for v in extra]
            if rest:
                out.append((bounds.above(clip, limit + 1)[0][-1], rest, False))
        return out

    out = []
    for k in kernels.upto(useful):
        for d, d_weight, d_listed in values(dilations, k == 1, useful if k == 1 else reach // max(k - 1, 1)):
            span = kernel_span(k, d)
            s_clip = useful if i == 1 else (reach - span + 1) // (i - 1)
            for s, s_weight, s_listed in values(strides, i == 1, s_clip):
                out.append(Triple(k, s, d, d_weight * s_weight, d_listed and s_listed))
    return out


def _axis_plan(i: int, target: int, bounds, uniform_only: bool, limit: int,
               progress: Callable[[int], None] | None = None) -> tuple[list, list, int]:
    """The best ``limit`` axes from ``i`` to ``target`` (and their packed keys), and how many there are;
    ``progress(triples done)`` is called every few thousand triples when given."""
    kernels, strides, max_padding, dilations = bounds
    total = 0
    best: list[tuple[int, tuple[int, int, int, int, int]]] = []  # a max-heap of the limit best (-key, params) so far
    for done, (k, s, d, weight, listed) in enumerate(
            _triples(i, target, kernels, strides, dilations, max_padding, limit), 1):
        if progress and done % 4096 == 0:
            progress(done)
        uniform = _uniform(k, s, d)
        if uniform_only and not uniform:
            continue
        span = kernel_span(k, d)
        full = (i - 1) * s + span
        width = max(s, d)  # output_padding < max(s, d): PyTorch's constructor rule
        # target = full - 2p + op with 0 ≤ op < width and 0 ≤ p ≤ max_padding: p is solved, not searched
        p_low, p_high = max(0, -((target - full) // 2)), min(max_padding, (width - 1 + full - target) // 2)
        if p_high < p_low:
            continue
        total += (p_high - p_low + 1) * weight
        if not listed:
            continue
        base = _pack((0 if uniform else 1, 0, span, 0, s, d, 0))
        exact = (full - target) // 2 if (full - target) % 2 == 0 and p_low <= (full - target) // 2 else None
        order = ([exact] if exact is not None else []) + [p for p in range(p_low, min(p_high, p_low + limit) + 1)
                                                          if p != exact]
        for p in order[:limit]:
            op = target - full + 2 * p
            key = base + (_OPFLAG if op else 0) + _pack((0, 0, 0, p, 0, 0, op))
            if len(best) < limit:
                heapq.heappush(best, (-key, (k, s, p, op, d)))
            elif key < -best[0][0]:
                heapq.heapreplace(best, (-key, (k, s, p, op, d)))
            else:
                break  # this triple's later candidates are worse still
    ranked = sorted((-key, params) for key, params in best)
    return [Axis.from_pytorch(i, k, s, p, op, d) for _, (k, s, p, op, d) in ranked], [key for key, _ in ranked], total


class Plan(namedtuple("Plan", "input_size output_size candidates total")):
    """The ranked layers that map ``input_size`` to ``output_size``.

    ``candidates`` holds the best ``limit`` layers, best first; ``total`` counts
    every layer that satisfies the request.

    >>> best = plan(16, 32, strides=[2], limit=1)
    >>> best.total, best.candidates[0].axes[0]
    (8, Axis(i=16, k=2, s=2, d=1, b=0, e=0))
    """

    __slots__ = ()


class Chain(namedtuple("Chain", "input_size output_size stacks total")):
    """Stacks of transposed convolutions reaching ``output_size``, best first.

    Each stack is a tuple of ``Layer``; ``total`` counts every stack in the bounds.

    >>> stacks = chain(4, 64, layers=4, kernel_sizes=[4], strides=[2], limit=1)
    >>> [layer.output_size for layer in stacks.stacks[0]]
    [(8,), (16,), (32,), (64,)]
    """

    __slots__ = ()


def _best_products(lists: Sequence[Sequence], keys: Sequence[Sequence[int]], limit: int) -> list[tuple]:
    """The ``limit`` best combinations, one item from each list, by summed keys.

    Each list is sorted by its keys.  Lexicographic order on summed vectors is
    compatible with addition, so advancing any one index never improves a
    combination: best-first search over index tuples yields them in order
    without building the product.
    """
    def entry(index: tuple[int, ...]) -> tuple:
        return sum(keys[n][j] for n, j in enumerate(index)), index

    start = (0,) * len(lists)
    heap, seen = [entry(start)], {start}
    out: list[tuple] = []
    while heap and len(out) < limit:
        _, index = heapq.heappop(heap)
        out.append(tuple(lists[n][j] for n, j in enumerate(index)))
        for n in range(len(index)):
            nxt = index[:n] + (index[n] + 1,) + index[n + 1:]
            if nxt[n] < len(lists[n]) and nxt not in seen:
                seen.add(nxt)
                heapq.heappush(heap, entry(nxt))
    return out


def _check_bounds(input_size, output_size, kernel_sizes, strides, max_padding, dilations, limit
                  ) -> tuple[dict[str, tuple[int, ...]], list[tuple[int, int]], Bounds]:
    """Validate a search request; returns the per-axis requests and the bounds."""
    _, sizes = broadcast(input_size=input_size, output_size=output_size)
    for name, values in sizes.items():
        for v in values:
            check_at_least(name, v, 1)
    bounds = (IntSet.of("kernel_size", kernel_sizes), IntSet.of("stride", strides),
              check_at_least("max_padding", max_padding, 0), IntSet.of("dilation", dilations))
    if check_at_least("limit", limit, 1) > MAX_LIMIT:
        raise ParameterError(f"limit={limit} asks for more than the {MAX_LIMIT} best candidates the planner ranks "
                             f"and lists (the total counts them all); give a limit of {MAX_LIMIT} or less")
    return sizes, list(zip(sizes["input_size"], sizes["output_size"])), bounds


def _combine(requests, found, limit):
    """Per-request ``(items, keys, total)`` into the best per-axis combinations and their count.

    When every axis asks for the same mapping the result is square: one choice for all axes.
    """
    if len(found) == 1:
        ((items, _, total),) = found.values()
        return [(item,) * len(requests) for item in items[:limit]], total
    total = 1
    for request in requests:
        total *= found[request][2]
    if not total:
        return [], 0
    lists = [found[request][0] for request in requests]
    keys = [found[request][1] for request in requests]
    return _best_products(lists, keys, limit), total


def plan(input_size: IntOrTuple, output_size: IntOrTuple, kernel_sizes: Iterable[int] = DEFAULT_KERNELS,
         strides: Iterable[int] = DEFAULT_STRIDES, max_padding: int = DEFAULT_MAX_PADDING,
         dilations: Iterable[int] = DEFAULT_DILATIONS, limit: int = 10, uniform_only: bool = False,
         progress: Callable[[int, int], None] | None = None) -> Plan:
    """Every (k, s, p, op, d) within the bounds that maps ``input_size`` to ``output_size``.

    Bounds apply to every axis; each is a range, an iterable of ints or an :class:`IntSet`.  When
    every axis asks for the same sizes the layer is square (one parameter set for all axes);
    otherwise each axis gets its own and combinations are ranked by their summed preferences.
    Returns the ``limit`` best layers (module docstring for the order) and the total count.
    ``progress(done, total)`` follows a long search (triples tried, over every axis asked for).

    >>> [layer.axes[0].pytorch for layer in plan(16, 32, strides=[2], limit=3).candidates]  # (padding, op)
    [(0, 0), (1, 0), (2, 0)]
    """
    sizes, requests, bounds = _check_bounds(input_size, output_size, kernel_sizes, strides, max_padding,
                                            dilations, limit)
    kernels, stride_set, max_padding, dilation_set = bounds
    distinct = sorted(set(requests))
    counts = [_triple_count(target, kernels, stride_set, dilation_set, max_padding, limit) for _, target in distinct]
    found = {}
    for n, request in enumerate(distinct):
        before = sum(counts[:n])
        found[request] = _axis_plan(*request, bounds, uniform_only, limit,
                                    (lambda done: progress(before + done, sum(counts))) if progress else None)
    best, total = _combine(requests, found, limit)
    return Plan(sizes["input_size"], sizes["output_size"], tuple(Layer(axes) for axes in best), total)


# --- chains -------------------------------------------------------------------------------

Group = namedtuple("Group", "s width starts")
Group.__doc__ = ("Moves of one (stride, dilation): from size x the sizes (x-1)s + start + op, 0 ≤ op < width, for "
                 "each ``start = span - 2p``; ``starts`` maps a start to (how many moves, the best key or None).")


def _groups(bound: int, bounds, uniform_only: bool, limit: int) -> list[Group]:
    """Every move a layer can make within sizes ``[1, bound]``, grouped by stride and start: the moves of
    a group cover the same sizes, so they are counted and ranked together."""
    kernels, strides, max_padding, dilations = bounds
    groups: dict[tuple[int, int], dict[int, list]] = {}
    for k, s, d, weight, listed in _triples(1, bound, kernels, strides, dilations, max_padding, limit):
        uniform = _uniform(k, s, d)
        if uniform_only and not uniform:
            continue
        span, width = kernel_span(k, d), max(s, d)
        starts = groups.setdefault((s, width), {})
        # a padding past this crops even the largest input's scatter below one sample: no move
        for p in range(min(max_padding, ((bound - 1) * s + span + width - 2) // 2) + 1):
            entry = starts.setdefault(span - 2 * p, [0, None])
            entry[0] += weight
            if listed:
                key = _pack((0 if uniform else 1, 0, span, p, s, d, 0))
                entry[1] = key if entry[1] is None else min(entry[1], key)
    return [Group(s, width, {start: tuple(v) for start, v in sorted(starts.items())})
            for (s, width), starts in sorted(groups.items())]


def _sparse_min(values: list) -> list[list]:
    """Range-minimum table: ``table[j][x]`` is the least of ``values[x : x + 2**j]``."""
    table = [values]
    width = 1
    while 2 * width <= len(values):
        last = table[-1]
        table.append([min(last[x], last[x + width]) for x in range(len(values) - 2 * width + 1)])
        width *= 2
    return table


def _range_min(table: list[list], low: int, high: int):
    j = (high - low + 1).bit_length() - 1
    return min(table[j][low], table[j][high - (1 << j) + 1])


def _moves(x: int, bound: int, bounds, uniform_only: bool, limit: int) -> list[tuple[int, int, tuple]]:
    """``(key, size, (k, s, p, op, d))`` of every listed layer from size ``x`` to a size in ``[1, bound]``,
    best first: the moves a best-first search expands."""
    kernels, strides, max_padding, dilations = bounds
    out = []
    for k, s, d, _, listed in _triples(x, bound, kernels, strides, dilations, max_padding, limit):
        if not listed:
            continue
        uniform = _uniform(k, s, d)
        if uniform_only and not uniform:
            continue
        span, width = kernel_span(k, d), max(s, d)
        full = (x - 1) * s + span
        for p in range(max(0, -((bound - full) // 2)), min(max_padding, (full + width - 2) // 2) + 1):
            for op in range(max(0, 1 - full + 2 * p), min(width, bound - full + 2 * p + 1)):
                key = _pack((0 if uniform else 1, 1 if op else 0, span, p, s, d, op))
                out.append((key, full - 2 * p + op, (k, s, p, op, d)))
    return sorted(out)


def _axis_chains(i: int, target: int, layers: int, bounds, uniform_only: bool, limit: int,
                 progress: Callable[[int, int], None] | None = None):
    """The best ``limit`` chains of ``layers`` axes from ``i`` to ``target``: (chains, keys, count).

    Intermediate sizes stay within ``[1, max(i, target)]``.  A backward pass counts, for every size
    and number of layers left, the chains that reach the target and the best cost still to pay -
    each group of moves over a run of sizes at once, through prefix sums and a range-minimum table;
    a best-first search guided by that exact cost then yields chains in rank order without listing
    them all.  ``progress(done, total)`` is called once per size and level when given.
    """
    bound = max(i, target)
    groups = _groups(bound, bounds, uniform_only, limit)
    work = layers * sum(min(bound, (bound + 2 * bounds[2]) // g.s + 1) * len(g.starts) for g in groups)
    if work > MAX_CHAIN_WORK:
        raise ParameterError(f"the chain search would weigh about {work} moves, more than {MAX_CHAIN_WORK}; "
                             f"use fewer layers, a smaller target or narrower kernel_sizes, strides, max_padding "
                             f"or dilations")
    missing: int | None = None  # no chain from here
    ways = [[0] * (bound + 1)]
    ways[0][target] = 1
    best = [[missing] * (bound + 1)]
    best[0][target] = 0
    done = 0
    for left in range(1, layers + 1):
        before, before_best = ways[-1], best[-1]
        prefix = [0] * (bound + 2)
        for size in range(1, bound + 1):
            prefix[size] = prefix[size - 1] + before[size]
        # cost of landing on a size with op ≥ 1, less the op itself: best + size, minimised over a run
        inf = float("inf")
        shifted = _sparse_min([inf if c is None else c + size for size, c in enumerate(before_best)])
        now, now_best = [0] * (bound + 1), [missing] * (bound + 1)
        for x in ([i] if left == layers else range(1, bound + 1)):
            count, cost = 0, None
            for group in groups:
                offset = (x - 1) * group.s
                if offset + next(iter(group.starts)) > bound:
                    continue
                for start, (moves, key) in group.starts.items():
                    first = offset + start
                    if first > bound:
                        break
                    low, high = max(first, 1), min(first + group.width - 1, bound)
                    if low > high:
                        continue
                    ways_here = prefix[high] - prefix[low - 1]
                    if not ways_here:
                        continue
                    count += moves * ways_here
                    if key is None:
                        continue
                    landed = before_best[first] if first >= 1 else missing
                    if landed is not None:  # output_padding 0
                        candidate = key + landed
                        cost = candidate if cost is None or candidate < cost else cost
                    if max(first + 1, low) <= high:
                        least = _range_min(shifted, max(first + 1, low), high)
                        if least != inf:
                            candidate = key + _OPFLAG + least - first
                            cost = candidate if cost is None or candidate < cost else cost
            now[x], now_best[x] = count, cost
            done += 1
            if progress and done % 256 == 0:
                progress(done, layers * bound)
        ways.append(now)
        best.append(now_best)
    total = ways[layers][i]
    chains: list[tuple[Axis, ...]] = []
    keys: list[int] = []
    ranked: dict = {}

    def children(x: int, left: int) -> list[tuple[int, int, int, int, tuple]]:
        """The moves from ``x`` that can still finish in ``left`` more layers, by total cost, then move index."""
        if (x, left) not in ranked:
            ranked[x, left] = sorted((key + to_go, n, key, size, params) for n, (key, size, params)
                                     in enumerate(_moves(x, bound, bounds, uniform_only, limit))
                                     if ways[left][size] and (to_go := best[left][size]) is not None)
        return ranked[x, left]

    # Best-first with the exact cost to go.  A popped entry is a parent's child number ``index``; only the
    # next sibling and the child's own first child are pushed, so each step costs two pushes, not one per
    # move (a wide dilation range gives a size tens of thousands of moves).  Entries: (paid + to pay, move
    # indices as tie-break, the parent's paid, size, chain and layers left, index).
    heap: list[tuple[int, tuple[int, ...], int, int, tuple[tuple[int, tuple], ...], int, int | None]] = []
    if total and (cost_to_go := best[layers][i]) is not None:
        heap.append((cost_to_go, (), 0, i, (), layers, None))
    while heap and len(chains) < limit:
        _, order, paid, x, chain_, left, index = heapq.heappop(heap)
        if index is not None:  # the parent's child: move to it, and queue its next sibling
            moves = children(x, left - 1)
            if index + 1 < len(moves):
                cost, n = moves[index + 1][:2]
                heapq.heappush(heap, (paid + cost, order[:-1] + (n,), paid, x, chain_, left, index + 1))
            _, _, key, size, params = moves[index]
            paid, x, chain_, left = paid + key, size, chain_ + ((x, params),), left - 1
        if left == 0:
            # the move's parameters only were carried: an Axis is built for the chains kept
            chains.append(tuple(Axis.from_pytorch(size, *params) for size, params in chain_))
            keys.append(paid)
            continue
        moves = children(x, left - 1)
        if moves:
            cost, n = moves[0][:2]
            heapq.heappush(heap, (paid + cost, order + (n,), paid, x, chain_, left, 0))
    return chains, keys, total


def chain(input_size: IntOrTuple, output_size: IntOrTuple, layers: int,
          kernel_sizes: Iterable[int] = DEFAULT_KERNELS, strides: Iterable[int] = DEFAULT_STRIDES,
          max_padding: int = DEFAULT_MAX_PADDING, dilations: Iterable[int] = DEFAULT_DILATIONS,
          limit: int = 10, uniform_only: bool = False,
          progress: Callable[[int, int], None] | None = None) -> Chain:
    """Stacks of ``layers`` transposed convolutions from ``input_size`` to ``output_size``.

    Ranked as ``plan`` ranks single layers, by the summed preferences of all
    layers; intermediate sizes never exceed the larger of input and output.
    Axes that ask for the same sizes share parameters (square layers).
    ``progress(done, total)`` reports a long search's progress.

    >>> chain(4, 16, layers=2, kernel_sizes=[4], strides=[2], limit=1).stacks[0][1].output_size
    (16,)
    """
    check_at_least("layers", layers, 1)
    sizes, requests, bounds = _check_bounds(input_size, output_size, kernel_sizes, strides, max_padding,
                                            dilations, limit)
    found = {request: _axis_chains(*request, layers, bounds, uniform_only, limit, progress)
             for request in set(requests)}
    best, total = _combine(requests, found, limit)
    stacks = tuple(tuple(Layer(tuple(per_axis[n] for per_axis in combo)) for n in range(layers)) for combo in best)
    return Chain(sizes["input_size"], sizes["output_size"], stacks, total)
