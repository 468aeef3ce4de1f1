"""``tconvcalc convert`` through click: JSON schema, exactness, bad input (exit 2, one line)."""

from __future__ import annotations

import re

import pytest

import helpers


def run(*args):
    return helpers.run("convert", *args)


def as_json(*args) -> dict:
    return helpers.run_json("convert", *args)


def test_json_schema_to_pytorch():
    report = as_json("--from", "tensorflow", "--to", "pytorch", "--in", "4", "--k", "3", "--strides", "2",
                     "--padding", "SAME", "--output-shape", "8")
    assert report["output_size"] == [8, 8]
    assert report["crop"] == [[0, 1], [0, 1]]
    target = report["target"]
    for key in ("stride", "padding", "output_padding", "dilation", "post_crop"):
        assert isinstance(target[key], list) and len(target[key]) == 2
    assert report["exact"] is False and target["exact"] is False
    assert target["post_crop"] == [[0, 1], [0, 1]]
    assert report["code"][-1] == "y = y[..., 0:-1, 0:-1]"


def test_json_values_run_in_torch(torch):
    """The printed PyTorch parameters plus post_crop reproduce a Keras 'same' layer's crop in torch."""
    report = as_json("--from", "keras", "--to", "pytorch", "--in", "5,4", "--k", "4,3", "--strides", "3,2",
                     "--padding", "same")
    t = report["target"]
    x = torch.randn(1, 2, 5, 4)
    w = torch.randn(2, 3, 4, 3)
    full = torch.nn.functional.conv_transpose2d(x, w, stride=(3, 2))
    (b0, e0), (b1, e1) = report["crop"]
    want = torch.nn.functional.pad(full, (-b1, -e1, -b0, -e0))  # negative pads crop; positive add zeros
    got = torch.nn.functional.conv_transpose2d(x, w, stride=t["stride"], padding=t["padding"],
                                               output_padding=t["output_padding"], dilation=t["dilation"])
    (pb0, pe0), (pb1, pe1) = t["post_crop"]
    got = torch.nn.functional.pad(got, (-pb1, -pe1, -pb0, -pe0))
    assert list(got.shape[2:]) == report["output_size"] == [15, 8]
    torch.testing.assert_close(got, want)


def test_exact_pytorch_to_onnx_and_back():
    report = as_json("--from", "pytorch", "--to", "onnx", "--in", "7", "--k", "4", "--strides", "2", "--padding",
                     "1", "--output-padding", "1")
    assert report["exact"] is True
    assert report["target"]["pads"] == [1, 1, 0, 0]  # crop (1, 0): same values as pads 1 + output_padding 1
    back = as_json("--from", "onnx", "--to", "pytorch", "--in", "7", "--k", "4", "--strides", "2", "--pads",
                   "1,1,1,1", "--output-padding", "1")
    assert back["crop"] == report["crop"] and back["exact"] is True
    assert back["target"]["padding"] == [1, 1] and back["target"]["output_padding"] == [1, 1]


def test_jax_explicit_pairs_and_transpose_kernel():
    report = as_json("--from", "jax", "--to", "pytorch", "--in", "4", "--k", "3", "--strides", "2", "--padding",
                     "1:2,0:1", "--transpose-kernel")
    assert report["ndim"] == 2 and report["crop"] == [[1, 0], [2, 1]]
    assert report["source"]["transpose_kernel"] is True
    assert "flip" not in report["weight"]
    flipped = as_json("--from", "jax", "--to", "pytorch", "--in", "4", "--k", "3", "--strides", "2", "--padding",
                      "1:2,0:1", "--no-transpose-kernel")
    assert "np.flip" in flipped["weight"]


def test_negative_crop_needs_zeros_in_pytorch():
    # ONNX SAME_UPPER with k=1 < s=2: the odd negative total puts a zero *before* the first sample
    report = as_json("--from", "onnx", "--to", "pytorch", "--in", "3", "--k", "1", "--strides", "2",
                     "--auto-pad", "SAME_UPPER", "--ndim", "1")
    assert report["output_size"] == [6]
    assert report["crop"][0][0] < 0
    assert any("F.pad" in line for line in report["code"])


def test_rich_output_says_exact_or_not():
    result = run("--from", "keras", "--to", "pytorch", "--in", "4", "--k", "3", "--strides", "2", "--padding", "same")
    assert result.exit_code == 0
    assert "nn.ConvTranspose2d(" in result.stdout and "y = y[..., 0:-1, 0:-1]" in result.stdout
    assert "Not exact" in result.stdout
    result = run("--from", "pytorch", "--to", "jax", "--in", "4", "--k", "3", "--strides", "2", "--padding", "1")
    assert result.exit_code == 0 and "Exact" in result.stdout and "jax.lax.conv_transpose" in result.stdout


@pytest.mark.parametrize("target", ["pytorch", "tensorflow", "keras", "onnx", "jax"])
def test_every_target_prints(target):
    report = as_json("--from", "tensorflow", "--to", target, "--in", "3,5", "--k", "2,3", "--strides", "3,2",
                     "--padding", "VALID", "--output-shape", "8,11")
    assert report["to"] == target and report["output_size"] == [8, 11] and report["code"]


