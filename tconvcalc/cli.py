"""The ``tconvcalc`` command line.

The shape path (``shape``, ``conv``, ``plan``) lives here and imports only the
integer modules, click and rich.  Commands that need SymPy or NumPy are named
in ``LAZY_COMMANDS`` and imported only when called.  Every failure a user can
cause ends as one line ``Error: ...`` on stderr and exit status 2.
"""

from __future__ import annotations

import importlib
import json
import sys

import click

from .options import AXIS, EXAMPLES, RANGE, json_option, layer_options
from .spec import ParameterError, broadcast

# With only single values, a layer is 2-D: images are what most people upsample.
DEFAULT_NDIM = 2

# name -> "module:function" for commands whose modules are heavy to import.
LAZY_COMMANDS: dict[str, str] = {
    "overlap": "tconvcalc.commands_design:overlap",
    "figure": "tconvcalc.commands_design:figure",
    "compare": "tconvcalc.commands_design:compare",
    "chain": "tconvcalc.commands_design:chain",
    "mirror": "tconvcalc.commands_design:mirror",
    "latex": "tconvcalc.commands_symbolic:latex",
    "matrix": "tconvcalc.commands_symbolic:matrix",
    "derive": "tconvcalc.commands_symbolic:derive",
    "check": "tconvcalc.commands_numeric:check",
    "convert": "tconvcalc.commands_convert:convert",
}


def _sentence(error: click.ClickException) -> str:
    """click's message, made into what/rule/fix where click leaves a part out."""
    ctx = getattr(error, "ctx", None)
    where = ctx.command_path if ctx else "tconvcalc"
    if isinstance(error, click.MissingParameter) and error.param is not None:
        flags = " / ".join(error.param.opts)
        example = EXAMPLES.get(error.param.name, flags.split(" / ")[0] + " VALUE")
        return f"missing option {flags}, '{where}' needs it; add it, e.g. {example}"
    if isinstance(error, click.NoSuchOption):
        hint = f" (did you mean {', '.join(error.possibilities)}?)" if error.possibilities else ""
        return f"no such option {error.option_name} for '{where}'{hint}; see '{where} --help' for its options"
    message = error.format_message().rstrip(".")
    if message.startswith("No such command") and ctx is not None:
        return f"{message}, tconvcalc has {', '.join(ctx.command.list_commands(ctx))}; pick one of those"
    if "; " in message:  # our own types already say how to fix it
        return message
    return f"{message}; see '{where} --help'"


class CommandLine(click.Group):
    """A group that loads heavy commands lazily and turns every user error into one line."""

    def list_commands(self, ctx):
        return sorted([*super().list_commands(ctx), *LAZY_COMMANDS])

    def get_command(self, ctx, name):
        if name in LAZY_COMMANDS:
            module, _, attr = LAZY_COMMANDS[name].partition(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            code = super().main(args, prog_name or "tconvcalc", complete_var, standalone_mode=False, **extra)
        except click.ClickException as error:
            click.echo(f"Error: {_sentence(error)}", err=True)
            sys.exit(2)
        except ParameterError as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(2)
        except click.Abort:
            click.echo("Error: aborted", err=True)
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)


def emit(report: dict, as_json: bool, render) -> None:
    """One JSON object on stdout, or the rich view of the same report."""
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
        return
    from rich.console import Console

    render(report, Console(highlight=False))


def per_axis(ndim: int | None, **values: tuple[int, ...]) -> dict[str, tuple[int, ...]]:
    """Broadcast single values to the layer's axes: comma lists fix the count, else ``--ndim`` or 2-D."""
    counts = {len(v) for v in values.values() if len(v) > 1}
    n = ndim or (max(counts) if counts else DEFAULT_NDIM)
    _, out = broadcast(**{name: v * n if len(v) == 1 else v for name, v in values.items()})
    return out


ndim_option = click.option(
    "--ndim", type=click.IntRange(1, 3), default=None,
    help="number of spatial axes when every value is single [default: 2, or the length of a comma list]")


