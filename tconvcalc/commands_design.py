"""Commands for designing an upsampling path: overlap, compare, chain, mirror, figure.

``chain`` and ``mirror`` stay on the shape path (integers only); ``overlap``,
``compare`` and ``figure`` import NumPy (and matplotlib for pictures) when run.
"""

from __future__ import annotations

import click

from .cli import emit, ndim_option, per_axis
from .options import AXIS, RANGE, json_option, layer_options
from .spec import Layer, ParameterError

EMIT_CHOICES = ("pytorch", "keras", "onnx")


def picture_options(required: bool = False):
    """--png/--svg; for a command whose only output is the picture, at least one is needed."""
    verb = "write" if required else "also write"
    need = " (--png or --svg is required)" if required else ""

    def decorate(func):
        func = click.option("--svg", "svg", type=click.Path(dir_okay=False),
                            help=f"{verb} the picture as SVG{need}")(func)
        return click.option("--png", "png", type=click.Path(dir_okay=False),
                            help=f"{verb} the picture as PNG{need}")(func)
    return decorate


def _write_pictures(draw, png: str | None, svg: str | None) -> None:
    """Draw once, then save each requested format; nothing is written if drawing fails."""
    if not (png or svg):
        return
    from . import plots

    figure = draw(plots)
    for path in (png, svg):
        if path:
            plots.save(figure, path)


def _layer_row(layer: Layer) -> dict:
    """A layer's PyTorch parameters and sizes, and whether its overlap is uniform."""
    from .reports import layer_fields

    return {**layer_fields(layer), "uniform_overlap": all(a.uniform_overlap for a in layer.axes)}


@click.command()
@layer_options
@click.option("--repeat", type=click.IntRange(min=1), default=1, show_default=True,
              help="stack the same layer this many times (each on the previous output)")
@ndim_option
@picture_options()
@json_option
def overlap(input_size, kernel_size, stride, padding, output_padding, dilation, repeat, ndim, png, svg, as_json):
    """How many (input, kernel-tap) pairs reach each output position: the checkerboard test."""
    from . import overlap as analysis
    from .render_design import render_overlap

    v = per_axis(ndim, input_size=input_size, kernel_size=kernel_size, stride=stride, padding=padding,
                 output_padding=output_padding, dilation=dilation)
    layers = [Layer.from_pytorch(v["input_size"], v["kernel_size"], v["stride"], v["padding"],
                                 v["output_padding"], v["dilation"])]
    for _ in range(repeat - 1):
        layers.append(Layer.from_pytorch(layers[-1].output_size, v["kernel_size"], v["stride"], v["padding"],
                                         v["output_padding"], v["dilation"]))
    report = {"command": "overlap", "layers": repeat, **analysis.report(layers)}
    _write_pictures(lambda plots: plots.overlap_figure(report), png, svg)
    emit(report, as_json, render_overlap)
    if (png or svg) and not as_json:  # JSON output stays one document
        click.echo(f"wrote {', '.join(p for p in (png, svg) if p)}")


@click.command()
@layer_options
@ndim_option
@picture_options(required=True)
def figure(input_size, kernel_size, stride, padding, output_padding, dilation, ndim, png, svg):
    """Grid diagram (input, zero-inserted and padded input, kernel, output) as PNG or SVG."""
    if not (png or svg):
        raise ParameterError("no file to write, figure draws a picture into --png or --svg; add --png grid.png")
    v = per_axis(ndim, input_size=input_size, kernel_size=kernel_size, stride=stride, padding=padding,
                 output_padding=output_padding, dilation=dilation)
    layer = Layer.from_pytorch(v["input_size"], v["kernel_size"], v["stride"], v["padding"],
                               v["output_padding"], v["dilation"])
    _write_pictures(lambda plots: plots.grid_figure(layer), png, svg)
    click.echo(f"wrote {', '.join(p for p in (png, svg) if p)}")


@click.command()
@click.option("--in", "--input-size", "input_size", type=AXIS, required=True, help="input size, per axis")
@click.option("--scale", type=click.IntRange(min=2), required=True, help="upsampling factor (the stride)")
@click.option("--channels", type=click.IntRange(min=1), default=64, show_default=True,
              help="channels in and out, for FLOPs and parameters")
@ndim_option
@json_option
def compare(input_size, scale, channels, ndim, as_json):
    """Transposed convolutions against resize-convolution and sub-pixel convolution, side by side."""
    from .compare import compare_methods
    from .render_design import render_compare

    v = per_axis(ndim, input_size=input_size)
    emit({"command": "compare", "input_size": list(v["input_size"]), "scale": scale, "channels": channels,
          "methods": compare_methods(v["input_size"], scale, channels)}, as_json, render_compare)


