"""``tconvcalc rewrite`` on ONNX models: every form run in onnxruntime against the original (and, where onnxruntime
reads the original its own way, against ONNX's reference implementation)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

onnx = pytest.importorskip("onnx", reason="rewriting ONNX models needs onnx: python -m pip install '.[onnx]'")
ort = pytest.importorskip("onnxruntime",
                          reason="the rewrite's check needs onnxruntime: python -m pip install '.[onnx]'")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402

from tconvcalc.rewrite.onnx import FORMS, rewrite_model  # noqa: E402

from helpers import run, run_error, run_json  # noqa: E402

NETWORKS = Path(__file__).resolve().parent / "fixtures" / "networks"


def _loads(path: Path) -> bool:
    """False for the exports whose file onnxruntime refused to load when it was made (its JSON says so)."""
    sidecar = path.with_name(path.name + ".json")
    return not sidecar.exists() or json.loads(sidecar.read_text()).get("onnxruntime_loads", True)


# The networks exported by PyTorch's two exporters and by Keras (tests/fixtures/make_keras_onnx.py), and the Keras
# single layers; every one has a ConvTranspose but ESPCN and the VGG encoder.
EXPORTED = sorted(p for p in NETWORKS.glob("*.onnx") if p.name.split(".")[0] not in ("espcn", "vgg_encoder"))
TRANSPOSED = [p.name for p in EXPORTED if _loads(p) and not p.name.startswith("layer_")]
KERAS_LAYERS = [p.name for p in EXPORTED if _loads(p) and p.name.startswith("layer_")]
UNLOADABLE = [p.name for p in EXPORTED if not _loads(p)]


def _model(ndim, c_in, c_out, groups, size, kernel, attributes, bias, rng, free=False):
    weight = rng.standard_normal((c_in, c_out // groups, *kernel)).astype(np.float32)
    initializers, inputs = [numpy_helper.from_array(weight, "W")], ["X", "W"]
    if bias:
        initializers.append(numpy_helper.from_array(rng.standard_normal(c_out).astype(np.float32), "B"))
        inputs.append("B")
    node = helper.make_node("ConvTranspose", inputs, ["Y"], name="up", group=groups, **attributes)
    spatial = [f"s{n}" for n in range(ndim)] if free else list(size)
    graph = helper.make_graph([node], "layer", [helper.make_tensor_value_info("X", TensorProto.FLOAT,
                                                                                ["N", c_in, *spatial])],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["N", c_out] +
                                                             [f"o{n}" for n in range(ndim)])], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def _run(model, x):
    options = ort.SessionOptions()
    options.log_severity_level = 4
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"]).run(
        None, {"X": x})[0]


def _close(a, b) -> bool:
    return a.shape == b.shape and np.allclose(a, b, rtol=0, atol=1e-5 * max(1.0, np.abs(b).max(initial=0)))


@st.composite
def layers(draw):
    ndim = draw(st.integers(1, 3))
    groups = draw(st.integers(1, 2))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = [draw(st.integers(1, 4)) for _ in range(ndim)]
    strides = [draw(st.integers(1, 3)) for _ in range(ndim)]
    dilations = [draw(st.integers(1, 2)) for _ in range(ndim)]
    size = [draw(st.integers(1, 5)) for _ in range(ndim)]
    attributes = dict(kernel_shape=kernel, strides=strides, dilations=dilations)
    how = draw(st.sampled_from(["pads", "SAME_UPPER", "SAME_LOWER", "output_shape", "none"]))
    if how == "pads":
        attributes["pads"] = [draw(st.integers(0, 2)) for _ in range(2 * ndim)]
        attributes["output_padding"] = [draw(st.integers(0, s - 1)) for s in strides]
    elif how.startswith("SAME"):
        attributes["auto_pad"] = how
    elif how == "output_shape":
        full = [(n - 1) * s + d * (k - 1) + 1 for n, s, d, k in zip(size, strides, dilations, kernel)]
        attributes["output_shape"] = [f + draw(st.integers(0, s - 1)) for f, s in zip(full, strides)]
    return ndim, c_in, c_out, groups, size, kernel, attributes, draw(st.booleans())


# Found by hypothesis: a crop at one end and appended zeros at the other, with o no more than the zeros appended
# (the ConvTranspose cropped first would have nothing to output).
_CROP_AND_APPEND = dict(kernel_shape=[1], strides=[2], dilations=[1], pads=[1, 0], output_padding=[1])


@settings(max_examples=80, deadline=None)
@given(layers(), st.sampled_from(FORMS), st.integers(0, 2**31))
@example((1, 1, 1, 1, [1], [1], _CROP_AND_APPEND, True), "pads", 0)
@example((1, 1, 1, 1, [1], [1], _CROP_AND_APPEND, False), "pads", 1)
@example((2, 2, 2, 1, [1, 3], [1, 2], dict(kernel_shape=[1, 2], strides=[2, 2], dilations=[1, 1], pads=[1, 0, 0, 1],
                                           output_padding=[1, 1]), True), "pads", 2)
def test_every_form_computes_what_the_original_does(layer, form, seed):
    rng = np.random.default_rng(seed)
    model = _model(*layer, rng)
    x = rng.standard_normal((2, layer[1], *layer[4])).astype(np.float32)
    try:
        expected = _run(model, x)
    except Exception:  # onnxruntime refuses the original (an output size below 1): nothing to rewrite
        return
    new, rewritten = rewrite_model(model, form)
    onnx.checker.check_model(new, full_check=True)
    assert not any(n.op_type == "ConvTranspose" for n in new.graph.node) or form == "pads"
    assert [r.node for r in rewritten] == ["up"]
    got = _run(new, x)
    if not _close(got, expected):
        # onnxruntime pads no less than 0 for auto_pad SAME, where ONNX's reference crops: the rewrite follows
        # the reference, which every runtime then reads alike
        assert layer[6].get("auto_pad", "").startswith("SAME")
        assert _close(got, _reference(model, layer, x))


def _reference(model, layer, x):
    """ONNX's reference implementation of the original; for grouped layers, which its ConvTranspose gets wrong
    (some it refuses, others it mixes the groups of), the NumPy backend on the crop ONNX's rules give (conventions,
    read independently of the rewrite's graph)."""
    if layer[3] == 1:
        return ReferenceEvaluator(model).run(None, {"X": x})[0]
    else:
        from tconvcalc.conventions import read_framework
        from tconvcalc.numeric import conv_transpose

        ndim, c_in, c_out, groups, size, kernel, attributes, bias = layer
        options = {key: value for key, value in attributes.items() if key != "kernel_shape"}
        crop = read_framework("onnx", tuple(size), tuple(kernel), ndim, group=groups, **options).layer.crop
        arrays = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in model.graph.initializer}
        return conv_transpose(x.astype(np.float64), arrays["W"], arrays.get("B"), stride=attributes["strides"],
                              dilation=attributes["dilations"], groups=groups, crop=crop).astype(np.float32)


