"""The explorer page in a real browser: Debian's Chromium, driven by Playwright, with the network blocked.

For several hundred seeded random layers (1-D and 2-D, rejected ones among them) the test types the values into
the page's fields and reads back every number, table row, line of code and error the page shows, and the cells
that light up when a few cells are hovered.  Each is compared with an independent route: the command line
(`tconvcalc shape --json` and its text, `tconvcalc explore`'s refusals), the library's Keras writer, and the
operator's triples solved per column (`column_pairs`) and per input (`input_range`).  It also prints how long
the page takes from an input change to the updated display (never asserted: tests do not time).
"""

from __future__ import annotations

import json
import random
import re
import shutil
import statistics
import time
from itertools import product

import pytest
from click.testing import CliRunner

from tconvcalc.cli import cli
from tconvcalc.conventions.code import pytorch_code, translation_code
from tconvcalc.conventions import to_framework
from tconvcalc.errors import ParameterError
from tconvcalc.explore import check_drawable, tap_label
from tconvcalc.model.structure import column_pairs, input_range, scatter_cells
from tconvcalc.model.spec import Layer, check_int

sync_api = pytest.importorskip("playwright.sync_api", reason="the browser tests drive Chromium with Playwright; "
                                                            "install the test extras: python -m pip install '.[test]'")
CHROMIUM = shutil.which("chromium")
pytestmark = [pytest.mark.slow,  # a browser per module
              pytest.mark.skipif(CHROMIUM is None, reason="the browser tests need Chromium on the PATH; install it "
                                                          "with: apt-get install chromium")]

# Running as root on a machine with no network: no sandbox, and none of Chromium's background traffic.
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
NAMES = ("input_size", "kernel_size", "stride", "padding", "output_padding", "dilation")
FLAGS = ("--in", "--k", "--s", "--p", "--op", "--d")
CASES = 320

# Set the fields as typing does (value, then an input event) and read back everything the page shows.
SET_AND_READ = """([ndim, fields]) => {
  const $ = id => document.getElementById(id);
  const start = performance.now();
  $(`ndim-${ndim}`).checked = true;
  fields.forEach((f, n) => { for (const [name, text] of Object.entries(f)) $(`axis${n}-${name}`).value = text; });
  $("axis0-input_size").dispatchEvent(new Event("input", { bubbles: true }));
  void document.body.offsetHeight;  // the layout is part of the update
  const ms = performance.now() - start;
  return { ms, ...READ() };
}"""
READ = """() => {
  const $ = id => document.getElementById(id);
  const text = node => node.textContent;
  const ndim = $("ndim-1").checked ? 1 : 2;
  const held = [0, 1].slice(0, ndim).map(n => Object.fromEntries(
    ["input_size", "kernel_size", "stride", "padding", "output_padding", "dilation"]
      .map(name => [name, $(`axis${n}-${name}`).value])));
  return {
    held, error: $("error-line").hidden ? null : text($("error")), results_hidden: $("results").hidden,
    size: text($("size")),
    tables: [...document.querySelectorAll("#ambiguity table")].map(t => ({
      total: Number(t.dataset.total),
      rows: [...t.querySelectorAll("tr.row, tr.gap")].map(r => [...r.children].map(text)) })),
    phases: [...document.querySelectorAll("#phases table")].map(t => ({
      total: Number(t.dataset.total), residues: [...t.querySelectorAll("td.residue")].map(text),
      outputs: [...t.querySelectorAll("td.outputs")].map(text), taps: [...t.querySelectorAll("td.count")].map(text) })),
    overlap: [...document.querySelectorAll("#overlap p")].map(text),
    pytorch: text($("pytorch")), keras: text($("keras")).split("\\n"),
    keras_notes: [...document.querySelectorAll("#keras-notes li")].map(text),
    limit: $("limit-line").hidden ? null : text($("limit")), grid_hidden: $("grid").hidden,
    inputs: [...document.querySelectorAll("#input-grid .cell")].map(c => c.dataset.n),
    outputs: [...document.querySelectorAll("#output-grid .cell.out")].map(c => [c.dataset.m, c.textContent]),
    kinds: [...document.querySelectorAll("#output-grid .cell")].map(c =>
      c.classList.contains("crop") ? "crop" : c.classList.contains("zero") ? "append" : "out"),
  };
}"""
HOVER = """([kind, index]) => {
  const grid = kind === "n" ? "input-grid" : "output-grid";
  const cell = document.querySelector(`#${grid} [data-${kind}="${index}"]`);
  cell.dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));
  return LIT();
}"""
LIT = """() => ({
  text: document.getElementById("hover").textContent,
  hovered: [...document.querySelectorAll(".cell.hovered")].map(c => c.dataset.n ?? c.dataset.m),
  lit: [...document.querySelectorAll("#input-grid .lit, #output-grid .lit")]
         .map(c => [c.dataset.n ?? c.dataset.m, c.textContent]),
  taps: [...document.querySelectorAll("#kernel-grid .lit")].map(c => c.dataset.a),
})"""


