"""``tconvcalc checkerboard``: the verdicts, the fix written and re-read, the picture, and the refusals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from helpers import run, run_error

onnx = pytest.importorskip("onnx", reason="ONNX models need the onnx extra: python -m pip install '.[onnx]'")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "checkerboard"


def _single(tmp_path, kernel, stride, weight=None, name="up"):
    """A one-node ONNX model: a ConvTranspose with the given weight (random by default)."""
    weight = np.random.default_rng(0).standard_normal((2, 3, *kernel)).astype(np.float32) if weight is None else weight
    node = helper.make_node("ConvTranspose", ["x", "w"], ["y"], name=name, strides=list(stride))
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(weight, "w")])
    path = tmp_path / f"{name}.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


def _json(*args, status=0) -> dict:
    result = run(*args, "--json")
    assert result.exit_code == status, result.output
    return json.loads(result.stdout)


def test_a_learned_checkerboard_is_flagged_and_the_fix_removes_it(tmp_path):
    model = FIXTURES / "upsampler.onnx"
    report = _json("checkerboard", model, status=1)  # flagged and not fixed: scripts notice
    assert report["flagged"] and all(layer["checkerboard"] for layer in report["layers"])
    fixed = tmp_path / "fixed.onnx"
    report = _json("checkerboard", model, "--fix", "-o", fixed)
    assert [row["name"] for row in report["fix"]["layers"]] == report["flagged"]
    for row in report["fix"]["layers"]:
        assert row["flatness_before"] > 1e-2 and row["flatness_after"] < 1e-5  # onnxruntime, float32
        assert 0 < row["weight_change"] < 1
    again = _json("checkerboard", fixed)
    assert not again["flagged"] and max(layer["spread"] for layer in again["layers"]) < 1e-5


def test_every_format_reads_the_same_upsampler():
    """The same trained weights as ONNX, Keras (converted by the fixture script) and PyTorch: the same spreads."""
    onnx_report = _json("checkerboard", FIXTURES / "upsampler.onnx", status=1)
    keras_report = _json("checkerboard", FIXTURES / "upsampler.keras", status=1)
    spreads = sorted(layer["spread"] for layer in onnx_report["layers"])
    assert sorted(layer["spread"] for layer in keras_report["layers"]) == pytest.approx(spreads, rel=1e-6)
    pytest.importorskip("torch")
    torch_report = _json("checkerboard", f"{FIXTURES / 'decoders.py'}:Upsampler", "--weights",
                         FIXTURES / "upsampler.pt", status=1)
    assert [layer["name"] for layer in torch_report["layers"]] == ["up.0", "up.2"]
    assert sorted(layer["spread"] for layer in torch_report["layers"]) == pytest.approx(spreads, rel=1e-6)


def test_a_free_model_is_written_unchanged_and_says_so(tmp_path):
    free = np.ones((2, 3, 4, 4), dtype=np.float32)  # k = 2s: every phase sums 4 ones
    model = _single(tmp_path, (4, 4), (2, 2), free)
    out = tmp_path / "out.onnx"
    result = run("checkerboard", model, "--fix", "-o", out)
    assert result.exit_code == 0 and "nothing to fix" in result.stdout
    assert out.read_bytes() == onnx.load(str(model)).SerializeToString()


def test_a_layer_no_weights_can_fix_is_refused_by_name(tmp_path):
    model = _single(tmp_path, (2, 2), (4, 4), name="tiny")  # k < s: phases 2 and 3 get no tap
    report = _json("checkerboard", model, status=1)
    assert report["layers"][0]["unreached"]
    out = tmp_path / "out.onnx"
    said = run_error("checkerboard", model, "--fix", "-o", out)
    assert "layer 'tiny'" in said and "cannot be fixed by its weights" in said and "resize then convolve" in said
    assert not out.exists()


def test_the_picture_is_drawn_for_flagged_layers(tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "cb.png"
    result = run("checkerboard", FIXTURES / "upsampler.onnx", "--png", png)
    assert result.exit_code == 1 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("args, words", [
    (["--fix"], "--fix writes the fixed model, and no file is named"),
    (["-o", "x.onnx"], "-o names the fixed model, and nothing is fixed"),
    (["--weights", "w.pt"], "--weights is for PyTorch code"),
    (["--tolerance", "-1"], "--tolerance"),
])
def test_bad_options_are_one_sentence(args, words):
    assert words in run_error("checkerboard", FIXTURES / "upsampler.onnx", *args)
