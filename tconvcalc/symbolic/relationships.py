"""Dumoulin & Visin's relationships 1-14, each re-derived from the general formulas and proved."""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from .derivations import B, D, E, K, N, P, S, _eq, general_conv_size
from .proof import Proof, Step, prove_equal
from .vocabulary import Divides

# --- Dumoulin & Visin's relationships 1-14 ---------------------------------------------


@dataclass
class Relationship:
    number: int
    title: str
    conditions: list[sp.Basic]
    derived: sp.Expr
    paper: sp.Expr
    lhs: str
    proof: Proof
    extra: list[Step] = field(default_factory=list)


def derive_relationships() -> list[Relationship]:
    """Re-derive conv_arithmetic's relationships 1-14 from the general formulas and prove each."""
    i, k, s, p, d, n, a = sp.symbols("i k s p d n a", integer=True, positive=True)
    p0 = sp.Symbol("p", integer=True, nonnegative=True)
    ip = sp.Symbol("i'", integer=True, positive=True)  # the transposed convolution's input
    conv = general_conv_size().xreplace({N: i, K: k, S: s, P: p0, D: d})
    # The transposed convolution as a direct convolution of the stretched input (derive_equivalence):
    # input (i'−1)s + 1, padding d(k−1) − b before and d(k−1) − e after, stride 1, kernel k.
    stretched = (ip - 1) * s + 1
    equivalent_pad = (D * (K - 1) - B).xreplace({D: 1, K: k})
    tconv_out = stretched + 2 * (k - 1) - B - E - (k - 1)  # output of that stride-1 convolution, d = 1

    def relation(number, title, conditions, subs, paper, lhs="o"):
        derived = conv.xreplace(subs)  # at s = 1 the floor of an integer evaluates away by itself
        proof = prove_equal(f"relationship {number}", [sp.expand(derived)], [sp.expand(paper)], "proof.rel")
        return Relationship(number, title, conditions, derived, paper, lhs, proof)

    out = [
        relation(1, "no zero padding, unit strides", [_eq(s, 1), _eq(p0, 0), _eq(d, 1)],
                 {s: 1, p0: 0, d: 1}, (i - k) + 1),
        relation(2, "zero padding, unit strides", [_eq(s, 1), _eq(d, 1)], {s: 1, d: 1}, (i - k) + 2 * p0 + 1),
        relation(3, "half (same) padding", [_eq(k, 2 * n + 1), _eq(p0, n), _eq(s, 1), _eq(d, 1)],
                 {k: 2 * n + 1, p0: n, s: 1, d: 1}, i),
        relation(4, "full padding", [_eq(p0, k - 1), _eq(s, 1), _eq(d, 1)], {p0: k - 1, s: 1, d: 1},
                 i + (k - 1)),
        relation(5, "no zero padding, non-unit strides", [_eq(p0, 0), _eq(d, 1)], {p0: 0, d: 1},
                 sp.floor((i - k) / s) + 1),
        relation(6, "zero padding, non-unit strides", [_eq(d, 1)], {d: 1}, sp.floor((i + 2 * p0 - k) / s) + 1),
    ]

    def transposed(number, title, conditions, conv_subs, crop, paper, paper_pad, input_size):
        """Relationships 7-13: the transpose of a conv, as the derived equivalent direct convolution."""
        pad = sp.expand(equivalent_pad.xreplace({B: crop[0]}).xreplace(conv_subs))
        derived = tconv_out.xreplace({B: crop[0], E: crop[1]}).xreplace(conv_subs)
        # The transpose restores the conv input: substitute i' = conv output size.
        restores = sp.expand(derived.xreplace({ip: input_size}) - i)
        proof = prove_equal(f"relationship {number}", [sp.expand(derived), pad, restores],
                            [sp.expand(paper.xreplace(conv_subs)), sp.expand(paper_pad.xreplace(conv_subs)), sp.S.Zero],
                            "proof.rel_transposed")
        extra = [Step("equivalent direct convolution: stride s' = 1, kernel k' = k, padding", _eq(sp.Symbol("p'"), pad),
                      key="rel.equivalent"),
                 Step("with i' the convolution's output size, o' gives back its input", _eq(sp.Symbol("o'"), i),
                      key="rel.restores")]
        return Relationship(number, title, conditions, derived, sp.expand(paper.xreplace(conv_subs)), "o'", proof,
                            extra)

    conv_out = lambda subs: sp.expand(conv.xreplace(subs))  # noqa: E731 - the i' each case starts from (s = 1: no floor left)
    out += [
        transposed(7, "transpose of no padding, unit strides", [_eq(s, 1), _eq(p0, 0)], {s: 1, p0: 0},
                   (0, 0), ip + (k - 1), k - 1, conv_out({s: 1, p0: 0, d: 1})),
        transposed(8, "transpose of zero padding, unit strides", [_eq(s, 1)], {s: 1}, (p0, p0),
                   ip + (k - 1) - 2 * p0, k - p0 - 1, conv_out({s: 1, d: 1})),
        transposed(9, "transpose of half (same) padding", [_eq(k, 2 * n + 1), _eq(p0, n), _eq(s, 1)],
                   {k: 2 * n + 1, p0: n, s: 1}, (p0, p0), ip, p0, conv_out({k: 2 * n + 1, p0: n, s: 1, d: 1})),
        transposed(10, "transpose of full padding", [_eq(p0, k - 1), _eq(s, 1)], {p0: k - 1, s: 1},
                   (p0, p0), ip - (k - 1), sp.S.Zero, conv_out({p0: k - 1, s: 1, d: 1})),
        transposed(11, "transpose of no padding, non-unit strides, s | i − k",
                   [_eq(p0, 0), Divides(s, i - k)], {p0: 0}, (0, 0), s * (ip - 1) + k, k - 1,
                   (i - k) / s + 1),
        transposed(12, "transpose of zero padding, non-unit strides, s | i + 2p − k",
                   [Divides(s, i + 2 * p0 - k)], {}, (p0, p0), s * (ip - 1) + k - 2 * p0, k - p0 - 1,
                   (i + 2 * p0 - k) / s + 1),
        transposed(13, "transpose of zero padding, non-unit strides, any i: a = (i + 2p − k) mod s extra zeros",
                   [_eq(a, sp.Mod(i + 2 * p0 - k, s))], {}, (p0, p0 - a), s * (ip - 1) + a + k - 2 * p0,
                   k - p0 - 1, (i + 2 * p0 - k - a) / s + 1),
    ]
    dilated = conv
    paper14 = sp.floor((i + 2 * p0 - k - (k - 1) * (d - 1)) / s) + 1
    out.append(Relationship(14, "dilated convolution", [_eq(sp.Symbol("khat"), k + (k - 1) * (d - 1))],
                            dilated, paper14, "o",
                            prove_equal("relationship 14", [sp.expand(dilated)], [sp.expand(paper14)], "proof.rel")))
    return out
