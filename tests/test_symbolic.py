"""The symbolic engine: C against the paper and PyTorch, derivations against independent routes."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from functools import partial
from unittest import mock

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy.parsing.sympy_parser import implicit_multiplication, parse_expr, standard_transformations

import tconvcalc as tc
from tconvcalc import symbolic as sy
from tconvcalc.cli import symbolic as lean
from tconvcalc.model.arithmetic import MAX_ROWS, conv_input_range
from tconvcalc.model.structure import column_pairs
from tconvcalc.symbolic import derivations as dv
from tconvcalc.symbolic import phases as ph
from tconvcalc.model.spec import Axis, Layer, ParameterError

from helpers import run, run_error, run_json, run_ok
from strategies import conv_parameters, crop_layers


def w(*index):
    return sp.Symbol("w_{" + ",".join(map(str, index)) + "}")


def dense(op: sy.ConvOperator) -> np.ndarray:
    out = np.zeros(op.shape)
    for (r, c), value in op.entries().items():
        out[r, c] = float(value)
    return out


# --- the paper and the seed example -----------------------------------------------------


def test_conv_arithmetic_4x16_matrix_entry_for_entry():
    # Dumoulin & Visin, section 4.1: i = 4, k = 3, s = 1, p = 0, unrolled row-major.
    rows = [
        [w(0, 0), w(0, 1), w(0, 2), 0, w(1, 0), w(1, 1), w(1, 2), 0, w(2, 0), w(2, 1), w(2, 2), 0, 0, 0, 0, 0],
        [0, w(0, 0), w(0, 1), w(0, 2), 0, w(1, 0), w(1, 1), w(1, 2), 0, w(2, 0), w(2, 1), w(2, 2), 0, 0, 0, 0],
        [0, 0, 0, 0, w(0, 0), w(0, 1), w(0, 2), 0, w(1, 0), w(1, 1), w(1, 2), 0, w(2, 0), w(2, 1), w(2, 2), 0],
        [0, 0, 0, 0, 0, w(0, 0), w(0, 1), w(0, 2), 0, w(1, 0), w(1, 1), w(1, 2), 0, w(2, 0), w(2, 1), w(2, 2)],
    ]
    C = tc.symbolic.conv_matrix((4, 4), (3, 3))
    assert isinstance(C, sp.SparseMatrix)
    assert C == sp.Matrix(rows)
    assert sp.latex(C[0, 1]) == "w_{0,1}"


def test_seed_example_scatters_each_input_to_the_top_left_of_its_block():
    op = sy.conv_transpose_operator((2, 2), (2, 2), stride=(2, 2), kernel=[[1, 0], [0, 0]])
    y = sp.Matrix(op.apply_transpose([1, 2, 3, 4])).reshape(4, 4)
    assert y == sp.Matrix([[1, 0, 2, 0], [0, 0, 0, 0], [3, 0, 4, 0], [0, 0, 0, 0]])
    # The same through the matrix itself.
    assert op.transpose_matrix() * sp.Matrix([1, 2, 3, 4]) == y.reshape(16, 1)


# --- PyTorch as the oracle ----------------------------------------------------------------


def _conv(torch, ndim):
    return getattr(torch.nn.functional, f"conv{ndim}d")


def _conv_t(torch, ndim):
    return getattr(torch.nn.functional, f"conv_transpose{ndim}d")


@settings(max_examples=40)
@given(conv_parameters(), st.integers(0, 2**31 - 1))
def test_C_is_torch_conv_and_its_transpose_is_conv_transpose(torch, case, seed):
    ndim, (n, k, s, p, d), cin, cout, groups = case
    rng = np.random.default_rng(seed)
    weight = rng.integers(-3, 4, size=(cout, cin // groups, *k))
    op = sy.conv_operator(n, k, s, p, d, in_channels=cin, out_channels=cout, groups=groups, kernel=weight)
    C = dense(op)
    x = rng.integers(-3, 4, size=(1, cin, *n)).astype(float)
    expected = _conv(torch, ndim)(torch.tensor(x), torch.tensor(weight, dtype=torch.float64), stride=s, padding=p,
                           dilation=d, groups=groups).numpy()
    assert expected.shape[2:] == op.conv_output_shape
    np.testing.assert_array_equal(C @ x.ravel(), expected.ravel())
    # Cᵀ is conv_transpose with the output_padding that gives back n (PyTorch's own size rules).
    u = rng.integers(-3, 4, size=(1, cout, *expected.shape[2:])).astype(float)
    op_pad = tuple(a.b - a.e for a in op.axes)
    back = _conv_t(torch, ndim)(torch.tensor(u), torch.tensor(weight, dtype=torch.float64), stride=s, padding=p,
                         output_padding=op_pad, dilation=d, groups=groups).numpy()
    assert back.shape[2:] == tuple(n)
    np.testing.assert_array_equal(C.T @ u.ravel(), back.ravel())


@settings(max_examples=30)
@given(st.integers(1, 2), st.data())
def test_conv_transpose_matrix_equals_torch_conv_transpose(torch, ndim, data):
    params = []
    for _ in range(ndim):
        s = data.draw(st.integers(1, 3))
        d = data.draw(st.integers(1, 2))
        params.append((data.draw(st.integers(1, 4)), data.draw(st.integers(1, 3)), s,
                       data.draw(st.integers(0, 1)), data.draw(st.integers(0, max(s, d) - 1)), d))
    i, k, s, p, op_, d = (tuple(x[t] for x in params) for t in range(6))
    try:
        expected_size = tc.conv_transpose_output_size(i, k, s, p, op_, d)
    except ParameterError:
        return  # padding crops everything; the API refuses it like PyTorch does
    weight = data.draw(st.lists(st.integers(-3, 3), min_size=int(np.prod(k)), max_size=int(np.prod(k))))
    weight = np.array(weight).reshape(k)
    CT = sy.conv_transpose_matrix(i, k, s, p, op_, d, kernel=weight)
    x = np.arange(1, int(np.prod(i)) + 1, dtype=float)
    got = np.array(CT.tolist(), dtype=float) @ x
    expected = _conv_t(torch, ndim)(torch.tensor(x.reshape(1, 1, *i)),
                                    torch.tensor(weight[None, None], dtype=torch.float64),
                                    stride=s, padding=p, output_padding=op_, dilation=d).numpy()
    assert expected.shape[2:] == expected_size
    np.testing.assert_array_equal(got, expected.ravel())


def test_canonical_pairs_pad_each_end_like_torch_pad(torch):
    F = torch.nn.functional
    rng = np.random.default_rng(0)
    weight = rng.integers(-3, 4, size=3)
    op = sy.conv_operator(7, 3, 2, padding=((2, 1),), kernel=weight)
    x = rng.integers(-3, 4, size=7).astype(float)
    padded = F.pad(torch.tensor(x).reshape(1, 1, 7), (2, 1))
    expected = F.conv1d(padded, torch.tensor(weight, dtype=torch.float64).reshape(1, 1, 3), stride=2)
    np.testing.assert_array_equal(dense(op) @ x, expected.numpy().ravel())


def test_channels_put_channel_indices_on_the_symbols():
    op = sy.conv_operator(3, 2, in_channels=2, out_channels=2, groups=2)
    names = {str(v) for v in op.entries().values()}
    # Group 0 uses in-channel 0 only, group 1 in-channel 1 (index 0 within its group).
    assert names == {f"w_{{{co},0,{a}}}" for co in range(2) for a in range(2)}
    assert op.entry(0, 3) == 0  # out-channel 0 never reads in-channel 1


def test_entry_and_column_agree_with_the_full_matrix():
    op = sy.conv_transpose_operator((3, 2), (3, 2), (2, 1), (1, 0), (1, 0), (1, 2))
    C = op.matrix()
    assert all(op.entry(r, c) == C[r, c] for r in range(C.rows) for c in range(C.cols))
    for c in range(C.cols):
        assert dict(op.column(c)) == {r: C[r, c] for r in range(C.rows) if C[r, c] != 0}


# --- derivations against independent routes -------------------------------------------------


def _parse_typed(formula: str) -> sp.Expr:
    """reports' Unicode formula strings as SymPy, so they can be compared with the derivation."""
    text = formula.split("=", 1)[1].replace("−", "-").replace("·", "*").replace("⌊", "floor(").replace("⌋", ")")
    names = {n: s for n, s in (("i", dv.I), ("k", dv.K), ("s", dv.S), ("p", dv.P), ("op", dv.OP), ("d", dv.D))}
    transformations = standard_transformations + (implicit_multiplication,)
    return parse_expr(text, local_dict=names, transformations=transformations)