# Every drawn cell's hover state and outline, as the browser computes its style.
MARKS = """() => [...document.querySelectorAll("#drawing .cell")].map(c => {
  const style = getComputedStyle(c);
  return { key: c.dataset.n ?? c.dataset.m ?? c.dataset.a ?? "", hovered: c.classList.contains("hovered"),
           lit: c.classList.contains("lit"), outline: style.outlineStyle, width: style.outlineWidth };
})"""


def _script(body: str) -> str:
    return body.replace("READ()", f"({READ})()").replace("LIT()", f"({LIT})()")


def _cli(*args):
    """The command line in process, wide enough that rich never wraps a line."""
    return CliRunner().invoke(cli, [str(a) for a in args], env={"COLUMNS": "1000"})


def _layer_args(ndim: int, held: list[dict]) -> list[str]:
    return [f"{flag}={','.join(f[name] for f in held)}" for flag, name in zip(FLAGS, NAMES)] + ["--ndim", str(ndim)]


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """One browser and one page for the module: the page `tconvcalc explore` writes, loaded from file:// in a
    context that refuses every other request and is offline."""
    path = tmp_path_factory.mktemp("explore") / "explore.html"
    assert _cli("explore", "--in", 3, "--k", 3, "--s", 2, "--p", 1, "--op", 1, "-o", path).exit_code == 0
    url = path.as_uri()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(offline=True, viewport={"width": 1400, "height": 1000})
        refused = []

        def route(request_route):
            if request_route.request.url == url:
                request_route.continue_()
            else:
                refused.append(request_route.request.url)
                request_route.abort()

        context.route("**/*", route)
        tab = context.new_page()
        problems = []
        tab.on("console", lambda message: problems.append(message.text) if message.type in ("error", "warning")
               else None)
        tab.on("pageerror", lambda error: problems.append(str(error)))
        tab.goto(url)
        tab.problems, tab.refused = problems, refused
        yield tab
        browser.close()


def test_the_page_loads_from_file_with_no_network_and_no_console_errors(page):
    shown = page.evaluate(_script("() => READ()"))
    data = json.loads(_cli("shape", "--in", 3, "--k", 3, "--s", 2, "--p", 1, "--op", 1, "--json").stdout)
    assert shown["error"] is None and shown["pytorch"] == data["pytorch"]
    assert shown["size"].endswith("→ " + "×".join(map(str, data["output_size"])))
    assert page.url.startswith("file://") and page.problems == [] and page.refused == []


def _random_fields(rng: random.Random, ndim: int) -> list[dict]:
    """One axis's values: mostly small legal layers, often a rule broken, sometimes not a number at all."""
    fields = []
    for _ in range(ndim):
        s, d = rng.randint(1, 5), rng.choice([1, 1, 1, 2, 3])
        f = {"input_size": rng.randint(1, 9), "kernel_size": rng.randint(1, 6), "stride": s,
             "padding": rng.randint(0, 2), "output_padding": rng.randrange(max(s, d)), "dilation": d}
        roll = rng.random()
        if roll < 0.03:
            f["output_padding"] = max(s, d) + rng.randint(0, 1)          # PyTorch's output_padding rule
        elif roll < 0.05:
            f["padding"] = rng.randint(5, 9)                             # crops more than the layer makes
        elif roll < 0.08:
            f[rng.choice(NAMES)] = rng.choice([0, -1, -3])           # below a minimum
        elif roll < 0.10:
            f[rng.choice(NAMES)] = rng.choice(["2.5", ""])           # not a whole number
        elif roll < 0.14:
            f.update(input_size=rng.randint(12, 20), stride=rng.randint(2, 3))  # past the page's 32 cells
        elif roll < 0.18:
            f.update(input_size=1, stride=rng.choice([40, 1000, 10**6]),      # many rows and phases, still drawn
                     output_padding=rng.choice([0, 7, 999]) % 40)
        fields.append({name: str(value) for name, value in f.items()})
    return fields


