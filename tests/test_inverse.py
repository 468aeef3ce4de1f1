"""derive inverse and the notes' inverse section: Cᵀ versus C⁻¹ and C⁺.

The oracle is a dense C built here by brute force from the convolution's definition (window j reads padded
position j·s + a·d, the real input at j·s + a·d − p), never from the tool's operator: its CCᵀ decides
"diagonal" and "right inverse" (with positive integer weights nothing cancels, so the arithmetic is exact), and
NumPy's pinv on it gives the reconstruction errors the tool must report.
"""

from __future__ import annotations

import math
import re
from itertools import product
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tconvcalc.notes.document import layer_document, standalone
from tconvcalc.errors import ParameterError
from tconvcalc.model.arithmetic import conv_layer
from tconvcalc.symbolic import inverse as inv

from helpers import run, run_error, run_json, run_ok
from test_notes import compile_with, problems

ROOT = Path(__file__).resolve().parent.parent


def brute_matrix(n, k, s, p, d, kernel) -> np.ndarray:
    """C of the convolution of an input of shape ``n`` (per-axis tuples), PyTorch's symmetric padding, by its
    definition: output window j (row-major) times input position m (row-major)."""
    ndim = len(n)
    windows = [(n[t] + 2 * p[t] - d[t] * (k[t] - 1) - 1) // s[t] + 1 for t in range(ndim)]
    c = np.zeros((math.prod(windows), math.prod(n)), dtype=kernel.dtype)
    for row, j in enumerate(product(*map(range, windows))):
        for a in product(*map(range, k)):
            m = [j[t] * s[t] + a[t] * d[t] - p[t] for t in range(ndim)]
            if all(0 <= m[t] < n[t] for t in range(ndim)):
                c[row, np.ravel_multi_index(m, n)] = kernel[a]
    return c


def _flags(n, k, s, p, d):
    join = lambda v: ",".join(map(str, v))  # noqa: E731
    return ["--in", join(n), "--k", join(k), "--s", join(s), "--p", join(p), "--d", join(d), "--ndim", str(len(n))]


@st.composite
def conv_layers(draw, max_n=9):
    ndim = draw(st.integers(1, 2))
    axes = []
    for _ in range(ndim):
        k, s, d = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
        p = draw(st.integers(0, 2))
        n = draw(st.integers(max(1, d * (k - 1) + 1 - 2 * p), max_n + d * (k - 1)))
        axes.append((n, k, s, p, d))
    return tuple(map(tuple, zip(*axes)))


@settings(max_examples=80)
@given(conv_layers())
def test_diagonal_and_right_inverse_match_brute_force(params):
    n, k, s, p, d = params
    weights = np.arange(1, math.prod(k) + 1, dtype=np.int64).reshape(k)  # positive: no sum cancels
    c = brute_matrix(n, k, s, p, d, weights)
    gram = c @ c.T
    diagonal = not np.any(gram - np.diag(np.diag(gram)))
    right = bool(np.array_equal(gram, int((weights ** 2).sum()) * np.eye(len(gram), dtype=np.int64)))
    der = inv.derive_inverse(conv_layer(n, k, s, p, d))
    assert der.proved
    assert der.results["diagonal"] == diagonal
    assert der.results["right_inverse"] == right
    assert der.results["scaled_inverse"] == (right and c.shape[0] == c.shape[1])
    # the theorem: (k − 1)·gcd(s, d) < s on every axis makes CCᵀ diagonal, at any size and padding
    condition = all((kt - 1) * math.gcd(st_, dt) < st_ for kt, st_, dt in zip(k, s, d))
    if condition:
        assert diagonal
    if all(pt == 0 for pt in p):  # no padding: exactly when the condition holds or j + d/g does not exist
        windows = c.shape[0] if len(n) == 1 else None
        exact = all((kt - 1) * math.gcd(st_, dt) < st_ or (nt - dt * (kt - 1) - 1) // st_ + 1 <= dt // math.gcd(st_, dt)
                    for nt, kt, st_, dt in zip(n, k, s, d))
        assert exact == diagonal, windows
        assert right == diagonal  # every window is full
    if right:  # Cᵀ/‖w‖² is a right inverse for real-valued kernels too
        w = np.random.default_rng(1).standard_normal(k)
        real = brute_matrix(n, k, s, p, d, w)
        assert np.allclose(real @ real.T / (w ** 2).sum(), np.eye(real.shape[0]))


def test_the_suggested_condition_d_k_minus_1_below_s_is_not_the_exact_one():
    # k = 3, s = 3, d = 2: taps 0, 2, 4 and 3, 5, 7 interleave without meeting, though d(k − 1) = 4 ≥ s
    c = brute_matrix((12,), (3,), (3,), (0,), (2,), np.array([1, 2, 3]))
    gram = c @ c.T
    assert not np.any(gram - np.diag(np.diag(gram)))
    assert run_json("derive", "inverse", *_flags((12,), (3,), (3,), (0,), (2,)))["diagonal"] is True


@pytest.mark.parametrize("params", [((8,), (2,), (2,), (0,), (1,)), ((8,), (3,), (2,), (1,), (1,)),
                                    ((9,), (3,), (1,), (1,), (2,)), ((6,), (1,), (1,), (0,), (1,)),
                                    ((5, 6), (3, 2), (2, 2), (1, 0), (1, 1)), ((7, 4), (2, 2), (1, 2), (0, 0), (2, 1))])
def test_the_measured_numbers_are_numpys_pinv_on_a_brute_force_c(params):
    n, k, s, p, d = params
    report = run_json("derive", "inverse", *_flags(n, k, s, p, d))
    # the documented draw: seed, a kernel of unit norm, then u
    rng = np.random.default_rng(report["seed"])
    w = rng.standard_normal(k)
    w /= np.linalg.norm(w)
    c = brute_matrix(n, k, s, p, d, w)
    u = rng.standard_normal(c.shape[1])
    assert report["shape"] == list(c.shape)
    assert report["rank"] == np.linalg.matrix_rank(c)
    assert report["null_space"] == c.shape[1] - np.linalg.matrix_rank(c)
    expected = {"transpose": np.linalg.norm(c.T @ c @ u - u) / np.linalg.norm(u),
                "pseudoinverse": np.linalg.norm(np.linalg.pinv(c) @ c @ u - u) / np.linalg.norm(u)}
    for name, value in expected.items():
        assert report["reconstruction"][name] == pytest.approx(value, rel=1e-9, abs=1e-12), name
    if report["right_inverse"]:  # then C⁺ = Cᵀ/‖w‖² (here ‖w‖ = 1): the two errors are one
        assert report["reconstruction"]["transpose"] == pytest.approx(report["reconstruction"]["pseudoinverse"])


def test_the_json_names_what_the_issue_asks_for():
    report = run_json("derive", "inverse", "--in", 8, "--k", 2, "--s", 2, "--ndim", 1)
    assert {"proved", "diagonal", "right_inverse", "rank", "null_space", "reconstruction", "steps"} <= set(report)
    assert set(report["reconstruction"]) == {"transpose", "pseudoinverse"}
    assert {step["part"] for step in report["steps"]} == {"theorem", "layer", "measured"}


def test_a_broken_index_rule_fails_the_general_proofs(monkeypatch):
    real_rule = inv.scatter_index
    monkeypatch.setattr(inv, "scatter_index", lambda axis, n, a: real_rule(axis, n, a) + n)  # stride s + 1
    der = inv.derive_inverse(conv_layer((8,), (2,), (2,), (0,), (1,)))
    assert not der.proved and any(not p.holds for p in der.proofs if p.statement.startswith("for all"))
    result = run("derive", "inverse", "--in", 8, "--k", 2, "--s", 2, "--ndim", 1)
    assert result.exit_code == 1 and "NOT proved" in result.stdout


def test_the_terminal_says_which_part_is_proved_and_which_measured():
    text = run_ok("derive", "inverse", "--in", 8, "--k", 2, "--s", 2, "--ndim", 1)
    proved, layer, measured = (text.index(h) for h in ("PROVED for every size", "PROVED for this layer",
                                                       "MEASURED (numbers"))
    assert proved < layer < measured and "‖C⁺Cu − u‖/‖u‖" in text[measured:]
    assert "< 1e-12" in run_ok("derive", "inverse", "--in", 5, "--k", 1, "--s", 1, "--ndim", 1)  # C = w₀·I


def test_bad_input_is_one_sentence():
    message = run_error("derive", "inverse", "--in", 2000, "--k", 2, "--ndim", 1)
    assert "1999×2000" in message and "smaller input size" in message
    run_error("derive", "inverse", "--in", 8, "--k", 2, "--op", 1)  # output_padding is not the convolution's
    run_error("derive", "inverse", "--in", 2, "--k", 5, "--ndim", 1)  # the kernel is longer than the input
    run_error("derive", "inverse", "--in", 8, "--k", 2, "--lang", "zh")  # --lang shapes the notes only


def test_the_notes_section_needs_its_measured_derivation():
    with pytest.raises(ParameterError, match="inverse section"):
        layer_document(conv_layer((8,), (2,), (2,), (0,), (1,)), ["inverse"])


# --- the notes ------------------------------------------------------------------------------------------------

NOTES = ["--in", 4, "--k", 2, "--s", 2, "--ndim", 1, "--what", "size,inverse"]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("markdown", [False, True], ids=["latex", "markdown"])
def test_the_notes_keep_variables_in_math(lang, markdown):
    fmt = ["--markdown"] if markdown else []
    assert problems(run_ok("latex", *NOTES, "--lang", lang, *fmt)) == []
    assert problems(run_ok("derive", "inverse", "--in", 9, "--k", 3, "--s", 2, "--p", 1, "--ndim", 1,
                           "--latex" if not markdown else "--markdown", "--lang", lang)) == []


def test_the_latex_section_reads_the_layers_c_the_convolution_whose_transpose_it_is():
    # the transposed convolution of 4 with k = s = 2 is Cᵀ of the convolution of 8: C is 4×8
    text = run_ok("latex", *NOTES)
    assert r"$4 \times 8$ matrix of the direct convolution" in text and r"\fbox" in text
    assert run_ok("derive", "inverse", "--in", 8, "--k", 2, "--s", 2, "--ndim", 1, "--latex").count(r"\fbox{") == 1


@pytest.mark.slow
@pytest.mark.parametrize("lang, engine", [("en", "pdflatex"), ("zh", "xelatex")])
def test_the_inverse_notes_compile(lang, engine, tmp_path):
    parts = [run_ok("latex", *NOTES, "--lang", lang, "--numbered", "--label-prefix", "a:"),
             run_ok("derive", "inverse", "--in", "5,6", "--k", "3,2", "--s", "2,2", "--p", "1,0", "--latex",
                    "--lang", lang, "--numbered", "--label-prefix", "b:")]
    compile_with(engine, standalone("\n".join(parts), None, lang), tmp_path)
    aux = (tmp_path / "doc.aux").read_text()
    assert "\\newlabel{a:eq:right-inverse}" in aux and "\\newlabel{b:eq:right-inverse}" in aux


def test_the_documented_examples_are_far_from_a_rounding_boundary():
    """The docs print measured errors to 2 significant digits: each must sit well inside its rounding cell, so
    no CPU's last-digit rounding can change what is printed."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    text = "\n".join(page.read_text(encoding="utf-8") for page in pages)
    commands = re.findall(r"^\$ tconvcalc (derive inverse [^|\n]*)", text, re.M)
    assert commands
    values = [v for command in commands for v in run_json(*command.split())["reconstruction"].values()]
    for value in values:
        if value < 1e-12:
            assert value < 1e-14  # printed "< 1e-12", far below
            continue
        scaled = value / 10 ** (math.floor(math.log10(value)) - 1)  # two digits before the point
        assert abs(scaled - math.floor(scaled) - 0.5) > 1e-6, value
