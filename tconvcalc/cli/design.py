"""``overlap``, ``figure``, ``compare``, ``chain`` and ``mirror``: designing an upsampling path.

``chain`` and ``mirror`` stay on the shape path (integers only); ``overlap``,
``compare`` and ``figure`` import NumPy (and matplotlib for pictures) when run.
"""

from __future__ import annotations

import click

from ..errors import ParameterError
from ..spec import Layer
from .options import (AXIS, emit_option, input_option, json_option, layer_options, ndim_option, output_option,
                      per_axis, picture_options, search_options)
from .output import emit


def _layer(ndim, **values) -> Layer:
    v = per_axis(ndim, **values)
    return Layer.from_pytorch(v["input_size"], v["kernel_size"], v["stride"], v["padding"], v["output_padding"],
                              v["dilation"])


def _write_pictures(draw, png: str | None, svg: str | None) -> None:
    """Draw once, then save each requested format; nothing is written if drawing fails."""
    if not (png or svg):
        return
    from .. import plots

    figure = draw(plots)
    for path in (png, svg):
        if path:
            plots.save(figure, path)


@click.command()
@layer_options
@click.option("--repeat", type=click.IntRange(min=1), default=1, show_default=True,
              help="stack the same layer this many times (each on the previous output)")
@ndim_option
@picture_options()
@json_option
def overlap(input_size, kernel_size, stride, padding, output_padding, dilation, repeat, ndim, png, svg, as_json):
    """How many (input, kernel-tap) pairs reach each output position: the checkerboard test."""
    from ..reports.design import overlap_report
    from .views.design import render_overlap

    layers = [_layer(ndim, input_size=input_size, kernel_size=kernel_size, stride=stride, padding=padding,
                     output_padding=output_padding, dilation=dilation)]
    for _ in range(repeat - 1):
        layers.append(_layer(ndim, input_size=layers[-1].output_size, kernel_size=kernel_size, stride=stride,
                             padding=padding, output_padding=output_padding, dilation=dilation))
    report = overlap_report(layers)
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
    layer = _layer(ndim, input_size=input_size, kernel_size=kernel_size, stride=stride, padding=padding,
                   output_padding=output_padding, dilation=dilation)
    _write_pictures(lambda plots: plots.grid_figure(layer), png, svg)
    click.echo(f"wrote {', '.join(p for p in (png, svg) if p)}")


@click.command()
@input_option
@click.option("--scale", type=click.IntRange(min=2), required=True, help="upsampling factor (the stride)")
@click.option("--channels", type=click.IntRange(min=1), default=64, show_default=True,
              help="channels in and out, for FLOPs and parameters")
@ndim_option
@json_option
def compare(input_size, scale, channels, ndim, as_json):
    """Transposed convolutions against resize-convolution and sub-pixel convolution, side by side."""
    from ..reports.design import compare_report
    from .views.design import render_compare

    emit(compare_report(per_axis(ndim, input_size=input_size)["input_size"], scale, channels), as_json,
         render_compare)


channels_option = click.option("--channels", type=AXIS, default=None,
                               help="channel counts along the stack, C0,C1,...,CL (for code, FLOPs, parameters)")


@click.command()
@input_option
@output_option
@click.option("--layers", "depth", type=click.IntRange(1, 12), required=True, help="how many transposed convolutions")
@search_options(limit=5)
@emit_option
@channels_option
@ndim_option
@json_option
def chain(input_size, output_size, depth, kernels, strides, max_padding, dilations, limit, uniform_only, emit_as,
          channels, ndim, as_json):
    """Stacks of --layers transposed convolutions from --in to --out, ranked as plan ranks layers."""
    from ..reports.design import chain_report
    from .views.design import render_chain

    v = per_axis(ndim, input_size=input_size, output_size=output_size)
    emit(chain_report(v["input_size"], v["output_size"], depth, kernels, strides, max_padding, dilations, limit,
                      uniform_only, channels, emit_as), as_json, render_chain)


@click.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@emit_option
@json_option
def mirror(spec, emit_as, as_json):
    """The decoder that restores every size of an encoder SPEC (TOML or JSON) exactly."""
    from ..reports.design import mirror_report
    from .views.design import render_mirror

    emit(mirror_report(spec, emit_as), as_json, render_mirror)
