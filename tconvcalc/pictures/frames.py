"""The frames of an animation: which cells each step lights, view by view, read off C's triples.

Standard library only (beside the model and the operator), so every frame is testable without
matplotlib; :mod:`tconvcalc.pictures.animate` only draws what is here.  Each view walks C one way:

- ``scatter``: a frame per input cell ``n`` (row ``n`` of C).  ``x[n]`` stamps the dilated kernel onto
  the full scatter at ``n*s + a*d`` (the operator's row of the uncropped layer); the stamps inside the
  output window are row ``n``'s triples, the others fall on the cropped border.
- ``direct``: a frame per output cell ``m`` (column ``m`` of C): the flipped kernel at offset ``m`` of the
  zero-inserted, padded input, stride 1; the cells under it that hold samples are column ``m``'s pairs.
- ``phases``: a frame per sub-pixel phase: the outputs with ``(m + b) mod s = r`` on every axis, the
  taps with ``a*d ≡ r (mod s)``, and the columns of C those outputs are.
- ``conv``: a frame per row of C read as the forward convolution whose transpose the layer is
  (conv_arithmetic's non-transposed figures): the kernel at ``n*s - b`` over the padded signal gives
  output ``n``.

A cell is a tuple with one index per axis, row-major; a triple is ``(n, m, a)``, each such a tuple.

>>> from tconvcalc.model.spec import Layer
>>> animation = frames_of(Layer.from_pytorch(2, 3, 2, p=1, ndim=1), "scatter")
>>> [(frame.focus, frame.triples) for frame in animation.frames]
[((0,), (((0,), (0,), (1,)), ((0,), (1,), (2,)))), ((1,), (((1,), (1,), (0,)), ((1,), (2,), (1,))))]
>>> animation.frames[0].lit["scatter"]      # every tap stamps; position 0 is the cropped border
((0,), (1,), (2,))
"""

from __future__ import annotations

from collections import Counter, namedtuple
from itertools import product
from math import prod

from ..errors import ParameterError
from ..model.structure import (column_pairs, input_range, padded_position, scatter_cells, scatter_index,
                               zero_insertion_cells)
from ..model.spec import Axis, Layer, axes_text

VIEWS = ("scatter", "direct", "phases", "conv")

# Beyond this many cells along an axis a frame is no longer legible, and the frame count explodes.
MAX_CELLS = 64

# A cell's kind on a grid of several axes is the first of its axes' kinds in this order: a cell
# cropped (or padding) along one axis is cropped, a cell is a sample only if it is one on every axis.
_KIND_ORDER = ("crop", "pad", "append", "zero", "x", "out", "tap")


class Grid(namedtuple("Grid", "name label start kinds")):
    """A grid of a picture: ``kinds[axis][t]`` is the kind of position ``start[axis] + t`` on that axis
    (``'x'`` sample, ``'zero'`` inserted zero, ``'pad'`` padding, ``'out'`` output, ``'crop'`` cropped,
    ``'append'`` appended zero, ``'tap'`` kernel tap)."""

    __slots__ = ()

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(kinds) for kinds in self.kinds)

    def cells(self):
        """Every cell in row-major order, in the grid's coordinates."""
        return product(*(range(start, start + len(kinds)) for start, kinds in zip(self.start, self.kinds)))

    def kind(self, cell) -> str:
        return min((kinds[c - start] for c, start, kinds in zip(cell, self.start, self.kinds)),
                   key=_KIND_ORDER.index)


class Frame(namedtuple("Frame", "focus triples lit window")):
    """One step: ``focus`` the cell (or phase residues) it is about; ``triples`` C's ``(n, m, a)`` it shows;
    ``lit`` the cells it highlights, by grid name; ``window`` the kernel's ``(grid, first cell, size)`` on
    the grid it slides over, or None."""

    __slots__ = ()


Animation = namedtuple("Animation", "view layer grids frames paddings")


def frame_count(layer: Layer, view: str) -> int:
    """How many frames a view has, arithmetically (before anything is listed)."""
    per_axis = {"scatter": "i", "conv": "i", "direct": "o", "phases": "phase_count"}[_view(view)]
    return prod(layer.field(per_axis))


