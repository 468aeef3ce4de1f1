"""The shape-path commands through click's runner, and a real subprocess for exit codes and imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import tconvcalc as tc

from helpers import run, run_error, run_json, unwrapped

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_shape_headline_shows_size_ambiguity_and_layer():
    result = run("shape", "--in", "2", "--k", "3", "--s", "2")
    assert result.exit_code == 0
    out = unwrapped(result.stdout)
    assert "(2−1)·2 − 2·0 + 1·(3−1) + 0 + 1 = 5" in out
    assert "nn.ConvTranspose2d(in_ch, out_ch, kernel_size=3, stride=2, padding=0, output_padding=0)" in out
    rows = [line.split() for line in out.splitlines() if "= input 2" in line]
    # output_padding, output size, conv of it: both 5 and 6 convolve back to 2.
    assert [row[:3] for row in rows] == [["0", "5", "2"], ["1", "6", "2"]]


def test_shape_json_schema_matches_the_api():
    report = run_json("shape", "--in", "2", "--k", "3", "--s", "2")
    assert report["output_size"] == [5, 5]
    pairs = [(alt["output_padding"], alt["output_size"]) for alt in report["alternatives"]]
    assert pairs == [([0, 0], [5, 5]), ([0, 1], [5, 6]), ([1, 0], [6, 5]), ([1, 1], [6, 6])]
    for alt in report["alternatives"]:
        assert alt["output_size"] == list(tc.conv_transpose_output_size((2, 2), 3, 2, 0, tuple(alt["output_padding"])))
        assert alt["inverts"]


def test_shape_axes_follow_comma_lists_and_ndim():
    assert "ConvTranspose1d" in run_json("shape", "--in", "2", "--k", "3", "--ndim", "1")["pytorch"]
    report = run_json("shape", "--in", "8,8,4", "--k", "4,4,2", "--s", "2", "--p", "1,1,0")
    assert report["output_size"] == list(tc.conv_transpose_output_size((8, 8, 4), (4, 4, 2), 2, (1, 1, 0)))
    assert report["pytorch"].startswith("nn.ConvTranspose3d(")


def test_shape_target_solves_output_padding_like_forward_output_size():
    report = run_json("shape", "--in", "2", "--k", "3", "--s", "2", "--target", "6")
    assert report["output_padding"] == [1, 1] and report["output_size"] == [6, 6] and report["target_size"] == [6, 6]
    report = run_json("shape", "--in", "7,9", "--k", "3", "--s", "2", "--p", "1", "--target", "14,17")
    assert report["output_padding"] == [1, 0]


def test_shape_marks_output_padding_that_does_not_invert_when_dilation_exceeds_stride():
    report = run_json("shape", "--in", "4", "--k", "3", "--s", "1", "--d", "3", "--ndim", "1")
    inverts = [alt["inverts"] for alt in report["axes"][0]["alternatives"]]
    assert inverts == [True, False, False]
    # The same fact from the API: only output_padding 0 maps back to 4 under the convolution.
    for alt in report["axes"][0]["alternatives"]:
        assert tc.conv_output_size(alt["output_size"], 3, 1, 0, 3) == alt["conv_output_size"]


def test_conv_lists_every_input_with_its_output_padding():
    report = run_json("conv", "--in", "5", "--k", "3", "--s", "2", "--ndim", "1")
    assert report["output_size"] == [2]
    rows = report["axes"][0]["inputs"]
    assert [(r["input_size"], r["output_padding"]) for r in rows] == [(5, 0), (6, 1)]
    for r in rows:
        assert tc.conv_transpose_output_size(2, 3, 2, 0, r["output_padding"]) == r["input_size"]


def test_plan_json_candidates_map_in_to_out():
    report = run_json("plan", "--in", "7,9", "--out", "28,36", "--k", "1-7", "--limit", "5")
    assert report["candidates"]
    for c in report["candidates"]:
        assert c["output_size"] == [28, 36]
        size = tc.conv_transpose_output_size((7, 9), tuple(c["kernel_size"]), tuple(c["stride"]),
                                             tuple(c["padding"]), tuple(c["output_padding"]), tuple(c["dilation"]))
        assert list(size) == [28, 36]


def test_plan_terminal_view_lists_pytorch_lines():
    result = run("plan", "--in", "16", "--out", "32", "--s", "2", "--limit", "3")
    assert result.exit_code == 0
    assert "nn.ConvTranspose2d(in_ch, out_ch, kernel_size=2, stride=2, padding=0, output_padding=0)" in unwrapped(
        result.stdout)


def test_plan_with_nothing_in_bounds_says_so():
    report = run_json("plan", "--in", "16", "--out", "100", "--k", "1-2", "--s", "1")
    assert report["total"] == 0 and report["candidates"] == []
    assert "widen" in run("plan", "--in", "16", "--out", "100", "--k", "1-2", "--s", "1").stdout


BAD = [
    (["shape", "--in", "2", "--k", "3", "--s", "2", "--op", "2"], "output_padding=2 is not < max(stride=2"),
    (["shape", "--in", "0", "--k", "3"], "input_size=0"),
    (["shape", "--in", "-3", "--k", "3"], "input_size=-3"),
    (["shape", "--in", "2", "--k", "3.5"], "'3.5' is not an integer"),
    (["shape", "--in", "2,2", "--k", "3,3,3"], "axes"),
    (["shape", "--in", "", "--k", "3"], "empty"),
    (["shape", "--in", "2,", "--k", "3"], "empty"),
    (["shape", "--k", "3"], "missing option --in / --input-size"),
    (["shape", "--in", "1", "--k", "1", "--p", "1"], "must be ≥ 1"),
    (["shape", "--in", "2", "--k", "3", "--s", "2", "--target", "9"], "not reachable"),
    (["shape", "--in", "2", "--k", "3", "--op", "1", "--s", "2", "--target", "6"], "only one may"),
    (["conv", "--in", "2", "--k", "5"], "shorter than the dilated kernel"),
    (["plan", "--in", "16", "--out", "32", "--k", "7-1"], "runs backwards"),
    (["plan", "--in", "16", "--out", "32", "--k", "0-3"], "≥ 1"),
    (["plan", "--in", "16"], "missing option --out"),
    (["shape", "--in", "2", "--k", "3", "--bogus"], "no such option --bogus"),
    (["frobnicate"], "No such command"),
]


@pytest.mark.parametrize("as_json", [False, True])
@pytest.mark.parametrize("args, words", BAD)
def test_bad_input_is_one_error_line_exit_2(args, words, as_json):
    result = run(*args, *(["--json"] if as_json and args[0] != "frobnicate" else []))
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert words in lines[0]
    assert "Traceback" not in result.stderr


def subprocess_run(*args, flags=()):
    return subprocess.run([sys.executable, *flags, "-m", "tconvcalc", *args], capture_output=True, text=True,
                          timeout=60)


@pytest.mark.slow
def test_python_dash_m_runs_like_the_console_script():
    done = subprocess_run("shape", "--in", "2", "--k", "3", "--s", "2", "--json")
    assert done.returncode == 0
    assert json.loads(done.stdout)["output_size"] == [5, 5]
    bad = subprocess_run("shape", "--in", "2", "--k", "3", "--s", "2", "--op", "5", "--json")
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.startswith("Error: output_padding=5") and bad.stderr.count("\n") == 1


def test_bare_tconvcalc_and_derive_show_their_help_and_succeed():
    for args in ([], ["derive"]):
        result = run(*args)
        assert result.exit_code == 0 and result.stdout.startswith("Usage: ") and result.stderr == ""
        assert "Commands:" in result.stdout and ("ambiguity" in result.stdout) == bool(args)


def test_no_view_line_ends_in_spaces():
    # rich pads table cells and blank lines; the views strip them (files, diffs and READMEs stay clean)
    for args in (["shape", "--in", "2", "--k", "3", "--s", "2"], ["plan", "--in", "4", "--out", "64", "--s", "1-16"],
                 ["conv", "--in", "9", "--k", "3", "--s", "2"]):
        out = run(*args).stdout
        assert out and not [line for line in out.splitlines() if line != line.rstrip()]


def test_a_memory_error_is_one_line(monkeypatch):
    from tconvcalc.reports import shape as reports

    def exhausted(*args, **kwargs):
        raise MemoryError("Unable to allocate 298. GiB for an array with shape (2, 2, 100000, 100000)")

    monkeypatch.setattr(reports, "shape_report", exhausted)
    result = run("shape", "--in", "2", "--k", "3")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "Error: out of memory (Unable to allocate 298. GiB for an array with shape (2, 2, 100000, 100000)), the "
        "request must fit in this machine's memory; use smaller sizes"]


def test_a_bug_is_one_line_asking_for_a_report(monkeypatch):
    from tconvcalc.reports import shape as reports

    def broken(*args, **kwargs):
        raise KeyError("axes\nsecond line")

    monkeypatch.setattr(reports, "shape_report", broken)
    result = run("shape", "--in", "2", "--k", "3")
    assert result.exit_code == 1 and result.stdout == "" and result.stderr.count("\n") == 1
    assert result.stderr.startswith("Error: internal error (KeyError: 'axes\\nsecond line'), a bug in tconvcalc")
    monkeypatch.setenv("TCONVCALC_DEBUG", "1")
    assert isinstance(run("shape", "--in", "2", "--k", "3").exception, KeyError)  # the traceback, on request


@pytest.mark.slow
def test_a_reader_that_stops_early_is_not_a_failure():
    for args in (["shape", "--in", "2", "--k", "3", "--s", "2"], ["plan", "--in", "4", "--out", "4096", "--s", "1-64"],
                 ["matrix", "--in", "64", "--k", "3", "--ndim", "1", "--full", "--format", "latex"]):
        reader = subprocess.Popen([sys.executable, "-m", "tconvcalc", *args], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        reader.stdout.readline()
        reader.stdout.close()  # like `| head -1`
        assert reader.wait(timeout=60) == 0
        assert reader.stderr.read() == b""


@pytest.mark.parametrize("args", [["shape", "--in", "2", "--k", "3", "--s", "2"],
                                  ["convert", "--from", "pytorch", "--to", "tensorflow", "--in", "16", "--k", "4",
                                   "--s", "2", "--p", "1"],
                                  ["convert", "--from", "pytorch", "--to", "onnx", "--in", "16,16,16", "--k", "4",
                                   "--s", "2", "--p", "1", "--op", "1"]])
def test_code_broken_to_fit_80_columns_is_the_same_code(args):
    import ast
    import textwrap

    out = run(*args).stdout  # click's runner: an 80-column console
    code = run_json(*args)
    lines = code.get("pytorch") or "\n".join(code["code"])
    assert max(len(line) for line in out.splitlines()) <= 80
    shown = [line.strip() for line in unwrapped(out).splitlines()]
    for line in lines.splitlines():
        assert line.strip() in shown
        # the broken form, pasted as printed, is the same code
        start = out.rindex("\n", 0, out.index(line.split("(")[0])) + 1
        broken = out[start:].split("\n\n")[0].split("\nExact")[0]
        assert ast.dump(ast.parse(textwrap.dedent(broken))) == ast.dump(ast.parse(line.strip()))


# --- output targets that are not regular files ----------------------------------------------------------------

WRITERS = [("latex", "--in", 2, "--k", 3, "--what", "size", "-o"), ("explore", "--in", 2, "--k", 3, "-o")]


@pytest.mark.parametrize("command", WRITERS, ids=lambda c: c[0])
def test_a_fifo_target_is_refused_and_left_a_fifo(command, tmp_path):
    import os
    import stat

    fifo = tmp_path / ("pipe.html" if command[0] == "explore" else "pipe.tex")
    os.mkfifo(fifo)
    said = run_error(*command, fifo)
    assert "is a FIFO" in said and "regular file" in said
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and os.listdir(tmp_path) == [fifo.name]


def test_a_device_target_is_refused_and_left_a_device():
    import os
    import stat

    said = run_error("latex", "--in", 2, "--k", 3, "--what", "size", "-o", "/dev/full")
    assert "is a character device" in said
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_a_link_to_a_file_is_written_through(tmp_path):
    target, link = tmp_path / "notes.tex", tmp_path / "link.tex"
    target.write_text("old")
    link.symlink_to(target)
    assert run("latex", "--in", 2, "--k", 3, "--what", "size", "-o", link).exit_code == 0
    assert link.is_symlink() and "\\begin" in target.read_text()