def _expected_error(ndim: int, held: list[dict]) -> str | None:
    """What the page must say for values PyTorch or the page refuses: the command line's own sentence."""
    for f in held:
        for name in NAMES:
            if not re.fullmatch(r"\s*[-+]?\d+\s*", f[name]):
                with pytest.raises(ParameterError) as refused:
                    check_int(name, f[name])
                return str(refused.value)
    result = _cli("shape", *_layer_args(ndim, held))
    if result.exit_code == 0:
        return None
    assert result.exit_code == 2 and result.stderr.startswith("Error: ")
    return result.stderr.strip()[len("Error: "):]


def _layer(ndim: int, held: list[dict]) -> Layer:
    return Layer.from_pytorch(*([int(f[name]) for f in held] for name in NAMES), ndim=ndim)


MAX_PHASES = 64  # the page's phase table lists the first 64 phases with outputs


def _phase_columns(layer: Layer) -> list[dict]:
    """What the page's phase table must show per axis, from the model: the phases with outputs (``Axis.phases``'
    order), each labelled r = (j + b) mod s, its first outputs and its tap count."""
    tables = []
    for axis in layer.axes:
        phases = [axis.phase(axis.phase_residue(t)) for t in range(min(axis.phase_count, MAX_PHASES))]
        outputs = [", ".join(map(str, range(p.first, p.first + min(p.count, 3) * axis.s, axis.s)))
                   + (", …" if p.count > 3 else "") if p.count else "none" for p in phases]
        tables.append({"total": axis.phase_count, "residues": [str(p.residue) for p in phases], "outputs": outputs,
                       "taps": [str(len(p.taps)) for p in phases]})
    return tables


def _check_text(ndim: int, held: list[dict], shown: dict) -> None:
    """Sizes, the ambiguity tables, the phases and the code, against `tconvcalc shape`, the model's phases and
    the Keras writer."""
    args = _layer_args(ndim, held)
    text = _cli("shape", *args).stdout.splitlines()
    data = json.loads(_cli("shape", *args, "--json").stdout)
    first = next(n for n, line in enumerate(text) if line.startswith("Output size"))
    last = next(n for n, line in enumerate(text) if line.startswith("             → "))
    assert shown["size"].split("\n") == text[first:last + 1]
    assert shown["overlap"] == [line for line in text if line.startswith("Overlap")]
    assert shown["pytorch"] == data["pytorch"]
    assert shown["phases"] == _phase_columns(_layer(ndim, held))
    for entry, table in zip(data["axes"], shown["tables"], strict=True):
        want, rows, previous = data["input_size"][entry["axis"]], [], None
        for alt in entry["alternatives"]:
            if previous is not None and alt["output_padding"] > previous + 1:
                rows.append(["…", "", "", f"{alt['output_padding'] - previous - 1} more", ""])
            rows.append([str(alt["output_padding"]), str(alt["output_size"]), str(alt["conv_output_size"]),
                         f"✓ = input {want}" if alt["inverts"] else f"✗ ≠ input {want}",
                         "◀ this layer" if alt["chosen"] else ""])
            previous = alt["output_padding"]
        assert table == {"total": entry["alternatives_total"], "rows": rows}
    keras = to_framework(_layer(ndim, held), "keras")
    assert shown["keras"] == translation_code(keras) and shown["keras_notes"] == list(keras.notes)


def _key(index) -> str:
    return ",".join(map(str, index))