def _emit_options(func):
    func = click.option("--channels", type=AXIS, default=None,
                        help="channel counts along the stack, C0,C1,...,CL (for code, FLOPs, parameters)")(func)
    return click.option("--emit", "emit_as", type=click.Choice(EMIT_CHOICES), default=None,
                        help="print ready code for the stack")(func)


def _stack_report(layers, channels, emit_as) -> dict:
    from .arithmetic import layer_costs
    from .conventions import emit_code

    rows = [_layer_row(layer) for layer in layers]
    if channels is not None:
        if len(channels) != len(layers) + 1:
            raise ParameterError(f"--channels has {len(channels)} values but a stack of {len(layers)} layers "
                                 f"needs {len(layers) + 1} (input, then each layer's output); give "
                                 f"{len(layers) + 1} comma-separated counts")
        for row, cost in zip(rows, layer_costs(layers, channels)):
            row.update(cost)
    out = {"layers": rows}
    if emit_as:
        out["emit"] = emit_as
        out["code"] = emit_code(emit_as, layers, channels)
    return out


@click.command()
@click.option("--in", "--input-size", "input_size", type=AXIS, required=True, help="input size, per axis")
@click.option("--out", "--output-size", "output_size", type=AXIS, required=True, help="output size, per axis")
@click.option("--layers", "depth", type=click.IntRange(1, 12), required=True, help="how many transposed convolutions")
@click.option("--k", "--kernel-size", "kernels", type=RANGE, default="1-8", show_default=True, help="kernel sizes to try")
@click.option("--s", "--stride", "strides", type=RANGE, default="1-8", show_default=True, help="strides to try")
@click.option("--max-p", "--max-padding", "max_padding", type=click.IntRange(min=0), default=8, show_default=True)
@click.option("--d", "--dilation", "dilations", type=RANGE, default="1", show_default=True, help="dilations to try")
@click.option("--limit", type=click.IntRange(min=1), default=5, show_default=True, help="how many stacks to list")
@click.option("--no-checkerboard", is_flag=True, help="only layers whose overlap is uniform")
@_emit_options
@ndim_option
@json_option
def chain(input_size, output_size, depth, kernels, strides, max_padding, dilations, limit, no_checkerboard,
          emit_as, channels, ndim, as_json):
    """Stacks of --layers transposed convolutions from --in to --out, ranked as plan ranks layers."""
    from .planner import chain as search
    from .render_design import render_chain

    v = per_axis(ndim, input_size=input_size, output_size=output_size)
    result = search(v["input_size"], v["output_size"], depth, kernels, strides, max_padding, dilations, limit,
                    no_checkerboard)
    stacks = [_stack_report(stack, channels, emit_as if n == 0 else None) for n, stack in enumerate(result.stacks)]
    report = {"command": "chain", "input_size": list(result.input_size), "output_size": list(result.output_size),
              "depth": depth, "total": result.total, "layers": stacks[0]["layers"] if stacks else [],
              "alternatives": [{"layers": s["layers"]} for s in stacks[1:]]}
    if stacks and emit_as:
        report.update(emit=emit_as, code=stacks[0]["code"])
    emit(report, as_json, render_chain)


@click.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--emit", "emit_as", type=click.Choice(EMIT_CHOICES), default=None, help="print ready code for the decoder")
@json_option
def mirror(spec, emit_as, as_json):
    """The decoder that restores every size of an encoder SPEC (TOML or JSON) exactly."""
    from .mirror import load_encoder, mirror as derive
    from .render_design import render_mirror

    encoder = load_encoder(spec)
    levels = derive(encoder)
    decoder = [level.decoder for level in reversed(levels)]
    channels = [encoder.channels, *(layer.channels for layer in encoder.layers)]
    known = None if any(c is None for c in channels) else list(reversed(channels))
    report = {
        "command": "mirror", "source": spec, "input_size": list(encoder.input_size),
        "levels": [{"encoder": {"name": level.encoder_layer.name, "kernel_size": list(level.encoder_layer.kernel_size),
                                "stride": list(level.encoder_layer.stride), "padding": list(level.encoder_layer.padding),
                                "dilation": list(level.encoder_layer.dilation)},
                    "conv_input": list(level.conv_input), "conv_output": list(level.conv_output),
                    "decoder": _layer_row(level.decoder)} for level in levels],
        **_stack_report(decoder, known, emit_as),
    }
    emit(report, as_json, render_mirror)
