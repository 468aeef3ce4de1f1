"""Cᵀ versus C⁻¹ and C⁺: the structure of CCᵀ, proved from C's index rule, and the layer's verdicts.

C is ``i × o``: one row per window j of the convolution (the transposed convolution's input), one column per
input position m (its output), and window j reads position ``m = j·s + a·d − b`` through tap a
(``structure.scatter_index``).  The general statements are proved over symbols as identities of that map (each
difference expands to 0), once per process; the layer's verdicts are counted exactly from C's columns
(``structure.column_pairs``) and its CCᵀ is built from C's entries and compared with the theorem's.  What can only
be measured (errors, the numerical rank) is filled in by the caller from :mod:`tconvcalc.numeric.inverse`.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import product
from math import gcd, prod

import sympy as sp

from ..model.structure import check_dense, column_pairs, scatter_index, unravel
from ..model.spec import Axis, Layer
from .derivations import A, B, D, E, I, J, K, S, general_axis
from .matrix import operator_from_axes
from .proof import Derivation, Proof, Step, prove_equal
from .vocabulary import Iverson

J2, A2 = sp.symbols("j' a'", integer=True, nonnegative=True)
G = sp.Symbol("g", integer=True, positive=True)  # gcd(s, d): a symbol, as sympy.gcd of two symbols is 1
O = sp.Symbol("o", integer=True, positive=True)
W = sp.IndexedBase("w")
GRAM = sp.IndexedBase("G")  # G = CCᵀ
NORM = sp.Symbol("‖w‖²", positive=True)  # printed \lVert w \rVert^{2} (vocabulary.LATEX_NAMES)
C = sp.MatrixSymbol("C", I, O)

# The layer's CCᵀ is built from C's entries and compared with the theorem's when it has at most this many
# products (Σ over columns of their entries squared; SymPy ~25 µs a product), else the comparison is skipped.
GRAM_TERMS = 2_000

# The steps that state this layer's verdicts (the others are theorems for every size, or measured: ``inv.m_*``).
LAYER_STEPS = frozenset({"inv.layer", "inv.is_diagonal", "inv.not_diagonal", "inv.is_right", "inv.is_inverse",
                         "inv.no_right", "inv.gram_skipped"})


def _eq(lhs, rhs) -> sp.Eq:
    return sp.Eq(lhs, rhs, evaluate=False)


@lru_cache(maxsize=None)
def _general_steps() -> tuple[Step, ...]:
    """The general derivation's steps, built once per process (its proofs are run at every call)."""
    axis = general_axis()
    m = sp.Symbol("m", integer=True)
    steps = [Step("window j reads input position m through tap a (C's index rule)",
                  _eq(m, scatter_index(axis, J, A)), key="inv.read")]
    meet = sp.expand(scatter_index(axis, J, A) - scatter_index(axis, J2, A2))
    gram = sp.Sum(Iverson(_eq(meet, 0)) * W[A] * W[A2], (A, 0, K - 1), (A2, 0, K - 1))
    steps.append(Step("so G = CCᵀ sums w_a·w_a' over the taps a of window j and a' of window j' that read one "
                      "position, a real one (a tap reading the padding has no column in C)",
                      _eq(GRAM[J, J2], gram), key="inv.gram"))
    steps.append(Step("windows j and j' read one position through taps a and a' exactly when", _eq(meet, 0),
                      key="inv.meet"))
    steps.append(Step("with g = gcd(s, d), s/g and d/g are coprime, so a − a' is a multiple of s/g (Euclid's "
                      "lemma): the nearest windows that meet are d/g apart, through taps s/g apart",
                      _eq(sp.Symbol("q_min"), S / G), key="inv.coprime"))
    steps.append(Step("so no two windows share a position, and CCᵀ is diagonal at every size and padding, when",
                      sp.StrictLessThan((K - 1) * G, S, evaluate=False), key="inv.diagonal"))
    steps.append(Step("with d = 1 (g = 1) that is", sp.LessThan(K, S, evaluate=False), key="inv.d1"))
    steps.append(Step("positions grow with a: window j's first tap reads", _eq(sp.Symbol("m_first"),
                      scatter_index(axis, J, 0)), key="inv.first"))
    steps.append(Step("and its last tap", _eq(sp.Symbol("m_last"), scatter_index(axis, J, K - 1)), key="inv.last"))
    steps.append(Step("the first window starts at −b and the last ends at o − 1 + e, so every window is full (all k "
                      "taps real) exactly when", sp.LessThan(sp.Max(B, E), 0, evaluate=False), key="inv.full"))
    steps.append(Step("then every position a window reads is real, so CCᵀ is diagonal exactly when the nearest "
                      "windows that would meet, j and j + d/g, do not both exist or do not meet:",
                      sp.Or(sp.StrictLessThan((K - 1) * G, S, evaluate=False), sp.LessThan(I, D / G, evaluate=False),
                            evaluate=False), key="inv.exact"))
    steps.append(Step("a full window's diagonal entry is ‖w‖²; a window hanging into the padding has fewer real "
                      "taps, and its entry is the sum of their squares only",
                      _eq(GRAM[J, J], sp.Sum(W[A] ** 2, (A, 0, K - 1))),
                      key="inv.norm"))
    steps.append(Step("both together: CCᵀ = ‖w‖²·I, so Cᵀ/‖w‖² is a right inverse of C (and then C⁺ = Cᵀ/‖w‖²)",
                      _eq(C * C.T / NORM, sp.Identity(I)), key="inv.right"))
    square = sp.expand((I - 1) * (S - 1) + D * (K - 1) - B - E)
    steps.append(Step("C is i × o with", _eq(O - I, square), key="inv.square"))
    steps.append(Step("each term is ≥ 0 when every window is full, so C is square, and Cᵀ/‖w‖² = C⁻¹, only when "
                      "k = 1, b = e = 0 and s = 1 (or one window): then C = w_0·I", key="inv.inverse"))
    steps.append(Step("otherwise rank C ≤ min(i, o): C⁺C is the orthogonal projector onto C's row space, and "
                      "the o − rank C directions of its null space are sent to 0 - no reconstruction recovers them",
                      key="inv.rank"))
    return tuple(steps)


