"""`tconvcalc shape --framework F` speaks every framework's dialect: sizes checked against the real ones.

The fixtures were written by the real TensorFlow, Keras, ONNX and JAX (tests/fixtures/generate.py);
for each recorded layer the shape command, given that framework's own options, must report the
output size the framework produced.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import run_error, run_json

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FLAGS = {"strides": "--s", "dilations": "--d", "dilation_rate": "--d", "rhs_dilation": "--d",
         "padding": "--padding", "output_padding": "--op", "output_shape": "--output-shape", "pads": "--pads",
         "auto_pad": "--auto-pad", "group": "--groups"}


def text(value) -> str:
    if isinstance(value, list) and value and isinstance(value[0], list):
        return ",".join(f"{lo}:{hi}" for lo, hi in value)  # JAX's explicit (lo, hi) pairs
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


def cases():
    for framework in ("tensorflow", "keras", "onnx", "jax"):
        data = json.loads((FIXTURES / f"{framework}.json").read_text())
        for n, case in enumerate(data["cases"]):
            if case["options"].get("dimension_numbers"):
                continue  # a custom JAX layout has no CLI spelling
            yield pytest.param(framework, case, id=f"{framework}-{n}")


def spatial(case) -> list[int]:
    shape, layout = case["y"]["shape"], case["x_layout"]
    return [size for size, letter in zip(shape, layout) if letter not in "NC"]


@pytest.mark.parametrize("framework, case", list(cases()))
def test_shape_reports_the_size_the_framework_produced(framework, case):
    args = ["shape", "--framework", framework, "--in", text(case["input_size"]), "--k", text(case["kernel_size"]),
            "--ndim", str(case["ndim"])]
    for name, value in case["options"].items():
        if name == "transpose_kernel":
            args.append("--transpose-kernel" if value else "--no-transpose-kernel")
        elif value is not None and name in FLAGS:
            args += [FLAGS[name], text(value)]
    report = run_json(*args)
    assert report["output_size"] == spatial(case)
    assert report["framework"] == framework


def test_pytorch_words_and_foreign_options_are_refused_in_one_line():
    for args in (["--padding", "same"], ["--pads", "1,1"], ["--framework", "caffe"]):
        run_error("shape", "--in", "4", "--k", "3", *args)
