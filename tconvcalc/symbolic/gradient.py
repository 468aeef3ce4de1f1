"""The backward pass: a convolution's gradients are transposed convolutions, and the converse.

SymPy differentiates the convolution's definition, ``y_j = Σ_a w_a x_{j·s + a·d − p}``, by the input and by the
weight; each Kronecker delta it returns names an index set, and the proofs show that set is the one the model's
own index rule names (``structure.scatter_index``: the transposed convolution's scatter with crop ``b = p``),
for all sizes at once.  The sizes are the model's: the convolution's output size (``general_conv_size``), the
output_padding that restores ``n`` (``arithmetic.smallest_conv_input``), the transposed convolution's size
(``general_output_size``).  The layer's numbers are then checked with the NumPy backend
(:mod:`tconvcalc.numeric.gradient`), exactly, on integer-valued draws.

The layer is the transposed convolution whose C is the convolution (``Axis.from_conv``): its output ``o`` is the
convolution's input ``n``, its input ``i`` the convolution's output, its crop ``b`` the padding ``p``.
"""

from __future__ import annotations

from functools import lru_cache
import sympy as sp

from ..model.arithmetic import conv_of, smallest_conv_input
from ..model.structure import scatter_index
from ..model.spec import Axis, Layer, axes_text, channel_counts, check_groups, conv_count, kernel_span
from .derivations import (A, D, I, J, K, M, N, OP, P, S, _substitute_unevaluated, general_axis, general_conv_size,
                          general_output_size)
from .proof import Derivation, NumericCheck, Proof, prove_equal

# The signals: x the convolution's input, g = ∂L/∂y its output's gradient, u the transposed convolution's input
# and G = ∂L/∂Y its output's gradient; c the tap (or input) differentiated by.
X, W, G_Y = sp.IndexedBase("x"), sp.IndexedBase("w"), sp.IndexedBase("g")
U, G_T = sp.IndexedBase("u"), sp.IndexedBase("G")
LOSS = sp.Symbol("L")
T = sp.Symbol("t", integer=True, nonnegative=True)


def _eq(lhs, rhs) -> sp.Eq:
    return sp.Eq(lhs, rhs, evaluate=False)


def _grad(base: sp.IndexedBase, index: sp.Symbol) -> sp.Symbol:
    """``∂L/∂x_m`` as a name: the derivative SymPy takes is on the right of its step, this is its label (the notes
    spell it ``\\frac{\\partial L}{\\partial x_{m}}``, :data:`~tconvcalc.symbolic.vocabulary.LATEX_NAMES`)."""
    return sp.Symbol(f"∂L/∂{base.label.name}_{index.name}")


def _padded_axis() -> Axis:
    """The model's general axis with PyTorch's crop ``b = p``: the transposed convolution of the same k, s, p, d."""
    return general_axis()._replace(b=P)


def _swapped_axis() -> Axis:
    """The same index rule with the roles of ``(j, s)`` and ``(a, d)`` swapped, as ``structure.input_range`` reads it:
    the weight gradient's correlation, whose kernel is the gradient (``i`` taps ``s`` apart) and whose step is ``d``."""
    return tuple.__new__(Axis, (K, I, D, S, P, 0))


def _delta(expr: sp.Expr) -> sp.KroneckerDelta:
    return next(iter(expr.atoms(sp.KroneckerDelta)))


def _indexed(expr: sp.Expr, base: sp.IndexedBase) -> sp.Expr:
    """The index of ``base`` in ``expr`` (one-dimensional)."""
    return next(term for term in expr.atoms(sp.Indexed) if term.base == base).indices[0]