def _general_proofs() -> list[Proof]:
    """The general statements as identities of C's index rule over symbols: each difference must expand to 0."""
    axis = general_axis()
    meet = sp.expand(scatter_index(axis, J, A) - scatter_index(axis, J2, A2))
    square = sp.expand((I - 1) * (S - 1) + D * (K - 1) - B - E)
    first, last = scatter_index(axis, 0, 0), scatter_index(axis, I - 1, K - 1)
    return [
        prove_equal("for all i, k, s, d, b, j, j', a, a': windows j and j' read one position exactly when "
                    "(j − j')·s + (a − a')·d = 0", [meet], [(J - J2) * S + (A - A2) * D], "proof.inv_meet"),
        prove_equal("for all k, s, d, b, j, a and g dividing s and d: window j + d/g reads through tap a the "
                    "position window j reads through tap a + s/g", [scatter_index(axis, J + D / G, A)],
                    [scatter_index(axis, J, A + S / G)], "proof.inv_shift"),
        prove_equal("for all i, k, s, d, b, e: the first window's first tap reads −b and the last window's last "
                    "tap o − 1 + e", [first, last], [-B, axis.o - 1 + E], "proof.inv_ends"),
        prove_equal("for all i, k, s, d, b, e: o − i = (i − 1)(s − 1) + d(k − 1) − b − e",
                    [axis.o - I], [square], "proof.inv_square"),
    ]


