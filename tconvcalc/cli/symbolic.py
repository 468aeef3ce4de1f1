"""``tconvcalc latex``, ``matrix`` and ``derive``: the symbolic commands.

SymPy is imported only inside the commands, so ``--help`` at any level stays light.
A failed proof would be a bug in the tool: those commands then exit 1 so scripts notice.
"""

from __future__ import annotations

import importlib
import sys
import types
from contextlib import contextmanager
from functools import partial, wraps
from pathlib import Path

import click

from ..errors import ParameterError
from ..model.arithmetic import conv_layer, conv_of
from ..model.structure import check_dense
from ..notes import DEFAULT_SECTIONS, SECTIONS, sections
from .options import (FilePath, channels_option, check_labels, check_one_format, format_options, full_option,
                      groups_option, json_option, layer_from, layer_options, markdown_option, ndim_option, notes_format,
                      notes_options, per_axis, symbol_option, typst_option)
from .output import announce, echo_text, emit, write_files
from .ahead import Ahead


def _gradient_checks(layer, output_padding) -> list[dict]:
    """``derive gradient``'s NumPy checks (imported here, in the process that runs them)."""
    from ..numeric.gradient import gradient_checks

    return gradient_checks(layer, output_padding)


def _measure_inverse(layer):
    """``derive inverse``'s measurement (NumPy, imported here, in the process that runs it)."""
    from ..numeric.inverse import measure_inverse

    return measure_inverse(layer)


# Two SymPy modules that SymPy imports on first use only to ask whether an object is one of theirs: Add's
# constructor asks about tensor expressions (sympy.tensor.tensor, 15 ms with the combinatorics it loads) and the
# pretty printer about physical quantities (sympy.physics.units, 50 ms) - a third of SymPy's own import.
_ASKED_ONLY = {"sympy.tensor.tensor": ("TensExpr", "TensAdd"), "sympy.physics.units": ("Quantity",)}


def _real_attribute(module: str, attribute: str):
    """Any other name asked of a stand-in (``from sympy.physics.units import Unit``): the real module is imported in
    its place, and answers.  Dunders are simply absent, as on a plain module: ``__path__`` (the import system asks
    for it at every ``from … import``) and ``__file__`` (tools walking ``sys.modules`` ask for it)."""
    if attribute.startswith("__"):
        raise AttributeError(attribute)
    sys.modules.pop(module, None)
    return getattr(importlib.import_module(module), attribute)


@contextmanager
def lean_sympy():
    """While a command runs, each module of ``_ASKED_ONLY`` that nothing has imported is a stand-in whose classes
    nothing is an instance of.  That is the true answer: no object of a module that was never imported can
    exist.  A module already imported is left as it is, and the stand-ins are removed afterwards (the command
    line only: the library never does this)."""
    placed = {}
    for name, classes in _ASKED_ONLY.items():
        if name not in sys.modules:
            module = types.ModuleType(name, f"stands in for {name} while tconvcalc's command runs")
            for cls in classes:
                setattr(module, cls, type(cls, (), {"__module__": name}))
            module.__getattr__ = partial(_real_attribute, name)
            sys.modules[name] = placed[name] = module
    try:
        yield
    finally:
        for name, module in placed.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]


def lean(command):
    """A command's function run under :func:`lean_sympy`."""
    @wraps(command)
    def run(*args, **kwargs):
        with lean_sympy():
            return command(*args, **kwargs)

    return run


@click.command()
@layer_options(input_help="the transposed convolution's input size i, per axis (its output is o)")
@ndim_option
@click.option("--what", default=None, metavar="SECTIONS",
              help=f"comma list of sections: {','.join(SECTIONS)} [default: {','.join(DEFAULT_SECTIONS)}]")
@click.option("--figure", is_flag=True, help="add the TikZ figure (1-D and 2-D)")
@full_option
@click.option("--standalone", is_flag=True, help="a complete document (amsmath, amssymb, booktabs, tikz; ctex for zh)")
@markdown_option
@typst_option
@notes_options
@click.option("--title", default=None, help="a heading for the fragment (escaped)")
@symbol_option
@click.option("-o", "--output", "output", type=FilePath("notes.tex", path_type=Path), default=None,
              help="write to FILE instead of stdout")
@click.option("--pdf", is_flag=True,
              help="also compile FILE.pdf (needs -o): pdflatex or lualatex, xelatex for zh (with --typst: the typst "
                   "package); without --standalone the fragment is compiled through FILE-standalone.tex (.typ), "
                   "written beside it, which \\input's (#include's) it")
