"""``tconvcalc convert``: a transposed convolution from one framework's parameters to another's."""

from __future__ import annotations

import click

from ..conventions import FRAMEWORKS
from .frameworks import report_from_text
from .options import (AXIS, channels_option, framework_layer_options, input_option, json_option, kernel_option,
                      ndim_option)
from .output import emit


@click.command()
@click.option("--from", "source", required=True, metavar="FRAMEWORK",
              help=f"framework the parameters are written in: {', '.join(FRAMEWORKS)}")
@click.option("--to", "target", required=True, metavar="FRAMEWORK", help="framework to write the layer in")
@input_option
@kernel_option
@click.option("--strides", "--stride", "--s", "strides", type=AXIS, default=None, help="strides [default: 1]")
@click.option("--dilations", "--dilation", "--dilation-rate", "--rhs-dilation", "--d", "dilations", type=AXIS,
              default=None, help="dilations [default: 1]")
@click.option("--padding", "--p", default=None,
              help="pytorch: ints; tensorflow: SAME/VALID; keras: same/valid; jax: SAME/VALID or lo:hi,lo:hi")
@click.option("--output-padding", "--op", default=None, help="pytorch/onnx: ints; keras: ints or none")
@click.option("--output-size", type=AXIS, default=None, help="pytorch: forward(output_size=...)")
@framework_layer_options
@channels_option("input,output channels C_in,C_out written into the code (one value: both; --groups must divide "
                 "both) [default: the framework's placeholders]")
@ndim_option
@json_option
def convert(source, target, input_size, kernel_size, strides, dilations, padding, output_padding, output_size,
            output_shape, pads, auto_pad, transpose_kernel, groups, channels, ndim, as_json):
    """A layer in one framework's parameters, written exactly in another's.

    Example: tconvcalc convert --from tensorflow --to pytorch --in 4 --k 3 --strides 2 --padding SAME
    --output-shape 8 --channels 16,8
    """
    from .views.convert import render_convert

    report = report_from_text(source, target, input_size, kernel_size, ndim, padding=padding,
                              output_padding=output_padding, output_shape=output_shape, output_size=output_size,
                              pads=pads, auto_pad=auto_pad, transpose_kernel=transpose_kernel, groups=groups,
                              strides=strides, dilations=dilations, channels=channels)
    emit(report, as_json, render_convert)
