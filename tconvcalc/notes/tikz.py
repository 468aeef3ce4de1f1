"""The note's figure in the style of conv_arithmetic, as TikZ: the input grid, the zero-inserted and padded
grid with the kernel's taps at output 0, and the output grid; drawn for 1-D and 2-D layers from C's structure
(:func:`tconvcalc.model.structure.zero_insertion_cells`).

>>> from tconvcalc.model.spec import Layer
>>> tikz_figure(Layer.from_pytorch(2, 3, 2)).splitlines()[-1]
'\\\\end{tikzpicture}'
"""

from __future__ import annotations

from .bodies import _axes_values
from .text import phrase
from .writers import LatexWriter
from ..model.structure import figure_axes, zero_insertion_cells
from ..model.spec import Layer


def tikz_figure(layer: Layer, lang: str = "en") -> str:
    """Input grid → zero-inserted and padded grid with the kernel at output 0 → output grid."""
    axes = figure_axes(layer)
    grids = [zero_insertion_cells(a) if a is not None else ["x"] for a in axes]
    rows_in = axes[0].i if axes[0] is not None else 1
    rows_out = axes[0].o if axes[0] is not None else 1
    cols_in, cols_out = axes[1].i, axes[1].o
    size = min(0.5, 12.0 / (cols_in + len(grids[1]) + cols_out + 4))
    lines = [f"\\begin{{tikzpicture}}[x={size:.3f}cm, y={size:.3f}cm, every node/.style={{font=\\small}}]"]
    style = {"x": "fill=blue!35", "zero": "fill=white", "pad": "fill=white, dashed"}

    def cell(x0, y0, kind):
        lines.append(f"  \\draw[{style[kind]}] ({x0},{-y0}) rectangle ++(1,-1);")

    # Input grid.
    for r in range(rows_in):
        for c in range(cols_in):
            cell(c, r, "x")
    lines.append(f"  \\node[below] at ({cols_in / 2},{-rows_in - 0.3}) "
                 f"{{{phrase(lang, 'figure.input')} ${_axes_values(layer, 'i')}$}};")
    # Zero-inserted, padded grid with the kernel's taps for output 0.
    x0 = cols_in + 2
    row_kinds, col_kinds = grids[0], grids[1]
    for r, rk in enumerate(row_kinds):
        for c, ck in enumerate(col_kinds):
            kind = "x" if rk == "x" and ck == "x" else ("pad" if "pad" in (rk, ck) else "zero")
            cell(x0 + c, r, kind)
    row_taps = [a * axes[0].d for a in range(axes[0].k)] if axes[0] is not None else [0]
    col_taps = [a * axes[1].d for a in range(axes[1].k)]
    for r in row_taps:
        for c in col_taps:
            lines.append(f"  \\fill[black, opacity=0.35] ({x0 + c},{-r}) rectangle ++(1,-1);")
    lines.append(f"  \\draw[very thick] ({x0 + col_taps[0]},{-row_taps[0]}) rectangle "
                 f"({x0 + col_taps[-1] + 1},{-row_taps[-1] - 1});")
    lines.append(f"  \\node[above] at ({x0 + len(col_kinds) / 2},0.3) "
                 f"{{{phrase(lang, 'figure.stretched')}}};")
    # Output grid with output 0 marked.
    x1 = x0 + len(col_kinds) + 2
    for r in range(rows_out):
        for c in range(cols_out):
            lines.append(f"  \\draw[fill=cyan!{60 if (r, c) == (0, 0) else 20}] ({x1 + c},{-r}) rectangle ++(1,-1);")
    lines.append(f"  \\node[below] at ({x1 + cols_out / 2},{-rows_out - 0.3}) "
                 f"{{{phrase(lang, 'figure.output')} ${_axes_values(layer, 'o')}$}};")
    lines.append(f"  \\draw[->, thick] ({cols_in + 0.3},{-rows_in / 2}) -- ({x0 - 0.3},{-rows_in / 2});")
    lines.append(f"  \\draw[->, thick] ({x1 - 1.7},{-rows_out / 2}) -- ({x1 - 0.3},{-rows_out / 2});")
    lines.append("\\end{tikzpicture}")
    return "\n".join(lines)


def figure_section(writer: LatexWriter, layer: Layer) -> None:
    picture = tikz_figure(layer, writer.lang)
    writer.figure(picture, writer.say("figure.caption", i=_axes_values(layer, "i"), o=_axes_values(layer, "o")))
