"""What ``check`` answers: every numeric route run on random inputs and compared, PyTorch as a peer.

Loaded only when ``check`` runs: NumPy, and PyTorch when installed, are imported here - PyTorch only
once the check is known to fit in memory, so a refusal costs no PyTorch import.

>>> report = check_report(5, 3, stride=2, padding=1, output_padding=1, batch=1, trials=1)
>>> report.passed, [row.route for row in report.routes]
(True, ['matrix', 'zero_insertion', 'phases'])
>>> report = check_report(5, 3, stride=2, batch=1, trials=1, nonfinite=True)
>>> report.passed, sorted(report.nonfinite.inserted["x"])
(True, ['nan', 'neginf', 'posinf', 'zero'])
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, NamedTuple

from ..errors import TORCH_INSTALL
from ..records import json_keys
from ..model.spec import Layer, ParameterError, broadcast, channel_counts, check_at_least, check_groups

if TYPE_CHECKING:
    from ..numeric.check import AdjointCheck, NonfiniteTrials, RouteErrors


@json_keys(optional="nonfinite")
class CheckReport(NamedTuple):
    """``tconvcalc check``: each route's worst error against the fast route, PyTorch's, the adjoint identity; with
    non-finite trials, what they held (``nonfinite``)."""

    command: str
    ndim: int
    input_size: tuple[int, ...]
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    output_padding: tuple[int, ...]
    dilation: tuple[int, ...]
    dtype: str
    tolerance: float
    trials: int
    batch: int
    seed: int
    channels: tuple[int, ...]
    groups: int
    output_shape: tuple[int, ...]
    adjoint: AdjointCheck
    reference: str
    routes: tuple[RouteErrors, ...]
    pytorch: PeerCheck
    shape_check: ShapeCheck
    nonfinite: NonfiniteTrials | None
    passed: bool


@json_keys(optional="version reason max_abs_error max_rel_error passed nonfinite_mismatches dtype")
class PeerCheck(NamedTuple):
    """PyTorch on the same inputs: its errors and the dtype it ran in, or why it could not run."""

    available: bool
    version: str | None
    reason: str | None
    max_abs_error: float | None
    max_rel_error: float | None
    passed: bool | None
    nonfinite_mismatches: int | None
    dtype: str | None


class ShapeCheck(NamedTuple):
    """The routes' output shape against the size formula."""

    routes: tuple[int, ...]
    formula: tuple[int, ...]
    passed: bool


def _torch_peer(ndim: int, stride, padding, output_padding, groups, dilation, widen: bool = False):
    """PyTorch's conv_transpose{n}d on the same arrays and its version, or None and why it cannot run.

    ``widen`` runs it in float64 and rounds the result back: PyTorch's float32 CPU kernel (oneDNN)
    multiplies the padding by a non-finite weight and puts NaN where no (input, tap) pair reaches,
    while its float64 kernel multiplies only real pairs, as the routes do.
    """
    try:
        import torch
    except ImportError:
        return None, f"PyTorch is not installed; to compare with it: {TORCH_INSTALL}"

    def run(x, w, bias):
        conv = getattr(torch.nn.functional, f"conv_transpose{ndim}d")
        arrays = [a.astype("float64") if widen else a for a in (x, w, bias)]
        with torch.no_grad():
            y = conv(*map(torch.from_numpy, arrays), stride, padding, output_padding, groups, dilation).numpy()
        return y.astype(x.dtype, copy=False)

    return run, torch.__version__.split("+")[0]


#: Random inputs one check runs at most: every trial runs every route, and a disagreement shows in the first few.
MAX_TRIALS = 1000