@lru_cache(maxsize=None)
def _general() -> tuple[tuple, tuple[Proof, ...], dict]:
    """The derivation over symbols (once per process): its steps as ``(key, text, expr)``, its proofs, and the
    formulas the layer's numbers are substituted into."""
    steps, proofs = [], []
    add = lambda key, text, expr=None: steps.append((key, text, expr))  # noqa: E731
    conv = general_conv_size()
    # 1. ∂L/∂x: differentiate the convolution's definition by one input sample.
    read = J * S + A * D - P  # the convolution's definition: the window at j·s, dilated taps, p zeros before
    y_j = sp.Sum(W[A] * X[read], (A, 0, K - 1))
    add("grad.conv", "the convolution of a length-n input x, padded by p at each end, at stride s and dilation d",
        _eq(sp.Indexed(sp.IndexedBase("y"), J), y_j))
    add("grad.conv_size", "has i outputs", _eq(I, conv))
    loss = sp.Sum(G_Y[J] * y_j, (J, 0, I - 1))  # dL = Σ_j g_j dy_j: the chain rule's first factor
    dx = sp.diff(loss, X[M])
    add("grad.dx", "with g = ∂L/∂y, L changes as Σ_j g_j·y_j; SymPy differentiates that by x_m", _eq(_grad(X, M), dx))
    delta = _delta(dx)
    position = solve_for(delta, M)
    add("grad.dx_pairs", "the delta keeps the pairs (j, a) that read x_m", _eq(M, position))
    scatter = scatter_index(_padded_axis(), J, A)
    add("grad.dx_tconv", "which is where the transposed convolution with crop b = p scatters g_j through tap a: "
        "∂L/∂x = Cᵀg", _eq(_grad(X, M), sp.Sum(sp.KroneckerDelta(M, scatter) * G_Y[J] * W[A], (A, 0, K - 1),
                                              (J, 0, I - 1))))
    proofs.append(prove_equal("for all n, k, s, p, d, j, a: the input x_m that SymPy's derivative picks is at the "
                              "transposed convolution's scatter position m = j·s + a·d − b, b = p (C's index rule)",
                              [position], [scatter], "proof.grad_dx"))
    # The size: the output_padding that restores n, from the model's smallest input n_0 (arithmetic).
    op = N - smallest_conv_input(I, K, S, P, D)
    add("grad.op", "the transposed convolution of i samples gives back n when output_padding is", _eq(OP, op))
    inner = next(arg for arg in sp.Add.make_args(conv) if isinstance(arg, sp.floor)).args[0]
    q = sp.expand(inner * S)
    modulo = sp.Mod(q, S, evaluate=False)  # as derived: SymPy would move the −1 to s − 1
    add("grad.op_mod", "with i = ⌊q/s⌋ + 1 from the convolution's size, that is", _eq(OP, modulo))
    o_tconv, _ = general_output_size()
    proofs.append(prove_equal("for all n, k, s, p, d: n − n_0 with i = ⌊q/s⌋ + 1 is q − s·⌊q/s⌋ = q mod s, "
                              "q = n + 2p − d(k − 1) − 1, and the transposed convolution with it has n outputs",
                              [op.xreplace({I: conv}), o_tconv.xreplace({OP: op})],
                              [modulo.rewrite(sp.floor), N], "proof.grad_op"))
    n0 = smallest_conv_input(I, K, S, P, D)
    proofs.append(prove_equal("for all i, k, s, p, d and 0 ≤ t < s: at n = n_0 + t the output_padding is t and the "
                              "convolution's floor argument is i − 1 + t/s, so 0 ≤ op < s and the convolution of n "
                              "gives i", [op.xreplace({N: n0 + T}), inner.xreplace({N: n0 + T})],
                              [T, I - 1 + T / S], "proof.grad_op_range"))
    # 2. ∂L/∂w: differentiate by one tap c.
    c = sp.Symbol("c", integer=True, nonnegative=True)
    dw = sp.diff(loss, W[c])
    add("grad.dw", "SymPy differentiates L by the tap w_c", _eq(_grad(W, c), dw))
    source = _indexed(dw, X).xreplace({A: c})  # the delta keeps a = c
    add("grad.dw_corr", "the delta keeps a = c: the correlation of the padded input with g dilated by s, at "
        "stride d (the stride becomes the gradient's dilation)", _eq(_grad(W, A), sp.Sum(
            G_Y[J] * X[source.xreplace({c: A})], (J, 0, I - 1))))
    swapped = scatter_index(_swapped_axis(), A, J)
    proofs.append(prove_equal("for all n, k, s, p, d, j, a: the input the weight gradient reads is C's index rule with "
                              "the roles of (j, s) and (a, d) swapped, a·d + j·s − p",
                              [source.xreplace({c: A})], [swapped], "proof.grad_dw"))
    count = conv_count(N + 2 * P, I, D, S)
    add("grad.dw_size", "that correlation has k' outputs, of which the first k are the weight gradient",
        _eq(sp.Symbol("k'"), count))
    proofs.append(prove_equal("for all i, k, s, p, d and 0 ≤ t < s: at n = n_0 + t the correlation spans "
                              "n + 2p − s(i − 1) − 1 = d(k − 1) + t samples, so k' = k + ⌊op/d⌋ ≥ k",
                              [sp.expand((N + 2 * P - kernel_span(I, S)).xreplace({N: n0 + T}))],
                              [D * (K - 1) + T], "proof.grad_dw_size"))
    # 3. The converse: the transposed convolution Y = Cᵀu, as the model scatters it, differentiated.
    pairs = sp.Sum(G_T[scatter] * U[J] * W[A], (A, 0, K - 1), (J, 0, I - 1))  # ⟨G, Cᵀu⟩ over its (j, a) pairs
    add("grad.tconv", "the transposed convolution Y = Cᵀu scatters u_j through tap a to position j·s + a·d − p, so "
        "with G = ∂L/∂Y", _eq(LOSS, pairs))
    du = sp.diff(pairs, U[c])
    read_back = _indexed(du, G_T).xreplace({J: c})  # the delta keeps j = c
    add("grad.du", "SymPy differentiates by u_c; the delta keeps j = c: the convolution C of G, same k, s, p, d",
        _eq(_grad(U, J), sp.Sum(W[A] * G_T[read_back.xreplace({c: J})], (A, 0, K - 1))))
    dwt = sp.diff(pairs, W[c])
    read_w = _indexed(dwt, G_T).xreplace({A: c})
    add("grad.dwt", "and by w_c: the correlation of G with u dilated by s, at stride d",
        _eq(_grad(W, A), sp.Sum(U[J] * G_T[read_w.xreplace({c: A})], (J, 0, I - 1))))
    proofs.append(prove_equal("for all k, s, p, d, j, a: the derivatives of the transposed convolution read G where "
                              "the convolution's definition reads its input, j·s + a·d − p, for the input gradient "
                              "and for the weight gradient", [read_back.xreplace({c: J}), read_w.xreplace({c: A})],
                              [read, read], "proof.grad_converse"))
    return tuple(steps), tuple(proofs), {"op": op, "modulo": modulo}


