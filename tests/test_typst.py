"""Typst notes: the SymPy printer read back by an independent parser and compiled by the typst compiler, every
section in both languages compiled to PDF with its labels referenced, and the command line's --typst."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import given, reject, settings, strategies as st

from tconvcalc.notes.document import derivation_latex, layer_document, layer_writer, typst_standalone
from tconvcalc.notes.engines import cjk_font_folder
from tconvcalc.notes import engines
from tconvcalc.notes import text as nt
from tconvcalc import symbolic as sy
from tconvcalc.notes import typst_math as tm
from tconvcalc.notes import SECTIONS
from tconvcalc.reports.symbolic import inverse_derivation
from tconvcalc.model.spec import Layer

from helpers import run_error, run_ok

typst = pytest.importorskip("typst", reason="the typst package compiles the notes: pip install 'tconvcalc[typst]'")
ROOT = Path(__file__).resolve().parent.parent
NETWORK = ROOT / "examples" / "networks" / "odd_unet.toml"
LAYERS = [Layer.from_pytorch(2, 3, 2), Layer.from_pytorch((2, 3), (3, 2), (2, 1), (1, 0), (1, 0), (1, 2))]


def compile_pdf(document: str, tmp_path: Path, lang: str = "en") -> bytes:
    source = tmp_path / "note.typ"
    source.write_text(document, encoding="utf-8")
    fonts = [cjk_font_folder()] if lang == "zh" else []
    return typst.compile(str(source), font_paths=fonts)


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) reads the PDF back")
    path = tmp_path / "note.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(text.split())  # a sentence broken across lines reads as one


# --- an independent reader of the printer's Typst: back to SymPy -------------------------------------------

_TOKENS = re.compile(r'\s*(italic\("[a-z]+"\)|"[a-z]+"|[A-Za-z]+|\d+|\S)')


class TypstReader:
    """A recursive-descent reader of the arithmetic the printer writes (sums, products by juxtaposition or dot,
    powers, frac, floor, ceil, mod, subscripted names), written from Typst's syntax, not from the printer."""

    FUNCTIONS = {"frac": 2, "floor": 1, "ceil": 1}

    def __init__(self, text: str) -> None:
        self.tokens = _TOKENS.findall(text)
        self.at = 0

    def peek(self):
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, expected=None):
        token = self.peek()
        assert expected is None or token == expected, (expected, token, self.tokens)
        self.at += 1
        return token

    def read(self):
        expr = self.sum()
        assert self.peek() is None, self.tokens[self.at:]
        return expr

    def sum(self):
        expr = self.product()
        while self.peek() in ("+", "-"):
            sign = 1 if self.take() == "+" else -1
            expr = expr + sign * self.product()
        return expr

    def product(self):
        if self.peek() == "-":
            self.take()
            return -self.product()
        expr = self.power()
        while True:
            token = self.peek()
            if token == "mod":
                self.take()
                expr = sp.Mod(expr, self.power())
            elif token == "dot":
                self.take()
                expr = expr * self.power()
            elif token is not None and token not in ("+", "-", ")", ",", "=", "<", ">", "&"):
                expr = expr * self.power()
            else:
                return expr

    def power(self):
        base = self.atom()
        if self.peek() == "^":
            self.take()
            return base ** self.group()
        return base

    def group(self):
        if self.peek() == "(":
            self.take("(")
            inner = self.sum()
            self.take(")")
            return inner
        return self.atom()

    def atom(self):
        token = self.take()
        if token == "(":
            inner = self.sum()
            self.take(")")
            return inner
        if token.isdigit():
            return sp.Integer(token)
        if token in self.FUNCTIONS:
            self.take("(")
            args = [self.sum()]
            while self.peek() == ",":
                self.take()
                args.append(self.sum())
            self.take(")")
            return {"frac": lambda a, b: a / b, "floor": sp.floor, "ceil": sp.ceiling}[token](*args)
        name = token[8:-2] if token.startswith("italic(") else token
        if self.peek() == "'":
            self.take()
            name += "'"
        if self.peek() == "_":
            self.take()
            if self.peek() == "(":
                self.take("(")
                parts = [self.take()]
                while self.peek() == ",":
                    self.take()
                    parts.append(self.take())
                self.take(")")
                return sp.Symbol(f"{name}_{{{','.join(parts)}}}")
            return sp.Symbol(f"{name}_{self.take().strip(chr(34))}")
        return sp.Symbol(name)


