"""What ``check`` answers: every numeric route run on random inputs and compared, PyTorch as a peer.

Loaded only when ``check`` runs: NumPy, and PyTorch when installed, are imported here.

>>> report = check_report((5,), (3,), (2,), (1,), (1,), (1,), 1, (2, 2), 1, 1, "float64", 0)
>>> report.passed, [row["route"] for row in report.routes]
(True, ['matrix', 'zero_insertion', 'phases'])
"""

from __future__ import annotations

from ..arithmetic import conv_transpose_output_size
from ..records import record
from ..spec import Layer, ParameterError, broadcast

CheckReport = record(
    "CheckReport", "command ndim input_size kernel_size stride padding output_padding dilation dtype tolerance "
                   "trials batch seed channels groups output_shape adjoint reference routes pytorch shape passed",
    doc="``tconvcalc check``: each route's worst error against the fast route, PyTorch's, the adjoint identity.")


def _torch_peer(ndim: int, stride, padding, output_padding, groups, dilation):
    """PyTorch's conv_transpose{n}d on the same arrays, or the reason it cannot run."""
    try:
        import torch
    except ImportError:
        return None, {"available": False, "reason": "PyTorch is not installed"}

    def run(x, w, bias):
        conv = getattr(torch.nn.functional, f"conv_transpose{ndim}d")
        with torch.no_grad():
            return conv(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(bias), stride, padding,
                        output_padding, groups, dilation).numpy()

    return run, {"available": True, "version": torch.__version__.split("+")[0]}


def check_report(input_size, kernel_size, stride, padding, output_padding, dilation, groups, channels, batch,
                 trials, dtype, seed) -> CheckReport:
    """Run every route of :mod:`tconvcalc.numeric` on ``trials`` random inputs (PyTorch too, if installed)."""
    from .. import numeric

    layer = Layer.from_pytorch(input_size, kernel_size, stride, padding, output_padding, dilation)
    if layer.ndim > 3:
        raise ParameterError(f"the layer has {layer.ndim} axes, check runs 1-D, 2-D and 3-D layers like "
                             f"PyTorch's conv_transpose1d/2d/3d; give at most 3 axes")
    layer_parameters = broadcast(layer.ndim, input_size=input_size, kernel_size=kernel_size, stride=stride,
                                 padding=padding, output_padding=output_padding, dilation=dilation)[1].values()
    run, torch_info = _torch_peer(layer.ndim, stride, padding, output_padding, groups, dilation)
    peers = {"pytorch": run} if run else {}
    result = numeric.check_routes(layer, channels, groups, batch, trials, dtype, seed, peers)
    formula = list(conv_transpose_output_size(input_size, kernel_size, stride, padding, output_padding, dilation))
    routes = [r for r in result["routes"] if r["route"] != "pytorch"]
    if run:
        torch_info.update(next(r for r in result["routes"] if r["route"] == "pytorch"))
        del torch_info["route"]
    shape_ok = result["output_shape"][2:] == formula
    return CheckReport("check", layer.ndim, *layer_parameters, *(result[key] for key in CheckReport._fields[8:17]),
                       "fast", routes, torch_info,
                       {"routes": result["output_shape"], "formula": formula, "passed": shape_ok},
                       result["passed"] and shape_ok)
