"""Search the parameter space for transposed convolutions that map one size to another.

Kept apart from execution (as opt_einsum keeps its path planner apart from
contraction): the planner only reasons about the crop model and ranks.

Ranking, best first, compared axis-summed and in this order:

1. uniform overlap - every output phase gets the same number of kernel taps
   (for d = 1: ``k`` divisible by ``s``), so no checkerboard artifacts;
2. ``output_padding = 0`` - the layer needs no disambiguation;
3. the smallest kernel (its dilated extent ``d(k-1)+1``), then the least padding,
   the smallest stride, dilation and output_padding.
"""

from __future__ import annotations

import heapq
from collections import namedtuple
from typing import Iterable, Sequence

from .spec import Axis, IntOrTuple, Layer, ParameterError, broadcast, check_at_least

DEFAULT_KERNELS = range(1, 9)
DEFAULT_STRIDES = range(1, 9)
DEFAULT_MAX_PADDING = 8
DEFAULT_DILATIONS = (1,)


def rank_key(axis: Axis) -> tuple[int, ...]:
    """The preference of the module docstring as a vector; smaller is better."""
    p, op = axis.pytorch
    return (0 if axis.uniform_overlap else 1, 1 if op else 0, axis.span, p, axis.s, axis.d, op)


def axis_candidates(i: int, target: int, kernels: Iterable[int], strides: Iterable[int],
                    max_padding: int, dilations: Iterable[int], uniform_only: bool = False) -> list[Axis]:
    """Every PyTorch-expressible axis mapping ``i`` to ``target``, best first.

    ``(i-1)s + d(k-1) + 1 - 2p + op = target`` fixes ``2p - op``, so for each
    ``(k, s, d, op)`` there is at most one padding: no search over ``p``.
    """
    found = []
    for k in kernels:
        for s in strides:
            for d in dilations:
                excess = (i - 1) * s + d * (k - 1) + 1 - target  # = 2p - op
                for op in range(max(s, d)):
                    twice_p = excess + op
                    if twice_p % 2 or not 0 <= twice_p // 2 <= max_padding:
                        continue
                    axis = Axis.from_pytorch(i, k, s, twice_p // 2, op, d)
                    if uniform_only and not axis.uniform_overlap:
                        continue
                    found.append(axis)
    found.sort(key=rank_key)
    return found


class Plan(namedtuple("Plan", "input_size output_size candidates total")):
    """The ranked layers that map ``input_size`` to ``output_size``.

    ``candidates`` holds the best ``limit`` layers, best first; ``total`` counts
    every layer that satisfies the request.
    """

    __slots__ = ()


def _best_products(lists: Sequence[Sequence[Axis]], limit: int) -> list[tuple[Axis, ...]]:
    """The ``limit`` best combinations, one axis from each list, by summed rank keys.

    Lexicographic order on summed vectors is compatible with addition, so
    advancing any one index never improves a combination: best-first search
    over index tuples yields them in order without building the product.
    """
    keys = [[rank_key(axis) for axis in axes] for axes in lists]

    def total(index: tuple[int, ...]) -> tuple:
        summed = tuple(map(sum, zip(*(keys[n][j] for n, j in enumerate(index)))))
        return summed, index

    start = (0,) * len(lists)
    heap, seen, out = [total(start)], {start}, []
    while heap and len(out) < limit:
        _, index = heapq.heappop(heap)
        out.append(tuple(lists[n][j] for n, j in enumerate(index)))
        for n in range(len(index)):
            nxt = index[:n] + (index[n] + 1,) + index[n + 1:]
            if nxt[n] < len(lists[n]) and nxt not in seen:
                seen.add(nxt)
                heapq.heappush(heap, total(nxt))
    return out


def plan(input_size: IntOrTuple, output_size: IntOrTuple, kernel_sizes: Iterable[int] = DEFAULT_KERNELS,
         strides: Iterable[int] = DEFAULT_STRIDES, max_padding: int = DEFAULT_MAX_PADDING,
         dilations: Iterable[int] = DEFAULT_DILATIONS, limit: int = 10, uniform_only: bool = False) -> Plan:
    """Every (k, s, p, op, d) within the bounds that maps ``input_size`` to ``output_size``.

    Bounds apply to every axis.  When every axis asks for the same sizes the
    layer is square (one parameter set for all axes); otherwise each axis gets
    its own and combinations are ranked by their summed preferences.  Returns
    the ``limit`` best layers (module docstring for the order) and the total count.
    """
    _, sizes = broadcast(input_size=input_size, output_size=output_size)
    bounds = {
        "kernel_size": sorted(set(kernel_sizes)), "stride": sorted(set(strides)),
        "dilation": sorted(set(dilations)),
    }
    for name, values in bounds.items():
        if not values:
            raise ParameterError(f"the {name} range is empty, the planner needs at least one {name} "
                                 f"to try; give a range such as 1-8")
        for v in values:
            check_at_least(name, v, 1)
    check_at_least("max_padding", max_padding, 0)
    check_at_least("limit", limit, 1)
    for name, values in sizes.items():
        for v in values:
            check_at_least(name, v, 1)
    requests = list(zip(sizes["input_size"], sizes["output_size"]))
    found = {
        request: axis_candidates(*request, bounds["kernel_size"], bounds["stride"], max_padding,
                                 bounds["dilation"], uniform_only)
        for request in set(requests)
    }
    if len(found) == 1:
        # Every axis asks for the same mapping: the layer is square, one parameter set for all axes.
        (axes,) = found.values()
        best = [(axis,) * len(requests) for axis in axes[:limit]]
        total = len(axes)
    else:
        lists = [found[request] for request in requests]
        total = 1
        for axes in lists:
            total *= len(axes)
        best = _best_products(lists, limit) if total else []
    return Plan(sizes["input_size"], sizes["output_size"], tuple(Layer(axes) for axes in best), total)
