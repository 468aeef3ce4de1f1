"""A network's domain as notes (``net --domain --latex`` / ``--markdown``): typeset like the layer notes
in English and Chinese, saying what the domain derivation found, compiled by real engines, and failing loudly
when the lemma or the check fails."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from tconvcalc.notes.document import standalone
from tconvcalc.notes.writers import escape_text
from tconvcalc.notes import text as nt
from tconvcalc.network import load
from tconvcalc.network import derive as derive_module
from tconvcalc.network.ops import OPS
from tconvcalc.symbolic.proof import Proof

from helpers import run, run_error, run_json, run_ok
from test_notes import compile_with, problems

domain_module = importlib.import_module("tconvcalc.network.domain")  # the package exports a function of that name
ROOT = Path(__file__).resolve().parent.parent
NETWORKS = sorted((ROOT / "examples" / "networks").glob("*.toml"))
# Odd residues stop at the unshuffle, even ones run: the notes say why in the note's language.
UNSHUFFLE = """
name = "space to depth"
ndim = 1
[[layers]]
name = "s2d"
op = "pixel_unshuffle"
downscale_factor = 2
[[layers]]
name = "conv"
kernel_size = 3
"""


def boxed_classes(box: str) -> set:
    """The ``(modulus, residue, first)`` classes the box states, read back from its LaTeX."""
    found = set()
    for modulus, residue, start in re.findall(r"n = (\d+) t(?: \+ (\d+))?,\\quad t \\ge (\d+)", box):
        residue = int(residue or 0)
        found.add((int(modulus), residue, int(modulus) * int(start) + residue))
    for modulus, members, start in re.findall(r"n = (\d+) t \+ r,\\quad r \\in \\\{([^}]*)\\\},"
                                              r"\\quad t \\ge (\d+)", box):
        numbers = [int(v) for v in re.findall(r"\d+", members)]
        residues = range(numbers[0], numbers[-1] + 1) if "\\dots" in members else numbers
        found.update((int(modulus), r, int(modulus) * int(start) + r) for r in residues)
    found.update((1, 0, int(first)) for first in re.findall(r"n \\geq (\d+)", box))  # every size from first on
    return found


# One layer whose axes differ: the same accepted sizes on both, but different rules.
ANISOTROPIC = """
ndim = 2
input = [8, 8]
[[layers]]
name = "up"
op = "conv_transpose"
kernel_size = [4, 3]
stride = [2, 1]
padding = [1, 0]
"""
# Names with every LaTeX special, a Markdown table's |, backquotes, emphasis and Chinese.
ODD_NAMES = """
name = "Net `q` *e* & 50% #1 _x_ {y} ~ ^ $ \\\\ 编码"
ndim = 1
input = [8]
[[layers]]
name = "un|sh`uf`fle_&%#$"
op = "pixel_unshuffle"
downscale_factor = 2
[[layers]]
name = "编码器"
kernel_size = 3
"""


def note(model, *extra) -> str:
    return run_ok("net", str(model), "--domain", *extra)


@pytest.mark.parametrize("model", NETWORKS, ids=lambda path: path.stem)
def test_the_note_says_what_the_domain_derives(model):
    """The box, the classes table and the rules table against the domain's own report (--json)."""
    report = run_json("net", str(model), "--domain")
    text = note(model, "--latex", "--numbered")
    axes = report["axes"]
    alike = all((a["classes"], a["points"], [s["text"] for s in a["derivation"]["steps"]]) ==
                (axes[0]["classes"], axes[0]["points"], [s["text"] for s in axes[0]["derivation"]["steps"]])
                for a in axes)
    sections = text.split("\\subsection*{")[1:]
    assert len(sections) == (1 if alike else len(axes))
    network = load(model)
    for axis, section in zip(axes, sections):
        box = section.split("\\fbox{\\parbox")[1].split("}}\\par\\medskip")[0]
        assert boxed_classes(box) == {tuple(c) for c in axis["classes"]}
        label = "eq:net-domain" if alike else f"eq:net-domain-axis{axis['axis']}"
        assert f"\\label{{{label}}}" in box
        table = section.split("Outcome")[1].split("\\bottomrule")[0]
        runs = [s for s in axis["derivation"]["steps"] if re.match(r"r = \d", s["text"])]
        assert table.count(" \\\\") == len(runs) + 1  # the midrule's line, then a row per run of classes
        # every kind of layer rule is in the table, named by the first layer that has it
        kinds = {(node.op, node.axes[0].get("ceil", False), node.text()): node for node in reversed(network.nodes)
                 if not OPS[node.op].merge and node.op != "identity"}
        for node in kinds.values():
            assert f"\\texttt{{{escape_text(node.name)}}} & \\texttt{{{escape_text(node.op)}" in section
        assert f"\\begin{{align*}}\nP &= {axis['period']}" in section
        # the floor lemma is needed (and proved) only where some layer divides
        assert ("\\emph{Proof.}" in section) == (axis["period"] > 1) and "\\emph{Check.}" in section


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("markdown", [False, True], ids=["latex", "markdown"])
def test_no_bare_identifiers_variables_or_timings_outside_math(markdown, lang):
    for model in NETWORKS:
        text = note(model, "--markdown" if markdown else "--latex", "--lang", lang)
        assert problems(text) == [], model.stem


