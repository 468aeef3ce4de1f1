"""Pictures with matplotlib (the optional ``plot`` extra; without it, :class:`NotInstalledError`).

The overlap heatmap, and grid diagrams in the style of conv_arithmetic: the
input, the zero-inserted and padded input with the kernel at its first
position, the kernel, and the output.  Same geometry as the TikZ figures.

>>> from tconvcalc.design.overlap import analyse
>>> from tconvcalc.model.spec import Layer
>>> overlap_figure(analyse([Layer.from_pytorch(4, 3, 2)])).axes[0].get_title()
'Contributions per output (9): checkerboard, interior [1, 2]'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import NotInstalledError, ParameterError
from ..model.structure import figure_axes, zero_insertion_cells
from ..model.spec import Layer

if TYPE_CHECKING:  # checked as installed: the functions that make a figure call _require() first
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle
else:
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only; never needs a display
        import matplotlib.pyplot as plt
        from matplotlib.patches import Rectangle
    except ImportError:  # pragma: no cover - exercised by the message test via monkeypatching
        plt = None


def _require() -> None:
    if plt is None:
        raise NotInstalledError(
            "matplotlib", "drawing pictures",
            "python -m pip install 'tconvcalc[plot]' (in a checkout: python -m pip install '.[plot]')")


FORMATS = ("png", "svg")


def render(figure, fmt: str) -> bytes:
    """The picture as ``fmt`` ("png" or "svg") bytes; the caller writes them where it wants."""
    if fmt not in FORMATS:
        raise ParameterError(f"format {fmt!r} is not a picture format, pictures are {' or '.join(FORMATS)}; "
                             f"use one of those")
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, dpi=150, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def overlap_figure(report):
    """A heatmap of contributions per output position, numbers in the cells when they fit."""
    _require()
    import numpy as np

    from ..design.overlap import grid as outer

    *leading, columns = report.axis_counts  # the first plane of the grid, from the per-axis counts
    rows = leading[-1] if leading else [1]
    grid = outer([np.asarray(rows), np.asarray(columns)]) * int(np.prod([axis[0] for axis in leading[:-1]]))
    rows, cols = grid.shape
    figure, ax = plt.subplots(figsize=(min(12, 0.45 * cols + 1.5), min(10, 0.45 * rows + 1.2)))
    image = ax.imshow(grid, cmap="viridis", vmin=report.min, vmax=report.max)
    if rows * cols <= 900:
        for (r, c), value in np.ndenumerate(grid):
            shade = image.norm(value)
            ax.text(c, r, str(value), ha="center", va="center", fontsize=8,
                    color="black" if shade > 0.6 else "white")
    verdict = "uniform interior" if report.uniform_overlap else f"checkerboard, interior {report.interior_values}"
    ax.set_title(f"Contributions per output ({'×'.join(map(str, report.output_size))}): {verdict}")
    ax.set_xticks([])
    ax.set_yticks([])
    figure.colorbar(image, ax=ax, shrink=0.8, label="(input, tap) pairs")
    return figure


def _grid(ax, origin, shape, filled, colour, label):
    """Cells at ``origin`` of ``shape``; ``filled`` marks the cells that hold samples.  One mesh per grid:
    a patch per cell made a 40-cell-wide figure take seconds."""
    import numpy as np
    from matplotlib.colors import ListedColormap

    x0, y0 = origin
    rows, cols = shape
    marks = np.array([[filled(r, c) for c in range(cols)] for r in range(rows)], dtype=float)
    ax.pcolormesh(x0 + np.arange(cols + 1), y0 - np.arange(rows + 1), marks, cmap=ListedColormap(["white", colour]),
                  vmin=0, vmax=1, edgecolors="#555555", linewidth=0.8)
    ax.text(x0 + cols / 2, y0 + 0.4, label, ha="center", va="bottom", fontsize=10)
    return x0 + cols + 1.5


def grid_figure(layer: Layer):
    """Input, zero-inserted and padded input (kernel at its first position), kernel, output."""
    axes = figure_axes(layer)  # bad geometry is said first, installed or not
    _require()

    def extent(axis):
        return (1, 0, 0, 0) if axis is None else (axis.i, axis.k, axis.o, axis.s)

    # The zero-inserted input, padded as the equivalent stride-1 convolution needs.
    def stretched(axis):
        cells = ["x"] if axis is None else zero_insertion_cells(axis)
        return len(cells), lambda n: cells[n] == "x"

    (rows, r_has), (cols, c_has) = stretched(axes[0]), stretched(axes[1])
    i_rows, k_rows, o_rows = (extent(axes[0])[:3])
    i_cols, k_cols, o_cols = (extent(axes[1])[:3])
    k_rows, o_rows = max(k_rows, 1), max(o_rows, 1)
    def size(r: int, c: int) -> str:
        return f"{c}" if layer.ndim == 1 else f"{r}×{c}"

    figure, ax = plt.subplots(figsize=(0.32 * (i_cols + cols + k_cols + o_cols + 8), 0.32 * (rows + 3)))
    top = rows
    x = _grid(ax, (0, top), (i_rows, i_cols), lambda r, c: True, "#4c72b0", f"input {size(i_rows, i_cols)}")
    start = x
    x = _grid(ax, (x, top), (rows, cols), lambda r, c: r_has(r) and c_has(c), "#4c72b0",
              f"zero-inserted, padded {size(rows, cols)}")
    span_r = axes[0].span if axes[0] else 1
    span_c = axes[1].span
    ax.add_patch(Rectangle((start, top - span_r), span_c, span_r, facecolor="#dd8452", alpha=0.35,
                           edgecolor="#dd8452", linewidth=2))
    x = _grid(ax, (x, top), (k_rows, k_cols), lambda r, c: True, "#dd8452", f"kernel {size(k_rows, k_cols)} (flipped)")
    _grid(ax, (x, top), (o_rows, o_cols), lambda r, c: True, "#55a868", f"output {size(o_rows, o_cols)}")
    ax.set_xlim(-0.5, x + o_cols + 0.5)
    ax.set_ylim(top - max(rows, o_rows) - 0.5, top + 1.5)
    ax.set_aspect("equal")
    ax.axis("off")
    return figure


#: Output channels drawn per flagged layer: the ones whose response to a constant spreads most.
CHECKERBOARD_CHANNELS = 4


def checkerboard_figure(layers):
    """Per flagged layer, one period of its output for an all-ones input: a heatmap per output channel (the worst
    few), the phases as cells, so the pattern a constant input prints is what you see.  ``layers`` are
    ``(name, response, spread)`` with ``response`` ``(C_out, *s)`` (:func:`~tconvcalc.checkerboard.analysis.
    ones_response`); a 1-D layer is one row, a 3-D one shows its first plane."""
    _require()
    import numpy as np

    rows = max(len(layers), 1)
    figure, axes = plt.subplots(rows, CHECKERBOARD_CHANNELS, figsize=(2.2 * CHECKERBOARD_CHANNELS, 2.4 * rows),
                                squeeze=False)
    for ax in axes.ravel():
        ax.set_axis_off()
    for row, (name, response, spread) in enumerate(layers):
        response = np.asarray(response, dtype=np.float64)
        planes = response.reshape(response.shape[0], 1, -1) if response.ndim == 2 else response.reshape(
            response.shape[0], *response.shape[1:3], -1)[..., 0]
        ranges = planes.reshape(planes.shape[0], -1)
        worst = np.argsort(-(ranges.max(axis=1) - ranges.min(axis=1)), kind="stable")[:CHECKERBOARD_CHANNELS]
        for column, channel in enumerate(worst):
            ax = axes[row, column]
            ax.set_axis_on()
            plane = planes[channel]
            ax.imshow(plane, cmap="viridis", interpolation="nearest")
            ax.set_xticks(range(plane.shape[1]))
            ax.set_yticks(range(plane.shape[0]))
            if plane.size <= 16:
                middle = (plane.max() + plane.min()) / 2
                for (i, j), value in np.ndenumerate(plane):
                    ax.text(j, i, f"{value:.3g}", ha="center", va="center", fontsize=7,
                            color="black" if value > middle else "white")
            ax.set_title((f"{name}: spread {spread:.3g}\n" if column == 0 else "\n") + f"channel {channel}",
                         fontsize=8, loc="left")
        axes[row, 0].set_ylabel("phase", fontsize=8)
    figure.suptitle("One period of the output for an all-ones input (each cell a phase)", fontsize=10)
    figure.tight_layout()
    return figure
