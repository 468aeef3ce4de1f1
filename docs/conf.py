"""Sphinx configuration: the pages are MyST Markdown, the API page autodoc over the package's docstrings.

Build with warnings as errors: ``sphinx-build -W -b html docs docs/_build/html`` (after ``pip install '.[docs]'``).
"""

from __future__ import annotations

import sys
from pathlib import Path

# The checkout's own package, whichever tconvcalc is installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

project = "tconvcalc"
author = "the tconvcalc authors"
copyright = "the tconvcalc authors"  # noqa: A001 (Sphinx's name)

extensions = ["myst_parser", "sphinx.ext.autodoc"]
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3  # [text](page.md#a-heading) links to a heading, as GitHub's anchors do
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
html_theme = "furo"
html_title = "tconvcalc"
html_static_path: list[str] = []

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": False}
