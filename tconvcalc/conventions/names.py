"""How the frameworks and their parameters are named and spelled.

The five framework names and their aliases, each framework's own option names, the generic
spellings (``stride``, ``dilation``, ``groups``) that map onto them, and how a per-axis value
is written in messages and code.  Standard library and :mod:`tconvcalc.model.spec` only.
"""

from __future__ import annotations

from typing import Sequence

from ..model.spec import ParameterError, check_at_least

FRAMEWORKS = ("pytorch", "tensorflow", "keras", "onnx", "jax")
# How each framework is called in a sentence or a heading.
TITLES = {"pytorch": "PyTorch", "tensorflow": "TensorFlow", "keras": "Keras 3", "onnx": "ONNX", "jax": "JAX"}
# The spatial axes a framework's transposed convolution takes (ONNX's and JAX's take any number).
MAX_AXES = {"pytorch": 3, "tensorflow": 3, "keras": 3}
ALIASES = {"torch": "pytorch", "pt": "pytorch", "tf": "tensorflow", "keras3": "keras", "tf.keras": "keras",
           "flax": "jax"}

# Each framework's own option names; generic spellings map onto them.
OWN_OPTIONS = {
    "pytorch": ("stride", "padding", "output_padding", "dilation", "groups", "output_size"),
    "tensorflow": ("strides", "padding", "output_shape", "dilations"),
    "keras": ("strides", "padding", "output_padding", "dilation_rate"),
    "onnx": ("strides", "pads", "output_padding", "output_shape", "auto_pad", "dilations", "group"),
    "jax": ("strides", "padding", "rhs_dilation", "transpose_kernel", "dimension_numbers"),
}
STRIDE = {"pytorch": "stride", "tensorflow": "strides", "keras": "strides", "onnx": "strides", "jax": "strides"}
DILATION = {"pytorch": "dilation", "tensorflow": "dilations", "keras": "dilation_rate", "onnx": "dilations",
            "jax": "rhs_dilation"}
# Only these two have grouped transposed convolutions.
GROUPS = {"pytorch": "groups", "onnx": "group"}
GENERIC = {"stride": STRIDE, "strides": STRIDE, "dilation": DILATION, "dilations": DILATION,
           "dilation_rate": DILATION, "rhs_dilation": DILATION, "groups": GROUPS, "group": GROUPS}

# Letters of the spatial axes in layout strings (JAX dimension numbers, kernel specs).
SPATIAL_LETTERS = {1: "H", 2: "HW", 3: "DHW"}


def compact(values: Sequence[int]) -> str:
    """``3`` when every axis agrees, ``(3, 5)`` otherwise - as one writes a layer by hand."""
    values = tuple(values)
    if len(set(values)) == 1:
        return str(values[0])
    return "(" + ", ".join(map(str, values)) + ")"


def framework_name(name: str) -> str:
    """``'tf'`` -> ``'tensorflow'``; an unknown name fails with the list of known ones."""
    key = str(name).strip().lower()
    key = ALIASES.get(key, key)
    if key not in FRAMEWORKS:
        raise ParameterError(f"framework {name!r} is unknown, tconvcalc speaks {', '.join(FRAMEWORKS)}; "
                             f"pick one of those (aliases: torch, tf)")
    return key


def framework_options(framework: str) -> tuple[str, ...]:
    """The option names ``framework`` itself uses."""
    return OWN_OPTIONS[framework_name(framework)]


def own_names(framework: str, options: dict) -> dict:
    """Map generic spellings (stride, dilation, groups) onto the framework's; reject foreign options."""
    out: dict = {}
    for name, value in options.items():
        if value is None:
            continue
        own = name
        if name not in OWN_OPTIONS[framework]:
            own = GENERIC.get(name, {}).get(framework)
            if own is None:
                if name in ("groups", "group"):
                    if check_at_least(name, value, 1) == 1:
                        continue
                    raise ParameterError(
                        f"{name}={value} asks for a grouped layer, which {framework} has no parameter for; "
                        f"use groups=1, or pytorch/onnx, or run one layer per channel group and concatenate")
                raise ParameterError(
                    f"{name} is not a {framework} option, {framework} takes {', '.join(OWN_OPTIONS[framework])}; "
                    f"use those names")
        if own in out:
            raise ParameterError(f"{name} and another spelling both set {framework}'s {own}, only one may; "
                                 f"give {own} once")
        out[own] = value
    return out


def check_rank(framework: str, ndim: int) -> None:
    """Refuse a layer of more spatial axes than ``framework`` has a transposed convolution for: no
    ``nn.ConvTranspose4d`` or ``conv4d_transpose`` is ever written."""
    limit = MAX_AXES.get(framework_name(framework))
    if limit is not None and ndim > limit:
        title = TITLES[framework_name(framework)]
        raise ParameterError(f"the layer has {ndim} spatial axes but {title} has transposed convolutions for 1 to "
                             f"{limit} spatial axes only; give at most {limit} axes")