def test_the_shape_path_typed_formulas_match_the_derivations():
    from tconvcalc.reports.shape import CONV_FORMULA, SIZE_FORMULA

    derived, _ = sy.general_output_size()
    assert sp.expand(_parse_typed(SIZE_FORMULA) - derived) == 0
    conv = sy.general_conv_size().subs(dv.N, dv.I)
    typed = _parse_typed(CONV_FORMULA)
    assert sp.expand(typed - conv) == 0


@settings(max_examples=40)
@given(st.integers(1, 6), st.integers(1, 4), st.integers(1, 4), st.integers(0, 2), st.integers(1, 3), st.data())
def test_derived_output_size_is_torch_size(torch, i, k, s, p, d, data):
    F = torch.nn.functional
    op_ = data.draw(st.integers(0, max(s, d) - 1))
    try:
        layer = Layer.from_pytorch(i, k, s, p, op_, d)
    except ParameterError:
        return
    der = sy.derive_output_size(layer)
    assert der.proved
    x = torch.zeros(1, 1, i)
    out = F.conv_transpose1d(x, torch.zeros(1, 1, k), stride=s, padding=p, output_padding=op_, dilation=d)
    assert der.results["output_size"] == [out.shape[-1]]


@settings(max_examples=30)
@given(st.integers(1, 5), st.integers(1, 4), st.integers(1, 4), st.integers(0, 2), st.integers(1, 2))
def test_derived_ambiguity_set_is_what_torch_conv_maps_to_i(torch, i, k, s, p, d):
    F = torch.nn.functional
    try:
        layer = Layer.from_pytorch(i, k, s, p, 0, d)
    except ParameterError:
        return
    der = sy.derive_ambiguity(layer)
    assert der.proved
    expected = [n for n in range(1, 40) if n + 2 * p >= d * (k - 1) + 1
                and F.conv1d(torch.zeros(1, 1, n), torch.zeros(1, 1, k), stride=s, padding=p,
                             dilation=d).shape[-1] == i]
    assert der.results["conv_sizes"] == [[expected[0], expected[-1]]] and len(expected) == s
    assert der.results["op_range"] == ["0", "s - 1"]


