"""Framework conventions against the real frameworks (fixtures) and PyTorch.

Expected values come only from the fixtures (TensorFlow, Keras 3, ONNX's reference
evaluator and backend cases, JAX - see tests/fixtures/generate.py) or from PyTorch.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, strategies as st

from tconvcalc import conventions as cv
from tconvcalc.design.mirror import load_encoder, mirror
from tconvcalc.model.spec import Axis, Layer, ParameterError

from helpers import torch_oracle
from strategies import crop_layers

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLE_SPEC = Path(__file__).resolve().parent.parent / "examples" / "unet_encoder.toml"
FRAMEWORKS = ("tensorflow", "keras", "onnx", "jax")


def _load(name):
    return json.loads((FIXTURES / f"{name}.json").read_text())


DATA = {name: _load(name) for name in FRAMEWORKS}
CASES = [case for name in FRAMEWORKS for case in DATA[name]["cases"]]
REJECTED = [case for name in FRAMEWORKS for case in DATA[name]["rejected"]]


def _id(case):
    o = case["options"]
    return f"{case['framework']}-{case.get('name', '')}-{case['input_size']}-{case['kernel_size']}-" + \
        "-".join(f"{k}={v}" for k, v in o.items() if v is not None)


def _array(stored):
    return np.asarray(stored["data"], dtype=np.float64).reshape(stored["shape"])


def _to_nc(a, layout):
    """Bring a channels-last array to (N, C, *spatial) - a test-side layout change only."""
    return a if layout.startswith("NC") else np.moveaxis(a, -1, 1)


def _read(case):
    o = {k: v for k, v in case["options"].items() if v is not None or k == "output_padding"}
    if case["framework"] == "jax":
        o.pop("dimension_numbers", None)
    if case["framework"] == "keras" and o.get("output_padding") is None:
        o.pop("output_padding", None)
    return cv.read_framework(case["framework"], case["input_size"], case["kernel_size"], len(case["input_size"]),
                             **o)


def _weight_to_torch(case, groups):
    w = _array(case["w"])
    if case["framework"] == "jax":
        return cv.convert_weight(w, "jax", "pytorch", source_rhs_spec=case["rhs_spec"],
                                 source_transpose_kernel=case["options"]["transpose_kernel"])
    return cv.convert_weight(w, case["framework"], "pytorch", groups=groups)


def _crop(full, crop):
    """y[j] = f[j + b] for j < F - b - e; negative b/e append zeros (the canonical model, by hand)."""
    index, pads = [slice(None), slice(None)], [(0, 0), (0, 0)]
    for b, e in crop:
        index.append(slice(max(b, 0), full.shape[len(index)] - max(e, 0)))
        pads.append((max(-b, 0), max(-e, 0)))
    return np.pad(full[tuple(index)], pads)


def _torch_full(x, w, layer, groups):
    torch = torch_oracle()
    fn = {1: torch.nn.functional.conv_transpose1d, 2: torch.nn.functional.conv_transpose2d,
          3: torch.nn.functional.conv_transpose3d}[layer.ndim]
    out = fn(torch.from_numpy(x), torch.from_numpy(np.ascontiguousarray(w)), stride=layer.field("s"), padding=0,
             dilation=layer.field("d"), groups=groups)
    return out.numpy()


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_fixture_values_through_torch_full_scatter(case):
    """Framework params -> canonical crop -> torch full scatter + crop == the framework's output."""
    read = _read(case)
    x = _to_nc(_array(case["x"]), case["x_layout"])
    y = _to_nc(_array(case["y"]), case["x_layout"])
    w = _weight_to_torch(case, read.groups)
    assert read.layer.output_size == y.shape[2:]
    got = _crop(_torch_full(x, w, read.layer, read.groups), read.layer.crop)
    np.testing.assert_allclose(got, y, rtol=0, atol=1e-4)


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_fixture_translated_to_pytorch(torch, case):
    """The PyTorch layer we print, plus its post_crop, gives the framework's values."""
    read = _read(case)
    t = cv.to_framework(read.layer, "pytorch", read.groups)
    x = _to_nc(_array(case["x"]), case["x_layout"])
    y = _to_nc(_array(case["y"]), case["x_layout"])
    w = _weight_to_torch(case, read.groups)
    fn = {1: torch.nn.functional.conv_transpose1d, 2: torch.nn.functional.conv_transpose2d,
          3: torch.nn.functional.conv_transpose3d}[t.ndim]
    p = t.params
    out = fn(torch.from_numpy(x), torch.from_numpy(np.ascontiguousarray(w)), stride=p["stride"],
             padding=p["padding"], output_padding=p["output_padding"], dilation=p["dilation"],
             groups=read.groups).numpy()
    np.testing.assert_allclose(_crop(out, t.post_crop), y, rtol=0, atol=1e-4)
    assert t.exact == all(c == (0, 0) for c in t.post_crop)


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_fixture_values_through_numeric_backend(case):
    numeric = pytest.importorskip("tconvcalc.numeric", reason="the NumPy backend is another helper's module")
    read = _read(case)
    x = _to_nc(_array(case["x"]), case["x_layout"])
    y = _to_nc(_array(case["y"]), case["x_layout"])
    w = _weight_to_torch(case, read.groups)
    got = numeric.conv_transpose(x, w, stride=read.layer.field("s"), dilation=read.layer.field("d"),
                                 groups=read.groups, crop=read.layer.crop)
    np.testing.assert_allclose(got, y, rtol=0, atol=1e-4)


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_fixture_weight_round_trip(case):
    """Weight layout conversion to PyTorch and back is the identity on the framework's array."""
    read = _read(case)
    w = _array(case["w"])
    kwargs = {}
    if case["framework"] == "jax":
        kwargs = {"target_rhs_spec": case["rhs_spec"], "target_transpose_kernel": case["options"]["transpose_kernel"]}
    back = cv.convert_weight(_weight_to_torch(case, read.groups), "pytorch", case["framework"], groups=read.groups,
                             **kwargs)
    np.testing.assert_array_equal(back, w)


