"""The LaTeX emitter and the symbolic commands: content, elision, escaping, real TeX engines."""

from __future__ import annotations

import json
import math
import shutil
import subprocess

import pytest
import sympy as sp

from tconvcalc.notes.document import standalone
from tconvcalc.notes.engines import tex_engine
from tconvcalc.notes.bodies import operator_latex
from tconvcalc import symbolic as sy
from tconvcalc.model.spec import Layer

from helpers import run, run_error as error, run_ok as ok


def compile_with(engine: str, document: str, folder) -> None:
    if shutil.which(engine) is None:
        pytest.skip(f"{engine} is not installed; these tests compile the LaTeX with a real engine")
    (folder / "doc.tex").write_text(document, encoding="utf-8")
    result = subprocess.run([engine, "-halt-on-error", "-interaction=nonstopmode", "doc.tex"], cwd=folder,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout[-3000:]
    assert (folder / "doc.pdf").stat().st_size > 1000


# --- content ---------------------------------------------------------------------------


def test_fragment_has_every_default_section_and_sympys_matrices():
    text = ok("latex", "--in", 2, "--k", 3, "--s", 2)
    assert "o = 5" in text  # the derived size for the default 2-D layer
    assert text.count("\\begin{bmatrix}") == 2  # C and Cᵀ
    assert "\\toprule" in text and "\\begin{tabular}" in text
    assert "\\sum" in text and "\\mid" in text  # the closed form with its divisibility bracket
    assert "\\begin{tikzpicture}" not in text and "\\documentclass" not in text
    assert "✓" not in text and "−" not in text  # Unicode never reaches LaTeX raw


def test_matrix_section_prints_what_sympy_prints():
    op = sy.conv_operator(4, 3)
    matrix, elided = op.elided()
    assert not elided
    # SymPy's own matrix printout, one row per line so TeX's line buffer never overflows
    assert operator_latex(op).replace("\n", "") == "C = " + sp.latex(op.matrix(), mat_str="bmatrix", mat_delim="")


def test_whole_matrices_print_a_line_per_row_and_refuse_past_the_cell_limit():
    text = ok("latex", "--in", 16, "--k", 3, "--full", "--what", "matrix")
    body = text.split("\\begin{bmatrix}")[1].split("\\end{bmatrix}")[0].strip().splitlines()
    rows, cols = sy.conv_operator((18, 18), 3).shape
    assert len(body) == rows and all(line.count("&") == cols - 1 for line in body)
    side = math.isqrt(sy.MAX_WHOLE_CELLS)  # a 1-D layer whose whole C is just past the limit
    message = error("matrix", "--in", side + 3, "--k", 3, "--ndim", 1, "--full", "--format", "latex")
    assert "cells" in message and str(sy.MAX_WHOLE_CELLS) in message


def test_what_picks_sections_and_figure_adds_tikz():
    text = ok("latex", "--in", 2, "--k", 3, "--s", 2, "--what", "size,table", "--figure")
    assert "bmatrix" not in text and "\\toprule" in text and "\\begin{tikzpicture}" in text


def test_large_operators_are_elided_with_shape_and_full_refuses_politely():
    text = ok("latex", "--in", 1000, "--k", 3, "--s", 2, "--ndim", 1, "--what", "matrix")
    for dots in ("\\cdots", "\\vdots", "\\ddots"):
        assert dots in text
    assert "$C$ is $1000 \\times 2001$" in text  # C is i × o, stated
    rows = [row for block in text.split("\\begin{bmatrix}")[1:]
            for row in block.split("\\end{bmatrix}")[0].split("\\\\")]
    assert len(rows) <= 2 * sy.MAX_ROWS and max(row.count("&") for row in rows) < sy.BAND_COLS  # never 2001 columns
    result = run("latex", "--in", 512, "--k", 3, "--s", 2, "--what", "matrix", "--full")
    assert result.exit_code == 2 and result.stderr.startswith("Error:") and "show it elided" in result.stderr


def test_markdown_uses_display_math_and_markdown_tables():
    text = ok("latex", "--in", 2, "--k", 3, "--s", 2, "--markdown", "--ndim", 1)
    assert "$$" in text and "\\[" not in text and "\\begin{tabular}" not in text
    assert "| $\\mathit{op}$ | $o$ |" in text and "\\begin{aligned}" in text  # pipe table, aligned derivation


def test_json_is_one_object(tmp_path):
    result = run("latex", "--in", 2, "--k", 3, "--s", 2, "--json")
    report = json.loads(result.stdout)
    assert report["command"] == "latex" and "\\begin{bmatrix}" in report["text"]


def test_output_file_is_written_only_on_success(tmp_path):
    target = tmp_path / "notes.tex"
    result = run("latex", "--in", 2, "--k", 3, "--s", 2, "--what", "size,bogus", "-o", target)
    assert result.exit_code == 2 and "section 'bogus' is unknown" in result.stderr and not target.exists()
    ok("latex", "--in", 2, "--k", 3, "--s", 2, "--standalone", "-o", target)
    assert target.read_text().startswith("\\documentclass")


def test_pdf_says_plainly_when_no_engine_is_installed(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    result = run("latex", "--in", 2, "--k", 3, "--pdf", "-o", tmp_path / "a.tex")
    # a missing program: its own status and the line that installs it
    assert result.exit_code == 3
    assert result.stderr.startswith("Error: a TeX engine (pdflatex or lualatex) is not installed, compiling")
    assert "apt-get install texlive-latex-base" in result.stderr
    assert not (tmp_path / "a.tex").exists()


@pytest.mark.slow
def test_titles_cannot_inject_tex(tmp_path):
    evil = "\\input{/etc/passwd} } \\end{document} $ & % # _ ^ ~"
    text = ok("latex", "--in", 2, "--k", 3, "--what", "size", "--standalone", "--title", evil)
    assert "\\input{" not in text and text.count("\\end{document}") == 1
    compile_with("pdflatex", text, tmp_path)


def test_symbol_names_reaching_latex_are_rejected():
    result = run("latex", "--in", 2, "--k", 3, "--symbol", "\\input")
    assert result.exit_code == 2 and result.stderr.startswith("Error:") and "Traceback" not in result.output


def test_figure_refuses_3d_in_one_sentence():
    result = run("latex", "--in", 2, "--k", 3, "--ndim", 3, "--what", "figure")
    assert result.exit_code == 2 and "3-D" in result.stderr


# --- matrix and derive commands --------------------------------------------------------------


def test_matrix_json_entries_are_the_sympy_matrix():
    report = json.loads(ok("matrix", "--in", "4,4", "--k", "3,3", "--json"))
    C = sy.conv_matrix((4, 4), (3, 3))
    assert report["shape"] == [4, 16] and report["nnz"] == 36
    assert {(r, c): v for r, c, v in report["entries"]} == {(r, c): str(C[r, c]) for r in range(4)
                                                            for c in range(16) if C[r, c] != 0}
    transposed = json.loads(ok("matrix", "--in", "4,4", "--k", "3,3", "--transpose", "--format", "json"))
    assert transposed["shape"] == [16, 4]
    assert {(c, r) for r, c, _ in transposed["entries"]} == {(r, c) for r, c, _ in report["entries"]}


def test_matrix_terminal_views():
    small = ok("matrix", "--in", "4,4", "--k", "3,3")
    assert "4×16" in small and "0,2" in small
    large = ok("matrix", "--in", "64,64", "--k", "3,3")
    assert "sparsity pattern" in large and "■" in large
    assert "\\begin{bmatrix}" in ok("matrix", "--in", 4, "--k", 3, "--format", "latex")
    assert ok("matrix", "--in", 4, "--k", 3, "--format", "markdown").startswith("$$")


@pytest.mark.parametrize("what", ["size", "equivalence", "ambiguity", "phases", "formulas"])
def test_derive_commands_prove_and_report(what):
    report = json.loads(ok("derive", what, "--in", 3, "--k", 3, "--s", 2, "--p", 1, "--op", 1, "--json"))
    assert report["proved"] and report["proofs"] and all(p["holds"] for p in report["proofs"])
    assert "proved" in ok("derive", what, "--in", 3, "--k", 3, "--s", 2)


def test_derive_relationships_lists_all_fourteen():
    report = json.loads(ok("derive", "relationships", "--json"))
    assert [r["number"] for r in report["relationships"]] == list(range(1, 15))
    assert all(r["holds"] for r in report["relationships"])
    assert "Relationship 13" in ok("derive", "relationships", "--latex")


def test_bad_sizes_end_in_one_error_line():
    result = run("derive", "size", "--in", 2, "--k", 3, "--op", 5)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "output_padding" in result.stderr


# --- real TeX engines --------------------------------------------------------------------------

SPREAD = [
    ("1d", ["--in", 3, "--k", 3, "--s", 2, "--p", 1, "--op", 1, "--ndim", 1, "--figure"]),
    ("2d", ["--in", 2, "--k", 3, "--s", 2, "--figure"]),
    ("2d-dilated", ["--in", "3,2", "--k", "2,3", "--s", "2,1", "--d", "1,2", "--figure"]),
    ("3d", ["--in", 2, "--k", 2, "--s", 2, "--ndim", 3]),
    ("large", ["--in", 64, "--k", 3, "--s", 2]),
]


@pytest.mark.slow
@pytest.mark.parametrize("name,args", SPREAD, ids=[n for n, _ in SPREAD])
def test_standalone_documents_compile_with_pdflatex(name, args, tmp_path):
    compile_with("pdflatex", ok("latex", *args, "--standalone", "--title", f"case {name}"), tmp_path)


@pytest.mark.slow
def test_lualatex_compiles_too(tmp_path):
    compile_with("lualatex", ok("latex", "--in", 2, "--k", 3, "--s", 2, "--figure", "--standalone"), tmp_path)


@pytest.mark.slow
def test_derivations_and_relationships_compile(tmp_path):
    parts = [ok("derive", w, "--in", 3, "--k", 3, "--s", 2, "--latex") for w in ("size", "ambiguity", "phases")]
    parts.append(ok("derive", "relationships", "--latex"))
    compile_with("pdflatex", standalone("\n".join(parts)), tmp_path)


@pytest.mark.slow
def test_pdf_option_writes_both_files(tmp_path):
    if tex_engine() is None:
        pytest.skip("no TeX engine installed for --pdf")
    ok("latex", "--in", 2, "--k", 3, "--s", 2, "--pdf", "-o", tmp_path / "notes.tex")
    assert (tmp_path / "notes.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "notes.tex").exists()


@pytest.mark.slow
def test_a_whole_matrix_beyond_pdflatex_memory_compiles_with_lualatex(tmp_path, monkeypatch):
    if shutil.which("lualatex") is None:
        pytest.skip("lualatex is not installed; a whole 256×324 C needs its growing memory")
    args = ("latex", "--in", 16, "--k", 3, "--full", "--what", "matrix", "--pdf", "-o")
    ok(*args, tmp_path / "big.tex")  # pdflatex stops with "TeX capacity exceeded" on this one
    assert (tmp_path / "big.pdf").read_bytes().startswith(b"%PDF")
    which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name: None if name == "lualatex" else which(name))
    message = error(*args, tmp_path / "other.tex", status=3)
    assert "lualatex is not installed" in message and "texlive-luatex" in message
    assert not (tmp_path / "other.tex").exists()


def test_notebook_views_are_typeset():
    layer = Layer.from_pytorch(2, 3, 2)
    assert "\\begin{bmatrix}" in sy.operator_from_axes(layer.axes)._repr_latex_()
    assert sy.derive_phases(layer)._repr_latex_().count("$$") >= 2


# --- every section of any legal layer, at once ---------------------------------------------------

HUGE = {  # name: (the command line's layer, the model's output size as the document states it)
    "stride 10**12": ("--in 2 --k 3 --s 1000000000000 --ndim 1", "1000000000003"),
    "stride 10**12 cropped to 5": ("--in 2 --k 3 --s 1000000000000 --p 499999999999 --ndim 1", "5"),
    "input 10**5": ("--in 100000 --k 3 --s 2 --ndim 1", "200001"),
    "kernel 10**6 dilated 10**6": ("--in 2 --k 1000000 --d 1000000 --ndim 1", "999999000002"),
    "kernel 10**6": ("--in 1 --k 1000000 --ndim 1", "1000000"),
    "input 2**64 cropped to 7": (f"--in {2**64} --k 3 --s 2 --p {2**64 - 3} --ndim 1", "7"),
    "3-D everything huge": (f"--in {2**64} --k 1000000 --s 1000000000000 --d 1000000 --ndim 3",
                            str((2**64 - 1) * 10**12 + (10**6 - 1) * 10**6 + 1)),
    "2-D 150": ("--in 150 --k 3 --s 2", "301"),
}


@pytest.mark.parametrize("extra", [[], ["--markdown"], ["--standalone"]], ids=["latex", "markdown", "standalone"])
@pytest.mark.parametrize("what", ["size", "matrix", "formulas", "equivalence", "table", "figure"])
@pytest.mark.parametrize("name", list(HUGE))
def test_every_section_answers_for_huge_layers(name, what, extra):
    args, size = HUGE[name]
    result = run("latex", *args.split(), "--what", what, *extra)
    if what == "figure" and result.exit_code:  # refused past 40 cells along an axis, before a cell is listed
        assert error("latex", *args.split(), "--what", what, *extra).startswith("Error: the figure")
        return
    assert result.exit_code == 0, result.stderr
    assert f"o = {size}" in result.stdout
    assert "NOT proved" not in result.stdout
    if what in ("equivalence", "formulas"):
        # a proof on every output, on the first and last ones (and says so), or skipped with the reason
        assert "Proved by expanding" in result.stdout or "skipped" in result.stdout \
            or "not evaluated" in result.stdout
        assert "difference(s)" not in result.stdout  # counts and timings stay out of the document


def test_a_huge_stride_proves_its_equivalence_on_the_first_and_last_outputs():
    text = ok("latex", "--in", 2, "--k", 3, "--s", 10**12, "--ndim", 1, "--what", "equivalence")
    assert "at the first and last 8 of its 1000000000003 outputs, for input $2$" in text
    assert "difference(s)" not in text
    # --verbose adds the proof's count (both ends of a sample of 8 each) as a comment
    verbose = ok("latex", "--in", 2, "--k", 3, "--s", 10**12, "--ndim", 1, "--what", "equivalence", "--verbose")
    assert [line for line in verbose.splitlines() if "16 difference(s) expand to 0" in line][0].startswith("% ")


def test_a_million_tap_kernel_says_why_its_sums_are_not_evaluated():
    text = ok("latex", "--in", 2, "--k", 10**6, "--d", 10**6, "--ndim", 1, "--what", "formulas")
    assert "sums 1000000 terms at each output" in text and "read from $C$'s columns" in text
    assert "w_{999999} x_{1}" in text  # the last output, from C's column
