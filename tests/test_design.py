"""Overlap, compare, chain, mirror, pictures and emitted code: executed, not only described."""

from __future__ import annotations

import json
import os
from itertools import product
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tconvcalc as tc
from tconvcalc.design import overlap, planner
from tconvcalc.design.mirror import load_encoder, mirror, parse_encoder
from tconvcalc.numeric import conv_transpose
from tconvcalc.model.spec import Layer

from helpers import run, run_error, run_json
from strategies import pytorch_layers

EXAMPLE_SPEC = str(Path(__file__).resolve().parent.parent / "examples" / "unet_encoder.toml")


def layers(max_ndim=3):
    return pytorch_layers(max_ndim, i=(1, 6), k=(1, 5), s=(1, 4), d=(1, 3))


def pytorch_args(layer):
    pairs = [a.pytorch for a in layer.axes]
    return dict(stride=layer.field("s"), padding=tuple(p for p, _ in pairs),
                output_padding=tuple(op for _, op in pairs), dilation=layer.field("d"))


# --- overlap --------------------------------------------------------------------------------

@given(layers())
def test_overlap_counts_equal_the_layer_run_on_ones(layer):
    ones_x = np.ones((1, 1, *layer.input_size))
    ones_w = np.ones((1, 1, *layer.kernel_size))
    executed = conv_transpose(ones_x, ones_w, **pytorch_args(layer))[0, 0]
    assert np.array_equal(overlap.counts(layer), np.rint(executed).astype(int))


@given(layers())
def test_overlap_counts_equal_pytorch_on_ones(torch, layer):
    fn = getattr(torch.nn.functional, f"conv_transpose{layer.ndim}d")
    theirs = fn(torch.ones((1, 1, *layer.input_size), dtype=torch.float64),
                torch.ones((1, 1, *layer.kernel_size), dtype=torch.float64), **pytorch_args(layer))[0, 0]
    assert np.array_equal(overlap.counts(layer), theirs.round().long().numpy())


@given(layers(max_ndim=2))
def test_uniform_interior_is_equal_phase_tap_counts(layer):
    window = overlap.interior([layer.axes[0]])
    if window.stop - window.start < layer.axes[0].s or layer.ndim > 1:
        return  # too short an interior to show every phase; nothing to compare
    phases = layer.axes[0].phase_tap_counts()
    assert overlap.analyse([layer]).uniform_overlap == (min(phases) == max(phases))


@given(st.lists(st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(0, 1)), min_size=2, max_size=3),
       st.integers(2, 5))
def test_stacked_overlap_equals_running_the_stack_in_pytorch(torch, params, size):
    stack, n = [], size
    for k, s, p in params:
        if (n - 1) * s + k - 2 * p < 1:
            return
        stack.append(Layer.from_pytorch((n,), (k,), (s,), (p,)))
        n = stack[-1].output_size[0]
    x = torch.ones(1, 1, size, dtype=torch.float64)
    for layer in stack:
        x = torch.nn.functional.conv_transpose1d(x, torch.ones(1, 1, *layer.kernel_size, dtype=torch.float64),
                                                 **pytorch_args(layer))
    assert overlap.analyse(stack).counts == x[0, 0].round().long().tolist()


@pytest.mark.parametrize("k, repeat", [(8, 23), (3, 45), (2, 70)])
def test_deep_stacks_count_exactly_past_int64(k, repeat):
    # From one input through stride-1 all-ones kernels, the counts are the coefficients of (1 + x + … + x^(k-1))^repeat,
    # multiplied out here in Python's exact integers.
    coefficients = [1]
    for _ in range(repeat):
        coefficients = [sum(coefficients[j - a] for a in range(k) if 0 <= j - a < len(coefficients))
                        for j in range(len(coefficients) + k - 1)]
    assert max(coefficients) > 2**63  # past what int64 holds
    stack = [Layer.from_pytorch((1 + (k - 1) * n,), (k,)) for n in range(repeat)]
    found = overlap.analyse(stack)
    assert found.axis_counts[0] == coefficients and (found.min, found.max) == (1, max(coefficients))
    assert found.interior_values == [] and found.uniform_overlap  # no interior; k taps every phase at stride 1


