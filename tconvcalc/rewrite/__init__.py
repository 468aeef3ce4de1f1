"""Rewrites of a transposed convolution into operators every runtime has, with the layer's own weights.

The forms are the ones the notes prove equal (:mod:`tconvcalc.symbolic`): the sub-pixel form, a stride-1
convolution whose output channels are the ``sⁿ`` phases followed by a depth to space and a crop, and the
zero-insertion form, zeros interleaved and a stride-1 convolution with the flipped, transposed kernel.  Every
index comes from the model's phase table (:meth:`tconvcalc.model.spec.Axis.subpixel`); :mod:`.weights` rearranges
NumPy weights once, and :mod:`.pytorch` builds ``nn.Module`` s from them.

>>> import numpy as np
>>> from tconvcalc.model.spec import Layer
>>> kernel, bias = subpixel_weights(np.arange(3.0).reshape(1, 1, 3), Layer.from_pytorch(2, 3, 2), np.ones(1))
>>> kernel[:, 0].tolist(), bias.tolist()   # phase 0: taps 2 and 0; phase 1: tap 1 alone
([[2.0, 0.0], [0.0, 1.0]], [1.0, 1.0])
"""

from __future__ import annotations

from .weights import subpixel_weights, zero_insertion_weights

__all__ = ["subpixel", "subpixel_weights", "zero_insertion", "zero_insertion_weights"]


def subpixel(layer):
    """An ``nn.ConvTranspose{1,2,3}d`` as Conv + depth to space (``PixelShuffle`` where it fits) + crop, with its
    weights: a new module equal to it for every input size (:class:`.pytorch.SubpixelConvTranspose`)."""
    from .pytorch import subpixel_module

    return subpixel_module(layer)


def zero_insertion(layer):
    """An ``nn.ConvTranspose{1,2,3}d`` as zeros interleaved, padded and a stride-1 Conv with the flipped,
    transposed kernel (:class:`.pytorch.ZeroInsertionConvTranspose`)."""
    from .pytorch import zero_insertion_module

    return zero_insertion_module(layer)
