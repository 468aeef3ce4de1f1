"""The scripts in examples/ run and print what they promise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
pytestmark = pytest.mark.slow  # each example runs in its own interpreter


def run_example(name: str) -> str:
    done = subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_seed_upsampling_gives_the_seed_output():
    out = run_example("seed_upsampling.py")
    assert "output size: 4x4" in out
    # The seed example of the project brief, row by row.
    assert "[[1 0 2 0]\n [0 0 0 0]\n [3 0 4 0]\n [0 0 0 0]]" in out


def test_dcgan_generator_reaches_64_with_the_classic_layers():
    out = run_example("dcgan_generator.py")
    rows = [line.split() for line in out.splitlines() if "FLOPs" in line]
    assert [(row[0], row[2]) for row in rows] == [("4", "8"), ("8", "16"), ("16", "32"), ("32", "64")]
    assert all(row[3:7] == ["k=4", "s=2", "p=1", "op=0"] for row in rows)
    assert "nn.ConvTranspose2d(64, 3, kernel_size=4, stride=2, padding=1, output_padding=0)" in out


@pytest.mark.parametrize("size, op", [(33, 0), (34, 1)])
def test_unet_level_restores_each_size_with_its_output_padding(size, op):
    out = run_example("unet_odd_level.py")
    assert "maps 33 -> 17" in out
    assert f"output_padding={op})  -> {size}" in out
