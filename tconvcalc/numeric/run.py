"""Run a transposed convolution given in the canonical crop model by one of the routes.

:func:`apply` takes a :class:`~tconvcalc.model.spec.Layer`, so any framework's layer runs; it checks the
arrays, refuses a call that would not fit in memory, and dispatches to a route of :mod:`.gemm` or
:mod:`.routes`.  The memory check comes in two steps, both arithmetic: the output's bytes first, so
nothing is planned for a result that cannot be held (a stride of 10**12 is refused at once), then the
output plus the route's work (:func:`work_bytes`).
"""

from __future__ import annotations

from math import prod

import numpy as np

from ..model.spec import Layer, ParameterError, check_at_least, check_groups
from . import routes
from .gemm import FIXED_MODES, GEMM_ROUTES, batch_chunk
from .gemm_plan import MAX_GATHER_ROWS, best_modes, gather_rows, gemm_plan
from .operands import all_finite, check_bias, check_direct_channels, check_memory, check_operands, finish

__all__ = ["ROUTES", "ROUTE_FUNCTIONS", "apply", "apply_adjoint", "route_limit", "work_bytes"]

ROUTES = ("fast", "matrix", "zero_insertion", "phases")

#: What every call holds besides its arrays: index tables, plans, NumPy's and Python's small objects.
BASE_WORK_BYTES = 64 << 10

# The public routes, then the fast route's two fixed forms (for tests and benchmarks).
ROUTE_FUNCTIONS: dict[str, routes.Route] = {
    "fast": GEMM_ROUTES["fast"], "matrix": routes.matrix, "zero_insertion": routes.zero_insertion,
    "phases": routes.phases, **{name: GEMM_ROUTES[name] for name in FIXED_MODES}}

# The routes that multiply structural zeros with the kernel: with inf or NaN they run through routes.real_pairs.
_ZERO_MULTIPLYING = ("zero_insertion", "phases")


def route_limit(route: str, layer: Layer) -> str | None:
    """Why ``route`` cannot run ``layer`` whatever the memory, as the first half of a sentence, or None.

    Only two routes have such a limit, both on Python records they would list: the phases route lists
    every sub-pixel phase (``min(s, o)`` per axis), the sub-pixel GEMM every phase and window row.
    """
    if route == "phases" and routes.phase_count(layer) > routes.MAX_PHASES:
        return (f"the phases route would list {routes.phase_count(layer)} sub-pixel phases (min(stride, output) "
                f"per axis), more than the {routes.MAX_PHASES} it handles")
    if route in FIXED_MODES and FIXED_MODES[route] and gather_rows(layer, (True,) * layer.ndim) is None:
        return (f"the sub-pixel GEMM's plan would exceed {MAX_GATHER_ROWS} phase and window rows "
                f"(min(stride, output) phases per axis times the window)")
    return None


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
    out_shape = (n, c_out, *layer.output_size)
    check_memory("output", out_shape, work)  # the result alone: nothing is planned for one that cannot be held
    finite = all_finite(x, weight)
    # With inf or NaN, PyTorch multiplies only real (input, tap) pairs; every route must put them where it does.
    exact = not finite and (x.dtype.kind == "c" or route in _ZERO_MULTIPLYING)  # through routes.real_pairs
    if route in GEMM_ROUTES and not finite and x.dtype.kind != "c":
        # The gathering GEMMs multiply structural zeros (the im2col window's padding, zero weights
        # for the taps a phase lacks) with the data, and 0 * inf is NaN where PyTorch has a finite
        # value.  Scattering on every axis multiplies only real (input, tap) pairs: x itself is the
        # GEMM's operand, every weight row is a tap, and only slabs inside the output are added.
        route = "col2im"
    limit = route_limit(route, layer)
    if limit:
        raise ParameterError(f"{limit}; use route='fast' or route='matrix'")
    check_memory("output", out_shape, work, work_bytes(route, layer, x.shape, weight.shape, groups, work, exact),
                 fix="use a smaller batch or input" if route in GEMM_ROUTES else
                 f"use a smaller batch or input, or route='fast' (route={route!r} needs the work buffers above)")
    if n == 0:
        return finish(np.zeros(out_shape, work), bias, dtype)
    function = ROUTE_FUNCTIONS[route]
    with np.errstate(invalid="ignore", over="ignore"):
        xw, ww = x.astype(work, copy=False), weight.astype(work, copy=False)
        if exact:
            y = routes.real_pairs(function, layer, xw, ww, groups)
        else:
            y = function(layer, xw, ww, groups)
    return finish(y, bias, dtype)


