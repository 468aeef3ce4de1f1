"""What ``check`` answers: every numeric route run on random inputs and compared, PyTorch as a peer.

Loaded only when ``check`` runs: NumPy, and PyTorch when installed, are imported here.

>>> report = check_report(5, 3, stride=2, padding=1, output_padding=1, batch=1, trials=1)
>>> report.passed, [row.route for row in report.routes]
(True, ['matrix', 'zero_insertion', 'phases'])
"""

from __future__ import annotations

from ..records import record
from ..spec import Layer, ParameterError, broadcast, channel_counts, check_at_least, check_groups

CheckReport = record(
    "CheckReport", "command ndim input_size kernel_size stride padding output_padding dilation dtype tolerance "
                   "trials batch seed channels groups output_shape adjoint reference routes pytorch shape passed",
    doc="``tconvcalc check``: each route's worst error against the fast route, PyTorch's, the adjoint identity.")
PeerCheck = record("PeerCheck", "available version reason max_abs_error max_rel_error passed",
                   optional="version reason max_abs_error max_rel_error passed",
                   doc="PyTorch on the same inputs: its errors, or why it could not run.")
ShapeCheck = record("ShapeCheck", "routes formula passed", doc="The routes' output shape against the size formula.")


def _torch_peer(ndim: int, stride, padding, output_padding, groups, dilation):
    """PyTorch's conv_transpose{n}d on the same arrays and its version, or None and why it cannot run."""
    try:
        import torch
    except ImportError:
        return None, "PyTorch is not installed"

    def run(x, w, bias):
        conv = getattr(torch.nn.functional, f"conv_transpose{ndim}d")
        with torch.no_grad():
            return conv(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(bias), stride, padding,
                        output_padding, groups, dilation).numpy()

    return run, torch.__version__.split("+")[0]


def check_report(input_size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1, groups=1,
                 channels=None, batch=2, trials=3, dtype="float64", seed=0) -> CheckReport:
    """Run every route of :mod:`tconvcalc.numeric` on ``trials`` random inputs (PyTorch too, if installed).

    ``channels`` is ``(in, out)`` (one value: both; default 2 per group).
    """
    from .. import numeric

    channels = channel_counts(2 * groups if channels is None else channels, 2, "a layer (in, out)")
    check_groups(groups, *channels)
    check_at_least("seed", seed, 0)
    layer = Layer.from_pytorch(input_size, kernel_size, stride, padding, output_padding, dilation)
    if layer.ndim > 3:
        raise ParameterError(f"the layer has {layer.ndim} axes, check runs 1-D, 2-D and 3-D layers like "
                             f"PyTorch's conv_transpose1d/2d/3d; give at most 3 axes")
    parameters = broadcast(layer.ndim, input_size=input_size, kernel_size=kernel_size, stride=stride,
                           padding=padding, output_padding=output_padding, dilation=dilation)[1]
    run, about = _torch_peer(layer.ndim, *(parameters[name] for name in ("stride", "padding", "output_padding")),
                             groups, parameters["dilation"])
    result = numeric.check_routes(layer, channels, groups, batch, trials, dtype, seed, {"pytorch": run} if run else {})
    theirs = next((r for r in result.routes if r.route == "pytorch"), None)
    pytorch = (PeerCheck(True, about, None, *theirs[1:]) if theirs
               else PeerCheck(False, None, about, None, None, None))
    shape = ShapeCheck(result.output_shape, layer.output_size, result.output_shape[2:] == layer.output_size)
    return CheckReport("check", layer.ndim, *parameters.values(), result.dtype, result.tolerance, result.trials,
                       result.batch, result.seed, result.channels, result.groups, result.output_shape,
                       result.adjoint, "fast", tuple(r for r in result.routes if r.route != "pytorch"), pytorch,
                       shape, result.passed and shape.passed)
