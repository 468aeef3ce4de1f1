"""The one crop model and its exact integer arithmetic, standard library only.

* :mod:`.spec` - :class:`~.spec.Axis` and :class:`~.spec.Layer`: validated per-axis parameters and the crop
  ``(b, e)`` every framework's convention reduces to;
* :mod:`.arithmetic` - sizes, the ``output_padding`` ambiguity and solving for it, costs;
* :mod:`.structure` - the structure of the matrix C once: its ``(row, column, tap)`` triples.

Every other module asks these; none re-derives a size, crop, pad or phase.
"""
