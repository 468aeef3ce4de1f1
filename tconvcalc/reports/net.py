"""What ``tconvcalc net`` answers: a network's sizes for one input, its domain, and the fix.

The trace imports neither SymPy nor NumPy; the domain's derivation loads SymPy.

>>> report = trace_report("examples/unet_encoder.toml", (161, 97))
>>> report.output_size, report.runs
((20, 12), True)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from ..records import json_keys
from ..model.spec import ParameterError

if TYPE_CHECKING:
    from ..network.cost import CostTotal
    from ..network.domain import Rejected
    from ..network.fix import AxisFix, Change, Effect, Generic, Sizes
    from ..network.tracer import Failure, TraceRow
    from .symbolic import DerivationReport


@json_keys(optional="cost_total")
class NetTraceReport(NamedTuple):
    """``tconvcalc net``: every layer's sizes for one input, where it stops if it does, and with the cost each layer's
    ``cost`` and the ``cost_total`` (:class:`~tconvcalc.network.cost.CostTotal`)."""

    command: str
    model: str
    network: str
    ndim: int
    input_size: tuple[int, ...]
    layers: tuple[TraceRow, ...]
    output_size: tuple[int, ...] | None
    failure: Failure | None
    runs: bool
    cost_total: CostTotal | None


@json_keys(optional="accepted")
class NetAxisDomain(NamedTuple):
    """One axis of the domain: the accepted classes ``[modulus, residue, first]`` and single sizes, the residues that
    never run and where, the check, every accepted size up to the bound asked for (with one), and the derivation."""

    axis: int
    period: int
    classes: tuple[tuple[int, ...], ...]
    points: tuple[int, ...]
    rejected: tuple[Rejected, ...]
    checked: tuple[int, int, bool] | None
    accepted: tuple[int, ...] | None
    derivation: DerivationReport


class NetDomainReport(NamedTuple):
    """``tconvcalc net``'s domain: the exact input sizes per axis."""

    command: str
    model: str
    network: str
    ndim: int
    axes: tuple[NetAxisDomain, ...]


class NetFixReport(NamedTuple):
    """``tconvcalc net``'s fix: the accepted sizes now, the size-generic fix, the nearest accepted sizes and the pad or
    crop to them, and the output_padding changes that make this size run (and give the target output size), each
    change with the sizes before and after."""

    command: str
    model: str
    network: str
    ndim: int
    input_size: tuple[int, ...]
    axes: tuple[AxisFix, ...]
    domain: tuple[Sizes, ...]
    generic: Generic | None
    changes: tuple[Change, ...]
    effect: tuple[Effect, ...] | None
    runs: bool
    target: tuple[int, ...] | None
    output_size: tuple[int, ...] | None
    reached: bool | None

# The accepted sizes are listed up to this bound at most, per axis.
MAX_UPTO = 100_000


def _load(model, kwargs=None):
    from ..network import load

    return load(model, kwargs)


def _sizes(network, sizes):
    if sizes is None:
        if network.default_input is None:
            raise ParameterError(f"no input size for {network.source}, tracing needs one; give the input size, e.g. "
                                 f"{','.join(['64'] * network.ndim)}, or an 'input' in the spec")
        return network.default_input
    return sizes


def trace_report(model, sizes=None, kwargs=None, cost: bool = False) -> NetTraceReport:
    """The trace at ``sizes``; with ``cost`` each layer's multiply-adds, parameters and output elements, and the
    total (None when the network stops)."""
    from ..network import trace

    network = _load(model, kwargs)
    result = trace(network, _sizes(network, sizes))
    rows, total = result.rows, None
    if cost:
        from ..network.cost import network_cost

        costs, total = network_cost(network, result)
        rows = tuple(row._replace(cost=c) for row, c in zip(rows, costs))
    return NetTraceReport("net trace", str(model), network.name, network.ndim, result.input_size, rows,
                          result.output_size, result.failure, result.failure is None, total)


def domain_report(model, upto: int | None = None, kwargs=None) -> NetDomainReport:
    from ..network.derive import domain_derivation
    from ..network.domain import accepted, axis_domain
    from .symbolic import derivation_record

    if upto is not None and not 1 <= upto <= MAX_UPTO:
        raise ParameterError(f"upto={upto} is outside 1..{MAX_UPTO}, the sizes listed per axis; give a smaller "
                             f"bound (the classes describe every size)")
    network = _load(model, kwargs)
    axes = []
    for axis in range(network.ndim):
        found = axis_domain(network, axis)
        der = domain_derivation(network, axis)
        axes.append(NetAxisDomain(axis, found.period, tuple((c.modulus, c.residue, c.first) for c in found.classes),
                                  found.points, found.rejected, found.checked,
                                  None if upto is None else tuple(accepted(found, upto)),
                                  derivation_record(f"net domain (axis {axis})", der)))
    return NetDomainReport("net domain", str(model), network.name, network.ndim, tuple(axes))


def domain_text(model, markdown: bool = False, kwargs=None, **options):
    """The domain's derivation typeset, every axis (LaTeX or Markdown), as a :class:`TextReport` whose
    ``proved`` says whether the lemma and the check held; ``options`` are the notes' (``lang``, ``numbered``,
    ``label_prefix``, ``verbose``)."""
    return domain_notes(model, markdown, kwargs, **options)[0]


def domain_notes(model, markdown: bool = False, kwargs=None, **options):
    """:func:`domain_text`, and whether the network accepts some input size (every axis has one)."""
    from ..notes.writers import make_writer
    from ..network.derive import domain_derivation
    from ..network.typeset import domain_note
    from .symbolic import TextReport

    network = _load(model, kwargs)
    writer = make_writer(markdown, **options)
    derivations = [domain_derivation(network, axis) for axis in range(network.ndim)]
    domain_note(writer, derivations)
    some = all(d.results["classes"] or d.results["points"] for d in derivations)
    return TextReport("net domain", writer.render(), writer.proved), some


def runs_somewhere(report: NetDomainReport) -> bool:
    """Whether the network of a domain report accepts some input size: every axis accepts one (axes are
    independent, so one axis without a size leaves none)."""
    return all(axis.classes or axis.points for axis in report.axes)


def fix_report(model, sizes=None, kwargs=None, target=None) -> NetFixReport:
    from ..network.fix import fix

    network = _load(model, kwargs)
    found = fix(network, _sizes(network, sizes), target)
    return NetFixReport("net fix", str(model), network.name, network.ndim, found.input_size, found.axes,
                        found.domain, found.generic, found.changes, found.effect, found.runs, found.target,
                        found.output_size, found.reached)
