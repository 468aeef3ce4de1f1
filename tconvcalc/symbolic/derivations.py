"""The derivations: output size, ambiguity, equivalence, phases and element formulas.

Every formula is derived by SymPy from the general symbols, once per process (linear
equations solved by :func:`solve_linear`, polynomials compared by ``expand``, no ``simplify``), and
the layer's numbers are substituted into it.  Every equivalence is *proved* for all sizes, as an
identity of index maps over the model's own formulas (:func:`general_axis`, C's index rule
``structure.scatter_index``), and then checked on the layer: the two routes are built
independently and the difference of each output checked expands to 0.

Any legal size answers at once: what a derivation lists and checks is
counted arithmetically before it is built.  Long lists (phases, taps, output_padding
rows) show their first and last rows with the count; a check covers every output of a
small layer, the first and last ones of a large one (its statement says so), or is
skipped with a step saying why (:data:`PROOF_TERMS`, :data:`CLOSED_FORM_TERMS`).
"""

from __future__ import annotations

from functools import lru_cache
from itertools import product
from math import prod
from typing import Sequence, cast

import sympy as sp

from ..model.structure import ravel, scatter_index, tap_range, unravel
from ..model.arithmetic import MAX_ROWS, output_padding_range, sample_rows
from ..model.spec import Axis, Layer, ParameterError, axes_text, conv_count, range_count
from .matrix import ConvOperator, operator_from_axes
from .phases import output_terms
from .proof import Derivation, Proof, Step, prove_equal
from .vocabulary import Divides, Iverson, check_name, indexed_name


def _eq(lhs, rhs) -> sp.Eq:
    """An equation as stated, not decided: SymPy would ask its assumptions whether the sides are equal (a
    sum's are slow to answer), and a derivation's step is never decided anyway."""
    return sp.Eq(lhs, rhs, evaluate=False)


def _ge(lhs, rhs) -> sp.GreaterThan:
    """``lhs ≥ rhs`` unevaluated (decided once numbers are substituted: ``xreplace`` rebuilds it)."""
    return sp.GreaterThan(lhs, rhs, evaluate=False)


def _le(lhs, rhs) -> sp.LessThan:
    """``lhs ≤ rhs`` unevaluated, like :func:`_ge`."""
    return sp.LessThan(lhs, rhs, evaluate=False)


# The general symbols: positive integers, so SymPy may simplify floors of integers.
I, K, S, D = sp.symbols("i k s d", integer=True, positive=True)
OP = sp.Symbol("op", integer=True, nonnegative=True)
P = sp.Symbol("p", integer=True, nonnegative=True)
B, E = sp.symbols("b e", integer=True)
N, A, J, M = sp.symbols("n a j m", integer=True, nonnegative=True)


def solve_linear(equation: sp.Eq, unknown: sp.Symbol) -> sp.Expr:
    """The one solution of an equation that is linear in ``unknown``: ``a·x + c = 0`` gives ``x = −c/a``, which is
    what ``sympy.solve`` answers for it, without the general solver's machinery (and its imports).

    >>> x, y = sp.symbols("x y")
    >>> solve_linear(sp.Eq(2 * x + y, 1), x)
    1/2 - y/2
    """
    expr = sp.expand(equation.lhs - equation.rhs)
    a = expr.coeff(unknown)
    c = sp.expand(expr - a * unknown)
    if a == 0 or unknown in a.free_symbols or unknown in c.free_symbols:
        raise ValueError(f"{sp.sstr(equation)} is not linear in {unknown}")
    return -c / a


@lru_cache(maxsize=None)
def _general_output_size() -> tuple[sp.Expr, tuple[Step, ...]]:
    m = N * S + A * D
    steps = [Step("every input sample n and kernel tap a scatter to position", _eq(M, m), key="size.scatter")]
    # m grows with n and a (s, d > 0), so the range ends at the corners of the index box.
    low, high = m.xreplace({N: 0, A: 0}), m.xreplace({N: I - 1, A: K - 1})
    steps.append(Step("smallest position, at n = 0, a = 0", _eq(sp.Symbol("m_min"), low), key="size.min"))
    steps.append(Step("largest position, at n = i − 1, a = k − 1", _eq(sp.Symbol("m_max"), high), key="size.max"))
    full = high - low + 1
    steps.append(Step("the full scatter has F = m_max − m_min + 1 samples", _eq(sp.Symbol("F"), full), key="size.full"))
    steps.append(Step("the output drops b samples at the start and e at the end", _eq(sp.Symbol("o"), full - B - E),
                      key="size.crop"))
    o = (full - B - E).xreplace({B: P, E: P - OP})
    steps.append(Step("PyTorch's padding and output_padding are the crop b = p, e = p − op", _eq(sp.Symbol("o"), o),
                      key="size.pytorch"))
    return o, tuple(steps)


def general_output_size() -> tuple[sp.Expr, list[Step]]:
    """o from the index range of the scatter m = n·s + a·d, then the crop (b, e) = (p, p − op).

    Derived once per process; every derivation substitutes into the same formula.
    """
    o, steps = _general_output_size()
    return o, list(steps)


