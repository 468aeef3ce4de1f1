"""``tconvcalc latex``, ``matrix`` and ``derive``: the symbolic commands.

SymPy is imported only inside the commands, so ``--help`` at any level stays light.
A failed proof would be a bug in the tool: those commands then exit 1 so scripts notice.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import ParameterError
from ..notes import SECTIONS, sections
from ..spec import Layer
from .options import format_options, json_option, layer_options, ndim_option, per_axis, symbol_option
from .output import emit, write_file


def _layer(ndim, input_size, kernel_size, stride, padding, output_padding, dilation) -> Layer:
    v = per_axis(ndim, input_size=input_size, kernel_size=kernel_size, stride=stride, padding=padding,
                 output_padding=output_padding, dilation=dilation)
    return Layer.from_pytorch(v["input_size"], v["kernel_size"], v["stride"], v["padding"],
                              v["output_padding"], v["dilation"])


@click.command()
@layer_options
@ndim_option
@click.option("--what", default=None, metavar="SECTIONS",
              help=f"comma list of sections: {','.join(SECTIONS)} [default: all but figure]")
@click.option("--figure", is_flag=True, help="add the TikZ figure (1-D and 2-D)")
@click.option("--full/--elide", default=False, help="print large matrices whole instead of elided")
@click.option("--standalone", is_flag=True, help="a complete document (amsmath, amssymb, booktabs, tikz)")
@click.option("--markdown", is_flag=True, help="Markdown with $$…$$ math (Jupyter, Obsidian, GitHub)")
@click.option("--title", default=None, help="a heading for the fragment (escaped)")
@symbol_option
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="write to FILE instead of stdout")
@click.option("--pdf", is_flag=True, help="also compile FILE.pdf with pdflatex or lualatex (needs -o)")
@json_option
def latex(input_size, kernel_size, stride, padding, output_padding, dilation, ndim, what, figure, full,
          standalone, markdown, title, symbol, output, pdf, as_json):
    """LaTeX for notes: size derivation, C and Cᵀ, formulas, equivalence, table, figure."""
    if pdf and markdown:
        raise ParameterError("--pdf and --markdown both set, a PDF is compiled from LaTeX; drop --markdown")
    if pdf and output is None:
        raise ParameterError("--pdf needs -o FILE, the PDF is written next to the .tex; add e.g. -o notes.tex")
    layer = _layer(ndim, input_size, kernel_size, stride, padding, output_padding, dilation)
    chosen = sections(what, figure)
    from .. import latex as lx
    from ..reports.symbolic import LatexReport
    from ..symbolic import check_name

    body = lx.layer_document(layer, chosen, full=full, markdown=markdown, title=None if standalone else title,
                             symbol=check_name("kernel symbol", symbol))
    text = lx.standalone(body, title) if (standalone or pdf) and not markdown else body
    pdf_bytes = lx.compile_pdf(text) if pdf else None  # compile before writing anything
    pdf_path = output.with_suffix(".pdf") if pdf else None
    if output is not None:
        write_file(output, text)
        if pdf_bytes is not None:
            write_file(pdf_path, pdf_bytes)
    if as_json:
        emit(LatexReport("latex", "markdown" if markdown else "latex", chosen, standalone or pdf,
                         str(output) if output else None, str(pdf_path) if pdf_path else None, text), True)
    elif output is None:
        click.echo(text, nl=False)
    else:
        click.echo(f"wrote {output}" + (f" and {pdf_path}" if pdf_path else ""), err=True)


@click.command()
@layer_options(output_padding=False)
@ndim_option
@click.option("--transpose", is_flag=True, help="show Cᵀ, the transposed convolution")
@click.option("--format", "fmt", type=click.Choice(["text", "latex", "markdown", "json"]), default="text",
              show_default=True, help="terminal view, LaTeX, Markdown or JSON")
@click.option("--in-channels", type=click.IntRange(min=1), default=1, show_default=True,
              help="channels of the convolution's input")
@click.option("--out-channels", type=click.IntRange(min=1), default=1, show_default=True,
              help="channels of the convolution's output")
@click.option("--groups", type=click.IntRange(min=1), default=1, show_default=True, help="channel groups")
@click.option("--full/--elide", default=False, help="LaTeX: print large matrices whole")
@symbol_option
@json_option
def matrix(input_size, kernel_size, stride, padding, dilation, ndim, transpose, fmt, in_channels, out_channels,
           groups, full, symbol, as_json):
    """C of the convolution of --in (conv_arithmetic's view), or Cᵀ with --transpose."""
    from .. import latex as lx
    from .. import symbolic as sy
    from ..reports.symbolic import matrix_report
    from .views.symbolic import render_matrix

    v = per_axis(ndim, input_size=input_size, kernel_size=kernel_size, stride=stride, padding=padding,
                 dilation=dilation)
    op = sy.conv_operator(v["input_size"], v["kernel_size"], v["stride"], v["padding"], v["dilation"],
                          in_channels=in_channels, out_channels=out_channels, groups=groups,
                          symbol=sy.check_name("kernel symbol", symbol))
    if fmt in ("latex", "markdown") and not as_json:
        body = lx.operator_latex(op, transpose=transpose, full=full)
        click.echo(f"$$\n{body}\n$$" if fmt == "markdown" else f"\\[\n{body}\n\\]")
        return
    emit(matrix_report(op, transpose), as_json or fmt == "json", render_matrix)


# derive's subcommands and their short help; the derivations are in tconvcalc.symbolic.derivations
DERIVE_COMMANDS = {
    "size": "The output-size formula from the scatter's index range, with values.",
    "equivalence": "The equivalent direct convolution (zero insertion, padding, flipped kernel).",
    "ambiguity": "Valid output_padding and the conv input sizes that share one output size.",
    "phases": "The sub-pixel (phase) decomposition and its tap counts (checkerboard).",
    "formulas": "Each output y_j as its sum of w·x terms, closed form and expanded.",
}


def _derive_command(name: str, help_text: str):
    @click.command(name=name, help=help_text)
    @layer_options
    @ndim_option
    @format_options
    @json_option
    def command(input_size, kernel_size, stride, padding, output_padding, dilation, ndim, as_latex, markdown,
                as_json):
        from ..reports.symbolic import derivation_report, derivation_text
        from .views.symbolic import render_derivation

        layer = _layer(ndim, input_size, kernel_size, stride, padding, output_padding, dilation)
        if as_latex or markdown:
            report = derivation_text(name, layer, markdown)
            emit(report, as_json, lambda r, console: click.echo(r.text, nl=False))
        else:
            report = derivation_report(name, layer)
            emit(report, as_json, render_derivation)
        if not report.proved:
            sys.exit(1)

    return command


@click.group()
def derive():
    """Derivations step by step, each proved by SymPy for the given sizes."""


for _name, _help in DERIVE_COMMANDS.items():
    derive.add_command(_derive_command(_name, _help))


@derive.command()
@format_options
@json_option
def relationships(as_latex, markdown, as_json):
    """conv_arithmetic's relationships 1-14, each re-derived with its conditions."""
    from .. import latex as lx
    from .. import symbolic as sy
    from ..reports.symbolic import TextReport, relationships_report
    from .views.symbolic import render_relationships

    rels = sy.derive_relationships()
    if as_latex or markdown:
        emit(TextReport("derive relationships", lx.relationships_latex(rels, markdown=markdown), None), as_json,
             lambda r, console: click.echo(r.text, nl=False))
    else:
        emit(relationships_report(rels), as_json, render_relationships)
    if not all(r.proof.holds for r in rels):
        sys.exit(1)