def _tap(taps) -> str:
    return tap_label(tuple(taps))


def _reached(axis, n: int) -> list[tuple[int, int]]:
    """(output, tap) pairs input n reaches on one axis, from the operator's solved ranges."""
    found = input_range(axis, n)
    if found is None:
        return []
    taps, outputs = found
    return list(zip(range(taps.start, taps.stop), range(outputs.start, outputs.stop, outputs.step)))


def _check_grid(layer: Layer, shown: dict, hover, rng: random.Random) -> None:
    """Every cell drawn, each output's count, and the hover highlights of two inputs and two outputs."""
    axes = layer.axes
    kinds = [scatter_cells(a) for a in axes]  # the scatter's extent, row-major: crop wins, then appended zeros
    assert shown["kinds"] == ["crop" if "crop" in pair else "append" if "append" in pair else "out"
                              for pair in product(*kinds)]
    assert shown["inputs"] == [_key(n) for n in product(*(range(a.i) for a in axes))]
    columns = [{m: sorted(column_pairs(a, m)) for m in range(a.o)} for a in axes]
    counts = {_key(m): str(len(list(product(*(columns[x][m[x]] for x in range(len(axes)))))))
              for m in product(*(range(a.o) for a in axes))}
    assert dict(shown["outputs"]) == counts and len(shown["outputs"]) == len(counts)
    for _ in range(2):
        n = tuple(rng.randrange(a.i) for a in axes)
        lit = hover("n", _key(n))
        pairs = list(product(*(_reached(a, n[x]) for x, a in enumerate(axes))))
        assert sorted(lit["lit"]) == sorted([_key(p[1] for p in combo), _tap(p[0] for p in combo)]
                                            for combo in pairs)
        x = f"x[{_key(n)}]"
        assert lit["text"] == (f"{x} reaches " + ", ".join(f"y[{_key(p[1] for p in c)}] through "
                                                            f"{_tap(p[0] for p in c)}" for c in pairs) if pairs
                               else f"{x} reaches no output: the crop removes everything it scatters to")
        m = tuple(rng.randrange(a.o) for a in axes)
        lit = hover("m", _key(m))
        sources = list(product(*(columns[x][m[x]] for x in range(len(axes)))))
        assert sorted(lit["lit"]) == sorted([_key(p[0] for p in c), _tap(p[1] for p in c)] for c in sources)
        assert sorted(lit["taps"]) == sorted({_key(p[1] for p in c) for c in sources})
        y, phase = f"y[{_key(m)}]", _key(a.output_phase(j) for a, j in zip(axes, m))
        assert lit["text"] == (f"{y} = " + " + ".join(f"x[{_key(p[0] for p in c)}]·{_tap(p[1] for p in c)}"
                                                        for c in sources) if sources
                               else f"{y} = 0: no input reaches it") + f"   (phase r = {phase})"
        assert lit["hovered"] == [_key(m)]


def _check_phases_against_the_commands(ndim: int, held: list[dict], tables: list[dict]) -> None:
    """The page's phase r holds the outputs and taps `derive phases` gives phase r, and its tap count is what
    `overlap` counts for phase r (it lists the counts by r = (j + b) mod s too)."""
    args = _layer_args(ndim, held)
    derived = json.loads(_cli("derive", "phases", *args, "--json").stdout)["results"]["phases"]
    overlap = json.loads(_cli("overlap", *args, "--json").stdout)["phase_tap_counts"]
    checked = 0
    for n, table in enumerate(tables):
        column = {r: (outputs, taps) for r, outputs, taps in zip(table["residues"], table["outputs"], table["taps"])}
        for row in (r for r in derived if r["axis"] == n and "phase" in r):
            outputs, taps = column[str(row["phase"])]
            listed = [str(j) for j in row["outputs"] if j != "…"]
            assert outputs.split(", ")[:3] == listed[:3] and taps == str(row["tap_count"]) == str(len(row["taps"]))
            if row["phase"] < len(overlap[n]):  # overlap lists the first 64 phases
                assert taps == str(overlap[n][row["phase"]])
            checked += 1
    assert checked >= len(tables)


