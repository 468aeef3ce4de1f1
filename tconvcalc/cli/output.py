"""Where a command's answer goes: one JSON object, the rich view, or a file."""

from __future__ import annotations

import json

import click

from ..errors import ParameterError
from ..records import to_data


def emit(report, as_json: bool, view=None) -> None:
    """One JSON object on stdout (the report as :func:`~tconvcalc.records.to_data` gives it), or its view."""
    if as_json:
        click.echo(json.dumps(to_data(report), ensure_ascii=False))
        return
    from rich.console import Console

    view(report, Console(highlight=False))


def write_file(path, data: str | bytes) -> None:
    """Write text or bytes to a ``pathlib.Path``; an unwritable path is bad input, said in one sentence.

    (pathlib itself is not imported here: it costs the shape path about 3 ms.)
    """
    try:
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    except OSError as error:
        raise ParameterError(f"cannot write {path} ({error.strerror}), the output file must be writable; "
                             f"choose another path with -o") from None
