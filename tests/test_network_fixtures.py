"""The example networks' specs against what PyTorch did with the same networks, recorded by
``tests/fixtures/make_networks.py``: every input size 1..256 per axis, whether it ran and its output
size, and at a few sizes every module's output size.  The domain must be exactly the sizes that ran,
and the trace every size PyTorch produced, layer by layer (a failing size: up to the layer that failed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tconvcalc.network import load, trace
from tconvcalc.network.domain import accepts, axis_domain

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted((ROOT / "tests" / "fixtures" / "networks").glob("*.pytorch.json"))


def _fixture(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _sizes(fixture: dict, axis: int, size: int) -> tuple[int, ...]:
    """The input size of a sweep row: the swept axis at ``size``, the others at the fixed size."""
    return tuple(size if a == axis else fixture["fixed"] for a in range(fixture["ndim"]))


def test_every_example_spec_has_its_pytorch_sweep():
    specs = {p.stem for p in (ROOT / "examples" / "networks").glob("*.toml")}
    assert specs and specs == {_fixture(p)["toml"].split("/")[-1][:-5] for p in FIXTURES}


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name.split(".")[0])
def test_domain_is_exactly_the_sizes_pytorch_ran(path):
    fixture = _fixture(path)
    network = load(ROOT / fixture["toml"])
    for axis, (name, rows) in enumerate(fixture["axes"].items()):
        found = axis_domain(network, axis)
        assert [row[0] for row in rows if accepts(found, row[0])] == [row[0] for row in rows if row[1]], name


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name.split(".")[0])
def test_trace_gives_the_sizes_pytorch_gave(path):
    fixture = _fixture(path)
    network = load(ROOT / fixture["toml"])
    for axis, rows in enumerate(fixture["axes"].values()):
        for size, ran, output, *_ in rows:
            result = trace(network, _sizes(fixture, axis, size))
            assert (result.failure is None) == ran and (not ran or list(result.output_size) == output)
    names = {node.name for node in network.nodes}
    for record in fixture["traces"]:
        result = trace(network, record["input"])
        rows = {row.name: list(row.output_size) for row in result.rows}
        shared = {name: sizes for name, sizes in record["modules"].items() if name in names}
        assert all(rows.get(name) == sizes for name, sizes in shared.items()), record["input"]
        if record["ran"]:
            assert shared and result.failure is None
        else:  # it stops where PyTorch stopped: in that module, or in a merge of the top module's forward
            where = record["failed_in"]
            assert result.failure.node == where if where in names else result.failure.op in ("concat", "add")
