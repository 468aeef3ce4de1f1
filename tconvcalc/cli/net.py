"""``tconvcalc net``: a whole network - its sizes for one input, its domain, and the fix.

A network that does not run at the given size is an answer, not bad input: the trace shows where it
stops and the command exits 1, as ``check`` does on a failure, so scripts notice; so does ``--domain``
when the network runs at no input size at all, and ``--fix --out`` when no output_padding change gives the
output asked for.
"""

from __future__ import annotations

import sys

import click

from ..errors import ParameterError
from .options import AXIS, json_option, markdown_option, notes_format, notes_options, parse_kwargs, typst_option
from .output import echo_text, emit


@click.command()
@click.argument("model", metavar="MODEL")
@click.option("--in", "--input-size", "input_size", type=AXIS, default=None,
              help="input size per axis (one value: every axis) [default: the spec's input]")
@click.option("--domain", is_flag=True, help="every input size the network accepts, per axis, derived (exit 1 when "
                                            "it accepts none)")
@click.option("--fix", is_flag=True, help="what to change so the size runs, each change with the sizes that run "
                                         "before and after: the skip's size per call, the pad or crop to the nearest "
                                         "size, the output_padding")
@click.option("--out", "--output-size", "output_size", type=AXIS, default=None,
              help="with --fix: the output size wanted; the output_padding changes that give it")
@click.option("--upto", type=click.IntRange(1), default=None, metavar="N",
              help="with --domain and --json: list every accepted size from 1 to N per axis")
@click.option("--cost", is_flag=True, help="each layer's multiply-adds, parameters and output elements at this "
                                          "input size, and the total")
@click.option("--latex", "as_latex", is_flag=True, help="with --domain: the derivation as LaTeX")
@markdown_option
@typst_option
@notes_options
@click.option("--kwargs", "kwargs", default=None, metavar="JSON", help="keyword arguments for a PyTorch factory")
@json_option
def net(model, input_size, domain, fix, output_size, upto, cost, as_latex, markdown, typst, lang, numbered,
        label_prefix, verbose, kwargs, as_json):
    """A whole network (spec, ONNX, Keras or PyTorch): sizes per layer, the sizes it accepts, the fix.

    Exits 1 when the network does not run: the trace at the size given, --domain when it runs at no size
    at all, --fix --out when no output_padding change gives the output asked for."""
    factory_kwargs = parse_kwargs(kwargs)
    from ..network.load import is_torch_code

    if kwargs is not None and not is_torch_code(model):
        raise ParameterError(f"--kwargs are keyword arguments for a PyTorch factory (file.py:Factory), and {model} "
                             f"is not PyTorch code; drop --kwargs")
    if domain and fix:
        raise ParameterError("--domain and --fix both set, they are two answers; ask for one of them")
    if cost and (domain or fix):
        raise ParameterError(f"--cost counts the layers at one input size, and --{'domain' if domain else 'fix'} "
                             f"answers another question; drop one of them")
    if (as_latex or markdown or typst) and not domain:
        raise ParameterError("--latex/--markdown/--typst typeset the domain's derivation; add --domain")
    options = notes_format(as_latex, markdown, lang, numbered, label_prefix, verbose, typst)
    if output_size is not None and not fix:
        raise ParameterError("--out is the output size --fix aims for; add --fix")
    if upto is not None and not domain:
        raise ParameterError("--upto lists the accepted sizes of the domain; add --domain")
    if upto is not None and (as_latex or markdown or typst):
        raise ParameterError("--upto lists the accepted sizes in the report, and the notes describe them by their "
                             "classes; drop --upto, or --latex/--markdown/--typst")
    from .views.net import render_domain, render_fix, render_trace

    if domain:
        from ..reports.net import domain_notes, domain_report, runs_somewhere

        if as_latex or markdown or typst:
            report, some = domain_notes(model, markdown, factory_kwargs, **options)
            emit(report, as_json, lambda r, console: echo_text(r.text))
            if not report.proved or not some:
                sys.exit(1)
            return
        report = domain_report(model, upto, factory_kwargs)
        emit(report, as_json, render_domain)
        if not runs_somewhere(report):  # as the trace where the network does not run: scripts notice
            sys.exit(1)
        return
    if fix:
        from ..reports.net import fix_report

        if output_size is not None and min(output_size) < 1:
            raise ParameterError(f"--out {','.join(map(str, output_size))} is not an output size, each axis's "
                                 f"output size is at least 1; give e.g. --out 64,64")
        report = fix_report(model, input_size, factory_kwargs, output_size)
        emit(report, as_json, render_fix)
        if report.reached is False:  # the output asked for is out of output_padding's reach: scripts notice
            sys.exit(1)
        return
    from ..reports.net import trace_report

    report = trace_report(model, input_size, factory_kwargs, cost)
    emit(report, as_json, render_trace)
    if not report.runs:
        sys.exit(1)
