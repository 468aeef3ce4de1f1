"""Whole networks: each size rule against PyTorch, the derived domain against brute force (the plain
rules, and PyTorch itself running random encoder/decoder graphs), the trace, the fix and the command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from tconvcalc.cli import cli
from tconvcalc.cli.views.net import _notes
from tconvcalc.network import load, trace
from tconvcalc.network.domain import accepts, axis_domain, runs
from tconvcalc.network.fix import fix
from tconvcalc.network.ops import OPS
from tconvcalc.network.readers.spec_file import parse_network
from tconvcalc.model.spec import ParameterError

from helpers import run, run_error, run_json

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# --- each op's size rule against PyTorch ---------------------------------------------------------


@st.composite
def one_op(draw):
    """An op with PyTorch's parameters on one axis, and the functional call that runs it."""
    kind = draw(st.sampled_from(["conv", "conv_transpose", "max_pool", "avg_pool", "upsample", "pixel_shuffle",
                                 "pixel_unshuffle"]))
    k, s, d = draw(st.integers(1, 5)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
    if kind == "conv":
        p = draw(st.integers(0, 4))
        return kind, {"k": k, "s": s, "d": d, "pad": (p, p), "same": False}, ("conv1d", dict(stride=s, padding=p,
                                                                                            dilation=d), k)
    if kind == "conv_transpose":
        p, op = draw(st.integers(0, 4)), draw(st.integers(0, max(s, d) - 1))
        return kind, {"k": k, "s": s, "d": d, "crop": (p, p - op)}, ("conv_transpose1d", dict(
            stride=s, padding=p, output_padding=op, dilation=d), k)
    if kind.endswith("pool"):
        p, ceil = draw(st.integers(0, k // 2)), draw(st.booleans())
        d = d if kind == "max_pool" else 1
        args = dict(stride=s, padding=p, ceil_mode=ceil, **({"dilation": d} if kind == "max_pool" else {}))
        return kind, {"k": k, "s": s, "d": d, "pad": (p, p), "ceil": ceil, "same": False}, (
            f"{kind.replace('_', '')}1d", dict(kernel_size=k, **args), None)
    r = draw(st.integers(1, 4))
    return kind, {"r": r}, (kind, r, None)


def _torch_size(torch, call, n: int) -> int | None:
    """The output length PyTorch gives for length n, or None if it refuses."""
    name, args, k = call
    F = torch.nn.functional
    try:
        if name in ("conv1d", "conv_transpose1d"):
            y = getattr(F, name)(torch.zeros(1, 1, n), torch.zeros(1, 1, k), **args)
        elif name in ("maxpool1d", "avgpool1d"):
            y = getattr(F, name.replace("pool", "_pool"))(torch.zeros(1, 1, n), **args)
        elif name == "upsample":
            y = F.interpolate(torch.zeros(1, 1, n), scale_factor=args, mode="nearest")
        elif name == "pixel_shuffle":  # 2-D, the size along one spatial axis
            y = F.pixel_shuffle(torch.zeros(1, args * args, n, 1), args)[..., 0]
        else:
            y = F.pixel_unshuffle(torch.zeros(1, 1, n, n), args)[..., 0]
    except RuntimeError:
        return None
    return y.shape[-1]


@settings(max_examples=300, deadline=None)
@given(one_op(), st.integers(1, 24))
def test_each_size_rule_is_pytorchs(torch, case, n):
    kind, q, call = case
    size, needs = OPS[kind].size(n, q)
    ours = size if all(value >= 0 for value, _ in needs) and size >= 1 else None
    assert ours == _torch_size(torch, call, n)


# --- random encoder/decoder graphs: the derived domain against brute force ----------------------


@st.composite
def unets(draw):
    """A 1-D encoder/decoder with skips: random downs (strided conv or pooling, ceil_mode too) and ups
    (transposed conv with any valid output_padding, or nearest upsampling), as a spec and as the
    PyTorch calls that run it."""
    layers, calls, skips, previous = [], [], [], "input"
    levels = draw(st.integers(1, 4))
    for level in range(levels):
        k = draw(st.sampled_from([1, 3, 5]))
        layers.append(dict(name=f"enc{level}", kernel_size=k, padding=k // 2, inputs=[previous]))
        calls.append(("conv", f"enc{level}", previous, dict(k=k, stride=1, padding=k // 2, dilation=1)))
        skips.append(f"enc{level}")
        k, s = draw(st.integers(1, 4)), draw(st.integers(1, 3))
        if draw(st.booleans()):
            p, d = draw(st.integers(0, 2)), draw(st.integers(1, 2))
            layers.append(dict(name=f"down{level}", kernel_size=k, stride=s, padding=p, dilation=d))
            calls.append(("conv", f"down{level}", f"enc{level}", dict(k=k, stride=s, padding=p, dilation=d)))
        else:
            p, ceil = draw(st.integers(0, k // 2)), draw(st.booleans())
            layers.append(dict(name=f"down{level}", op="max_pool", kernel_size=k, stride=s, padding=p, ceil_mode=ceil))
            calls.append(("pool", f"down{level}", f"enc{level}", dict(k=k, stride=s, padding=p, ceil_mode=ceil)))
        previous = f"down{level}"
    for level in reversed(range(levels)):
        if draw(st.booleans()):
            k, s, d = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
            p, op = draw(st.integers(0, 2)), draw(st.integers(0, max(s, d) - 1))
            layers.append(dict(name=f"up{level}", op="conv_transpose", kernel_size=k, stride=s, padding=p,
                               output_padding=op, dilation=d, inputs=[previous]))
            calls.append(("tconv", f"up{level}", previous, dict(k=k, stride=s, padding=p, output_padding=op,
                                                              dilation=d)))
        else:
            r = draw(st.integers(1, 3))
            layers.append(dict(name=f"up{level}", op="upsample", scale_factor=r, inputs=[previous]))
            calls.append(("upsample", f"up{level}", previous, r))
        layers.append(dict(name=f"cat{level}", op="concat", inputs=[skips[level], f"up{level}"]))
        calls.append(("cat", f"cat{level}", (skips[level], f"up{level}"), None))
        previous = f"cat{level}"
    return parse_network(json.dumps({"ndim": 1, "layers": layers}), "random", "json"), calls


def _torch_runs(torch, calls, n: int) -> bool:
    F = torch.nn.functional
    values = {"input": torch.zeros(1, 1, n)}
    try:
        for kind, name, source, a in calls:
            if kind == "conv":
                y = F.conv1d(values[source], torch.zeros(1, 1, a["k"]), stride=a["stride"], padding=a["padding"],
                             dilation=a["dilation"])
            elif kind == "pool":
                y = F.max_pool1d(values[source], a["k"], a["stride"], a["padding"], ceil_mode=a["ceil_mode"])
            elif kind == "tconv":
                y = F.conv_transpose1d(values[source], torch.zeros(1, 1, a["k"]), stride=a["stride"],
                                       padding=a["padding"], output_padding=a["output_padding"], dilation=a["dilation"])
            elif kind == "upsample":
                y = F.interpolate(values[source], scale_factor=a, mode="nearest")
            else:
                y = torch.cat([values[s] for s in source], dim=1)[:, :1]
            values[name] = y
    except RuntimeError:
        return False
    return True


@settings(max_examples=300, deadline=None)
@given(unets())
def test_derived_domain_is_what_the_plain_rules_accept(case):
    network, _ = case
    found = axis_domain(network, 0)  # also checks itself up to the last threshold and a period
    last = max([c.first for c in found.classes] + list(found.points) + [0]) + 4 * found.period
    assert [n for n in range(1, last + 1) if accepts(found, n)] == [n for n in range(1, last + 1)
                                                                    if runs(network, 0, n)]


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(unets())
def test_derived_domain_is_where_pytorch_runs(torch, case):
    network, calls = case
    found = axis_domain(network, 0)
    last = min(96, max([c.first for c in found.classes] + list(found.points) + [0]) + 2 * found.period)
    assert [n for n in range(1, last + 1) if accepts(found, n)] == [n for n in range(1, last + 1)
                                                                    if _torch_runs(torch, calls, n)]


# --- trace and fix -------------------------------------------------------------------------------

UNET = """
name = "two-level U-Net"
ndim = 2
[[layers]]
name = "enc1"
kernel_size = 3
padding = 1
[[layers]]
name = "pool1"
op = "max_pool"
kernel_size = 2
[[layers]]
name = "mid"
kernel_size = 3
padding = 1
[[layers]]
name = "up1"
op = "conv_transpose"
kernel_size = 2
stride = 2
[[layers]]
name = "cat1"
op = "concat"
inputs = ["enc1", "up1"]
"""


def test_trace_names_the_first_merge_that_fails_with_both_paths():
    result = trace(parse_network(UNET), (9, 8))
    assert result.failure.node == "cat1" and result.failure.axis == 0 and result.failure.sizes == (9, 8)
    assert result.failure.paths == (("enc1",), ("enc1", "pool1", "mid", "up1"))
    assert [row.output_size for row in result.rows] == [(9, 8), (4, 4), (4, 4), (8, 8)]
    flags = result.rows[-1].flags
    assert flags.arriving == ([8, 9], [8, 9]) and not flags.uneven  # a k2 s2 pool sends 8 and 9 alike to 4


def test_fix_finds_the_nearest_sizes_and_the_output_padding_that_makes_this_one_run(torch):
    found = fix(parse_network(UNET), (9, 8))
    axis = found.axes[0]
    assert (axis.below, axis.above, axis.pad, axis.crop) == (8, 10, (0, 1), (0, 1)) and found.axes[1].runs
    (change,) = found.changes
    assert change.node == "up1" and change.output_padding == (1, 0) and found.runs
    # the printed layer, with the fixed output_padding, restores 9×8 in PyTorch
    layer = eval(change.pytorch.replace("in_ch, out_ch", "1, 1"), {"nn": torch.nn})
    assert tuple(layer(torch.zeros(1, 1, 4, 4)).shape[2:]) == (9, 8)


@st.composite
def generators(draw):
    """A 1-D chain of transposed layers (some with a conv between), and a target size that another choice
    of output_paddings gives - or any size, reachable or not."""
    layers, ops = [], []
    for level in range(draw(st.integers(1, 4))):
        k, s, d = draw(st.integers(1, 5)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
        p = draw(st.integers(0, (d * (k - 1)) // 2))
        op, other = draw(st.integers(0, max(s, d) - 1)), draw(st.integers(0, s - 1))
        layers.append({"name": f"up{level}", "op": "conv_transpose", "kernel_size": k, "stride": s, "padding": p,
                       "output_padding": op, "dilation": d})
        ops.append((k, s, p, other, d))
        if draw(st.booleans()):
            layers.append({"name": f"conv{level}", "kernel_size": 3, "padding": 1})
    return layers, ops, draw(st.integers(1, 6)), draw(st.one_of(st.none(), st.integers(1, 200)))


def _chain_output(n: int, ops) -> int | None:
    """The chain's length with these (k, s, p, op, d), by PyTorch's size formula per layer (convs keep it)."""
    for k, s, p, op, d in ops:
        n = (n - 1) * s - 2 * p + d * (k - 1) + op + 1
        if n < 1:
            return None
    return n


@settings(max_examples=300, deadline=None)
@given(generators())
def test_fix_reaches_a_target_output_exactly_when_some_output_padding_does(case):
    layers, ops, n, wanted = case
    network = parse_network(json.dumps({"ndim": 1, "layers": layers}), "gen", "json")
    target = _chain_output(n, ops) if wanted is None else wanted
    if target is None:
        return
    found = fix(network, (n,), target=(target,))
    # brute force: each layer keeps its output_padding or takes one PyTorch's forward allows (0..s-1)
    from itertools import product

    tconvs = [x for x in layers if x.get("op") == "conv_transpose"]
    reachable = any(_chain_output(n, [(k, s, p, v, d) for (k, s, p, _, d), v in zip(ops, values)]) == target
                    for values in product(*({layer["output_padding"], *range(s)}
                                            for (_, s, _, _, _), layer in zip(ops, tconvs))))
    assert found.reached == reachable
    if found.reached:
        changed = {c.node: c.output_padding[0] for c in found.changes}
        final = [(k, s, p, changed.get(f"up{level}", layer["output_padding"]), d)
                 for level, ((k, s, p, _, d), layer) in enumerate(zip(ops, tconvs))]
        assert _chain_output(n, final) == target


def test_fix_out_of_reach_says_the_nearest_output_and_exits_1():
    spec = str(EXAMPLES / "networks" / "dcgan_short.toml")
    result = run("net", spec, "--in", "1,1", "--fix", "--out", "65")
    assert result.exit_code == 1 and "65×65 is out of reach; the nearest output, 64×64" in result.output
    data = json.loads(run("net", spec, "--in", "1,1", "--fix", "--out", "65", "--json").stdout)
    assert data["reached"] is False and data["output_size"] == [64, 64]
    assert run("net", spec, "--in", "1,1", "--fix", "--out", "64").exit_code == 0


def test_fix_makes_the_one_pixel_short_generator_give_64_in_pytorch(torch):
    """The DCGAN whose last layer forgot output_padding: the change tconvcalc names, made to the real module,
    gives PyTorch's output 64×64."""
    model_path = EXAMPLES / "networks" / "dcgan.py"
    found = fix(load(f"{model_path}:DCGANShortGenerator"), (1, 1), target=(64, 64))
    assert found.reached and [c.node for c in found.changes] == ["up4"]
    import importlib.util

    spec = importlib.util.spec_from_file_location("dcgan_example", model_path)
    code = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(code)
    model = code.DCGANShortGenerator().eval()
    assert tuple(model(torch.zeros(1, 8, 1, 1)).shape[2:]) == (63, 63)
    for change in found.changes:
        getattr(model, change.node).output_padding = change.output_padding
    assert tuple(model(torch.zeros(1, 8, 1, 1)).shape[2:]) == (64, 64)


# --- the spec's errors -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, words", [
    ("ndim = 2\n[[layers]]\nkernel_size = 3\nstrid = 2\n", "unknown field(s) strid"),
    ("ndim = 2\n[[layers]]\nop = \"warp\"\n", "op 'warp' is unknown"),
    ("ndim = 2\n[[layers]]\nname = \"a\"\nkernel_size = 3\ninputs = [\"b\"]\n", "which is no layer"),
    ("ndim = 2\n[[layers]]\nname = \"a\"\nkernel_size = 3\ninputs = [\"a\"]\n", "a cycle"),
    ("ndim = 2\n[[layers]]\nname = \"a\"\nop = \"concat\"\n", "a merge reads two or more"),
    ("ndim = 4\n[[layers]]\nkernel_size = 3\n", "1 to 3"),
    ("[[layers]]\nkernel_size = 3\n", "neither 'ndim' nor 'input'"),
    ("ndim = 1\n[[layers]]\nop = \"conv_transpose\"\nkernel_size = 3\nstride = 2\noutput_padding = 2\n",
     "not below max(stride, dilation)"),
    ("ndim = 1\n[[layers]]\nop = \"max_pool\"\nkernel_size = 2\npadding = 2\n", "more than half"),
    ("ndim = 1\nlayers = 3\n", "non-empty list"),
])
def test_spec_errors_name_the_layer_and_the_rule(text, words):
    with pytest.raises(ParameterError) as error:
        parse_network(text, "net.toml")
    assert words in str(error.value) and "\n" not in str(error.value) and str(error.value).startswith("net.toml")


# --- the command ----------------------------------------------------------------------------------

def test_net_command_traces_and_exits_1_where_the_network_stops(tmp_path):
    spec = tmp_path / "unet.toml"
    spec.write_text(UNET)
    fine = run_json("net", spec, "--in", "8,8")
    assert fine["runs"] and fine["output_size"] == [8, 8]
    stops = run("net", spec, "--in", "9,8")
    assert stops.exit_code == 1 and "cat1 (concat) stops on axis 0" in stops.stdout
    domain = run_json("net", spec, "--domain", "--upto", "20")
    assert [axis["classes"] for axis in domain["axes"]] == [[[2, 0, 2]]] * 2
    assert domain["axes"][0]["accepted"] == list(range(2, 21, 2))
    fixed = run_json("net", spec, "--in", "9,8", "--fix")
    assert fixed["runs"] and fixed["changes"][0]["node"] == "up1"


@pytest.mark.parametrize("args, words", [
    (["net", "missing.toml", "--in", "8"], "cannot read"),
    (["net", "{spec}", "--in", "8", "--kwargs", "{"], "not JSON"),
    (["net", "{spec}", "--upto", "9"], "add --domain"),
    (["net", "{spec}", "--domain", "--fix"], "ask for one"),
    (["net", "{spec}", "--in", "8,8,8"], "axes"),
    (["net", "model.bin"], "not a model tconvcalc reads"),
])
def test_net_command_bad_input_is_one_line(tmp_path, args, words):
    spec = tmp_path / "unet.toml"
    spec.write_text(UNET)
    assert words in run_error(*(a.replace("{spec}", str(spec)) for a in args))


def test_the_mirror_example_spec_is_a_network_too():
    network = load(EXAMPLES / "unet_encoder.toml")
    assert trace(network, (161, 97)).output_size == (20, 12)


@pytest.mark.parametrize("columns", [60, 200])
def test_trace_notes_fit_the_terminal_inline_or_as_numbered_lines(columns):
    """Every transposed layer's note is printed whole: in the table when it fits, else under it."""
    model = str(EXAMPLES / "networks" / "dcgan_short.toml")
    noted = {row.name: _notes(row.flags) for row in trace(load(model), (1, 1)).rows if _notes(row.flags)}
    assert len(noted) == 4
    output = CliRunner().invoke(cli, ["net", model, "--in", "1,1"], env={"COLUMNS": str(columns)}).stdout
    assert max(map(len, output.splitlines())) <= columns
    for number, (name, note) in enumerate(noted.items(), 1):
        row = next(line for line in output.splitlines() if line.startswith(f" {name} "))
        if columns == 200:
            assert row.rstrip().endswith(note)
        else:
            words = " ".join(output.split())  # a long note wraps at the terminal's width
            assert row.rstrip().endswith(f"[{number}]") and f"[{number}] {name}: {note}" in words


@pytest.mark.parametrize("columns", [200, 60])
def test_a_long_trace_shows_its_ends_and_flagged_rows_and_counts_the_rest(tmp_path, columns):
    """100 layers, every other one flagged: the first and last 20 rows, 20 flagged ones between, '… N more' rows
    that add up to the line under the table, and (narrow) a numbered note for each flagged row shown only."""
    pairs = "".join(f'[[layers]]\nname = "up{n}"\nop = "conv_transpose"\nkernel_size = 3\nstride = 2\npadding = 1\n'
                    f'output_padding = 1\n[[layers]]\nname = "down{n}"\nkernel_size = 2\nstride = 2\n'
                    for n in range(50))
    spec = tmp_path / "long.toml"
    spec.write_text('name = "long"\nndim = 1\ninput = [8]\n' + pairs)
    layers = trace(load(spec), (8,)).rows
    flagged = [n for n, row in enumerate(layers) if _notes(row.flags)]
    assert len(layers) == 100 and len(flagged) == 50
    output = CliRunner().invoke(cli, ["net", str(spec)], env={"COLUMNS": str(columns)}).stdout
    names = [line.split()[0] for line in output.splitlines() if line.startswith((" up", " down"))]
    middle = [layers[n].name for n in flagged if 20 <= n < 80][:20]
    assert names == [row.name for row in layers[:20]] + middle + [row.name for row in layers[80:]]
    gaps = [int(line.split()[1]) for line in output.splitlines() if line.startswith(" … ")]
    assert sum(gaps) == 40 and "(40 of 100 layers not shown; --json lists every one)" in output
    footnotes = [line for line in output.splitlines() if line.startswith("[")]
    assert len(footnotes) == (0 if columns == 200 else len([n for n in flagged if layers[n].name in names]))
