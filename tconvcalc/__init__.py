"""tconvcalc: shapes, derivations and checks for transposed convolutions.

The names here are the public contract (see DESIGN.md); ``tconvcalc.numeric``
and ``tconvcalc.symbolic`` load NumPy and SymPy only when first used.
"""

from __future__ import annotations

import importlib

from .arithmetic import conv_input_sizes, conv_output_size, conv_transpose_output_size, output_padding_for
from .planner import Chain, Plan, chain, plan
from .spec import Axis, Layer, ParameterError

__all__ = [
    "Axis", "Chain", "Layer", "ParameterError", "Plan", "chain", "conv_input_sizes", "conv_output_size",
    "conv_transpose_output_size", "output_padding_for", "plan",
]

_LAZY_MODULES = {"numeric", "symbolic", "latex", "overlap", "conventions", "mirror", "compare"}


def __getattr__(name: str):
    # tc.numeric / tc.symbolic without importing NumPy or SymPy at ``import tconvcalc``.
    if name in _LAZY_MODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'tconvcalc' has no attribute {name!r}")
