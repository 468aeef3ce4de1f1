"""What many test modules need: the command line through click's runner, and the PyTorch oracle."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from tconvcalc.cli import cli
from tconvcalc.errors import TORCH_INSTALL

TORCH_REASON = f"PyTorch is the oracle; install its CPU build: {TORCH_INSTALL}"


def torch_oracle():
    """``torch``, or skip the test (only the tests that need the oracle) with the install line."""
    return pytest.importorskip("torch", reason=TORCH_REASON)


def run(*args):
    """``tconvcalc ARGS`` in process; any value is passed as its text."""
    return CliRunner().invoke(cli, [str(a) for a in args])


def unwrapped(text: str) -> str:
    """A view's text with code lines joined again where the view broke them after a comma to fit."""
    return re.sub(r",\n +", ", ", text)


def run_ok(*args) -> str:
    """Its stdout, after checking it exited 0."""
    result = run(*args)
    assert result.exit_code == 0, result.output + (result.stderr or "")
    return result.stdout


def run_json(*args) -> dict:
    """``ARGS --json``: exactly one JSON object on stdout and nothing else."""
    lines = run_ok(*args, "--json").strip().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def run_error(*args, status: int = 2) -> str:
    """The one ``Error: ...`` line of a refused command (nothing on stdout, no traceback)."""
    result = run(*args)
    assert result.exit_code == status, result.output
    assert result.stdout == "" and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]