def test_an_empty_interior_is_said_not_called_uniform_at_zero():
    out = run("overlap", "--in", 1, "--k", 8, "--repeat", 23, "--ndim", 1).stdout
    assert "No interior" in out and "0 contributions" not in out
    assert "different numbers of taps" in run("overlap", "--in", 1, "--k", 3, "--s", 2, "--repeat", 3,
                                               "--ndim", 1).stdout


def test_overlap_refuses_more_interior_combinations_than_it_lists():
    said = run_error("overlap", "--in", "4,4", "--k", 3, "--s", 2, "--repeat", 17)
    assert f"more than the {overlap.MAX_INTERIOR_VALUES}" in said and "one axis at a time" in said


def test_overlap_cli_reports_counts_uniformity_and_phases():
    report = run_json("overlap", "--in", "5", "--k", "3", "--s", "2", "--ndim", "1")
    assert report["counts"] == overlap.counts(Layer.from_pytorch(5, 3, 2)).tolist()
    assert report["uniform_overlap"] is False and report["phase_tap_counts"] == [[2, 1]]
    report = run_json("overlap", "--in", "8", "--k", "4", "--s", "2", "--p", "1")
    assert report["uniform_overlap"] is True and len(report["counts"]) == 16


# --- compare --------------------------------------------------------------------------------

@pytest.mark.parametrize("scale", [2, 3, 4])
def test_compare_methods_reach_the_scale_and_count_flops_like_pytorch(torch, scale):
    from torch.utils.flop_counter import FlopCounterMode

    c, n = 4, 6
    report = run_json("compare", "--in", str(n), "--scale", str(scale), "--channels", str(c))
    x = torch.zeros(1, c, n, n)
    for row in report["methods"]:
        assert row["output_size"] == [n * scale] * 2
    models = {
        "resize + conv": torch.nn.Sequential(torch.nn.Upsample(scale_factor=scale),
                                             torch.nn.Conv2d(c, c, 3, padding=1)),
        "sub-pixel conv": torch.nn.Sequential(torch.nn.Conv2d(c, c * scale**2, 3, padding=1),
                                              torch.nn.PixelShuffle(scale)),
    }
    for row in report["methods"]:
        if row["method"].startswith("transposed"):
            models[row["method"]] = torch.nn.ConvTranspose2d(c, c, **row["parameters"])
    for row in report["methods"]:
        model = models[row["method"]]
        with FlopCounterMode(display=False) as counter:
            out = model(x)
        assert list(out.shape[2:]) == row["output_size"]
        assert counter.get_total_flops() == row["flops"]
        assert sum(p.numel() for p in model.parameters()) == row["params"]
        assert _summed_products(torch, model, x) == row["macs"]


def _summed_products(torch, model, x) -> int:
    """The multiply-adds that reach the output, executed: all-ones weights, no bias, an all-ones input, so each
    output sums the products that reach it (padding multiplies zeros, a crop drops its products)."""
    import copy

    ones = copy.deepcopy(model).double()
    with torch.no_grad():
        for name, p in ones.named_parameters():
            p.fill_(0.0 if name.endswith("bias") else 1.0)
        return round(ones(torch.ones_like(x, dtype=torch.float64)).sum().item())


