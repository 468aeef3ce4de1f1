"""Build the explorer page (``tconvcalc explore``) and the static grid of ``tc.Layer`` in Jupyter.

The page is ``page.html`` with ``page.css``, ``model.js``, ``view.js`` and the layer's PyTorch values put in
its place-holders; every file is package data, read when a page is built.
"""

from __future__ import annotations

import html
import json
from importlib import resources
from itertools import product

from ..errors import ParameterError
from ..model.structure import axis_taps
from ..model.spec import Axis, Layer, axes_text

# Beyond this many cells along an axis a page of cells is no longer readable; model.js has the same number.
MAX_CELLS = 32
PARAMETERS = ("input_size", "kernel_size", "stride", "padding", "output_padding", "dilation")


def drawn_cells(axis: Axis) -> int:
    """Cells the page draws along an axis: the scatter's extent (the full scatter and any zeros appended), which
    is never shorter than the input.

    >>> drawn_cells(Axis.from_pytorch(1, 1, s=3, p=1, op=2))   # full scatter 1, one zero appended
    2
    """
    start, stop = axis.scatter_extent
    return stop - start


def check_drawable(layer: Layer) -> None:
    """Refuse, with the page's own sentence, a layer the page would not draw: 3-D, or too many cells."""
    if layer.ndim > 2:
        raise ParameterError(f"the page draws 1-D and 2-D layers but this one is {layer.ndim}-D, a page shows two "
                             f"axes; explore one or two of its axes")
    cells = max(drawn_cells(axis) for axis in layer.axes)
    if cells > MAX_CELLS:
        raise ParameterError(f"the page's grid would be {cells} cells along an axis, more than the {MAX_CELLS} it "
                             f"draws; see this layer with tconvcalc overlap or tconvcalc figure instead, or explore "
                             f"a smaller one")


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def initial_values(layer: Layer) -> dict:
    """The fields' first values: the layer's PyTorch parameters per axis."""
    axes = []
    for axis in layer.axes:
        if axis.pytorch is None:
            raise ParameterError(f"the crop ({axis.b}, {axis.e}) has no PyTorch padding and output_padding, the "
                                 f"page's fields are PyTorch's; build the layer with Layer.from_pytorch")
        p, op = axis.pytorch
        axes.append(dict(zip(PARAMETERS, (axis.i, axis.k, axis.s, p, op, axis.d))))
    return {"ndim": layer.ndim, "axes": axes}


def page_html(layer: Layer) -> str:
    """The whole page for ``layer``, its fields set to the layer's values."""
    check_drawable(layer)
    initial = json.dumps(initial_values(layer)).replace("</", "<\\/")
    text = _asset("page.html")
    for mark, content in (("/*STYLE*/", _asset("page.css")), ("/*INITIAL*/", initial),
                          ("/*MODEL*/", _asset("model.js")), ("/*VIEW*/", _asset("view.js"))):
        text = text.replace(mark, content.rstrip("\n"), 1)
    return text


# --- the static grid for Jupyter ------------------------------------------------------------------------
def _label(name: str, index) -> str:
    return f"{name}[{','.join(map(str, index))}]"


_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def tap_label(taps) -> str:
    """A kernel tap as the page prints it: the package's ``w_{1,0}`` with subscript digits, ``w₁,₀``.

    >>> tap_label((1, 0)), tap_label((12,))
    ('w₁,₀', 'w₁₂')
    """
    return "w" + ",".join(str(a).translate(_SUBSCRIPTS) for a in taps)


def _phase(layer: Layer, m) -> str:
    return ",".join(str(axis.output_phase(j)) for axis, j in zip(layer.axes, m))


def _cell(kind: str, text: str, title: str) -> str:
    return f'<td class="{kind}" title="{html.escape(title)}">{html.escape(text)}</td>'


def layer_html(layer: Layer) -> str:
    """A static HTML grid of the layer (no script, so it shows in any notebook): the input and output cells,
    each output showing how many (input, tap) pairs reach it, and a tooltip with the page's hover sentence.

    >>> "y[0] = x[0]·w₀   (phase r = 0)" in layer_html(Layer.from_pytorch(2, 3, 2, ndim=1))
    True
    """
    try:
        check_drawable(layer)
    except ParameterError as error:
        return f"<p>{html.escape(str(error))}</p>"
    triples = [axis_taps(axis) for axis in layer.axes]
    # input index -> [(output index, taps)], and output index -> [(input index, taps)]
    reached: dict[tuple[int, ...], list[tuple[tuple[int, ...], tuple[int, ...]]]] = {}
    sources: dict[tuple[int, ...], list[tuple[tuple[int, ...], tuple[int, ...]]]] = {}
    for combo in product(*triples):
        n, m, a = (tuple(t[j] for t in combo) for j in range(3))
        reached.setdefault(n, []).append((m, a))
        sources.setdefault(m, []).append((n, a))
    shape_in, shape_out = layer.input_size, layer.output_size

    def rows(shape, make):
        if len(shape) == 1:
            return "<tr>" + "".join(make((c,)) for c in range(shape[0])) + "</tr>"
        return "".join("<tr>" + "".join(make((r, c)) for c in range(shape[1])) + "</tr>" for r in range(shape[0]))

    def input_cell(n):
        targets = reached.get(n, [])
        title = (f"{_label('x', n)} reaches "
                 + ", ".join(f"{_label('y', m)} through {tap_label(a)}" for m, a in targets)
                 if targets else f"{_label('x', n)} reaches no output: the crop removes everything it scatters to")
        return _cell("in", "", title)

    def output_cell(m):
        terms = sources.get(m, [])
        title = (f"{_label('y', m)} = " + " + ".join(f"{_label('x', n)}·{tap_label(a)}" for n, a in terms)
                 if terms else f"{_label('y', m)} = 0: no input reaches it") + f"   (phase r = {_phase(layer, m)})"
        return _cell(f"out count-{min(len(terms), 4)}", str(len(terms)), title)

    p, op = zip(*(axis.pytorch or axis.padding_pair for axis in layer.axes))
    style = ("<style>.tconv td{width:1.4em;height:1.4em;text-align:center;font-size:70%;padding:0}"
             ".tconv .in{background:#8ab4e8}.tconv .out{background:#9fe3e3}.tconv .count-0{background:#e6f7f7}"
             ".tconv .count-3,.tconv .count-4{background:#3fb5b5}.tconv table{border-spacing:2px;display:inline-table;"
             "vertical-align:top;margin-right:1.5em}</style>")
    caption = (f"Transposed convolution {axes_text(shape_in)} → {axes_text(shape_out)} "
               f"(k={axes_text(layer.kernel_size)}, s={axes_text(layer.field('s'))}, p={axes_text(p)}, "
               f"op={axes_text(op)}, d={axes_text(layer.field('d'))})"
               f"; hover a cell for its sum, or run tconvcalc explore for the live page")
    return (f'<div class="tconv">{style}<p>{html.escape(caption)}</p>'
            f'<table><caption>input x</caption>{rows(shape_in, input_cell)}</table>'
            f'<table><caption>output y</caption>{rows(shape_out, output_cell)}</table></div>')
