"""The domain of a network, derived step by step with SymPy (what ``net --domain`` prints and typesets).

Each layer's size rule, evaluated on a symbol, gives its floor-of-affine map; the period is the least
common multiple of the divisors along the paths; SymPy proves the lemma that makes every class
``n = P·t + r`` affine (``floor((P·t + c)/s) = (P/s)·t + floor(c/s)`` for integer ``t`` when ``s``
divides ``P``); each class's merges are shown as equalities in ``t``; the result is checked against
the plain size rules at every size up to the last threshold and one period more.

>>> from tconvcalc.network import load
>>> der = domain_derivation(load("examples/unet_encoder.toml"), 0)
>>> der.proved, der.results["classes"]
(True, [[1, 0, 5]])
"""

from __future__ import annotations

import sympy as sp

from ..model.arithmetic import sample_rows
from ..symbolic.proof import Derivation, Proof, prove_equal
from .affine import Affine
from .domain import axis_domain, classes
from .graph import Network
from .ops import OPS

N, T, C = sp.Symbol("n", integer=True, positive=True), sp.Symbol("t", integer=True, nonnegative=True), \
    sp.Symbol("c", integer=True)
# Distinct layer rules listed before "…".
MAX_RULES = 12


def _merge_sizes(network: Network, c) -> list[tuple[str, str]]:
    """Each merge and the size its inputs share, as ``a·t + b``, for one class that runs."""
    return [(node.name, str(c.sizes[node.inputs[0]])) for node in network.nodes if OPS[node.op].merge]


class SizeCheck(Proof):
    """A derived result run against the plain size rules, size by size (not an algebraic proof)."""

    def sentence(self) -> str:
        return f"checked: {self.statement}" if self.holds else f"NOT checked: {self.statement} — {self.counterexample}"


def _affine(value) -> sp.Expr:
    return value.a * T + value.b if isinstance(value, Affine) else sp.Integer(value)


def _rule(node, axis: int) -> tuple[sp.Expr, bool]:
    """The layer's size rule on the symbol n, and whether it has a case split (ceil_mode's last window: the
    count before that case, which the notes add in words)."""
    try:
        return OPS[node.op].size(N, node.axes[axis])[0], False
    except TypeError:  # SymPy cannot order a symbolic comparison: the ceil_mode count before its last-window case
        q = node.axes[axis]
        (b, e), d, k, s = q["pad"], q["d"], q["k"], q["s"]
        return sp.ceiling((N + b + e - d * (k - 1) - 1) / sp.Integer(s)) + 1, True


def _math_args(reason) -> dict:
    """A stop reason's values as the notes print them: class sizes ``a·t + b`` as SymPy (each writer prints them)."""
    return {name: _affine(value) if isinstance(value, Affine) else value
            for name, value in getattr(reason, "args", {}).items()}