@pytest.mark.parametrize("case", REJECTED, ids=_id)
def test_fixture_rejections(case):
    """What the framework itself refused, we refuse with a ParameterError."""
    o = {k: v for k, v in case["options"].items() if v is not None}
    if case["framework"] == "jax" and o.get("padding") == "FULL":
        with pytest.raises(ParameterError, match="SAME"):
            cv.layer_from_framework("jax", case["input_size"], case["kernel_size"], **o)
        return
    with pytest.raises(ParameterError) as info:
        cv.layer_from_framework(case["framework"], case["input_size"], case["kernel_size"], **o)
    assert "\n" not in str(info.value)


def test_fixture_versions_are_recorded():
    for name in FRAMEWORKS:
        versions = DATA[name]["versions"]
        assert versions["tensorflow"] and versions["keras"] and versions["onnx"] and versions["jax"]
        assert len(DATA[name]["cases"]) >= 20
    assert sum((FIXTURES / f"{n}.json").stat().st_size for n in FRAMEWORKS) < 1_000_000


def test_fixtures_cover_the_hard_cases():
    """SAME with odd total padding, k < s, negative crops, both auto_pad splits, flipped and not."""
    crops = [(_read(c).layer, c) for c in CASES]
    assert any(c["framework"] == "tensorflow" and c["options"]["padding"] == "SAME" and
               any((b + e) % 2 for b, e in layer.crop) for layer, c in crops)
    assert any(any(a.k < a.s for a in layer.axes) for layer, _ in crops)
    assert any(any(b < 0 for b, _ in layer.crop) for layer, c in crops if c["framework"] == "onnx")
    assert any(any(e < 0 for _, e in layer.crop) for layer, c in crops if c["framework"] == "keras")
    assert {c["options"].get("auto_pad") for c in CASES if c["framework"] == "onnx"} >= {"SAME_UPPER", "SAME_LOWER"}
    assert {c["options"]["transpose_kernel"] for c in CASES if c["framework"] == "jax"} == {True, False}
    assert any(c["ndim"] == 3 for c in CASES) and any(c["ndim"] == 1 for c in CASES)
    assert any(c["options"].get("group", 1) > 1 for c in CASES if c["framework"] == "onnx")
    assert any(any(v > 1 for v in c["options"].get("dilations", [1])) for c in CASES)


