"""``tconvcalc checkerboard``: checkerboard learned into a model's weights, found, pictured and fixed.

Exits 1 when some layer is flagged and not fixed, so scripts notice (as ``check`` does on a failure).
"""

from __future__ import annotations

import click

from ..errors import ParameterError
from .options import FiniteFloatRange, FilePath, json_option, picture_options
from .output import announce, emit, progress, write_files


@click.command()
@click.argument("model", metavar="MODEL")
@click.option("--weights", type=FilePath("model.pt"), default=None,
              help="PyTorch: the trained weights, a state dict (torch.save, read with weights_only) or .safetensors "
                   "[default: the factory's initial weights]")
@click.option("--kwargs", default=None, metavar="JSON", help="PyTorch: keyword arguments for the factory")
@click.option("--tolerance", type=FiniteFloatRange(min=0), default=None, metavar="REL",
              help="the relative spread of phase sums above which a layer is flagged [default: 1e-4; float32 "
                   "weights that are exactly free come out near 1e-7]")
@click.option("--fix", is_flag=True, help="make the smallest L2 change of each flagged layer's weights that evens "
                                         "its phase sums, and check it by running the layer")
@click.option("-o", "--output", "output", type=FilePath("model.fixed.onnx"), default=None,
              help="with --fix: write the fixed model here (the same format; PyTorch: a state dict, .pt or "
                   ".safetensors)")
@picture_options()
@json_option
def checkerboard(model, weights, kwargs, tolerance, fix, output, png, svg, as_json):
    """Checkerboard in a model's weights (ONNX, Keras, PyTorch code): every transposed and sub-pixel convolution.

    Example: tconvcalc checkerboard decoder.onnx --fix -o decoder.fixed.onnx
    """
    from ..network.load import is_torch_code
    from .design import _picture_targets, _write_pictures

    if fix and output is None:
        raise ParameterError("--fix writes the fixed model, and no file is named; add -o model.fixed.onnx (the "
                             "model's own format)")
    if output is not None and not fix:
        raise ParameterError("-o names the fixed model, and nothing is fixed; add --fix")
    torch_code = is_torch_code(model)
    for flag, value in (("--weights", weights), ("--kwargs", kwargs)):
        if value is not None and not torch_code:
            raise ParameterError(f"{flag} is for PyTorch code (file.py:Factory), and {model} holds its own weights; "
                                 f"drop {flag}")
    from .options import parse_kwargs

    targets = _picture_targets(png, svg)
    from ..reports.checkerboard import checkerboard_report
    from .views.checkerboard import render_checkerboard

    with progress("checking layers") as tick:
        report, data, responses = checkerboard_report(model, None if weights is None else str(weights),
                                                      parse_kwargs(kwargs), tolerance, fix,
                                                      None if output is None else str(output), tick)
    written = write_files({output: data}) if data is not None else []
    if targets and responses:
        written += _write_pictures(lambda plots: plots.checkerboard_figure(responses), targets)
    emit(report, as_json, render_checkerboard)
    announce(written)
    if targets and not responses and not as_json:
        click.echo("no layer is flagged: no picture drawn", err=True)
    if report.flagged and not fix:
        raise SystemExit(1)
