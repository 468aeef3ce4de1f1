"""Cross-checking: every route on the same random inputs, against the fast one and any peer (PyTorch).

The reference is the ``fast`` route.  With ``nonfinite=True`` every trial's ``x`` and weight also hold
NaN, +inf, -inf and an exact 0 at random places (the 0 tells a real pair's ``0 * inf``, NaN in PyTorch,
from a structural zero, which contributes nothing); the fast route then scatters every tap, multiplying
only real (input, tap) pairs as PyTorch does.  A route passes when its NaN, +inf and -inf sit exactly
where the reference's do and its finite values agree within the tolerance.

Before anything is drawn, :func:`check_bytes` adds up what a check holds at once; a check that would
exceed ``MAX_BYTES`` is refused in one sentence, however large the sizes asked for.

>>> from tconvcalc.model.spec import Layer
>>> result = check_routes(Layer.from_pytorch(4, 3, 2), (1, 1), trials=1, nonfinite=True)
>>> result.passed, [(r.route, r.nonfinite_mismatches) for r in result.routes]
(True, [('matrix', 0), ('zero_insertion', 0), ('phases', 0)])
"""

from __future__ import annotations

from math import prod
from typing import Callable, NamedTuple

import numpy as np

from ..model.spec import Layer, ParameterError, check_at_least, check_groups
from . import operands
from .operands import format_bytes, format_shape
from .run import ROUTES, apply, apply_adjoint, route_limit, work_bytes
from .routes import direct_bytes

__all__ = ["TOLERANCE", "AdjointCheck", "NonfiniteTrials", "RouteCheck", "RouteErrors", "check_bytes", "check_fits",
           "check_routes", "compare", "kinds", "max_errors"]

class RouteErrors(NamedTuple):
    """One route's (or peer's) worst difference from the fast route over the trials, over the outputs finite in both,
    and how many outputs are NaN, +inf, -inf or finite in one but not the other."""

    route: str
    max_abs_error: float
    max_rel_error: float
    passed: bool
    nonfinite_mismatches: int


class AdjointCheck(NamedTuple):
    """<C u, x> against <u, C^T x>."""

    lhs: float
    rhs: float
    max_rel_error: float
    passed: bool


class NonfiniteTrials(NamedTuple):
    """What ``nonfinite`` trials put into x and the weight, and what the reference gave: counts by kind (nan, posinf,
    neginf, zero / finite) over all trials."""

    inserted: dict[str, dict[str, int]]
    reference: dict[str, int]


class RouteCheck(NamedTuple):
    """What :func:`check_routes` found, and the settings it ran with; ``peer_errors`` maps a peer that could not run
    the layer to its error."""

    dtype: str
    tolerance: float
    trials: int
    batch: int
    seed: int
    channels: tuple[int, ...]
    groups: int
    output_shape: tuple[int, ...]
    routes: tuple[RouteErrors, ...]
    adjoint: AdjointCheck
    passed: bool
    nonfinite: NonfiniteTrials | None
    peer_errors: dict[str, str]

#: Agreement required, relative to the largest magnitude of the reference result.
TOLERANCE = {"float64": 1e-12, "float32": 1e-5}

# Kinds of output value, compared position by position.
_FINITE, _NAN, _POSINF, _NEGINF = 0, 1, 2, 3
_INSERTED = (("nan", np.nan), ("posinf", np.inf), ("neginf", -np.inf), ("zero", 0.0))


def kinds(y: np.ndarray) -> np.ndarray:
    """Per position: 0 finite, 1 NaN, 2 +inf, 3 -inf."""
    out = np.zeros(y.shape, np.int8)
    out[np.isnan(y)] = _NAN
    out[np.isposinf(y)] = _POSINF
    out[np.isneginf(y)] = _NEGINF
    return out


