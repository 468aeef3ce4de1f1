"""Turning a note into a PDF: which TeX engine a note needs (pdflatex, XeLaTeX for Chinese, LuaLaTeX for a whole
large C) and running it, and the Typst compiler with the CJK font a Chinese note needs; each missing program or
package is a :class:`~tconvcalc.errors.NotInstalledError` with its install line.

>>> check_input_name("notes.tex")
'notes.tex'
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from math import prod
from pathlib import Path
from typing import Sequence

from ..errors import NotInstalledError, ParameterError, TconvcalcError
from ..model.spec import Layer


# pdflatex's fixed main memory (5,000,000 words) holds a whole matrix display of about 33,000 cells
# (measured: 1-D 180×182 compiles, 190×192 does not; 2-D 144×196 compiles, 169×225 does not);
# lualatex compiled the largest whole C we print (MAX_WHOLE_CELLS) in 2.4 s.
PDF_MAX_CELLS = 30_000

def tex_engine(lang: str = "en") -> str | None:
    """The engine that compiles a note in ``lang``: pdflatex (else lualatex) for English; XeLaTeX (else LuaLaTeX)
    for Chinese, which ctex needs a Unicode engine for."""
    for engine in (("xelatex", "lualatex") if lang == "zh" else ("pdflatex", "lualatex")):
        if shutil.which(engine):
            return engine
    return None


TEX_INSTALL = "apt-get install texlive-latex-base texlive-latex-recommended texlive-pictures"
ZH_INSTALL = "apt-get install texlive-xetex texlive-lang-chinese"


def pdf_engine(layer: Layer, sections: Sequence[str], full: bool, lang: str = "en") -> str | None:
    """The engine for this document: pdflatex's (and XeTeX's) fixed memory holds a whole matrix display of about
    :data:`PDF_MAX_CELLS` cells; LuaTeX's memory grows, so a larger whole C needs lualatex.  A Chinese note needs
    XeLaTeX or LuaLaTeX: without either it stops here, with the install line."""
    rows, cols = prod(axis.i for axis in layer.axes), prod(axis.o for axis in layer.axes)
    if not (full and "matrix" in sections and rows * cols > PDF_MAX_CELLS):
        engine = tex_engine(lang)
        if engine is None and lang == "zh":
            raise NotInstalledError("xelatex (or lualatex)", "compiling the Chinese notes with ctex", ZH_INSTALL)
        return engine
    if shutil.which("lualatex") is None:
        raise NotInstalledError("lualatex", f"compiling the whole {rows}×{cols} C (pdflatex holds about "
                                f"{PDF_MAX_CELLS} cells)", "apt-get install texlive-luatex")
    return "lualatex"


_INPUT_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}\Z")


def check_input_name(name: str) -> str:
    """A file name ``\\input`` reads as it is: letters, digits and ``. _ -`` (a space or ``%`` would need quoting that
    engines disagree on)."""
    if not _INPUT_NAME.match(name) or name.startswith("."):
        raise ParameterError(f"the file name {name!r} cannot be \\input as it is, the PDF of a fragment is compiled "
                             f"through a wrapper that \\input's it; name it with letters, digits and . _ - only "
                             f"(e.g. notes.tex), or make the note a standalone document")
    return name


def compile_pdf(document: str, engine: str | None = None, inputs: dict[str, str] | None = None) -> bytes:
    """Run a TeX engine on a complete document and return the PDF's bytes; ``inputs`` are the files it
    ``\\input``'s (name without ``.tex`` -> text), written beside it.

    A missing engine or LaTeX package is a :class:`NotInstalledError` with the install line; any
    other failure would be a bug in the generated LaTeX (:class:`TconvcalcError`).
    """
    engine = engine or tex_engine()
    chinese = "{ctex}" in document
    install = ZH_INSTALL if chinese else TEX_INSTALL
    if engine is None or shutil.which(engine) is None:
        raise NotInstalledError("a TeX engine (pdflatex or lualatex)", "compiling the PDF", install)
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "tconvcalc-document.tex"
        source.write_text(document, encoding="utf-8")
        for name, text in (inputs or {}).items():
            (Path(folder) / f"{name}.tex").write_text(text, encoding="utf-8")
        result = subprocess.run([engine, "-halt-on-error", "-interaction=nonstopmode", source.name], cwd=folder,
                                capture_output=True, text=True, errors="replace", timeout=180)
        pdf = source.with_suffix(".pdf")
        if result.returncode != 0 or not pdf.exists():
            missing = re.search(r"File `([^']+\.sty)' not found", result.stdout)
            if missing:
                raise NotInstalledError(f"the LaTeX package {missing.group(1)}", f"{engine}", install)
            errors = [line for line in result.stdout.splitlines() if line.startswith("!")]
            raise TconvcalcError(f"{engine} could not compile the document ({errors[0] if errors else 'no PDF'}), "
                                 f"the generated LaTeX must compile; please report this with the command you ran")
        return pdf.read_bytes()


TYPST_INSTALL = "python -m pip install 'tconvcalc[typst]'"
CJK_INSTALL = "apt-get install texlive-lang-chinese (the Fandol fonts) or fonts-noto-cjk"
# Where Debian puts the CJK fonts a Chinese note can use: TeX Live's Fandol (texlive-lang-chinese), then Noto.
FANDOL_FOLDERS = ("/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol",
                  "/usr/share/texmf/fonts/opentype/public/fandol")
NOTO_CJK_FOLDERS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/noto")


def cjk_font_folder() -> str:
    """The folder of a CJK font for a Chinese note: Fandol where kpsewhich (or TeX Live's known path) finds it,
    else Debian's fonts-noto-cjk; none is a :class:`ParameterError` saying what to install."""
    if shutil.which("kpsewhich"):
        found = subprocess.run(["kpsewhich", "FandolSong-Regular.otf"], capture_output=True, text=True).stdout.strip()
        if found:
            return str(Path(found).parent)
    for folder in FANDOL_FOLDERS:
        if (Path(folder) / "FandolSong-Regular.otf").exists():
            return folder
    for folder in NOTO_CJK_FOLDERS:
        if any(Path(folder).glob("Noto*CJK*")):
            return folder
    raise ParameterError(f"a Chinese Typst note needs a CJK font and none was found (Fandol or Noto CJK); install "
                         f"one with: {CJK_INSTALL}")


def compile_typst(document: str, lang: str = "en", inputs: dict[str, str] | None = None) -> bytes:
    """Compile a complete Typst document with the ``typst`` package and return the PDF's bytes; ``inputs`` are the
    files it ``#include``'s (name without ``.typ`` -> text).  A Chinese note is given a CJK font's folder."""
    try:
        import typst
    except ImportError:
        raise NotInstalledError("the typst package", "compiling Typst notes to PDF", TYPST_INSTALL) from None
    fonts = [cjk_font_folder()] if lang == "zh" else []
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "tconvcalc-document.typ"
        source.write_text(document, encoding="utf-8")
        for name, text in (inputs or {}).items():
            (Path(folder) / f"{name}.typ").write_text(text, encoding="utf-8")
        try:
            return typst.compile(str(source), root=folder, font_paths=fonts)
        except typst.TypstError as error:
            raise TconvcalcError(f"typst could not compile the document ({str(error).splitlines()[0]}), the "
                                 f"generated Typst must compile; please report this with the command you ran") from None
