"""Search the parameter space for transposed convolutions that map one size to another.

Kept apart from execution (as opt_einsum keeps its path planner apart from
contraction): the planner only reasons about the crop model and ranks.

Ranking, best first, compared axis-summed and in this order:

1. uniform overlap - every output phase gets the same number of kernel taps
   (for d = 1: ``k`` divisible by ``s``), so no checkerboard artifacts;
2. ``output_padding = 0`` - the layer needs no disambiguation;
3. the smallest kernel (its dilated extent ``d(k-1)+1``), then the least padding,
   the smallest stride, dilation and output_padding.

>>> [layer.kernel_size for layer in plan(16, 32, strides=[2], limit=3).candidates]  # uniform overlap first
[(2,), (4,), (6,)]
"""

from __future__ import annotations

import heapq
from functools import lru_cache
from collections import namedtuple
from typing import Iterable, Sequence

from .spec import (Axis, IntOrTuple, Layer, ParameterError, broadcast, check_at_least, full_length, kernel_span,
                   op_limit)

DEFAULT_KERNELS = range(1, 9)
DEFAULT_STRIDES = range(1, 9)
DEFAULT_MAX_PADDING = 8
DEFAULT_DILATIONS = (1,)


def rank_key(axis: Axis) -> tuple[int, ...]:
    """The preference of the module docstring as a vector; smaller is better."""
    p, op = axis.pytorch
    return _key(axis.k, axis.s, axis.d, p, op)


@lru_cache(maxsize=None)
def _uniform(k: int, s: int, d: int) -> bool:
    return Axis(1, k, s, d, 0, 0).uniform_overlap  # the crop only rotates the phases: b is irrelevant


def _key(k: int, s: int, d: int, p: int, op: int) -> tuple[int, ...]:
    return (0 if _uniform(k, s, d) else 1, 1 if op else 0, kernel_span(k, d), p, s, d, op)