def check_report(input_size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1, groups=1,
                 channels=None, batch=2, trials=3, dtype="float64", seed=0, nonfinite=False,
                 progress=None) -> CheckReport:
    """Run every route of :mod:`tconvcalc.numeric` on ``trials`` random inputs (PyTorch too, if installed).

    ``channels`` is ``(in, out)`` (one value: both; default 2 per group).  The reference is the ``fast``
    route; every other route and PyTorch are compared with it.  ``nonfinite`` also puts NaN, +inf, -inf
    and 0 at random places of ``x`` and the weight in every trial: a route then passes when its NaN and
    infinities sit exactly where the reference's do (the fast route multiplies only real (input, tap)
    pairs then, as PyTorch does in float64; with ``dtype="float32"`` PyTorch runs in float64 then, since
    its float32 kernel multiplies the padding too) and its finite values agree.  ``progress(done, total)``
    follows the check.
    A check larger than ``tconvcalc.numeric.MAX_BYTES`` is refused before anything is drawn.
    """
    from .. import numeric

    channels = channel_counts(2 * groups if channels is None else channels, 2, "a layer (in, out)")
    check_groups(groups, *channels)
    check_at_least("seed", seed, 0)
    if check_at_least("trials", trials, 1) > MAX_TRIALS:
        raise ParameterError(f"trials={trials} is more than the {MAX_TRIALS} random inputs check runs (each runs "
                             f"every route); give {MAX_TRIALS} trials or fewer")
    check_at_least("batch", batch, 1)
    layer = Layer.from_pytorch(input_size, kernel_size, stride, padding, output_padding, dilation)
    if layer.ndim > 3:
        raise ParameterError(f"the layer has {layer.ndim} axes, check runs 1-D, 2-D and 3-D layers like "
                             f"PyTorch's conv_transpose1d/2d/3d; give at most 3 axes")
    parameters = broadcast(layer.ndim, input_size=input_size, kernel_size=kernel_size, stride=stride,
                           padding=padding, output_padding=output_padding, dilation=dilation)[1]
    # Sized (and refused) before PyTorch is imported: counting its output needs only to know it is there.
    peer_count = int(importlib.util.find_spec("torch") is not None)
    numeric.check_fits(layer, channels, groups, batch, dtype, peer_count, nonfinite)
    widen = nonfinite and dtype == "float32"
    run, about = _torch_peer(layer.ndim, parameters["stride"], parameters["padding"], parameters["output_padding"],
                             groups, parameters["dilation"], widen)
    result = numeric.check_routes(layer, channels, groups, batch, trials, dtype, seed, {"pytorch": run} if run else {},
                                  nonfinite=nonfinite, progress=progress)
    theirs = next((r for r in result.routes if r.route == "pytorch"), None)
    if theirs:
        pytorch = PeerCheck(True, about, None, theirs.max_abs_error, theirs.max_rel_error, theirs.passed,
                            theirs.nonfinite_mismatches, "float64" if widen else dtype)
    elif "pytorch" in result.peer_errors:
        pytorch = PeerCheck(False, about, f"PyTorch {about} cannot run this layer: {result.peer_errors['pytorch']}",
                            None, None, None, None, None)
    else:
        pytorch = PeerCheck(False, None, about, None, None, None, None, None)
    shape = ShapeCheck(result.output_shape, layer.output_size, result.output_shape[2:] == layer.output_size)
    return CheckReport("check", layer.ndim, parameters["input_size"], parameters["kernel_size"], parameters["stride"],
                       parameters["padding"], parameters["output_padding"], parameters["dilation"], result.dtype,
                       result.tolerance, result.trials, result.batch, result.seed, result.channels, result.groups,
                       result.output_shape,
                       result.adjoint, "fast", tuple(r for r in result.routes if r.route != "pytorch"), pytorch,
                       shape, result.nonfinite, result.passed and shape.passed)


# --- check --gradient: the derived gradients against C's triples and autograd ------------------------------------

class GradientRow(NamedTuple):
    """One gradient by the derived route against a reference: C's triples, or autograd."""

    gradient: str
    route: str
    reference: str
    max_abs_error: float
    max_rel_error: float
    passed: bool


class GradientCheckReport(NamedTuple):
    """The gradient check: the convolution's and the transposed convolution's gradients by the derived routes, against
    C's triples and (where PyTorch is installed) autograd in float64."""

    command: str
    ndim: int
    input_size: tuple[int, ...]
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    dilation: tuple[int, ...]
    output_padding: tuple[int, ...]
    channels: tuple[int, ...]
    groups: int
    batch: int
    trials: int
    seed: int
    dtype: str
    tolerance: float
    rows: tuple[GradientRow, ...]
    autograd: Autograd
    passed: bool


@json_keys(optional="version reason")
class Autograd(NamedTuple):
    """Whether PyTorch's autograd ran, its version, or why not."""

    available: bool
    version: str | None
    reason: str | None


def _autograd(ndim: int, stride, padding, dilation, output_padding, groups):
    """``f(x, g, w, u, G) -> the four gradients`` by torch.autograd (float64), and its version; or None and why."""
    try:
        import torch
    except ImportError:
        return None, f"PyTorch is not installed, so autograd was not available; to compare with it: {TORCH_INSTALL}"
    functional = torch.nn.functional
    conv, tconv = getattr(functional, f"conv{ndim}d"), getattr(functional, f"conv_transpose{ndim}d")

    def run(x, g, w, u, big_g):
        x, w1, u, w2 = (torch.from_numpy(a.copy()).requires_grad_() for a in (x, w, u, w))
        conv(x, w1, None, stride, padding, dilation, groups).backward(torch.from_numpy(g))
        tconv(u, w2, None, stride, padding, output_padding, groups, dilation).backward(torch.from_numpy(big_g))
        return {"input": x.grad.numpy(), "weight": w1.grad.numpy(), "transposed_input": u.grad.numpy(),
                "transposed_weight": w2.grad.numpy()}

    return run, torch.__version__.split("+")[0]