def _view(view: str) -> str:
    if view not in VIEWS:
        raise ParameterError(f"view {view!r} is not one the animation draws, the views are {', '.join(VIEWS)}; "
                             f"pick one of those")
    return view


def _conv_span(axis: Axis, padding: tuple[int, int] | None) -> tuple[int, int]:
    """``[start, stop)`` of the padded signal the forward view draws, in output positions: the signal
    ``[0, o)`` and every position the kernel reaches, ``[-b, F - b)``, or the padding given (the gallery
    draws conv_arithmetic's padding, whose last cells the kernel may never reach)."""
    before, after = padding or (0, 0)
    return min(0, -axis.b, -before), max(axis.o, axis.full - axis.b, axis.o + after)


def longest_side(axis: Axis, view: str, padding: tuple[int, int] | None = None) -> int:
    """The most cells any grid of ``view`` has along this axis, in O(1) at any size."""
    view = _view(view)
    if view == "scatter":
        start, stop = axis.scatter_extent
        return max(axis.i, axis.k, stop - start)
    if view == "direct":  # the zero-inserted, padded input
        return max(axis.padded_length, axis.k)
    if view == "phases":
        return max(axis.i, axis.k, axis.o)
    start, stop = _conv_span(axis, padding)
    return max(stop - start, axis.k, axis.i)


def check_drawable(layer: Layer, view: str, paddings=None) -> None:
    """Refuse, in one sentence and before listing a cell, a layer too large (or of too many axes) to draw."""
    _view(view)
    if layer.ndim > 2:
        raise ParameterError(f"the animation draws 1-D and 2-D layers but this one is {layer.ndim}-D, a frame "
                             f"shows two axes; animate one or two of its axes")
    for axis, padding in zip(layer.axes, paddings or (None,) * layer.ndim):
        longest = longest_side(axis, view, padding)
        if longest > MAX_CELLS:
            raise ParameterError(f"the animation's grids would be {longest} cells along an axis, more than the "
                                 f"{MAX_CELLS} a frame shows legibly; animate a smaller layer, draw it once with "
                                 f"tconvcalc figure, or count its overlaps at any size with tconvcalc overlap")


# --- one axis -----------------------------------------------------------------------------------------
# An axis frame: (focus, triples [(n, m, a)], lit {grid: [positions]}, window (first, size) or None).
# A layer's frames are the product of its axes' frames, as C is the product of its axes' matrices.

def _row(axis: Axis, n: int) -> list[tuple[int, int, int]]:
    """Row ``n`` of C: ``(n, m, a)`` for every tap that lands inside the output."""
    span = input_range(axis, n)
    if span is None:
        return []
    taps, outputs = span
    return [(n, m, a) for a, m in zip(range(taps.start, taps.stop), range(outputs.start, outputs.stop, outputs.step))]


def _column(axis: Axis, m: int) -> list[tuple[int, int, int]]:
    return [(n, m, a) for n, a in column_pairs(axis, m)]


def _scatter_axis(axis: Axis):
    for n in range(axis.i):
        stamps = _row(axis.uncropped, n)  # every tap, at its full-scatter position n*s + a*d
        yield n, _row(axis, n), {"input": [n], "kernel": [a for _, _, a in stamps],
                                  "scatter": [f for _, f, _ in stamps]}, None


def _direct_axis(axis: Axis):
    for m in range(axis.o):
        column = _column(axis, m)
        yield m, column, {"padded": [padded_position(axis, n) for n, _, _ in column],
                          "kernel": [a for _, _, a in column], "output": [m]}, (m, axis.span)


def _phases_axis(axis: Axis):
    for t in range(axis.phase_count):
        phase = axis.phase(axis.phase_residue(t))
        outputs = range(phase.first, axis.o, axis.s)
        column = [triple for m in outputs for triple in _column(axis, m)]
        yield phase.residue, column, {"input": sorted({n for n, _, _ in column}), "kernel": list(phase.taps),
                                      "output": list(outputs)}, None


def _conv_axis(axis: Axis):
    for n in range(axis.i):
        row = _row(axis, n)
        yield n, row, {"padded": [m for _, m, _ in row], "kernel": [a for _, _, a in row], "output": [n]}, \
            (scatter_index(axis, n, 0), axis.span)  # the window starts where tap 0 lands


