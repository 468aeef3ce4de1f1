"""The gallery: conv_arithmetic's fifteen animations with its names and parameters, and the ones it lacks.

conv_arithmetic (Dumoulin & Visin) describes each figure by a forward convolution: input ``n``, kernel
``k``, stride ``s``, padding ``p``, dilation ``d`` (its ``bin/generate_makefile``).  Its transposed
figure is that convolution's transpose, :meth:`Axis.from_conv`, drawn as the direct view (the kernel
over the zero-inserted, padded input); its forward figure is the same layer's C read row by row (the
``conv`` view).  So all of them come from the same triples.  ``padding_strides_odd_transposed`` is the
one whose extra padding conv_arithmetic first drew on the wrong side (fixed by hand in its commit
8195a4f): here the side follows from the crop, ``(b, e) = (1, 0)``, padding ``(1, 2)`` after zero insertion.

>>> [figure.name for figure in GALLERY][:3]
['no_padding_no_strides', 'no_padding_no_strides_transposed', 'arbitrary_padding_no_strides']
>>> figure = by_name("padding_strides_odd_transposed")
>>> figure.layer.axes[0], figure.layer.axes[0].zero_insertion_pads
(Axis(i=3, k=3, s=2, d=1, b=1, e=0), (1, 2))
"""

from __future__ import annotations

from collections import namedtuple

from ..errors import ParameterError
from ..model.spec import Axis, Layer

GalleryFigure = namedtuple("GalleryFigure", "name title view layer paddings")

# conv_arithmetic's parameter sets: (name, title, n, k, s, p, d) of the forward convolution, square.
CONV_ARITHMETIC = (
    ("no_padding_no_strides", "No padding, no strides", 4, 3, 1, 0, 1),
    ("arbitrary_padding_no_strides", "Arbitrary padding, no strides", 5, 4, 1, 2, 1),
    ("same_padding_no_strides", "Half padding, no strides", 5, 3, 1, 1, 1),
    ("full_padding_no_strides", "Full padding, no strides", 5, 3, 1, 2, 1),
    ("no_padding_strides", "No padding, strides", 5, 3, 2, 0, 1),
    ("padding_strides", "Padding, strides", 5, 3, 2, 1, 1),
    ("padding_strides_odd", "Padding, strides (odd)", 6, 3, 2, 1, 1),
    ("dilation", "No padding, no strides, dilation", 7, 3, 1, 0, 2),
)


def _conv_arithmetic():
    for name, title, n, k, s, p, d in CONV_ARITHMETIC:
        layer = Layer((Axis.from_conv(n, k, s, p, d),) * 2)
        yield GalleryFigure(name, title, "conv", layer, ((p, p),) * 2)
        if name != "dilation":  # conv_arithmetic has no transposed dilation figure: it is among ours below
            yield GalleryFigure(f"{name}_transposed", f"{title}, transposed", "direct", layer, None)


# What conv_arithmetic lacks, in PyTorch's parameters (i, k, s, p, op, d), per axis where they differ.
OURS = (
    ("dilation_transposed", "No padding, no strides, dilation, transposed", "direct", (3, 3, 1, 0, 0, 2)),
    ("output_padding_transposed", "Padding, strides, output_padding: the scatter and its crop", "scatter",
     (3, 3, 2, 1, 1, 1)),
    ("output_padding_appended", "output_padding > padding: a zero appended to the scatter", "scatter",
     (2, 3, 2, 0, 1, 1)),
    ("asymmetric_transposed", "Per-axis parameters: k 3×2, stride 2×1, padding 1×0", "scatter",
     ((2, 3), (3, 2), (2, 1), (1, 0), (1, 0), 1)),
    ("checkerboard_phases", "The sub-pixel phases of k 3, stride 2: 1 and 2 taps", "phases", (3, 3, 2, 1, 1, 1)),
    ("seed_upsampling", "2×2 input, 2×2 kernel, stride 2: 4×4, no overlap", "scatter", (2, 2, 2, 0, 0, 1)),
)


def _ours():
    for name, title, view, (i, k, s, p, op, d) in OURS:
        yield GalleryFigure(name, title, view, Layer.from_pytorch(i, k, s, p, op, d, ndim=2), None)


GALLERY = (*_conv_arithmetic(), *_ours())


def by_name(name: str) -> GalleryFigure:
    for figure in GALLERY:
        if figure.name == name:
            return figure
    raise ParameterError(f"{name!r} is not in the gallery, its figures are named {', '.join(f.name for f in GALLERY)}; "
                         f"pick one of those")