def _real_taps(axis: Axis, j: int) -> range:
    """The taps of window j that read a real position, ``0 ≤ j·s + a·d − b ≤ o − 1`` solved for a."""
    low = max(0, -((j * axis.s - axis.b) // axis.d))
    high = min(axis.k - 1, (axis.o - 1 + axis.b - j * axis.s) // axis.d)
    return range(low, high + 1)


def _shared(axis: Axis) -> int:
    """The most windows that read one input position: C's longest column (structure.column_pairs)."""
    return max((len(column_pairs(axis, m)) for m in range(axis.o)), default=0)


def _layer_gram(layer: Layer, der: Derivation, diagonal: bool) -> Proof | None:
    """The layer's CCᵀ from C's entries, against the theorem's: the diagonal the sums of squares of each window's
    real taps, and (when the layer is diagonal) nothing off it.  None, with a step, when it is too large."""
    terms = prod(sum(len(column_pairs(axis, m)) ** 2 for m in range(axis.o)) for axis in layer.axes)
    if terms > GRAM_TERMS:
        der.add(f"CCᵀ of these sizes has {terms} products, more than SymPy expands quickly ({GRAM_TERMS}): it is "
                f"not built, the verdicts above are counted from C's columns", key="inv.gram_skipped", terms=terms,
                limit=GRAM_TERMS)
        return None
    op = operator_from_axes(layer.axes)
    c = op.matrix()
    gram = (c * c.T).todok()
    expected = {}
    for row in range(c.rows):
        windows = [_real_taps(axis, j) for axis, j in zip(layer.axes, unravel(row, [a.i for a in layer.axes]))]
        expected[row, row] = sp.Add(*(sp.Symbol(op.symbol + "_{" + ",".join(map(str, taps)) + "}") ** 2
                                      for taps in product(*windows)))
    keys = sorted(set(gram) | set(expected)) if diagonal else sorted(expected)
    what = ("CCᵀ is diagonal, each entry the squares of its window's real taps" if diagonal
            else "CCᵀ's diagonal holds the squares of each window's real taps")
    return prove_equal(f"for this layer, {what}", [gram.get(key, sp.S.Zero) for key in keys],
                       [expected.get(key, sp.S.Zero) for key in keys],
                       "proof.inv_layer_diagonal" if diagonal else "proof.inv_layer_norms")


def derive_inverse(layer: Layer, measured=None) -> Derivation:
    """Cᵀ versus C⁻¹ and C⁺ for C of ``layer`` (single channel): the general theorems, then this layer's verdicts
    in ``results`` (``diagonal``, ``right_inverse``, ``scaled_inverse``, ``full_windows``, ``shared``); the
    ``measured`` numbers (:class:`tconvcalc.model.structure.Measured`), when given, are added as steps labelled
    measured, and ``results`` gets ``rank``, ``null_space`` and ``reconstruction``."""
    rows, cols = check_dense(layer.axes, "the inverse derivation")
    der = Derivation("Cᵀ versus C⁻¹ and C⁺", list(_general_steps()), _general_proofs(), key="inverse")
    axes = layer.axes
    gs = [gcd(axis.s, axis.d) for axis in axes]
    condition = all((axis.k - 1) * g < axis.s for axis, g in zip(axes, gs))
    shared = [_shared(axis) for axis in axes]
    diagonal = prod(shared) <= 1
    full = [len([j for j in range(axis.i) if len(_real_taps(axis, j)) == axis.k]) for axis in axes]
    every_full = all(f == axis.i for f, axis in zip(full, axes))
    right = diagonal and every_full
    scaled = right and rows == cols
    where = lambda n: f" (axis {n})" if layer.ndim > 1 else ""  # noqa: E731
    for n, (axis, g) in enumerate(zip(axes, gs)):
        der.add(f"for this layer{where(n)}: k = {axis.k}, s = {axis.s}, d = {axis.d}, g = {g}, so (k − 1)·g = "
                f"{(axis.k - 1) * g} {'<' if (axis.k - 1) * g < axis.s else '≥'} s = {axis.s}; {full[n]} of its "
                f"{axis.i} windows are full, and an input position is read by at most {shared[n]} window(s)",
                key="inv.layer", n=n if layer.ndim > 1 else None, k=axis.k, s=axis.s, d=axis.d, g=g,
                product=(axis.k - 1) * g, holds=(axis.k - 1) * g < axis.s, full=full[n], windows=axis.i,
                shared=shared[n])
    verdict = ("so CCᵀ is diagonal" + ("" if condition else ": the windows that would meet do so only in the padding")
               if diagonal else "so windows overlap and CCᵀ is not diagonal")
    der.add(verdict, key="inv.is_diagonal" if diagonal else "inv.not_diagonal", padding_only=diagonal and not condition)
    if right:
        der.add("every window is full and none overlap: CCᵀ = ‖w‖²·I, Cᵀ/‖w‖² is a right inverse"
                + (f", and C is square ({rows}×{cols}): Cᵀ/‖w‖² = C⁻¹" if scaled else
                   f", not an inverse: C is {rows}×{cols}"), key="inv.is_right" if not scaled else "inv.is_inverse",
                rows=rows, cols=cols)
    else:
        der.add("Cᵀ/‖w‖² is no right inverse: " + ("windows overlap" if not diagonal else
                "windows hanging into the padding have fewer taps, so CCᵀ's diagonal is not constant; C⁺ = Cᵀ(CCᵀ)⁻¹ "
                "rescales each row instead"), key="inv.no_right", overlap=not diagonal)
    check = _layer_gram(layer, der, diagonal)
    if check is not None:
        der.proofs.append(check)
    der.results.update({"shape": [rows, cols], "diagonal": diagonal, "condition": condition,
                        "right_inverse": right, "scaled_inverse": scaled, "full_windows": full, "shared": shared})
    if measured is not None:
        _add_measured(der, measured)
    return der


def significant(value: float) -> str:
    """A measured error as the terminal and the notes print it: ``< 1e-12`` where it is rounding noise, else two
    significant digits (a CPU's rounding moves the 15th digit, not the 2nd).

    >>> significant(0.70710678), significant(3e-16), significant(0.0123456), significant(0.8996)
    ('0.71', '< 1e-12', '0.012', '0.90')
    """
    return "< 1e-12" if value < 1e-12 else f"{value:#.2g}"


def _add_measured(der: Derivation, measured) -> None:
    """The measured numbers as steps of words (no SymPy object: a float's last digits are the CPU's)."""
    rows, cols = measured.shape
    null = cols - measured.rank
    der.add(f"with NumPy, seed {measured.seed} (a random kernel with ‖w‖ = 1, so Cᵀ = Cᵀ/‖w‖², and a random "
            f"u): rank C = {measured.rank} of {cols} columns, so C's null space has {null} dimension(s)",
            key="inv.m_rank", seed=measured.seed, rank=measured.rank, null=null, cols=cols)
    transpose, pinv, lost = (significant(v) for v in (measured.transpose, measured.pseudoinverse,
                                                      measured.null_fraction))
    der.add(f"‖CᵀCu − u‖/‖u‖ = {transpose}", key="inv.m_transpose", value=transpose)
    der.add(f"‖C⁺Cu − u‖/‖u‖ = {pinv} (C⁺ = numpy.linalg.pinv(C)); the part of u in the null space, from C's SVD: "
            f"{lost}", key="inv.m_pinv", value=pinv, lost=lost)
    der.results.update({"rank": measured.rank, "null_space": null, "seed": measured.seed,
                        "reconstruction": {"transpose": measured.transpose, "pseudoinverse": measured.pseudoinverse}})
