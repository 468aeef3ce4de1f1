"""The derivations: output size, ambiguity, equivalence, phases and element formulas.

Every formula is derived by SymPy from the general symbols, and every
equivalence is *proved* for given sizes: the two routes are built
independently and the difference of each output expands to 0.
"""

from __future__ import annotations

from itertools import product
from typing import Sequence

import sympy as sp

from ..operator import ravel, tap_range, unravel
from ..arithmetic import MAX_ROWS, output_padding_range, sample_rows
from ..spec import Axis, Layer, axes_text
from .matrix import MAX_SYMBOLIC_NNZ, ConvOperator, operator_from_axes
from .proof import Derivation, Step, prove_equal
from .vocabulary import Divides, Iverson, check_name, indexed_name

# The general symbols: positive integers, so SymPy may simplify floors of integers.
I, K, S, D = sp.symbols("i k s d", integer=True, positive=True)
OP = sp.Symbol("op", integer=True, nonnegative=True)
P = sp.Symbol("p", integer=True, nonnegative=True)
B, E = sp.symbols("b e", integer=True)
N, A, J, M = sp.symbols("n a j m", integer=True, nonnegative=True)


def general_output_size() -> tuple[sp.Expr, list[Step]]:
    """o from the index range of the scatter m = n·s + a·d, then the crop (b, e) = (p, p − op)."""
    m = N * S + A * D
    steps = [Step("every input sample n and kernel tap a scatter to position", sp.Eq(M, m))]
    # m grows with n and a (s, d > 0), so the range ends at the corners of the index box.
    low, high = m.subs({N: 0, A: 0}), m.subs({N: I - 1, A: K - 1})
    steps.append(Step("smallest position, at n = 0, a = 0", sp.Eq(sp.Symbol("m_min"), low)))
    steps.append(Step("largest position, at n = i − 1, a = k − 1", sp.Eq(sp.Symbol("m_max"), high)))
    full = high - low + 1
    steps.append(Step("the full scatter has F = m_max − m_min + 1 samples", sp.Eq(sp.Symbol("F"), full)))
    steps.append(Step("the output drops b samples at the start and e at the end", sp.Eq(sp.Symbol("o"), full - B - E)))
    o = (full - B - E).subs({B: P, E: P - OP})
    steps.append(Step("PyTorch's padding and output_padding are the crop b = p, e = p − op", sp.Eq(sp.Symbol("o"), o)))
    return o, steps


def general_conv_size() -> sp.Expr:
    """The direct convolution's output size: how many stride steps fit the padded input."""
    # Output r reads the padded positions r·s … r·s + d(k−1); the last one must be < n + 2p.
    r = sp.Symbol("r", integer=True)
    last = sp.solve(sp.Eq(r * S + D * (K - 1), N + 2 * P - 1), r)[0]
    return sp.floor(last) + 1


def _values(axis: Axis) -> dict:
    p, op = axis.padding_pair
    return {I: axis.i, K: axis.k, S: axis.s, P: p, OP: op, D: axis.d}


def derive_output_size(layer: Layer | None = None) -> Derivation:
    """The output-size formula, derived from the scatter's index range, with each axis's values."""
    o, steps = general_output_size()
    der = Derivation("Output size of the transposed convolution", steps)
    der.results["formula"] = sp.sstr(o)
    der.results["formula_latex"] = sp.latex(o)
    if layer is None:
        return der
    sizes, lefts, rights = [], [], []
    for n, axis in enumerate(layer.axes):
        where = f" (axis {n})" if layer.ndim > 1 else ""
        values = _values(axis)
        substituted = o.subs(values, simultaneous=True)
        shown, names = _substitute_unevaluated(o, values)
        der.add(f"with i={axis.i}, k={axis.k}, s={axis.s}, p={values[P]}, op={values[OP]}, d={axis.d}{where}",
                sp.Eq(sp.Symbol("o"), shown, evaluate=False), names)
        der.add("", sp.Eq(sp.Symbol("o"), substituted))
        sizes.append(int(substituted))
        # Independent route: the positions the operator's taps reach, uncropped; positions grow with the
        # tap, so the first tap's first landing and the last tap's last one bound them (any size, O(1)).
        full_axis = Axis(axis.i, axis.k, axis.s, axis.d, 0, 0)
        lowest, highest = tap_range(full_axis, 0)[1].start, tap_range(full_axis, axis.k - 1)[1].stop - 1
        lefts.append(substituted)
        rights.append(sp.Integer(highest - lowest + 1 - axis.b - axis.e))
    der.proofs.append(prove_equal("the derived o equals the span of the scatter's positions minus the crop",
                                  lefts, rights))
    der.results["output_size"] = sizes
    return der