# --- PyTorch's own spelling, checked against torch ------------------------------------------
def test_pytorch_output_size_matches_torch_forward(torch):
    layer = torch.nn.ConvTranspose2d(1, 1, 3, stride=3, padding=1)
    x = torch.zeros(1, 1, 4, 5)
    for size in [(10, 13), (12, 15), (11, 14)]:
        out = layer(x, output_size=size)
        read = cv.layer_from_framework("pytorch", (4, 5), 3, stride=3, padding=1, output_size=size)
        assert read.output_size == tuple(out.shape[2:])
    with pytest.raises(ValueError):
        layer(x, output_size=(13, 13))
    with pytest.raises(ParameterError, match="10..12"):
        cv.layer_from_framework("pytorch", (4, 5), 3, stride=3, padding=1, output_size=(13, 13))


# --- round trips ----------------------------------------------------------------------------
def canonical_layers():
    return crop_layers(i=(1, 6), k=(1, 5), s=(1, 4), d=(1, 3))


@given(canonical_layers(), st.sampled_from(cv.FRAMEWORKS), st.sampled_from(cv.FRAMEWORKS))
def test_round_trip_identity_on_canonical_crop(layer, f, g):
    """canonical -> F -> G -> F: reading each target's parameters back and applying its post_crop
    gives the canonical crop again."""
    tf_ = cv.to_framework(layer, f)
    read_f = tf_.read_back().layer
    assert tuple((b + pb, e + pe) for (b, e), (pb, pe) in zip(read_f.crop, tf_.post_crop)) == layer.crop
    assert read_f.crop == tf_.produced
    tg = cv.to_framework(layer, g)
    read_g = tg.read_back().layer
    assert tuple((b + pb, e + pe) for (b, e), (pb, pe) in zip(read_g.crop, tg.post_crop)) == layer.crop
    back = cv.to_framework(layer, f)
    assert back.params == tf_.params and back.post_crop == tf_.post_crop


@given(canonical_layers(), st.sampled_from(cv.FRAMEWORKS))
def test_exact_when_expressible(layer, g):
    t = cv.to_framework(layer, g)
    if g == "onnx" and all(a.b >= 0 and a.e > -a.s for a in layer.axes):
        assert t.exact  # explicit pads, output_padding < stride for the zeros at the end
    if g == "jax":
        assert t.exact
    if g == "pytorch":
        assert t.exact == all(a.pytorch is not None for a in layer.axes)


@given(canonical_layers())
def test_pytorch_post_crop_is_a_crop_when_possible(layer):
    """With b, e ≥ 0 the PyTorch recipe never needs zeros, only slicing."""
    t = cv.to_framework(layer, "pytorch")
    if all(b >= 0 and e >= 0 for b, e in layer.crop):
        assert all(b >= 0 and e >= 0 for b, e in t.post_crop)


@given(st.integers(1, 3), st.sampled_from(cv.FRAMEWORKS), st.sampled_from(cv.FRAMEWORKS), st.booleans(),
       st.booleans())
def test_weight_conversion_round_trip(ndim, f, g, tk_f, tk_g):
    rng = np.random.default_rng(ndim)
    w = rng.normal(size=(2, 3, *range(2, 2 + ndim)))
    kw = {"source_transpose_kernel": tk_f, "target_transpose_kernel": tk_g}
    there = cv.convert_weight(w, "pytorch", f, target_transpose_kernel=tk_f)
    mid = cv.convert_weight(there, f, g, **kw)
    back = cv.convert_weight(mid, g, "pytorch", source_transpose_kernel=tk_g)
    np.testing.assert_array_equal(back, w)


def test_weight_recipe_lines():
    assert cv.weight_recipe("pytorch", "tensorflow", 2) == "w_tf = np.transpose(w_torch, (2, 3, 1, 0))"
    assert cv.weight_recipe("pytorch", "onnx", 2) == "w_onnx = w_torch"
    assert "np.flip" in cv.weight_recipe("pytorch", "jax", 2, target_transpose_kernel=False)
    with pytest.raises(ParameterError, match="groups"):
        cv.weight_recipe("pytorch", "tensorflow", 2, groups=2)


