"""The public API's docstrings: every example in them runs and prints what it shows (doctest).

The documentation's API page (docs/api.md) is autodoc over these docstrings, so it cannot drift
from the code: these run the docstrings' examples on every test run.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import tconvcalc as tc

# The modules a user imports; each says what it is for with a runnable example.
PUBLIC = ["tconvcalc", "tconvcalc.model.spec", "tconvcalc.errors", "tconvcalc.model.arithmetic",
          "tconvcalc.design.planner", "tconvcalc.model.structure", "tconvcalc.records", "tconvcalc.notes",
          "tconvcalc.conventions", "tconvcalc.numeric", "tconvcalc.symbolic", "tconvcalc.notes.document",
          "tconvcalc.design.overlap", "tconvcalc.design.compare", "tconvcalc.design.mirror",
          "tconvcalc.pictures.plots", "tconvcalc.reports.shape", "tconvcalc.reports.convert", "tconvcalc.reports.check",
          "tconvcalc.reports.symbolic", "tconvcalc.reports.design", "tconvcalc.network",
          "tconvcalc.reports.net", "tconvcalc.rewrite"]
# module -> the extra it needs
OPTIONAL = {"tconvcalc.pictures.plots": "matplotlib", "tconvcalc.rewrite.pytorch": "torch"}


def _modules():
    names = ["tconvcalc"] + [m.name for m in pkgutil.walk_packages(tc.__path__, "tconvcalc.")]
    return [name for name in names if not name.endswith("__main__")]


def _load(name: str):
    if name in OPTIONAL:
        pytest.importorskip(OPTIONAL[name], reason=f"{name} needs the optional {OPTIONAL[name]}")
    return importlib.import_module(name)


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples_run(name):
    module = _load(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, report=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed (run doctest -v)"


@pytest.mark.parametrize("name", PUBLIC)
def test_public_modules_show_an_example(name):
    assert ">>>" in (_load(name).__doc__ or ""), f"{name}'s docstring has no example"


@pytest.mark.parametrize("name", tc.__all__)
def test_every_public_name_shows_an_example(name):
    assert ">>>" in (getattr(tc, name).__doc__ or ""), f"tconvcalc.{name} has no example in its docstring"