def test_stop_reasons_are_said_in_the_notes_language(tmp_path):
    spec = tmp_path / "s2d.toml"
    spec.write_text(UNSHUFFLE)
    english, chinese = note(spec, "--latex"), note(spec, "--latex", "--lang", "zh")
    assert "the size is not a multiple of the downscale factor $2$" in english
    assert nt.phrase("zh", "why.multiple", r=2) in chinese and "not a multiple" not in chinese
    # the terminal and the JSON keep the English sentence
    report = run_json("net", str(spec), "--domain")
    assert report["axes"][0]["rejected"][0]["reason"] == "the size is not a multiple of the downscale factor 2"


def test_markdown_tables_align_prose_left():
    text = note(NETWORKS[0], "--markdown")
    assert "| Layer | Operation | Size rule |\n|:---|:---|:---|" in text
    assert "\n$$\n\\begin{aligned}\nP &= " in text


@pytest.mark.slow  # TeX compiles
@pytest.mark.parametrize("lang, engine", [("en", "pdflatex"), ("zh", "xelatex")])
def test_every_example_network_note_compiles(lang, engine, tmp_path):
    bodies = [note(model, "--latex", "--numbered", "--label-prefix", f"{model.stem.replace('_', '-')}:",
                   "--lang", lang) for model in NETWORKS]
    labels = re.findall(r"\\label\{([^}]+)\}", "\n".join(bodies))
    assert len(labels) >= len(NETWORKS)
    refs = "\n".join(f"See \\eqref{{{label}}}." for label in labels)
    log = compile_with(engine, standalone("\n".join(bodies) + "\n" + refs, None, lang), tmp_path)
    assert "undefined" not in log.lower()


def test_a_failed_lemma_is_printed_in_bold_and_exits_1(monkeypatch):
    def broken(statement, left, right, key="", args=None):
        return Proof(statement, len(left), False, 0.0, "1", key, dict(args or {}))

    monkeypatch.setattr(derive_module, "prove_equal", broken)
    result = run("net", str(NETWORKS[0]), "--domain", "--latex")
    assert result.exit_code == 1 and "\\textbf{NOT proved:}" in result.stdout
    assert run("net", str(NETWORKS[0]), "--domain", "--markdown", "--lang", "zh").exit_code == 1


def test_a_failed_check_is_printed_in_bold_and_exits_1(monkeypatch):
    real = domain_module.check
    monkeypatch.setattr(domain_module, "check", lambda *args: real(*args)[:2] + (False,))
    result = run("net", str(NETWORKS[0]), "--domain", "--latex")
    assert result.exit_code == 1 and "\\textbf{NOT checked:}" in result.stdout and "\\emph{Check.}" not in result.stdout


@pytest.mark.parametrize("args, words", [
    (["--domain", "--latex", "--lang", "fr"], "language 'fr' is not supported"),
    (["--domain", "--lang", "zh"], "add --latex, --markdown or --typst"),
    (["--domain", "--latex", "--upto", "5"], "drop --upto"),
    (["--domain", "--latex", "--label-prefix", "a:"], "add --numbered"),
    (["--latex"], "add --domain"),
])
def test_notes_options_refused_where_they_change_nothing(args, words):
    assert words in run_error("net", str(NETWORKS[0]), *args)


def test_axes_with_different_rules_get_a_section_each(tmp_path):
    spec = tmp_path / "aniso.toml"
    spec.write_text(ANISOTROPIC)
    sections = note(spec, "--latex").split("\\subsection*{")[1:]
    assert len(sections) == 2 and "$m = 2 n$" in sections[0] and "$m = n + 2$" in sections[1]
    terminal = note(spec)  # the terminal view tells them apart too
    assert "along axis 1" in terminal and "every axis has the same" not in terminal


@pytest.mark.slow  # TeX compiles
@pytest.mark.parametrize("lang, engine", [("en", "pdflatex"), ("zh", "xelatex")])
def test_odd_names_compile_and_keep_their_characters(lang, engine, tmp_path):
    spec = tmp_path / "odd.toml"
    spec.write_text(ODD_NAMES)
    text = note(spec, "--latex", "--lang", lang)
    compile_with(engine, standalone(text, None, lang), tmp_path)
    assert "\\texttt{un$\\mid$sh'uf'fle\\_\\&\\%\\#\\$}" in text and "$\\div$2" in text
    assert ("\\texttt{编码器}" in text) == (lang == "zh")  # pdflatex has no CJK: "?" there
    assert "\\texttt{q}" not in text and "\\emph{e}" not in text  # the network's name is not read as marks
    markdown = note(spec, "--markdown", "--lang", lang)
    rows = [line for line in markdown.splitlines() if line.startswith("| `un")]
    assert rows and all(len(re.split(r"(?<!\\)\|", row)) == 5 for row in rows)  # 3 cells, | escaped


def test_left_out_runs_of_classes_are_marked_in_their_table(tmp_path):
    spec = tmp_path / "deep.toml"  # eight pools and one ×256 upsample: 256 residue classes, most stopping
    layers = "".join(f'[[layers]]\nname = "d{n}"\nop = "max_pool"\nkernel_size = 2\n' for n in range(8))
    spec.write_text('name = "deep"\nndim = 1\n' + layers + '[[layers]]\nname = "u"\nop = "upsample"\n'
                    'scale_factor = 256\n[[layers]]\nname = "cat"\nop = "concat"\ninputs = ["input", "u"]\n')
    text = note(spec, "--latex")
    table = text.split("Outcome")[1].split("\\bottomrule")[0]
    assert table.count("$\\dots$ &") == 1 and "The first and last of 256 runs" in text