def _moves(i: int, kernels, strides, max_padding: int, dilations, uniform_only: bool,
           low: int, high: int) -> list[tuple[tuple[int, ...], int, tuple[int, int, int, int, int]]]:
    """``(rank key, output size, (k, s, p, op, d))`` of every layer from ``i`` to a size in ``[low, high]``.

    The size ``(i-1)s + d(k-1) + 1 - 2p + op`` fixes the paddings that land in
    range, so ``p`` is solved, not searched; no Axis is built until a layer is kept.
    """
    found = []
    for k in kernels:
        for s in strides:
            for d in dilations:
                if uniform_only and not _uniform(k, s, d):
                    continue
                full = full_length(i, k, s, d)
                for op in range(op_limit(s, d)):
                    # low <= full + op - 2p <= high
                    p_min = max(0, -((high - full - op) // 2))
                    p_max = min(max_padding, (full + op - low) // 2)
                    for p in range(p_min, p_max + 1):
                        found.append((_key(k, s, d, p, op), full + op - 2 * p, (k, s, p, op, d)))
    found.sort()
    return found


def _axis(i: int, params: tuple[int, int, int, int, int]) -> Axis:
    k, s, p, op, d = params
    return Axis.from_pytorch(i, k, s, p, op, d)


def axis_candidates(i: int, target: int, kernels: Iterable[int], strides: Iterable[int],
                    max_padding: int, dilations: Iterable[int], uniform_only: bool = False) -> list[Axis]:
    """Every PyTorch-expressible axis mapping ``i`` to ``target``, best first."""
    moves = _moves(i, kernels, strides, max_padding, dilations, uniform_only, target, target)
    return [_axis(i, params) for _, _, params in moves]


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


def _summed(keys: Iterable[tuple[int, ...]]) -> tuple[int, ...]:
    return tuple(map(sum, zip(*keys)))


def _best_products(lists: Sequence[Sequence], keys: Sequence[Sequence[tuple]], limit: int) -> list[tuple]:
    """The ``limit`` best combinations, one item from each list, by summed keys.

    Each list is sorted by its keys.  Lexicographic order on summed vectors is
    compatible with addition, so advancing any one index never improves a
    combination: best-first search over index tuples yields them in order
    without building the product.
    """
    def entry(index: tuple[int, ...]) -> tuple:
        return _summed(keys[n][j] for n, j in enumerate(index)), index

    start = (0,) * len(lists)
    heap, seen, out = [entry(start)], {start}, []
    while heap and len(out) < limit:
        _, index = heapq.heappop(heap)
        out.append(tuple(lists[n][j] for n, j in enumerate(index)))
        for n in range(len(index)):
            nxt = index[:n] + (index[n] + 1,) + index[n + 1:]
            if nxt[n] < len(lists[n]) and nxt not in seen:
                seen.add(nxt)
                heapq.heappush(heap, entry(nxt))
    return out


def _check_bounds(input_size, output_size, kernel_sizes, strides, max_padding, dilations, limit):
    """Validate a search request; returns the per-axis requests and the sorted bounds."""
    _, sizes = broadcast(input_size=input_size, output_size=output_size)
    for name, values in sizes.items():
        for v in values:
            check_at_least(name, v, 1)
    bounds = {"kernel_size": sorted(set(kernel_sizes)), "stride": sorted(set(strides)),
              "dilation": sorted(set(dilations))}
    for name, values in bounds.items():
        if not values:
            raise ParameterError(f"the {name} range is empty, the planner needs at least one {name} "
                                 f"to try; give a range such as 1-8")
        for v in values:
            check_at_least(name, v, 1)
    check_at_least("max_padding", max_padding, 0)
    check_at_least("limit", limit, 1)
    requests = list(zip(sizes["input_size"], sizes["output_size"]))
    return sizes, requests, (bounds["kernel_size"], bounds["stride"], max_padding, bounds["dilation"])


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
         dilations: Iterable[int] = DEFAULT_DILATIONS, limit: int = 10, uniform_only: bool = False) -> Plan:
    """Every (k, s, p, op, d) within the bounds that maps ``input_size`` to ``output_size``.

    Bounds apply to every axis.  When every axis asks for the same sizes the
    layer is square (one parameter set for all axes); otherwise each axis gets
    its own and combinations are ranked by their summed preferences.  Returns
    the ``limit`` best layers (module docstring for the order) and the total count.

    >>> [layer.axes[0].pytorch for layer in plan(16, 32, strides=[2], limit=3).candidates]  # (padding, op)
    [(0, 0), (1, 0), (2, 0)]
    """
    sizes, requests, bounds = _check_bounds(input_size, output_size, kernel_sizes, strides, max_padding,
                                            dilations, limit)
    found = {}
    for i, target in set(requests):
        moves = _moves(i, *bounds, uniform_only, target, target)
        found[(i, target)] = ([_axis(i, params) for _, _, params in moves], [key for key, _, _ in moves],
                              len(moves))
    best, total = _combine(requests, found, limit)
    return Plan(sizes["input_size"], sizes["output_size"], tuple(Layer(axes) for axes in best), total)


def _axis_chains(i: int, target: int, layers: int, bounds, uniform_only: bool, limit: int):
    """The best ``limit`` chains of ``layers`` axes from ``i`` to ``target``: (chains, keys, count).

    Intermediate sizes stay within ``[1, max(i, target)]``.  A backward pass
    counts, for every size and number of layers left, the chains that reach
    the target and the best cost still to pay; a best-first search guided by
    that exact cost then yields chains in rank order without listing them all.
    """
    bound = max(i, target)
    moves = {}

    def moves_from(x: int):
        if x not in moves:
            moves[x] = _moves(x, *bounds, uniform_only, 1, bound)
        return moves[x]

    ways, best = [{target: 1}], [{target: (0,) * 7}]  # per layers left: size -> count, best cost
    for left in range(1, layers + 1):
        ways_now, best_now = {}, {}
        for x in ([i] if left == layers else range(1, bound + 1)):
            for key, size, _ in moves_from(x):
                if size in ways[-1]:
                    ways_now[x] = ways_now.get(x, 0) + ways[-1][size]
                    cost = _summed([key, best[-1][size]])
                    if x not in best_now or cost < best_now[x]:
                        best_now[x] = cost
        ways.append(ways_now)
        best.append(best_now)
    total = ways[layers].get(i, 0)
    chains, keys = [], []
    # A* with the exact cost to go: (paid + to pay, move indices as tie-break, paid, size, chain).
    heap = [(best[layers][i], (), (0,) * 7, i, ())] if total else []
    while heap and len(chains) < limit:
        _, order, paid, x, chain_ = heapq.heappop(heap)
        if len(chain_) == layers:
            chains.append(chain_)
            keys.append(paid)
            continue
        left = layers - len(chain_) - 1
        for n, (key, size, params) in enumerate(moves_from(x)):
            if size in ways[left]:
                now = _summed([paid, key])
                heapq.heappush(heap, (_summed([now, best[left][size]]), order + (n,), now, size,
                                      chain_ + (_axis(x, params),)))
    return chains, keys, total


def chain(input_size: IntOrTuple, output_size: IntOrTuple, layers: int,
          kernel_sizes: Iterable[int] = DEFAULT_KERNELS, strides: Iterable[int] = DEFAULT_STRIDES,
          max_padding: int = DEFAULT_MAX_PADDING, dilations: Iterable[int] = DEFAULT_DILATIONS,
          limit: int = 10, uniform_only: bool = False) -> Chain:
    """Stacks of ``layers`` transposed convolutions from ``input_size`` to ``output_size``.

    Ranked as ``plan`` ranks single layers, by the summed preferences of all
    layers; intermediate sizes never exceed the larger of input and output.
    Axes that ask for the same sizes share parameters (square layers).

    >>> chain(4, 16, layers=2, kernel_sizes=[4], strides=[2], limit=1).stacks[0][1].output_size
    (16,)
    """
    check_at_least("layers", layers, 1)
    sizes, requests, bounds = _check_bounds(input_size, output_size, kernel_sizes, strides, max_padding,
                                            dilations, limit)
    found = {request: _axis_chains(*request, layers, bounds, uniform_only, limit) for request in set(requests)}
    best, total = _combine(requests, found, limit)
    stacks = tuple(tuple(Layer(tuple(per_axis[n] for per_axis in combo)) for n in range(layers)) for combo in best)
    return Chain(sizes["input_size"], sizes["output_size"], stacks, total)
