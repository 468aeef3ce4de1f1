"""What a note on one transposed convolution contains: its sections, in order, and their titles.

Standard library only, so the command line can list the sections without loading SymPy;
:mod:`.bodies` writes each section and :mod:`.document` puts them together.

>>> DEFAULT_SECTIONS
('size', 'matrix', 'formulas', 'equivalence', 'table')
>>> sections("table,size", figure=True)
('table', 'size', 'figure')
"""

from __future__ import annotations

from ..errors import ParameterError

# In order; their titles, in each language, are in tconvcalc.notes.text ("title.<section>").
DEFAULT_SECTIONS = ("size", "matrix", "formulas", "equivalence", "table")
# Only when asked for: the figure (it draws 1-D and 2-D layers), the backward pass (it runs NumPy's checks) and the
# inverse (it measures with NumPy).
SECTIONS = (*DEFAULT_SECTIONS, "figure", "gradient", "inverse")


def sections(what: str | None = None, figure: bool = False) -> tuple[str, ...]:
    """The sections a comma list names (default: all but the figure), plus the figure when asked."""
    chosen = list(DEFAULT_SECTIONS) if what is None else [w.strip() for w in what.split(",") if w.strip()]
    if not chosen and not figure:
        raise ParameterError(f"no section named in {what!r}, a note needs at least one; pick from "
                             f"{', '.join(SECTIONS)}, comma separated")
    unknown = [w for w in chosen if w not in SECTIONS]
    if unknown:
        raise ParameterError(f"section {', '.join(map(repr, unknown))} is unknown, the sections are "
                             f"{', '.join(SECTIONS)}; pick from those, comma separated")
    if figure and "figure" not in chosen:
        chosen.append("figure")
    return tuple(chosen)