def test_random_layers_show_what_the_model_says(page, tmp_path):
    rng = random.Random(13)
    update_ms, kinds = [], {"shown": 0, "refused": 0, "too large": 0, "1-D": 0, "2-D": 0}
    set_and_read, hover_script = _script(SET_AND_READ), _script(HOVER)
    for case in range(CASES):
        ndim = 1 + case % 2
        kinds[f"{ndim}-D"] += 1
        shown = page.evaluate(set_and_read, [ndim, _random_fields(rng, ndim)])
        held = shown["held"]
        error = _expected_error(ndim, held)
        assert shown["error"] == error, held
        assert shown["results_hidden"] is (error is not None)
        if error is not None:
            kinds["refused"] += 1
            continue
        _check_text(ndim, held, shown)
        layer = _layer(ndim, held)
        try:
            check_drawable(layer)
        except ParameterError as refused:
            kinds["too large"] += 1
            assert shown["limit"] == str(refused) and shown["grid_hidden"]
            refusal = _cli("explore", *_layer_args(ndim, held), "-o", tmp_path / "page.html")
            assert refusal.exit_code == 2 and refusal.stderr.strip() == f"Error: {refused}"
            assert not list(tmp_path.iterdir())  # nothing written, not even a part
            continue
        kinds["shown"] += 1
        assert shown["limit"] is None and not shown["grid_hidden"]
        if kinds["shown"] % 10 == 0 and max(layer.field("s")) <= 64:
            _check_phases_against_the_commands(ndim, held, shown["phases"])
        if max(layer.input_size) <= 32:
            update_ms.append(shown["ms"])
        _check_grid(layer, shown, lambda kind, index: page.evaluate(hover_script, [kind, index]), rng)
    assert kinds["refused"] > 20 and kinds["too large"] > 5 and kinds["shown"] > 150
    assert page.problems == [] and page.refused == []
    print(f"\n{CASES} layers ({kinds}); input change -> updated display: median {statistics.median(update_ms):.2f} ms, "
          f"max {max(update_ms):.2f} ms over {len(update_ms)} drawn layers (target ≤ 50 ms)")


def test_real_typing_and_hovering(page):
    """The same page through the mouse and keyboard, as a person uses it: fields typed, cells hovered."""
    page.check("#ndim-2")
    for name, value in zip(NAMES, (3, 3, 2, 1, 1, 1)):
        page.fill(f"#axis0-{name}", str(value))
        page.fill(f"#axis1-{name}", str(value))
    page.fill("#axis1-input_size", "4")
    layer = Layer.from_pytorch((3, 4), 3, 2, 1, 1)
    assert page.text_content("#size").endswith("→ " + "×".join(map(str, layer.output_size)))
    page.hover('#output-grid [data-m="2,3"]')
    pairs = list(product(sorted(column_pairs(layer.axes[0], 2)), sorted(column_pairs(layer.axes[1], 3))))
    assert page.text_content("#hover") == "y[2,3] = " + " + ".join(
        f"x[{c[0][0]},{c[1][0]}]·{tap_label((c[0][1], c[1][1]))}" for c in pairs) + \
        f"   (phase r = {layer.axes[0].output_phase(2)},{layer.axes[1].output_phase(3)})"
    marked = page.evaluate(MARKS)
    assert [cell["key"] for cell in marked if cell["hovered"]] == ["2,3"]
    hovered = next(cell for cell in marked if cell["hovered"])
    others = {cell["outline"] for cell in marked if not cell["hovered"] and not cell["lit"]}
    assert hovered["outline"] == "solid" and float(hovered["width"].removesuffix("px")) >= 2
    assert others == {"none"}  # the mark is the hovered cell's alone (and the lit cells')
    page.fill("#axis0-output_padding", "2")
    assert page.text_content("#error") == str(pytest.raises(ParameterError, Layer.from_pytorch, 3, 3, 2, 1, 2).value)
    assert page.is_visible("#error-line") and not page.is_visible("#results")
    page.check("#ndim-1")  # axis 0 is still wrong; the 1-D layer says so too
    assert page.is_visible("#error-line")
    page.fill("#axis0-output_padding", "1")
    assert page.is_visible("#results")
    assert page.text_content("#pytorch") == pytorch_code(Layer.from_pytorch(3, 3, 2, 1, 1, ndim=1))
    assert page.problems == [] and page.refused == []


