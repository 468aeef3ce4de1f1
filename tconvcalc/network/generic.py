"""The size-generic fix of a transposed layer that feeds a merge: ``up(x, output_size=skip.shape[-2:])``.

Called with ``output_size``, PyTorch's ``ConvTranspose`` picks the output_padding per call: it runs when
the size asked for lies in ``[B, B + s − 1]`` with ``B = (n − 1)·s + d·(k − 1) + 1 − 2p`` the size at
output_padding 0, and gives exactly that size.  With ``c = d·(k − 1) + 1 − 2p`` the condition reads

    B ≤ P ≤ B + s − 1  ⇔  (n − 1)·s ≤ P − c ≤ (n − 1)·s + s − 1  ⇔  ⌊(P − c)/s⌋ + 1 = n,

so the layer becomes ordinary size rules the domain already derives: the partner's size ``P`` padded by
``1 − c`` and strided by ``s`` (a k1 convolution) must equal the layer's input ``n`` (a merge), and the
layer's output is ``P`` (an identity of the partner).  The rewritten network is derived and checked like
any other; tests run the real ``output_size=`` call in PyTorch against it.

>>> from tconvcalc.network.readers.spec_file import parse_network
>>> from tconvcalc.network.domain import axis_domain
>>> net = parse_network('ndim = 1\\n[[layers]]\\nname = "down"\\nop = "max_pool"\\nkernel_size = 2\\n'
...                     '[[layers]]\\nname = "up"\\nop = "conv_transpose"\\nkernel_size = 2\\nstride = 2\\n'
...                     '[[layers]]\\nname = "skip"\\nop = "concat"\\ninputs = ["input", "up"]\\n')
>>> [(g.node, g.merge, g.partner) for g in feeds(net)]
[('up', 'skip', 'input')]
>>> axis_domain(rewrite(net, feeds(net)), 0).classes    # every size from 2 on, odd ones too
(Progression(modulus=1, residue=0, first=2),)
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from .affine import Affine
from .graph import INPUT, Network, Node
from .ops import OPS

class Feed(NamedTuple):
    """A transposed layer whose output reaches a merge through layers that keep the size, the merge, and the merge's
    other input (the skip), whose size the layer can take per call."""

    node: str
    merge: str
    partner: str


def _keeps_size(node) -> bool:
    """Whether a (non-merge) layer maps every size to itself on every axis (ReLU, a k3 p1 convolution)."""
    if OPS[node.op].merge:
        return False
    try:
        return all(OPS[node.op].size(Affine(1, 0), q)[0] == Affine(1, 0) for q in node.axes)
    except Exception:  # a rule that is not affine on n itself (a stride, a ceil) does not keep it
        return False


def _generic(node) -> bool:
    """A transposed layer PyTorch can call with output_size: a crop that is PyTorch's padding and
    output_padding (not an ONNX output_shape)."""
    return node.op == "conv_transpose" and all("crop" in q and q["crop"][0] >= 0 and q["crop"][0] >= q["crop"][1]
                                               for q in node.axes)


def feeds(network: Network) -> list[Feed]:
    """Every transposed layer that feeds a merge whose other input comes before it and does not depend on it."""
    readers: dict[str, list] = {}
    for node in network.nodes:
        for name in node.inputs:
            readers.setdefault(name, []).append(node)
    order = {INPUT: -1, **{node.name: n for n, node in enumerate(network.nodes)}}
    ancestors = network.ancestors()
    found = []
    for layer in network.nodes:
        if not _generic(layer):
            continue
        current, merge = layer.name, None
        while merge is None:
            after = readers.get(current, [])
            merge = next((r for r in after if OPS[r.op].merge), None)
            if merge is None:
                keep = next((r for r in after if _keeps_size(r)), None)
                if keep is None:
                    break
                current = keep.name
        if merge is None:
            continue
        partner = next((name for name in merge.inputs if name != current and layer.name not in ancestors[name]
                        and name != layer.name and order[name] < order[layer.name]), None)
        if partner is not None:
            found.append(Feed(layer.name, merge.name, partner))
    return found


def rewrite(network: Network, chosen) -> Network:
    """The network with each chosen layer called with ``output_size`` = its partner's size (see the module)."""
    by_layer = {feed.node: feed for feed in chosen}
    nodes = []
    for node in network.nodes:
        feed = by_layer.get(node.name)
        if feed is None:
            nodes.append(node)
            continue
        pads = tuple({"pad": (1 - (q["d"] * (q["k"] - 1) + 1 - 2 * q["crop"][0]), 0)} for q in node.axes)
        strides = tuple({"k": 1, "s": q["s"], "d": 1, "pad": (0, 0), "same": False} for q in node.axes)
        base = f"{node.name}:output_size"
        nodes += [Node(f"{base}.shift", "pad", (feed.partner,), pads),
                  Node(f"{base}.stride", "conv", (f"{base}.shift",), strides),
                  Node(f"{base}.in_range", "concat", (node.inputs[0], f"{base}.stride"), ({},) * network.ndim),
                  Node(node.name, "identity", (feed.partner,), ({},) * network.ndim, node.channels, node.source)]
    return Network(network.name, network.ndim, nodes, network.outputs, network.channels, network.default_input,
                   network.source)


def framework(network: Network) -> str:
    """Where the network came from: ``pytorch`` (code), ``onnx``, ``keras`` or ``spec``."""
    suffix = Path(str(network.source).split(":")[0]).suffix.lower()
    return {".onnx": "onnx", ".keras": "keras", ".toml": "spec", ".json": "spec"}.get(suffix, "pytorch")


def module_paths(network: Network) -> dict[str, str]:
    """The PyTorch module path of each layer where the model says it: the layer's own name in PyTorch code (fx
    names modules by path) and in a spec; the TorchScript exporter's ``/up4/ConvTranspose``; the dynamo
    exporter's ``pkg.torch.onnx.name_scopes`` metadata (its node names, ``node_convolution``, are the
    exporter's)."""
    kind = framework(network)
    layers = [node for node in network.nodes if not OPS[node.op].merge]
    if kind == "spec":
        return {node.name: node.name for node in layers}
    if kind == "pytorch":  # a functional F.conv_transpose2d call has an fx node name, not a module
        return {node.name: node.name for node in layers if not str(node.source).startswith(("F.", "torch."))}
    if kind != "onnx":
        return {}
    paths = {}
    for node in layers:
        parts = node.name.split("/")
        if node.name.startswith("/") and len(parts) > 2:
            paths[node.name] = ".".join(parts[1:-1])
    missing = {node.name for node in layers} - set(paths)
    if missing:
        paths.update(_name_scopes(network.source, missing))
    return paths


def _name_scopes(path: str, names: set) -> dict[str, str]:
    import ast

    try:
        import onnx

        model = onnx.load(path, load_external_data=False)
    except Exception:  # the reader read it already; without onnx here the names stay the exporter's
        return {}
    found = {}
    for node in model.graph.node:
        if node.name in names:
            for prop in node.metadata_props:
                if prop.key == "pkg.torch.onnx.name_scopes":
                    try:
                        scopes = [s for s in ast.literal_eval(prop.value) if s]
                    except (ValueError, SyntaxError):
                        continue
                    if len(scopes) > 1:  # qualified names, outermost first; the last is the aten op
                        found[node.name] = scopes[-2]
    return found
