"""`tconvcalc explore` without a browser: the page file, its limit and refusals, `--serve`, and the static grid
`tc.Layer` shows in Jupyter.  tests/test_explore_browser.py runs the page itself."""

from __future__ import annotations

import html
import json
import os
import re
import signal
import subprocess
import sys
import urllib.request
from itertools import product
from pathlib import Path

import pytest
from hypothesis import assume, given, settings, strategies as st

import tconvcalc as tc
from tconvcalc.model import arithmetic
from tconvcalc.errors import ParameterError
from tconvcalc.explore import MAX_CELLS, check_drawable, layer_html, page_html, tap_label
from tconvcalc.pictures.frames import frames_of
from tconvcalc.model.structure import column_pairs, input_range
from tconvcalc.reports import shape as shape_report

from helpers import run, run_error, run_ok

ASSETS = Path(tc.__file__).parent / "explore"


@st.composite
def pytorch_layers(draw, max_size: int = 12):
    """A PyTorch layer of one or two axes whose every rule holds (output_padding < max(s, d), output ≥ 1)."""
    axes = []
    for _ in range(draw(st.integers(1, 2))):
        i, k, s, d = (draw(st.integers(1, top)) for top in (max_size, 6, 5, 3))
        op = draw(st.integers(0, max(s, d) - 1))
        full = (i - 1) * s + d * (k - 1) + 1
        p = draw(st.integers(0, (full + op - 1) // 2))
        axes.append((i, k, s, p, op, d))
    return tc.Layer.from_pytorch(*zip(*axes))


def _scatter_length(axis) -> int:
    """Positions a picture of the scatter needs, by brute force: every n*s + a*d and every output's place."""
    places = {n * axis.s + a * axis.d for n in range(axis.i) for a in range(axis.k)}
    places |= {j + axis.b for j in range(axis.o)}
    return max(places) - min(places | {0}) + 1


@settings(max_examples=300, deadline=None)
@given(pytorch_layers(max_size=20))
def test_the_page_refuses_exactly_the_layers_past_its_cells(layer):
    too_large = max(_scatter_length(axis) for axis in layer.axes) > MAX_CELLS
    if too_large:
        with pytest.raises(ParameterError, match=f"more than the {MAX_CELLS} it draws; see this layer with "
                                                 f"tconvcalc overlap or tconvcalc figure"):
            check_drawable(layer)
    else:
        check_drawable(layer)


def test_the_pages_javascript_uses_the_pythons_limits():
    """model.js keeps its own copies of the limits a report uses; they must be the same numbers."""
    model = (ASSETS / "model.js").read_text(encoding="utf-8")
    copies = {name: int(value) for name, value in re.findall(r"const (MAX_\w+) = (\d+);", model)}
    assert copies == {"MAX_CELLS": MAX_CELLS, "MAX_ROWS": arithmetic.MAX_ROWS, "MAX_PHASES": shape_report.MAX_PHASES}
    assert shape_report.SIZE_FORMULA in model


def test_the_page_is_one_self_contained_file_under_200_kb(tmp_path):
    path = tmp_path / "page.html"
    run_ok("explore", "--in", 3, "--k", 3, "--s", 2, "--p", 1, "--op", 1, "-o", path)
    text = path.read_text(encoding="utf-8")
    assert text == page_html(tc.Layer.from_pytorch(3, 3, 2, 1, 1, ndim=2))
    assert len(path.read_bytes()) <= 200_000
    for asset in ("model.js", "view.js", "page.css"):  # embedded whole, not linked
        assert (ASSETS / asset).read_text(encoding="utf-8").rstrip("\n") in text
    assert not re.search(r"<link|\bsrc=|\bhref=|https?://|@import|url\(", text)  # nothing to fetch
    initial = json.loads(re.search(r'<script type="application/json" id="initial">(.*?)</script>', text).group(1))
    assert initial == {"ndim": 2, "axes": [dict(zip(("input_size", "kernel_size", "stride", "padding", "output_padding",
                                                     "dilation"), (3, 3, 2, 1, 1, 1)))] * 2}


def test_per_axis_and_one_dimensional_values_reach_the_page(tmp_path):
    path = tmp_path / "page.html"
    run_ok("explore", "--in", "3,4", "--k", 3, "--s", "2,1", "--d", "1,2", "-o", path)
    initial = json.loads(re.search(r'id="initial">(.*?)</script>', path.read_text(encoding="utf-8")).group(1))
    assert [(a["input_size"], a["stride"], a["dilation"]) for a in initial["axes"]] == [(3, 2, 1), (4, 1, 2)]
    run_ok("explore", "--in", 5, "--k", 3, "--ndim", 1, "-o", path)
    initial = json.loads(re.search(r'id="initial">(.*?)</script>', path.read_text(encoding="utf-8")).group(1))
    assert initial["ndim"] == 1 and len(initial["axes"]) == 1


def test_without_a_layer_the_page_opens_on_the_doubling_layer(tmp_path):
    run_ok("explore", "-o", tmp_path / "first.html")
    run_ok("explore", "--in", 4, "--k", 3, "--s", 2, "--p", 1, "--op", 1, "-o", tmp_path / "given.html")
    assert (tmp_path / "first.html").read_bytes() == (tmp_path / "given.html").read_bytes()
    assert "add --in and --k" in run_error("explore", "--s", 3, "-o", tmp_path / "no.html")
    assert "missing option --k" in run_error("explore", "--in", 3, "-o", tmp_path / "no.html")
    assert not (tmp_path / "no.html").exists()


@pytest.mark.parametrize("args", [
    ["--in", 2, "--k", 3, "--s", 2, "--op", 2],         # output_padding ≥ max(s, d)
    ["--in", 2, "--k", 3, "--s", 2, "--p", 9],          # padding crops everything
    ["--in", 0, "--k", 3],                              # a size below 1
    ["--in", "3,4", "--k", 3, "--s", "2,1", "--op", "1,1"],
])
def test_rejected_layers_get_the_same_sentence_as_shape(args, tmp_path):
    page = tmp_path / "page.html"
    assert run_error("explore", *args, "-o", page) == run_error("shape", *args)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("args, words", [
    (["--in", 20, "--k", 3, "--s", 2], "the page's grid would be 41 cells along an axis"),
    (["--in", 1, "--k", 1, "--s", 40, "--op", 39], "the page's grid would be 40 cells along an axis"),
    (["--in", 3, "--k", 3, "--ndim", 3], "the page draws 1-D and 2-D layers but this one is 3-D"),
])
def test_layers_the_page_cannot_draw_are_refused_before_anything_is_written(args, words, tmp_path):
    message = run_error("explore", *args, "-o", tmp_path / "page.html")
    assert words in message and not list(tmp_path.iterdir())


@pytest.mark.parametrize("args, words", [
    ([], "no page to write, explore writes the page into -o FILE.html or serves it with --serve"),
    (["-o", "page.png"], "-o page.png does not end in .html or .htm"),
    (["-o", " "], "-o is empty"),
    (["-o", "missing/folder/page.html"], "cannot write missing/folder/page.html"),
])
def test_bad_output_gets_one_sentence(args, words, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert words in run_error("explore", "--in", 3, "--k", 3, *args)
    assert not list(tmp_path.iterdir())


def test_an_existing_page_is_replaced_whole(tmp_path):
    path = tmp_path / "page.html"
    path.write_text("old")
    run_ok("explore", "--in", 2, "--k", 2, "--s", 2, "-o", path)
    assert path.read_text(encoding="utf-8") == page_html(tc.Layer.from_pytorch(2, 2, 2, ndim=2))
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]


@pytest.mark.slow
def test_serve_answers_with_the_page_and_ctrl_c_ends_cleanly(tmp_path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # A shell's background job starts with SIGINT ignored, and Python then keeps it ignored: give the server
    # the default disposition, as a terminal would, so Ctrl-C is what is tested however pytest was started.
    server = subprocess.Popen([sys.executable, "-m", "tconvcalc", "explore", "--in", "3", "--k", "3", "--s", "2",
                               "--serve", "--no-open"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        line = server.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line).group(0)
        with urllib.request.urlopen(url, timeout=10) as response:
            served = response.read().decode("utf-8")
        assert served == page_html(tc.Layer.from_pytorch(3, 3, 2, ndim=2))
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(url + "other.js", timeout=10)
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=20)
    assert server.returncode == 0 and "Traceback" not in err and err == ""
    assert line.startswith("serving the explorer at ") and out.strip() == "stopped"


def test_serve_on_a_busy_port_is_one_sentence():
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        message = run_error("explore", "--in", 3, "--k", 3, "--serve", "--no-open", "--port", port)
    assert message.startswith(f"Error: cannot listen on port {port}") and "use --port 0" in message


@pytest.mark.slow
def test_the_model_loads_the_page_builder_only_when_a_notebook_asks():
    done = subprocess.run([sys.executable, "-c", "import sys, tconvcalc as tc; tc.Layer.from_pytorch(2, 3, 2); "
                                                 "print(sorted(m for m in sys.modules if 'explore' in m))"],
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]"


def _titles(text: str, kind: str) -> list[tuple[str, str]]:
    cells = re.findall(rf'<td class="{kind}[^"]*" title="([^"]*)">([^<]*)</td>', text)
    return [(html.unescape(title), count) for title, count in cells]


@settings(max_examples=60, deadline=None)
@given(pytorch_layers(max_size=6))
def test_the_notebook_grid_says_what_the_operator_solves(layer):
    """Each output cell: its count and its sum, from C's columns solved (column_pairs); each input: the outputs it
    reaches, from the inputs' ranges solved (input_range) - not from the triples the grid was drawn from."""
    assume(max(a.full + max(0, -a.e) for a in layer.axes) <= MAX_CELLS)
    text = layer._repr_html_()
    assert text == layer_html(layer)
    key = lambda index: ",".join(map(str, index))  # noqa: E731
    # Each output's phase r from the animation's phases view (a frame per phase, its outputs lit)
    phase_of = {m: key(frame.focus) for frame in frames_of(layer, "phases").frames for m in frame.lit["output"]}
    outputs = []
    for m in product(*(range(a.o) for a in layer.axes)):
        terms = list(product(*(sorted(column_pairs(a, m[x])) for x, a in enumerate(layer.axes))))
        title = (f"y[{key(m)}] = " + " + ".join(f"x[{key(t[0] for t in c)}]·{tap_label([t[1] for t in c])}"
                                                for c in terms) if terms else f"y[{key(m)}] = 0: no input reaches it")
        title += f"   (phase r = {phase_of[m]})"
        outputs.append((title, str(len(terms))))
    assert _titles(text, "out") == outputs
    inputs = []
    for n in product(*(range(a.i) for a in layer.axes)):
        per_axis = []
        for x, a in enumerate(layer.axes):
            found = input_range(a, n[x])
            per_axis.append([] if found is None else list(zip(range(found[0].start, found[0].stop),
                                                              range(found[1].start, found[1].stop, found[1].step))))
        reached = list(product(*per_axis))
        title = (f"x[{key(n)}] reaches " + ", ".join(f"y[{key(t[1] for t in c)}] through {tap_label([t[0] for t in c])}"
                                                      for c in reached) if reached
                 else f"x[{key(n)}] reaches no output: the crop removes everything it scatters to")
        inputs.append((title, ""))
    assert _titles(text, "in") == inputs


def test_the_notebook_grid_of_a_layer_too_large_is_the_sentence():
    layer = tc.Layer.from_pytorch(40, 3)
    with pytest.raises(ParameterError) as refused:
        check_drawable(layer)
    assert layer._repr_html_() == f"<p>{html.escape(str(refused.value))}</p>"


def test_explore_help_names_its_options():
    result = run("explore", "--help")
    assert result.exit_code == 0 and all(flag in result.stdout for flag in ("-o, --output", "--serve", "--port"))
