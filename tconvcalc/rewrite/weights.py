"""A transposed convolution's weights rearranged for its rewrites (NumPy, PyTorch's layouts).

The transposed layer's weight is ``(C_in, C_out/g, *k)``; a convolution's is ``(C_out', C_in/g, *k')``.
"""

from __future__ import annotations

from math import prod

import numpy as np

from ..model.spec import Layer


def subpixel_weights(weight: np.ndarray, layer: Layer, bias: np.ndarray | None = None,
                     groups: int = 1) -> tuple[np.ndarray, np.ndarray | None]:
    """The sub-pixel form's convolution weight ``(C_out·Πs, C_in/g, *taps)`` and bias ``(C_out·Πs,)``.

    Output channel ``(c, r_1, …, r_n)`` (c slowest: the order of ``PixelShuffle`` and ONNX DepthToSpace's CRD
    mode) is phase ``r`` of output channel ``c``, its sub-kernel the taps :meth:`~tconvcalc.model.spec.Axis.subpixel`
    (:meth:`~tconvcalc.model.spec.Axis.subpixel_kernel`) places, zeros where none sits; each phase gets the channel's
    own bias.  Channels stay group-major, so the convolution keeps the layer's groups.
    """
    plans = [axis.subpixel() for axis in layer.axes]
    ndim = len(plans)
    c_in, per_group = weight.shape[:2]
    # One zero tap appended on every kernel axis: where a phase has no tap, the index points there.
    padded = np.pad(weight, [(0, 0), (0, 0)] + [(0, 1)] * ndim)
    index = []
    for n, axis in enumerate(layer.axes):
        table = np.array([[axis.k if a is None else a for a in row] for row in axis.subpixel_kernel()],
                         dtype=np.intp)
        shape = [1] * (2 * ndim)
        shape[n], shape[ndim + n] = table.shape
        index.append(table.reshape(shape))
    # the index as a typed variable: a starred tuple inline is matched against the wrong overload of numpy's stubs
    gather: tuple[slice | np.ndarray, ...] = (slice(None), slice(None), *index)
    gathered = padded[gather]  # (C_in, C_out/g, *s, *taps)
    strides, taps = layer.field("s"), tuple(plan.taps for plan in plans)
    grouped = gathered.reshape(groups, c_in // groups, per_group, *strides, *taps)
    order = (0, 2, *range(3, 3 + ndim), 1, *range(3 + ndim, 3 + 2 * ndim))  # (g, C_out/g, *s, C_in/g, *taps)
    kernel = np.ascontiguousarray(grouped.transpose(order)).reshape(groups * per_group * prod(strides),
                                                                   c_in // groups, *taps)
    return kernel, None if bias is None else np.repeat(bias, prod(strides))


def zero_insertion_weights(weight: np.ndarray, groups: int = 1) -> np.ndarray:
    """The zero-insertion form's convolution weight ``(C_out, C_in/g, *k)``: each group's kernel transposed in its
    channels and flipped along every spatial axis (correlating with the flipped kernel is the scatter)."""
    c_in, per_group, *k = weight.shape
    grouped = weight.reshape(groups, c_in // groups, per_group, *k).swapaxes(1, 2)
    flipped = np.flip(grouped, axis=tuple(range(3, 3 + len(k))))
    return np.ascontiguousarray(flipped).reshape(groups * per_group, c_in // groups, *k)
