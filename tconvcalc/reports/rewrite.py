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

from typing import TYPE_CHECKING, NamedTuple

from ..records import json_keys

if TYPE_CHECKING:
    from ..rewrite.checking import Check
    from ..rewrite.onnx import Rewritten


@json_keys(optional="check")
class RewriteReport(NamedTuple):
    """``tconvcalc rewrite``: every ConvTranspose node rewritten (``layers``), the check against the original (None
    with no check), and the file written (None when nothing was)."""

    command: str
    model: str
    output: str | None
    form: str
    layers: tuple[Rewritten, ...]
    check: Check | None


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


@json_keys(optional="check")
class TorchRewriteReport(NamedTuple):
    """``tconvcalc rewrite`` of PyTorch code (``file.py:Factory``): the weights loaded (None: the factory's own, torch
    seeded), the state dict written (None when none), every transposed layer rewritten by module path, the check in
    PyTorch (None with no check) and the Python code that rebuilds the rewritten model (None when nothing was
    rewritten)."""

    command: str
    model: str
    weights: str | None
    output: str | None
    form: str
    emit: str
    layers: tuple[Rewritten, ...]
    check: Check | None
    code: str | None


def torch_rewrite_report(spec: str, form: str, kwargs: dict | None = None, weights: str | None = None,
                         output: str | None = None, only=None, sizes=None, check: bool = True, seed: int = 0):
    """The report and the rewritten model's state dict (tensors by name; None when the model has no transposed
    layer to rewrite)."""
    from ..network.readers.torch import build_torch
    from ..network.readers.torch_weights import load_weights
    from ..rewrite.torch_model import check_modules, layer_reports, module_code, rewrite_modules, torch

    with torch.random.fork_rng(devices=[]):  # the factory's initial weights are the same on every run
        torch.manual_seed(seed)
        model = build_torch(spec, kwargs)
    if weights is not None:
        load_weights(model, weights, spec)
    new, entries = rewrite_modules(model, form, only)
    if not entries:
        return TorchRewriteReport("rewrite", spec, weights, None, form, "pytorch", (), None, None), None
    result, seen = None, {}
    if check:
        channels, sizes = _check_input(model, spec, sizes)
        result, seen = check_modules(model, new, channels, sizes, entries, seed)
    factory = spec.rpartition(":")[2]
    call = f"{factory}({', '.join(f'{key}={value!r}' for key, value in (kwargs or {}).items())})"
    code = module_code(model, entries, form, spec, call, output)
    state = {name: tensor.detach().clone().contiguous() for name, tensor in new.state_dict().items()}
    report = TorchRewriteReport("rewrite", spec, weights, output, form, "pytorch",
                                tuple(layer_reports(entries, form, seen)), result, code)
    return report, state


def _check_input(model, spec: str, sizes) -> tuple:
    """The input channels and spatial sizes the check draws: channels from the network's first layer, sizes from
    ``sizes`` (one value: every axis) or else from the network's domain (:func:`~..rewrite.checking.
    network_check_sizes`)."""
    from ..errors import ParameterError
    from ..network.readers.torch import from_torch
    from ..rewrite.checking import network_check_sizes

    try:
        network = from_torch(model, source=spec)
    except ParameterError as error:
        raise ParameterError(f"the check draws an input of the network's channels and sizes, and tconvcalc cannot "
                             f"read them ({str(error).rstrip('.')}); skip the check") from None
    if network.channels is None:
        raise ParameterError(f"{spec}: the check draws an input of the network's channels, and its first layer "
                             f"does not say them; skip the check")
    if sizes is None:
        try:
            return network.channels, network_check_sizes(network)
        except ParameterError as error:
            raise ParameterError(f"the check draws an input size the network accepts, and its domain cannot be "
                                 f"derived ({str(error).rstrip('.')}); give the input size") from None
    if len(sizes) == 1:
        sizes = sizes * network.ndim
    if len(sizes) != network.ndim:
        raise ParameterError(f"the input size has {len(sizes)} values and {spec} has {network.ndim} spatial axes; "
                             f"give one value per axis, or one for all")
    return network.channels, tuple(sizes)
