"""derive gradient, check --gradient and the notes' gradient section, against PyTorch's autograd.

The oracle is torch.autograd on conv{1,2,3}d and conv_transpose{1,2,3}d in float64: the derived output_padding must
make PyTorch's own transposed convolution equal autograd's input gradient and restore n; the derived weight
gradient (the correlation route) must equal autograd's.  A broken index rule must make the general proofs fail.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings

import tconvcalc.symbolic.gradient as gr
from tconvcalc.notes.document import layer_document, standalone
from tconvcalc.numeric import gradient as ng
from tconvcalc.model.arithmetic import conv_layer, conv_of
from tconvcalc.symbolic.gradient import derive_gradient

from helpers import run, run_json, torch_oracle
from strategies import conv_parameters
from test_notes import compile_with


def _draws(layer, cin, cout, groups, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, cin, *layer.output_size))
    g = rng.standard_normal((2, cout, *layer.input_size))
    w = rng.standard_normal((cout, cin // groups, *layer.kernel_size))
    return x, g, w


@settings(max_examples=60, deadline=None)
@given(conv_parameters())
def test_the_derived_output_padding_makes_pytorchs_transposed_conv_the_autograd_input_gradient(params):
    torch = torch_oracle()
    ndim, (n, k, s, p, d), cin, cout, groups = params
    layer = conv_layer(n, k, s, p, d)
    ops = derive_gradient(layer, check=False).results["output_padding"]
    x, g, w = _draws(layer, cin, cout, groups)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    y = getattr(torch.nn.functional, f"conv{ndim}d")(xt, wt, None, s, p, d, groups)
    assert tuple(y.shape[2:]) == layer.input_size
    y.backward(torch.tensor(g))
    # PyTorch's own transposed convolution with the derived output_padding: autograd's gradient, of n samples
    tconv = getattr(torch.nn.functional, f"conv_transpose{ndim}d")(torch.tensor(g), torch.tensor(w), None, s, p,
                                                                   tuple(ops), groups, d)
    assert tuple(tconv.shape[2:]) == tuple(n)
    np.testing.assert_allclose(tconv.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-12)
    # and the derived weight gradient, the correlation of x with g dilated by s at stride d
    np.testing.assert_allclose(ng.weight_gradient(layer, x, g, groups), wt.grad.numpy(), rtol=1e-12, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(conv_parameters())
def test_the_converse_gradients_against_autograd(params):
    torch = torch_oracle()
    ndim, (n, k, s, p, d), cin, cout, groups = params
    layer = conv_layer(n, k, s, p, d)
    ops = tuple(c["output_padding"] for c in conv_of(layer))
    rng = np.random.default_rng(1)
    w = rng.standard_normal((cout, cin // groups, *layer.kernel_size))
    u = rng.standard_normal((2, cout, *layer.input_size))
    big_g = rng.standard_normal((2, cin, *layer.output_size))
    ut, wt = torch.tensor(u, requires_grad=True), torch.tensor(w, requires_grad=True)
    getattr(torch.nn.functional, f"conv_transpose{ndim}d")(ut, wt, None, s, p, ops, groups, d).backward(
        torch.tensor(big_g))
    unused_x, unused_g = np.zeros((2, cin, *layer.output_size)), np.zeros((2, cout, *layer.input_size))
    ours = ng.routes(layer, ops, unused_x, unused_g, w, u, big_g, groups)
    np.testing.assert_allclose(ours["transposed_input"], ut.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours["transposed_weight"], wt.grad.numpy(), rtol=1e-12, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(conv_parameters())
@example((1, [(1,), (1,), (2,), (1,), (1,)], 1, 1, 1))  # found by hypothesis: C has no non-zeros (only padding read)
def test_every_derivation_proves_and_checks_on_random_layers(params):
    _, (n, k, s, p, d), cin, cout, groups = params
    der = derive_gradient(conv_layer(n, k, s, p, d), (cin, cout), groups)
    assert der.proved and len(der.proofs) == 11
    assert der.results["weight_gradient_shape"] == [cout, cin // groups, *k]


@pytest.fixture
def fresh_general():
    gr._general.cache_clear()  # the general proofs are built once per process: rebuild them around a broken rule
    yield
    gr._general.cache_clear()


@pytest.mark.parametrize("broken", [lambda real: lambda axis, n, a: real(axis, n, a) + 1,
                                    lambda real: lambda axis, n, a: n * axis.s + a * axis.d + axis.b],
                         ids=["off by one", "crop added"])
def test_a_broken_index_rule_fails_the_proof_and_the_command(broken, monkeypatch, fresh_general):
    monkeypatch.setattr(gr, "scatter_index", broken(gr.scatter_index))
    der = derive_gradient(conv_layer(5, 3, 2))
    failed = [proof for proof in der.proofs if not proof.holds]
    assert not der.proved and {p.key for p in failed} >= {"proof.grad_dx", "proof.grad_converse"}
    result = run("derive", "gradient", "--in", 5, "--k", 3, "--s", 2)
    assert result.exit_code == 1 and "NOT proved" in result.stdout
    result = run("derive", "gradient", "--in", 5, "--k", 3, "--s", 2, "--json")
    assert result.exit_code == 1 and '"proved": false' in result.stdout
    assert run("latex", "--in", 2, "--k", 3, "--s", 2, "--what", "gradient").exit_code == 1


def test_json_has_the_keys_and_the_output_padding_of_arithmetic():
    from tconvcalc.model.arithmetic import conv_output_size, output_padding_for

    data = run_json("derive", "gradient", "--in", "7,8", "--k", 3, "--s", "2,3", "--p", 1, "--d", "1,2")
    assert data["proved"] is True and data["steps"] and data["proofs"]
    expected = output_padding_for((7, 8), conv_output_size((7, 8), 3, (2, 3), 1, (1, 2)), 3, (2, 3), 1, (1, 2))
    assert data["output_padding"] == list(expected)


@pytest.mark.parametrize("args, words", [
    (["--in", 2, "--k", 5], "shorter than the dilated kernel"),
    (["--in", 6, "--k", 3, "--channels", "4,6", "--groups", 4], "groups=4"),
    (["--in", 6, "--k", 3, "--p", -1], "padding"),
])
def test_bad_input_is_one_sentence_and_exit_2(args, words):
    result = run("derive", "gradient", *args)
    assert result.exit_code == 2 and result.stderr.startswith("Error: ") and words in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_latex_section_refuses_a_layer_that_is_no_convolutions_gradient():
    # d = 3 > s = 2 lets PyTorch take op = 2, which no convolution's size gives back
    result = run("latex", "--in", 3, "--k", 3, "--s", 2, "--d", 3, "--op", 2, "--what", "gradient", "--ndim", 1)
    assert result.exit_code == 2 and "output_padding < stride" in result.stderr


def test_check_gradient_compares_with_autograd_or_says_it_was_not_available():
    data = run_json("check", "--gradient", "--in", "6,5", "--k", 3, "--s", 2, "--d", "1,2", "--groups", 2,
                    "--channels", "4,2", "--trials", 1)
    assert data["passed"] and data["output_padding"] == [1, 0]
    references = {row["reference"] for row in data["rows"]}
    try:
        import torch  # noqa: F401
    except ImportError:
        assert references == {"triples"} and not data["autograd"]["available"]
        assert "not available" in data["autograd"]["reason"]
    else:
        assert references == {"triples", "autograd"} and data["autograd"]["available"]


def test_check_gradient_on_a_convolution_that_reads_only_padding():
    """n=1 padded by 1, k=1, s=2: both windows fall on padding, so C has no non-zeros and every gradient is 0."""
    data = run_json("check", "--gradient", "--in", 1, "--k", 1, "--s", 2, "--p", 1, "--trials", 1)
    assert data["passed"] and all(row["max_abs_error"] == 0 for row in data["rows"])


def test_check_gradient_refuses_what_it_cannot_take():
    result = run("check", "--gradient", "--in", 5, "--k", 3, "--op", 1)
    assert result.exit_code == 2 and "--op does not apply with --gradient" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("lang, engine", [("en", "pdflatex"), ("zh", "xelatex")])
def test_the_gradient_section_compiles(lang, engine, tmp_path):
    from tconvcalc.model.spec import Layer

    body = layer_document(Layer.from_pytorch((2, 3), 3, 2, 1, (1, 0)), ["gradient"], lang=lang, numbered=True)
    assert body.count("\\fbox{") == 3 and "eq:gradient-input" in body
    compile_with(engine, standalone(body, None, lang), tmp_path)
    markdown = layer_document(Layer.from_pytorch(2, 3, 2), ["gradient"], markdown=True, lang=lang)
    assert "$$" in markdown and "\\begin{align*}" not in markdown
