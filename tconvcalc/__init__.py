"""tconvcalc: shapes, derivations and checks for transposed convolutions.

The names here are the public contract (see DESIGN.md); ``tconvcalc.numeric``
and ``tconvcalc.symbolic`` load NumPy and SymPy only when first used.

>>> import tconvcalc as tc
>>> tc.conv_transpose_output_size(2, 3, s=2)
5
>>> tc.output_padding_for((14, 17), (7, 9), 3, s=2, p=1)
(1, 0)
>>> tc.Layer.from_pytorch(2, 3, 2).axes[0]
Axis(i=2, k=3, s=2, d=1, b=0, e=0)
"""

from __future__ import annotations

import importlib

from .arithmetic import conv_input_sizes, conv_output_size, conv_transpose_output_size, output_padding_for
from .planner import Chain, Plan, chain, plan
from .errors import NotInstalledError, ParameterError, TconvcalcError
from .spec import Axis, Layer

__all__ = [
    "Axis", "Chain", "Layer", "NotInstalledError", "ParameterError", "Plan", "TconvcalcError", "chain",
    "conv_input_sizes", "conv_output_size", "conv_transpose_output_size", "output_padding_for", "plan",
]

_LAZY_MODULES = {"numeric", "symbolic", "latex", "overlap", "conventions", "mirror", "compare", "plots",
                 "reports", "operator", "notes", "records", "network", "rewrite", "checkerboard",
                 "checkerboard.init"}
# tc.net is the network package, as the command is `tconvcalc net`; tc.init the checkerboard-free initialisers
_SHORT_NAMES = {"net": "network", "init": "checkerboard.init"}


def __getattr__(name: str):
    # tc.numeric / tc.symbolic without importing NumPy or SymPy at ``import tconvcalc``.
    name = _SHORT_NAMES.get(name, name)
    if name in _LAZY_MODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'tconvcalc' has no attribute {name!r}")
