"""What ``tconvcalc rewrite`` answers: which ConvTranspose nodes became what, what each form costs, the check.

>>> import onnx
>>> from onnx import TensorProto, helper, numpy_helper
>>> import numpy as np
>>> node = helper.make_node("ConvTranspose", ["x", "w"], ["y"], name="up", strides=[2, 2], pads=[1, 1, 1, 1])
>>> graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 8, 8])],
...                           [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 16, 16])],
...                           [numpy_helper.from_array(np.ones((4, 2, 4, 4), np.float32), "w")])
>>> model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
>>> report, written = rewrite_report(model, "model.onnx", "subpixel")
>>> [(layer.node, layer.ops) for layer in report.layers], report.check.passed
([('up', ('Conv', 'DepthToSpace', 'Slice'))], True)
"""

from __future__ import annotations

from ..records import record

RewriteReport = record("RewriteReport", "command model output form layers check",
                       optional="check",
                       doc="``tconvcalc rewrite``: every ConvTranspose node rewritten (``layers``), the check against "
                           "the original (None with no check), and the file written (None when nothing was).")


def rewrite_report(model, source: str, form: str, output: str | None = None, only=None, max_block=None,
                   check: bool = True, seed: int = 0):
    """The report and the rewritten model (None when the model has no ConvTranspose to rewrite)."""
    from ..rewrite.onnx import check_inputs, check_rewrite, rewrite_model

    shapes = {name: list(value.shape) for name, value in check_inputs(model, seed).items()}
    new, layers = rewrite_model(model, form, only, max_block, shapes)
    if not layers:
        return RewriteReport("rewrite", source, None, form, (), None), None
    result = check_rewrite(model, new, seed) if check else None
    return RewriteReport("rewrite", source, output, form, tuple(layers), result), new
