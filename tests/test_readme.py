"""Every `$ tconvcalc ...` example in the README prints what the README shows, at 100 columns."""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow  # a subprocess per example


def _examples():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for block in re.findall(r"```text\n(.*?)```", text, re.S):
        command, *output = block.rstrip("\n").split("\n")
        # Shortened outputs (…) and pipelines are excerpts, not whole outputs.
        if command.startswith("$ tconvcalc ") and "|" not in command and "…" not in block:
            yield pytest.param(command[2:], "\n".join(output), id=command[12:60])


@pytest.mark.parametrize("command, expected", list(_examples()))
def test_readme_example_prints_what_the_readme_shows(command, expected, tmp_path):
    if "tconvcalc check" in command:  # its table has a row for the PyTorch installed, by version
        if importlib.util.find_spec("torch") is None:
            pytest.skip("the example's table has PyTorch's row; without PyTorch the row says skipped")
        import torch

        if f"PyTorch {torch.__version__.split('+')[0]} " not in expected:
            pytest.skip(f"the example was run with another PyTorch than {torch.__version__}")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")  # mirror reads examples/*.toml
    env = dict(os.environ, COLUMNS="100", NO_COLOR="1")
    args = [sys.executable, "-m", "tconvcalc", *shlex.split(command)[1:]]
    result = subprocess.run(args, capture_output=True, text=True, env=env, cwd=tmp_path)
    assert (result.stdout + result.stderr).rstrip("\n") == expected
