"""Whole networks: every layer's size for an input, the exact input sizes a network accepts, and the fix.

A :class:`~.graph.Network` is read from a TOML/JSON spec, an ONNX file, a Keras ``.keras`` file or a
PyTorch module (:func:`load`); :func:`~.trace.trace` follows one input size through it, and the
domain (:mod:`.domain`) derives, per axis, every size for which it runs.

>>> net = load("examples/unet_encoder.toml")
>>> trace(net, (161, 97)).output_size
(20, 12)
>>> domain(net)[0].classes, fix(net, (160, 97)).axes[0].above
((Progression(modulus=1, residue=0, first=5),), 160)
"""

from __future__ import annotations

from .domain import domain
from .fix import fix
from .graph import Network, Node
from .load import load
from .tracer import trace

__all__ = ["Network", "Node", "domain", "fix", "from_torch", "load", "trace"]


def from_torch(module, ndim: int | None = None) -> Network:
    """A PyTorch ``nn.Module`` as a network, traced structurally with torch.fx (needs ``torch``)."""
    from .readers.torch import from_torch as read

    return read(module, ndim)