@json_option
@lean
def latex(input_size, kernel_size, stride, padding, output_padding, dilation, ndim, what, figure, full,
          standalone, markdown, typst, lang, numbered, label_prefix, verbose, title, symbol, output, pdf, as_json):
    """LaTeX for notes: size derivation, C and Cᵀ, formulas, equivalence, table, figure."""
    check_one_format(False, markdown, typst)
    if pdf and markdown:
        raise ParameterError("--pdf and --markdown both set, a PDF is compiled from LaTeX or Typst; drop --markdown")
    suffix, kind = (".typ", "Typst") if typst else (".tex", "LaTeX")
    if pdf and output is None:
        raise ParameterError(f"--pdf needs -o FILE, the PDF is written next to the {suffix}; add e.g. -o notes{suffix}")
    if output is not None and output.suffix.lower() == ".pdf" and not pdf:
        raise ParameterError(f"-o {output} names a PDF but without --pdf the output is {kind}; add --pdf (the source "
                             f"goes to {output.with_suffix(suffix)}) or name the file {output.with_suffix(suffix)}")
    check_labels(markdown, numbered, label_prefix)
    layer = layer_from(ndim, input_size, kernel_size, stride, padding, output_padding, dilation)
    chosen = sections(what, figure)
    from ..reports.symbolic import LatexReport, notes

    # -o x.pdf --pdf: the source is kept as x.tex beside it (the PDF is always FILE.pdf of the .tex)
    source = output.with_suffix(suffix) if pdf and output.suffix.lower() == ".pdf" else output
    document = notes(layer, chosen, full=full, markdown=markdown, title=title, symbol=symbol,
                     standalone=standalone, pdf=pdf, lang=lang, numbered=numbered, label_prefix=label_prefix,
                     verbose=verbose, input_name=source.stem if source is not None else "notes", typst=typst)
    pdf_path = source.with_suffix(".pdf") if pdf else None
    wrapper_path = source.with_name(f"{source.stem}-standalone{suffix}") if document.wrapper else None
    written = write_files({source: document.text, wrapper_path: document.wrapper, pdf_path: document.pdf})
    if as_json:
        emit(LatexReport("latex", "markdown" if markdown else "typst" if typst else "latex", chosen, standalone,
                         str(source) if source else None, str(pdf_path) if pdf_path else None, document.text,
                         document.proved), True)
    elif output is None:
        echo_text(document.text)
    else:
        announce(written)
    if not document.proved:
        sys.exit(1)


@click.command()
@layer_options(output_padding=False, input_help="the convolution's input size, per axis (C's columns; the transposed "
                                                "convolution's output)")
@ndim_option
@click.option("--transpose", is_flag=True, help="show Cᵀ, the transposed convolution")
@click.option("--format", "fmt", type=click.Choice(["text", "latex", "markdown", "json"]), default="text",
              show_default=True, help="terminal view, LaTeX, Markdown or JSON")
@channels_option("channels of the convolution, in,out (one value: both) [default: 1]")
@groups_option()
@full_option
@symbol_option
@json_option
@lean
def matrix(input_size, kernel_size, stride, padding, dilation, ndim, transpose, fmt, channels, groups, full, symbol,
           as_json):
    """C of the convolution of --in (conv_arithmetic's view), or Cᵀ with --transpose."""
    from ..reports.symbolic import conv_operator, matrix_report, matrix_text
    from .views.symbolic import render_matrix

    op = conv_operator(*per_axis(ndim, input_size=input_size, kernel_size=kernel_size, stride=stride,
                                 padding=padding, dilation=dilation).values(), channels, groups, symbol)
    if fmt in ("latex", "markdown") and not as_json:
        click.echo(matrix_text(op, transpose, full, markdown=fmt == "markdown"))
    else:
        emit(matrix_report(op, transpose), as_json or fmt == "json", render_matrix)


# derive's subcommands and their short help; the derivations are in tconvcalc.symbolic.derivations
DERIVE_COMMANDS = {
    "size": "The output-size formula from the scatter's index range, with values.",
    "equivalence": "The equivalent direct convolution (zero insertion, padding, flipped kernel).",
    "ambiguity": "Valid output_padding and the conv input sizes that share one output size.",
    "phases": "The sub-pixel (phase) decomposition and its tap counts (checkerboard).",
    "formulas": "Each output y_j as its sum of w·x terms, closed form and expanded.",
    "gradient": "A convolution's gradients: ∂L/∂x = Cᵀg with its output_padding, ∂L/∂w, and the converse.",
}


