"""Notes that read like the paper: math-mode prose, one align per derivation, relationship boxes,
captioned booktabs tables, proofs as sentences, numbered equations with stable labels, English and Chinese,
Markdown for Obsidian/Typora/Jupyter, and every variant compiled by a real engine."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tconvcalc.notes.document import standalone
from tconvcalc.notes.engines import TEX_INSTALL, ZH_INSTALL, pdf_engine, tex_engine
from tconvcalc.notes import text as nt
from tconvcalc.model.spec import Axis, Layer

from helpers import run, run_error as error, run_ok as ok

LAYERS = {  # name: the command line's layer, and whether the figure draws it (1-D and 2-D only)
    "1d": (["--in", 3, "--k", 3, "--s", 2, "--p", 1, "--op", 1, "--ndim", 1], True),
    "2d": (["--in", "2,3", "--k", "3,2", "--s", "2,1", "--d", "1,2"], True),
    "3d": (["--in", 2, "--k", 2, "--s", 2, "--ndim", 3], False),
}
DERIVE = ("size", "ambiguity", "equivalence", "phases", "formulas")
LABELS = ("eq:tconv-size", "eq:matrix", "eq:closed-form", "eq:equivalence", "eq:op-range")


def notes(name: str, *extra, figure: bool = True) -> str:
    args, draws = LAYERS[name]
    return ok("latex", *args, *(["--figure"] if figure and draws else []), *extra)


def compile_with(engine: str, document: str, folder, name: str = "doc") -> str:
    """Compile, assert it worked, and return the log (for undefined references)."""
    if shutil.which(engine) is None:
        pytest.skip(f"{engine} is not installed; these tests compile the notes with a real engine "
                    f"({ZH_INSTALL if engine == 'xelatex' else TEX_INSTALL})")
    (folder / f"{name}.tex").write_text(document, encoding="utf-8")
    for _ in range(2):  # twice, so references resolve
        result = subprocess.run([engine, "-halt-on-error", "-interaction=nonstopmode", f"{name}.tex"], cwd=folder,
                                capture_output=True, text=True, errors="replace", timeout=300)
        assert result.returncode == 0, result.stdout[-3000:]
    assert (folder / f"{name}.pdf").stat().st_size > 1000
    return (folder / f"{name}.log").read_text(errors="replace")


# --- what the prose may not contain ---------------------------------------------------------------------

_MATH = [r"\\begin\{tabular\}\{[^\n]*",  # a table's column types (p{0.26\linewidth}) are not prose
         r"\$\$.*?\$\$", r"\$.*?\$", r"\\\[.*?\\\]", r"\\begin\{(align\*|equation\*?|aligned|tikzpicture)\}.*?"
         r"\\end\{\1\}", r"\\texttt\{[^}]*\}", r"`[^`]*`", r"^%.*$", r"<!--.*?-->", r"```.*?```"]
# Single letters that are the notes' variables; "a" is also English's article, so it counts after "tap".
_VARIABLE = re.compile(r"(?<![\w'\\{$])([bdeijkmnopqrstF]|op|tap a)(?![\w'}])")


def prose(text: str) -> str:
    """The text outside mathematics, code and comments, where a variable must not stand bare."""
    text = re.sub(r"\\intertext\{", "\n", text)  # intertext is prose inside an align
    for pattern in _MATH:
        text = re.sub(pattern, " ", text, flags=re.S | re.M)
    return text


def test_prose_scanner_finds_what_the_issue_complained_of():
    # the old notes' sentences, as they were printed; each must be caught
    for bad in ["every input sample n and kernel tap a scatter to position:",
                "the full scatter has F = m\\_max $-$ m\\_min + 1 samples:", "insert s $-$ 1 zeros",
                "--- 1 difference(s) expand to 0 (0.00 s)"]:
        assert problems(bad), bad
    assert not problems("Every input sample $n$ and kernel tap $a$ scatter to position $m$; "
                        "see \\texttt{output\\_padding}.")


def problems(text: str) -> list[str]:
    outside = prose(text)
    found = [f"identifier {m.group(0)!r}" for m in re.finditer(r"\w(\\_|_)\w", outside)]
    found += [f"variable {m.group(1)!r} in {outside[max(0, m.start() - 30):m.end() + 30]!r}"
              for m in _VARIABLE.finditer(outside)]
    found += [f"timing {m.group(0)!r}" for m in re.finditer(r"\d+\.\d+ s\b|difference\(s\)", outside)]
    return found


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("markdown", [False, True], ids=["latex", "markdown"])
@pytest.mark.parametrize("name", list(LAYERS))
def test_no_bare_identifiers_variables_or_timings_outside_math(name, markdown, lang):
    text = notes(name, "--lang", lang, "--numbered", *(["--markdown"] if markdown else []))
    assert problems(text) == []
    for what in DERIVE:
        args = LAYERS[name][0]
        derived = ok("derive", what, *args, "--markdown" if markdown else "--latex", "--lang", lang)
        assert problems(derived) == [], what
    assert problems(ok("derive", "relationships", "--latex", "--lang", lang)) == []


def test_verbose_keeps_counts_and_timings_in_comments_only():
    text = notes("1d", "--verbose", figure=False)
    comments = [line for line in text.splitlines() if "difference(s)" in line]
    assert comments and all(line.startswith("% ") for line in comments)
    assert re.search(r"\(\d+\.\d\d s\)", "\n".join(comments))
    assert problems(text) == []


# --- how it is typeset -------------------------------------------------------------------------------


def test_each_derivation_is_one_align_with_reasons_and_results_are_boxed():
    text = notes("1d", "--what", "size", figure=False)
    general = text.split("\\begin{align*}")[1].split("\\end{align*}")[0]
    # the six general steps line up on their "=" with the reasons between them
    assert general.count("&=") == 6 and general.count("\\intertext{") == 5
    assert "m_{\\min} &= 0" in general and "m_{min}" not in text
    assert text.count("\\fbox{\\parbox") == 1 and "\\textbf{Relationship.}" in text


def test_tables_are_captioned_booktabs_with_symbol_headers():
    text = notes("2d", "--what", "table,equivalence")
    assert text.count("\\begin{table}") == 2 and text.count("\\caption{") == 3  # 2 tables, 1 figure
    assert "$\\mathit{op}$ & $o$" in text and "$p_{\\mathrm{lo}}$ & $p_{\\mathrm{hi}}$" in text
    assert all(rule in text for rule in ("\\toprule", "\\midrule", "\\bottomrule"))


def test_the_guard_of_the_element_formula_is_a_side_condition_not_brackets():
    text = notes("2d", "--what", "formulas", figure=False)
    box = text.split("\\fbox{\\parbox")[1].split("}}\\par\\medskip")[0]
    assert "B(" not in box and "\\left[" not in box  # no Iverson brackets in the note
    assert "s_{t} \\mid" in box and "n_{t} \\leq i_{t} - 1" in box


def test_markdown_uses_inline_and_display_math_aligned_and_pipe_tables():
    text = notes("1d", "--markdown", "--what", "size,table,equivalence", figure=False)
    assert "$n$" in text and "\n$$\n\\begin{aligned}\n" in text and "| $\\mathit{op}$ | $o$ |" in text
    for latex_only in ("\\[", "\\begin{table}", "\\intertext", "\\fbox", "\\subsection", "\\emph{", "\\begin{align*}"):
        assert latex_only not in text, latex_only
    assert "> **Relationship.**" in text and "*Proof.*" in text


# --- proofs as statements ---------------------------------------------------------------------------


def test_each_section_ends_in_one_proof_sentence():
    text = notes("1d", "--what", "size,formulas,equivalence,table", figure=False)
    assert text.count("\\emph{Proof.} Proved by expanding both sides symbolically") == 4
    assert "NOT proved" not in text and "✓" not in text


@pytest.mark.parametrize("lang, failed, bold", [("en", "\\textbf{NOT proved:}", "**NOT proved:**"),
                                                ("zh", "\\textbf{未能证明", "**未能证明")])
def test_a_broken_derivation_is_bold_in_the_notes_and_exits_1(monkeypatch, lang, failed, bold):
    real = Axis.zero_insertion_pads.fget  # one more zero before: every read one position off
    monkeypatch.setattr(Axis, "zero_insertion_pads", property(lambda axis: (real(axis)[0] + 1, real(axis)[1])))
    args = ["--in", 2, "--k", 3, "--s", 2, "--ndim", 1, "--lang", lang]
    result = run("latex", *args, "--what", "equivalence")
    assert result.exit_code == 1 and failed in result.stdout
    result = run("derive", "equivalence", *args, "--markdown")
    assert result.exit_code == 1 and bold in result.stdout


# --- numbered, referencable ---------------------------------------------------------------------------


def test_numbered_places_the_stable_labels_once_each_with_the_prefix():
    text = notes("2d", "--numbered", "--label-prefix", "up1:")
    assert [re.findall(r"\\label\{up1:(eq:[a-z-]+)\}", text).count(label) for label in LABELS] == [1] * len(LABELS)
    assert "\\label{" not in notes("2d")  # unnumbered: nothing to clash with the user's own labels
    assert "\\label{eq:relationship-14}" in ok("derive", "relationships", "--latex", "--numbered")


def test_bad_label_prefix_and_language_are_one_sentence():
    message = error("latex", "--in", 2, "--k", 3, "--numbered", "--label-prefix", "a}b")
    assert "label prefix" in message and message.count("\n") == 0
    assert "add --numbered" in error("latex", "--in", 2, "--k", 3, "--label-prefix", "up1:")
    assert "\\tag only" in error("latex", "--in", 2, "--k", 3, "--numbered", "--markdown", "--label-prefix", "up1:")
    message = error("latex", "--in", 2, "--k", 3, "--lang", "fr")
    assert "'fr' is not supported" in message and "en (English)" in message and "zh (Chinese)" in message
    assert "--latex, --markdown or --typst" in error("derive", "size", "--in", 2, "--k", 3, "--lang", "zh")


# --- Chinese ---------------------------------------------------------------------------------------------


def test_the_catalogues_say_the_same_things_with_the_same_values():
    assert set(nt.EN) == set(nt.ZH)
    for key in nt.EN:
        assert set(re.findall("«([a-z_]+)»", nt.EN[key])) == set(re.findall("«([a-z_]+)»", nt.ZH[key])), key
        assert nt.EN[key].count("$") % 2 == 0 and nt.ZH[key].count("$") % 2 == 0, key


def test_chinese_notes_use_the_seed_articles_terms():
    text = notes("2d", "--lang", "zh")
    for term in ("转置卷积", "卷积矩阵", "步长", "填充", "输出填充", "膨胀", "关系式", "证明"):
        assert term in text, term
    assert "棋盘效应" in ok("derive", "phases", "--in", 2, "--k", 3, "--s", 2, "--latex", "--lang", "zh")
    # every formula is SymPy's either way: the displays of the two languages are the same
    english = notes("2d")
    assert re.findall(r"\\begin\{align\*\}.*?\\end\{align\*\}", english.replace("\\intertext", "\n"), re.S) != []
    displays = lambda t: re.findall(r"^[^\n]*&=[^\n]*$", t, re.M)  # noqa: E731
    assert displays(text) == displays(english)
    standalone = notes("1d", "--lang", "zh", "--standalone", "--title", "转置卷积笔记")
    assert "\\usepackage[UTF8]{ctex}" in standalone and "\\section*{转置卷积笔记}" in standalone


def test_chinese_pdf_without_a_unicode_engine_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    message = error("latex", "--in", 2, "--k", 3, "--lang", "zh", "--pdf", "-o", tmp_path / "zh.tex", status=3)
    assert "xelatex" in message and ZH_INSTALL in message and not (tmp_path / "zh.tex").exists()


def test_the_engine_for_each_language():
    layer = Layer.from_pytorch(2, 3, 2)
    if shutil.which("xelatex"):
        assert pdf_engine(layer, ["size"], False, "zh") == "xelatex"
    if shutil.which("pdflatex"):
        assert pdf_engine(layer, ["size"], False, "en") == "pdflatex"


# --- real engines: every section, every dimension, figure on and off, numbered, both languages -------------


@pytest.mark.slow
@pytest.mark.parametrize("lang, engine", [("en", "pdflatex"), ("zh", "xelatex")])
@pytest.mark.parametrize("name", list(LAYERS))
def test_every_section_compiles(name, lang, engine, tmp_path):
    # figure on (where it draws), numbered; then figure off, unnumbered: both in one document, two sections
    numbered = notes(name, "--lang", lang, "--numbered", "--label-prefix", "a:")
    plain = notes(name, "--lang", lang, figure=False)
    body = numbered + "\n\\clearpage\n" + plain
    log = compile_with(engine, standalone(body, f"{name} {lang}", lang), tmp_path)
    assert "Overfull \\hbox" not in log or name != "1d"  # the 1-D notes fit the page
    aux = (tmp_path / "doc.aux").read_text()
    placed = [label for label in LABELS if f"\\label{{a:{label}}}" in numbered]
    assert placed and all(f"\\newlabel{{a:{label}}}" in aux for label in placed)


@pytest.mark.slow
@pytest.mark.parametrize("lang, engine", [("en", "pdflatex"), ("zh", "xelatex")])
def test_derivations_and_relationships_compile(lang, engine, tmp_path):
    parts = [ok("derive", what, *LAYERS["2d"][0], "--latex", "--lang", lang, "--numbered", "--label-prefix",
                f"{what}:") for what in DERIVE]
    parts.append(ok("derive", "relationships", "--latex", "--lang", lang))
    compile_with(engine, standalone("\n".join(parts), None, lang), tmp_path)


@pytest.mark.slow
def test_a_fragment_is_input_and_its_equations_referenced(tmp_path):
    # what docs/mathematics.md shows: \input the fragment (its tables and figure are [H]: float), \eqref its labels
    (tmp_path / "tconv.tex").write_text(notes("1d", "--numbered", "--label-prefix", "up1:"), encoding="utf-8")
    refs = " ".join(f"\\eqref{{up1:{label}}}" for label in LABELS)
    document = ("\\documentclass{article}\n\\usepackage{amsmath,amssymb,booktabs,float,tikz}\n\\begin{document}\n"
                f"Our decoder's sizes follow {refs}.\n\\input{{tconv}}\n\\end{{document}}\n")
    log = compile_with("pdflatex", document, tmp_path, "paper")
    assert "undefined references" not in log and "Reference `" not in log
    aux = (tmp_path / "paper.aux").read_text()
    assert [f"\\newlabel{{up1:{label}}}" in aux for label in LABELS] == [True] * len(LABELS)


@pytest.mark.slow
def test_chinese_pdf_option_compiles_with_a_unicode_engine(tmp_path):
    if tex_engine("zh") is None:
        pytest.skip(f"neither xelatex nor lualatex is installed ({ZH_INSTALL})")
    ok("latex", "--in", 2, "--k", 3, "--s", 2, "--lang", "zh", "--figure", "--pdf", "-o", tmp_path / "zh.tex")
    assert (tmp_path / "zh.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.slow
def test_a_fragment_compiled_to_pdf_stays_a_fragment_beside_its_wrapper(tmp_path):
    if tex_engine() is None:
        pytest.skip(f"no TeX engine is installed ({TEX_INSTALL})")
    ok("latex", "--in", 2, "--k", 3, "--s", 2, "--what", "size", "--pdf", "-o", tmp_path / "up1.tex")
    fragment = (tmp_path / "up1.tex").read_text()
    # \input-able, as docs/mathematics.md shows
    assert "\\documentclass" not in fragment and "\\subsection*" in fragment
    assert "\\input{up1}" in (tmp_path / "up1-standalone.tex").read_text()
    assert (tmp_path / "up1.pdf").read_bytes().startswith(b"%PDF")
    # -o x.pdf: the source is kept beside the PDF, not lost
    ok("latex", "--in", 2, "--k", 3, "--s", 2, "--what", "size", "--standalone", "--pdf", "-o", tmp_path / "x.pdf")
    assert "\\documentclass" in (tmp_path / "x.tex").read_text() and (tmp_path / "x.pdf").exists()


def test_a_pdf_name_without_pdf_and_an_unquotable_fragment_name_are_refused(tmp_path):
    message = error("latex", "--in", 2, "--k", 3, "-o", tmp_path / "x.pdf")
    assert "names a PDF" in message and "--pdf" in message and not (tmp_path / "x.pdf").exists()
    message = error("latex", "--in", 2, "--k", 3, "--pdf", "-o", tmp_path / "my notes.tex")
    assert "cannot be \\input" in message and "standalone" in message and list(tmp_path.iterdir()) == []
