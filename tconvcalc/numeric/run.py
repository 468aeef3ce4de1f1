"""Run a transposed convolution given in the canonical crop model by one of the routes.

:func:`apply` takes a :class:`~tconvcalc.spec.Layer`, so any framework's layer runs; it checks the
arrays, refuses a call that would not fit in memory, and dispatches to a route of :mod:`.gemm` or
:mod:`.routes`.
"""

from __future__ import annotations

from math import prod

import numpy as np

from ..spec import Layer, ParameterError, check_at_least, check_groups
from . import routes
from .gemm import FIXED_MODES, GEMM_ROUTES, batch_chunk
from .gemm_plan import best_modes, gemm_plan
from .operands import all_finite, check_bias, check_memory, check_operands, finish

__all__ = ["ROUTES", "ROUTE_FUNCTIONS", "apply", "apply_adjoint", "work_bytes"]

ROUTES = ("fast", "matrix", "zero_insertion", "phases")

# The public routes, then the fast route's two fixed forms (for tests and benchmarks).
ROUTE_FUNCTIONS = {"fast": GEMM_ROUTES["fast"], "matrix": routes.matrix, "zero_insertion": routes.zero_insertion,
                   "phases": routes.phases, **{name: GEMM_ROUTES[name] for name in FIXED_MODES}}


def apply(layer: Layer, x, weight, bias=None, groups: int = 1, route: str = "fast") -> np.ndarray:
    """Run the transposed convolution ``layer`` (canonical crop model) on ``x`` by ``route``."""
    x, weight, bias, dtype, work = check_operands(x, weight, bias, "conv_transpose")
    if route not in ROUTE_FUNCTIONS:
        raise ParameterError(f"route={route!r} is not a route, the routes are {', '.join(ROUTES)}; "
                             f"use route='fast'")
    if tuple(x.shape[2:]) != layer.input_size or tuple(weight.shape[2:]) != layer.kernel_size:
        raise ParameterError(
            f"x {x.shape} and weight {weight.shape} do not match the layer (input {layer.input_size}, kernel "
            f"{layer.kernel_size}), the arrays' spatial sizes must be the layer's; build the layer from them")
    n, c_in = x.shape[:2]
    if weight.shape[0] != c_in:
        raise ParameterError(
            f"x has {c_in} channels but weight {weight.shape} expects {weight.shape[0]}, conv_transpose's weight "
            f"is (C_in, C_out/groups, *k); give weight {c_in} rows in its first axis or x {weight.shape[0]} "
            f"channels")
    groups = check_at_least("groups", groups, 1)
    c_out = weight.shape[1] * groups
    check_groups(groups, c_in, c_out)
    check_bias(bias, c_out)
    if route in GEMM_ROUTES and not all_finite(x, weight):
        # The gathering GEMMs multiply structural zeros (the im2col window's padding, zero weights
        # for the taps a phase lacks) with the data, and 0 * inf is NaN where PyTorch has a finite
        # value.  Scattering on every axis multiplies only real (input, tap) pairs: x itself is the
        # GEMM's operand, every weight row is a tap, and only slabs inside the output are added.
        route = "col2im"
    out_shape = (n, c_out, *layer.output_size)
    check_memory("output", out_shape, work, work_bytes(route, layer, x.shape, weight.shape, groups, work))
    if n == 0:
        return finish(np.zeros(out_shape, work), bias, dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        y = ROUTE_FUNCTIONS[route](layer, x.astype(work, copy=False), weight.astype(work, copy=False), groups)
    return finish(y, bias, dtype)


def apply_adjoint(layer: Layer, u, weight, groups: int = 1) -> np.ndarray:
    """``C u``: the direct convolution whose transpose is ``layer`` (``u`` has the layer's output shape).

    ``(C u)[n] = sum_a w[a] u[n*s + a*d - b]`` for ``n < i`` - a convolution of ``u`` padded by the
    crop ``(b, e)``; with it ``<C u, x> = <u, C^T x>`` can be checked for any crop.
    """
    u, weight, _, dtype, work = check_operands(u, weight, None, "the adjoint")
    with np.errstate(invalid="ignore", over="ignore"):
        y = routes.direct(layer, u.astype(work, copy=False), weight.astype(work, copy=False), groups)
    return y.astype(dtype, copy=False)


def work_bytes(route: str, layer: Layer, x_shape, w_shape, groups: int, dtype: np.dtype) -> int:
    """Work memory a route will allocate beyond the output, for the up-front memory check."""
    n, c_in = x_shape[:2]
    c_out = w_shape[1] * groups
    if route in GEMM_ROUTES:
        modes = ((FIXED_MODES[route],) * layer.ndim if route in FIXED_MODES
                 else best_modes(layer, x_shape, c_out, groups))
        per_sample = gemm_plan(layer, modes).per_sample(c_in, c_out, groups)
        return min(n, batch_chunk(per_sample * dtype.itemsize, n)) * per_sample * dtype.itemsize
    if route == "matrix":
        return 16 * routes.MATRIX_CHUNK_ELEMENTS + prod(a.o for a in layer.axes) * n * c_out * 8
    # zero insertion / phases: the padded input and the im2col buffer of one convolution
    padded = prod(max(a.stretched + sum(a.zero_insertion_pads), a.i + a.span) for a in layer.axes)
    return n * c_in * (padded + prod(layer.kernel_size) * prod(layer.output_size)) * dtype.itemsize
