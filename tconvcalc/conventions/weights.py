"""Weight layouts of the frameworks, and the conversion between them.

PyTorch and ONNX store a transposed convolution's weight as ``(C_in, C_out/groups, *k)``,
TensorFlow and Keras as ``(*k, C_out, C_in)``, JAX as its ``rhs_spec`` says (``HWIO``-style by
default) and flipped unless ``transpose_kernel=True``.  :func:`weight_plan` says how to get from
one to another; :func:`convert_weight` does it to an array, importing NumPy only then (the shape
path stays light), and ``code.weight_recipe`` writes it as one line of NumPy.
"""

from __future__ import annotations

from collections import namedtuple

from ..model.spec import ParameterError, check_at_least
from .names import GROUPS, SPATIAL_LETTERS, framework_name

WeightLayout = namedtuple("WeightLayout", "framework ndim to_canonical flipped")
WeightLayout.__doc__ = """How ``framework`` stores a transposed convolution's weight.

``to_canonical`` is the permutation taking the framework's array to PyTorch's
``(C_in, C_out/groups, *k)``; ``flipped`` when its spatial taps are reversed
relative to PyTorch's (JAX without ``transpose_kernel``)."""

WeightPlan = namedtuple("WeightPlan", "source target permutation flip_axes")
WeightPlan.__doc__ = """How one framework's weight becomes another's: ``np.transpose`` by ``permutation``,
then ``np.flip`` along ``flip_axes`` (empty when the taps keep their order)."""


def weight_layout(framework: str, ndim: int, *, rhs_spec: str | None = None,
                  transpose_kernel: bool = False) -> WeightLayout:
    """The weight layout of ``framework``: PyTorch/ONNX ``(C_in, C_out/g, *k)``, TF/Keras
    ``(*k, C_out, C_in)``, JAX by ``rhs_spec`` (default ``HWIO``-style) and ``transpose_kernel``."""
    framework = framework_name(framework)
    ndim = check_at_least("ndim", ndim, 1)
    if framework in ("pytorch", "onnx"):
        return WeightLayout(framework, ndim, tuple(range(ndim + 2)), False)
    if framework in ("tensorflow", "keras"):
        return WeightLayout(framework, ndim, (ndim + 1, ndim, *range(ndim)), False)
    spec = rhs_spec or (SPATIAL_LETTERS[ndim] + "IO" if ndim in SPATIAL_LETTERS else None)
    spec = str(spec)
    if len(spec) != ndim + 2 or spec.count("O") != 1 or spec.count("I") != 1 or len(set(spec)) != len(spec):
        raise ParameterError(f"rhs_spec={spec!r} is not a JAX kernel spec for {ndim} spatial axes, it needs one "
                             f"'O', one 'I' and {ndim} distinct spatial letters; write e.g. "
                             f"{SPATIAL_LETTERS.get(ndim, 'HW')}IO")
    spatial = [j for j, c in enumerate(spec) if c not in "OI"]
    # conv_transpose(transpose_kernel=True) swaps I and O: then the 'O' axis holds C_in.
    cin, cout = (spec.index("O"), spec.index("I")) if transpose_kernel else (spec.index("I"), spec.index("O"))
    return WeightLayout("jax", ndim, (cin, cout, *spatial), not transpose_kernel)


def weight_plan(source: str, target: str, ndim: int, *, groups: int = 1, source_rhs_spec: str | None = None,
                source_transpose_kernel: bool = False, target_rhs_spec: str | None = None,
                target_transpose_kernel: bool = True) -> WeightPlan:
    """The permutation and flip that turn ``source``'s weight into ``target``'s."""
    src = weight_layout(source, ndim, rhs_spec=source_rhs_spec, transpose_kernel=source_transpose_kernel)
    dst = weight_layout(target, ndim, rhs_spec=target_rhs_spec, transpose_kernel=target_transpose_kernel)
    groups = check_at_least("groups", groups, 1)
    if groups > 1:
        for layout in (src, dst):
            if layout.framework not in GROUPS:
                raise ParameterError(f"groups={groups} but {layout.framework} has no grouped transposed "
                                     f"convolution weight, only pytorch and onnx do; use groups=1 or one layer "
                                     f"per channel group")
    # canonical axis c is the framework's axis to_canonical[c]; the target's axis j is canonical axis inverse[j].
    inverse = [0] * len(dst.to_canonical)
    for c, j in enumerate(dst.to_canonical):
        inverse[j] = c
    perm = tuple(src.to_canonical[c] for c in inverse)
    flip: tuple[int, ...] = ()
    if src.flipped != dst.flipped:
        flip = tuple(j for j in range(ndim + 2) if perm[j] in src.to_canonical[2:])
    return WeightPlan(src, dst, perm, flip)


def convert_weight(weight, source: str, target: str, *, groups: int = 1, source_rhs_spec: str | None = None,
                   source_transpose_kernel: bool = False, target_rhs_spec: str | None = None,
                   target_transpose_kernel: bool = True):
    """Convert a weight array from ``source``'s layout to ``target``'s (NumPy array out)."""
    import numpy as np

    w = np.asarray(weight)
    ndim = w.ndim - 2
    if ndim < 1:
        raise ParameterError(f"the weight has {w.ndim} axes, a transposed convolution's weight has two channel "
                             f"axes and 1-3 spatial ones; pass a 3-D to 5-D array")
    plan = weight_plan(source, target, ndim, groups=groups, source_rhs_spec=source_rhs_spec,
                       source_transpose_kernel=source_transpose_kernel, target_rhs_spec=target_rhs_spec,
                       target_transpose_kernel=target_transpose_kernel)
    out = np.transpose(w, plan.permutation)
    if plan.flip_axes:
        out = np.flip(out, axis=plan.flip_axes)
    return np.ascontiguousarray(out)