def gradient_check_report(input_size, kernel_size, stride=1, padding=0, dilation=1, groups=1, channels=None,
                          batch=2, trials=3, seed=0) -> GradientCheckReport:
    """The four gradients of the convolution of ``input_size`` (and of its transpose with the derived
    output_padding) on ``trials`` random float64 draws: the derived routes against C's triples, and against
    torch.autograd where PyTorch is installed.  ``channels`` is the convolution's ``(in, out)``."""
    import numpy as np

    from ..numeric import TOLERANCE, max_errors
    from ..numeric import gradient as ng
    from ..model.arithmetic import conv_layer, conv_of

    channels = channel_counts(2 * groups if channels is None else channels, 2, "a convolution (in, out)")
    c_in, c_out = channels
    check_groups(groups, c_in, c_out)
    check_at_least("seed", seed, 0)
    check_at_least("batch", batch, 1)
    if check_at_least("trials", trials, 1) > MAX_TRIALS:
        raise ParameterError(f"trials={trials} is more than the {MAX_TRIALS} random inputs check runs; give "
                             f"{MAX_TRIALS} trials or fewer")
    layer = conv_layer(input_size, kernel_size, stride, padding, dilation)
    if layer.ndim > 3:
        raise ParameterError(f"the convolution has {layer.ndim} axes, the gradient check runs 1-D, 2-D and 3-D "
                             f"convolutions like PyTorch's conv1d/2d/3d; give at most 3 axes")
    # Sized like the routes' check, for the transposed layer of the gradient (its input is the gradient g).
    numeric_check_fits(layer, (c_out, c_in), groups, batch)
    ops = [conv["output_padding"] for conv in conv_of(layer)]
    v = {"stride": layer.field("s"), "padding": tuple(a.b for a in layer.axes), "dilation": layer.field("d")}
    run, about = _autograd(layer.ndim, v["stride"], v["padding"], v["dilation"], tuple(ops), groups)
    tolerance = TOLERANCE["float64"]
    rng = np.random.default_rng(seed)
    worst: dict[tuple[str, str], list[float]] = {}
    for _ in range(trials):
        x = rng.standard_normal((batch, c_in, *layer.output_size))
        g = rng.standard_normal((batch, c_out, *layer.input_size))
        w = rng.standard_normal((c_out, c_in // groups, *layer.kernel_size))
        u = rng.standard_normal((batch, c_out, *layer.input_size))
        big_g = rng.standard_normal((batch, c_in, *layer.output_size))
        ours = ng.routes(layer, ops, x, g, w, u, big_g, groups)
        references = {"triples": ng.triple_gradients(layer, x, g, w, u, big_g, groups)}
        if run is not None:
            references["autograd"] = run(x, g, w, u, big_g)
        for name, reference in references.items():
            for gradient in ng.GRADIENTS:
                errors = (max_errors(ours[gradient], reference[gradient]) if ours[gradient].shape ==
                          reference[gradient].shape else (float("inf"), float("inf")))
                old = worst.setdefault((gradient, name), [0.0, 0.0])
                worst[(gradient, name)] = [max(old[0], errors[0]), max(old[1], errors[1])]
    rows = tuple(GradientRow(gradient, _ROUTE[gradient], name, abs_error, rel_error, rel_error <= tolerance)
                 for (gradient, name), (abs_error, rel_error) in worst.items())
    autograd = Autograd(True, about, None) if run is not None else Autograd(False, None, about)
    return GradientCheckReport("check gradient", layer.ndim, layer.output_size, layer.kernel_size, v["stride"],
                               v["padding"], v["dilation"], tuple(ops), channels, groups, batch, trials, seed,
                               "float64", tolerance, rows, autograd, all(row.passed for row in rows))


# Each gradient's derived route, as the report names it.
_ROUTE = {"input": "conv_transpose(g, output_padding)", "weight": "correlation(x, g)",
          "transposed_input": "conv(G)", "transposed_weight": "correlation(G, u)"}


def numeric_check_fits(layer: Layer, channels, groups: int, batch: int) -> None:
    """Refuse a gradient check larger than the routes' check of the same transposed layer would be."""
    from .. import numeric

    numeric.check_fits(layer, channels, groups, batch, "float64", 1, False)
