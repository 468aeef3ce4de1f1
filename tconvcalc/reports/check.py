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

from ..errors import TORCH_INSTALL
from ..records import record
from ..spec import Layer, ParameterError, broadcast, channel_counts, check_at_least, check_groups

CheckReport = record(
    "CheckReport", "command ndim input_size kernel_size stride padding output_padding dilation dtype tolerance "
                   "trials batch seed channels groups output_shape adjoint reference routes pytorch shape_check "
                   "nonfinite passed", optional="nonfinite",
    doc="``tconvcalc check``: each route's worst error against the fast route, PyTorch's, the adjoint identity; "
        "with non-finite trials, what they held (``nonfinite``).")
PeerCheck = record("PeerCheck", "available version reason max_abs_error max_rel_error passed nonfinite_mismatches "
                                "dtype", optional="version reason max_abs_error max_rel_error passed "
                                                  "nonfinite_mismatches dtype",
                   doc="PyTorch on the same inputs: its errors and the dtype it ran in, or why it could not run.")
ShapeCheck = record("ShapeCheck", "routes formula passed", doc="The routes' output shape against the size formula.")


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
    run, about = _torch_peer(layer.ndim, *(parameters[name] for name in ("stride", "padding", "output_padding")),
                             groups, parameters["dilation"], widen)
    result = numeric.check_routes(layer, channels, groups, batch, trials, dtype, seed, {"pytorch": run} if run else {},
                                  nonfinite=nonfinite, progress=progress)
    theirs = next((r for r in result.routes if r.route == "pytorch"), None)
    if theirs:
        pytorch = PeerCheck(True, about, None, *theirs[1:], "float64" if widen else dtype)
    elif "pytorch" in result.peer_errors:
        pytorch = PeerCheck(False, about, f"PyTorch {about} cannot run this layer: {result.peer_errors['pytorch']}",
                            None, None, None, None, None)
    else:
        pytorch = PeerCheck(False, None, about, None, None, None, None, None)
    shape = ShapeCheck(result.output_shape, layer.output_size, result.output_shape[2:] == layer.output_size)
    return CheckReport("check", layer.ndim, *parameters.values(), result.dtype, result.tolerance, result.trials,
                       result.batch, result.seed, result.channels, result.groups, result.output_shape,
                       result.adjoint, "fast", tuple(r for r in result.routes if r.route != "pytorch"), pytorch,
                       shape, result.nonfinite, result.passed and shape.passed)
