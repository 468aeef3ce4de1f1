"""Terminal view of ``check``: one row per route, PyTorch, the adjoint identity and the output shape."""

from __future__ import annotations

from rich import box
from rich.table import Table
from rich.text import Text

from ...spec import axes_text

ROUTE_LABELS = {
    "matrix": "matrix y = Cᵀx (sparse)",
    "zero_insertion": "zero insertion",
    "phases": "phases (sub-pixel)",
}


def _number(value: float) -> str:
    return f"{value:.1e}" if value else "0"


def render_check(report, console) -> None:
    def verdict(ok: bool) -> Text:
        return Text("PASS", style="bold green") if ok else Text("FAIL", style="bold red")

    sizes = axes_text(report.input_size)
    console.print(Text(f"Transposed convolution, {report.ndim}-D: ", style="bold") + Text(
        f"i={sizes} k={','.join(map(str, report.kernel_size))} s={','.join(map(str, report.stride))} "
        f"p={','.join(map(str, report.padding))} op={','.join(map(str, report.output_padding))} "
        f"d={','.join(map(str, report.dilation))}"))
    console.print(Text(f"channels {report.channels[0]}→{report.channels[1]}, groups {report.groups}; ",
                       style="dim") + Text(
        f"{report.trials} random trial(s), batch {report.batch}, {report.dtype}, seed {report.seed}",
        style="dim"))
    console.print(Text("errors: max |route − fast|, and that over max |fast|", style="dim"))
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for name, justify in (("check", "left"), ("max abs error", "right"), ("max rel error", "right"),
                          ("tolerance", "right"), ("", "left")):
        table.add_column(name, justify=justify)
    tol = _number(report.tolerance)
    for row in report.routes:
        table.add_row(ROUTE_LABELS.get(row.route, row.route), _number(row.max_abs_error),
                      _number(row.max_rel_error), tol, verdict(row.passed))
    torch = report.pytorch
    if torch.available:
        table.add_row(f"PyTorch {torch.version}", _number(torch.max_abs_error),
                      _number(torch.max_rel_error), tol, verdict(torch.passed))
    else:
        table.add_row("PyTorch", "—", "—", "", Text(f"skipped: {torch.reason}", style="yellow"))
    adj = report.adjoint
    table.add_row("adjoint ⟨Cu,x⟩=⟨u,Cᵀx⟩", _number(abs(adj.lhs - adj.rhs)),
                  _number(adj.max_rel_error), tol, verdict(adj.passed))
    shape = report.shape
    table.add_row("output shape", axes_text(shape.routes),
                  "formula " + axes_text(shape.formula), "exact", verdict(shape.passed))
    console.print(table)
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
            f"  every route agrees with the fast one, worst relative error {_number(worst)} ≤ {tol}"))
    else:
        console.print(Text("FAIL", style="bold red") + Text(
            f"  {', '.join(failed)} disagree: worst relative error {_number(worst)} > {tol}"))