def solve_for(delta: sp.KroneckerDelta, unknown: sp.Symbol) -> sp.Expr:
    """The value of ``unknown`` that makes the delta 1 (its two arguments equal; linear in ``unknown``)."""
    from .derivations import solve_linear

    return sp.expand(solve_linear(_eq(*delta.args), unknown))


def derive_gradient(layer: Layer, channels=(1, 1), groups: int = 1, check: bool = True,
                    checks: list[dict] | None = None) -> Derivation:
    """∂L/∂x = Cᵀg, ∂L/∂w as a correlation, and the converse, derived and proved in general, then checked on
    ``layer`` (the transposed layer of the convolution, :func:`~tconvcalc.model.arithmetic.conv_layer`) with the
    NumPy backend.

    ``channels`` ``(C_in, C_out)`` of the convolution and ``groups`` give the weight gradient's shape; ``checks``
    are :func:`tconvcalc.numeric.gradient.gradient_checks`' results for ``layer`` when they were computed
    elsewhere (the command line computes them in a forked process while SymPy loads).
    """
    convs = conv_of(layer)
    c_in, c_out = channel_counts(channels, 2, "a convolution (in, out)")
    groups = check_groups(groups, c_in, c_out)
    der = Derivation("The gradients of a convolution: its transpose, and the converse", key="gradient")
    general, proofs, formulas = _general()
    for key, text, expr in general:
        der.add(text, expr, key=key)
        if key == "grad.op_mod":  # the layer's numbers, right under the formula they fill
            for t, conv in enumerate(convs):
                values = {N: conv["n"], K: conv["k"], S: conv["s"], P: conv["p"], D: conv["d"]}
                shown, names = _substitute_unevaluated(formulas["modulo"], values)
                where = f" (axis {t})" if layer.ndim > 1 else ""
                der.add(f"with n={conv['n']}, k={conv['k']}, s={conv['s']}, p={conv['p']}, d={conv['d']}{where}",
                        _eq(OP, shown), names, key="grad.op_values", axis=t if layer.ndim > 1 else None,
                        **{name: conv[name] for name in ("n", "k", "s", "p", "d")})
                der.add("", _eq(OP, formulas["modulo"].xreplace(values).doit()), key="size.value")
    shape = [c_out, c_in // groups, *layer.kernel_size]
    der.add(f"∂L/∂w has the weight's shape, PyTorch's conv layout (C_out, C_in/groups, *k) = "
            f"{axes_text(shape)}", key="grad.shape", shape=axes_text(shape))
    der.proofs.extend(proofs)
    # The formula's values against the arithmetic's solver (output_padding_for), axis by axis.
    der.proofs.append(prove_equal("on these sizes the formula's output_padding is the one "
                                  "arithmetic.output_padding_for solves for the size n", [formulas["modulo"].xreplace(
                                      {N: c["n"], K: c["k"], S: c["s"], P: c["p"], D: c["d"]}).doit() for c in convs],
                                  [sp.Integer(c["output_padding"]) for c in convs], "proof.grad_op_layer"))
    if check:
        if checks is None:
            from ..numeric.gradient import gradient_checks

            checks = gradient_checks(layer, [conv["output_padding"] for conv in convs])
        for found in checks:
            if "skipped" in found:
                der.add(f"the check on these sizes is skipped: C has {found['skipped']} non-zeros, more than the "
                        f"{found['limit']} it builds from the triples", key="grad.skip", **found)
                continue
            der.proofs.append(NumericCheck(found["statement"], found["checked"], found["holds"], found["seconds"],
                                           found["counterexample"], found["key"], found["args"]))
    der.results.update({
        "output_padding": [conv["output_padding"] for conv in convs],
        "input_size": [conv["n"] for conv in convs],
        "conv_output_size": [conv["i"] for conv in convs],
        "weight_gradient_shape": shape,
        "extra_correlation_outputs": [conv["output_padding"] // conv["d"] for conv in convs],
    })
    der.notes["layer"] = convs
    # The boxes' statements, for the notes: the input gradient as a matrix product, then the output padding.
    der.notes["input_gradient"] = _eq(sp.Symbol("∂L/∂x"), sp.MatrixSymbol("C", N, I).T * sp.MatrixSymbol("g", I, 1))
    return der

