"""``tconvcalc rewrite``: every ConvTranspose of an ONNX model in operators any runtime has, checked before it is
written; for PyTorch code (``file.py:Factory``), the rewritten model's Python code and its state dict."""

from __future__ import annotations

import click

from ..errors import ParameterError
from .options import AXIS, FilePath, json_option
from .output import announce, emit, write_files

# The engine's forms (tconvcalc.rewrite.onnx.FORMS), spelled here so that `rewrite --help` imports no NumPy;
# test_rewrite_onnx checks that the two agree.
FORMS = ("subpixel", "zero-insertion", "pads")
EMITS = ("onnx", "pytorch")


@click.command()
@click.argument("model", metavar="MODEL", type=FilePath("model.onnx"))
@click.option("--to", "form", type=click.Choice(FORMS), required=True,
              help="subpixel: Conv + DepthToSpace + Slice; zero-insertion: zeros interleaved + Conv; pads: "
                   "ConvTranspose with explicit pads only (ONNX)")
@click.option("--emit", "target", type=click.Choice(EMITS), default=None,
              help="onnx: a rewritten .onnx model; pytorch: Python code on stdout and the new state dict "
                   "[default: onnx for an .onnx file, pytorch for file.py:Factory]")
@click.option("-o", "--output", "output", type=FilePath("model.subpixel.onnx"), default=None,
              help="write the rewritten model here (--emit pytorch: its state dict, .pt or .safetensors; without "
                   "it, only the report)")
@click.option("--only", default=None, metavar="NODE[,NODE]",
              help="rewrite only these ConvTranspose nodes (PyTorch: module paths such as up.1)")
@click.option("--weights", type=FilePath("model.pt"), default=None,
              help="PyTorch: the trained weights, a state dict (torch.save, read with weights_only) or .safetensors "
                   "[default: the factory's initial weights]")
@click.option("--kwargs", default=None, metavar="JSON", help="PyTorch: keyword arguments for the factory")
@click.option("--in", "--input-size", "input_size", type=AXIS, default=None,
              help="PyTorch: the check's input size per axis [default: from the network's domain]")
@click.option("--max-block", "max_block", type=click.IntRange(min=1), default=None, metavar="N",
              help="subpixel: DepthToSpace only up to block N; larger strides use Reshape + Transpose")
@click.option("--opset", type=click.IntRange(min=1), default=None, metavar="N",
              help="convert the model to this opset first (onnx.version_converter; at least 13)")
@click.option("--check/--no-check", "check", default=True, show_default=True,
              help="run the original and the rewrite (onnxruntime; PyTorch for --emit pytorch) on random inputs; "
                   "refuse to write on a mismatch")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="seed of the check's inputs (and of the factory's initial weights)")