@lru_cache(maxsize=None)
def general_conv_size() -> sp.Expr:
    """The direct convolution's output size: how many stride steps fit the padded input (derived once)."""
    # Output r reads the padded positions r·s … r·s + d(k−1); the last one must be < n + 2p.
    r = sp.Symbol("r", integer=True)
    return sp.floor(solve_linear(_eq(r * S + D * (K - 1), N + 2 * P - 1), r)) + 1


def _values(axis: Axis) -> dict:
    p, op = axis.padding_pair
    return {I: axis.i, K: axis.k, S: axis.s, P: p, OP: op, D: axis.d}


def derive_output_size(layer: Layer | None = None) -> Derivation:
    """The output-size formula, derived from the scatter's index range, with each axis's values."""
    o, steps = general_output_size()
    der = Derivation("Output size of the transposed convolution", steps, key="size")
    der.results["formula"] = sp.sstr(o)
    der.results["formula_latex"] = sp.latex(o)
    if layer is None:
        return der
    sizes, lefts, rights = [], [], []
    for n, axis in enumerate(layer.axes):
        where = f" (axis {n})" if layer.ndim > 1 else ""
        values = _values(axis)
        substituted = o.xreplace(values)
        shown, names = _substitute_unevaluated(o, values)
        der.add(f"with i={axis.i}, k={axis.k}, s={axis.s}, p={values[P]}, op={values[OP]}, d={axis.d}{where}",
                _eq(sp.Symbol("o"), shown), names, key="size.values", i=axis.i, k=axis.k, s=axis.s, p=values[P],
                op=values[OP], d=axis.d, axis=n if layer.ndim > 1 else None)
        der.add("", _eq(sp.Symbol("o"), substituted), key="size.value")
        sizes.append(int(substituted))
        # Independent route: the positions the operator's taps reach, uncropped; positions grow with the
        # tap, so the first tap's first landing and the last tap's last one bound them (any size, O(1)).
        full_axis = Axis(axis.i, axis.k, axis.s, axis.d, 0, 0)
        first, last = tap_range(full_axis, 0), tap_range(full_axis, axis.k - 1)
        assert first is not None and last is not None  # uncropped, every tap lands
        lowest, highest = first[1].start, last[1].stop - 1
        lefts.append(substituted)
        rights.append(sp.Integer(highest - lowest + 1 - axis.b - axis.e))
    der.proofs.append(prove_equal("the derived o equals the span of the scatter's positions minus the crop",
                                  lefts, rights, "proof.size"))
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
    der = Derivation("Which sizes the transposed convolution can restore (the output_padding ambiguity)",
                     key="ambiguity")
    conv = general_conv_size()
    der.add("a convolution of a length-n input has output size", _eq(sp.Symbol("i"), conv), key="amb.conv")
    # floor(q) = i - 1  <=>  i - 1 <= q < i: solve both boundaries for n.
    q = conv - 1
    inner = q.args[0] if isinstance(q, sp.floor) else sp.floor(q).args[0]
    n_low = sp.expand(solve_linear(_eq(inner, I - 1), N))
    n_high = sp.expand(solve_linear(_eq(inner, I - 1 + (S - 1) / S), N))
    der.add("it equals i for every n from", _eq(sp.Symbol("n_0"), sp.expand(n_low)), key="amb.from")
    der.add("up to", _eq(sp.Symbol("n_{s-1}"), sp.expand(n_high)), key="amb.to")
    o, _ = general_output_size()
    base = o.xreplace({OP: 0})
    der.add("the transposed convolution gives", _eq(sp.Symbol("o"), o), key="amb.tconv")
    op_low, op_high = sp.expand(n_low - base), sp.expand(n_high - base)  # polynomials: expand is exact
    der.add("so output_padding = n − n_0 restores n, from", _eq(sp.Symbol("op_min"), op_low), key="amb.op_from")
    der.add("to", _eq(sp.Symbol("op_max"), op_high), key="amb.op_to")
    der.add("PyTorch accepts 0 ≤ op < max(s, d); only op < s gives back an input size of i", key="amb.accept")
    rows, lefts, rights, ranges, checked, total = [], [], [], [], 0, 0
    for n_axis, axis in enumerate(layer.axes):
        values = _values(axis)
        shared = range(max(1, int(n_low.xreplace(values))), int(n_high.xreplace(values)) + 1)
        ranges.append([shared[0], shared[-1]])
        # The table's rows, and the sizes checked: all of them, or the first and last of a long run.
        ops = output_padding_range(axis.i, axis.k, axis.s, values[P], axis.d)
        for op in (ops[j] for j in sample_rows(range_count(ops), values[OP] - ops.start)):
            size = int(o.xreplace({**values, OP: op}))
            back = int(conv.xreplace({**values, N: size}))
            rows.append({"axis": n_axis, "output_padding": op, "output_size": size, "conv_output_size": back,
                         "inverts": back == axis.i, "chosen": op == values[OP]})
        for n in (shared[j] for j in sample_rows(range_count(shared))):
            lefts.append(conv.xreplace({**values, N: n}))
            rights.append(sp.Integer(axis.i))
        checked, total = checked + min(range_count(shared), MAX_ROWS), total + range_count(shared)
    # In general: at n = n_0 + t the floor's argument is i − 1 + t/s, and 0 ≤ t/s < 1 for 0 ≤ t < s.
    t = sp.Symbol("t", integer=True, nonnegative=True)
    der.proofs.append(prove_equal("for all i, k, s, p, d and 0 ≤ t < s, the convolution of n = n_0 + t has floor "
                                  "argument i − 1 + t/s, so it gives i", [inner.xreplace({N: n_low + t})],
                                  [I - 1 + t / S], "proof.amb_general"))
    which = ("every n in [n_0, n_0 + s − 1] convolves" if checked == total
             else f"the first and last {MAX_ROWS // 2} of the {total} sizes n in [n_0, n_0 + s − 1] convolve")
    der.proofs.append(prove_equal(f"{which} back to i", lefts, rights,
                                  "proof.amb_layer" if checked == total else "proof.amb_layer_ends",
                                  {"half": MAX_ROWS // 2, "total": total}))
    der.results["table"] = rows
    der.results["conv_sizes"] = ranges
    der.results["op_range"] = [sp.sstr(op_low), sp.sstr(op_high)]
    return der


# --- proofs, bounded before they are built ----------------------------------------------------
# The equivalences are proved for all sizes at once, as identities of index maps; on the layer itself both
# routes are expanded at the outputs checked, ~25 µs a term: every output when the whole check stays under
# this many terms (~15 ms), else the first and last MAX_ROWS // 2 outputs, fewer when those pass it (down to
# the first and last one); when even that would pass it, the check is skipped with a sentence saying why.
PROOF_TERMS = 600


def _output_cost(op: ConvOperator, col: int) -> int:
    """What checking output ``col`` costs, exactly, in O(log s) per axis: both routes' terms (C's column and the
    second route's) and the steps the zero-insertion route walks."""
    place = unravel(col, op.conv_input_shape)
    return 1 + sum(_window_steps(axis, j) for axis, j in zip(op.axes, place)) + 2 * op.column_count(col)


def _proof_outputs(op: ConvOperator, der: Derivation, what: str) -> list[int] | None:
    """The outputs (flat columns) a check covers: all of them when the check is small, else the first and last
    MAX_ROWS // 2, or fewer of each end while those cost more than :data:`PROOF_TERMS`; None, with a step saying
    why, when even the first and last output are too large a sum."""
    cols = op.shape[1]
    if cols <= PROOF_TERMS:
        total = 0
        for col in range(cols):  # each output costs at least 2, so this stops within PROOF_TERMS / 2 steps
            total += _output_cost(op, col)
            if total > PROOF_TERMS:
                break
        else:
            return list(range(cols))
    sample = sample_rows(cols)
    while sum(_output_cost(op, col) for col in sample) > PROOF_TERMS:
        if len(sample) <= 2:
            longest = max(op.column_count(col) for col in sample)
            der.add(f"{what} is skipped for these sizes: outputs sum up to {longest} terms, and even the first "
                    f"and last output pass the {PROOF_TERMS} terms SymPy expands quickly - check large sizes with "
                    f"the numeric backend (tconvcalc.numeric)", key="skip.check", longest=longest, limit=PROOF_TERMS)
            return None
        ends = max(1, len(sample) // 4)
        sample = sample[:ends] + sample[-ends:]
    return sample


def _where(outputs: Sequence[int], op: ConvOperator, layer: Layer) -> str:
    """How a check's statement names the outputs it covered: every one, or the first and last of many."""
    cols = op.shape[1]
    size = axes_text(layer.input_size)
    if len(outputs) == cols:
        return f"for input {size}"
    return f"at the first and last {len(outputs) // 2} of its {cols} outputs, for input {size}"


def _where_args(outputs: Sequence[int], op: ConvOperator, layer: Layer) -> dict:
    """:func:`_where` for the notes: the catalogue entry and its values."""
    size = axes_text(layer.input_size)
    if len(outputs) == op.shape[1]:
        return {"where": "where.all", "size": size}
    return {"where": "where.ends", "size": size, "half": len(outputs) // 2, "total": op.shape[1]}


def _route(op: ConvOperator, layer: Layer, outputs: Sequence[int], terms) -> list[sp.Expr]:
    """Outputs of a second route, from per-axis ``(tap, input)`` lists ``terms(axis, j)`` multiplied across axes.

    Each axis's list is built once per output index along that axis, so checking every output of a 2-D
    layer costs its rows plus its columns of lists, not their product.
    """
    in_shape, out_shape = layer.input_size, layer.output_size
    lists: list[dict[int, list]] = [{} for _ in layer.axes]
    out = []
    for col in outputs:
        js = unravel(col, out_shape)
        per_axis = []
        for t, (axis, j) in enumerate(zip(layer.axes, js)):
            if j not in lists[t]:
                lists[t][j] = terms(axis, j)
            per_axis.append(lists[t][j])
        out.append(sp.Add(*(op.weight(0, 0, tuple(a for a, _ in combo))
                            * op.input_symbol(ravel([n for _, n in combo], in_shape))
                            for combo in product(*per_axis))))
    return out


def general_axis() -> Axis:
    """The model's :class:`Axis` over the symbols i, k, s, d, b, e (built without the checks that need
    numbers): its properties - sizes, pads - are spec.py's own formulas evaluated by SymPy, so a general
    proof is about the code that the numbers run through.

    >>> general_axis().zero_insertion_pads
    (-b + d*(k - 1), d*(k - 1) - e)
    """
    return tuple.__new__(Axis, (I, K, S, D, B, E))


def _stretched_position(axis: Axis, j, f):
    """Where flipped tap ``f`` of output ``j`` reads the stretched input, ``j − p_lo + f·d`` (negative or past
    its end: padding); runs on ints and on symbols alike."""
    return j - axis.zero_insertion_pads[0] + f * axis.d


def _window(axis: Axis, j: int) -> tuple[int, int, int]:
    """Output ``j``'s window on the stretched input: the position under flipped tap 0, and the first and last
    inputs (their positions are multiples of s) inside it."""
    start = _stretched_position(axis, j, 0)
    return start, max(0, -(-start // axis.s)), min(axis.i - 1, (start + axis.reach) // axis.s)


def _window_steps(axis: Axis, j: int) -> int:
    """Steps :func:`_zero_insertion_terms` walks for output ``j``: the fewer of the taps and the inputs in the
    window."""
    _, first, last = _window(axis, j)
    return min(axis.k, max(0, last - first + 1))


def _zero_insertion_terms(axis: Axis, j: int) -> list[tuple[int, int]]:
    """``(tap, input)`` read by output ``j`` of the stride-1 correlation of the stretched, padded input with the
    flipped kernel.  Independent of model.structure on purpose: it is the second route of the proof.

    The window of output ``j`` covers stretched positions ``j - p_lo + f·d`` (flipped tap ``f``); the input
    samples sit at multiples of ``s``.  Whichever is fewer is walked: the ``k`` taps, or the inputs under the
    window (a kernel of 10**6 taps dilated by 10**6 covers two inputs of a 2-sample layer).
    """
    s, d, k = axis.s, axis.d, axis.k
    start, first, last = _window(axis, j)
    if k <= last - first + 1:
        return [(k - 1 - f, t // s) for f in range(k)
                if 0 <= (t := _stretched_position(axis, j, f)) < axis.stretched and t % s == 0]
    return [(k - 1 - (n * s - start) // d, n) for n in range(first, last + 1) if (n * s - start) % d == 0]


def _prove_zero_insertion() -> list[Proof]:
    """The theorem behind the equivalence, for all sizes at once, as identities of index maps over the model's
    formulas (:func:`general_axis`): C puts ``w_a·x_n`` at output ``m = n·s + a·d − b`` (structure.scatter_index),
    and there the zero-inserted convolution's flipped tap ``k − 1 − a`` reads stretched position ``n·s``, where
    ``x_n`` sits; the inputs fill positions ``0, s, …, (i − 1)·s = i_z − 1``; and both routes have ``o``
    outputs.  Given ``(n, a)`` the output is fixed and given ``(m, a)`` the input, so the terms match one to one."""
    axis = general_axis()
    o, _ = general_output_size()
    pytorch = {B: P, E: P - OP}
    # the stride-1 convolution's output count (the model's conv_count) over the padded stretched input
    size = cast(sp.Expr, conv_count(axis.padded_length, K, 1, D))  # the model's int formula, run on symbols
    reads = _stretched_position(axis, scatter_index(axis, N, A), K - 1 - A)
    return [
        prove_equal("o' equals the transposed convolution's o for all i, k, s, p, op, d",
                    [size.xreplace(pytorch)], [o], "proof.eqv_size"),
        prove_equal("for all i, k, s, d, b, e, n, a, the index maps agree: at C's output m = n·s + a·d − b, "
                    "flipped tap k − 1 − a reads stretched position n·s, which holds x_n (the last input at i_z − 1)",
                    [reads, axis.stretched - 1], [N * S, (I - 1) * S], "proof.eqv_index"),
    ]


def derive_equivalence(layer: Layer, symbol: str = "w", prove: bool = True) -> Derivation:
    """The equivalent direct convolution: zero insertion, padding, flipped kernel, stride 1.

    The equivalence is proved in general, as an identity of index maps (:func:`_prove_zero_insertion`), and
    checked on the layer: ``Cᵀx`` against the zero-inserted convolution at every output of a small layer, or at
    the first and last ones (its statement says which), or skipped with a step saying why.
    """
    der = Derivation("The transposed convolution as a direct convolution", key="equivalence")
    axis = general_axis()
    stretched = axis.stretched
    lo, hi = axis.zero_insertion_pads
    der.add("insert s − 1 zeros between input samples: the stretched input has length",
            _eq(sp.Symbol("i_z"), stretched), key="eqv.stretch")
    der.add("pad before (negative: crop)", _eq(sp.Symbol("p_lo"), lo), key="eqv.lo")
    der.add("pad after (negative: crop)", _eq(sp.Symbol("p_hi"), hi), key="eqv.hi")
    der.add("correlate with the flipped kernel", _eq(sp.Symbol("w'_a"), sp.Symbol("w_{k-1-a}")), key="eqv.flip")
    der.add("at stride 1 and dilation d; its output size is i_z + p_lo + p_hi − d(k − 1)",
            _eq(sp.Symbol("o'"), conv_count(stretched + lo + hi, K, 1, D)), key="eqv.out")
    der.proofs.extend(_prove_zero_insertion())
    equivalents = []
    for n, axis in enumerate(layer.axes):
        before, after = axis.zero_insertion_pads
        equivalents.append({"axis": n, "zeros_between": axis.s - 1, "stretched_size": axis.stretched,
                            "pad_before": before, "pad_after": after,
                            "stride": 1, "dilation": axis.d, "kernel": "flipped", "output_size": axis.o})
    der.results["equivalent"] = equivalents
    op = operator_from_axes(layer.axes, symbol=symbol)
    outputs = _proof_outputs(op, der, "the entry-by-entry check") if prove else None
    if outputs is not None:
        direct = [op.transpose_at(col) for col in outputs]
        route = _route(op, layer, outputs, _zero_insertion_terms)
        der.proofs.append(prove_equal(f"Cᵀx equals the zero-inserted, padded, flipped-kernel convolution "
                                      f"{_where(outputs, op, layer)}", direct, route, "proof.eqv_layer",
                                      _where_args(outputs, op, layer)))
    return der


# --- the phases, arithmetically (a stride of 10**12 has 10**12 of them) ----------------------


def _listed(values: range) -> list:
    """A phase's taps or offsets as listed: all of up to MAX_ROWS, else the first and last halves with "…"."""
    rows = sample_rows(range_count(values))
    out: list = []
    for n, row in enumerate(rows):
        if n and row > rows[n - 1] + 1:
            out.append("…")
        out.append(values[row])
    return out


def _braced(values: list) -> str:
    return ", ".join(map(str, values))


def _phase_rows(layer: Layer) -> tuple[list[dict], list[int]]:
    """Per axis, the phases listed (all, or the first and last MAX_ROWS // 2 of many) and how many there are."""
    rows: list[dict] = []
    counts: list[int] = []
    for n_axis, axis in enumerate(layer.axes):
        count = axis.phase_count
        counts.append(count)
        listed = sample_rows(count)
        for n, t in enumerate(listed):
            if n and t > listed[n - 1] + 1:
                rows.append({"axis": n_axis, "skipped": t - listed[n - 1] - 1})
            phase = axis.phase(axis.phase_residue(t))
            shown = range(phase.first, phase.first + min(phase.count, 6) * axis.s, axis.s)
            rows.append({"axis": n_axis, "phase": phase.residue, "taps": _listed(phase.taps),
                         "offsets": _listed(phase.offsets), "outputs": list(shown) + (["…"] if phase.count > 6 else []),
                         "tap_count": axis.tap_count(phase.residue)})
    return rows, counts


def derive_phases(layer: Layer, symbol: str = "w") -> Derivation:
    """The sub-pixel decomposition: s interleaved stride-1 convolutions with sub-kernels.

    The phases are derived arithmetically, so a stride of 10**12 costs what a stride of 2 does: a long list of
    phases shows its first and last MAX_ROWS // 2 (``phase_count`` says how many there are), the tap counts
    and the checkerboard verdict are the model's (:meth:`Axis.tap_count`, :attr:`Axis.uniform_overlap`), and
    the proof is bounded like :func:`derive_equivalence`'s.
    """
    der = Derivation("Sub-pixel (phase) decomposition", key="phases")
    q, r, c = sp.symbols("q r c_a", integer=True)
    x, w = sp.IndexedBase("x"), sp.IndexedBase(check_name("kernel symbol", symbol))
    der.add("write each output position as j + b = q·s + r with phase 0 ≤ r < s", _eq(J + B, q * S + r), key="ph.write")
    der.add("a tap a reaches it from input n = (j + b − a·d)/s, an integer only when",
            _eq(sp.Mod(A * D, S), r), key="ph.reach")
    der.add("for those taps a·d = c_a·s + r, so the input is q − c_a and phase r is a stride-1 convolution",
            _eq(sp.Indexed(sp.IndexedBase("y"), q * S + r - B),
                  sp.Sum(Iverson(_eq(sp.Mod(A * D, S), r)) * w[A] * x[q - (A * D - r) / S], (A, 0, K - 1))),
            key="ph.conv")
    # For notes: the same sum with its condition stated beside it, not as a bracket.
    der.notes["phase_sum"] = _eq(sp.Indexed(sp.IndexedBase("y"), q * S + r - B),
                                 sp.Sum(w[A] * x[q - (A * D - r) / S], (A, 0, K - 1)))
    der.notes["phase_condition"] = _eq(sp.Mod(A * D, S), r)
    op = operator_from_axes(layer.axes, symbol=symbol)
    rows, counts = _phase_rows(layer)
    for row in rows:
        where = f"axis {row['axis']}, " if layer.ndim > 1 else ""
        if "skipped" in row:
            der.add(f"{where}… {row['skipped']} more phases, the first and last {MAX_ROWS // 2} of "
                    f"{counts[row['axis']]} are listed", key="ph.row")
            continue
        der.add(f"{where}phase r={row['phase']}: taps a ∈ {{{_braced(row['taps'])}}} "
                f"({row['tap_count']} tap(s)), input offsets c_a = [{_braced(row['offsets'])}]", key="ph.row")
    uniform = layer.uniform_overlap
    verdict = ("every phase has the same number of taps: uniform overlap, no checkerboard" if uniform
               else "phases with different tap counts weight outputs unevenly: checkerboard artifacts")
    partial = [(n, axis) for n, axis in enumerate(layer.axes)
               if counts[n] < axis.s or len(sample_rows(counts[n])) < counts[n]]
    if partial and not uniform:  # not every phase is listed: say what the model says of all s of them
        verdict += " (" + "; ".join(f"{f'axis {n}: ' if layer.ndim > 1 else ''}its {axis.s} phases get from "
                                    f"{axis.tap_count_range[0]} to {axis.tap_count_range[1]} taps"
                                    for n, axis in partial) + ")"
    der.add(verdict, key="ph.uniform" if uniform else "ph.checker",
            ranges=[] if uniform else [(n, axis.s, *axis.tap_count_range) for n, axis in partial])
    der.results["phases"] = [row for row in rows if "skipped" not in row]
    der.results["phase_count"] = counts
    der.results["uniform_overlap"] = uniform
    # In general: C's map (structure.scatter_index) sends input q − c_a, c_a = (a·d − r)/s, through tap a to
    # output q·s + r − b, the phase's output - for all sizes, so each phase is C's columns of that residue.
    der.proofs.append(prove_equal("for all i, k, s, d, b, q, r, a: C's index map sends input q − c_a, with "
                                  "c_a = (a·d − r)/s, through tap a to the phase's output j = q·s + r − b",
                                  [scatter_index(general_axis(), q - (A * D - r) / S, A)], [q * S + r - B],
                                  "proof.ph_index"))
    outputs = _proof_outputs(op, der, "the check")
    if outputs is not None:
        der.proofs.append(prove_equal(f"Cᵀx equals the interleaved phase convolutions {_where(outputs, op, layer)}",
                                      [op.transpose_at(col) for col in outputs],
                                      _route(op, layer, outputs, output_terms), "proof.ph_layer",
                                      _where_args(outputs, op, layer)))
    return der


def closed_form(ndim: int = 1, x_name: str = "x", symbol: str = "w") -> tuple[sp.Expr, sp.Expr, dict]:
    """``y_j`` as a sum over kernel taps with Iverson brackets, for symbolic i, k, s, p, d.

    Returns ``(lhs, rhs, symbols)``; ``symbols`` maps each axis's names so callers can substitute, and
    ``factors`` holds each axis's ``(bracket, source)``: the summand is the product of the brackets times
    ``w[a…]·x[source…]``, so it can be evaluated axis by axis.  Derived once per process and spelling.
    """
    return _closed_form(ndim, check_name("input", x_name), check_name("kernel symbol", symbol))


@lru_cache(maxsize=None)
def _closed_form(ndim: int, x_name: str, symbol: str) -> tuple[sp.Expr, sp.Expr, dict]:
    names = ["i", "k", "s", "p", "d", "j", "a"]
    per_axis = []
    for t in range(ndim):
        suffix = "" if ndim == 1 else f"_{t + 1}"
        syms = {name: sp.Symbol(name + suffix, integer=True,
                                **({"positive": True} if name in "iksd" else {"nonnegative": True}))
                for name in names}
        per_axis.append(syms)
    w = sp.IndexedBase(symbol)
    x = sp.IndexedBase(x_name)
    y = sp.IndexedBase("y")
    brackets, sources, factors = sp.S.One, [], []
    for v in per_axis:
        t = v["j"] + v["p"] - v["a"] * v["d"]  # s·n for the input n that tap a sends to j
        bracket = Iverson(Divides(v["s"], t)) * Iverson(sp.And(_ge(t, 0), _le(t, v["s"] * (v["i"] - 1))))
        brackets *= bracket
        sources.append(t / v["s"])
        factors.append((bracket, t / v["s"]))
    body = brackets * w[tuple(v["a"] for v in per_axis)] * x[tuple(sources)]
    limits = [(v["a"], 0, v["k"] - 1) for v in per_axis]
    rhs = sp.Sum(body, *limits)
    lhs = y[tuple(v["j"] for v in per_axis)]
    display = [_eq(lhs, rhs)]
    if ndim > 1:
        # One line per axis would not fit a page: name the per-axis bracket and source once.
        t = sp.Symbol("t", integer=True, positive=True)
        generic = {name: sp.Symbol(f"{name}_t", integer=True) for name in names}
        n_t = sp.Symbol("n_t", integer=True)
        bracket = sp.Function("B")
        shift = generic["j"] + generic["p"] - generic["a"] * generic["d"]
        short = sp.Sum(sp.Mul(*(bracket(t_) for t_ in range(1, ndim + 1))) * w[tuple(v["a"] for v in per_axis)]
                       * x[tuple(sp.Symbol(f"n_{t_}") for t_ in range(1, ndim + 1))], *limits)
        display = [_eq(lhs, short), _eq(n_t, shift / generic["s"]),
                   _eq(bracket(t), Iverson(Divides(generic["s"], shift))
                         * Iverson(sp.And(_ge(shift, 0), _le(shift, generic["s"] * (generic["i"] - 1)))))]
    # For notes, conv_arithmetic's way: the sum over the taps with the source index named, and the brackets'
    # conditions stated beside it (the same SymPy objects the brackets hold, over per-axis names).
    g = {name: sp.Symbol(name if ndim == 1 else f"{name}_t", integer=True) for name in names}
    n_name = "n" if ndim == 1 else "n_t"
    n_g = sp.Symbol(n_name, integer=True)
    shift_g = g["j"] + g["p"] - g["a"] * g["d"]
    sources = [sp.Symbol("n" if ndim == 1 else f"n_{t_ + 1}") for t_ in range(ndim)]
    document = {"sum": _eq(lhs, sp.Sum(w[tuple(v["a"] for v in per_axis)] * x[tuple(sources)], *limits)),
                "source": _eq(n_g, shift_g / g["s"]),
                "conditions": [Divides(g["s"], shift_g), _le(0, n_g), _le(n_g, g["i"] - 1)]}
    return lhs, rhs, {"axes": per_axis, "w": w, "x": x, "display": display, "factors": factors, "document": document}


# The closed form is a sum over every kernel tap; SymPy evaluates a term in ~0.4 ms (its brackets decided, the
# rest multiplied out), so an evaluation stops at this many terms, outputs times taps (about 0.2 s).
CLOSED_FORM_TERMS = 400


def _taps_per_output(layer: Layer) -> int:
    """Terms of the closed form's sum at one output: one per kernel tap, Π k."""
    return prod(axis.k for axis in layer.axes)


def _closed_form_steps(layer: Layer, symbol: str, x_name: str) -> tuple[sp.Expr, dict, Derivation]:
    lhs, rhs, syms = closed_form(layer.ndim, x_name, symbol)
    der = Derivation("Element formulas of the transposed convolution", key="formulas")
    der.notes["closed_form"] = syms["document"]
    der.add("each output collects the taps whose input index is a whole number inside the input",
            syms["display"][0], key="formulas.lead")
    for definition in syms["display"][1:]:
        der.add("on each axis t", definition, key="formulas.axis")
    return rhs, syms, der


def _count(outputs: Sequence[int]) -> int:
    """How many outputs were asked for, for any sequence (``len`` of a range stops at 2**63)."""
    return range_count(outputs) if isinstance(outputs, range) else len(outputs)


def closed_form_for(layer: Layer, outputs: Sequence[int] | None = None, symbol: str = "w",
                    x_name: str = "x", terms: int | None = None) -> tuple[list[sp.Expr], Derivation]:
    """Evaluate the closed form at outputs of a concrete layer (flat indices; default all)
    and prove each equals the matching output of Cᵀx.

    Each output's sum has one term per kernel tap: outputs times taps past ``terms`` (:data:`CLOSED_FORM_TERMS`;
    :data:`FULL_FORMULA_TERMS` for ``--full``) is refused before anything is evaluated (:func:`derive_formulas`
    shows the first and last outputs of any layer).
    """
    _, syms, der = _closed_form_steps(layer, symbol, x_name)
    op = operator_from_axes(layer.axes, symbol=symbol)
    cols, per = op.shape[1], _taps_per_output(layer)
    count = cols if outputs is None else _count(outputs)
    terms = CLOSED_FORM_TERMS if terms is None else terms
    if count * per > terms:
        raise ParameterError(
            f"the closed form at {count} output(s) of {axes_text(layer.output_size)} sums {count * per} terms (one "
            f"per output and kernel tap), more than SymPy evaluates quickly ({terms}); pass fewer "
            f"outputs (flat indices), or read outputs from C's columns (ConvOperator.transpose_at)")
    outputs = list(range(cols)) if outputs is None else list(outputs)
    names = [op.output_symbol(col) for col in outputs]  # checks every index first
    # The summand is a product over the axes of bracket_t(j_t, a_t) and x's index n_t(j_t, a_t): each axis's
    # factors are evaluated by SymPy once per (output index, tap) along that axis - the brackets decided, the
    # source index made a number - and multiplied across the axes, term by term as Sum.doit() would.
    per_axis: list[dict[int, list[tuple[int, int]]]] = [{} for _ in layer.axes]

    def reached(t: int, axis: Axis, j: int) -> list[tuple[int, int]]:
        if j not in per_axis[t]:
            v = syms["axes"][t]
            bracket, source = syms["factors"][t]
            sizes = {v["i"]: axis.i, v["s"]: axis.s, v["p"]: axis.b, v["d"]: axis.d, v["j"]: j}
            pairs = []
            for a in range(axis.k):
                at = {**sizes, v["a"]: a}
                value = bracket.xreplace(at)
                if value not in (0, 1):
                    raise AssertionError(f"the closed form's bracket {value} did not evaluate at j={j}, a={a}")
                if value == 1:
                    pairs.append((a, int(source.xreplace(at))))
            per_axis[t][j] = pairs
        return per_axis[t][j]

    x_base = syms["x"].label.name
    expanded, direct = [], []
    for col in outputs:
        lists = [reached(t, axis, j) for t, (axis, j) in enumerate(zip(layer.axes, unravel(col, layer.output_size)))]
        expanded.append(sp.Add(*(sp.Symbol(indexed_name(symbol, [a for a, _ in combo]))
                                 * sp.Symbol(indexed_name(x_base, [n for _, n in combo]))
                                 for combo in product(*lists))))
        direct.append(op.transpose_at(col, x_name))
    der.proofs.append(prove_equal(f"the closed form equals Cᵀx at {len(expanded)} output(s) of "
                                  f"{axes_text(layer.output_size)}", expanded, direct, "proof.closed",
                                  {"count": len(expanded), "size": axes_text(layer.output_size)}))
    der.results["outputs"] = [[sp.sstr(name), sp.sstr(e)] for name, e in zip(names, expanded)]
    return expanded, der


# Element formulas: every output of a layer with up to this many, else the first FORMULAS_FIRST and the last.
FORMULAS_ALL = 16
FORMULAS_FIRST = 12
# With --full every output is expanded, up to this many terms (outputs times taps, about 0.4 s).
FULL_FORMULA_TERMS = 1_000


def formula_outputs(total: int, per: int, full: bool = False) -> list[int]:
    """Which outputs' formulas are expanded - the one rule ``latex`` and ``derive formulas`` follow: all of a layer
    with up to :data:`FORMULAS_ALL` outputs (all with ``full``), else the first :data:`FORMULAS_FIRST` and the last;
    never more than the evaluation budget (each output costs its ``per`` taps when the closed form is evaluated,
    else at least one step).

    >>> formula_outputs(16, 9), formula_outputs(25, 9)[-3:], len(formula_outputs(25, 9, full=True))
    ([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], [10, 11, 24], 25)
    """
    wanted = total if full or total <= FORMULAS_ALL else FORMULAS_FIRST + 1
    terms = FULL_FORMULA_TERMS if full else CLOSED_FORM_TERMS
    budget = terms // per if per <= CLOSED_FORM_TERMS else PROOF_TERMS // 2
    shown = max(1, min(total, wanted, budget))
    return list(range(total)) if total <= shown else ([*range(shown - 1), total - 1] if shown > 1 else [0])


def expanded_outputs(layer: Layer, full: bool = False,
                     symbol: str = "w") -> tuple[list[int], list[sp.Expr], Derivation]:
    """The closed form, then the outputs :func:`formula_outputs` picks, expanded, as ``(outputs, expanded,
    derivation)``, proved against Cᵀx.

    When one output's sum alone passes :data:`CLOSED_FORM_TERMS` (a kernel of 10**6 taps), the closed form is
    not evaluated: the outputs are read from C's columns and a step says so; when those are too long as well
    (more than :data:`PROOF_TERMS` terms), no output is expanded and a step says that.
    """
    op = operator_from_axes(layer.axes, symbol=symbol)
    total, per = op.shape[1], _taps_per_output(layer)
    outputs = formula_outputs(total, per, full)
    if per <= CLOSED_FORM_TERMS:
        expanded, der = closed_form_for(layer, outputs, symbol,
                                        terms=FULL_FORMULA_TERMS if full else None)
        return outputs, expanded, der
    _, _, der = _closed_form_steps(layer, symbol, "x")
    reason = (f"the closed form sums {per} terms at each output (one per kernel tap), more than SymPy evaluates "
              f"quickly ({CLOSED_FORM_TERMS}), so it is not evaluated here")
    if sum(1 + op.column_count(col) for col in outputs) > PROOF_TERMS:
        longest = max(op.column_count(col) for col in outputs)
        der.add(f"{reason}; the outputs, sums of up to {longest} terms, are not expanded either",
                key="formulas.not_evaluated", per=per, limit=CLOSED_FORM_TERMS, then="formulas.not_expanded",
                longest=longest)
        der.results["outputs"] = []
        return [], [], der
    der.add(f"{reason}: the outputs below are read from C's columns, and the comparison with Cᵀx is skipped",
            key="formulas.not_evaluated", per=per, limit=CLOSED_FORM_TERMS, then="formulas.from_columns")
    expanded = [op.transpose_at(col) for col in outputs]
    der.results["outputs"] = [[sp.sstr(op.output_symbol(c)), sp.sstr(e)] for c, e in zip(outputs, expanded)]
    return outputs, expanded, der


def derive_formulas(layer: Layer, full: bool = False, symbol: str = "w") -> Derivation:
    """The closed form, then the outputs :func:`formula_outputs` picks, expanded, proved against Cᵀx
    (see :func:`expanded_outputs` for what large kernels show)."""
    op = operator_from_axes(layer.axes, symbol=symbol)
    total = op.shape[1]
    outputs, expanded, der = expanded_outputs(layer, full, symbol)
    der.notes["outputs"] = total
    for n, (col, value) in enumerate(zip(outputs, expanded)):
        text = "for these sizes, output by output" if n == 0 else ("…" if col == total - 1 and n < col else "")
        der.add(text, _eq(op.output_symbol(col), value), key="formulas.output")
    return der
