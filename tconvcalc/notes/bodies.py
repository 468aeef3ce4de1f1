r"""Each section of a note, its text and its mathematics, written through a writer (:mod:`.writers`): the
output size, C and Cᵀ, the output formulas, the equivalent routes, the output_padding table, the backward pass
and Cᵀ against C's inverses; and each derivation's body (:data:`BODIES`).

>>> from tconvcalc.model.spec import Layer
>>> print(parameters_math(Layer.from_pytorch(2, 3, 2)))
i = 2,\ k = 3,\ s = 2,\ p = 0,\ \mathit{op} = 0,\ d = 1\ \Rightarrow\ o = 5
"""

from __future__ import annotations

from typing import Sequence

from .. import symbolic as sy
from .text import CATALOGUES, phrase
from .writers import LatexWriter, matrix_latex
from ..model.spec import Layer


def operator_latex(op: sy.ConvOperator, transpose: bool = False, full: bool = False, name: str | None = None) -> str:
    """``C = [...]`` (or Cᵀ) with the shape stated, elided when large."""
    rows, cols = op.shape
    matrix, elided = op.elided(transpose, full)
    body = matrix_latex(matrix)
    shape = (cols, rows) if transpose else (rows, cols)
    label = name or (r"C^{\mathsf{T}}" if transpose else "C")
    note = rf"\quad ({shape[0]} \times {shape[1]})" if elided else ""
    return f"{label} = {body}{note}"


def matrix_section(writer: LatexWriter, op: sy.ConvOperator, full: bool, transpose_only: bool = False) -> None:
    rows, cols = op.shape
    writer.paragraph(writer.say("matrix.lead"))
    for transpose in ((True,) if transpose_only else (False, True)):
        matrix, elided = op.elided(transpose, full)
        shape = (cols, rows) if transpose else (rows, cols)
        label = writer.m(r"C^{\mathsf{T}}" if transpose else "C")
        if elided:  # with its matrix on one page
            writer.lead(writer.say("matrix.elided", name=label, rows=shape[0], cols=shape[1], nnz=op.nnz_bound))
        writer.math(f"{label} = {writer.matrix(matrix)}", wide=matrix.cols, label="matrix" if transpose else None)


# --- sections of the layer document -----------------------------------------------------


def _axes_values(layer: Layer, name: str) -> str:
    values = [getattr(axis, name) for axis in layer.axes]
    return str(values[0]) if len(set(values)) == 1 else "(" + ", ".join(map(str, values)) + ")"


def parameters_math(layer: Layer) -> str:
    pairs = layer.field("padding_pair")
    ps = [p for p, _ in pairs]
    ops = [op for _, op in pairs]
    fmt = lambda v: str(v[0]) if len(set(v)) == 1 else "(" + ", ".join(map(str, v)) + ")"  # noqa: E731
    return (rf"i = {_axes_values(layer, 'i')},\ k = {_axes_values(layer, 'k')},\ s = {_axes_values(layer, 's')},\ "
            rf"p = {fmt(ps)},\ \mathit{{op}} = {fmt(ops)},\ d = {_axes_values(layer, 'd')}"
            rf"\ \Rightarrow\ o = {_axes_values(layer, 'o')}")


def _reason(writer: LatexWriter, step: sy.Step, first: bool) -> str | None:
    """A step's words as the catalogue says them (Markdown puts the later ones inside ``\\text``)."""
    if not CATALOGUES[writer.lang].get(step.key):  # no words of its own (a value continuing the line above)
        return None
    args = dict(step.args or {})
    if step.key == "size.values":
        args["where"] = ("" if args.get("axis") is None else writer.say("where", n=args["axis"])
                         if not args.get("alike") else writer.say("table.alike"))
    if writer.markdown and not first:
        return writer.math_say(step.key, **args)
    return writer.say(step.key, **args)


_Row = tuple[str | None, tuple[str, str, str]]  # an ``align`` row: its reason, then lhs, relation, rhs


def _rows(writer: LatexWriter, steps: Sequence[sy.Step]) -> list[_Row]:
    """``align`` rows for steps stating relations; a step whose lhs repeats the one above continues it."""
    rows: list[_Row] = []
    previous: str | None = None
    for step in steps:
        sides = writer.sides(step)
        if sides is None:
            continue
        lhs = "" if step.key == "size.value" and previous is not None else sides[0]
        rows.append((_reason(writer, step, not rows), (lhs, sides[1], sides[2])))
        previous = sides[0]
    return rows