@json_option
def rewrite(model, form, target, output, only, weights, kwargs, input_size, max_block, opset, check, seed, as_json):
    """Every ConvTranspose of an ONNX model or PyTorch code rewritten exactly into Conv, depth to space and crops.

    An ONNX model is written rewritten; PyTorch code gives the rewritten model's code and state dict.

    Example: tconvcalc rewrite decoder.onnx --to subpixel -o decoder.subpixel.onnx

    Example: tconvcalc rewrite model.py:Decoder --weights decoder.pt --to subpixel -o decoder.subpixel.pt
    """
    from ..network.load import is_torch_code

    torch_code = is_torch_code(model)
    target = target or ("pytorch" if torch_code else "onnx")
    nodes = [name.strip() for name in only.split(",")] if only else None
    if not torch_code and not model.endswith(".onnx"):
        raise ParameterError(f"{model} is neither an .onnx file nor PyTorch code as file.py:Factory, rewrite reads "
                             f"those two; export the model with torch.onnx.export, or name its factory")
    if target == "pytorch" and not torch_code:
        raise ParameterError(f"--emit pytorch writes PyTorch code for a PyTorch model, and {model} is an ONNX file; "
                             f"drop --emit pytorch (the rewrite writes ONNX), or give the model's code as "
                             f"file.py:Factory")
    if target == "onnx" and torch_code:
        raise ParameterError(f"--emit onnx rewrites an ONNX file, and {model} is PyTorch code; use --emit pytorch, "
                             f"or export the model with torch.onnx.export and rewrite the .onnx file")
    if target == "pytorch":
        given = [flag for flag, value in (("--max-block", max_block), ("--opset", opset)) if value is not None]
        if given:
            raise ParameterError(f"{given[0]} shapes the ONNX rewrite, and --emit pytorch writes PyTorch modules; "
                                 f"drop {given[0]}")
        from .options import parse_kwargs

        return _rewrite_pytorch(model, form, parse_kwargs(kwargs), weights, output, nodes, input_size, check,
                                seed, as_json)
    given = [flag for flag, value in (("--weights", weights), ("--kwargs", kwargs), ("--in", input_size))
             if value is not None]
    if given:
        raise ParameterError(f"{given[0]} is for PyTorch code (file.py:Factory), and {model} is an ONNX file whose "
                             f"weights and input shapes it holds itself; drop {given[0]}")
    if max_block is not None and form != "subpixel":
        raise ParameterError(f"--max-block bounds the sub-pixel form's DepthToSpace, and --to {form} writes none; "
                             f"drop --max-block or use --to subpixel")
    from ..network.readers.onnx import load_model
    from ..reports.rewrite import rewrite_report
    from .views.rewrite import render_rewrite

    loaded = load_model(model, weights=True)
    if opset is not None:
        loaded = _convert(loaded, opset)
    report, new = rewrite_report(loaded, model, form, None if output is None else str(output), nodes, max_block,
                                 check, seed)
    if report.check is not None and not report.check.passed:
        emit(report._replace(output=None), as_json, render_rewrite)
        raise SystemExit(1)
    emit(report, as_json, render_rewrite)
    if new is not None and output is not None:
        announce(write_files({output: new.SerializeToString()}))


def _rewrite_pytorch(model, form, kwargs, weights, output, nodes, sizes, check, seed, as_json) -> None:
    """The code on stdout (or in the JSON), the report on stderr, the state dict in ``output``."""
    if form == "pads":
        raise ParameterError("--to pads makes ONNX's implicit padding forms explicit, and a PyTorch layer already "
                             "states its padding; use --to subpixel or --to zero-insertion with --emit pytorch")
    suffix = "" if output is None else str(output).lower().rpartition(".")[2]
    if suffix == "onnx":
        raise ParameterError(f"-o {output}: --emit pytorch writes the rewritten model's state dict; name a .pt or "
                             f".safetensors file (or export the model to ONNX and rewrite that)")
    from ..reports.rewrite import torch_rewrite_report
    from .views.rewrite import render_rewrite

    report, state = torch_rewrite_report(model, form, kwargs, None if weights is None else str(weights),
                                         None if output is None else str(output), nodes, sizes, check, seed)
    if report.check is not None and not report.check.passed:
        emit(report._replace(output=None, code=None), as_json, render_rewrite, err=not as_json)
        raise SystemExit(1)
    data = None if state is None or output is None else _state_bytes(state, suffix == "safetensors")
    if as_json:
        emit(report._replace(output=None if data is None else report.output), True)
    else:
        if report.code:
            click.echo(report.code, nl=False)
        emit(report._replace(output=None if data is None else report.output), False, render_rewrite, err=True)
    if data is not None:
        announce(write_files({output: data}))


def _state_bytes(state: dict, safetensors: bool) -> bytes:
    """The state dict as a file's bytes: tensors only (``torch.save`` of a plain dict), or safetensors."""
    if safetensors:
        try:
            from safetensors.torch import save
        except ImportError:
            from ..errors import NotInstalledError
            from ..network.readers.torch_weights import SAFETENSORS_INSTALL

            raise NotInstalledError("safetensors", "writing a .safetensors file", SAFETENSORS_INSTALL) from None
        return save(state)
    import io

    import torch

    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


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