def test_update_time_for_the_largest_drawn_layer(page):
    """Print the time from an input change to the updated display where the page draws the most cells
    (2-D, a full scatter of 32 cells an axis); tests never assert on time."""
    script = _script(SET_AND_READ)
    largest = {"input_size": "10", "kernel_size": "5", "stride": "3", "padding": "0", "output_padding": "0",
               "dilation": "1"}
    assert max(a.full for a in Layer.from_pytorch(10, 5, 3, ndim=2).axes) == 32
    times = []
    for p in (0, 1, 2) * 7:
        shown = page.evaluate(script, [2, [{**largest, "padding": str(p)}] * 2])
        assert shown["error"] is None and shown["limit"] is None
        times.append(shown["ms"])
    started = time.perf_counter()
    page.evaluate(script, [2, [largest] * 2])
    round_trip = (time.perf_counter() - started) * 1000
    print(f"\nlargest drawn layer (2-D, 10×10 in, k=5, s=3: 32×32 cells of scatter): update median "
          f"{statistics.median(times):.2f} ms, max {max(times):.2f} ms over {len(times)} changes (target ≤ 50 ms); "
          f"a whole Playwright call around it, reading every cell back, {round_trip:.1f} ms")
    assert page.problems == []


def test_values_past_what_javascript_counts_exactly_get_the_pages_sentence(page):
    """Each field below 2**53, their product past it: the page says so at once (it used to round, and hang on
    a loop whose n + 1 was n), and a field past 2**53 gets the same kind of sentence; Python answers both
    exactly, so the page points there."""
    script = _script(SET_AND_READ)
    layer = {"input_size": "200000000", "kernel_size": "3", "stride": "200000000", "padding": "0",
             "output_padding": "0", "dilation": "1"}
    assert Layer.from_pytorch(200000000, 3, 200000000, ndim=1).output_size[0] > 2 ** 53  # Python: exact
    shown = page.evaluate(script, [1, [layer]])
    assert "more samples than the page computes exactly (2**53 - 1)" in shown["error"] and shown["results_hidden"]
    shown = page.evaluate(script, [1, [{**layer, "input_size": str(2 ** 60)}]])
    assert "is more than the page computes exactly (2**53 - 1)" in shown["error"]
    shown = page.evaluate(script, [1, [{**layer, "input_size": "4", "stride": "2"}]])
    assert shown["error"] is None and shown["held"][0]["input_size"] == "4"
    assert page.problems == []


# Each labelled cell's text against its box: the label must fit (the cells clip what does not).
FITS = """() => [...document.querySelectorAll("#drawing .cell.tap, #drawing .cell.lit")].map(c =>
  ({ text: c.textContent, fits: c.scrollWidth <= c.clientWidth && c.scrollHeight <= c.clientHeight }))"""


@pytest.mark.parametrize("k, s", [(3, 2), (16, 1), (12, 2)])
def test_tap_labels_are_subscripted_and_fit_their_cells(page, k, s):
    """Kernel cells and the outputs an input lights print w₁,₀ (not w_{1,0}) and every label fits its cell,
    up to two-digit taps on both axes."""
    script = _script(SET_AND_READ)
    fields = {"input_size": "2", "kernel_size": str(k), "stride": str(s), "padding": "0", "output_padding": "0",
              "dilation": "1"}
    shown = page.evaluate(script, [2, [fields, fields]])
    assert shown["error"] is None and shown["limit"] is None
    page.evaluate(_script(HOVER), ["n", "1,1"])
    cells = page.evaluate(FITS)
    kernel = [cell["text"] for cell in cells][:k * k]
    assert kernel == [tap_label(a) for a in product(range(k), range(k))]
    assert len(cells) > k * k and not any("_" in cell["text"] or "{" in cell["text"] for cell in cells)
    assert [cell["text"] for cell in cells if not cell["fits"]] == []
    assert page.problems == []
