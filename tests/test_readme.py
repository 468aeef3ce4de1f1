"""Every `$ tconvcalc ...` example in the README prints what the README shows, at 100 columns.

Examples are the lines starting with `$ ` in ```text and ```console blocks, each followed by its
output up to the next `$ ` line.  A pipe into head, tail, sed -n or jq is applied here, so an
excerpt is checked as an excerpt; an output that starts with `…` is the end of the real one.
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

from tconvcalc.errors import TORCH_INSTALL

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow  # a subprocess per example


def _examples():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for block in re.findall(r"```(?:text|console)\n(.*?)```", text, re.S):
        current = None
        for line in block.rstrip("\n").split("\n"):
            if line.startswith("$ "):
                if current:
                    yield current
                current = (line[2:], [])
            elif current:
                current[1].append(line)
        if current:
            yield current


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
    raise AssertionError(f"the README pipes into {stage!r}, which this test does not know")


# The error cells of `check`'s table and summary: float rounding, which depends on the CPU's BLAS kernels (Zen 4,
# Zen 5 and Sapphire Rapids print different last digits, or 0). Such a cell is compared by its bound - the
# tolerance printed in its row, or after ≤ in the summary - and masked, so the rest is compared to the letter.
_ERROR = r"\d\.\de[-+]\d\d|0"
_CHECK_ROW = re.compile(rf"^ \S.*?\s(?P<abs>{_ERROR})\s+(?P<rel>{_ERROR})\s+(?P<tolerance>\d\.\de[-+]\d\d)\s.*(PASS|FAIL)$")
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


def test_rounding_cells_are_masked_by_their_bound():
    row = " zero insertion              3.6e-15     2.8e-16     1.0e-12   PASS"
    assert _mask_rounding(row) == _mask_rounding(" zero insertion                    0           0     1.0e-12   PASS")
    assert _mask_rounding(row) != _mask_rounding(row.replace("zero", "one"))
    with pytest.raises(AssertionError, match="exceeds its bound"):
        _mask_rounding(row.replace("2.8e-16", "2.8e-11"))
    assert _mask_rounding("PASS  worst rel error 0 ≤ 1.0e-12") == _mask_rounding("PASS  worst rel error 2.8e-16 ≤ 1.0e-12")


CASES = [pytest.param(command, "\n".join(output), id=command[10:70])
         for command, output in _examples() if command.startswith("tconvcalc ")]


def test_the_readme_has_examples():
    assert len(CASES) > 30


@pytest.mark.parametrize("command, expected", CASES)
def test_readme_example_prints_what_the_readme_shows(command, expected, tmp_path):
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
    output, expected = _mask_rounding(output), _mask_rounding(expected)
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
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## JSON output"):text.index("## Bad input")]
    for line in section.splitlines():
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
