"""``tconvcalc shape``, ``conv`` and ``plan``: the shape path (integers, click and rich only)."""

from __future__ import annotations

import click

from ..errors import ParameterError
from .options import (AXIS, channels_option, framework_layer_options, input_option, json_option, layer_options,
                      ndim_option, output_option, per_axis, search_options)
from .output import emit, progress


def _given(ctx, name: str) -> bool:
    return ctx.get_parameter_source(name).name == "COMMANDLINE"


def _text(value) -> str | None:
    """Per-axis ints back to the comma text a framework option is written in."""
    return ",".join(map(str, value)) if isinstance(value, tuple) else value


@click.command()
@layer_options(words=True)
@click.option("--target", type=AXIS, default=None,
              help="output size wanted; solves output_padding (PyTorch's forward(output_size=...))")
@click.option("--framework", default="pytorch", show_default=True, metavar="NAME",
              help="read the layer in this framework's dialect: pytorch, tensorflow, keras, onnx, jax")
@framework_layer_options
@channels_option("input,output channels (one value: both): adds the cost per sample and fills the layer line")
@ndim_option
@json_option
@click.pass_context
def shape(ctx, input_size, kernel_size, stride, padding, output_padding, dilation, target, framework,
          output_shape, pads, auto_pad, transpose_kernel, groups, channels, ndim, as_json):
    """Output size of a transposed convolution, every output_padding, and the layer line."""
    from ..conventions import framework_name

    framework = framework_name(framework)
    if framework != "pytorch":
        # Another framework's dialect: read it into the crop model, then write it for PyTorch.
        from .frameworks import report_from_text
        from .views.convert import render_convert

        if target is not None:
            raise ParameterError(f"--target solves PyTorch's output_padding, {framework} sizes its output by its "
                                 f"own options; drop --target or use --output-shape")
        if channels is not None:
            raise ParameterError(f"--channels counts the cost of shape's PyTorch layer, and --framework {framework} "
                                 f"answers with the conversion; drop --framework, giving the PyTorch layer it prints")
        report = report_from_text(framework, "pytorch", input_size, kernel_size, ndim, "shape", strides=stride,
                                  dilations=dilation, output_shape=output_shape, pads=pads, auto_pad=auto_pad,
                                  transpose_kernel=transpose_kernel, groups=groups,
                                  padding=_text(padding) if _given(ctx, "padding") else None,
                                  output_padding=_text(output_padding) if _given(ctx, "output_padding") else None)
        emit(report, as_json, render_convert)
        return
    for flag, value in (("--output-shape", output_shape), ("--pads", pads), ("--auto-pad", auto_pad),
                        ("--transpose-kernel", transpose_kernel)):
        if value is not None:
            raise ParameterError(f"{flag} is not a PyTorch option, shape reads PyTorch's padding and "
                                 f"output_padding unless told otherwise; add --framework with the framework "
                                 f"{flag} belongs to")
    if groups is not None and channels is None:
        raise ParameterError("--groups does not change a PyTorch layer's size, it shares out the channels of the cost; "
                             "add --channels CIN,COUT, or drop --groups")
    if channels is not None:
        channels = _channel_pair(channels)
    for name, value in (("padding", padding), ("output_padding", output_padding)):
        if isinstance(value, str):
            raise ParameterError(f"{name}={value!r} is not PyTorch's, PyTorch's {name} is whole numbers per axis; "
                                 f"give ints, or add --framework keras/tensorflow/onnx/jax for that dialect")
    if target is not None and _given(ctx, "output_padding"):
        raise ParameterError("--op and --target both choose output_padding, only one may; drop --op "
                             "and --target solves it, or drop --target")
    from ..reports.shape import shape_report
    from .views.shape import render_shape

    v = per_axis(ndim, input_size=input_size, kernel_size=kernel_size, stride=stride, padding=padding,
                 output_padding=output_padding, dilation=dilation, **({} if target is None else {"target": target}))
    emit(shape_report(v["input_size"], v["kernel_size"], v["stride"], v["padding"], v["output_padding"],
                      v["dilation"], v.get("target"), channels, groups or 1), as_json, render_shape)


def _channel_pair(channels: tuple) -> tuple[int, int]:
    """``--channels`` as (in, out): one value is both."""
    if len(channels) not in (1, 2):
        raise ParameterError(f"--channels has {len(channels)} values, it is input,output channels; write e.g. "
                             f"--channels 64,32 or --channels 64")
    return (channels * 2)[:2] if len(channels) == 1 else channels


@click.command()
@layer_options(output_padding=False)
@ndim_option
@json_option
def conv(input_size, kernel_size, stride, padding, dilation, ndim, as_json):
    """Forward convolution size, and every input size that gives the same output."""
    from ..reports.shape import conv_report
    from .views.shape import render_conv

    v = per_axis(ndim, input_size=input_size, kernel_size=kernel_size, stride=stride, padding=padding,
                 dilation=dilation)
    emit(conv_report(**v), as_json, render_conv)


@click.command()
@input_option
@output_option
@search_options(limit=10)
@ndim_option
@json_option
def plan(input_size, output_size, kernels, strides, max_padding, dilations, limit, uniform_only, ndim, as_json):
    """Every (k, s, p, op, d) that maps --in to --out, best first."""
    from ..reports.shape import plan_report
    from .views.shape import render_plan

    v = per_axis(ndim, input_size=input_size, output_size=output_size)
    with progress("searching layers") as report_progress:
        report = plan_report(v["input_size"], v["output_size"], kernels, strides, max_padding, dilations, limit,
                             uniform_only, report_progress)
    emit(report, as_json, render_plan)