def _keyed(der: sy.Derivation, *keys: str) -> list[sy.Step]:
    return [step for step in der.steps if step.key in keys]


def _step(der: sy.Derivation, key: str) -> sy.Step:
    return next(step for step in der.steps if step.key == key)


def _sides(writer: LatexWriter, step: sy.Step) -> tuple[str, str, str]:
    """The sides of a step that states a relation, as every step these sections line up or box does."""
    sides = writer.sides(step)
    if sides is None:
        raise ValueError(f"step {step.key or step.text!r} states no relation to write out")
    return sides


def _stated_expr(step: sy.Step):
    """The SymPy relation a step states (each output formula states one)."""
    if step.expr is None:
        raise ValueError(f"step {step.key or step.text!r} states no relation to write out")
    return step.expr


def _stated(writer: LatexWriter, step: sy.Step) -> str:
    lhs, relation, rhs = _sides(writer, step)
    return f"{lhs} {relation} {rhs}"


def _notes_for(writer: LatexWriter, der: sy.Derivation, *keys: str) -> None:
    """Steps of words only (a check skipped, a sum not evaluated), in the catalogue's words."""
    for step in der.steps:
        if step.key in keys and step.expr is None:
            args = dict(step.args or {})
            if "then" in args:
                args["then"] = writer.say(args["then"], **args)
            writer.paragraph(writer.say(step.key, **args))


def size_body(writer: LatexWriter, der: sy.Derivation) -> None:
    """The general derivation in one ``align*``, the result in a relationship box, then the layer's values."""
    general = _keyed(der, "size.scatter", "size.min", "size.max", "size.full", "size.crop", "size.pytorch")
    writer.align(_rows(writer, general))
    writer.box(writer.say("box"), writer.say("size.box"), _stated(writer, general[-1]), label="tconv-size")
    values = _keyed(der, "size.values", "size.value")
    if len(values) > 2 and all(step.latex() == values[n % 2].latex() for n, step in enumerate(values)):
        # every axis alike: its numbers once
        first = values[0]
        alike = {**(first.args or {}), "alike": True}
        values = [sy.Step(first.text, first.expr, first.values, first.key, alike), values[1]]
    writer.align(_rows(writer, values))
    writer.proofs(der.proofs)


def ambiguity_body(writer: LatexWriter, der: sy.Derivation) -> None:
    writer.align(_rows(writer, _keyed(der, "amb.conv", "amb.from", "amb.to", "amb.tconv", "amb.op_from",
                                      "amb.op_to")))
    writer.box(writer.say("box"), writer.say("amb.box"),
               _stated(writer, _step(der, "amb.op_from")) + writer.m(r",\qquad ")
               + _stated(writer, _step(der, "amb.op_to")), label="op-range",
               after=writer.say("amb.accept"))


def equivalence_body(writer: LatexWriter, der: sy.Derivation) -> None:
    writer.align(_rows(writer, _keyed(der, "eqv.stretch", "eqv.lo", "eqv.hi", "eqv.flip", "eqv.out")))
    writer.box(writer.say("box"), writer.say("eqv.box"),
               _stated(writer, _step(der, "eqv.lo")) + writer.m(r",\qquad ")
               + _stated(writer, _step(der, "eqv.hi")), label="equivalence")
    axis = writer.say("eqv.head.axis")
    headers = [axis] + [f"${writer.m(h)}$"
                        for h in ("s - 1", "i_z", r"p_{\mathrm{lo}}", r"p_{\mathrm{hi}}", "s'", "d", "o'")]
    rows = [[str(e["axis"]), str(e["zeros_between"]), str(e["stretched_size"]), str(e["pad_before"]),
             str(e["pad_after"]), "1", str(e["dilation"]), str(e["output_size"])] for e in der.results["equivalent"]]
    writer.table(headers, rows, writer.say("eqv.caption"))
    _notes_for(writer, der, "skip.check")
    writer.proofs(der.proofs)


def derivation_body(writer: LatexWriter, der: sy.Derivation) -> None:
    """A derivation as notes: the derivations the catalogue knows typeset by their own writers; any other (a
    network's domain) step by step, its words escaped."""
    if der.key in BODIES:
        BODIES[der.key](writer, der)
        return
    for step in der.steps:
        if step.text:
            writer.text(step.text + (":" if step.expr is not None else "."))
        if step.expr is not None:
            writer.math(writer.step_math(step))
    writer.proofs(der.proofs)