def _substitute_unevaluated(expr: sp.Expr, values: dict) -> tuple[sp.Expr, dict]:
    """The formula with numbers in place of symbols, not yet evaluated: o = 2·(2 − 1) + …

    Each symbol becomes a placeholder printed as its number, so SymPy keeps the
    formula's structure (numbers would be folded at once).
    """
    placeholders = {symbol: sp.Symbol(f"VAL{symbol.name}") for symbol in values}
    return expr.xreplace(placeholders), {placeholders[s]: v for s, v in values.items()}


def derive_ambiguity(layer: Layer) -> Derivation:
    """The conv input sizes that share one output size, and the output_padding that picks each."""
    der = Derivation("Which sizes the transposed convolution can restore (the output_padding ambiguity)")
    conv = general_conv_size()
    der.add("a convolution of a length-n input has output size", sp.Eq(sp.Symbol("i"), conv))
    # floor(q) = i - 1  <=>  i - 1 <= q < i: solve both boundaries for n.
    q = conv - 1
    inner = q.args[0] if isinstance(q, sp.floor) else sp.floor(q).args[0]
    n_low = sp.solve(sp.Eq(inner, I - 1), N)[0]
    n_high = sp.solve(sp.Eq(inner, I - 1 + (S - 1) / S), N)[0]
    der.add("it equals i for every n from", sp.Eq(sp.Symbol("n_0"), sp.expand(n_low)))
    der.add("up to", sp.Eq(sp.Symbol("n_{s-1}"), sp.expand(n_high)))
    o, _ = general_output_size()
    base = o.subs(OP, 0)
    der.add("the transposed convolution gives", sp.Eq(sp.Symbol("o"), o))
    op_low, op_high = sp.simplify(n_low - base), sp.simplify(n_high - base)
    der.add("so output_padding = n − n_0 restores n, from", sp.Eq(sp.Symbol("op_min"), op_low))
    der.add("to", sp.Eq(sp.Symbol("op_max"), op_high))
    der.add("PyTorch accepts 0 ≤ op < max(s, d); only op < s gives back an input size of i")
    rows, lefts, rights, ranges, checked, total = [], [], [], [], 0, 0
    for n_axis, axis in enumerate(layer.axes):
        values = _values(axis)
        shared = range(max(1, int(n_low.subs(values))), int(n_high.subs(values)) + 1)
        ranges.append([shared[0], shared[-1]])
        # The table's rows, and the sizes checked: all of them, or the first and last of a long run.
        ops = output_padding_range(axis.i, axis.k, axis.s, values[P], axis.d)
        for op in (ops[j] for j in sample_rows(len(ops), values[OP] - ops.start)):
            size = int(o.subs({**values, OP: op}))
            back = int(conv.subs({**values, N: size}))
            rows.append({"axis": n_axis, "output_padding": op, "output_size": size, "conv_output_size": back,
                         "inverts": back == axis.i, "chosen": op == values[OP]})
        for n in (shared[j] for j in sample_rows(len(shared))):
            lefts.append(conv.subs({**values, N: n}))
            rights.append(sp.Integer(axis.i))
        checked, total = checked + min(len(shared), MAX_ROWS), total + len(shared)
    which = ("every n in [n_0, n_0 + s − 1] convolves" if checked == total
             else f"the first and last {MAX_ROWS // 2} of the {total} sizes n in [n_0, n_0 + s − 1] convolve")
    der.proofs.append(prove_equal(f"{which} back to i", lefts, rights))
    der.results["table"] = rows
    der.results["conv_sizes"] = ranges
    der.results["op_range"] = [sp.sstr(op_low), sp.sstr(op_high)]
    return der


