// The explorer's arithmetic: tconvcalc's model (model/: spec.py, arithmetic.py, structure.py, and the Keras writer in
// conventions/) ported line for line, so the page says what `tconvcalc shape` and `convert` say.  No DOM here:
// view.js draws what explore() returns.  tests/test_explore_browser.py compares every displayed value with Python.
"use strict";

const TconvModel = (() => {
  const MAX_CELLS = 32;   // explore.page.MAX_CELLS: more cells along an axis are not drawn
  const MAX_ROWS = 16;    // arithmetic.MAX_ROWS: a longer ambiguity table shows its ends and the chosen row
  const MAX_PHASES = 64;  // reports.shape.MAX_PHASES: taps listed for at most this many phases
  const SIZE_FORMULA = "o = (i−1)·s − 2p + d·(k−1) + op + 1";
  const NAMES = ["input_size", "kernel_size", "stride", "padding", "output_padding", "dilation"];

  class ParameterError extends Error {}

  const floorDiv = (a, b) => Math.floor(a / b);
  const mod = (a, b) => ((a % b) + b) % b;
  const gcd = (a, b) => { while (b) { [a, b] = [b, a % b]; } return a; };
  const rangeCount = (start, stop, step = 1) => Math.max(0, Math.ceil((stop - start) / step));

  // spec.ordinal_list over range(start, stop): '0', '0 or 1', '0, 1 or 2', 'any of 0..9'
  function ordinalList(start, stop) {
    if (stop - start > 4) return `any of ${start}..${stop - 1}`;
    const words = [];
    for (let v = start; v < stop; v++) words.push(String(v));
    if (words.length <= 2) return words.join(" or ");
    return words.slice(0, -1).join(", ") + " or " + words[words.length - 1];
  }

  // spec.check_int for what a field holds: whole numbers only, said as Python says the text (a str's repr)
  function checkInt(name, text) {
    const trimmed = String(text).trim();
    if (!/^[-+]?\d+$/.test(trimmed)) {
      throw new ParameterError(`${name}=${pyRepr(String(text))} is not an integer, every size and step is a ` +
                               `whole number; write ${name} as an int such as 3`);
    }
    const value = Number(trimmed);
    if (!Number.isSafeInteger(value)) {
      throw new ParameterError(`${name}=${trimmed} is more than the page computes exactly (2**53 - 1), it ` +
                               `counts with JavaScript numbers; use tconvcalc shape for this layer`);
    }
    return value;
  }

  function pyRepr(text) {
    const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
    return quote + text.replace(/\\/g, "\\\\").replace(new RegExp(quote, "g"), "\\" + quote) + quote;
  }

  function checkAtLeast(name, value, low) {
    if (value < low) {
      const what = low === 1 ? "positive" : `≥ ${low}`;
      throw new ParameterError(`${name}=${value} is not ${what}, ${name} must be ≥ ${low}; use ${name}=${low} or more`);
    }
    return value;
  }

  const kernelSpan = (k, d) => d * (k - 1) + 1;
  const fullLength = (i, k, s, d) => (i - 1) * s + kernelSpan(k, d);
  const convCount = (length, k, s, d) => floorDiv(length - kernelSpan(k, d), s) + 1;

  // spec.Axis.from_pytorch: the same checks in the same order, the same sentences
  function axisFromPytorch(i, k, s, p, op, d) {
    checkAtLeast("input_size", i, 1);
    checkAtLeast("kernel_size", k, 1);
    checkAtLeast("stride", s, 1);
    checkAtLeast("dilation", d, 1);
    checkAtLeast("padding", p, 0);
    checkAtLeast("output_padding", op, 0);
    const limit = Math.max(s, d);
    if (op >= limit) {
      throw new ParameterError(`output_padding=${op} is not < max(stride=${s}, dilation=${d}), PyTorch's rule ` +
                               `for output_padding; use output_padding ${ordinalList(0, limit)}`);
    }
    const full = fullLength(i, k, s, d);
    if (full - 2 * p + op < 1) {
      const best = floorDiv(full + op - 1, 2);
      throw new ParameterError(`padding=${p} crops ${2 * p - op} of the ${full} samples the layer produces ` +
                               `(i=${i}, k=${k}, s=${s}, d=${d}, output_padding=${op}), the output size ` +
                               `(i-1)*s - 2p + d*(k-1) + op + 1 must be ≥ 1; use padding ≤ ${best}`);
    }
    return makeAxis(i, k, s, d, p, p - op);
  }

  function makeAxis(i, k, s, d, b, e) {
    const full = fullLength(i, k, s, d);
    return { i, k, s, d, b, e, full, o: full - b - e, span: kernelSpan(k, d) };
  }

  // Axis.residue_taps: the taps a with a*d ≡ r (mod s), as (start, stop, step); BigInt where a product may pass 2**53
  function residueTaps(axis, r) {
    const { s, d, k } = axis;
    const g = gcd(d, s);
    if (r % g) return [0, 0, 1];
    const period = s / g;
    let a0 = 0;
    if (period > 1) {
      const inverse = modInverse(BigInt((d / g) % period), BigInt(period));
      a0 = Number((BigInt(r / g) * inverse) % BigInt(period));
    }
    return [a0, Math.max(a0, k), period];
  }

  function modInverse(a, m) {
    let [oldR, r, oldT, t] = [a, m, 1n, 0n];
    while (r) {
      const q = oldR / r;
      [oldR, r] = [r, oldR - q * r];
      [oldT, t] = [t, oldT - q * t];
    }
    return ((oldT % m) + m) % m;
  }

  // Axis.output_phase: the sub-pixel phase r = (j + b) mod s of output j, the one label every view gives it
  const outputPhase = (axis, j) => mod(j + axis.b, axis.s);

  // Axis.phase_count and Axis.phase_residue: the phases that have outputs, ascending, without listing the others
  const phaseCount = axis => Math.min(axis.s, axis.o);
  function phaseResidue(axis, t) {
    if (axis.o >= axis.s) return t;
    const begin = mod(axis.b, axis.s), wrapped = begin + axis.o - axis.s;
    if (wrapped <= 0) return begin + t;
    return t < wrapped ? t : begin + t - wrapped;
  }

  // Axis.phases, the first MAX_PHASES: each phase r, its taps (a*d ≡ r mod s), its outputs first, first + s, …
  function phaseTable(axis) {
    const out = [];
    for (let t = 0; t < Math.min(phaseCount(axis), MAX_PHASES); t++) {
      const r = phaseResidue(axis, t), first = mod(r - axis.b, axis.s);
      out.push({ residue: r, taps: rangeCount(...residueTaps(axis, r)), first,
                 count: Math.max(0, Math.ceil((axis.o - first) / axis.s)) });
    }
    return { phases: out, total: phaseCount(axis) };
  }

  // Axis.tap_count: the taps of phase r = (j + b) mod s
  const tapCount = (axis, r) => rangeCount(...residueTaps(axis, mod(r, axis.s)));

  function tapCountRange(axis) {
    const g = gcd(axis.d, axis.s);
    const period = axis.s / g;
    const most = Math.ceil(axis.k / period);
    return [g === 1 ? Math.floor(axis.k / period) : 0, most];
  }

  // arithmetic.sample_rows
  function sampleRows(count, keep) {
    if (count <= MAX_ROWS) return [...Array(count).keys()];
    const half = MAX_ROWS / 2;
    const rows = new Set();
    for (let j = 0; j < half; j++) { rows.add(j); rows.add(count - half + j); }
    if (keep !== null && keep >= 0 && keep < count) rows.add(keep);
    return [...rows].sort((a, b) => a - b);
  }

  // arithmetic.Ambiguity, as reports.shape lists it: the rows shown, how many there are, taps per phase
  function axisAmbiguity(axis, n, p, op) {
    const base = axis.full - 2 * p;
    const start = Math.max(0, 1 - base), stop = Math.max(axis.s, axis.d);
    const count = stop - start;
    const chosen = op >= start && op < stop ? op - start : null;
    const rows = sampleRows(count, chosen).map(j => {
      const opj = start + j, size = base + opj;
      const conv = convCount(size + 2 * p, axis.k, axis.s, axis.d);
      return { output_padding: opj, output_size: size, conv_output_size: conv, inverts: conv === axis.i,
               chosen: opj === op };
    });
    const phases = [];
    for (let r = 0; r < Math.min(axis.s, MAX_PHASES); r++) phases.push(tapCount(axis, r));
    const range = tapCountRange(axis);
    return { axis: n, alternatives: rows, alternatives_total: count, phase_tap_counts: phases,
             tap_count_range: range, uniform_overlap: range[0] === range[1] };
  }

  // structure.axis_taps: (n, m, a) with m = n*s + a*d - b inside [0, o)
  function axisTaps(axis) {
    const out = [];
    for (let n = 0; n < axis.i; n++) {
      for (let a = 0; a < axis.k; a++) {
        const m = n * axis.s + a * axis.d - axis.b;
        if (m >= 0 && m < axis.o) out.push([n, m, a]);
      }
    }
    return out;
  }

  // --- code lines: conventions.code.pytorch_code and the Keras writer ---------------------------------
  const compact = values => new Set(values).size === 1 ? String(values[0]) : "(" + values.join(", ") + ")";
  const pyTuple = values => "(" + values.join(", ") + (values.length === 1 ? "," : "") + ")";

  function pytorchCode(axes, params) {
    const parts = ["in_ch", "out_ch"];
    for (const [name, key] of [["kernel_size", "k"], ["stride", "s"], ["padding", "p"], ["output_padding", "op"],
                               ["dilation", "d"]]) {
      const values = params.map(v => v[key]);
      if (name === "dilation" && values.every(v => v === 1)) continue;
      parts.push(`${name}=${compact(values)}`);
    }
    return `nn.ConvTranspose${axes.length}d(${parts.join(", ")})`;
  }

  function kerasOutputLength(i, k, s, d, padding, op) {
    const span = kernelSpan(k, d);
    if (padding === "valid") return (i - 1) * s + span + (op === null ? Math.max(span, s) - span : op);
    return op === null ? i * s : (i - 1) * s + (span % 2) + op;
  }

  // conventions.read.tf_crop: the crop TensorFlow gives output size n, or null when it refuses n
  function tfCrop(i, k, s, d, n, padding) {
    const full = fullLength(i, k, s, d);
    if (padding === "VALID") return full <= n && n <= full + s - 1 ? [0, full - n] : null;
    if (!((i - 1) * s + 1 <= n && n <= i * s)) return null;
    const t = Math.max(full - n, 0);
    return [floorDiv(t, 2), full - floorDiv(t, 2) - n];
  }

  const post = (axis, produced) => [axis.b - produced[0], axis.e - produced[1]];

  // conventions.translate._cost: exact first, then crops only, then the least work; compared as tuples
  function cost(posts) {
    const total = posts.reduce((sum, [b, e]) => sum + Math.abs(b) + Math.abs(e), 0);
    return [total > 0 ? 1 : 0, posts.some(([b, e]) => b < 0 || e < 0) ? 1 : 0, total];
  }

  const less = (x, y) => { for (let j = 0; j < x.length; j++) { if (x[j] !== y[j]) return x[j] < y[j]; } return false; };

  // conventions.translate._nearest: the size in [start, stop) whose crop is closest, probing only where the cost can turn
  function nearest(axis, start, stop, cropOf) {
    const points = [axis.full, axis.full - 2 * axis.b, axis.full - 2 * axis.e, axis.full - axis.e, axis.o, start,
                    stop - 1];
    const sizes = new Set();
    for (const p of points) { for (let n = p - 2; n <= p + 2; n++) { if (n >= start && n < stop) sizes.add(n); } }
    let best = null;
    for (const n of [...sizes].sort((a, b) => a - b)) {
      const crop = cropOf(n);
      if (crop !== null && (best === null || less(cost([post(axis, crop)]), cost([post(axis, best[1])])))) {
        best = [n, crop];
      }
    }
    return best;
  }

  // conventions.to_framework(layer, "keras") and code._keras_lines: the lines and the notes
  function kerasCode(axes) {
    const notes = [];
    let work = axes;
    if (axes.some(a => a.s > 1) && axes.some(a => a.d > 1)) {
      work = axes.map(a => makeAxis(a.i, a.span, a.s, 1, a.b, a.e));
      notes.push(`keras rejects dilation > 1 with stride > 1: dilate the kernel by hand (insert d-1 zeros between ` +
                 `taps, kernel ${compact(work.map(a => a.k))}) and use dilation 1`);
    }
    let best = null;
    for (const padding of ["same", "valid"]) {
      for (const withOp of [false, true]) {
        const ops = [], produced = [];
        let possible = true;
        for (const a of work) {
          const base = kerasOutputLength(a.i, a.k, a.s, a.d, padding, withOp ? 0 : null);
          const found = nearest(a, base, base + (withOp ? a.s : 1),
                                n => tfCrop(a.i, a.k, a.s, a.d, n, padding.toUpperCase()));
          if (found === null) { possible = false; break; }
          ops.push(withOp ? found[0] - base : null);
          produced.push(found[1]);
        }
        if (!possible) continue;
        const c = cost(work.map((a, n) => post(a, produced[n])));
        if (best === null || less(c, best.cost)) best = { cost: c, padding, ops: withOp ? ops : null, produced };
      }
    }
    const posts = axes.map((a, n) => post(a, best.produced[n]));
    if (posts.some(([b, e]) => b !== 0 || e !== 0)) {
      const what = [];
      if (posts.some(([b, e]) => b > 0 || e > 0)) what.push("crop");
      if (posts.some(([b, e]) => b < 0 || e < 0)) what.push("zero-pad");
      notes.push(`keras cannot express this crop in one layer: apply the ${what.join(" and ")} after it ` +
                 `(post_crop, negative = zeros appended)`);
    }
    const args = ["filters=C_out", `kernel_size=${pyTuple(work.map(a => a.k))}`, `strides=${pyTuple(work.map(a => a.s))}`,
                  `padding="${best.padding}"`];
    if (best.ops !== null) args.push(`output_padding=${pyTuple(best.ops)}`);
    if (!work.every(a => a.d === 1)) args.push(`dilation_rate=${pyTuple(work.map(a => a.d))}`);
    const lines = [`y = keras.layers.Conv${axes.length}DTranspose(${args.join(", ")})(x)`];
    if (posts.some(([b, e]) => b < 0 || e < 0)) {
      const spec = [[0, 0], ...posts.map(([b, e]) => [Math.max(-b, 0), Math.max(-e, 0)]), [0, 0]];
      lines.push(`y = keras.ops.pad(y, [${spec.map(([x, z]) => `[${x}, ${z}]`).join(", ")}])`);
    }
    if (posts.some(([b, e]) => b > 0 || e > 0)) {
      const parts = posts.map(([b, e]) => {
        [b, e] = [Math.max(b, 0), Math.max(e, 0)];
        return b === 0 && e === 0 ? ":" : e ? `${b}:${-e}` : `${b}:`;
      });
      lines.push(`y = y[:, ${parts.join(", ")}, :]`);
    }
    return { lines, notes };
  }

  // --- the whole answer ------------------------------------------------------------------------------
  const isotropic = entries => entries.every(e => JSON.stringify({ ...e, axis: 0 }) === JSON.stringify({ ...entries[0], axis: 0 }));

  // The lines `tconvcalc shape` prints under "Output size" and "Overlap", in its layout
  function sizeLines(axes, params) {
    const substituted = axes.map((a, n) =>
      `(${a.i}−1)·${a.s} − 2·${params[n].p} + ${a.d}·(${a.k}−1) + ${params[n].op} + 1 = ${a.o}`);
    const distinct = new Set(substituted).size > 1;
    return ["Output size  " + SIZE_FORMULA,
            ...(distinct ? substituted : substituted.slice(0, 1)).map((line, n) =>
              "               = " + line + (distinct ? `   (axis ${n})` : "")),
            "             → " + axes.map(a => a.o).join("×")];
  }

  function overlapLines(entries, axes) {
    const shown = isotropic(entries) ? entries.slice(0, 1) : entries;
    return shown.map(entry => {
      const counts = entry.phase_tap_counts, [fewest, most] = entry.tap_count_range, s = axes[entry.axis].s;
      const where = shown.length === 1 ? "" : `axis ${entry.axis}: `;
      const each = counts.length === s ? counts.join(", ") : `${fewest} to ${most} (of ${s} phases)`;
      return entry.uniform_overlap
        ? `Overlap  ${where}every output phase gets ${fewest} kernel tap(s): uniform, no checkerboard pattern`
        : `Overlap  ${where}output phases get ${each} kernel taps: uneven, expect checkerboard artifacts (make k ` +
          `divisible by s)`;
    });
  }

  // Axis.scatter_extent: the positions a picture of the scatter shows, the full scatter and the output window
  const scatterExtent = a => [Math.min(0, a.b), Math.max(a.full, a.b + a.o)];

  // The page's limit, explore.page.check_drawable's: the cells of the scatter's extent along an axis
  function checkDrawable(axes) {
    const cells = Math.max(...axes.map(a => { const [start, stop] = scatterExtent(a); return stop - start; }));
    if (cells > MAX_CELLS) {
      throw new ParameterError(`the page's grid would be ${cells} cells along an axis, more than the ${MAX_CELLS} ` +
                               `it draws; see this layer with tconvcalc overlap or tconvcalc figure instead, or ` +
                               `explore a smaller one`);
    }
  }

  // Fields below 2**53 can still multiply past it ((i-1)*s): the sizes would be rounded, and a loop over
  // n..n+2 would never end (n + 1 === n), so such a layer gets the page's own sentence, as a large field does.
  function checkExact(axis) {
    const reach = axis.full + 2 * (axis.s + axis.span + Math.abs(axis.b) + Math.abs(axis.e) + 2);
    if (!Number.isSafeInteger(reach) || !Number.isSafeInteger(axis.i * axis.s)) {
      throw new ParameterError("the layer's full scatter has more samples than the page computes exactly " +
                               "(2**53 - 1), it counts with JavaScript numbers; use tconvcalc shape for this layer");
    }
  }

  // fields: one {input_size: text, ...} per axis.  Returns {error} or everything the page shows.
  function explore(fields) {
    let params, axes;
    try {
      params = fields.map(f => {
        const v = {};
        for (const name of NAMES) v[name] = checkInt(name, f[name]);
        return v;
      });
      axes = params.map(v => axisFromPytorch(v.input_size, v.kernel_size, v.stride, v.padding, v.output_padding,
                                             v.dilation));
      axes.forEach(checkExact);
    } catch (error) {
      if (error instanceof ParameterError) return { error: error.message };
      throw error;
    }
    const short = params.map(v => ({ p: v.padding, op: v.output_padding }));
    const entries = axes.map((a, n) => axisAmbiguity(a, n, short[n].p, short[n].op));
    const answer = {
      ndim: axes.length, axes, output_size: axes.map(a => a.o), size_lines: sizeLines(axes, short),
      ambiguity: entries, phases: axes.map(phaseTable), overlap_lines: overlapLines(entries, axes),
      pytorch: pytorchCode(axes, axes.map((a, n) => ({ k: a.k, s: a.s, d: a.d, ...short[n] }))),
      keras: kerasCode(axes), error: null, limit: null,
    };
    try {
      checkDrawable(axes);
      answer.taps = axes.map(axisTaps);
    } catch (error) {
      if (!(error instanceof ParameterError)) throw error;
      answer.limit = error.message;
    }
    return answer;
  }

  return { explore, axisTaps, outputPhase, scatterExtent, MAX_CELLS, ParameterError };
})();