@pytest.mark.parametrize("args, words", [
    (["--from", "caffe", "--to", "pytorch"], "pytorch, tensorflow, keras, onnx, jax"),
    (["--from", "pytorch", "--to", "mxnet"], "pytorch, tensorflow, keras, onnx, jax"),
    (["--from", "keras", "--to", "pytorch", "--strides", "2", "--output-padding", "2"], "strictly less than"),
    (["--from", "onnx", "--to", "pytorch", "--pads", "1,1,1"], "2 per axis"),
    (["--from", "tensorflow", "--to", "pytorch", "--padding", "SAME"], "output_shape"),
    (["--from", "pytorch", "--to", "onnx", "--pads", "1,1"], "--pads is not a pytorch option"),
    (["--from", "jax", "--to", "onnx", "--padding", "1:x"], "lo:hi"),
    (["--from", "pytorch", "--to", "onnx", "--strides", "2", "--output-padding", "3"], "output_padding"),
])
def test_bad_input_exit_2_one_line(args, words):
    result = run("--in", "4", "--k", "3", *args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and words in lines[0]
    assert "Traceback" not in result.stderr


def test_bad_input_json_prints_nothing_on_stdout():
    result = run("--in", "4", "--k", "3", "--from", "keras", "--to", "pytorch", "--padding", "full", "--json")
    assert result.exit_code == 2 and result.stdout == ""


# --- channels and groups in the emitted code ------------------------------------------------------------------
CHANNELED = [
    (["--from", "pytorch", "--in", "5,4", "--k", "3", "--s", "2", "--padding", "1", "--output-padding", "1"], 6, 4, 2),
    (["--from", "onnx", "--in", "3", "--k", "4", "--strides", "3", "--pads", "2,0"], 3, 9, 3),
    (["--from", "tensorflow", "--in", "4", "--k", "3", "--strides", "2", "--padding", "SAME", "--output-shape", "8"],
     5, 7, None),
    (["--from", "keras", "--in", "6,3", "--k", "4,2", "--strides", "3,2", "--padding", "same"], 2, 2, None),
]


@pytest.mark.parametrize("args, c_in, c_out, groups", CHANNELED)
def test_emitted_pytorch_code_with_channels_builds_the_layer_torch_runs(args, c_in, c_out, groups):
    """The code lines `convert --to pytorch --channels` prints, executed in PyTorch: the module's weight is
    (C_in, C_out/groups, *k) and the output (N, C_out, *output_size) that tconvcalc reports."""
    torch = helpers.torch_oracle()
    given = ["--channels", f"{c_in},{c_out}"] + (["--groups", str(groups)] if groups else [])
    report = as_json(*args, "--to", "pytorch", *given)
    assert report["channels"] == [c_in, c_out] and report["groups"] == (groups or 1)
    assert not any(re.search(r"\b(in_ch|out_ch)\b", line) for line in report["code"])
    x = torch.randn(2, c_in, *report["input_size"])
    namespace = {"nn": torch.nn, "F": torch.nn.functional, "x": x}
    for line in report["code"]:
        exec(line, namespace)
    weight = namespace["layer"].weight
    assert tuple(weight.shape) == (c_in, c_out // (groups or 1), *report["kernel_size"])
    assert tuple(namespace["y"].shape) == (2, c_out, *report["output_size"])


@pytest.mark.parametrize("target, written", [
    ("keras", "(filters={out},"), ("tensorflow", ", {out}], strides"), ("onnx", '["X", "W"], ["Y"]'),
])
def test_channels_reach_every_targets_code(target, written):
    report = as_json("--from", "onnx", "--to", target, "--in", "4", "--k", "3", "--strides", "2", "--pads", "1,1",
                     "--groups", "2", "--channels", "4,6")
    code = "\n".join(report["code"])
    assert report["channels"] == [4, 6] and report["groups"] == 2
    # A framework without groups runs one layer per group, each writing its share of the output channels.
    split = target != "onnx"
    assert written.format(out=6 // 2 if split else 6) in code and not re.search(r"\b(in_ch|out_ch|C_out)\b", code)
    assert ("group=2" in code) is (target == "onnx")
    assert any("split the channels into 2 groups" in note for note in report["notes"]) is split


def test_without_channels_the_code_keeps_its_placeholders():
    report = as_json("--from", "pytorch", "--to", "pytorch", "--in", "4", "--k", "3", "--s", "2", "--groups", "2")
    assert report["channels"] is None and report["groups"] == 2
    assert report["code"][0] == "layer = nn.ConvTranspose2d(in_ch, out_ch, kernel_size=3, stride=2, padding=0, " \
                                "output_padding=0, groups=2)"


@pytest.mark.parametrize("args, words", [
    (["--channels", "4,6", "--groups", "4"], "groups=4 does not divide out_channels=6"),
    (["--channels", "6,4", "--groups", "4"], "groups=4 does not divide in_channels=6"),
    (["--channels", "4,6,8"], "channels has 3 values but a layer (in, out) needs 2"),
    (["--channels", "0,4"], "channels=0 is not positive"),
    (["--channels", "four"], "is not an integer"),
    (["--groups", "0"], "--groups"),
])
def test_bad_channels_or_groups_exit_2_one_line(args, words):
    line = helpers.run_error("convert", "--from", "pytorch", "--to", "keras", "--in", "4", "--k", "3", *args)
    assert words in line
    assert helpers.run("convert", "--from", "pytorch", "--to", "keras", "--in", "4", "--k", "3", *args,
                       "--json").stdout == ""