@pytest.mark.slow
@settings(max_examples=40)
@given(crop_layers(max_ndim=2, i=(1, 4), k=(1, 4), s=(1, 4), d=(1, 4), margin=2))
def test_equivalence_phases_and_closed_form_are_proved_for_any_crop(layer):
    with mock.patch.object(dv, "CLOSED_FORM_TERMS", 10**6):  # every output, however long it takes
        closed = sy.closed_form_for(layer)[1]
    for der in (sy.derive_equivalence(layer), sy.derive_phases(layer), closed):
        assert der.proofs and der.proved, der
    assert "first and last" not in der.proofs[-1].statement  # small layers are proved at every output


@settings(max_examples=200, deadline=None)
@given(crop_layers(max_ndim=1, i=(1, 5), k=(1, 6), s=(1, 7), d=(1, 5), margin=3))
def test_phases_solved_arithmetically_are_the_phases_found_by_listing(layer):
    axis = layer.axes[0]
    # the slow way: every output's residue, every tap's residue, sorted by residue
    residues = sorted({(j + axis.b) % axis.s for j in range(axis.o)})
    listed = [(r, tuple(a for a in range(axis.k) if a * axis.d % axis.s == r)) for r in residues]
    assert [(p.residue, p.taps) for p in axis.phases] == listed
    for p in axis.phases:
        assert p.offsets == tuple((a * axis.d - p.residue) // axis.s for a in p.taps)
        assert p.count == len(range(p.first, axis.o, axis.s)) and (p.first + axis.b) % axis.s == p.residue
        assert axis.tap_count(p.residue) == len(p.taps)
    # Both second routes read, output by output, exactly the operator's column of C, and count it in O(1).
    for j in range(axis.o):
        column = sorted((a, n) for n, a in column_pairs(axis, j))
        assert sorted(ph.output_terms(axis, j)) == column == sorted(dv._zero_insertion_terms(axis, j))
        assert ph.output_count(axis, j) == len(column) and dv._window_steps(axis, j) >= len(column)


def test_a_wrong_route_is_not_proved():
    x0, x1 = sp.symbols("x0 x1")
    proof = sy.prove_equal("deliberately wrong", [x0 + x1], [x0 + 2 * x1])
    assert not proof.holds and "x1" in proof.counterexample


def _shift_zero_insertion_pads(monkeypatch, before: int, after: int) -> None:
    """Break the model: the zero-insertion route pads ``before``/``after`` more (an off-by-one when ±1)."""
    real = Axis.zero_insertion_pads.fget
    monkeypatch.setattr(Axis, "zero_insertion_pads",
                        property(lambda axis: (real(axis)[0] + before, real(axis)[1] + after)))


def _general(der: sy.Derivation) -> dict[str, sy.Proof]:
    """The proofs stated for all sizes, by what they are about."""
    return {("sizes" if p.statement.startswith("o' ") else "index maps"): p for p in der.proofs
            if "for all" in p.statement}


EQUIVALENCE_CASES = {"1-D": ("--in 2 --k 3 --s 2 --ndim 1", Layer.from_pytorch(2, 3, 2)),
                     "2-D 1024": ("--in 1024,1024 --k 3,3 --s 2,2 --p 1,1 --op 1,1",
                                  Layer.from_pytorch((1024, 1024), 3, 2, 1, 1)),
                     "3-D dilated": ("--in 3,4,5 --k 3,2,3 --s 2,3,1 --d 2,1,3",
                                     Layer.from_pytorch((3, 4, 5), (3, 2, 3), (2, 3, 1), 0, 0, (2, 1, 3)))}


@pytest.mark.parametrize("case", list(EQUIVALENCE_CASES))
def test_the_equivalence_is_proved_in_general_and_checked_on_the_layer(case):
    der = sy.derive_equivalence(EQUIVALENCE_CASES[case][1])
    general = _general(der)
    assert set(general) == {"sizes", "index maps"} and all(p.holds and p.checked for p in general.values())
    assert der.proved and der.proofs[-1].statement.startswith("Cᵀx equals the zero-inserted")


@pytest.mark.parametrize("before, after, broken", [(1, 0, "index maps"), (-1, 0, "index maps"),
                                                   (0, 1, "sizes"), (0, -1, "sizes")])
@pytest.mark.parametrize("case", list(EQUIVALENCE_CASES))
def test_an_off_by_one_in_the_zero_insertion_pads_fails_the_proof_at_any_size(monkeypatch, case, before, after,
                                                                             broken):
    args, layer = EQUIVALENCE_CASES[case]
    _shift_zero_insertion_pads(monkeypatch, before, after)
    der = sy.derive_equivalence(layer)
    general = _general(der)
    assert not der.proved and not general[broken].holds
    # one more zero before moves every read one position earlier; each pad adds one output
    assert general[broken].counterexample.endswith(f"= {-before}" if broken == "index maps" else f"= {before + after}")
    # the command says so: the sentence, and exit status 1 (derive and latex alike)
    result = run("derive", "equivalence", *args.split())
    assert result.exit_code == 1 and "NOT proved" in result.stdout
    assert run("latex", *args.split(), "--what", "equivalence").exit_code == 1
    assert run("derive", "equivalence", *args.split(), "--json").exit_code == 1


def test_a_wrong_index_rule_fails_the_general_proofs(monkeypatch):
    layer = Layer.from_pytorch((1024, 1024), 3, 2, 1, 1)
    real_rule = dv.scatter_index
    # C's index rule as the proofs state it, off by one (C itself is untouched)
    monkeypatch.setattr(dv, "scatter_index", lambda axis, n, a: real_rule(axis, n, a) + 1)
    for der in (sy.derive_equivalence(layer), sy.derive_phases(layer)):
        assert not der.proved and any(not p.holds for p in der.proofs if "for all" in p.statement)


@pytest.mark.slow
@pytest.mark.parametrize("args", [["latex", "--in", "2", "--k", "3", "--s", "2"],
                                  ["derive", "size", "--in", "2", "--k", "3", "--s", "2"],
                                  ["derive", "relationships"]])
def test_symbolic_commands_skip_the_sympy_modules_they_only_ask_about(args):
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "tconvcalc", *args], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert "sympy" in imported and not imported & set(lean._ASKED_ONLY)