@click.group(cls=CommandLine, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tconvcalc")
def cli():
    """Shapes, derivations and code for transposed convolutions.

    Start with: tconvcalc shape --in 2 --k 3 --s 2
    """


def framework_options(func):
    """``shape --framework F`` takes F's own parameters, named as ``convert --from F`` names them."""
    for decorator in reversed([
        click.option("--framework", default="pytorch", show_default=True, metavar="NAME",
                     help="read the layer in this framework's dialect: pytorch, tensorflow, keras, onnx, jax"),
        click.option("--output-shape", type=AXIS, default=None, help="tensorflow/onnx: spatial output shape"),
        click.option("--pads", type=AXIS, default=None, help="onnx: all begins, then all ends"),
        click.option("--auto-pad", default=None, help="onnx: NOTSET, SAME_UPPER, SAME_LOWER or VALID"),
        click.option("--transpose-kernel/--no-transpose-kernel", default=None, help="jax: transpose_kernel"),
        click.option("--groups", type=click.IntRange(min=1), default=None, help="pytorch groups / onnx group"),
    ]):
        func = decorator(func)
    return func


def _text(value) -> str | None:
    """Per-axis ints back to the comma text a framework option is written in."""
    return ",".join(map(str, value)) if isinstance(value, tuple) else value


@cli.command()
@layer_options(words=True)
@click.option("--target", type=AXIS, default=None,
              help="output size wanted; solves output_padding (PyTorch's forward(output_size=...))")
@framework_options
@ndim_option
@json_option
@click.pass_context
def shape(ctx, input_size, kernel_size, stride, padding, output_padding, dilation, target, framework,
          output_shape, pads, auto_pad, transpose_kernel, groups, ndim, as_json):
    """Output size of a transposed convolution, every output_padding, and the layer line."""
    from .conventions import framework_name

    framework = framework_name(framework)
    if framework != "pytorch":
        # Another framework's dialect: read it into the crop model, then write it for PyTorch.
        from .commands_convert import convert_report, render_convert

        if target is not None:
            raise ParameterError(f"--target solves PyTorch's output_padding, {framework} sizes its output by its "
                                 f"own options; drop --target or use --output-shape")
        given = {"padding": _text(padding) if ctx.get_parameter_source("padding").name == "COMMANDLINE" else None,
                 "output_padding": (_text(output_padding)
                                    if ctx.get_parameter_source("output_padding").name == "COMMANDLINE" else None)}
        report = convert_report(framework, "pytorch", input_size, kernel_size, ndim, strides=stride,
                                dilations=dilation, output_shape=output_shape, pads=pads, auto_pad=auto_pad,
                                transpose_kernel=transpose_kernel, groups=groups, **given)
        emit({**report, "command": "shape", "framework": framework}, as_json, render_convert)
        return
    for flag, value in (("--output-shape", output_shape), ("--pads", pads), ("--auto-pad", auto_pad),
                        ("--transpose-kernel", transpose_kernel), ("--groups", groups)):
        if value is not None:
            raise ParameterError(f"{flag} is not a PyTorch option, shape reads PyTorch's padding and "
                                 f"output_padding unless told otherwise; add --framework with the framework "
                                 f"{flag} belongs to")
    for name, value in (("padding", padding), ("output_padding", output_padding)):
        if isinstance(value, str):
            raise ParameterError(f"{name}={value!r} is not PyTorch's, PyTorch's {name} is whole numbers per axis; "
                                 f"give ints, or add --framework keras/tensorflow/onnx/jax for that dialect")

    from .reports import shape_report
    from .render import render_shape

    if target is not None and ctx.get_parameter_source("output_padding").name == "COMMANDLINE":
        raise ParameterError("--op and --target both choose output_padding, only one may; drop --op "
                             "and --target solves it, or drop --target")
    extra = {"target": target} if target is not None else {}
    v = per_axis(ndim, input_size=input_size, kernel_size=kernel_size, stride=stride, padding=padding,
                 output_padding=output_padding, dilation=dilation, **extra)
    emit(shape_report(v["input_size"], v["kernel_size"], v["stride"], v["padding"], v["output_padding"],
                      v["dilation"], v.get("target")), as_json, render_shape)


@cli.command()
@layer_options(output_padding=False)
@ndim_option
@json_option
def conv(input_size, kernel_size, stride, padding, dilation, ndim, as_json):
    """Forward convolution size, and every input size that gives the same output."""
    from .reports import conv_report
    from .render import render_conv

    v = per_axis(ndim, input_size=input_size, kernel_size=kernel_size, stride=stride, padding=padding,
                 dilation=dilation)
    emit(conv_report(**v), as_json, render_conv)


@cli.command()
@click.option("--in", "--input-size", "input_size", type=AXIS, required=True, help="input size, per axis")
@click.option("--out", "--output-size", "output_size", type=AXIS, required=True, help="output size wanted, per axis")
@click.option("--k", "--kernel-size", "kernels", type=RANGE, default="1-8", show_default=True,
              help="kernel sizes to try: 1-7, 2,4 or 3")
@click.option("--s", "--stride", "strides", type=RANGE, default="1-8", show_default=True, help="strides to try")
@click.option("--max-p", "--max-padding", "max_padding", type=click.IntRange(min=0), default=8,
              show_default=True, help="largest padding to try")
@click.option("--d", "--dilation", "dilations", type=RANGE, default="1", show_default=True,
              help="dilations to try")
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True, help="how many layers to list")
@click.option("--no-checkerboard", is_flag=True, help="only layers whose overlap is uniform")
@ndim_option
@json_option
def plan(input_size, output_size, kernels, strides, max_padding, dilations, limit, no_checkerboard, ndim,
         as_json):
    """Every (k, s, p, op, d) that maps --in to --out, best first."""
    from .planner import plan as search
    from .render import render_plan
    from .reports import plan_report

    v = per_axis(ndim, input_size=input_size, output_size=output_size)
    result = search(v["input_size"], v["output_size"], kernels, strides, max_padding, dilations, limit,
                    no_checkerboard)
    bounds = {"kernel_size": list(kernels), "stride": list(strides), "max_padding": max_padding,
              "dilation": list(dilations), "uniform_only": no_checkerboard}
    emit(plan_report(result, bounds), as_json, render_plan)


def main() -> None:
    cli.main()