def _derive_command(name: str, help_text: str):
    @click.command(name=name, help=help_text)
    @layer_options(input_help="the transposed convolution's input size i, per axis")
    @ndim_option
    @format_options
    @notes_options
    @json_option
    @lean
    def command(input_size, kernel_size, stride, padding, output_padding, dilation, ndim, as_latex, markdown, typst,
                lang, numbered, label_prefix, verbose, as_json):
        options = notes_format(as_latex, markdown, lang, numbered, label_prefix, verbose, typst)
        from ..reports.symbolic import derivation_report, derivation_text
        from .views.symbolic import render_derivation

        layer = layer_from(ndim, input_size, kernel_size, stride, padding, output_padding, dilation)
        if as_latex or markdown or typst:
            report = derivation_text(name, layer, markdown, **options)
            emit(report, as_json, lambda r, console: echo_text(r.text))
        else:
            report = derivation_report(name, layer, printed=as_json)
            emit(report, as_json, render_derivation)
        if not report.proved:
            sys.exit(1)

    return command


@click.group(invoke_without_command=True)
@click.pass_context
def derive(ctx):
    """Derivations step by step, with SymPy's proofs (in general, and on the given sizes)."""
    if ctx.invoked_subcommand is None:  # bare `tconvcalc derive`: its help, not an error
        click.echo(ctx.get_help())


for _name, _help in DERIVE_COMMANDS.items():
    if _name != "gradient":  # it takes the convolution's flags, as `conv` does
        derive.add_command(_derive_command(_name, _help))


@derive.command(help=DERIVE_COMMANDS["gradient"])
@layer_options(output_padding=False, input_help="the convolution's input size n, per axis (as in tconvcalc conv)")
@ndim_option
@channels_option("the convolution's input,output channels (one value: both) for the weight gradient's shape "
                 "[default: 1]")
@groups_option()
@format_options
@notes_options
@json_option
@lean
def gradient(input_size, kernel_size, stride, padding, dilation, ndim, channels, groups, as_latex, markdown, typst,
             lang, numbered, label_prefix, verbose, as_json):
    options = notes_format(as_latex, markdown, lang, numbered, label_prefix, verbose, typst)
    layer = conv_layer(**per_axis(ndim, input_size=input_size, kernel_size=kernel_size, stride=stride,
                                  padding=padding, dilation=dilation))
    channels = (1, 1) if channels is None else channels
    # The layer is valid (the convolution's own rules): its NumPy checks start now, beside SymPy's import.
    checks = Ahead(_gradient_checks, layer, [conv["output_padding"] for conv in conv_of(layer)])
    from ..reports.symbolic import gradient_report, gradient_text
    from .views.symbolic import render_derivation

    if as_latex or markdown or typst:
        report = gradient_text(layer, channels, groups, markdown, checks=checks.result(), **options)
        emit(report, as_json, lambda r, console: echo_text(r.text))
    else:
        report = gradient_report(layer, channels, groups, checks=checks.result(), printed=as_json)
        emit(report, as_json, render_derivation)
    if not report.proved:
        sys.exit(1)


@derive.command()
@format_options
@notes_options
@json_option
@lean
def relationships(as_latex, markdown, typst, lang, numbered, label_prefix, verbose, as_json):
    """conv_arithmetic's relationships 1-14, each re-derived with its conditions."""
    options = notes_format(as_latex, markdown, lang, numbered, label_prefix, verbose, typst)
    from ..reports.symbolic import relationships_report, relationships_text
    from .views.symbolic import render_relationships

    if as_latex or markdown or typst:
        report = relationships_text(markdown, **options)
        emit(report, as_json, lambda r, console: echo_text(r.text))
        proved = report.proved
    else:
        report = relationships_report()
        emit(report, as_json, render_relationships)
        proved = all(row.holds for row in report.relationships)
    if not proved:
        sys.exit(1)


@derive.command()
@layer_options(output_padding=False, input_help="the convolution's input size n, per axis (C's columns; as in conv "
                                                "and matrix)")
@ndim_option
@format_options
@notes_options
@json_option
@lean
def inverse(input_size, kernel_size, stride, padding, dilation, ndim, as_latex, markdown, typst, lang, numbered,
            label_prefix, verbose, as_json):
    """Cᵀ versus C⁻¹ and C⁺ for the convolution: CCᵀ proved, reconstruction errors measured."""
    options = notes_format(as_latex, markdown, lang, numbered, label_prefix, verbose, typst)
    layer = conv_layer(*per_axis(ndim, input_size=input_size, kernel_size=kernel_size, stride=stride,
                                 padding=padding, dilation=dilation).values())
    check_dense(layer.axes, "the inverse derivation")  # bounded before anything is built
    # C's SVDs (NumPy) start now, beside SymPy's import.
    measured = Ahead(_measure_inverse, layer)
    from ..reports.symbolic import inverse_report, inverse_text
    from .views.symbolic import render_inverse

    if as_latex or markdown or typst:
        report = inverse_text(layer, markdown, measured=measured.result(), **options)
        emit(report, as_json, lambda r, console: echo_text(r.text))
    else:
        report = inverse_report(layer, measured.result(), printed=as_json)
        emit(report, as_json, render_inverse)
    if not report.proved:
        sys.exit(1)