def domain_derivation(network: Network, axis: int) -> Derivation:
    found = axis_domain(network, axis)
    p = found.period
    der = Derivation(f"The sizes {network.name} accepts along axis {axis}", key="net_domain",
                     notes={"network": network.name, "axis": axis})
    rules: dict = {}
    for node in network.nodes:
        if not OPS[node.op].merge and node.op != "identity":
            rules.setdefault((node.op, node.axes[axis].get("ceil", False), node.text()), node)
    for key, node in list(rules.items())[:MAX_RULES]:
        rule, split = _rule(node, axis)
        operation = f"{node.source or node.op} {node.text()}"
        words = f"{node.name} ({operation})".replace(" )", ")")
        text = (f"{words} maps n to (one less when that last window would start in the right padding: "
                f"PyTorch's ceil_mode)" if split else f"{words} maps n to")
        der.add(text, sp.Eq(sp.Symbol("m"), rule), key="net.rule", name=node.name, operation=operation.strip(),
                ceil=split)
    if len(rules) > MAX_RULES:
        der.add(f"… and {len(rules) - MAX_RULES} more layer rules of the same kinds", key="net.more",
                count=len(rules) - MAX_RULES)
    divisors = sorted({OPS[node.op].divisor(node.axes[axis]) for node in network.nodes} - {1})
    der.add("every division (stride, downscale factor) along a path multiplies, and the paths combine by "
            "least common multiple: the period is", sp.Eq(sp.Symbol("P"), p), key="net.period")
    if divisors:
        big_p, s = sp.Symbol("P", integer=True, positive=True), sp.Symbol("s", integer=True, positive=True)
        lemma = sp.Eq(sp.floor((big_p * T + C) / s), big_p / s * T + sp.floor(C / s), evaluate=False)
        der.proofs.append(prove_equal(
            f"floor((P·t + c)/s) = (P/s)·t + floor(c/s) for all integers t, c, with P = {p} and s in "
            f"{divisors}: on n = P·t + r every layer's size is affine in t",
            [sp.floor((p * T + C) / s) for s in divisors], [(p // s) * T + sp.floor(C / s) for s in divisors],
            key="proof.net_floor", args={"formula": lemma, "p": p,
                                         "divisors": ", ".join(map(str, divisors))}))
    der.add(f"so write n = {p}·t + r with r = 1..{p}; each class of sizes runs from some t on, at one t, or never:",
            sp.Eq(N, p * T + sp.Symbol("r")))
    results = classes(network, axis, p)
    # one step per run of consecutive residues that end the same way (the first and last runs when many)
    runs: list[list] = []
    for c in results:
        outcome = c.stop or (c.first_t, c.fixed_t, tuple(_merge_sizes(network, c)))
        if runs and runs[-1][0] == outcome:
            runs[-1][1].append(c)
        else:
            runs.append([outcome, [c]])
    for index in sample_rows(len(runs)):
        _, members = runs[index]
        c = members[0]
        residues = (c.residue, members[-1].residue)
        which = f"r = {c.residue}" if len(members) == 1 else f"r = {c.residue}..{members[-1].residue}"
        if c.stop is not None:
            node, reason = c.stop
            der.add(f"{which}: stops at {node}: {reason}", key="net.stop", residues=residues, node=node,
                    reason=reason, reason_args=_math_args(reason))
            continue
        when = f"for t = {c.fixed_t} only" if c.fixed_t is not None else f"for every t ≥ {c.first_t}"
        merges = _merge_sizes(network, c)
        sizes = ", ".join(f"{name} {size}" for name, size in merges)
        der.add(f"{which}: runs {when}" + (f"; every merge's inputs are equal ({sizes})" if sizes else ""),
                key="net.runs", residues=residues, first_t=c.first_t, fixed_t=c.fixed_t,
                merges=[(name, sp.latex(_affine(c.sizes[network.by_name[name].inputs[0]]))) for name, _ in merges])
    if len(runs) > len(sample_rows(len(runs))):
        der.add(f"(the first and last of {len(runs)} runs of classes shown)", key="net.sampled", count=len(runs))
    for progression in found.classes:
        start = (progression.first - progression.residue) // progression.modulus
        der.add(f"accepted, for t ≥ {start} (every size ≡ {progression.residue} mod {progression.modulus} from "
                f"{progression.first} on):", sp.Eq(N, progression.modulus * T + progression.residue))
    if found.points:
        der.add(f"and the single sizes {', '.join(map(str, found.points))}")
    if not found.classes and not found.points:
        der.add("no input size runs along this axis")
    assert found.checked is not None  # axis_domain fills in its check
    first, last, agree = found.checked
    der.proofs.append(SizeCheck(f"the plain size rules accept exactly these sizes at every n from {first} to "
                                f"{last} (the last threshold and one period more)", last - first + 1, agree, 0.0,
                                None if agree else "they disagree", key="net.checked",
                                args={"first": first, "last": last}))
    der.results.update({"period": p, "classes": [[c.modulus, c.residue, c.first] for c in found.classes],
                        "points": list(found.points)})
    return der
