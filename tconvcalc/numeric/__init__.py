"""NumPy backend: execute a transposed convolution four ways and compare them.

Layouts are PyTorch's: ``x`` is ``(N, C_in, *spatial)``, the transposed convolution's weight
``(C_in, C_out/groups, *k)``, the convolution's weight ``(C_out, C_in/groups, *k)``, and ``x``,
``weight`` and ``bias`` share one dtype.  :func:`conv_transpose` and :func:`conv` are
``torch.nn.functional.conv_transpose{1,2,3}d`` and ``conv{1,2,3}d``; :func:`apply` runs any
:class:`~tconvcalc.model.spec.Layer` (the canonical per-axis crop model), so any framework's layer runs.
The seed example: stride 2 puts every sample at the top-left of its 2x2 block.

>>> import numpy as np
>>> x = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2)  # (N, C_in, H, W)
>>> w = np.array([[1.0, 0.0], [0.0, 0.0]]).reshape(1, 1, 2, 2)  # (C_in, C_out, kH, kW)
>>> y = conv_transpose(x, w, stride=2)
>>> y[0, 0]
array([[1., 0., 2., 0.],
       [0., 0., 0., 0.],
       [3., 0., 4., 0.],
       [0., 0., 0., 0.]])
>>> [r for r in ROUTES if np.array_equal(conv_transpose(x, w, stride=2, route=r), y)]
['fast', 'matrix', 'zero_insertion', 'phases']

The routes (``route=``), all giving the same numbers:

* ``fast``  - GEMMs over all taps: along each axis either the sub-pixel phases read a shared
  window of the input (an im2col copy) or every tap's slab is added into the output (col2im),
  whichever a cost model finds cheaper (:mod:`.gemm_plan` plans, :mod:`.gemm` executes); with an
  inf or NaN in ``x`` or ``weight`` always the latter, so they land exactly where PyTorch puts them;
* ``matrix`` - ``y = C^T x`` from the ``(row, column, tap)`` triples of :mod:`tconvcalc.model.structure`;
* ``zero_insertion`` - insert ``s-1`` zeros, pad, correlate with the flipped kernel;
* ``phases`` - the sub-pixel decomposition into ``s**n`` stride-1 convolutions (:mod:`.routes`).

inf and NaN land where PyTorch (float64) puts them on every route: it multiplies only real (input, tap)
pairs, and so do col2im and the matrix; zero insertion and the phases, which multiply inserted zeros
and padding too, run through :func:`.routes.real_pairs`.  Complex operands give ``nan + nan*j`` wherever
a non-finite value reaches, as PyTorch's complex kernels do.

Every call is sized before anything is built: the output's bytes first, then the route's work
(:func:`.run.work_bytes`), both from the layer's arithmetic, so a stride, dilation or crop of 10**12
costs what its arrays cost, and a request beyond ``MAX_BYTES`` is refused in one sentence.
:func:`check_routes` runs every route on random inputs (:mod:`.check`).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Sequence

import numpy as np

from ..model.spec import Axis, IntOrTuple, Layer, ParameterError, broadcast
from . import operands
from .operands import check_bias, check_direct_channels, check_memory, check_operands, finish
from .routes import direct, direct_bytes, matrix_indices
from .run import ROUTES, apply, apply_adjoint

__all__ = ["ROUTES", "MAX_BYTES", "TOLERANCE", "apply", "apply_adjoint", "check_bytes", "check_fits", "check_routes",
           "conv", "conv_transpose", "matrix_indices", "max_errors", "release_buffers"]



class _Numeric(types.ModuleType):
    """This package, whose ``MAX_BYTES`` is :data:`operands.MAX_BYTES` itself: the largest allocation
    (output plus work buffers, bytes) a call may request, half the memory by default; assigning
    ``tconvcalc.numeric.MAX_BYTES`` raises or lowers the limit every check reads."""

    @property
    def MAX_BYTES(self) -> int:  # noqa: N802 - a module constant's name
        return operands.MAX_BYTES

    @MAX_BYTES.setter
    def MAX_BYTES(self, value: int) -> None:  # noqa: N802
        operands.MAX_BYTES = value


sys.modules[__name__].__class__ = _Numeric

# The cross-check and the buffer release load on first use: derive gradient runs two routes and needs neither.
_LAZY = {"TOLERANCE": "check", "check_bytes": "check", "check_fits": "check", "check_routes": "check",
         "max_errors": "check", "release_buffers": "gemm"}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def conv_transpose(x, weight, bias=None, stride: IntOrTuple = 1, padding: IntOrTuple = 0,
                   output_padding: IntOrTuple = 0, groups: int = 1, dilation: IntOrTuple = 1, *,
                   crop: Sequence[tuple[int, int]] | None = None, route: str = "fast") -> np.ndarray:
    """``torch.nn.functional.conv_transpose{1,2,3}d``, the dimension chosen by ``x.ndim``.

    ``x`` is ``(N, C_in, *spatial)``, ``weight`` ``(C_in, C_out/groups, *k)``, ``bias`` ``(C_out,)``.
    ``crop=((b, e), ...)`` gives the canonical asymmetric crop per axis instead of
    ``padding``/``output_padding`` (negative values append zeros), so any framework's layer runs.
    ``route`` is one of :data:`ROUTES`; all give the same numbers.
    """
    x, weight, _, _, _ = check_operands(x, weight, bias, "conv_transpose")
    spatial, kernel = tuple(x.shape[2:]), tuple(weight.shape[2:])
    if crop is None:
        layer = Layer.from_pytorch(spatial, kernel, stride, padding, output_padding, dilation, ndim=len(spatial))
    else:
        _, pads = broadcast(len(spatial), padding=padding, output_padding=output_padding)
        if any(pads["padding"]) or any(pads["output_padding"]):
            raise ParameterError("crop and padding/output_padding both set the crop, only one may; give crop "
                                 "alone (PyTorch's padding p, output_padding op is crop (p, p - op))")
        layer = _crop_layer(spatial, kernel, stride, dilation, crop)
    return apply(layer, x, weight, bias, groups, route)


def _crop_layer(spatial, kernel, stride, dilation, crop) -> Layer:
    pairs = list(crop)
    if any(not isinstance(c, (list, tuple)) or len(c) != 2 for c in pairs):
        raise ParameterError(f"crop={crop!r} is not a list of (begin, end) pairs, the crop has two ends per "
                             f"axis; write e.g. crop=((1, 0), (1, 0))")
    _, v = broadcast(len(spatial), input_size=tuple(spatial), kernel_size=tuple(kernel), stride=stride,
                     dilation=dilation, crop_begin=tuple(c[0] for c in pairs), crop_end=tuple(c[1] for c in pairs))
    return Layer(tuple(Axis(*args) for args in zip(v["input_size"], v["kernel_size"], v["stride"], v["dilation"],
                                                    v["crop_begin"], v["crop_end"])))


def conv(x, weight, bias=None, stride: IntOrTuple = 1, padding: IntOrTuple | str = 0, dilation: IntOrTuple = 1,
         groups: int = 1) -> np.ndarray:
    """``torch.nn.functional.conv{1,2,3}d``: ``x`` ``(N, C_in, *spatial)``, ``weight`` ``(C_out, C_in/groups, *k)``.

    ``padding`` is an int or one per axis, or PyTorch's ``"valid"`` (none) or ``"same"`` (stride 1
    only: ``d*(k-1)`` zeros per axis, the odd one at the end).
    """
    x, weight, bias, dtype, work = check_operands(x, weight, bias, "conv")
    spatial, kernel = tuple(x.shape[2:]), tuple(weight.shape[2:])
    _, v = broadcast(len(spatial), input_size=spatial, kernel_size=kernel, stride=stride, dilation=dilation)
    paddings = _conv_paddings(padding, v["kernel_size"], v["stride"], v["dilation"])
    # The convolution is the adjoint of a transposed one; Axis.from_conv validates with the shared messages.
    layer = Layer(tuple(Axis.from_conv(*args) for args in zip(v["input_size"], v["kernel_size"], v["stride"],
                                                              paddings, v["dilation"])))
    c_out = weight.shape[0]
    groups = check_direct_channels("x", x, weight, groups, "conv's weight is (C_out, C_in/groups, *k)")
    check_bias(bias, c_out)
    out_shape = (x.shape[0], c_out, *layer.input_size)
    check_memory("output", out_shape, work)  # the result alone first, then with the im2col copy
    check_memory("output", out_shape, work, direct_bytes(layer, x.shape, work.itemsize))
    if x.shape[0] == 0:
        return finish(np.zeros(out_shape, work), bias, dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        y = direct(layer, x.astype(work, copy=False), weight.astype(work, copy=False), groups)
    return finish(y, bias, dtype)


def _conv_paddings(padding, kernel, strides, dilations) -> tuple:
    """Per axis PyTorch's symmetric padding, or for ``"same"`` the ``(before, after)`` pair."""
    if not isinstance(padding, str):
        return broadcast(len(kernel), padding=padding)[1]["padding"]
    if padding == "valid":
        return (0,) * len(kernel)
    if padding != "same":
        raise ParameterError(f"padding={padding!r} is not a padding, the padding names are 'same' and 'valid' "
                             f"(lower-case, as in PyTorch); give padding='same', 'valid' or ints")
    if any(s != 1 for s in strides):
        raise ParameterError(f"padding='same' with stride={strides} cannot keep the size, 'same' needs stride 1 on "
                             f"every axis (as in PyTorch); use stride=1 or give the padding as ints")
    # The dilated kernel's reach d*(k-1) in all; PyTorch puts the odd zero at the end.
    totals = [Axis(1, k, 1, d).reach for k, d in zip(kernel, dilations)]
    return tuple((total // 2, total - total // 2) for total in totals)