@pytest.mark.slow
def test_a_stand_in_gives_way_to_the_real_module_when_asked_for_more():
    code = ("import sys, sympy\n"
            "from tconvcalc.cli.symbolic import lean_sympy\n"
            "with lean_sympy():\n"
            "    from sympy.physics.units import meter\n"  # not a name the stand-in has
            "    print(sympy.pretty(2 * meter), hasattr(sys.modules['sympy.physics.units'], 'kilogram'))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.split() == ["2⋅meter", "True"], done.stderr[-2000:]


def test_the_stand_ins_are_removed_afterwards_and_a_real_module_is_left_alone():
    before = {name: sys.modules.get(name) for name in lean._ASKED_ONLY}
    with lean.lean_sympy():
        during = {name: sys.modules.get(name) for name in lean._ASKED_ONLY}
        assert all(during[name] is before[name] or not isinstance(sp.Integer(2), vars(during[name])[cls])
                   for name, classes in lean._ASKED_ONLY.items() for cls in classes)
    assert {name: sys.modules.get(name) for name in lean._ASKED_ONLY} == before
    import sympy.physics.units as units  # the real one, imported as anyone would

    with lean.lean_sympy():
        assert sys.modules["sympy.physics.units"] is units
    assert sys.modules["sympy.physics.units"] is units


def test_closed_form_evaluates_to_the_seed_scatter():
    layer = Layer.from_pytorch(2, 2, 2)
    expanded, _ = sy.closed_form_for(layer, symbol="w")
    # y_j = w_{j mod 2} x_{j div 2}: each input lands on its own block, no overlap.
    assert expanded == [w(0) * sp.Symbol("x_{0}"), w(1) * sp.Symbol("x_{0}"),
                        w(0) * sp.Symbol("x_{1}"), w(1) * sp.Symbol("x_{1}")]


def test_phase_tap_counts_agree_with_the_shape_path():
    layer = Layer.from_pytorch(5, 3, 2, 1, 1)
    der = sy.derive_phases(layer)
    counts = {p["phase"]: p["tap_count"] for p in der.results["phases"]}
    axis = layer.axes[0]
    assert tuple(counts[r] for r in range(axis.s)) == axis.phase_tap_counts()  # both by r = (j + b) mod s
    assert der.results["uniform_overlap"] is False


def test_equivalent_convolution_parameters_run_in_torch(torch):
    F = torch.nn.functional
    layer = Layer.from_pytorch((3, 4), (3, 2), (2, 3), (1, 0), (1, 2), (1, 1))
    eq = sy.derive_equivalence(layer).results["equivalent"]
    x = torch.arange(12, dtype=torch.float64).reshape(1, 1, 3, 4)
    weight = torch.arange(1, 7, dtype=torch.float64).reshape(1, 1, 3, 2)
    expected = F.conv_transpose2d(x, weight, stride=(2, 3), padding=(1, 0), output_padding=(1, 2))
    stretched = torch.zeros(1, 1, *(e["stretched_size"] for e in eq), dtype=torch.float64)
    stretched[..., ::2, ::3] = x
    pads = []
    for e in reversed(eq):
        pads += [e["pad_before"], e["pad_after"]]
    got = F.conv2d(F.pad(stretched, pads), torch.flip(weight, (2, 3)))
    assert torch.equal(got, expected)


def test_relationships_1_to_14_are_all_proved_with_the_papers_forms():
    i, k, s, p = sp.symbols("i k s p", integer=True, positive=True)
    rels = {r.number: r for r in sy.derive_relationships()}
    assert sorted(rels) == list(range(1, 15))
    assert all(r.proof.holds for r in rels.values())
    # Spot-check against the paper's statements (relationships 1, 4 and 6).
    assert str(rels[1].derived) == str(sp.Symbol("i", integer=True, positive=True)
                                       - sp.Symbol("k", integer=True, positive=True) + 1)
    assert sp.srepr(rels[4].paper) == sp.srepr(rels[4].derived)
    assert rels[6].derived.has(sp.floor)


# --- bad input and scale -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["\\input", "w}", "w_{0}", "x^2", "", "a b", "verylongname"])
def test_symbol_names_that_could_break_latex_are_rejected(name):
    with pytest.raises(ParameterError, match="plain letters"):
        sy.conv_operator(4, 3, symbol=name)


def test_a_matrix_too_large_for_sympy_is_refused_with_the_alternatives():
    op = sy.conv_operator((512, 512), (3, 3))
    with pytest.raises(ParameterError, match="elided.*numeric"):
        op.matrix()
    # Single entries stay cheap at that size.
    assert op.entry(0, 0) == w(0, 0)


def test_kernel_of_the_wrong_shape_is_one_sentence():
    with pytest.raises(ParameterError, match="shape"):
        sy.conv_operator(4, 3, kernel=[1, 2])


def test_repr_and_repr_latex():
    op = sy.conv_operator(4, 3)
    assert "C 2×4" in repr(op)
    assert op._repr_latex_().startswith("$$C = \\begin{bmatrix}")
    der = sy.derive_output_size(Layer.from_pytorch(2, 3, 2))
    assert "proved" in repr(der) and "$$" in der._repr_latex_()


# --- any legal size answers at once, or refuses in one sentence ---------------------------------

S12, K6, BIG = 10**12, 10**6, 2**64
# name: (the command line's layer, the same layer from the model)
HUGE = {
    "stride 10**12": ("--in 2 --k 3 --s 1000000000000 --ndim 1", Layer.from_pytorch(2, 3, S12)),
    "stride 10**12 cropped to 5": ("--in 2 --k 3 --s 1000000000000 --p 499999999999 --ndim 1",
                                   Layer.from_pytorch(2, 3, S12, S12 // 2 - 1)),
    "stride 10**12, op 10**12 - 1": ("--in 2 --k 3 --s 1000000000000 --p 500000000000 --op 999999999999 --ndim 1",
                                     Layer.from_pytorch(2, 3, S12, S12 // 2, S12 - 1)),
    "input 10**5": ("--in 100000 --k 3 --s 2 --ndim 1", Layer.from_pytorch(100000, 3, 2)),
    "kernel 10**6 dilated 10**6": ("--in 2 --k 1000000 --d 1000000 --ndim 1", Layer.from_pytorch(2, K6, 1, 0, 0, K6)),
    "kernel 10**6": ("--in 1 --k 1000000 --ndim 1", Layer.from_pytorch(1, K6)),
    "kernel 10**6, stride 2": ("--in 3 --k 1000000 --s 2 --ndim 1", Layer.from_pytorch(3, K6, 2)),
    "input 2**64 cropped to 7": (f"--in {BIG} --k 3 --s 2 --p {BIG - 3} --ndim 1",
                                 Layer.from_pytorch(BIG, 3, 2, BIG - 3)),
    "3-D input 2**64": (f"--in {BIG} --k 3 --s 2 --ndim 3", Layer.from_pytorch(BIG, 3, 2, ndim=3)),
    "3-D everything huge": (f"--in {BIG} --k 1000000 --s 1000000000000 --d 1000000 --ndim 3",
                            Layer.from_pytorch(BIG, K6, S12, 0, 0, K6, ndim=3)),
    "3-D stride 10**12 cropped": ("--in 2 --k 3 --s 1000000000000 --p 499999999999 --ndim 3",
                                  Layer.from_pytorch(2, 3, S12, S12 // 2 - 1, ndim=3)),
    "2-D 150": ("--in 150 --k 3 --s 2 --ndim 2", Layer.from_pytorch(150, 3, 2, ndim=2)),
}


def _check_derivation(what: str, report: dict, layer: Layer) -> None:
    results = report["results"]
    if what == "size":
        assert results["output_size"] == list(layer.output_size)
    elif what == "equivalence":
        for row, axis in zip(results["equivalent"], layer.axes):
            assert (row["pad_before"], row["pad_after"]) == axis.zero_insertion_pads
            assert (row["stretched_size"], row["output_size"]) == (axis.stretched, axis.o)
    elif what == "ambiguity":
        for (first, last), axis in zip(results["conv_sizes"], layer.axes):
            sizes = conv_input_range(axis.i, axis.k, axis.s, axis.b, axis.d)  # the arithmetic's own route
            assert (first, last) == (sizes[0], sizes[-1])
    elif what == "phases":
        assert results["phase_count"] == [min(axis.s, axis.o) for axis in layer.axes]
        assert results["uniform_overlap"] == layer.uniform_overlap
        for n, axis in enumerate(layer.axes):
            rows = [row for row in results["phases"] if row["axis"] == n]
            assert len(rows) == min(results["phase_count"][n], MAX_ROWS)
            assert [row["phase"] for row in rows] == sorted(row["phase"] for row in rows)
            for row in rows:
                first = row["outputs"][0]
                assert (first + axis.b) % axis.s == row["phase"]
                assert row["tap_count"] == axis.tap_count(row["phase"])
                if row["tap_count"] <= MAX_ROWS:
                    assert len(row["taps"]) == row["tap_count"]
                assert all(a * axis.d % axis.s == row["phase"] for a in row["taps"] if a != "…")
    elif what == "formulas":
        shown = [out for out in results["outputs"]]
        assert 1 <= len(shown) <= 13 or any("not expanded" in step["text"] for step in report["steps"])


@pytest.mark.parametrize("what", ["size", "equivalence", "ambiguity", "phases", "formulas"])
@pytest.mark.parametrize("name", list(HUGE))
def test_every_derivation_answers_for_huge_layers(name, what):
    args, layer = HUGE[name]
    report = run_json("derive", what, *args.split())
    assert report["proved"] and all(proof["holds"] for proof in report["proofs"])
    _check_derivation(what, report, layer)
    for proof in report["proofs"]:  # a proof on a sample says so, and of how many
        if "first and last" in proof["statement"]:
            many = (f"of the {sum(axis.s for axis in layer.axes)} sizes" if what == "ambiguity"
                    else f"of its {math.prod(layer.output_size)} outputs")
            assert proof["checked"] <= MAX_ROWS * layer.ndim and many in proof["statement"]


def test_a_huge_stride_lists_its_first_and_last_phases_and_proves_a_sample():
    layer = Layer.from_pytorch(2, 3, S12)
    der = sy.derive_phases(layer)
    assert der.results["phase_count"] == [S12] and len(der.results["phases"]) == MAX_ROWS
    assert [p["phase"] for p in der.results["phases"]] == [*range(8), *range(S12 - 8, S12)]
    assert any(f"{S12 - MAX_ROWS} more phases" in step.text for step in der.steps)
    assert der.results["uniform_overlap"] is False  # k = 3 < s: one tap or none per phase
    assert der.proofs[-1].statement.startswith("Cᵀx equals the interleaved phase convolutions at the first and last 8")
    # Cropped to 5 outputs, the 5 phases those fall on are every phase listed, and the model's range is said.
    small = sy.derive_phases(Layer.from_pytorch(2, 3, S12, S12 // 2 - 1))
    assert small.results["phase_count"] == [5] and len(small.results["phases"]) == 5
    assert small.proofs[-1].checked == 5 and "for input 2" in small.proofs[-1].statement
    assert f"its {S12} phases get from 0 to 1 taps" in small.steps[-1].text


def test_a_phase_of_a_million_taps_is_listed_by_its_ends():
    der = sy.derive_phases(Layer.from_pytorch(3, K6, 2))
    assert [p["tap_count"] for p in der.results["phases"]] == [K6 // 2, K6 // 2]
    assert der.results["phases"][0]["taps"] == [*range(0, 16, 2), "…", *range(K6 - 16, K6, 2)]
    assert der.results["uniform_overlap"] is True and der.proved


def test_a_kernel_of_a_million_taps_shows_outputs_from_columns_without_evaluating_the_sum():
    layer = Layer.from_pytorch(2, K6, 1, 0, 0, K6)
    der = sy.derive_formulas(layer)
    assert any("not evaluated here" in step.text for step in der.steps) and not der.proofs
    assert str(der.steps[-1].expr) == f"Eq(y_{{{layer.output_size[0] - 1}}}, w_{{{K6 - 1}}}*x_{{1}})"
    with pytest.raises(ParameterError, match="closed form at 1 output"):
        sy.closed_form_for(layer, [0])
    with pytest.raises(ParameterError, match="pass fewer outputs"):
        sy.closed_form_for(Layer.from_pytorch(100000, 3, 2))


@pytest.mark.parametrize("args, expected", [
    (f"--in {BIG} --k 3", "non-zeros"),
    ("--in 100000 --k 3 --ndim 1", "non-zeros"),
    ("--in 4 --k 3 --channels 1000,1000 --ndim 1", "non-zeros"),
    ("--in 3 --k 1000000000000 --ndim 1 --p 999999999999", "non-zeros"),
    ("--in 2 --k 3 --s 1000000000000 --ndim 1", "shorter than the dilated kernel"),
])
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_matrix_listings_refuse_huge_operators_in_one_line(args, expected, fmt):
    assert expected in run_error("matrix", *args.split(), "--format", fmt)


@pytest.mark.parametrize("args, shape", [
    (f"--in {BIG} --k 3 --ndim 1", [BIG - 2, BIG]),
    (f"--in {BIG} --k 3 --s 1000000000000 --ndim 3", [((BIG - 3) // S12 + 1) ** 3, BIG ** 3]),
    ("--in 100000 --k 3 --ndim 1 --channels 2,4 --groups 2", [4 * 99998, 2 * 100000]),
])
@pytest.mark.parametrize("extra", [[], ["--transpose"], ["--markdown"]])
def test_matrix_of_any_size_is_shown_elided(args, shape, extra):
    fmt = ["--format", "markdown"] if extra == ["--markdown"] else ["--format", "latex", *extra]
    rows, cols = shape[::-1] if extra == ["--transpose"] else shape
    assert f"({rows} \\times {cols})" in run_ok("matrix", *args.split(), *fmt)


def test_the_operator_bounds_every_build_before_it_starts():
    huge = sy.conv_operator(BIG, 3)
    assert huge.entry(0, 0) == w(0) and huge.column_count(BIG // 2) == 3 and "nnz ≤" in repr(huge)
    assert huge.transpose_at(BIG - 1) == w(2) * sp.Symbol(f"x_{{{BIG - 3}}}")
    for build in (huge.matrix, huge.input_symbols, huge.output_symbols, lambda: huge.apply_transpose([])):
        with pytest.raises(ParameterError, match="non-zeros|quick"):
            build()
    with pytest.raises(ParameterError, match="outside"):
        huge.entry(BIG - 2, 0)
    with pytest.raises(ParameterError, match="outside"):
        huge.column(-1)
    # a kernel of a million taps at stride 1: a middle output sums a million terms, refused, not built;
    # the first output sums one
    wide = sy.operator_from_axes([Axis(K6, K6)])
    with pytest.raises(ParameterError, match="one column"):
        wide.transpose_at(K6)
    assert wide.transpose_at(0) == w(0) * sp.Symbol("x_{0}") and wide.column_count(K6 - 1) == K6
    assert wide.nnz_bound == K6 * K6  # bounded arithmetically (no million-step count)
    with pytest.raises(ParameterError, match="numeric kernel of 1000000 entries"):
        sy.conv_operator(K6, K6, kernel=np.ones(K6))
    with pytest.raises(ParameterError, match="cells"):
        sy.elide((BIG, BIG), huge.entry, full=True)


def test_a_few_non_zeros_of_a_huge_input_are_listed_without_walking_the_input():
    # 2**64 inputs, 7 outputs: C's triples come output by output (operator.column_pairs), not input by input.
    op = sy.operator_from_axes(Layer.from_pytorch(BIG, 3, 2, BIG - 3).axes)
    entries = op.entries()
    assert op.shape == (BIG, 7) and len(entries) == op.nnz_bound
    assert all(op.entry(r, c) == value for (r, c), value in entries.items())


def test_float_kernels_are_exact_and_quick():
    op = sy.conv_operator(4, 3, kernel=np.array([0.1, 0.5, 1 / 3]))
    assert list(op.kernel) == [sp.Rational(1, 10), sp.Rational(1, 2), sp.Rational(repr(1 / 3))]
    assert float(op.kernel[2]) == 1 / 3


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 24), st.integers(1, 5), st.integers(1, 4), st.integers(0, 2)),
                min_size=1, max_size=2), st.booleans())
def test_an_elided_matrix_shows_every_shown_row_s_non_zeros(axes, transpose):
    # oracle: C's non-zeros as the operator lists them (its triples), against the rows' bands solved per axis
    layer = Layer.from_pytorch(*zip(*[(i, k, s, min(p, (k - 1) // 2)) for i, k, s, p in axes]))
    op = sy.operator_from_axes(layer.axes)
    rows, cols = op.shape[::-1] if transpose else op.shape
    non_zeros: dict[int, set[int]] = {}
    for r, c in op.entries():
        non_zeros.setdefault(c if transpose else r, set()).add(r if transpose else c)
    picked = sy.matrix._band_shown(rows, cols, partial(op.row_band, transpose=transpose), sy.KEEP_ROWS + 1,
                                   sy.BAND_COLS)
    if picked is None:  # a row with more non-zeros than a page shows: the fixed corners instead
        assert max(map(len, non_zeros.values())) > sy.BAND_COLS
        return
    shown_rows, shown_cols = ([n for n in ids if n is not None] for ids in picked)
    assert shown_rows[0] == 0 and shown_rows[-1] == rows - 1 and len(shown_rows) <= sy.KEEP_ROWS + 1
    for r in shown_rows:
        assert non_zeros.get(r, set()) <= set(shown_cols)  # none hidden behind ⋯
    assert set(shown_cols) == set().union(*(non_zeros.get(r, set()) for r in shown_rows))  # no zero-only column
    assert len(shown_rows) == 2 or len(picked[1]) <= sy.BAND_COLS
    gaps = [n for n, index in enumerate(picked[1]) if index is None]
    assert all(b - a > 1 for a, b in zip(gaps, gaps[1:]))  # gaps never side by side


def test_element_formulas_follow_one_rule_in_latex_and_derive():
    layer = Layer.from_pytorch((2, 2), (3, 3), 1)  # 16 outputs
    der = sy.derive_formulas(layer)
    assert len(der.results["outputs"]) == 16 == len(sy.formula_outputs(16, 9))
    note = run_ok("latex", "--in", "2", "--k", "3", "--what", "formulas")
    expanded = lambda text: re.findall(r"^y_\{\d+,\d+\} &= ", text, re.M)  # noqa: E731
    assert len(expanded(note)) == 16 and "of 16 shown" not in note
    larger = run_ok("latex", "--in", "4", "--k", "3", "--what", "formulas")  # 36 outputs
    derived = run_json("derive", "formulas", "--in", "4", "--k", "3", "--json")
    shown = len(sy.formula_outputs(36, 9))
    assert f"({shown} of 36 shown)" in larger and len(derived["results"]["outputs"]) == shown < 36
    full = run_ok("latex", "--in", "4", "--k", "3", "--what", "formulas", "--full")
    assert "of 36 shown" not in full and len(expanded(full)) == 36 and len(expanded(larger)) == shown


@pytest.mark.slow
def test_terminal_art_is_sympys_own_without_loading_the_units_package():
    # A fresh interpreter: the stand-in for sympy.physics.units is used only while that package is not loaded.
    script = """
import sys
import sympy as sp
from tconvcalc.symbolic.proof import pretty
a, d, j, k, n, p, s = sp.symbols("a d j k n p s", integer=True)
w, x = sp.IndexedBase("w"), sp.IndexedBase("x")
exprs = [sp.Eq(sp.Symbol("y"), sp.Sum(w[a] * x[a * d + j * s - p], (a, 0, k - 1))),
         sp.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1, -sp.Rational(3, 4) * n / (s * k ** 2),
         sp.Mul(1, n, evaluate=False)]
ours = [pretty(e, 74) for e in exprs]
assert "sympy.physics.units" not in sys.modules
theirs = [sp.pretty(e, use_unicode=True, num_columns=74) for e in exprs]
assert "sympy.physics.units" in sys.modules
assert ours == theirs, (ours, theirs)
assert [pretty(e, 74) for e in exprs] == theirs  # with the real package loaded, SymPy's path unchanged
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