def max_errors(result: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """``(max |a - b|, max |a - b| / max |b|)`` over the positions finite in both: relative to the scale of
    the result, not per element, so samples that happen to be near zero do not blow the figure up.
    Non-finite positions are compared by :func:`compare`."""
    result, reference = np.asarray(result, np.float64), np.asarray(reference, np.float64)
    both = np.isfinite(result) & np.isfinite(reference)
    diff = float(np.max(np.abs(result - reference), where=both, initial=0.0))
    scale = float(np.max(np.abs(reference), where=np.isfinite(reference), initial=0.0))
    return diff, (diff / scale if scale > 0 else diff)


def compare(result: np.ndarray, reference: np.ndarray, reference_kinds: np.ndarray) -> tuple[float, float, int]:
    """``(max abs error, max rel error, positions of another kind)`` of ``result`` against ``reference``."""
    if result.shape != reference.shape:
        return float("inf"), float("inf"), reference.size
    mismatches = int(np.count_nonzero(kinds(result) != reference_kinds))
    with np.errstate(invalid="ignore", over="ignore"):
        return (*max_errors(result, reference), mismatches)


def _insert_nonfinite(rng, array: np.ndarray, counts: dict) -> None:
    """NaN, +inf, -inf and 0 at distinct random places of ``array`` (as many as it has room for)."""
    places = rng.choice(array.size, min(array.size, len(_INSERTED)), replace=False)
    for place, index in zip(places, rng.permutation(len(_INSERTED))):
        name, value = _INSERTED[index]
        array.flat[place] = value
        counts[name] += 1


def check_bytes(layer: Layer, channels: tuple[int, int], groups: int = 1, batch: int = 2, dtype: str = "float64",
                peers: int = 0, nonfinite: bool = False) -> int:
    """Bytes :func:`check_routes` holds at once, at most, from sizes alone (nothing is built).

    A trial holds ``x``, the weight and bias (and their copies with inf and NaN), then either the adjoint
    step (``u``, ``C u``, ``C^T x`` and their float64 copies, plus the convolution's im2col) or the route
    step (the reference, one route's or peer's output at a time, their float64 copies and kind masks,
    plus the largest work of any route).  ``peers`` run one at a time like the routes; each one's own
    work is taken to be the col2im route's, which is always counted, so their number adds nothing.
    """
    c_in, c_out = channels
    item = np.dtype(dtype).itemsize
    x_shape = (batch, c_in, *layer.input_size)
    w_shape = (c_in, c_out // groups, *layer.kernel_size)
    xs, ws, out = prod(x_shape), prod(w_shape), batch * c_out * prod(layer.output_size)
    copies = 2 if nonfinite else 1
    held = copies * (xs + ws) * item + c_out * item + 8 * max(xs, ws, c_out)  # + one draw in float64
    if out * item + held > operands.MAX_BYTES:  # before planning any route for it
        return out * item + held
    routes_first = list(ROUTES)  # the arithmetic estimates first: zero insertion's im2col bounds the others
    routes_first.sort(key=lambda route: route not in ("zero_insertion", "phases"))
    work = 0
    for route in (*routes_first, "col2im"):
        work = max(work, work_bytes(route, layer, x_shape, w_shape, groups, np.dtype(dtype),
                                    nonfinite and route != "fast"))
        if held + 2 * out * item + work > operands.MAX_BYTES:
            return held + 2 * out * item + work
    adjoint = 2 * out * (item + 8) + xs * (item + 16) + max(direct_bytes(layer, (batch, c_out, *layer.output_size),
                                                                         item), work)
    compared = 2 * out * item + 32 * out + work
    return held + max(adjoint, compared)


def check_fits(layer: Layer, channels: tuple[int, int], groups: int = 1, batch: int = 2, dtype: str = "float64",
               peers: int = 0, nonfinite: bool = False) -> None:
    """Refuse, in one sentence, a check that would hold more than ``MAX_BYTES`` (its output alone is
    counted first) or that some route cannot run."""
    c_in, c_out = channels

    def refuse(need: int, what: str) -> None:
        if need > operands.MAX_BYTES:
            raise ParameterError(
                f"checking input_size {format_shape(layer.input_size)} with kernel_size "
                f"{format_shape(layer.kernel_size)}, batch {batch} and channels {c_in}→{c_out} would hold "
                f"{format_bytes(need)} at once ({what}), more than the {format_bytes(operands.MAX_BYTES)} the "
                f"numeric backend allows (tconvcalc.numeric.MAX_BYTES, half the memory); check a smaller "
                f"input_size, batch or channel count")

    refuse(2 * batch * c_out * prod(layer.output_size) * np.dtype(dtype).itemsize, "two outputs at the least")
    for route in ROUTES:
        limit = route_limit(route, layer)
        if limit:
            raise ParameterError(f"{limit}, and the check runs every route; check a layer with a smaller stride or "
                                 f"output")
    refuse(check_bytes(layer, channels, groups, batch, dtype, peers, nonfinite),
           "the inputs, the fast route's output as the reference, one more output and the largest route's work")


def check_routes(layer: Layer, channels: tuple[int, int], groups: int = 1, batch: int = 2, trials: int = 3,
                 dtype: str = "float64", seed: int = 0, peers: dict | None = None, *, nonfinite: bool = False,
                 progress: Callable[[int, int], None] | None = None) -> RouteCheck:
    """Run every route on random inputs and compare with the fast route; ``passed`` says if all agree.

    ``peers`` maps a name to ``f(x, weight, bias) -> array`` run on the same inputs (e.g. PyTorch); a peer
    that raises is left out of the comparison and its error kept in ``peer_errors``.  ``nonfinite``
    also puts NaN, +inf, -inf and 0 into every trial's ``x`` and weight (the module's docstring says
    how they are compared); the adjoint identity is checked on the finite draws.  ``progress(done,
    total)`` is called after each route, peer and adjoint step.  Refused before anything is drawn when
    the check would hold more than ``tconvcalc.numeric.MAX_BYTES`` (:func:`check_bytes`).
    """
    c_in, c_out = channels
    check_groups(groups, c_in, c_out)
    check_at_least("seed", seed, 0)
    trials = check_at_least("trials", trials, 1)
    batch = check_at_least("batch", batch, 1)
    peers = dict(peers or {})
    check_fits(layer, channels, groups, batch, dtype, len(peers), nonfinite)
    tolerance = TOLERANCE[dtype]
    rng = np.random.default_rng(seed)
    names = [r for r in ROUTES if r != "fast"] + list(peers)
    worst = {name: [0.0, 0.0, 0] for name in names}
    peer_errors: dict[str, str] = {}
    adjoint = AdjointCheck(0.0, 0.0, 0.0, True)
    inserted = {"x": dict.fromkeys((n for n, _ in _INSERTED), 0), "weight": dict.fromkeys((n for n, _ in _INSERTED), 0)}
    found = dict.fromkeys(("nan", "posinf", "neginf", "finite"), 0)
    shape: list[int] = []  # the reference's, from the first trial (trials >= 1)
    steps, done = trials * (len(names) + 2), 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, steps)

    for _ in range(trials):
        x = rng.standard_normal((batch, c_in, *layer.input_size)).astype(dtype)
        w = rng.standard_normal((c_in, c_out // groups, *layer.kernel_size)).astype(dtype)
        bias = rng.standard_normal(c_out).astype(dtype)
        # <C u, x> = <u, C^T x>, with C from the convolution engine, not from any transposed route
        ctx = apply(layer, x, w, None, groups, "fast").astype(np.float64)
        u = rng.standard_normal(ctx.shape).astype(dtype)
        cu = apply_adjoint(layer, u, w, groups).astype(np.float64)
        lhs, rhs = float(np.vdot(cu, x.astype(np.float64))), float(np.vdot(u.astype(np.float64), ctx))
        scale = float(np.linalg.norm(cu) * np.linalg.norm(x.astype(np.float64))) or 1.0
        del ctx, u, cu
        rel = abs(lhs - rhs) / scale
        if rel >= adjoint.max_rel_error:
            adjoint = AdjointCheck(lhs, rhs, rel, rel <= tolerance)
        step()
        if nonfinite:
            _insert_nonfinite(rng, x, inserted["x"])
            _insert_nonfinite(rng, w, inserted["weight"])
        reference = apply(layer, x, w, bias, groups, "fast")
        shape = list(reference.shape)
        reference_kinds = kinds(reference)
        for name, kind in (("finite", _FINITE), ("nan", _NAN), ("posinf", _POSINF), ("neginf", _NEGINF)):
            found[name] += int(np.count_nonzero(reference_kinds == kind))
        step()
        for name in names:
            if name in peer_errors:
                step()
                continue
            if name in peers:
                try:
                    y = np.asarray(peers[name](x, w, bias))
                except Exception as error:  # noqa: BLE001 - a peer's refusal is reported, not raised
                    peer_errors[name] = (str(error).strip().splitlines() or [type(error).__name__])[0]
                    step()
                    continue
            else:
                y = apply(layer, x, w, bias, groups, name)
            errors = compare(y, reference, reference_kinds)
            del y
            worst[name] = [max(worst[name][0], errors[0]), max(worst[name][1], errors[1]), worst[name][2] + errors[2]]
            step()
    routes = tuple(RouteErrors(name, worst[name][0], worst[name][1],
                               worst[name][1] <= tolerance and worst[name][2] == 0, int(worst[name][2]))
                   for name in names if name not in peer_errors)
    nonfinite_trials = NonfiniteTrials(inserted, found) if nonfinite else None
    return RouteCheck(dtype, tolerance, trials, batch, seed, (c_in, c_out), groups, tuple(shape), routes, adjoint,
                      all(r.passed for r in routes) and adjoint.passed, nonfinite_trials, peer_errors)
