"""Times of the symbolic engine across sizes, so the growth is visible.

    python benchmarks/bench_symbolic.py

Targets (issue): C for 2-D 64×64 with a 3×3 kernel ≤ 0.5 s; LaTeX for any size ≤ 1 s
(elision); the equivalence proof for a 2-D 16×16 case ≤ 5 s.  The peer for C is the
bare enumeration of its (row, column, tap) triples (operator.layer_taps) in the same
run: the ratio is what SymPy adds on top.
"""

from __future__ import annotations

import time

from tconvcalc import latex as lx
from tconvcalc import symbolic as sy
from tconvcalc.operator import layer_taps
from tconvcalc.spec import Axis, Layer


def seconds(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    print("C = conv_matrix((n, n), (3, 3))            target: n=64 ≤ 0.5 s")
    print(f"{'n':>6} {'shape':>14} {'nnz':>8} {'C [s]':>8} {'triples [s]':>12} {'ratio':>6}")
    for n in (8, 16, 32, 64, 128):
        axes = [Axis.from_conv(n, 3)] * 2
        build = seconds(lambda: sy.conv_matrix((n, n), (3, 3)))
        peer = seconds(lambda: sum(1 for _ in layer_taps(axes)))
        op = sy.conv_operator((n, n), (3, 3))
        shape = f"{op.shape[0]}×{op.shape[1]}"
        print(f"{n:>6} {shape:>14} {op.nnz_bound:>8} {build:>8.3f} {peer:>12.3f} {build / peer:>6.1f}")

    print("\nlatex fragment, default sections, 2-D, k=3, s=2   target: any size ≤ 1 s")
    print(f"{'i':>6} {'C shape':>16} {'latex [s]':>10} {'chars':>8}")
    for i in (2, 8, 16, 64, 256, 1024):
        layer = Layer.from_pytorch((i, i), (3, 3), (2, 2))
        op = sy.operator_from_axes(layer.axes)
        text: list[str] = []
        t = seconds(lambda: text.append(lx.layer_document(layer)), repeat=1)
        print(f"{i:>6} {op.shape[0]:>7}×{op.shape[1]:<8} {t:>10.3f} {len(text[0]):>8}")

    print("\nequivalence proof (Cᵀx = zero insertion + flipped kernel), 2-D, k=3, s=2   target: 16×16 ≤ 5 s")
    print(f"{'i':>6} {'outputs':>8} {'prove [s]':>10}")
    for i in (4, 8, 16, 24):
        layer = Layer.from_pytorch((i, i), (3, 3), (2, 2))
        result: list[sy.Derivation] = []
        t = seconds(lambda: result.append(sy.derive_equivalence(layer)), repeat=1)
        assert result[0].proved
        print(f"{i:>6} {result[0].proofs[-1].checked:>8} {t:>10.3f}")


if __name__ == "__main__":
    main()
