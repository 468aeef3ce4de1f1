"""Cross-checking: every route on the same random inputs, against the fast one and any peer (PyTorch)."""

from __future__ import annotations

import numpy as np

from ..records import record
from ..spec import Layer, check_groups
from .run import ROUTES, apply, apply_adjoint

__all__ = ["TOLERANCE", "AdjointCheck", "RouteCheck", "RouteErrors", "check_routes", "max_errors"]

RouteErrors = record("RouteErrors", "route max_abs_error max_rel_error passed",
                     doc="One route's (or peer's) worst difference from the fast route over the trials.")
AdjointCheck = record("AdjointCheck", "lhs rhs max_rel_error passed", doc="<C u, x> against <u, C^T x>.")
RouteCheck = record("RouteCheck", "dtype tolerance trials batch seed channels groups output_shape routes adjoint "
                                  "passed", doc="What :func:`check_routes` found, and the settings it ran with.")

#: Agreement required, relative to the largest magnitude of the reference result.
TOLERANCE = {"float64": 1e-12, "float32": 1e-5}


def max_errors(result: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """``(max |a - b|, max |a - b| / max |b|)``: relative to the scale of the result, not per element,
    so samples that happen to be near zero do not blow the figure up."""
    with np.errstate(invalid="ignore", over="ignore"):
        diff = float(np.max(np.abs(result.astype(np.float64) - reference), initial=0.0))
    scale = float(np.max(np.abs(reference), initial=0.0))
    return diff, (diff / scale if scale > 0 else diff)


def check_routes(layer: Layer, channels: tuple[int, int], groups: int = 1, batch: int = 2, trials: int = 3,
                 dtype: str = "float64", seed: int = 0, peers: dict | None = None) -> RouteCheck:
    """Run every route on random inputs and compare; ``passed`` says if all agree.

    ``peers`` maps a name to ``f(x, weight, bias) -> array`` run on the same inputs (e.g. PyTorch).
    """
    c_in, c_out = channels
    check_groups(groups, c_in, c_out)
    tolerance = TOLERANCE[dtype]
    rng = np.random.default_rng(seed)
    names = [r for r in ROUTES if r != "fast"] + list(peers or {})
    worst = {name: [0.0, 0.0] for name in names}
    adjoint = AdjointCheck(0.0, 0.0, 0.0, True)
    shape = None
    for _ in range(trials):
        x = rng.standard_normal((batch, c_in, *layer.input_size)).astype(dtype)
        w = rng.standard_normal((c_in, c_out // groups, *layer.kernel_size)).astype(dtype)
        bias = rng.standard_normal(c_out).astype(dtype)
        reference = apply(layer, x, w, bias, groups, "fast")
        shape = list(reference.shape)
        outputs = {r: apply(layer, x, w, bias, groups, r) for r in ROUTES if r != "fast"}
        outputs.update({name: np.asarray(f(x, w, bias)) for name, f in (peers or {}).items()})
        for name, y in outputs.items():
            if y.shape != reference.shape:
                worst[name] = [float("inf"), float("inf")]
                continue
            errors = max_errors(y, reference.astype(np.float64))
            worst[name] = [max(a, b) for a, b in zip(worst[name], errors)]
        # <C u, x> = <u, C^T x>, with C from the convolution engine, not from any transposed route
        u = rng.standard_normal(reference.shape).astype(dtype)
        cu = apply_adjoint(layer, u, w, groups).astype(np.float64)
        ctx = apply(layer, x, w, None, groups, "fast").astype(np.float64)
        lhs, rhs = float(np.vdot(cu, x.astype(np.float64))), float(np.vdot(u.astype(np.float64), ctx))
        scale = float(np.linalg.norm(cu) * np.linalg.norm(x.astype(np.float64))) or 1.0
        rel = abs(lhs - rhs) / scale
        if rel >= adjoint.max_rel_error:
            adjoint = AdjointCheck(lhs, rhs, rel, rel <= tolerance)
    routes = tuple(RouteErrors(name, *worst[name], worst[name][1] <= tolerance) for name in names)
    return RouteCheck(dtype, tolerance, trials, batch, seed, (c_in, c_out), groups, tuple(shape), routes, adjoint,
                      all(r.passed for r in routes) and adjoint.passed)
