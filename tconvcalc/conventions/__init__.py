"""Framework spellings of the canonical crop model, both ways, and the code that writes them.

Every framework's transposed convolution is, per axis, the full scatter
``F = (i-1)*s + d*(k-1) + 1`` cropped by ``(b, e)`` (negative: zeros added):

* **pytorch** ``padding p``, ``output_padding op``: ``(p, p - op)``; ``forward(output_size=n)``
  solves ``op = n - (F - 2p)`` within ``[0, s)``.
* **tensorflow** ``tf.nn.conv{1,2,3}d_transpose`` is the gradient of the convolution of a
  length-``n`` (``output_shape``) signal: ``VALID`` crops ``(0, F - n)``; ``SAME`` pads that
  convolution by ``t = max((ceil(n/s)-1)*s + d*(k-1) + 1 - n, 0)``, ``t//2`` before and the
  rest (the odd one) after, so the crop is ``(t//2, F - t//2 - n)``.  TF checks that the
  convolution of ``n`` gives ``i``.
* **keras** ``Conv{1,2,3}DTranspose`` computes ``n`` (Keras 3 ``compute_conv_transpose_output_length``:
  ``valid``: ``(i-1)s + K + op`` with ``op = max(K, s) - K`` when None; ``same``: ``i*s`` when
  None, else ``(i-1)s + K % 2 + op``; ``K = d(k-1)+1``) and hands it to TensorFlow's rule.
* **onnx** ``ConvTranspose`` as its reference implementation runs it: explicit ``pads``
  ``(b, e + op) = (pads_begin, pads_end)``; ``SAME_UPPER``/``SAME_LOWER`` split the total
  ``t = F + op - n`` (``n = output_shape`` or ``i*s``) with floor division, ``t//2`` before
  for UPPER and ``t - t//2`` before for LOWER (so a negative odd total puts the extra zero
  *before* for UPPER); ``output_shape`` with ``NOTSET``/``VALID`` keeps ``b = 0`` and cuts
  or extends the end.
* **jax** ``jax.lax.conv_transpose`` pads the stride-dilated input by ``(lo, hi)`` in the
  equivalent direct convolution's frame: ``(b, e) = (K-1-lo, K-1-hi)``; ``SAME``/``VALID`` are
  its ``_conv_transpose_padding`` with the dilated kernel ``K``.  ``transpose_kernel=True``
  flips the kernel and swaps its I/O axes; without it the kernel is used as a correlation.

>>> read = read_framework("tensorflow", 4, 3, strides=2, padding="SAME", output_shape=8)
>>> read.layer.crop
((0, 1),)
>>> translation = to_framework(read.layer, "pytorch")
>>> translation.post_crop
((0, 1),)
>>> print("\\n".join(translation_code(translation)))
layer = nn.ConvTranspose1d(in_ch, out_ch, kernel_size=3, stride=2, padding=0, output_padding=0)
y = layer(x)
y = y[..., 0:-1]

The modules, each importing only those above it (and the standard library, :mod:`tconvcalc.model.spec`
and :mod:`tconvcalc.model.arithmetic`; NumPy only inside :func:`convert_weight`, so the shape path
``shape``/``convert`` stays cheap):

* ``names``   - framework names, aliases, each framework's option names, the generic spellings;
* ``from_framework`` - the five readers, framework parameters -> canonical :class:`~tconvcalc.model.spec.Layer`;
* ``translate``  - the five writers, canonical layer -> framework parameters + post-crop (:class:`Translation`);
* ``weights`` - weight layouts and how to carry a weight from one to another;
* ``code``    - every line of generated code text: layer lines, translations, whole stacks, weight recipes.
"""

from __future__ import annotations

from .code import (dilated_kernel_code, emit_code, pytorch_argument_list, pytorch_code, pytorch_conv_code,
                   pytorch_sequential, translation_code, weight_recipe)
from .names import FRAMEWORKS, compact, framework_name, framework_options
from .from_framework import (FrameworkLayer, jax_padding_pair, keras_output_length, layer_from_framework,
                             parse_jax_padding, read_framework)
from .weights import WeightLayout, WeightPlan, convert_weight, weight_layout, weight_plan
from .translate import Translation, convert, pytorch_arguments, to_framework

__all__ = [
    "FRAMEWORKS", "FrameworkLayer", "Translation", "WeightLayout", "WeightPlan", "compact", "convert",
    "convert_weight", "dilated_kernel_code", "emit_code", "framework_name", "framework_options", "jax_padding_pair",
    "keras_output_length", "layer_from_framework", "parse_jax_padding", "pytorch_argument_list", "pytorch_arguments",
    "pytorch_code", "pytorch_conv_code", "pytorch_sequential", "read_framework", "to_framework", "translation_code",
    "weight_layout", "weight_plan", "weight_recipe",
]
