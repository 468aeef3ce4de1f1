"""The ``tconvcalc`` command line: one table of commands, loaded only when one runs.

Each command is a thin click function in a module of this package (by family:
``shape``, ``convert``, ``check``, ``symbolic``, ``design``) over a pure report
function in :mod:`tconvcalc.reports`; its terminal view is in :mod:`tconvcalc.cli.views`.
``COMMANDS`` names every command's module and carries its short help, so
``tconvcalc --help`` lists them without importing any (nor SymPy or NumPy).

Every failure a user can cause ends as one line ``Error: ...`` on stderr: exit 2
for bad input (:class:`~tconvcalc.errors.ParameterError`), 3 for a missing program
or package (:class:`~tconvcalc.errors.NotInstalledError`), 1 for anything else the
tool cannot do; never a traceback - a bug, too, is one line asking for a report
(``TCONVCALC_DEBUG=1`` shows its traceback).
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from ..errors import TconvcalcError
from .options import EXAMPLES

# name -> ("module:function", the command's short help: the first line of its docstring)
COMMANDS: dict[str, tuple[str, str]] = {
    "shape": ("tconvcalc.cli.shape:shape", "Output size of a transposed convolution, every output_padding, and "
                                           "the layer line."),
    "conv": ("tconvcalc.cli.shape:conv", "Forward convolution size, and every input size that gives the same "
                                         "output."),
    "plan": ("tconvcalc.cli.shape:plan", "Every (k, s, p, op, d) that maps --in to --out, best first."),
    "convert": ("tconvcalc.cli.convert:convert", "A layer in one framework's parameters, written exactly in "
                                                 "another's."),
    "check": ("tconvcalc.cli.check:check", "Run every numeric route on random inputs and compare them with each "
                                           "other and PyTorch."),
    "latex": ("tconvcalc.cli.symbolic:latex", "LaTeX for notes: size derivation, C and Cᵀ, formulas, equivalence, "
                                              "table, figure."),
    "matrix": ("tconvcalc.cli.symbolic:matrix", "C of the convolution of --in (conv_arithmetic's view), or Cᵀ with "
                                                "--transpose."),
    "derive": ("tconvcalc.cli.symbolic:derive", "Derivations step by step, with SymPy's proofs (in general, and on the "
                                                "given sizes)."),
    "overlap": ("tconvcalc.cli.design:overlap", "How many (input, kernel-tap) pairs reach each output position: "
                                                "the checkerboard test."),
    "animate": ("tconvcalc.cli.animate:animate", "Animated frames of a layer in conv_arithmetic's style (scatter, "
                                                 "direct, phases), and the gallery."),
    "figure": ("tconvcalc.cli.design:figure", "Grid diagram (input, zero-inserted and padded input, kernel, output) "
                                              "as PNG or SVG."),
    "compare": ("tconvcalc.cli.design:compare", "Transposed convolutions against resize-convolution and sub-pixel "
                                                "convolution, side by side."),
    "chain": ("tconvcalc.cli.design:chain", "Stacks of --layers transposed convolutions from --in to --out, ranked "
                                            "as plan ranks layers."),
    "mirror": ("tconvcalc.cli.design:mirror", "The decoder that restores every size of an encoder SPEC (TOML or "
                                              "JSON) exactly."),
    "explore": ("tconvcalc.cli.explore:explore", "One self-contained HTML page where a layer's sizes, output_padding, "
                                                 "scatter and code change as you type."),
    "rewrite": ("tconvcalc.cli.rewrite:rewrite", "Every ConvTranspose of an ONNX model or PyTorch code rewritten "
                                                 "exactly into Conv, depth to space and crops."),
    "checkerboard": ("tconvcalc.cli.checkerboard:checkerboard", "Checkerboard in a model's weights (ONNX, Keras, "
                                                                 "PyTorch code): every transposed and sub-pixel "
                                                                 "convolution."),
    "net": ("tconvcalc.cli.net:net", "A whole network (spec, ONNX, Keras or PyTorch): sizes per layer, the sizes it "
                                     "accepts, the fix."),
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
    """A group that loads each command from ``COMMANDS`` when it runs and turns every failure into one line."""

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module, _, attr = COMMANDS[name][0].partition(":")
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx, formatter):
        # The table's short help: listing the commands imports none of them.
        limit = formatter.width - 6 - max(map(len, COMMANDS))
        with formatter.section("Commands"):
            formatter.write_dl([(name, click.Command(name, help=COMMANDS[name][1]).get_short_help_str(limit))
                                for name in self.list_commands(ctx)])

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            code = super().main(args, prog_name or "tconvcalc", complete_var, standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as error:
            click.echo(error.ctx.get_help())  # bare `tconvcalc`: what it can do, not an error
            sys.exit(0)
        except click.ClickException as error:
            click.echo(f"Error: {_sentence(error)}", err=True)
            sys.exit(2)
        except TconvcalcError as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(error.exit_status)
        except click.Abort:
            click.echo("Error: aborted", err=True)
            sys.exit(130)
        except BrokenPipeError:
            # The reader stopped early (`| head`): its choice, not a failure.  Point stdout at
            # /dev/null so the interpreter's final flush does not fail again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except MemoryError as error:
            # Every command bounds its work first; a request that still exhausts memory gets one line.
            asked = str(error) or "more memory than is free"
            click.echo(f"Error: out of memory ({asked}), the request must fit in this machine's memory; "
                       f"use smaller sizes", err=True)
            sys.exit(2)
        except Exception as error:  # a bug: still one line, and the traceback on request
            if os.environ.get("TCONVCALC_DEBUG"):
                raise
            said = " ".join(str(error).split())
            click.echo(f"Error: internal error ({type(error).__name__}: {said}), a bug in tconvcalc; please "
                       f"report it with the command you ran (TCONVCALC_DEBUG=1 shows the traceback)", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=CommandLine, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tconvcalc")
def cli():
    """Shapes, derivations and code for transposed convolutions.

    Start with: tconvcalc shape --in 2 --k 3 --s 2
    """


def main() -> None:
    cli.main()