@pytest.mark.parametrize("scale", [2, 3])
def test_compare_form_costs_are_what_the_rewritten_layers_compute(torch, scale):
    """Each transposed method's zero-insertion and sub-pixel cost is what PyTorch's flop counter counts for the
    rewritten module's convolutions (``tc.rewrite``), halved: every multiply-add of the form, zeros included."""
    from torch.utils.flop_counter import FlopCounterMode

    from tconvcalc import rewrite

    c, n = 3, 5
    report = run_json("compare", "--in", str(n), "--scale", str(scale), "--channels", str(c))
    x = torch.zeros(1, c, n, n)
    for row in [r for r in report["methods"] if r["method"].startswith("transposed")]:
        layer = torch.nn.ConvTranspose2d(c, c, **row["parameters"])
        for form, build in (("zero_insertion", rewrite.zero_insertion), ("subpixel", rewrite.subpixel)):
            with FlopCounterMode(display=False) as counter:
                build(layer)(x)
            assert counter.get_total_flops() == 2 * row["forms"][form], (row["method"], form)
        assert row["forms"]["scatter"] == n * n * layer.weight[0, 0].numel() * c * c


def test_compare_uniformity_is_measured_on_ones_in_pytorch(torch):
    report = run_json("compare", "--in", "8", "--scale", "2", "--ndim", "1")
    rows = {row["method"]: row for row in report["methods"]}
    up = torch.nn.functional.interpolate(torch.ones(1, 1, 8, dtype=torch.float64), scale_factor=2)
    counts = torch.nn.functional.conv1d(up, torch.ones(1, 1, 3, dtype=torch.float64), padding=1)[0, 0]
    assert rows["resize + conv"]["interior_values"] == sorted(set(counts[1:-1].long().tolist()))
    assert rows["transposed conv, k = s+1"]["uniform_overlap"] is False
    assert rows["transposed conv, k = 2s"]["uniform_overlap"] is True


# --- chain ----------------------------------------------------------------------------------

def brute_force_stacks(i, target, depth, kernels, strides, max_p):
    """Every stack of `depth` PyTorch layers from i to target with sizes in [1, max(i, target)]."""
    bound = max(i, target)
    singles = [(k, s, p, op) for k, s, p in product(kernels, strides, range(max_p + 1)) for op in range(s)]
    stacks = [((), i)]
    for _ in range(depth):
        grown = []
        for stack, n in stacks:
            for k, s, p, op in singles:
                size = (n - 1) * s + k - 2 * p + op
                if 1 <= size <= bound:
                    grown.append((stack + ((n, k, s, p, op),), size))
        stacks = grown
    return [stack for stack, n in stacks if n == target]


@given(st.integers(1, 5), st.integers(2, 14), st.integers(1, 3))
def test_chain_counts_every_stack_and_ranks_them(i, target, depth):
    kernels, strides = range(1, 4), range(1, 3)
    # all of them: at most 384 here
    result = planner.chain(i, target, depth, kernels, strides, 1, limit=planner.MAX_LIMIT)
    expected = brute_force_stacks(i, target, depth, kernels, strides, 1)
    assert result.total == len(expected)
    found = {tuple((layer.axes[0].i, layer.axes[0].k, layer.axes[0].s, *layer.axes[0].pytorch) for layer in stack)
             for stack in result.stacks}
    assert found == set(expected)
    costs = [tuple(map(sum, zip(*(planner.rank_key(layer.axes[0]) for layer in stack)))) for stack in result.stacks]
    assert costs == sorted(costs)


def test_chain_json_best_stack_runs_to_the_target_in_numpy_and_pytorch(torch):
    report = run_json("chain", "--in", "4", "--out", "64", "--layers", "4", "--k", "4", "--s", "2")
    assert [layer["kernel_size"] for layer in report["layers"]] == [[4, 4]] * 4
    for stack in [report["layers"], *(alt["layers"] for alt in report["alternatives"])]:
        x = np.random.default_rng(0).standard_normal((1, 2, 4, 4))
        t = torch.from_numpy(x)
        for layer in stack:
            w = np.random.default_rng(1).standard_normal((2, 2, *layer["kernel_size"]))
            args = {key: tuple(layer[key]) for key in ("stride", "padding", "output_padding", "dilation")}
            x = conv_transpose(x, w, **args)
            t = torch.nn.functional.conv_transpose2d(t, torch.from_numpy(w), **args)
            assert list(x.shape[2:]) == layer["output_size"]
        assert list(x.shape[2:]) == [64, 64]
        np.testing.assert_allclose(x, t.numpy(), rtol=1e-10, atol=1e-10)


