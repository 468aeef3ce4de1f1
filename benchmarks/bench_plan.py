"""The planner against a brute-force search of the same bounds, and the cold CLI call.

The issue's target: `plan` over k ≤ 8, s ≤ 8, p ≤ 8, d ≤ 3 for a 3-axis target answers in
under 0.2 s.  The peer is the obvious planner: every (k, s, p, op, d) on every axis checked
with the size formula, then the whole product over axes ranked for the best ten.

    python benchmarks/bench_plan.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import heapq
from itertools import product

import tconvcalc as tc
from tconvcalc.design.planner import rank_key

BOUNDS = dict(kernel_sizes=range(1, 9), strides=range(1, 9), max_padding=8, dilations=range(1, 4))
CASES = [((16,), (32,)), ((7, 9), (28, 36)), ((7, 9, 5), (28, 36, 20)), ((33, 33, 17), (64, 64, 33))]


def summed_rank(axes):
    """A layer's rank: its axes' rank keys added term by term (what both planners sort by)."""
    return tuple(map(sum, zip(*(rank_key(a) for a in axes))))


def brute_force(inputs, targets, limit=10):
    """The obvious planner: try every parameter on every axis, rank the whole product."""
    per_axis = {}
    for request in set(zip(inputs, targets)):
        i, target = request
        found = []
        for k, s, p, d in product(BOUNDS["kernel_sizes"], BOUNDS["strides"], range(BOUNDS["max_padding"] + 1),
                                  BOUNDS["dilations"]):
            for op in range(max(s, d)):
                if (i - 1) * s - 2 * p + d * (k - 1) + op + 1 == target:
                    found.append(tc.Axis.from_pytorch(i, k, s, p, op, d))
        per_axis[request] = found
    if len(per_axis) == 1:  # the same request on every axis: a square layer, as tc.plan does
        (found,) = per_axis.values()
        return len(found), [(a,) * len(inputs) for a in sorted(found, key=rank_key)[:limit]]
    lists = [per_axis[request] for request in zip(inputs, targets)]
    total = 1
    for found in lists:
        total *= len(found)
    return total, heapq.nsmallest(limit, product(*lists), key=summed_rank)


def best_of(fn, repeat=5):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    print(f"{'case':<28} {'layers':>10} {'plan ms':>9} {'brute ms':>9} {'speed-up':>9}")
    for inputs, targets in CASES:
        ours, plan = best_of(lambda: tc.plan(inputs, targets, limit=10, **BOUNDS))
        peer, (count, best) = best_of(lambda: brute_force(inputs, targets), repeat=1)
        assert plan.total == count, (plan.total, count)
        assert [summed_rank(c.axes) for c in plan.candidates] == [summed_rank(c) for c in best]  # the same ranking
        label = f"{'x'.join(map(str, inputs))} -> {'x'.join(map(str, targets))}"
        print(f"{label:<28} {count:>10} {ours * 1e3:>9.2f} {peer * 1e3:>9.2f} {peer / ours:>8.1f}x")
    script = shutil.which("tconvcalc")
    command = [script] if script else [sys.executable, "-m", "tconvcalc"]
    args = ["plan", "--in", "7,9,5", "--out", "28,36,20", "--d", "1-3", "--json"]
    cold, _ = best_of(lambda: subprocess.run(command + args, check=True, capture_output=True))
    print(f"cold `tconvcalc {' '.join(args)}`: {cold * 1e3:.0f} ms (target < 200 ms)")


if __name__ == "__main__":
    main()
