"""The gradients of a convolution on numbers: C from the operator's triples against the backend's routes.

``layer`` is the transposed layer whose C is the convolution (``Axis.from_conv``: its output is the convolution's
input ``n``, its crop ``b`` the padding ``p``).  Weights are the convolution's ``(C_out, C_in/groups, *k)``, which
the transposed convolution of the same layer reads as its ``(C_in, C_out/groups, *k)``: one array serves both.

:func:`gradient_checks` compares, exactly, on integer-valued draws (every sum is an integer below 2**53, so float64
holds it without rounding): the convolution with C built from the triples, ``Cᵀg`` with the transposed convolution
of output_padding ``op``, ``∂L/∂w`` from the triples with the correlation route, and the converse's gradients by
their inner products.

>>> from tconvcalc.model.spec import Axis, Layer
>>> [check["holds"] for check in gradient_checks(Layer((Axis.from_conv(5, 3, 2),)), [0])]
[True, True, True, True]
"""

from __future__ import annotations

import time
from math import prod

import numpy as np

from ..model.structure import nnz
from ..model.spec import Layer, axes_text
from .routes import matrix_indices

__all__ = ["MAX_CHECK_NNZ", "gradient_checks", "input_gradient", "weight_gradient"]

#: C's non-zeros the layer's check builds from the triples at most (a few arrays of this many int64s).
MAX_CHECK_NNZ = 2_000_000


def _parameters(layer: Layer) -> dict:
    return {"stride": layer.field("s"), "padding": tuple(axis.b for axis in layer.axes),
            "dilation": layer.field("d")}


def input_gradient(layer: Layer, g, weight, output_padding, groups: int = 1) -> np.ndarray:
    """``∂L/∂x`` for ``g = ∂L/∂y``: the transposed convolution of ``g`` with the same k, s, p, d and
    ``output_padding`` (PyTorch's spelling, so the claim is checked as users write it)."""
    from . import conv_transpose

    return conv_transpose(g, weight, None, output_padding=tuple(output_padding), groups=groups, **_parameters(layer))


