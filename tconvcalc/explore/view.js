// The explorer's page: reads the fields, asks TconvModel.explore, draws the answer, lights cells on hover.
"use strict";

(() => {
  const NAMES = ["input_size", "kernel_size", "stride", "padding", "output_padding", "dilation"];
  const LABELS = ["i input size", "k kernel size", "s stride", "p padding", "op output_padding", "d dilation"];
  const $ = id => document.getElementById(id);
  const el = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const ndim = () => ($("ndim-1").checked ? 1 : 2);
  // Kernel taps as the package names them (w_{a} in 1-D, w_{a,b} in 2-D), printed with subscript digits (w₁,₀),
  // as explore.page.tap_label does; samples x[n], y[m]
  const SUBSCRIPTS = "₀₁₂₃₄₅₆₇₈₉";
  const tap = taps => "w" + taps.map(a => String(a).replace(/\d/g, digit => SUBSCRIPTS[digit])).join(",");
  const at = (name, index) => `${name}[${index.join(",")}]`;

  let current = null;  // the last answer, for the hover handlers

  function fields() {
    const out = [];
    for (let n = 0; n < ndim(); n++) {
      const f = {};
      for (const name of NAMES) f[name] = $(`axis${n}-${name}`).value;
      out.push(f);
    }
    return out;
  }

  function update() {
    const answer = TconvModel.explore(fields());
    current = answer;
    document.body.dataset.ndim = String(ndim());
    $("error").textContent = answer.error || "";
    $("error-line").hidden = !answer.error;
    $("results").hidden = Boolean(answer.error);
    if (answer.error) return;
    $("size").textContent = answer.size_lines.join("\n");
    drawAmbiguity(answer);
    drawPhases(answer);
    $("pytorch").textContent = answer.pytorch;
    $("keras").textContent = answer.keras.lines.join("\n");
    $("keras-notes").replaceChildren(...answer.keras.notes.map(note => el("li", "", note)));
    $("limit").textContent = answer.limit || "";
    $("limit-line").hidden = !answer.limit;
    $("grid").hidden = Boolean(answer.limit);
    $("hover").textContent = "";
    if (!answer.limit) drawGrid(answer);
  }

  function drawAmbiguity(answer) {
    const conv = `Conv${answer.ndim}d of it`;
    const tables = answer.ambiguity.map(entry => {
      const table = el("table", "ambiguity");
      table.dataset.axis = entry.axis;
      table.dataset.total = entry.alternatives_total;
      if (answer.ndim > 1) table.append(el("caption", "", `axis ${entry.axis}`));
      const head = el("tr");
      for (const title of ["output_padding", "output size", conv, "", ""]) head.append(el("th", "", title));
      table.append(head);
      const want = answer.axes[entry.axis].i;
      let previous = null;
      for (const row of entry.alternatives) {
        if (previous !== null && row.output_padding > previous + 1) {  // rows left out: say how many
          const gap = el("tr", "gap");
          gap.append(el("td", "", "…"), el("td"), el("td"), el("td", "", `${row.output_padding - previous - 1} more`),
                     el("td"));
          table.append(gap);
        }
        const tr = el("tr", "row" + (row.chosen ? " chosen" : ""));
        tr.append(el("td", "", String(row.output_padding)), el("td", "", String(row.output_size)),
                  el("td", "", String(row.conv_output_size)),
                  el("td", row.inverts ? "good" : "bad", row.inverts ? `✓ = input ${want}` : `✗ ≠ input ${want}`),
                  el("td", "", row.chosen ? "◀ this layer" : ""));
        table.append(tr);
        previous = row.output_padding;
      }
      return table;
    });
    $("ambiguity").replaceChildren(...tables);
  }

  // The outputs of a phase, first, first + s, …: the first three, then how many more
  function phaseOutputs(phase, s) {
    if (!phase.count) return "none";
    const shown = Array.from({ length: Math.min(phase.count, 3) }, (_, t) => phase.first + t * s);
    return shown.join(", ") + (phase.count > 3 ? ", …" : "");
  }

  // One table per axis: each phase r = (j + b) mod s (the model's label), its outputs j and its kernel taps
  function drawPhases(answer) {
    const tables = answer.phases.map((entry, n) => {
      const table = el("table", "phases");
      table.dataset.axis = n;
      table.dataset.total = entry.total;
      const more = entry.total - entry.phases.length;
      if (answer.ndim > 1 || more) {
        table.append(el("caption", "", (answer.ndim > 1 ? `axis ${n}` : "") + (answer.ndim > 1 && more ? ", " : "") +
                                       (more ? `the first ${entry.phases.length} of ${entry.total} phases` : "")));
      }
      const head = el("tr"), outputs = el("tr"), counts = el("tr");
      head.append(el("th", "", "phase r = (j + b) mod s"));
      outputs.append(el("th", "", "outputs j"));
      counts.append(el("th", "", "kernel taps"));
      const s = answer.axes[n].s;
      for (const phase of entry.phases) {
        const r = el("td", "residue", String(phase.residue));
        r.dataset.r = phase.residue;
        head.append(r);
        outputs.append(el("td", "outputs", phaseOutputs(phase, s)));
        counts.append(el("td", "count", String(phase.taps)));
      }
      table.append(head, outputs, counts);
      return table;
    });
    $("phases").replaceChildren(...tables);
    $("overlap").replaceChildren(...answer.overlap_lines.map(line =>
      el("p", line.includes("uneven") ? "bad" : "good", line)));
  }

  // Per axis: which (output, tap) each input reaches and which (input, tap) reach each output, from the triples
  function incidence(axis, taps) {
    const byInput = Array.from({ length: axis.i }, () => []);
    const byOutput = Array.from({ length: axis.o }, () => []);
    for (const [n, m, a] of taps) { byInput[n].push([m, a]); byOutput[m].push([n, a]); }
    return { byInput, byOutput };
  }

  // A 1-D layer is one row: its missing axis has one cell, index [] (so labels read x[3], w_{2})
  function gridAxes(answer) {
    const axes = answer.axes.map((axis, n) => ({ axis, ...incidence(axis, answer.taps[n]) }));
    return answer.ndim === 1 ? [null, axes[0]] : axes;
  }

  function cellGrid(className, rows, cols, make) {
    const grid = el("div", "cells " + className);
    grid.style.gridTemplateColumns = `repeat(${cols}, var(--cell))`;
    for (let r = 0; r < rows; r++) { for (let c = 0; c < cols; c++) grid.append(make(r, c)); }
    return grid;
  }

  const pair = (row, col, r, c) => (row ? [r, c] : [c]);

  function drawGrid(answer) {
    const [row, col] = gridAxes(answer);
    const rows = row ? row.axis.i : 1;
    const input = cellGrid("input", rows, col.axis.i, (r, c) => {
      const cell = el("div", "cell in");
      cell.dataset.n = pair(row, col, r, c).join(",");
      return cell;
    });
    const kernel = cellGrid("kernel", row ? row.axis.k : 1, col.axis.k, (r, c) => {
      const index = pair(row, col, r, c);
      const cell = el("div", "cell tap", tap(index));
      cell.dataset.a = index.join(",");
      return cell;
    });
    // The output strip in scatter coordinates: cropped border (padding) and appended zeros drawn apart
    const strip = axis => {
      const [start, stop] = TconvModel.scatterExtent(axis);
      return Array.from({ length: stop - start }, (_, t) => t + start);
    };
    const kind = (axis, t) => {
      const j = t - axis.b;
      if (j < 0 || j >= axis.o) return ["crop", null];
      return [t < 0 || t >= axis.full ? "zero" : "out", j];
    };
    const rowsT = row ? strip(row.axis) : [null], colsT = strip(col.axis);
    const output = cellGrid("output", rowsT.length, colsT.length, (r, c) => {
      const [ck, cj] = kind(col.axis, colsT[c]);
      const [rk, rj] = row ? kind(row.axis, rowsT[r]) : ["out", null];
      if (ck === "crop" || rk === "crop") return el("div", "cell crop", "");
      const index = pair(row, col, rj, cj);
      const count = col.byOutput[cj].length * (row ? row.byOutput[rj].length : 1);
      const cell = el("div", `cell out count-${Math.min(count, 4)}` + (ck === "zero" || rk === "zero" ? " zero" : ""),
                      String(count));
      cell.dataset.m = index.join(",");
      cell.dataset.count = count;
      return cell;
    });
    $("input-grid").replaceChildren(input);
    $("kernel-grid").replaceChildren(kernel);
    $("output-grid").replaceChildren(output);
  }

  // Hover: an input lights the outputs it reaches (labelled by the tap), an output its inputs and taps
  function clearLit() {
    for (const cell of document.querySelectorAll(".cell.hovered")) cell.classList.remove("hovered");
    for (const cell of document.querySelectorAll(".cell.lit")) {
      cell.classList.remove("lit");
      if (cell.dataset.label !== undefined) { cell.textContent = cell.dataset.label; delete cell.dataset.label; }
    }
    $("hover").textContent = "";
  }

  function light(cell, label) {
    cell.classList.add("lit");
    if (label !== undefined) { cell.dataset.label = cell.textContent; cell.textContent = label; }
  }

  // Every combination of one entry per axis: the 2-D pairs are products of the 1-D triples
  function combos(lists) {
    return lists.reduce((acc, list) => acc.flatMap(prefix => list.map(item => [...prefix, item])), [[]]);
  }

  function hoverInput(index) {
    const [row, col] = gridAxes(current);
    const axes = row ? [row, col] : [col];
    const reached = combos(axes.map((a, n) => a.byInput[index[n]]));
    const grid = $("output-grid");
    for (const combo of reached) {
      const m = combo.map(([mm]) => mm), a = combo.map(([, aa]) => aa);
      light(grid.querySelector(`[data-m="${m.join(",")}"]`), tap(a));
    }
    $("hover").textContent = reached.length
      ? `${at("x", index)} reaches ${reached.map(c => `${at("y", c.map(([m]) => m))} through ${tap(c.map(([, a]) => a))}`).join(", ")}`
      : `${at("x", index)} reaches no output: the crop removes everything it scatters to`;
  }

  function hoverOutput(index) {
    const [row, col] = gridAxes(current);
    const axes = row ? [row, col] : [col];
    const phase = axes.map((a, n) => TconvModel.outputPhase(a.axis, index[n])).join(",");
    const sources = combos(axes.map((a, n) => a.byOutput[index[n]]));
    for (const combo of sources) {
      const n = combo.map(([nn]) => nn), a = combo.map(([, aa]) => aa);
      light($("input-grid").querySelector(`[data-n="${n.join(",")}"]`), tap(a));
      light($("kernel-grid").querySelector(`[data-a="${a.join(",")}"]`));
    }
    $("hover").textContent = sources.length
      ? `${at("y", index)} = ` +
        `${sources.map(c => `${at("x", c.map(([n]) => n))}·${tap(c.map(([, a]) => a))}`).join(" + ")}   (phase r = ${phase})`
      : `${at("y", index)} = 0: no input reaches it   (phase r = ${phase})`;
  }

  function onOver(event) {
    const cell = event.target.closest(".cell");
    if (!cell || !current || current.error || current.limit) return;
    clearLit();
    if (cell.dataset.n !== undefined || cell.dataset.m !== undefined) cell.classList.add("hovered");
    if (cell.dataset.n !== undefined) hoverInput(cell.dataset.n.split(",").map(Number));
    else if (cell.dataset.m !== undefined) hoverOutput(cell.dataset.m.split(",").map(Number));
  }

  // One row of number fields per parameter, one column per axis (ids axis0-stride, axis1-stride, ...)
  function buildFields() {
    const head = el("tr");
    head.append(el("th"), el("th", "", "axis 0 (rows)"), el("th", "axis1", "axis 1 (columns)"));
    const rows = NAMES.map((name, j) => {
      const tr = el("tr"), label = el("label", "", LABELS[j]);
      label.htmlFor = `axis0-${name}`;
      const th = el("th");
      th.append(label);
      tr.append(th);
      for (let n = 0; n < 2; n++) {
        const input = el("input");
        Object.assign(input, { type: "number", id: `axis${n}-${name}`, step: 1 });
        if (n) input.setAttribute("aria-label", `${LABELS[j].split(" ").slice(1).join(" ")}, axis 1`);
        const td = el("td", n ? "axis1" : "");
        td.append(input);
        tr.append(td);
      }
      return tr;
    });
    $("fields").replaceChildren(head, ...rows);
  }

  function start() {
    buildFields();
    const initial = JSON.parse($("initial").textContent);
    for (let n = 0; n < 2; n++) {
      for (const name of NAMES) $(`axis${n}-${name}`).value = initial.axes[Math.min(n, initial.axes.length - 1)][name];
    }
    $(`ndim-${initial.ndim}`).checked = true;
    $("controls").addEventListener("input", update);
    $("controls").addEventListener("change", update);
    $("controls").addEventListener("submit", event => event.preventDefault());
    $("drawing").addEventListener("mouseover", onOver);
    $("drawing").addEventListener("mouseleave", clearLit);
    update();
  }

  window.TconvPage = { update };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
