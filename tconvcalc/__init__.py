"""tconvcalc: shapes, derivations and checks for transposed convolutions.

The names here are the public contract (see docs/architecture.md); ``tconvcalc.numeric``
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

from .model.arithmetic import conv_input_sizes, conv_output_size, conv_transpose_output_size, output_padding_for
from .design.planner import Chain, Plan, chain, plan
from .errors import NotInstalledError, ParameterError, TconvcalcError
from .model.spec import Axis, Layer

__all__ = [
    "Axis", "Chain", "Layer", "NotInstalledError", "ParameterError", "Plan", "TconvcalcError", "chain",
    "conv_input_sizes", "conv_output_size", "conv_transpose_output_size", "output_padding_for", "plan",
]

# tc.<name> -> the module it loads, under its home: the short names the README and tests use, kept as the modules
# moved into model/, design/, pictures/ and notes/ (tc.operator is C's structure, tc.latex the notes' document).
_LAZY_MODULES = {
    "numeric": "numeric", "symbolic": "symbolic", "conventions": "conventions", "reports": "reports",
    "records": "records", "network": "network", "rewrite": "rewrite", "checkerboard": "checkerboard",
    "model": "model", "design": "design", "pictures": "pictures", "notes": "notes",
    "spec": "model.spec", "arithmetic": "model.arithmetic", "operator": "model.structure",
    "structure": "model.structure",
    "planner": "design.planner",
    "overlap": "design.overlap", "mirror": "design.mirror", "compare": "design.compare", "plots": "pictures.plots",
    "latex": "notes.document",
    # tc.net is the network package, as the command is `tconvcalc net`; tc.init the checkerboard-free initialisers
    "net": "network", "init": "checkerboard.init",
}


def __getattr__(name: str):
    # tc.numeric / tc.symbolic without importing NumPy or SymPy at ``import tconvcalc``.
    if name in _LAZY_MODULES:
        return importlib.import_module(f".{_LAZY_MODULES[name]}", __name__)
    raise AttributeError(f"module 'tconvcalc' has no attribute {name!r}")