def apply_adjoint(layer: Layer, u, weight, groups: int = 1) -> np.ndarray:
    """``C u``: the direct convolution whose transpose is ``layer`` (``u`` has the layer's output shape).

    ``(C u)[n] = sum_a w[a] u[n*s + a*d - b]`` for ``n < i`` - a convolution of ``u`` padded by the
    crop ``(b, e)``; with it ``<C u, x> = <u, C^T x>`` can be checked for any crop.  ``weight`` is the
    transposed layer's ``(C_in, C_out/groups, *k)``, read as the convolution's ``(C_out, C_in/groups, *k)``.
    """
    u, weight, _, dtype, work = check_operands(u, weight, None, "the adjoint")
    if tuple(u.shape[2:]) != layer.output_size or tuple(weight.shape[2:]) != layer.kernel_size:
        raise ParameterError(
            f"u {u.shape} and weight {weight.shape} do not match the layer (output {layer.output_size}, kernel "
            f"{layer.kernel_size}), the adjoint takes an array of the layer's output size; build u to match")
    groups = check_direct_channels("u", u, weight, groups, "u has the layer's output channels")
    out_shape = (u.shape[0], weight.shape[0], *layer.input_size)
    check_memory("adjoint's result", out_shape, work)
    check_memory("adjoint's result", out_shape, work, routes.direct_bytes(layer, u.shape, work.itemsize))
    with np.errstate(invalid="ignore", over="ignore"):
        y = routes.direct(layer, u.astype(work, copy=False), weight.astype(work, copy=False), groups)
    return y.astype(dtype, copy=False)


def work_bytes(route: str, layer: Layer, x_shape, w_shape, groups: int, dtype: np.dtype,
               nonfinite: bool = False) -> int:
    """Work memory a route will allocate beyond the output, for the up-front memory check.

    Arithmetic only, from the layer and the shapes: nothing is planned here that grows with the stride,
    dilation or crop rather than with the arrays (a GEMM plan is built only when it is small, the
    matrix's non-zeros are counted by :func:`tconvcalc.model.structure.axis_nnz`).  Call it once the output is
    known to fit, and after :func:`route_limit`.  ``nonfinite``: the route runs through
    :func:`.routes.real_pairs` (operands with inf or NaN: zero insertion and the phases, or any route on
    complex operands), which adds zeroed operands, indicator arrays and masks.
    """
    dtype = np.dtype(dtype)
    item = dtype.itemsize
    n, c_in = x_shape[:2]
    c_og = w_shape[1]
    c_out = c_og * groups
    x_size, w_size = prod(x_shape), prod(w_shape)
    out = n * c_out * prod(layer.output_size)
    extra = BASE_WORK_BYTES
    if nonfinite:
        extra += routes.real_pairs_bytes(x_size * item, w_size * item, x_size, w_size, out, item)
    if route in GEMM_ROUTES:
        if route in FIXED_MODES:
            modes = (FIXED_MODES[route],) * layer.ndim
        else:
            modes = best_modes(layer, x_shape, c_out, groups)
        plan = gemm_plan(layer, modes)
        per_sample = plan.per_sample(c_in, c_out, groups)
        buffers = min(n, batch_chunk(per_sample * item, n)) * per_sample * item
        return buffers + 2 * plan.weight_elements(c_in, c_og) * item + extra
    if route == "matrix":
        return routes.matrix_bytes(layer, x_shape, w_shape, groups, dtype) + extra
    if route == "zero_insertion":
        return routes.zero_insertion_bytes(layer, x_shape, w_shape, item) + extra
    return routes.phases_bytes(layer, x_shape, w_shape, groups, item) + extra