@pytest.mark.parametrize("source, target", [(f, g) for f in cv.FRAMEWORKS for g in cv.FRAMEWORKS])
def test_weight_recipe_line_does_what_convert_weight_does(source, target):
    """The recipe is text; executed with NumPy it gives convert_weight's array (checked by the round trips)."""
    w = np.random.default_rng(0).normal(size=(2, 3, 4, 5))
    line = cv.weight_recipe(source, target, 2, target_transpose_kernel=False)
    target_name, expression = line.split(" = ")
    source_name = re.search(r"w_[a-z]+(_in)?", expression).group()
    namespace = {"np": np, source_name: w}
    exec(line, namespace)
    np.testing.assert_array_equal(namespace[target_name],
                                  cv.convert_weight(w, source, target, target_transpose_kernel=False))


def test_dilated_kernel_line_gives_the_dilated_layer_in_pytorch(torch):
    """Keras cannot stride and dilate at once: the kernel dilated by hand, at dilation 1, is the same layer."""
    layer = Layer.from_pytorch(4, 3, 2, 0, 0, 2)
    t = cv.to_framework(layer, "keras")
    assert t.kernel_dilated
    w_keras = np.random.default_rng(1).normal(size=(3, 2, 3))  # (k, C_out, C_in)
    namespace = {"np": np, "w_keras": w_keras, "C_out": 2, "C_in": 3}
    exec(cv.dilated_kernel_code(t.params["kernel_size"], layer.field("d")), namespace)
    x = torch.from_numpy(np.random.default_rng(2).normal(size=(1, 3, 4)))
    dilated = torch.nn.functional.conv_transpose1d(
        x, torch.from_numpy(cv.convert_weight(w_keras, "keras", "pytorch")), stride=2, dilation=2)
    by_hand = torch.nn.functional.conv_transpose1d(
        x, torch.from_numpy(cv.convert_weight(namespace["w_dilated"], "keras", "pytorch")), stride=2)
    np.testing.assert_allclose(by_hand.numpy(), dilated.numpy(), rtol=1e-12, atol=1e-12)


# --- generated code ---------------------------------------------------------------------------
def test_package_docstring_example_runs():
    import doctest

    assert doctest.testmod(cv).failed == 0


def test_package_modules_import_one_way():
    """names <- from_framework <- translate, weights <- code: each imports only those before it, so no cycles."""
    order = ["names", "from_framework", "translate", "weights", "code"]
    for position, name in enumerate(order):
        source = (Path(cv.__file__).parent / f"{name}.py").read_text()
        assert set(re.findall(r"^from \.(\w+) import", source, re.M)) <= set(order[:position]), name


def pytorch_layers():
    return canonical_layers().filter(lambda layer: cv.pytorch_arguments(layer) is not None)


def _between_parentheses(line):
    return line[line.index("(") + 1:line.rindex(")")]


@given(pytorch_layers(), st.sampled_from([1, 2]))
def test_one_line_and_translated_pytorch_layer_share_the_argument_list(layer, groups):
    one_line = cv.pytorch_code(layer, 4, 6)
    translated = cv.translation_code(cv.to_framework(layer, "pytorch", groups), in_channels=4, out_channels=6)
    arguments = cv.pytorch_argument_list(cv.pytorch_arguments(layer), 4, 6, groups)
    assert _between_parentheses(translated[0]) == arguments
    assert _between_parentheses(one_line) + ("" if groups == 1 else f", groups={groups}") == arguments


