"""The notes paginate like a careful author's: compiled, then read back page by page.

Each documented ``latex`` example (and the issue's 2-D ``--figure`` note) is compiled in English and Chinese with
markers added to the source - a ``\\label`` after every heading, at every section's end and inside every float - so
the ``.aux`` gives each section's pages and each float's page; ``pdftotext -bbox`` gives where each page's text ends.
Checked: no page but the last is more than a third empty (measured against ``\\textheight``, which TeX reports),
every table and figure lies within its section's pages, and no heading stands at a page's foot without at least
two lines of its section under it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape

import pytest

from tconvcalc.notes.engines import TEX_INSTALL, ZH_INSTALL, tex_engine
from tconvcalc.notes.writers import KEEP_WITH_NEXT
from tconvcalc.notes import sections
from tconvcalc.notes.text import phrase
from tconvcalc.reports.symbolic import notes
from tconvcalc.model.spec import Layer

from test_notes import compile_with

pytestmark = pytest.mark.slow

# (layer as PyTorch's i, k, s, p, op per axis, sections, documented example it stands for)
EXAMPLES = {
    "size,table 1-D": (((2,), (3,), (2,), (0,), (0,)), "size,table", False),  # latex --in 2 --k 3 --s 2 --ndim 1
    "figure": (((2, 2), (3, 3), (2, 2), (0, 0), (0, 0)), None, True),  # --in 2 --k 3 --s 2 --figure --standalone
    "up1": (((4, 4), (4, 4), (2, 2), (1, 1), (0, 0)), None, False),  # --in 4,4 --k 4,4 --s 2,2 --p 1,1 --numbered
    "render.sh": (((2, 2), (3, 3), (2, 2), (1, 1), (1, 1)), None, True),  # examples/notes/render.sh
    "figure zh": (((2, 2), (3, 3), (1, 1), (0, 0), (0, 0)), None, True),  # --in 2 --k 3 --figure --lang zh --pdf
}


def marked(document: str) -> str:
    """The document with page markers: tc-sec-N after heading N, tc-end-N where its section ends, tc-float-N-M
    inside the M-th float of section N (a \\label in a float records the page the float lands on)."""
    out, section, floats = [], 0, 0
    for line in document.splitlines():
        if line.startswith(KEEP_WITH_NEXT) or line.startswith("\\end{document}"):
            if section:
                out.append(f"\\label{{tc-end-{section}}}")
        out.append(line)
        if line.startswith("\\subsection*"):
            section += 1
            out.append(f"\\label{{tc-sec-{section}}}")
        elif line.startswith("\\caption"):
            floats += 1
            out.append(f"\\label{{tc-float-{section}-{floats}}}")
    out.insert(out.index("\\begin{document}") + 1, "\\typeout{tc-textheight=\\the\\textheight}")
    return "\n".join(out) + "\n"


def label_pages(aux: str) -> dict[str, int]:
    return {name: int(page) for name, page in re.findall(r"\\newlabel\{(tc-[\w-]+)\}\{\{[^{}]*\}\{(\d+)\}", aux)}


def page_words(pdf) -> list[list[tuple[float, float, str]]]:
    """Per page, each word's (top, bottom, text) in PDF points, from poppler's pdftotext -bbox."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for page in html.split("<page ")[1:]:
        pages.append([(float(top), float(bottom), unescape(text)) for top, bottom, text in
                      re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', page)])
    return pages


def compiled(tmp_path, name: str, lang: str):
    sizes, what, figure = EXAMPLES[name]
    layer = Layer.from_pytorch(*sizes)
    document = notes(layer, sections(what, figure), standalone=True, lang=lang, numbered=True).text
    engine = tex_engine(lang)
    if engine is None or shutil.which("pdftotext") is None:
        pytest.skip(f"a TeX engine and pdftotext are needed ({ZH_INSTALL if lang == 'zh' else TEX_INSTALL}, "
                    f"apt-get install poppler-utils)")
    log = compile_with(engine, marked(document), tmp_path)
    points = float(re.search(r"tc-textheight=([\d.]+)pt", log).group(1)) * 72 / 72.27  # TeX pt -> PDF bp
    return document, label_pages((tmp_path / "doc.aux").read_text()), page_words(tmp_path / "doc.pdf"), points


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", list(EXAMPLES))
def test_notes_fill_their_pages_keep_floats_in_their_sections_and_no_heading_at_a_foot(tmp_path, name, lang):
    document, labels, pages, height = compiled(tmp_path, name, lang)
    # the page number is each page's lowest word; the text block starts at the first page's highest word
    top = min(word[0] for word in pages[0])
    for number, words in enumerate(pages[:-1], start=1):
        content = [word for word in words if word[2] != str(number) or word[0] < top + height]
        empty = (top + height - max(word[1] for word in content)) / height
        assert empty <= 1 / 3, f"page {number} of {len(pages)} is {empty:.0%} empty"
    headings = [label for label in labels if label.startswith("tc-sec-")]
    assert len(headings) == document.count("\\subsection*")
    for label in headings:
        section = label.removeprefix("tc-sec-")
        start, end = labels[label], labels[f"tc-end-{section}"]
        for float_label in (f for f in labels if f.startswith(f"tc-float-{section}-")):
            assert start <= labels[float_label] <= end, f"{float_label} on page {labels[float_label]}, its section " \
                                                        f"on {start}-{end}"
    titles = [phrase(lang, f"title.{s}") for s in sections(EXAMPLES[name][1], EXAMPLES[name][2])]
    for number, words in enumerate(pages, start=1):
        lines: dict[int, str] = {}
        for word_top, _, text in sorted(words, key=lambda word: word[0]):
            lines[round(word_top)] = lines.get(round(word_top), "") + text  # a line's words, spaces dropped
        tops = sorted(lines)
        for title in titles:
            plain = re.sub(r"\s|\$.*", "", title)  # the words before the title's first formula
            for n, line_top in enumerate(tops):
                if lines[line_top].startswith(plain):
                    assert len(tops) - n - 1 >= 3, f"heading {title!r} at the foot of page {number}"  # 2 lines + number