_AXIS_FRAMES = {"scatter": _scatter_axis, "direct": _direct_axis, "phases": _phases_axis, "conv": _conv_axis}


def _combine(parts) -> Frame:
    """A layer's frame from one frame per axis: the product of their triples and highlighted cells."""
    focus, triples, lit, windows = zip(*parts)
    names = lit[0].keys()
    window = None
    if windows[0] is not None:  # the kernel slides over the padded grid (direct and conv views)
        window = "padded", tuple(w[0] for w in windows), tuple(w[1] for w in windows)
    return Frame(tuple(focus), tuple(tuple(zip(*combo)) for combo in product(*triples)),
                 {name: tuple(product(*(axis_lit[name] for axis_lit in lit))) for name in names}, window)


# --- grids ----------------------------------------------------------------------------------------------

def grids_of(layer: Layer, view: str, paddings=None) -> tuple[Grid, ...]:
    """The grids a view draws, each cell's kind from the model (sizes checked by the caller)."""
    paddings = paddings or (None,) * layer.ndim
    axes = layer.axes

    def grid(name, label, starts, kinds):
        return Grid(name, f"{label} {axes_text([len(k) for k in kinds])}", tuple(starts), tuple(kinds))

    inputs = grid("input", "input", [0] * layer.ndim, [["x"] * a.i for a in axes])
    kernel = grid("kernel", "kernel", [0] * layer.ndim, [["tap"] * a.k for a in axes])
    outputs = grid("output", "output", [0] * layer.ndim, [["out"] * a.o for a in axes])
    if view == "scatter":
        return inputs, kernel, grid("scatter", "full scatter", [a.scatter_extent[0] for a in axes],
                                    [scatter_cells(a) for a in axes])
    if view == "direct":
        return (grid("padded", "zero-inserted, padded input", [0] * layer.ndim,
                     [zero_insertion_cells(a) for a in axes]),
                kernel, outputs)
    if view == "phases":
        return inputs, kernel, outputs
    spans = [_conv_span(a, p) for a, p in zip(axes, paddings)]
    signal = grid("padded", "padded input", [start for start, _ in spans],
                  [["x" if 0 <= u < a.o else "pad" for u in range(*span)] for a, span in zip(axes, spans)])
    # the forward convolution's own names: its output n is the layer's input n
    return signal, kernel, grid("output", "output", [0] * layer.ndim, [["out"] * a.i for a in axes])


def frames_of(layer: Layer, view: str = "scatter", paddings=None) -> Animation:
    """Every frame of ``view`` for a 1-D or 2-D layer (see the module's docstring), after checking its size.

    ``paddings``: for the ``conv`` view, the forward convolution's ``(before, after)`` padding per axis
    when more is to be drawn than the kernel reaches (conv_arithmetic's odd case).
    """
    check_drawable(layer, view, paddings)
    per_axis = [list(_AXIS_FRAMES[view](axis)) for axis in layer.axes]
    frames = tuple(_combine(parts) for parts in product(*per_axis))
    return Animation(view, layer, grids_of(layer, view, paddings), frames, paddings)


def accumulated(animation: Animation):
    """For each frame, how many stamps each full-scatter cell has received so far (the overlap growing;
    at the end, inside the output window, the number of non-zeros in each column of C)."""
    counts: Counter = Counter()
    for frame in animation.frames:
        counts.update(frame.lit.get("scatter", ()))
        yield dict(counts)


def caption(animation: Animation, frame: Frame) -> str:
    """The line over a frame: what it shows, with the model's numbers."""
    def at(cell):
        return ",".join(map(str, cell))

    taps = len(frame.triples)
    if animation.view == "scatter":
        kept = taps
        cropped = len(frame.lit["scatter"]) - kept
        tail = f", {cropped} on the cropped border" if cropped else ""
        return f"x[{at(frame.focus)}] stamps the kernel: {kept} output cells{tail}"
    if animation.view == "direct":
        return f"y[{at(frame.focus)}] = sum over {taps} taps that meet input samples"
    if animation.view == "phases":
        kernel = len(frame.lit["kernel"])
        return f"phase r = ({at(frame.focus)}): {len(frame.lit['output'])} outputs, each from up to {kernel} taps"
    return f"output [{at(frame.focus)}] = sum over {taps} taps inside the signal"