def read_typst(text: str):
    return TypstReader(text).read()


NAMES = [sp.Symbol(name) for name in ("n", "s", "k", "d", "m_min", "op", "p_lo", "n_0", "w_{0,1}", "i_z")]
atoms = st.one_of(st.sampled_from(NAMES), st.integers(-12, 12).map(sp.Integer),
                  st.tuples(st.integers(-9, 9), st.integers(1, 9)).map(lambda t: sp.Rational(*t)))


def _combine(children):
    pairs = st.tuples(children, children)
    return st.one_of(pairs.map(lambda t: t[0] + t[1]), pairs.map(lambda t: t[0] * t[1]),
                     pairs.map(lambda t: t[0] - t[1]), children.map(sp.floor), children.map(sp.ceiling),
                     pairs.filter(lambda t: t[1] != 0).map(lambda t: t[0] / t[1]),
                     st.tuples(children, st.integers(2, 3)).map(lambda t: t[0] ** t[1]),
                     st.tuples(children, st.sampled_from(NAMES[:4])).map(lambda t: sp.Mod(t[0], t[1])))


expressions = st.recursive(atoms, _combine, max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(expressions, st.lists(st.fractions(-20, 20, max_denominator=7), min_size=len(NAMES), max_size=len(NAMES)))
def test_the_printer_says_what_the_expression_means(expr, values):
    """Read back by an independent parser, every printed expression has the value of the expression it came
    from, exactly, at any rational point (SymPy may build the two in different but equal forms)."""
    back = read_typst(tm.typst_math(expr))
    assert back.free_symbols <= expr.free_symbols | set(NAMES)
    point = {name: sp.Rational(v.numerator, v.denominator) for name, v in zip(NAMES, values)}
    try:
        expected = expr.xreplace(point)
    except ZeroDivisionError:  # a mod by a name that is 0 at this point: the expression has no value there
        reject()
    if expected.is_finite:
        assert back.xreplace(point) == expected


@pytest.mark.slow
@settings(max_examples=5, deadline=None)
@given(st.lists(expressions, min_size=40, max_size=40))
def test_printed_expressions_compile(tmp_path_factory, exprs):
    """Forty random expressions in one document, and one relation, sum and matrix among them, compile."""
    n, a, k = sp.symbols("n a k")
    extra = [sp.Eq(n, exprs[0]), sp.Sum(exprs[1] * sp.Indexed(sp.IndexedBase("x"), n), (a, 0, k - 1)),
             sp.Matrix([[exprs[2], 0], [sp.Symbol(r"\vdots"), exprs[3]]]), sp.Min(exprs[4], n), sp.Max(n, k)]
    document = "\n\n".join(f"$ {tm.typst_math(e)} $" for e in exprs + extra)
    compile_pdf(document, tmp_path_factory.mktemp("exprs"))


@pytest.mark.parametrize("expr, typst_text", [
    (sp.Symbol("m_min"), "m_min"), (sp.Symbol("op"), 'italic("op")'), (sp.Symbol("op_max"), 'italic("op")_max'),
    (sp.Symbol("p_hi"), 'p_"hi"'), (sp.Symbol("w_{0,1}"), "w_(0, 1)"), (sp.Symbol("w_{2}"), "w_2"),
    (sp.Rational(-3, 4), "-frac(3, 4)"), (sp.floor(sp.Symbol("n") / 2), "floor(frac(n, 2))"),
    (sp.ceiling(sp.Symbol("n")), "ceil(n)"), (sp.Mod(sp.Symbol("n"), 3), "n mod 3"),
    (2 * sp.Mod(sp.Symbol("n"), sp.Symbol("s")), "2 (n mod s)"),
    (sp.Indexed(sp.IndexedBase("x"), sp.Symbol("n")), "x_n"),
    (sp.Le(sp.Integer(0), sp.Symbol("n")), "0 <= n"), (sp.Ne(sp.Symbol("n"), 1), "n != 1"),
    (sp.Piecewise((1, sp.Symbol("n") > 0), (0, True)), 'cases(1 & "if " n > 0, 0 & "otherwise")'),
    (sp.Max(sp.Symbol("s"), sp.Symbol("d")), "max (d, s)"),
    (sp.Matrix([[1, 0], [0, sp.Symbol(r"\cdots")]]), 'mat(delim: "[",\n1, 0;\n0, dots.c)'),
])
def test_the_notes_names_and_functions_print_as_typst_writes_them(expr, typst_text):
    assert tm.typst_math(expr) == typst_text


def test_an_object_without_a_rule_is_refused_not_misprinted():
    with pytest.raises(TypeError, match="no rule for"):
        tm.typst_math(sp.sin(sp.Symbol("x")))


def test_every_catalogue_entry_becomes_typst_that_compiles(tmp_path):
    """Every sentence of both catalogues, its hand-written math translated from the closed table."""
    for lang, catalogue in nt.CATALOGUES.items():
        body = "\n\n".join(tm.prose(re.sub("«([a-z_]+)»", "1", text)) for text in catalogue.values() if text)
        assert "\\mathit" not in body and "\\le" not in body
        compile_pdf(body, tmp_path, lang)


# --- the notes, compiled --------------------------------------------------------------------------------

def _labels_referenced(body: str, labels: list[str]) -> str:
    """The note and a sentence after it that refers to each of its labels: a reference to a label that is
    missing stops typst."""
    refs = " ".join(f"See @{label}." for label in labels)
    return typst_standalone(body + "\n" + refs + "\n")


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("layer", LAYERS, ids=["1d", "2d"])
def test_every_section_compiles_and_its_labels_resolve(layer, lang, tmp_path):
    writer = layer_writer(layer, list(SECTIONS), typst=True, lang=lang, numbered=True, label_prefix="up1:",
                             derived={"inverse": inverse_derivation(layer)})
    body = writer.render()
    assert writer.labels and all(f"<{label}>" in body for label in writer.labels)
    text = pdf_text(compile_pdf(_labels_referenced(body, writer.labels), tmp_path, lang), tmp_path)
    # each reference printed the number of its equation, in order: (1), (2), ... all placed
    numbers = [int(n) for n in re.findall(r"See Equation (\d+)", text)]
    assert numbers == list(range(1, len(writer.labels) + 1))
    assert nt.phrase(lang, "title.equivalence").replace(" ", "") in text.replace(" ", "")
    assert "Table 1" in text or "表" in text


@pytest.mark.slow
def test_a_reference_to_a_missing_label_fails_to_compile(tmp_path):
    body = layer_document(LAYERS[0], ["size"], typst=True, numbered=True)
    with pytest.raises(typst.TypstError, match="label"):
        compile_pdf(_labels_referenced(body, ["eq:no-such-equation"]), tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("args", [
    ["derive", "size", "--in", "2", "--k", "3", "--s", "2"],
    ["derive", "equivalence", "--in", "2,3", "--k", "3,2", "--s", "2,1", "--d", "1,2"],
    ["derive", "ambiguity", "--in", "3", "--k", "4", "--s", "3", "--p", "1"],
    ["derive", "phases", "--in", "4", "--k", "5", "--s", "3"],
    ["derive", "formulas", "--in", "2,2", "--k", "2,2", "--s", "2,2"],
    ["derive", "relationships"],
    ["derive", "gradient", "--in", "5,6", "--k", "3", "--s", "2", "--d", "1,2"],
    ["derive", "inverse", "--in", "8", "--k", "3", "--s", "2", "--p", "1"],
    ["net", str(NETWORK), "--domain"],
], ids=["size", "equivalence", "ambiguity", "phases", "formulas", "relationships", "gradient", "inverse", "net-domain"])
def test_every_notes_command_compiles_in_typst(args, lang, tmp_path):
    body = run_ok(*args, "--typst", "--lang", lang, "--numbered")
    labels = re.findall(r"<(eq:[a-z0-9-]+)>", body)
    assert labels, body[:400]
    text = pdf_text(compile_pdf(_labels_referenced(body, labels), tmp_path, lang), tmp_path)
    assert [int(n) for n in re.findall(r"See Equation (\d+)", text)] == list(range(1, len(labels) + 1))


def test_the_typst_size_derivation_states_the_same_equations_as_the_latex():
    """Each line of derive size, read back from the Typst, is the step SymPy derived (its numbers put in), and
    the LaTeX lines up as many relations."""
    layer = LAYERS[0]
    der = sy.derive_output_size(layer)
    typst_text = derivation_latex(der, typst=True)
    latex_text = derivation_latex(der)
    rows = []
    for display in re.findall(r"^\$ (.*?) \$$", typst_text, re.S | re.M):
        for line in display.split("\\\n"):
            if "&" in line:
                lhs, rhs = (part.strip() for part in line.split("&="))
                rows.append((read_typst(lhs) if lhs else None, read_typst(rhs)))
    stated = [s for s in der.steps if isinstance(s.expr, sp.Eq)]
    expected = []
    for step in stated:
        if step.key in ("size.values", "size.value"):
            lhs = None if step.key == "size.value" else step.expr.lhs
            rhs = step.expr.rhs.subs(step.values or {}) if step.key == "size.values" else step.expr.rhs
            expected.append((lhs, rhs))
        elif step.key.startswith("size."):
            expected.append((step.expr.lhs, step.expr.rhs))
    def plain(e):  # the reader's symbols carry no assumptions
        return None if e is None else sp.expand(e.xreplace({x: sp.Symbol(x.name) for x in e.free_symbols}))
    assert ([(plain(left), plain(right)) for left, right in rows]
            == [(plain(left), plain(right)) for left, right in expected])
    assert len(rows) >= 7
    assert len(re.findall(r"^(?!\\intertext).*&=", latex_text, re.M)) == len(rows)


# --- the command line -------------------------------------------------------------------------------------

def test_typst_with_markdown_or_latex_is_refused_in_one_sentence():
    for other in ("--markdown", "--latex"):
        assert "both set" in run_error("derive", "size", "--in", "2", "--k", "3", "--typst", other)
    assert "both set" in run_error("latex", "--in", "2", "--k", "3", "--typst", "--markdown")
    assert "both set" in run_error("net", str(NETWORK), "--domain", "--typst", "--markdown")


def test_latex_typst_pdf_writes_the_source_and_the_pdf(tmp_path):
    out = tmp_path / "notes.typ"
    run_ok("latex", "--in", "2", "--k", "3", "--s", "2", "--what", "size,table", "--typst", "-o", out, "--pdf")
    assert out.exists() and (tmp_path / "notes-standalone.typ").exists()
    assert (tmp_path / "notes.pdf").read_bytes().startswith(b"%PDF")


def test_without_the_typst_package_the_pdf_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "typst", None)
    message = run_error("latex", "--in", "2", "--k", "3", "--typst", "-o", tmp_path / "n.typ", "--pdf", status=3)
    assert "tconvcalc[typst]" in message
    assert not (tmp_path / "n.typ").exists()


def test_a_chinese_pdf_without_a_cjk_font_says_how_to_install_one(tmp_path, monkeypatch):
    monkeypatch.setattr(engines, "FANDOL_FOLDERS", ())
    monkeypatch.setattr(engines, "NOTO_CJK_FOLDERS", ())
    monkeypatch.setattr(shutil, "which", lambda name: None)
    message = run_error("latex", "--in", "2", "--k", "3", "--typst", "--lang", "zh", "-o", tmp_path / "n.typ", "--pdf")
    assert "fonts-noto-cjk" in message and "texlive-lang-chinese" in message


def test_cjk_fonts_are_found_where_the_machine_keeps_them():
    if not any(Path(f).exists() for f in engines.FANDOL_FOLDERS + engines.NOTO_CJK_FOLDERS):
        pytest.skip("no CJK font installed here")
    folder = Path(cjk_font_folder())
    assert any(folder.glob("Fandol*")) or any(folder.glob("Noto*CJK*"))