def _zero_insertion_route(layer: Layer, x: Sequence[sp.Expr], w) -> list[sp.Expr]:
    """The transposed convolution as a stride-1 correlation of the stretched, padded input.

    Independent of operator.py on purpose: it is the second route of the proof.
    """
    per_axis = []
    for axis in layer.axes:
        lo, _ = axis.zero_insertion_pads
        terms = []
        for j in range(axis.o):
            here = []
            for flipped in range(axis.k):
                t = j + flipped * axis.d - lo  # position in the stretched input
                if 0 <= t < axis.stretched and t % axis.s == 0:
                    here.append((axis.k - 1 - flipped, t // axis.s))
            terms.append(here)
        per_axis.append(terms)
    return _combine(layer, per_axis, x, w)


def _combine(layer: Layer, per_axis, x, w) -> list[sp.Expr]:
    """N-d outputs from per-axis ``(tap, source)`` lists: the product over axes."""
    in_shape = layer.input_size
    out = []
    for js in product(*(range(axis.o) for axis in layer.axes)):
        terms = []
        for combo in product(*(per_axis[t][j] for t, j in enumerate(js))):
            taps = tuple(a for a, _ in combo)
            sources = tuple(n for _, n in combo)
            terms.append(w(taps) * x[ravel(sources, in_shape)])
        out.append(sp.Add(*terms))
    return out


def derive_equivalence(layer: Layer, symbol: str = "w", prove: bool = True) -> Derivation:
    """The equivalent direct convolution: zero insertion, padding, flipped kernel, stride 1."""
    der = Derivation("The transposed convolution as a direct convolution")
    o, _ = general_output_size()
    stretched = (I - 1) * S + 1
    lo, hi = D * (K - 1) - B, D * (K - 1) - E
    der.add("insert s − 1 zeros between input samples: the stretched input has length", sp.Eq(sp.Symbol("i_z"), stretched))
    der.add("pad before (negative: crop)", sp.Eq(sp.Symbol("p_lo"), lo))
    der.add("pad after (negative: crop)", sp.Eq(sp.Symbol("p_hi"), hi))
    der.add("correlate with the flipped kernel", sp.Eq(sp.Symbol("w'_a"), sp.Symbol("w_{k-1-a}")))
    der.add("at stride 1 and dilation d; its output size is i_z + p_lo + p_hi − d(k − 1)",
            sp.Eq(sp.Symbol("o'"), stretched + lo + hi - D * (K - 1)))
    general = (stretched + lo + hi - D * (K - 1)).subs({B: P, E: P - OP})
    der.proofs.append(prove_equal("o' equals the transposed convolution's o for all i, k, s, p, op, d",
                                  [general], [o]))
    equivalents = []
    for n, axis in enumerate(layer.axes):
        before, after = axis.zero_insertion_pads
        equivalents.append({"axis": n, "zeros_between": axis.s - 1, "stretched_size": axis.stretched,
                            "pad_before": before, "pad_after": after,
                            "stride": 1, "dilation": axis.d, "kernel": "flipped", "output_size": axis.o})
    der.results["equivalent"] = equivalents
    op = operator_from_axes(layer.axes, symbol=symbol)
    if prove and _provable(op, der):
        x = op.input_symbols()
        direct = op.apply_transpose(x)
        route = _zero_insertion_route(layer, x, lambda taps: op.weight(0, 0, taps))
        der.proofs.append(prove_equal(f"Cᵀx equals the zero-inserted, padded, flipped-kernel convolution for "
                                      f"input {axes_text(layer.input_size)}", direct, route))
    return der


def _provable(op: ConvOperator, der: Derivation) -> bool:
    """Whether an entry-by-entry proof fits in memory; if not, the derivation says so."""
    if op.nnz_bound <= MAX_SYMBOLIC_NNZ:
        return True
    der.add(f"the entry-by-entry proof for these sizes needs C with {op.nnz_bound} non-zeros, more than a "
            f"symbolic matrix sensibly holds ({MAX_SYMBOLIC_NNZ}); it is skipped - check large sizes with the "
            f"numeric backend (tconvcalc.numeric)")
    return False


def _phase_tables(layer: Layer) -> tuple[list, list[dict]]:
    """Per axis, phase by phase: phase r uses only the taps with a·d ≡ r (mod s)."""
    per_axis, phases = [], []
    for n_axis, axis in enumerate(layer.axes):
        terms: list[list] = [[] for _ in range(axis.o)]
        for phase in axis.phases:
            outputs = range(phase.first, axis.o, axis.s)
            phases.append({"axis": n_axis, "phase": phase.residue, "taps": list(phase.taps),
                           "offsets": list(phase.offsets),
                           "outputs": list(outputs[:6]) + (["…"] if len(outputs) > 6 else []),
                           "tap_count": len(phase.taps)})
            for q, j in enumerate(outputs, phase.q_first):  # j + b = q·s + r
                terms[j] = [(a, q - c) for a, c in zip(phase.taps, phase.offsets) if 0 <= q - c < axis.i]
        per_axis.append(terms)
    return per_axis, phases


def derive_phases(layer: Layer, symbol: str = "w") -> Derivation:
    """The sub-pixel decomposition: s interleaved stride-1 convolutions with sub-kernels."""
    der = Derivation("Sub-pixel (phase) decomposition")
    q, r, c = sp.symbols("q r c_a", integer=True)
    x, w = sp.IndexedBase("x"), sp.IndexedBase(check_name("kernel symbol", symbol))
    der.add("write each output position as j + b = q·s + r with phase 0 ≤ r < s", sp.Eq(J + B, q * S + r))
    der.add("a tap a reaches it from input n = (j + b − a·d)/s, an integer only when",
            sp.Eq(sp.Mod(A * D, S), r))
    der.add("for those taps a·d = c_a·s + r, so the input is q − c_a and phase r is a stride-1 convolution",
            sp.Eq(sp.Indexed(sp.IndexedBase("y"), q * S + r - B),
                  sp.Sum(Iverson(sp.Eq(sp.Mod(A * D, S), r)) * w[A] * x[q - (A * D - r) / S], (A, 0, K - 1))))
    op = operator_from_axes(layer.axes, symbol=symbol)
    per_axis, phases = _phase_tables(layer)
    for phase in phases:
        where = f"axis {phase['axis']}, " if layer.ndim > 1 else ""
        der.add(f"{where}phase r={phase['phase']}: taps a ∈ {{{', '.join(map(str, phase['taps']))}}} "
                f"({phase['tap_count']} tap(s)), input offsets c_a = {phase['offsets']}")
    counts = {(p["axis"]): set() for p in phases}
    for p in phases:
        counts[p["axis"]].add(p["tap_count"])
    uneven = any(len(v) > 1 for v in counts.values())
    der.add("phases with different tap counts weight outputs unevenly: checkerboard artifacts" if uneven
            else "every phase has the same number of taps: uniform overlap, no checkerboard")
    der.results["phases"] = phases
    der.results["uniform_overlap"] = not uneven
    if _provable(op, der):
        # The N-d outputs are built only when they will be proved: they grow with the grid.
        xs = op.input_symbols()
        route = _combine(layer, per_axis, xs, lambda taps: op.weight(0, 0, taps))
        der.proofs.append(prove_equal(f"Cᵀx equals the interleaved phase convolutions for input "
                                      f"{axes_text(layer.input_size)}", op.apply_transpose(xs), route))
    return der


def closed_form(ndim: int = 1, x_name: str = "x", symbol: str = "w") -> tuple[sp.Expr, sp.Expr, dict]:
    """``y_j`` as a sum over kernel taps with Iverson brackets, for symbolic i, k, s, p, d.

    Returns ``(lhs, rhs, symbols)``; ``symbols`` maps each axis's names so callers can substitute.
    """
    names = ["i", "k", "s", "p", "d", "j", "a"]
    per_axis = []
    for t in range(ndim):
        suffix = "" if ndim == 1 else f"_{t + 1}"
        syms = {name: sp.Symbol(name + suffix, integer=True,
                                **({"positive": True} if name in "iksd" else {"nonnegative": True}))
                for name in names}
        per_axis.append(syms)
    w = sp.IndexedBase(check_name("kernel symbol", symbol))
    x = sp.IndexedBase(check_name("input", x_name))
    y = sp.IndexedBase("y")
    brackets, sources = sp.S.One, []
    for v in per_axis:
        t = v["j"] + v["p"] - v["a"] * v["d"]  # s·n for the input n that tap a sends to j
        brackets *= Iverson(Divides(v["s"], t)) * Iverson(sp.And(0 <= t, t <= v["s"] * (v["i"] - 1)))
        sources.append(t / v["s"])
    body = brackets * w[tuple(v["a"] for v in per_axis)] * x[tuple(sources)]
    limits = [(v["a"], 0, v["k"] - 1) for v in per_axis]
    rhs = sp.Sum(body, *limits)
    lhs = y[tuple(v["j"] for v in per_axis)]
    display = [sp.Eq(lhs, rhs)]
    if ndim > 1:
        # One line per axis would not fit a page: name the per-axis bracket and source once.
        t = sp.Symbol("t", integer=True, positive=True)
        generic = {name: sp.Symbol(f"{name}_t", integer=True) for name in names}
        n_t = sp.Symbol("n_t", integer=True)
        bracket = sp.Function("B")
        shift = generic["j"] + generic["p"] - generic["a"] * generic["d"]
        short = sp.Sum(sp.Mul(*(bracket(t_) for t_ in range(1, ndim + 1))) * w[tuple(v["a"] for v in per_axis)]
                       * x[tuple(sp.Symbol(f"n_{t_}") for t_ in range(1, ndim + 1))], *limits)
        display = [sp.Eq(lhs, short), sp.Eq(n_t, shift / generic["s"]),
                   sp.Eq(bracket(t), Iverson(Divides(generic["s"], shift))
                         * Iverson(sp.And(0 <= shift, shift <= generic["s"] * (generic["i"] - 1))))]
    return lhs, rhs, {"axes": per_axis, "w": w, "x": x, "display": display}


def closed_form_for(layer: Layer, outputs: Sequence[int] | None = None, symbol: str = "w",
                    x_name: str = "x") -> tuple[list[sp.Expr], Derivation]:
    """Evaluate the closed form at outputs of a concrete layer (flat indices; default all)
    and prove each equals the matching output of Cᵀx."""
    lhs, rhs, syms = closed_form(layer.ndim, x_name, symbol)
    der = Derivation("Element formulas of the transposed convolution")
    der.add("each output collects the taps whose input index is a whole number inside the input",
            syms["display"][0])
    for definition in syms["display"][1:]:
        der.add("on each axis t", definition)
    op = operator_from_axes(layer.axes, symbol=symbol)
    if outputs is None:
        op.check_size("for the element formulas,")
        outputs = range(op.shape[1])
    values = {}
    for v, axis in zip(syms["axes"], layer.axes):
        values.update({v["i"]: axis.i, v["k"]: axis.k, v["s"]: axis.s, v["p"]: axis.b, v["d"]: axis.d})
    general = rhs.xreplace(values)
    js = [v["j"] for v in syms["axes"]]

    def to_symbol(indexed):
        # Indexed w[a, b] / x[n, m] -> the Symbols w_{a,b} / x_{n,m} the matrix uses.
        return sp.Symbol(indexed_name(str(indexed.base), [int(i) for i in indexed.indices]))

    expanded, direct = [], []
    for col in outputs:
        value = general.xreplace(dict(zip(js, unravel(col, layer.output_size)))).doit()
        value = value.replace(lambda e: isinstance(e, sp.Indexed) and all(i.is_Integer for i in e.indices),
                              to_symbol)
        expanded.append(value)
        direct.append(op.transpose_at(col, x_name))
    der.proofs.append(prove_equal(f"the closed form equals Cᵀx at {len(expanded)} output(s) of "
                                  f"{axes_text(layer.output_size)}", expanded, direct))
    der.results["outputs"] = [[sp.sstr(op.output_symbol(c)), sp.sstr(e)] for c, e in zip(outputs, expanded)]
    return expanded, der


def derive_formulas(layer: Layer, limit: int = 12, symbol: str = "w") -> Derivation:
    """The closed form, then each output expanded (the first ``limit`` and the last), proved against Cᵀx."""
    op = operator_from_axes(layer.axes, symbol=symbol)
    total = op.shape[1]
    outputs = list(range(total)) if total <= limit + 1 else [*range(limit), total - 1]
    expanded, der = closed_form_for(layer, outputs, symbol)
    for n, (col, value) in enumerate(zip(outputs, expanded)):
        text = "for these sizes, output by output" if n == 0 else ("…" if col == total - 1 and n < col else "")
        der.add(text, sp.Eq(op.output_symbol(col), value))
    return der
