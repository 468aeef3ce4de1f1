"""What each command answers, as typed records (:mod:`tconvcalc.records`): pure functions, no terminal.

One module per command family - :mod:`~tconvcalc.reports.shape` (shape, conv, plan),
:mod:`~tconvcalc.reports.convert`, :mod:`~tconvcalc.reports.check`,
:mod:`~tconvcalc.reports.symbolic` (latex, matrix, derive) and
:mod:`~tconvcalc.reports.design` (overlap, compare, chain, mirror).  The command line
prints a report as JSON with :func:`tconvcalc.records.to_data` or hands it to its view.
"""