@settings(max_examples=30, deadline=None)
@given(layers().filter(lambda layer: "auto_pad" not in layer[6] and "output_shape" not in layer[6]),
       st.sampled_from(FORMS), st.integers(0, 2**31))
def test_free_spatial_sizes_get_one_rewrite_for_every_size(layer, form, seed):
    rng = np.random.default_rng(seed)
    model = _model(*layer, rng, free=True)
    new, rewritten = rewrite_model(model, form)
    assert rewritten[0].input_size is None
    for grow in (0, 3):
        x = rng.standard_normal((1, layer[1], *(n + grow for n in layer[4]))).astype(np.float32)
        try:
            expected = _run(model, x)
        except Exception:
            continue
        assert _close(_run(new, x), expected)


@pytest.mark.parametrize("name", TRANSPOSED[:3] + KERAS_LAYERS)  # audio_decoder from each exporter; Keras's layers
@pytest.mark.parametrize("form", FORMS)
def test_exported_models_rewrite_and_pass_their_check(name, form, tmp_path):
    out = tmp_path / "out.onnx"
    report = run_json("rewrite", NETWORKS / name, "--to", form, "-o", out)
    assert report["check"]["passed"] and report["layers"]
    new = onnx.load(str(out))
    original = onnx.load(str(NETWORKS / name))
    assert [i.name for i in new.graph.input] == [i.name for i in original.graph.input]
    assert [o.name for o in new.graph.output] == [o.name for o in original.graph.output]
    kept = [n.name for n in original.graph.node if n.op_type != "ConvTranspose"]
    assert set(kept) <= {n.name for n in new.graph.node}  # every other node stays, by name


@pytest.mark.slow
@pytest.mark.parametrize("name", TRANSPOSED[3:])
@pytest.mark.parametrize("form", FORMS)
def test_every_exported_model_rewrites(name, form, tmp_path):
    assert run_json("rewrite", NETWORKS / name, "--to", form, "-o", tmp_path / "out.onnx")["check"]["passed"]


def test_the_sweep_covers_every_exporter():
    assert {name.split(".", 1)[1] for name in TRANSPOSED} == {"onnx", "dynamo.onnx", "keras.onnx"}
    assert "audio_decoder.keras.onnx" in TRANSPOSED[:3] and len(KERAS_LAYERS) >= 5