def formulas_body(writer: LatexWriter, der: sy.Derivation, outputs: Sequence[tuple[str, str]], total: int) -> None:
    """The closed form boxed with its conditions stated beside it (conv_arithmetic's way, not brackets), then
    the first outputs and the last, expanded (or why not: see ``expanded_outputs``)."""
    form = der.notes["closed_form"]
    sides = [_sides(writer, sy.Step("", form["sum"])), _sides(writer, sy.Step("", form["source"]))]
    body = writer.stack([f"{lhs} &{rel} {rhs}" for lhs, rel, rhs in sides], one_line=True)
    conditions = ", ".join(f"${writer.tex(c)}$" for c in form["conditions"])
    guard = writer.say("formulas.guard" if form["source"].lhs.name == "n" else "formulas.guard_axis")
    writer.box(writer.say("box"), writer.say("formulas.lead"), body, label="closed-form",
               after=f"{guard} {conditions}.")
    _notes_for(writer, der, "formulas.not_evaluated")
    if outputs:
        lead = (writer.say("formulas.shown", shown=len(outputs), total=total) if len(outputs) < total
                else writer.say("formulas.all"))
        lines = [f"{lhs} &= {rhs}" for lhs, rhs in outputs]
        if len(outputs) < total and len(outputs) > 1:
            lines.insert(-1, writer.m(r"&\;\;\vdots"))
        writer.formulas(lead, lines)
    writer.proofs(der.proofs)


def formulas_section(writer: LatexWriter, layer: Layer, op: sy.ConvOperator, full: bool = False) -> None:
    outputs, expanded, der = sy.expanded_outputs(layer, full, symbol=op.symbol)
    formulas_body(writer, der, [(writer.tex(op.output_symbol(c)), writer.tex(e)) for c, e in zip(outputs, expanded)],
                  op.shape[1])


def _derived_formulas(writer: LatexWriter, der: sy.Derivation) -> None:
    outputs = [(writer.step_math(step, _stated_expr(step).lhs), writer.step_math(step, _stated_expr(step).rhs))
               for step in _keyed(der, "formulas.output")]
    formulas_body(writer, der, outputs, der.notes.get("outputs", len(outputs)))


def equivalence_section(writer: LatexWriter, layer: Layer, op: sy.ConvOperator) -> None:
    """The equivalent direct convolution, its table, and the proof (every output of a small layer, else the
    first and last outputs, as :func:`tconvcalc.symbolic.derive_equivalence` decides and says)."""
    equivalence_body(writer, sy.derive_equivalence(layer, op.symbol))


def _isotropic(layer: Layer) -> bool:
    return len(set(layer.axes)) == 1


def _ambiguity_table(writer: LatexWriter, der: sy.Derivation, layer: Layer) -> None:
    axes = [0] if _isotropic(layer) else list(range(layer.ndim))
    heads = ["table.head.op", "table.head.o", "table.head.back", "table.head.inverts", "table.head.sizes"]
    headers = [writer.say(h) for h in (["table.head.axis"] if len(axes) > 1 else []) + heads]
    rows = []
    previous = None
    for row in der.results["table"]:
        if row["axis"] not in axes:
            continue
        if previous is not None and row["output_padding"] > previous + 1:  # a long table: its middle left out
            rows.append(([""] if len(axes) > 1 else []) + ["$" + writer.m(r"\vdots") + "$", "", "", "", ""])
        previous = row["output_padding"]
        first, last = der.results["conv_sizes"][row["axis"]]
        sizes = (", ".join(map(str, range(first, last + 1))) if last - first < 4 else f"{first}--{last}"
                 ) if row["inverts"] else writer.say("none")
        if writer.markdown:
            sizes = sizes.replace("--", "–")
        rows.append(([str(row["axis"])] if len(axes) > 1 else []) + [
            str(row["output_padding"]) + (" " + writer.say("table.chosen") if row["chosen"] else ""),
            str(row["output_size"]), str(row["conv_output_size"]), writer.say("yes" if row["inverts"] else "no"),
            sizes])
    alike = writer.say("table.alike") if layer.ndim > 1 and len(axes) == 1 else ""
    writer.table(headers, rows, writer.say("table.caption", alike=alike))


def table_section(writer: LatexWriter, layer: Layer) -> None:
    der = sy.derive_ambiguity(layer)
    _ambiguity_table(writer, der, layer)
    ambiguity_body(writer, der)
    writer.proofs(der.proofs)


