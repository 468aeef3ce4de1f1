"""``tconvcalc rewrite``: every ConvTranspose of an ONNX model in operators any runtime has, checked before it is
written."""

from __future__ import annotations

import click

from ..errors import ParameterError
from .options import FilePath, json_option
from .output import announce, emit, write_files

# The engine's forms (tconvcalc.rewrite.onnx.FORMS), spelled here so that `rewrite --help` imports no NumPy;
# test_rewrite_onnx checks that the two agree.
FORMS = ("subpixel", "zero-insertion", "pads")


@click.command()
@click.argument("model", type=FilePath("model.onnx"))
@click.option("--to", "form", type=click.Choice(FORMS), required=True,
              help="subpixel: Conv + DepthToSpace + Slice; zero-insertion: zeros interleaved + Conv; pads: "
                   "ConvTranspose with explicit pads only")
@click.option("-o", "--output", "output", type=FilePath("model.subpixel.onnx"), default=None,
              help="write the rewritten model here (without it, only the report)")
@click.option("--only", default=None, metavar="NODE[,NODE]", help="rewrite only these ConvTranspose nodes")
@click.option("--max-block", "max_block", type=click.IntRange(min=1), default=None, metavar="N",
              help="subpixel: DepthToSpace only up to block N; larger strides use Reshape + Transpose")
@click.option("--opset", type=click.IntRange(min=1), default=None, metavar="N",
              help="convert the model to this opset first (onnx.version_converter; at least 13)")
@click.option("--check/--no-check", "check", default=True, show_default=True,
              help="run the original and the rewrite in onnxruntime on random inputs; refuse to write on a mismatch")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="seed of the check's inputs")
@json_option
def rewrite(model, form, output, only, max_block, opset, check, seed, as_json):
    """Every ConvTranspose of an ONNX model rewritten exactly into Conv, DepthToSpace, Pad and Slice.

    Example: tconvcalc rewrite decoder.onnx --to subpixel -o decoder.subpixel.onnx
    """
    if not model.endswith(".onnx"):
        raise ParameterError(f"{model} is not an .onnx file, rewrite reads ONNX models (a PyTorch layer is "
                             f"rewritten in Python: tc.rewrite.subpixel(layer)); export the model with "
                             f"torch.onnx.export")
    if max_block is not None and form != "subpixel":
        raise ParameterError(f"--max-block bounds the sub-pixel form's DepthToSpace, and --to {form} writes none; "
                             f"drop --max-block or use --to subpixel")
    from ..network.read_onnx import load_model
    from ..reports.rewrite import rewrite_report
    from .views.rewrite import render_rewrite

    loaded = load_model(model, weights=True)
    if opset is not None:
        loaded = _convert(loaded, opset)
    nodes = [name.strip() for name in only.split(",")] if only else None
    report, new = rewrite_report(loaded, model, form, None if output is None else str(output), nodes, max_block,
                                 check, seed)
    if report.check is not None and not report.check.passed:
        emit(report._replace(output=None), as_json, render_rewrite)
        raise SystemExit(1)
    emit(report, as_json, render_rewrite)
    if new is not None and output is not None:
        announce(write_files({output: new.SerializeToString()}))


def _convert(model, opset: int):
    from onnx import version_converter

    current = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    if current is not None and opset < current:
        raise ParameterError(f"--opset {opset} is below the model's opset {current}, and the rewrite only converts "
                             f"upwards (a lower opset may lack operators the model uses); give --opset {current} "
                             f"or more")
    try:
        return version_converter.convert_version(model, opset)
    except Exception as error:
        raise ParameterError(f"onnx could not convert the model to opset {opset} ({str(error).splitlines()[0]}); "
                             f"convert it with the exporter's opset option instead") from None
