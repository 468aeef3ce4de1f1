"""The explorer: one self-contained HTML page in which a layer's numbers move as you type.

The page's arithmetic is ``model.js`` beside this file, a line-for-line port of the model (``spec``,
``arithmetic``, ``operator`` and the Keras writer), and its drawing ``view.js``; :func:`page_html` puts
them, ``page.css`` and the layer's values into ``page.html``, so the file needs no network.
:func:`layer_html` is the static grid ``tc.Layer`` shows in Jupyter.

>>> from tconvcalc.model.spec import Layer
>>> html = page_html(Layer.from_pytorch(3, 3, 2, 1, 1))
>>> html.startswith("<!DOCTYPE html>"), "://" in html   # everything inside, no address to fetch
(True, False)
>>> check_drawable(Layer.from_pytorch(40, 3, 1))
Traceback (most recent call last):
...
tconvcalc.errors.ParameterError: the page's grid would be 42 cells along an axis, more than the 32 it draws;
see this layer with tconvcalc overlap or tconvcalc figure instead, or explore a smaller one
"""

from .page import MAX_CELLS, check_drawable, drawn_cells, layer_html, page_html, tap_label

__all__ = ["MAX_CELLS", "check_drawable", "drawn_cells", "layer_html", "page_html", "tap_label"]