def test_chain_with_different_axes_and_emitted_code_runs(torch):
    report = run_json("chain", "--in", "4,5", "--out", "32,40", "--layers", "3", "--s", "2",
                      "--channels", "8,4,4,2", "--emit", "pytorch")
    namespace = {}
    exec(report["code"], namespace)
    out = namespace["model"](torch.zeros(1, 8, 4, 5))
    assert list(out.shape) == [1, 2, 32, 40]


# --- mirror ---------------------------------------------------------------------------------

def test_mirror_restores_every_encoder_size_when_executed(torch):
    encoder = load_encoder(EXAMPLE_SPEC)
    levels = mirror(encoder)
    x = torch.zeros(1, 1, *encoder.input_size)
    sizes = [tuple(x.shape[2:])]
    for layer in encoder.layers:  # the encoder, run by PyTorch
        x = torch.nn.functional.conv2d(x, torch.zeros(1, 1, *layer.kernel_size), stride=layer.stride,
                                       padding=layer.padding, dilation=layer.dilation)
        sizes.append(tuple(x.shape[2:]))
    for level in reversed(levels):  # the decoder, run by the NumPy backend, lands on each skip size
        y = conv_transpose(np.zeros((1, 1, *level.conv_output)), np.zeros((1, 1, *level.decoder.kernel_size)),
                           **pytorch_args(level.decoder))
        assert tuple(y.shape[2:]) == sizes[levels.index(level)]


def test_mirror_emits_pytorch_that_runs_and_restores_the_input(torch):
    report = run_json("mirror", EXAMPLE_SPEC, "--emit", "pytorch")
    namespace = {}
    exec(report["code"], namespace)
    deepest = report["levels"][-1]["conv_output"]
    out = namespace["model"](torch.zeros(1, 128, *deepest))
    assert list(out.shape[2:]) == report["input_size"] and out.shape[1] == 3
    assert all(level["decoder"]["output_size"] == level["conv_input"] for level in report["levels"])


def test_mirror_emits_keras_and_onnx_with_the_exact_crop():
    report = run_json("mirror", EXAMPLE_SPEC, "--emit", "keras")
    assert "keras.layers.Conv2DTranspose(filters=3," in report["code"]
    report = run_json("mirror", EXAMPLE_SPEC, "--emit", "onnx")
    assert report["code"].count('make_node("ConvTranspose"') == 4


@pytest.mark.parametrize("text, words", [
    ("input = [8, 8]\n[[layers]]\nkernel_size = 3\nstrid = 2\n", ["layer 1", "unknown field 'strid'"]),
    ("input = [8, 8]\n[[layers]]\nstride = 2\n", ["layer 1", "'kernel_size' is missing"]),
    ("input = [8, 8]\n[[layers]]\nkernel_size = 'three'\n", ["layer 1", "kernel_size='three' is not an integer"]),
    ("input = [8, 8]\n[[layers]]\nkernel_size = [3, 3, 3]\n", ["layer 1", "kernel_size has 3 axes", "has 2"]),
    ("[[layers]]\nkernel_size = 3\n", ["top level", "'input' is missing"]),
    ("input = [4]\n[[layers]]\nkernel_size = 3\n[[layers]]\nkernel_size = 3\n", ["layer 2", "shorter than"]),
    ("input = [8\n", ["not valid TOML"]),
])
def test_mirror_errors_name_the_file_the_layer_and_the_field(text, words):
    with pytest.raises(tc.ParameterError) as info:
        mirror(parse_encoder(text, "net.toml"))
    message = str(info.value)
    assert message.startswith("net.toml") and "\n" not in message
    for word in words:
        assert word in message


def test_mirror_cli_bad_file_is_one_error_line(tmp_path):
    spec = tmp_path / "enc.json"
    spec.write_text(json.dumps({"input": 8, "layers": [{"k": 3, "s": 2, "channels": 0}]}))
    result = run("mirror", spec)
    assert result.exit_code == 2 and result.stdout == ""
    assert (result.stderr.startswith(f"Error: {spec}, layer 1: channels=0 is not positive")
            and result.stderr.count("\n") == 1)



