"""Typed records for what the library reports, and the one place they become JSON data.

A report is a :class:`typing.NamedTuple` whose annotated fields are the JSON keys, in order;
:func:`json_keys` marks the fields left out when None and those whose key is not a Python name.
:func:`to_data` turns any report (records nested in tuples, lists and dicts) into plain
lists and dicts; the command line prints ``json.dumps(to_data(report))`` and nothing else
builds JSON.  Named tuples, not dataclasses: the shape path imports this and must stay cheap.

>>> @json_keys(optional="label", json_names={"x": "X"})
... class Point(NamedTuple):
...     x: int
...     label: str | None
...     y: tuple[int, ...]
>>> to_data(Point(1, None, (2, 3)))
{'X': 1, 'y': [2, 3]}
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, TypeVar

Record = TypeVar("Record", bound=type)

__all__ = ["NamedTuple", "json_keys", "to_data"]


def json_keys(*, optional: str = "", json_names: dict[str, str] | None = None) -> Callable[[Record], Record]:
    """Mark a record's JSON keys: ``optional`` fields are left out of the JSON when None (keys that
    exist only with some options); ``json_names`` renames fields whose JSON key is not a Python name
    (``from``).  :func:`to_data` reads both."""

    def mark(cls: Record) -> Record:
        setattr(cls, "_optional", frozenset(optional.split()))
        setattr(cls, "_json_names", dict(json_names or {}))
        return cls

    return mark


def to_data(value: Any) -> Any:
    """Records, tuples, lists and dicts as JSON-ready lists and dicts (records keep their field order)."""
    fields = getattr(value, "_fields", None)
    if fields is not None:
        optional = getattr(value, "_optional", ())
        names = getattr(value, "_json_names", {})
        return {names.get(field, field): to_data(item) for field, item in zip(fields, value)
                if not (field in optional and item is None)}
    if isinstance(value, (list, tuple)):
        return [to_data(item) for item in value]
    if isinstance(value, dict):
        return {key: to_data(item) for key, item in value.items()}
    return value