@pytest.mark.parametrize("name", [n for n in TRANSPOSED if n.endswith(".keras.onnx")][:2])
def test_keras_exports_keep_their_layout_transposes_around_the_rewrite(name, tmp_path):
    """tf2onnx writes NHWC -> NCHW Transposes around each ConvTranspose and its crop as a Slice and a Pad computed at
    run time from Shape nodes: the rewrite replaces the ConvTranspose alone, and the check runs the channels-last
    input at a size the network accepts (not the batch's 2 on the first spatial axis)."""
    out = tmp_path / "out.onnx"
    report = run_json("rewrite", NETWORKS / name, "--to", "subpixel", "-o", out)
    shape = next(iter(report["check"]["inputs"].values()))
    assert report["check"]["passed"] and shape[0] == 2 and shape[1] == shape[-2] >= 16
    ops = [n.op_type for n in onnx.load(str(out)).graph.node]
    assert "ConvTranspose" not in ops and {"Transpose", "Shape", "Slice", "Pad"} <= set(ops)


@pytest.mark.parametrize("name", UNLOADABLE)
def test_negative_pads_keras_exports_write_are_refused_as_onnxruntime_refuses_them(name, tmp_path):
    """VALID with kernel < stride or output_padding appends zeros, which tf2onnx writes as negative pads: onnxruntime
    will not load the file, and the rewrite refuses it in one sentence, writing nothing."""
    with pytest.raises(Exception, match="pads must not contain negative values"):
        ort.InferenceSession(str(NETWORKS / name), providers=["CPUExecutionProvider"])
    for form in FORMS:
        message = run_error("rewrite", NETWORKS / name, "--to", form, "-o", tmp_path / "out.onnx")
        assert "has a negative value, ONNX requires pads ≥ 0" in message
    assert not (tmp_path / "out.onnx").exists()


def test_a_model_without_transposed_convolutions_is_written_by_no_one(tmp_path):
    result = run("rewrite", NETWORKS / "espcn.onnx", "--to", "subpixel", "-o", tmp_path / "out.onnx")
    assert result.exit_code == 0 and "no ConvTranspose" in result.stdout and not (tmp_path / "out.onnx").exists()


def test_bad_models_are_refused_by_name_and_nothing_is_written(tmp_path):
    rng = np.random.default_rng(0)
    model = _model(2, 2, 2, 1, [4, 4], [3, 3], dict(kernel_shape=[3, 3], strides=[2, 2]), False, rng)
    computed = onnx.ModelProto()
    computed.CopyFrom(model)
    del computed.graph.initializer[:]
    computed.graph.input.append(helper.make_tensor_value_info("W", TensorProto.FLOAT, [2, 2, 3, 3]))
    strange = onnx.ModelProto()
    strange.CopyFrom(model)
    strange.graph.node[0].attribute.append(helper.make_attribute("exotic", 1))
    old = onnx.ModelProto()
    old.CopyFrom(model)
    old.opset_import[0].version = 11
    cases = {"computed": (computed, "not a constant"), "strange": (strange, "'exotic'"), "old": (old, "opset is 11")}
    for name, (bad, words) in cases.items():
        path = tmp_path / f"{name}.onnx"
        onnx.save(bad, str(path))
        assert words in run_error("rewrite", path, "--to", "subpixel", "-o", tmp_path / "out.onnx")
    good = tmp_path / "good.onnx"
    onnx.save(model, str(good))
    assert "no ConvTranspose node is named 'down'" in run_error("rewrite", good, "--to", "pads", "--only", "down")
    assert "--max-block" in run_error("rewrite", good, "--to", "pads", "--max-block", 2)
    assert "neither an .onnx file nor PyTorch code" in run_error("rewrite", tmp_path / "model.py", "--to", "subpixel")
    assert not (tmp_path / "out.onnx").exists()


def test_max_block_trades_depth_to_space_for_reshape(tmp_path):
    model = _model(2, 2, 2, 1, [4, 4], [4, 4], dict(kernel_shape=[4, 4], strides=[4, 4]), True,
                   np.random.default_rng(1))
    path = tmp_path / "x4.onnx"
    onnx.save(model, str(path))
    assert "DepthToSpace" in run_json("rewrite", path, "--to", "subpixel")["layers"][0]["ops"]
    limited = run_json("rewrite", path, "--to", "subpixel", "--max-block", 2)
    assert "DepthToSpace" not in limited["layers"][0]["ops"] and limited["check"]["passed"]


def test_the_command_offers_exactly_the_engines_forms():
    from tconvcalc.cli.rewrite import FORMS as OFFERED

    assert OFFERED == FORMS
