"""What ``tconvcalc checkerboard`` answers: every transposed and sub-pixel convolution of a model checked for
checkerboard in its weights, and with the fix the model with the smallest change that removes it, run to prove it.

The layers come from :func:`tconvcalc.checkerboard.models.read_weights` (ONNX, Keras, PyTorch code with its
weights), the verdicts from :func:`~tconvcalc.checkerboard.analysis.analyse`, the fix from
:func:`~tconvcalc.checkerboard.repair.fix_layer`, its proof from :func:`~tconvcalc.checkerboard.verify.verify` in
the runtime the model came from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from ..records import json_keys

if TYPE_CHECKING:
    from ..checkerboard.analysis import LayerCheck


@json_keys(optional="fix")
class CheckerboardReport(NamedTuple):
    """``tconvcalc checkerboard``: the model, where its weights came from, every layer's
    :class:`~tconvcalc.checkerboard.analysis.LayerCheck` in the model's order, the names of those flagged, and with
    the fix what was changed."""

    command: str
    model: str
    format: str
    weights: str
    tolerance: float
    layers: tuple[LayerCheck, ...]
    flagged: tuple[str, ...]
    fix: FixReport | None


class FixReport(NamedTuple):
    """The fix: each changed layer's :class:`FixedLayer`, whether the model is written unchanged (nothing to fix), and
    where it went."""

    runtime: str
    layers: tuple[FixedLayer, ...]
    unchanged: bool
    output: str


class FixedLayer(NamedTuple):
    """One fixed layer: its weights' change relative to them (L2; the bias's for a sub-pixel layer), the spread before
    and after, a constant input's output's deviation from constant before and after and the output's change on a
    random input (both relative, run in the fix's runtime)."""

    name: str
    weight_change: float
    bias_change: float | None
    spread_before: float
    spread_after: float
    flatness_before: float
    flatness_after: float
    output_change: float

# The runtime a fix is proved in, by the model's format (the NumPy backend when it is not installed).
RUNTIME = {"onnx": "onnxruntime", "pytorch": "pytorch", "keras": "numpy"}


def worst_first(report: CheckerboardReport) -> list:
    """The layers as the terminal lists them: flagged first, largest spread first."""
    return sorted(report.layers, key=lambda check: (not check.checkerboard, -check.spread))


def checkerboard_report(model: str, weights: str | None = None, kwargs: dict | None = None,
                        tolerance: float | None = None, fix: bool = False, output: str | None = None,
                        progress=None) -> tuple[CheckerboardReport, bytes | None, list]:
    """The report; with ``fix`` the fixed model's bytes for ``output`` (the same format); and the flagged layers'
    ``(name, all-ones response, spread)`` for the picture.  ``progress(done, total)`` is told after each layer."""
    from ..checkerboard import analyse, fix_layer
    from ..checkerboard.analysis import DEFAULT_TOLERANCE, ones_response
    from ..checkerboard.models import read_weights

    tolerance = DEFAULT_TOLERANCE if tolerance is None else tolerance
    loaded = read_weights(model, weights, kwargs)
    checks, responses = [], []
    for n, layer in enumerate(loaded.layers):
        check = analyse(layer, tolerance)
        checks.append(check)
        if check.checkerboard:
            responses.append((layer.name, ones_response(layer), check.spread))
        if progress:
            progress(n + 1, len(loaded.layers) * (2 if fix else 1))
    flagged = tuple(check.name for check in checks if check.checkerboard)
    source = ("initial" if weights is None else str(weights)) if loaded.format == "pytorch" else str(model)
    report = CheckerboardReport("checkerboard", str(model), loaded.format, source, tolerance, tuple(checks), flagged,
                                None)
    if not fix:
        return report, None, responses
    from ..checkerboard.verify import available, verify

    layers = {layer.name: layer for layer in loaded.layers}
    hopeless = [check for check in checks if check.checkerboard and check.unreached]
    if hopeless:  # before anything is changed: fix_layer refuses the first such layer by name, with its reason
        fix_layer(layers[hopeless[0].name], hopeless[0])
    runtime = available(RUNTIME[loaded.format])
    fixed, rows = {}, []
    for n, check in enumerate(c for c in checks if c.checkerboard):
        result = fix_layer(layers[check.name], check)
        proof = verify(layers[check.name], result.layer, runtime)
        fixed[check.name] = result.layer
        rows.append(FixedLayer(check.name, result.weight_change, result.bias_change, result.spread_before,
                               result.spread_after, proof.flatness_before, proof.flatness_after, proof.output_change))
        if progress:
            progress(len(loaded.layers) + n + 1, 2 * len(loaded.layers))
    data = loaded.save(fixed, str(output))
    return report._replace(fix=FixReport(runtime, tuple(rows), not fixed, str(output))), data, responses
