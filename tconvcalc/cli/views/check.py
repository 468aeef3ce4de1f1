"""Terminal view of ``check``: one row per route, PyTorch, the adjoint identity and the output shape."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.table import Table
from rich.text import Text

from ...model.spec import axes_text

if TYPE_CHECKING:
    from rich.console import JustifyMethod

ROUTE_LABELS = {
    "matrix": "matrix y = Cᵀx (sparse)",
    "zero_insertion": "zero insertion",
    "phases": "phases (sub-pixel)",
}


def number(value: float) -> str:
    """An error in the check tables' form: one digit after the point, or 0."""
    return f"{value:.1e}" if value else "0"


def _places(count: int | None) -> str:
    if count is None:
        return ""
    return "same" if count == 0 else f"{count} differ"


def _counts(counts: dict) -> str:
    """``3 NaN, 3 +inf, 3 −inf, 3 zeros``: values by kind."""
    names = (("nan", "NaN"), ("posinf", "+inf"), ("neginf", "−inf"), ("zero", "zero"), ("finite", "finite"))
    return ", ".join(f"{counts[key]} {label}{'s' if key == 'zero' and counts[key] != 1 else ''}"
                     for key, label in names if key in counts)


def render_check(report, console) -> None:
    def verdict(ok: bool) -> Text:
        return Text("PASS", style="bold green") if ok else Text("FAIL", style="bold red")

    nonfinite = report.nonfinite
    torch = report.pytorch
    # The NaN/±inf column: with non-finite trials, or when a route put one where the reference has none.
    places = nonfinite is not None or any(r.nonfinite_mismatches for r in report.routes) or bool(
        torch.available and torch.nonfinite_mismatches)

    sizes = axes_text(report.input_size)
    console.print(Text(f"Transposed convolution, {report.ndim}-D: ", style="bold") + Text(
        f"i={sizes} k={','.join(map(str, report.kernel_size))} s={','.join(map(str, report.stride))} "
        f"p={','.join(map(str, report.padding))} op={','.join(map(str, report.output_padding))} "
        f"d={','.join(map(str, report.dilation))}"))
    console.print(Text(f"channels {report.channels[0]}→{report.channels[1]}, groups {report.groups}; ",
                       style="dim") + Text(
        f"{report.trials} random trial(s), batch {report.batch}, {report.dtype}, seed {report.seed}",
        style="dim"))
    if nonfinite is not None:
        found = nonfinite.reference
        console.print(Text(f"non-finite: x got {_counts(nonfinite.inserted['x'])}; the weight "
                           f"{_counts(nonfinite.inserted['weight'])}", style="dim"))
        console.print(Text(f"the fast route gave {_counts({k: v for k, v in found.items() if k != 'finite'})} "
                           f"among {sum(found.values())} outputs", style="dim"))
        console.print(Text("errors: max |route − fast| over the outputs finite in both; rel: over max |fast|",
                           style="dim"))
        console.print(Text("NaN/±inf: outputs whose kind (NaN, +inf, −inf or finite) differs from fast's",
                           style="dim"))
    else:
        console.print(Text("errors: max |route − fast|; rel: that over max |fast|", style="dim"))
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    columns: list[tuple[str, JustifyMethod]] = [("check", "left"), ("abs error", "right"), ("rel error", "right"),
                                                ("tolerance", "right")]
    for name, justify in columns + ([("NaN/±inf", "right")] if places else []) + [("", "left")]:
        table.add_column(name, justify=justify)
    tol = number(report.tolerance)

    def row(label, *cells, count=None, last=None):
        table.add_row(label, *cells, *([_places(count)] if places else []), last)

    for route in report.routes:
        row(ROUTE_LABELS.get(route.route, route.route), number(route.max_abs_error), number(route.max_rel_error),
            tol, count=route.nonfinite_mismatches, last=verdict(route.passed))
    widened = torch.available and torch.dtype != report.dtype
    if torch.available:
        row(f"PyTorch {torch.version}" + (f" ({torch.dtype})" if widened else ""), number(torch.max_abs_error),
            number(torch.max_rel_error), tol, count=torch.nonfinite_mismatches, last=verdict(torch.passed))
    elif len(torch.reason) <= 40:
        row("PyTorch", "—", "—", "", last=Text(f"skipped: {torch.reason}", style="yellow"))
    else:  # PyTorch's own refusal: said in full under the table
        row("PyTorch", "—", "—", "", last=Text("skipped, see below", style="yellow"))
    adj = report.adjoint
    row("adjoint ⟨Cu,x⟩=⟨u,Cᵀx⟩", number(abs(adj.lhs - adj.rhs)), number(adj.max_rel_error), tol,
        last=verdict(adj.passed))
    shape = report.shape_check
    # the routes' (N, C, *spatial) shape, and whether its spatial part is the size formula's
    row("output shape", axes_text(shape.routes), "= formula" if shape.passed else f"≠ {axes_text(shape.formula)}",
        "", last=verdict(shape.passed))
    console.print(table)
    if widened:
        console.print(Text(f"PyTorch ran in {torch.dtype}: in {report.dtype} its CPU kernel also multiplies the "
                           f"padding by non-finite weights", style="dim"))
        console.print()
    if not torch.available and len(torch.reason) > 40:
        console.print(Text(f"skipped: {torch.reason}", style="yellow"))
        console.print()
    failed = [r.route for r in report.routes if not r.passed]
    if torch.available and not torch.passed:
        failed.append("pytorch")
    if not adj.passed:
        failed.append("adjoint")
    if not shape.passed:
        failed.append("output shape")
    worst = max([r.max_rel_error for r in report.routes] + [adj.max_rel_error]
                + ([torch.max_rel_error] if torch.available else []))
    if report.passed:
        console.print(Text("PASS", style="bold green") + Text(
            f"  every route agrees with the fast one: worst rel error {number(worst)} ≤ {tol}"))
        if nonfinite is not None:
            special = sum(nonfinite.reference.values()) - nonfinite.reference["finite"]
            console.print(f"      and puts NaN, +inf and −inf at the same {special} outputs")
    else:
        misplaced = sum(r.nonfinite_mismatches for r in report.routes) + (
            (torch.nonfinite_mismatches or 0) if torch.available else 0)
        what = (f"worst relative error {number(worst)} (tolerance {tol}), {misplaced} outputs of another kind "
                f"(NaN, ±inf or finite)" if misplaced else f"worst relative error {number(worst)} > {tol}")
        console.print(Text("FAIL", style="bold red") + Text(f"  {', '.join(failed)} disagree: {what}"))