def _derived_ambiguity(writer: LatexWriter, der: sy.Derivation) -> None:
    ambiguity_body(writer, der)
    writer.proofs(der.proofs)


def _phases_body(writer: LatexWriter, der: sy.Derivation) -> None:
    writer.align(_rows(writer, _keyed(der, "ph.write", "ph.reach")))
    writer.box(writer.say("box"), writer.say("ph.conv"), _stated(writer, sy.Step("", der.notes["phase_sum"])),
               label="phases",
               after=f"{writer.say('formulas.guard')} "
                     f"${_stated(writer, sy.Step('', der.notes['phase_condition']))}$.")
    axes = sorted({row["axis"] for row in der.results["phases"]})
    for axis in axes:
        rows = []
        listed = [row for row in der.results["phases"] if row["axis"] == axis]
        for n, row in enumerate(listed):
            if n and row["phase"] > listed[n - 1]["phase"] + 1:
                rows.append(["$" + writer.m(r"\vdots") + "$",
                             writer.say("ph.more", count=row["phase"] - listed[n - 1]["phase"] - 1), "", ""])
            taps = ", ".join(writer.m(r"\dots") if a == "…" else str(a) for a in row["taps"])
            offsets = ", ".join(writer.m(r"\dots") if c == "…" else str(c) for c in row["offsets"])
            rows.append([f"${row['phase']}$", f"${taps}$" if taps else "--", str(row["tap_count"]),
                         f"${offsets}$" if offsets else "--"])
        where = writer.say("where", n=axis) if len(axes) > 1 else ""
        writer.table([writer.say(h) for h in ("ph.head.r", "ph.head.taps", "ph.head.count", "ph.head.offsets")],
                     rows, writer.say("ph.caption", where=where))
    verdict = next(step for step in der.steps if step.key in ("ph.uniform", "ph.checker"))
    sentence = writer.say(verdict.key)
    for n, s_, low, high in (verdict.args or {}).get("ranges", []):
        where = writer.say("where", n=n) if len(der.results["phase_count"]) > 1 else ""
        sentence += writer.say("ph.range", s=s_, where=where, low=low, high=high)
    writer.paragraph(sentence)
    _notes_for(writer, der, "skip.check")
    writer.proofs(der.proofs)


def gradient_body(writer: LatexWriter, der: sy.Derivation) -> None:
    """The backward pass: each derivation in one ``align*``, each result boxed (∂L/∂x = Cᵀg with its output padding,
    ∂L/∂w as a correlation, the converse), the layer's output padding, then what was proved and what checked."""
    writer.align(_rows(writer, _keyed(der, "grad.conv", "grad.conv_size", "grad.dx", "grad.dx_pairs", "grad.dx_tconv")))
    writer.box(writer.say("box"), writer.say("grad.box.dx"), _stated(writer, sy.Step("", der.notes["input_gradient"]))
               + writer.m(r",\qquad ") + _stated(writer, _step(der, "grad.op_mod")), label="gradient-input")
    rows = _rows(writer, _keyed(der, "grad.op", "grad.op_mod"))
    for step in _keyed(der, "grad.op_values", "size.value"):
        args = dict(step.args or {})
        where = "" if args.get("axis") is None else phrase(writer.lang, "where", n=args["axis"])
        lhs, relation, rhs = _sides(writer, step)
        reason = (writer.math_say if writer.markdown else writer.say)("grad.op_values", **{**args, "where": where}) \
            if step.key == "grad.op_values" else None
        rows.append((reason, ("" if step.key == "size.value" else lhs, relation, rhs)))
    writer.align(rows)
    writer.align(_rows(writer, _keyed(der, "grad.dw", "grad.dw_corr", "grad.dw_size")))
    weight_shape = (_step(der, "grad.shape").args or {})["shape"]
    writer.box(writer.say("box"), writer.say("grad.box.dw"), _stated(writer, _step(der, "grad.dw_corr")),
               label="gradient-weight", after=writer.say("grad.shape", shape=writer.size_math(weight_shape)))
    writer.align(_rows(writer, _keyed(der, "grad.tconv", "grad.du", "grad.dwt")))
    writer.box(writer.say("box"), writer.say("grad.box.converse"),
               _stated(writer, _step(der, "grad.du")) + writer.m(r",\qquad ") + _stated(writer, _step(der, "grad.dwt")),
               label="gradient-converse")
    _notes_for(writer, der, "grad.skip")
    writer.proofs([proof for proof in der.proofs if not isinstance(proof, sy.NumericCheck)])
    writer.checks([proof for proof in der.proofs if isinstance(proof, sy.NumericCheck)])


