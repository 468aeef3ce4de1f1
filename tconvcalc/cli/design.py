"""``overlap``, ``figure``, ``compare``, ``chain`` and ``mirror``: designing an upsampling path.

``chain`` and ``mirror`` stay on the shape path (integers only); ``overlap``,
``compare`` and ``figure`` import NumPy (and matplotlib for pictures) when run.
"""

from __future__ import annotations

import click

from ..errors import ParameterError
from .options import (FilePath, channels_option, emit_option, input_option, json_option, layer_from, layer_options,
                      ndim_option, output_option, per_axis, picture_options, search_options)
from .output import announce, emit, progress, write_files


def _picture_targets(png: str | None, svg: str | None) -> dict[str, str]:
    """``{format: path}`` of the pictures asked for, checked before anything is drawn."""
    targets = {}
    for fmt, path in (("png", png), ("svg", svg)):
        if path is None:
            continue
        if not path.lower().endswith(f".{fmt}"):
            raise ParameterError(f"--{fmt} {path} does not end in .{fmt}, --{fmt} writes {fmt.upper()}; "
                                 f"name the file picture.{fmt}, or use --{'svg' if fmt == 'png' else 'png'}")
        targets[fmt] = path
    return targets


def _write_pictures(draw, targets: dict[str, str]) -> list:
    """Draw once and write each format, all or none of them."""
    if not targets:
        return []
    from ..pictures import plots

    figure = draw(plots)
    return write_files({path: plots.render(figure, fmt) for fmt, path in targets.items()})


@click.command()
@layer_options
@click.option("--repeat", type=click.IntRange(min=1), default=1, show_default=True,
              help="stack the same layer this many times (each on the previous output)")
@ndim_option
@picture_options()
@json_option
def overlap(input_size, kernel_size, stride, padding, output_padding, dilation, repeat, ndim, png, svg, as_json):
    """How many (input, kernel-tap) pairs reach each output position: the checkerboard test."""
    targets = _picture_targets(png, svg)
    from ..reports.design import overlap_report
    from .views.design import render_overlap

    report = overlap_report(layer_from(ndim, input_size, kernel_size, stride, padding, output_padding, dilation),
                            repeat)
    written = _write_pictures(lambda plots: plots.overlap_figure(report), targets)
    emit(report, as_json, render_overlap)
    announce(written)


@click.command()
@layer_options
@ndim_option
@picture_options(required=True)
def figure(input_size, kernel_size, stride, padding, output_padding, dilation, ndim, png, svg):
    """Grid diagram (input, zero-inserted and padded input, kernel, output) as PNG or SVG."""
    targets = _picture_targets(png, svg)
    if not targets:
        raise ParameterError("no file to write, figure draws a picture into --png or --svg; add --png grid.png")
    layer = layer_from(ndim, input_size, kernel_size, stride, padding, output_padding, dilation)
    announce(_write_pictures(lambda plots: plots.grid_figure(layer), targets))


@click.command()
@input_option
@click.option("--scale", type=click.IntRange(min=2), required=True, help="upsampling factor (the stride)")
@channels_option("channels in,out (one value: both), for FLOPs and parameters [default: 64]")
@ndim_option
@json_option
def compare(input_size, scale, channels, ndim, as_json):
    """Transposed convolutions against resize-convolution and sub-pixel convolution, side by side."""
    from ..reports.design import compare_report
    from .views.design import render_compare

    emit(compare_report(per_axis(ndim, input_size=input_size)["input_size"], scale, channels or 64), as_json,
         render_compare)


@click.command()
@input_option
@output_option
@click.option("--layers", "--depth", "depth", type=click.IntRange(1, 12), required=True,
              help="how many transposed convolutions (the JSON's depth)")
@search_options(limit=5)
@emit_option
@channels_option("channel counts along the stack, C0,C1,...,CL (for code, FLOPs, parameters)")
@ndim_option
@json_option
def chain(input_size, output_size, depth, kernels, strides, max_padding, dilations, limit, uniform_only, emit_as,
          channels, ndim, as_json):
    """Stacks of --layers transposed convolutions from --in to --out, ranked as plan ranks layers."""
    from ..reports.design import chain_report
    from .views.design import render_chain

    v = per_axis(ndim, input_size=input_size, output_size=output_size)
    with progress("searching stacks") as report_progress:
        report = chain_report(v["input_size"], v["output_size"], depth, kernels, strides, max_padding, dilations,
                              limit, uniform_only, channels, emit_as, report_progress)
    emit(report, as_json, render_chain)


@click.command()
@click.argument("spec", type=FilePath("encoder.toml"))
@emit_option
@json_option
def mirror(spec, emit_as, as_json):
    """The decoder that restores every size of an encoder SPEC (TOML or JSON) exactly."""
    from ..reports.design import mirror_report
    from .views.design import render_mirror

    emit(mirror_report(spec, emit_as), as_json, render_mirror)
