"""What the shape-path commands answer, as plain JSON-ready dicts.

The CLI prints these as JSON with ``--json`` or hands them to ``render`` for
the terminal, so both views always carry the same numbers.
"""

from __future__ import annotations

from itertools import islice

from .arithmetic import alternatives, ambiguity, conv_output_size, conv_input_sizes, output_padding_for
from .conventions import pytorch_arguments, pytorch_code, pytorch_conv_code
from .planner import Plan
from .spec import Axis, Layer, broadcast

# Every output_padding on every axis multiplies out; a 3-D stride-8 layer has
# 512 combinations.  JSON lists at most this many and says how many there are.
MAX_ALTERNATIVES = 1024

SIZE_FORMULA = "o = (i−1)·s − 2p + d·(k−1) + op + 1"
CONV_FORMULA = "o = ⌊(i + 2p − d·(k−1) − 1) / s⌋ + 1"


def _substituted(axis: Axis) -> str:
    p, op = axis.pytorch
    return f"({axis.i}−1)·{axis.s} − 2·{p} + {axis.d}·({axis.k}−1) + {op} + 1 = {axis.o}"


def layer_fields(layer: Layer) -> dict:
    """The PyTorch parameters of a layer and its size, as lists per axis."""
    fields = {"input_size": list(layer.input_size)}
    fields.update({name: list(values) for name, values in pytorch_arguments(layer).items()})
    fields["output_size"] = list(layer.output_size)
    return fields


def shape_report(input_size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1,
                 target=None) -> dict:
    """``tconvcalc shape``: the size, why, every output_padding and the layer line."""
    if target is not None:
        output_padding = output_padding_for(target, input_size, kernel_size, stride, padding, dilation)
    layer = Layer.from_pytorch(input_size, kernel_size, stride, padding, output_padding, dilation)
    combos = alternatives(layer.axes)
    report = {
        "command": "shape",
        "ndim": layer.ndim,
        **layer_fields(layer),
        "target": list(target) if isinstance(target, (list, tuple)) else target,
        "formula": SIZE_FORMULA,
        "substituted": [_substituted(axis) for axis in layer.axes],
        "full_size": list(layer.field("full")),
        "crop": [list(c) for c in layer.crop],
        "axes": [
            {
                "axis": n,
                "alternatives": [
                    {"output_padding": alt.output_padding, "output_size": alt.output_size,
                     "conv_output_size": alt.conv_output_size, "inverts": alt.inverts, "chosen": alt.chosen}
                    for alt in ambiguity(axis)
                ],
                "phase_tap_counts": list(axis.phase_tap_counts()),
                "uniform_overlap": axis.uniform_overlap,
            }
            for n, axis in enumerate(layer.axes)
        ],
        "alternatives": [
            {"output_padding": [alt.output_padding for alt in combo],
             "output_size": [alt.output_size for alt in combo],
             "inverts": all(alt.inverts for alt in combo),
             "chosen": all(alt.chosen for alt in combo)}
            for combo in islice(combos, MAX_ALTERNATIVES)
        ],
        "alternatives_total": len(combos),
        "pytorch": pytorch_code(layer),
    }
    if target is None:
        del report["target"]
    return report


def conv_report(input_size, kernel_size, stride=1, padding=0, dilation=1) -> dict:
    """``tconvcalc conv``: the forward size and every input that shares it."""
    ndim, v = broadcast(input_size=input_size, kernel_size=kernel_size, stride=stride, padding=padding,
                        dilation=dilation)
    i, k, s, p, d = (v[name] for name in ("input_size", "kernel_size", "stride", "padding", "dilation"))
    out = conv_output_size(i, k, s, p, d)
    shared = conv_input_sizes(out, k, s, p, d)
    axes = []
    for n in range(ndim):
        rows = []
        for size in shared[n]:
            op = output_padding_for(size, out[n], k[n], s[n], p[n], d[n])
            rows.append({"input_size": size, "output_padding": op, "given": size == i[n]})
        axes.append({"axis": n, "inputs": rows})
    restore = Layer.from_pytorch(out, k, s, p,
                                 output_padding_for(i, out, k, s, p, d), d)
    return {
        "command": "conv",
        "ndim": ndim,
        "input_size": list(i), "kernel_size": list(k), "stride": list(s), "padding": list(p),
        "dilation": list(d),
        "formula": CONV_FORMULA,
        "substituted": [
            f"⌊({i[n]} + 2·{p[n]} − {d[n]}·({k[n]}−1) − 1) / {s[n]}⌋ + 1 = {out[n]}" for n in range(ndim)
        ],
        "output_size": list(out),
        "axes": axes,
        "pytorch_conv": pytorch_conv_code(k, s, p, d),
        "pytorch_inverse": pytorch_code(restore, "out_ch", "in_ch"),
    }


def plan_report(result: Plan, bounds: dict) -> dict:
    """``tconvcalc plan``: the ranked layers and how many there are."""
    return {
        "command": "plan",
        "input_size": list(result.input_size),
        "output_size": list(result.output_size),
        "bounds": bounds,
        "total": result.total,
        "candidates": [
            {**layer_fields(layer),
             "uniform_overlap": all(axis.uniform_overlap for axis in layer.axes),
             "pytorch": pytorch_code(layer)}
            for layer in result.candidates
        ],
    }