# --- Cᵀ versus C⁻¹ and C⁺ -----------------------------------------------------------------------------


def _measured_math(writer: LatexWriter, value: str) -> str:
    """A measured error as :func:`tconvcalc.symbolic.inverse.significant` prints it, as inline math: ``< 1e-12``
    and ``4.2e-05`` in powers of ten."""
    if value.startswith("<"):
        return "$" + writer.m(r"< 10^{-12}") + "$"
    mantissa, _, power = value.partition("e")
    return "$" + writer.m(f"{mantissa} \\cdot 10^{{{int(power)}}}" if power else value) + "$"


def _steps_body(writer: LatexWriter, steps: Sequence[sy.Step]) -> None:
    """Steps in order: consecutive relations in one ``align*`` (reasons in ``\\intertext``), any other formula
    displayed after its words, words alone as a paragraph."""
    run: list[sy.Step] = []

    def flush():
        writer.align(_rows(writer, run))
        run.clear()

    for step in steps:
        if step.sides() is not None:
            run.append(step)
            continue
        flush()
        if step.expr is None:
            writer.paragraph(writer.say(step.key))
        else:
            writer.lead(writer.say(step.key))
            writer.math(writer.step_math(step))
    flush()


def inverse_body(writer: LatexWriter, der: sy.Derivation) -> None:
    """Cᵀ versus C⁻¹ and C⁺: the general derivation (relations aligned), the right inverse boxed, the square case and
    the rank; the proofs; this layer's verdicts and its proof; the measured numbers in a table, said to be measured."""
    rows, cols = der.results["shape"]
    writer.lead(writer.say("inv.lead", rows=rows, cols=cols))
    general = [step for step in der.steps if step.key not in sy.LAYER_STEPS and not step.key.startswith("inv.m_")]
    split = next(n for n, step in enumerate(general) if step.key == "inv.right")
    _steps_body(writer, general[:split])
    writer.box(writer.say("box"), writer.say("inv.box"), _stated(writer, general[split]), label="right-inverse")
    _steps_body(writer, general[split + 1:])
    writer.proofs([proof for proof in der.proofs if not proof.key.startswith("proof.inv_layer")])
    for step in der.steps:
        if step.key not in sy.LAYER_STEPS:
            continue
        args = dict(step.args or {})
        if step.key == "inv.layer":
            args["where"] = "" if args["n"] is None else phrase(writer.lang, "where", n=args["n"])
            args["relation"] = writer.m("<" if args["holds"] else r"\ge")
        elif step.key == "inv.is_diagonal":
            args["padding_only"] = phrase(writer.lang, "inv.padding_only") if args["padding_only"] else ""
        elif step.key == "inv.no_right":
            args["why"] = phrase(writer.lang, "inv.why.overlap" if args["overlap"] else "inv.why.partial")
        writer.paragraph(writer.say(step.key, **args))
    writer.proofs([proof for proof in der.proofs if proof.key.startswith("proof.inv_layer")])
    if "rank" in der.results:
        measured = {step.key: step.args or {} for step in der.steps if step.key.startswith("inv.m_")}
        r = der.results
        writer.lead(writer.say("inv.measured", seed=r["seed"]))
        table = [[writer.say("inv.m_rank", cols=cols), f"${r['rank']}$"],
                 [writer.say("inv.m_null"), f"${r['null_space']}$"],
                 [writer.say("inv.m_transpose"), _measured_math(writer, measured["inv.m_transpose"]["value"])],
                 [writer.say("inv.m_pinv"), _measured_math(writer, measured["inv.m_pinv"]["value"])],
                 [writer.say("inv.m_lost"), _measured_math(writer, measured["inv.m_pinv"]["lost"])]]
        writer.table([writer.say("inv.head.quantity"), writer.say("inv.head.value")], table,
                     writer.say("inv.caption"), align="lr")
    writer.paragraph(writer.say("inv.said"))


BODIES = {"size": size_body, "ambiguity": _derived_ambiguity, "equivalence": equivalence_body,
          "phases": _phases_body, "formulas": _derived_formulas, "gradient": gradient_body,
          "inverse": inverse_body}