@pytest.mark.parametrize("content, words", [
    ("input = [8]\n# caf\xe9\n[[layers]]\nkernel_size = 3\n".encode("latin-1"), "is not UTF-8 text (byte 0xe9"),
    (b'input = [8]\nchannels = "rgb"\n[[layers]]\nkernel_size = 3\n', "channels"),
    (b"input = [8]\nchannels = 3.5\n[[layers]]\nkernel_size = 3\n", "channels"),
    (b"input = [8, 8, 8, 8]\n[[layers]]\nkernel_size = 3\n", "1 to 3 spatial axes"),
])
def test_mirror_unreadable_or_wrong_specs_are_one_error_line(tmp_path, content, words):
    spec = tmp_path / "enc.toml"
    spec.write_bytes(content)
    assert words in run_error("mirror", spec)


# --- pictures -------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [["overlap", "--in", "5", "--k", "3", "--s", "2"],
                                     ["figure", "--in", "3", "--k", "3", "--s", "2", "--p", "1"],
                                     ["figure", "--in", "4", "--k", "3", "--s", "2", "--ndim", "1"]])
def test_pictures_are_written_as_png_and_svg(tmp_path, command):
    pytest.importorskip("matplotlib", reason="pictures need the plot extra: pip install '.[plot]'")
    png, svg = tmp_path / "a.png", tmp_path / "a.svg"
    result = run(*command, "--png", png, "--svg", svg)
    assert result.exit_code == 0, result.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in svg.read_bytes()[:500]
    assert result.stderr == f"wrote {png}, {svg}\n"  # every picture is announced, on stderr
    umask = os.umask(0)
    os.umask(umask)
    assert {png.stat().st_mode & 0o777, svg.stat().st_mode & 0o777} == {0o666 & ~umask}  # as open() would make


@pytest.mark.parametrize("command", [["overlap", "--in", "5", "--k", "3", "--s", "2"],
                                     ["figure", "--in", "3", "--k", "3", "--s", "2"]])
def test_nothing_is_half_written(tmp_path, command):
    pytest.importorskip("matplotlib", reason="pictures need the plot extra: pip install '.[plot]'")
    png = tmp_path / "a.png"
    result = run(*command, "--png", png, "--svg", tmp_path / "missing" / "a.svg")
    assert result.exit_code == 2 and "cannot write" in result.stderr
    assert list(tmp_path.iterdir()) == []  # neither the PNG nor a temporary file is left
    result = run(*command, "--svg", tmp_path / "a.png")
    assert result.exit_code == 2 and "does not end in .svg" in result.stderr and not png.exists()


@pytest.mark.parametrize("args", [("figure", "--in", 100, "--k", 3, "--s", 2, "--png", "{tmp}/a.png"),
                                  ("latex", "--in", 2, "--k", 3, "--s", 10**12, "--what", "figure")])
def test_figures_too_wide_for_a_page_are_refused_before_drawing(tmp_path, args):
    from tconvcalc.model.structure import MAX_FIGURE_CELLS

    message = run_error(*(str(a).replace("{tmp}", str(tmp_path)) for a in args))
    assert "cells along an axis" in message and str(MAX_FIGURE_CELLS) in message
    assert list(tmp_path.iterdir()) == []


def test_missing_matplotlib_is_one_clear_sentence(tmp_path, monkeypatch):
    from tconvcalc.pictures import plots

    monkeypatch.setattr(plots, "plt", None)
    result = run("overlap", "--in", 5, "--k", 3, "--png", tmp_path / "a.png")
    assert result.exit_code == 3  # a missing package, not bad input
    assert result.stderr.startswith("Error: matplotlib is not installed")
    assert "pip install 'tconvcalc[plot]'" in result.stderr and not (tmp_path / "a.png").exists()