def weight_gradient(layer: Layer, x, g, groups: int = 1) -> np.ndarray:
    """``∂L/∂w[a] = Σ_j g[j] x[j·s + a·d − p]``: the correlation of the padded ``x`` with ``g`` as the kernel,
    dilated by ``s`` at stride ``d`` (batch and channels swapped so the sum runs over the batch), its first ``k``
    outputs per axis.  Shape ``(C_out, C_in/groups, *k)``: the convolution's weight."""
    from . import conv

    v = _parameters(layer)
    c_in, c_out = x.shape[1], g.shape[1]
    cut = (slice(None), slice(None), *(slice(0, k) for k in layer.kernel_size))
    parts = []
    for group in range(groups):  # each group's outputs see only its inputs
        xs = x[:, group * c_in // groups:(group + 1) * c_in // groups].swapaxes(0, 1)
        gs = g[:, group * c_out // groups:(group + 1) * c_out // groups].swapaxes(0, 1)
        full = conv(np.ascontiguousarray(xs), np.ascontiguousarray(gs), stride=v["dilation"], padding=v["padding"],
                    dilation=v["stride"])
        parts.append(full[cut].swapaxes(0, 1))
    return np.concatenate(parts, axis=0)


def _check(statement: str, key: str, result, reference, start: float, **args) -> dict:
    result, reference = np.asarray(result), np.asarray(reference)
    holds = result.shape == reference.shape and bool(np.array_equal(result, reference))
    counterexample = None
    if not holds:
        counterexample = (f"shapes {result.shape} and {reference.shape}" if result.shape != reference.shape else
                          f"{int(np.count_nonzero(result != reference))} of {result.size} values differ")
    return {"statement": statement, "key": key, "checked": int(reference.size), "holds": holds,
            "seconds": time.perf_counter() - start, "counterexample": counterexample, "args": args}


def gradient_checks(layer: Layer, output_padding, seed: int = 0) -> list[dict]:
    """The layer's four checks as ``{statement, key, checked, holds, seconds, counterexample}``, or one entry with
    ``skipped`` (the reason) when C has more than :data:`MAX_CHECK_NNZ` non-zeros."""
    count = nnz(layer.axes)
    if count > MAX_CHECK_NNZ:
        return [{"skipped": count, "limit": MAX_CHECK_NNZ}]
    from . import conv

    rng = np.random.default_rng(seed)
    n, i, k = layer.output_size, layer.input_size, layer.kernel_size

    def draw(*shape):  # small integers: every sum below is exact in float64
        return rng.integers(-3, 4, size=(1, 1, *shape)).astype(np.float64)

    x, g, w = draw(*n), draw(*i), draw(*k)
    v = _parameters(layer)
    checks = []
    start = time.perf_counter()
    # C's triples alone (the matrix view): C x is the converse's C G with G = x, Cᵀg and ∂L/∂w as they are
    by_triples = triple_gradients(layer, x, g, w, g, x)
    checks.append(_check("the convolution equals C built from the operator's triples", "check.grad_conv",
                         conv(x, w, **v), by_triples["transposed_input"], start))
    start = time.perf_counter()
    checks.append(_check(f"Cᵀg equals the transposed convolution with output_padding {tuple(output_padding)}, "
                         f"which has the input's size {tuple(n)}", "check.grad_dx",
                         input_gradient(layer, g, w, output_padding), by_triples["input"], start,
                         op=(", ".join(map(str, output_padding)) if len(n) == 1
                             else f"({', '.join(map(str, output_padding))})"),
                         size=axes_text(n)))
    start = time.perf_counter()
    checks.append(_check("∂L/∂w from the triples equals the correlation of x with g dilated by s at stride d",
                         "check.grad_dw", weight_gradient(layer, x, g), by_triples["weight"], start))
    # The converse, by inner products: <G, Cᵀ_w u> = <C_w G, u> = <w, corr(G, u)> for the draws.
    start = time.perf_counter()
    u, big_g = draw(*i), draw(*n)
    y = input_gradient(layer, u, w, output_padding)
    pairing = [float(np.vdot(big_g, y))] * 2
    checks.append(_check("for the transposed convolution Y = Cᵀu, ⟨G, Y⟩ equals ⟨C G, u⟩ (its input gradient is "
                         "the convolution) and ⟨w, corr(G, u)⟩ (its weight gradient)", "check.grad_converse",
                         [float(np.vdot(conv(big_g, w, **v), u)), float(np.vdot(w, weight_gradient(layer, big_g, u)))],
                         pairing, start))
    return checks


# --- with channels and groups: the routes `check --gradient` compares ---------------------------------------------

#: The four gradients, in the order they are reported: the convolution's by its input and weight, then the
#: transposed convolution's (the converse).
GRADIENTS = ("input", "weight", "transposed_input", "transposed_weight")


def _grouped(a: np.ndarray, groups: int) -> np.ndarray:
    """``(N, C, …)`` as ``(N, groups, C/groups, …)``."""
    return a.reshape(a.shape[0], groups, a.shape[1] // groups, *a.shape[2:])


def _scatter(values: np.ndarray, index: np.ndarray, size: int) -> np.ndarray:
    """Sum ``values[..., t]`` into position ``index[t]`` of a last axis of ``size``."""
    flat = values.reshape(prod(values.shape[:-1]), values.shape[-1])  # explicit rows: C may have no non-zeros
    return np.stack([np.bincount(index, weights=row, minlength=size) for row in flat]).reshape(*values.shape[:-1], size)


def routes(layer: Layer, output_padding, x, g, w, u, big_g, groups: int = 1) -> dict[str, np.ndarray]:
    """The four gradients by the routes the derivation names: ``Cᵀg`` as the transposed convolution with
    ``output_padding``, ``∂L/∂w`` as the correlation, and for ``Y = Cᵀu`` the convolution of ``G`` and the
    correlation of ``G`` with ``u``.  ``x`` is the convolution's input, ``g`` its output's gradient, ``w`` its weight
    ``(C_out, C_in/groups, *k)``; ``u`` the transposed convolution's input and ``G`` its output's gradient."""
    from . import conv

    return {"input": input_gradient(layer, g, w, output_padding, groups),
            "weight": weight_gradient(layer, x, g, groups),
            "transposed_input": conv(big_g, w, groups=groups, **_parameters(layer)),
            "transposed_weight": weight_gradient(layer, big_g, u, groups)}


def triple_gradients(layer: Layer, x, g, w, u, big_g, groups: int = 1) -> dict[str, np.ndarray]:
    """The same four from C's ``(row, column, tap)`` triples alone (the matrix view, no convolution routine): row
    ``r`` of C reads column ``c`` through tap ``t``, so ``Cᵀg`` adds ``w_t g_r`` at ``c``, ``C G`` adds ``w_t G_c`` at
    ``r``, and a weight gradient adds the product of the two signals at ``t``."""
    rows, cols, taps = matrix_indices(layer)
    n, i, k = prod(layer.output_size), prod(layer.input_size), prod(layer.kernel_size)
    wf = w.reshape(groups, w.shape[0] // groups, w.shape[1], k)[..., taps]  # (groups, C_out/g, C_in/g, nnz)

    def flat(a):
        return _grouped(a.reshape(*a.shape[:2], -1), groups)

    def spatial(a, size):
        return a.reshape(a.shape[0], -1, *size)

    # ∂L/∂x = Cᵀg; the converse's ∂L/∂u = C G (contract the output channel, then the input channel)
    dx = _scatter(np.einsum("bgot,goit->bgit", flat(g)[..., rows], wf), cols, n)
    du = _scatter(np.einsum("bgit,goit->bgot", flat(big_g)[..., cols], wf), rows, i)
    dw = _scatter(np.einsum("bgot,bgit->goit", flat(g)[..., rows], flat(x)[..., cols]), taps, k)
    dwt = _scatter(np.einsum("bgot,bgit->goit", flat(u)[..., rows], flat(big_g)[..., cols]), taps, k)
    return {"input": spatial(dx, layer.output_size), "weight": dw.reshape(w.shape),
            "transposed_input": spatial(du, layer.input_size), "transposed_weight": dwt.reshape(w.shape)}