GRADIENT_LABELS = {"input": "∂L/∂x = Cᵀg", "weight": "∂L/∂w", "transposed_input": "tconv's ∂L/∂u = CG",
                   "transposed_weight": "tconv's ∂L/∂w"}


def render_gradient_check(report, console) -> None:
    def join(values) -> str:
        return ",".join(map(str, values))

    console.print(Text(f"Gradients of a convolution, {report.ndim}-D: ", style="bold") + Text(
        f"n={axes_text(report.input_size)} k={join(report.kernel_size)} s={join(report.stride)} "
        f"p={join(report.padding)} d={join(report.dilation)}; the transposed convolution's output_padding "
        f"{join(report.output_padding)}"))
    console.print(Text(f"channels {report.channels[0]}→{report.channels[1]}, groups {report.groups}; "
                       f"{report.trials} random trial(s), batch {report.batch}, {report.dtype}, seed {report.seed}",
                       style="dim"))
    console.print(Text("errors: max |derived route − reference|; rel: that over max |reference|; PyTorch: its "
                       "torch.autograd in float64", style="dim"))
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("gradient", "left"), ("derived route", "left"), ("reference", "left"), ("abs error", "right"),
        ("rel error", "right"), ("tolerance", "right"), ("", "left"))
    for name, justify in columns:
        table.add_column(name, justify=justify)
    autograd = report.autograd
    for row in report.rows:
        reference = f"PyTorch {autograd.version}" if row.reference == "autograd" else "C's triples"
        table.add_row(GRADIENT_LABELS[row.gradient], row.route.split("(")[0], reference, number(row.max_abs_error),
                      number(row.max_rel_error), number(report.tolerance),
                      Text("PASS", style="bold green") if row.passed else Text("FAIL", style="bold red"))
    console.print(table)
    if not autograd.available:
        console.print(Text(f"autograd skipped: {autograd.reason}", style="yellow"))
    worst = max(row.max_rel_error for row in report.rows)
    against = "C's triples and autograd" if autograd.available else "C's triples (autograd was not available)"
    if report.passed:
        console.print(Text("PASS", style="bold green") + Text(
            f"  every derived gradient agrees with {against}: worst rel error {number(worst)} ≤ "
            f"{number(report.tolerance)}"))
    else:
        failed = sorted({GRADIENT_LABELS[row.gradient] for row in report.rows if not row.passed})
        console.print(Text("FAIL", style="bold red") + Text(f"  {', '.join(failed)} disagree: worst relative error "
                                                            f"{number(worst)} > {number(report.tolerance)}"))
