"""Every `$ tconvcalc ...` example in the README and in the documentation site prints what the page shows.

The pages are README.md and every Markdown page under docs/ (docs/_build, the built site, left out). Examples are
the lines starting with `$ ` in ```text and ```console blocks, each followed by its output up to the next `$ `
line, run at 100 columns without colour.  A pipe into head, tail, sed -n or jq is applied here, so an excerpt is
checked as an excerpt; an output that starts with `…` is the end of the real one.  Each test's id is the page and
the line of its command.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tconvcalc.cli import COMMANDS
from tconvcalc.errors import TORCH_INSTALL

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md"] + sorted(path for path in DOCS.rglob("*.md")
                                      if "_build" not in path.relative_to(DOCS).parts)
JSON_PAGE = DOCS / "json.md"  # the JSON keys table
pytestmark = pytest.mark.slow  # a subprocess per example


def _examples(page: Path):
    """(line of the command, the command, its output lines) for each example on ``page``."""
    current, fence = None, None
    for number, line in enumerate(page.read_text(encoding="utf-8").split("\n"), start=1):
        if fence is None:
            if line in ("```text", "```console"):
                fence = line
            continue
        if line == "```":
            if current:
                yield current
            current, fence = None, None
        elif line.startswith("$ "):
            if current:
                yield current
            current = (number, line[2:], [])
        elif current:
            current[2].append(line)


def examples():
    """(page relative to the repository, line, command, output) for every example of every page."""
    for page in PAGES:
        for number, command, output in _examples(page):
            yield page.relative_to(ROOT).as_posix(), number, command, output


def _filter(output: str, stage: str) -> str:
    """One pipe stage, as the shell tool would apply it."""
    words = shlex.split(stage)
    lines = output.split("\n")
    if words[0] == "head":
        return "\n".join(lines[:int(words[1].lstrip("-"))])
    if words[0] == "tail":
        return "\n".join(lines[-int(words[1].lstrip("-")):])
    if words[:2] == ["sed", "-n"]:
        first, last = map(int, words[2].rstrip("p").split(","))
        return "\n".join(lines[first - 1:last])
    if words[0] == "jq":
        value = json.loads(output)
        for key in words[2].strip(".").split("."):
            value = value[key]
        return value if words[1] == "-r" else json.dumps(value, separators=(",", ":"))
    raise AssertionError(f"an example pipes into {stage!r}, which this test does not know")


# The error cells of `check`'s table and summary: float rounding, which depends on the CPU's BLAS kernels (Zen 4,
# Zen 5 and Sapphire Rapids print different last digits, or 0). Such a cell is compared by its bound - the
# tolerance printed in its row, or after ≤ in the summary - and masked, so the rest is compared to the letter.
_ERROR = r"\d\.\de[-+]\d\d|0"
_CHECK_ROW = re.compile(rf"^ \S.*?\s(?P<abs>{_ERROR})\s+(?P<rel>{_ERROR})"
                        rf"\s+(?P<tolerance>\d\.\de[-+]\d\d)\s.*(PASS|FAIL)$")
_CHECK_SUMMARY = re.compile(rf"worst rel error (?P<worst>{_ERROR}) ≤ (?P<tolerance>\d\.\de[-+]\d\d)$")


def _mask_rounding(text: str) -> str:
    """``text`` with each rounding-dependent error cell replaced by ``~`` (in the table at the cell's right edge, as
    its columns are right-aligned), after checking that the cell keeps within its bound."""
    lines = []
    for line in text.split("\n"):
        for pattern, aligned in ((_CHECK_ROW, True), (_CHECK_SUMMARY, False)):
            match = pattern.search(line)
            if match is None:
                continue
            bound = float(match["tolerance"])
            for name in set(match.re.groupindex) - {"tolerance"}:
                assert float(match[name]) <= bound, f"{match[name]} exceeds its bound {bound}: {line!r}"
            for name in sorted(set(match.re.groupindex) - {"tolerance"}, key=match.start, reverse=True):
                start, end = match.span(name)
                line = line[:start] + ("~".rjust(end - start) if aligned else "~") + line[end:]
        lines.append(line)
    return "\n".join(lines)


# A proof's time, "(0.00 s)": wall time, which a busy machine stretches. Masked in both texts, as the rounding cells.
_SECONDS = re.compile(r"\((\d+\.\d\d) s\)")


def _mask_seconds(text: str) -> str:
    return _SECONDS.sub("(~ s)", text)


def test_proof_times_are_masked():
    assert _mask_seconds("expand to 0 (0.00 s)") == _mask_seconds("expand to 0 (0.03 s)") == "expand to 0 (~ s)"
    assert _mask_seconds("(0.00 s)") != _mask_seconds("(0.00 ms)")


def test_rounding_cells_are_masked_by_their_bound():
    row = " zero insertion              3.6e-15     2.8e-16     1.0e-12   PASS"
    assert _mask_rounding(row) == _mask_rounding(" zero insertion                    0           0     1.0e-12   PASS")
    assert _mask_rounding(row) != _mask_rounding(row.replace("zero", "one"))
    with pytest.raises(AssertionError, match="exceeds its bound"):
        _mask_rounding(row.replace("2.8e-16", "2.8e-11"))
    assert (_mask_rounding("PASS  worst rel error 0 ≤ 1.0e-12")
            == _mask_rounding("PASS  worst rel error 2.8e-16 ≤ 1.0e-12"))


CASES = [pytest.param(command, "\n".join(output), id=f"{page}:{number}")
         for page, number, command, output in examples() if command.startswith("tconvcalc ")]


def test_the_pages_have_examples():
    assert len(CASES) > 30
    assert {page for page, _, command, _ in examples() if command.startswith("tconvcalc ")} >= {"README.md"}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_an_executed_example_in_the_docs(command):
    assert any(example.startswith(f"tconvcalc {command} ") for page, _, example, _ in examples()
               if page.startswith("docs/")), f"no page in docs/ shows `$ tconvcalc {command} ...` with its output"


def test_examples_are_read_with_their_page_and_line(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("intro\n```text\n$ tconvcalc shape --in 2\nout 1\nout 2\n$ tconvcalc conv --in 3\n```\n"
                    "```python\n$ tconvcalc not an example\n```\n```console\n$ tconvcalc plan --in 4\nx\n```\n",
                    encoding="utf-8")
    assert list(_examples(page)) == [(3, "tconvcalc shape --in 2", ["out 1", "out 2"]),
                                     (6, "tconvcalc conv --in 3", []), (12, "tconvcalc plan --in 4", ["x"])]


@pytest.mark.parametrize("command, expected", CASES)
def test_example_prints_what_the_page_shows(command, expected, tmp_path):
    if command.startswith("tconvcalc check "):  # its table has a row for the PyTorch installed, by version
        if importlib.util.find_spec("torch") is None:
            pytest.skip(f"the example's table has PyTorch's row; without PyTorch the row says skipped: {TORCH_INSTALL}")
        import torch

        if f"PyTorch {torch.__version__.split('+')[0]} " not in expected:
            pytest.skip(f"the example was run with another PyTorch than {torch.__version__}")
    if ".py:" in command and importlib.util.find_spec("torch") is None:
        pytest.skip(f"the example reads PyTorch code, which needs torch: {TORCH_INSTALL}")
    if ".onnx" in command and importlib.util.find_spec("onnx") is None:
        pytest.skip("the example reads an ONNX file, which needs onnx")
    if command.startswith("tconvcalc rewrite") and importlib.util.find_spec("onnxruntime") is None:
        pytest.skip("the example checks its rewrite in onnxruntime: python -m pip install '.[onnx]'")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")  # mirror reads examples/*.toml
    shutil.copytree(ROOT / "tests" / "fixtures" / "networks", tmp_path / "tests" / "fixtures" / "networks")
    shutil.copytree(ROOT / "tests" / "fixtures" / "checkerboard", tmp_path / "tests" / "fixtures" / "checkerboard")
    env = dict(os.environ, COLUMNS="100", NO_COLOR="1")
    first, *stages = command.split(" | ")
    args = [sys.executable, "-m", "tconvcalc", *shlex.split(first)[1:]]
    result = subprocess.run(args, capture_output=True, text=True, env=env, cwd=tmp_path)
    output = (result.stdout + result.stderr).rstrip("\n")
    for stage in stages:
        output = _filter(output, stage).rstrip("\n")
    output, expected = _mask_seconds(_mask_rounding(output)), _mask_seconds(_mask_rounding(expected))
    if expected.startswith("…\n"):
        assert output.endswith(expected[2:])
    else:
        assert output == expected


# --- the JSON schema table ---------------------------------------------------------------------

# One command per table root whose output has every key the table lists (options that add keys on).
SCHEMA_SAMPLES = {
    "shape": "shape --in 2 --k 3 --s 2 --target 6 --channels 4,2",
    "conv": "conv --in 9 --k 3 --s 2",
    "plan": "plan --in 16 --out 32",
    "convert": "convert --from pytorch --to keras --in 16 --k 4 --s 2 --p 1",
    "check": "check --in 4 --k 3 --s 2 --nonfinite --trials 1",
    "latex": "latex --in 2 --k 3 --s 2 --what size",
    "matrix": "matrix --in 4 --k 3",
    "derive …": "derive size --in 2 --k 3 --s 2",
    "derive relationships": "derive relationships",
    "derive gradient": "derive gradient --in 5 --k 3 --s 2",
    "check --gradient": "check --gradient --in 5 --k 3 --s 2 --trials 1",
    "derive inverse": "derive inverse --in 8 --k 2 --s 2 --ndim 1",
    "overlap": "overlap --in 5 --k 3 --s 2",
    "compare": "compare --in 8 --scale 2",
    "chain": "chain --in 4 --out 16 --layers 2 --channels 8,8,8 --emit pytorch",
    "mirror": "mirror examples/unet_encoder.toml --emit pytorch",
    "net": "net examples/networks/unet.toml --in 350,525",
    "net --cost": "net examples/networks/unet.toml --in 64,64 --cost",
    "net --domain": "net examples/networks/unet.toml --domain --upto 40",
    "net --fix": "net examples/networks/unet.toml --in 350,525 --fix --out 350,525",
    "rewrite": "rewrite tests/fixtures/networks/dcgan.onnx --to subpixel",
    "checkerboard": "checkerboard tests/fixtures/checkerboard/upsampler.onnx --fix -o fixed.onnx",
    "rewrite --emit pytorch": "rewrite examples/networks/dcgan.py:DCGANGenerator --to subpixel --emit pytorch",
}


def _schema_rows():
    for line in JSON_PAGE.read_text(encoding="utf-8").splitlines():
        cells = line.split(" | ")
        if line.startswith("| `") and len(cells) >= 2:
            yield cells[0][3:-1], re.findall(r"`([a-z_]+)`", cells[1])


def test_the_json_table_lists_every_command_but_figure():
    roots = {path.split(".")[0] for path, _ in _schema_rows()}
    assert roots == set(SCHEMA_SAMPLES)
    assert {root.split()[0] for root in roots} == {"shape", "conv", "plan", "convert", "check", "latex", "matrix",
                                                   "derive", "overlap", "compare", "chain", "mirror", "net",
                                                   "rewrite", "checkerboard"}


@pytest.mark.parametrize("path, keys", list(_schema_rows()), ids=lambda v: v if isinstance(v, str) else "")
def test_the_json_table_names_exactly_the_keys_printed(path, keys, tmp_path):
    if path == "check.pytorch" and importlib.util.find_spec("torch") is None:
        pytest.skip(f"the row lists what PyTorch's run gives; without PyTorch check says why it did not run: "
                    f"{TORCH_INSTALL}")
    root, *steps = re.split(r"\.(?=[a-z_])", path)
    if root == "rewrite --emit pytorch" and importlib.util.find_spec("torch") is None:
        pytest.skip(f"the PyTorch rewrite's report needs torch: {TORCH_INSTALL}")
    if root == "rewrite" and importlib.util.find_spec("onnxruntime") is None:
        pytest.skip("the rewrite's report needs onnx and onnxruntime: python -m pip install '.[onnx]'")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    shutil.copytree(ROOT / "tests" / "fixtures" / "networks", tmp_path / "tests" / "fixtures" / "networks")
    shutil.copytree(ROOT / "tests" / "fixtures" / "checkerboard", tmp_path / "tests" / "fixtures" / "checkerboard")
    done = subprocess.run([sys.executable, "-m", "tconvcalc", *shlex.split(SCHEMA_SAMPLES[root]), "--json"],
                          capture_output=True, text=True, cwd=tmp_path)
    node = json.loads(done.stdout)
    for step in steps:  # "axes[]": the first element of the list under "axes"
        node = node[step.removesuffix("[]")]
        node = node[0] if step.endswith("[]") else node
    assert list(node) == keys