def _run_pytorch_translation(layer, groups):
    """Execute the translated PyTorch lines (layer, then F.pad or crop) in PyTorch; their values must be the
    canonical layer's as the NumPy backend computes it. Returns the output's shape."""
    torch = torch_oracle()
    from tconvcalc.numeric import apply

    lines = cv.translation_code(cv.to_framework(layer, "pytorch", groups), "inputs", "outputs", in_channels=4,
                                out_channels=6)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 4, *layer.input_size))
    w = rng.standard_normal((4, 6 // groups, *layer.kernel_size))
    namespace = {"nn": torch.nn, "F": torch.nn.functional, "inputs": torch.from_numpy(x)}
    exec(lines[0], namespace)  # the layer; its weights are set to ours, its bias to zero
    with torch.no_grad():
        namespace["layer"].double().weight.copy_(torch.from_numpy(w))
        namespace["layer"].bias.zero_()
    for line in lines[1:]:
        exec(line, namespace)
    out = namespace["outputs"].detach().numpy()
    np.testing.assert_allclose(out, apply(layer, x, w, groups=groups), rtol=1e-12, atol=1e-12)
    return out.shape


@given(canonical_layers(), st.sampled_from([1, 2]))
def test_translated_pytorch_code_runs_in_pytorch_with_its_names_and_channels(layer, groups):
    assert _run_pytorch_translation(layer, groups) == (1, 6, *layer.output_size)


def test_translated_pytorch_code_for_an_output_of_added_zeros_only():
    # Zeros are appended before the crop: cropping 9 of the 8 samples first would lose the output's length.
    layer = Layer((Axis(2, 3, 1, 3, -2, 9),))
    assert _run_pytorch_translation(layer, 1) == (1, 6, *layer.output_size)


PLACEHOLDERS = re.compile(r"\b(x|y|w|X|Y|W|in_ch|out_ch|C_out)\b")


@pytest.mark.parametrize("framework", cv.FRAMEWORKS)
def test_every_translation_takes_its_names_and_channels_as_parameters(framework):
    # TF SAME with an odd total: every target but JAX needs a crop after the layer.
    layer = cv.layer_from_framework("tensorflow", [4, 5], 3, strides=2, padding="SAME", output_shape=[8, 9])
    t = cv.to_framework(layer, framework)
    named = "\n".join(cv.translation_code(t, "h_in", "h_out", weight="kernel", in_channels=5, out_channels=7))
    default = "\n".join(cv.translation_code(t))
    assert PLACEHOLDERS.search(default) and not PLACEHOLDERS.search(named), named
    assert "h_in" in named and "h_out" in named
    assert {"pytorch": "(5, 7,", "tensorflow": ", 7], strides", "keras": "(filters=7,", "onnx": '["h_in", "kernel"]',
            "jax": "(h_in, kernel,"}[framework] in named


def _decoder():
    return [level.decoder for level in reversed(mirror(load_encoder(EXAMPLE_SPEC)))]


@pytest.mark.parametrize("framework", ["keras", "onnx"])
@pytest.mark.parametrize("channels", [[128, 128, 64, 32, 3], None])
def test_stack_code_is_each_layer_translated_with_its_tensors_and_channels(framework, channels):
    layers = _decoder()
    code = cv.emit_code(framework, layers, channels).split("\n")
    for n, layer in enumerate(layers):
        lines = cv.translation_code(cv.to_framework(layer, framework), f"h{n}", f"h{n + 1}", weight=f"W{n + 1}",
                                    out_channels=None if channels is None else channels[n + 1])
        start = code.index(lines[0])
        assert code[start:start + len(lines)] == lines and code[start - 1].startswith(f"# layer {n + 1}: ")
        if framework == "keras":
            filters = "C_out" if channels is None else channels[n + 1]
            assert lines[0].startswith(f"h{n + 1} = keras.layers.Conv2DTranspose(filters={filters}, ")
            assert lines[0].endswith(f")(h{n})")
        else:
            assert f'["h{n}", "W{n + 1}"], ["h{n + 1}"]' in lines[0]
    assert not re.search(r'"X"|"Y"|"W"', "\n".join(code))


def test_stack_code_for_a_framework_without_a_stack_emitter_is_one_sentence():
    with pytest.raises(ParameterError, match="pytorch, keras or onnx") as info:
        cv.emit_code("jax", _decoder(), None)
    assert "\n" not in str(info.value)


# --- per-axis values: the one broadcasting rule of spec ---------------------------------------
def test_one_element_lists_broadcast_as_pytorch_does(torch):
    out = torch.nn.functional.conv_transpose2d(torch.zeros(1, 1, 4, 5), torch.zeros(1, 1, 3, 3), stride=[2],
                                               padding=[1], dilation=[2])
    layer = cv.layer_from_framework("pytorch", [4, 5], [3], stride=[2], padding=[1], dilation=[2])
    assert layer.output_size == tuple(out.shape[2:])


@pytest.mark.parametrize("framework, options", [
    ("tensorflow", {"padding": "SAME", "output_shape": [8]}),
    ("keras", {"padding": "same", "output_padding": [1]}),
    ("onnx", {"auto_pad": "SAME_UPPER", "output_padding": [1], "output_shape": [8]}),
    ("jax", {"padding": "SAME"}),
])
def test_one_value_or_one_element_list_or_numpy_ints_read_alike(framework, options):
    single = {name: value[0] if isinstance(value, list) else value for name, value in options.items()}
    plain = cv.read_framework(framework, [4, 4], 3, strides=2, **single)
    listed = cv.read_framework(framework, [4, 4], [3], strides=[2], **options)
    numpy = cv.read_framework(framework, np.array([4, 4]), np.int64(3), strides=np.int32(2), **single)
    assert plain.layer == listed.layer == numpy.layer and plain.layer.ndim == 2


@pytest.mark.parametrize("framework, options, words", [
    ("tensorflow", {"padding": "SAME", "output_shape": [8, 8, 8], "strides": 2},
     "input_size has 2 axes but output_shape has 3"),
    ("keras", {"dilation_rate": [1, 1, 1]}, "input_size has 2 axes but dilation_rate has 3"),
    ("onnx", {"strides": [1, 1, 1]}, "input_size has 2 axes but strides has 3"),
    ("onnx", {"pads": [1, 1, 1, 1, 1, 1], "strides": [1, 1]}, "pads has 6 values but ONNX needs 2 per axis"),
    ("onnx", {"pads": []}, "pads has 0 values"),
    ("jax", {"padding": [(1, 1)] * 3, "rhs_dilation": [1, 1]}, "3 (lo, hi) pairs but the layer has 2 axes"),
    ("pytorch", {"output_padding": [0, 0, 0]}, "input_size has 2 axes but output_padding has 3"),
])
def test_per_axis_mistakes_name_the_frameworks_parameter(framework, options, words):
    with pytest.raises(ParameterError) as info:
        cv.layer_from_framework(framework, [4, 4], 3, **options)
    message = str(info.value)
    assert words in message and "--" not in message and "\n" not in message


def test_empty_input_size_is_one_sentence():
    with pytest.raises(ParameterError, match="input_size is empty"):
        cv.layer_from_framework("pytorch", [], 3)


# --- known framework behaviour, in words the frameworks document -------------------------
def test_keras_same_odd_total_extra_at_end():
    # k=3, s=2: TF's SAME pads 1 in total, 0 before, 1 after -> crop (0, 1), PyTorch needs a slice
    layer = cv.layer_from_framework("keras", 4, 3, strides=2, padding="same")
    t = cv.to_framework(layer, "pytorch")
    assert not t.exact and cv.translation_code(t)[-1] == "y = y[..., 0:-1]"


def test_onnx_same_lower_and_upper_differ_on_odd_totals():
    upper = cv.layer_from_framework("onnx", 4, 3, strides=2, auto_pad="SAME_UPPER")
    lower = cv.layer_from_framework("onnx", 4, 3, strides=2, auto_pad="SAME_LOWER")
    assert upper.output_size == lower.output_size == (8,)
    assert upper.crop != lower.crop


@pytest.mark.parametrize("framework, options, words", [
    ("keras", {"strides": 2, "padding": "same", "output_padding": 2}, "strictly less than strides"),
    ("keras", {"strides": 2, "dilation_rate": 2}, "dilation_rate > 1"),
    ("keras", {"padding": "full"}, "'valid' or 'same'"),
    ("tensorflow", {"strides": 2, "padding": "SAME", "output_shape": 9}, "output_shape 7..8"),
    ("tensorflow", {"strides": 2, "padding": "SAME"}, "output_shape is missing"),
    ("onnx", {"pads": [1, 1, 1]}, "2 per axis"),
    ("onnx", {"pads": [1, 1], "auto_pad": "SAME_UPPER"}, "forbids pads"),
    ("onnx", {"auto_pad": "SAME"}, "NOTSET"),
    ("onnx", {"strides": 2, "output_padding": 2}, "< strides"),
    ("jax", {"padding": "FULL"}, "'SAME' or 'VALID'"),
    ("jax", {"padding": [(1, 1), (1, 1)], "strides": 2, "ndim": 1}, "pairs"),
    ("pytorch", {"stride": 2, "output_padding": 2}, "max(stride"),
    ("pytorch", {"pads": [1, 1]}, "not a pytorch option"),
    ("caffe", {}, "pytorch, tensorflow, keras, onnx, jax"),
])
def test_bad_input_one_sentence(framework, options, words):
    with pytest.raises(ParameterError) as info:
        cv.layer_from_framework(framework, 4, 3, **options)
    message = str(info.value)
    assert words in message and "\n" not in message


def test_groups_only_where_the_framework_has_them():
    with pytest.raises(ParameterError, match="grouped"):
        cv.layer_from_framework("tensorflow", 4, 3, padding="VALID", output_shape=6, groups=2)
    t = cv.to_framework(Layer.from_pytorch(4, 3), "keras", groups=2)
    assert not t.exact and any("no groups" in n for n in t.notes)
    assert cv.to_framework(Layer.from_pytorch(4, 3), "onnx", groups=2).params.get("auto_pad") == "NOTSET"


def test_keras_target_dilated_stride_kernel_is_dilated_by_hand():
    layer = Layer.from_pytorch(4, 3, 2, 1, 1, 2)
    t = cv.to_framework(layer, "keras")
    assert t.kernel_dilated and not t.exact and t.params["kernel_size"] == [5] and t.params["dilation_rate"] == [1]


@pytest.mark.parametrize("framework, one, every", [
    ("jax", {"padding": [(1, 2)]}, {"padding": [(1, 2), (1, 2)]}),
    ("onnx", {"pads": [1, 2]}, {"pads": [1, 1, 2, 2]}),
])
def test_one_padding_pair_is_used_on_every_axis(framework, one, every):
    # as any one-element per-axis value: the pair broadcasts, the number of axes comes from the rest
    assert (cv.read_framework(framework, (4, 5), 3, **one).layer
            == cv.read_framework(framework, (4, 5), 3, **every).layer)


# --- the writers' searches are O(1): the same choice as trying every size --------------------

def _cost(post):
    return (sum(abs(b) + abs(e) for b, e in post) > 0, any(b < 0 or e < 0 for b, e in post),
            sum(abs(b) + abs(e) for b, e in post))


def _every_size(axis, sizes, crop_of):
    """The writers' choice the slow way: every size in turn, the first of the least cost."""
    found = [(n, crop_of(n)) for n in sizes]
    found = [(n, c) for n, c in found if c is not None]
    post = lambda c: (axis.b - c[0], axis.e - c[1])  # noqa: E731
    return min(found, key=lambda f: _cost([post(f[1])]), default=None)


@given(crop_layers(max_ndim=1, i=(1, 6), k=(1, 6), s=(1, 9), d=(1, 3), margin=5))
def test_writers_pick_what_trying_every_size_picks(layer):
    from tconvcalc.conventions import from_framework as read
    from tconvcalc.conventions.translate import _nearest, _tf_sizes

    a = layer.axes[0]
    for padding in ("SAME", "VALID"):
        sizes = _tf_sizes(a, padding)
        crop_of = lambda n: read.tf_crop(a.i, a.k, a.s, a.d, n, padding)[0]  # noqa: E731
        assert _nearest(a, sizes, crop_of) == _every_size(a, sizes, crop_of)
    for padding in ("same", "valid"):
        base = read.keras_output_length(a.i, a.k, a.s, a.d, padding, 0)
        crop_of = lambda n: read.tf_crop(a.i, a.k, a.s, a.d, n, padding.upper())[0]  # noqa: E731
        assert _nearest(a, range(base, base + a.s), crop_of) == _every_size(a, range(base, base + a.s),
                                                                                    crop_of)
    onnx = cv.to_framework(layer, "onnx")
    pads = onnx.params.get("pads")
    if pads is not None:  # the explicit pads still leave at least one sample
        assert a.full - pads[0] - pads[1] + onnx.params["output_padding"][0] >= 1
    assert cv.read_framework("onnx", [a.i], [a.k], 1, **onnx.options()).layer.crop == onnx.produced


@pytest.mark.parametrize("framework", ["pytorch", "tensorflow", "keras", "onnx", "jax"])
def test_huge_strides_and_sizes_translate_at_once(framework):
    layer = Layer((Axis(2**64, 3, 10**12, 1, 7, 2), Axis(2, 3, 10**12, 5, 10**12 - 1, 3)))
    translation = cv.to_framework(layer, framework)
    assert translation.read_back().layer.crop == translation.produced
    assert translation.layer.output_size == layer.output_size
