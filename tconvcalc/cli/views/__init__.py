"""Terminal views of the reports (rich): one module per command family, sharing the helpers here.

Nothing below the command line knows about terminals; a view reads a report record and prints it.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from ...model.arithmetic import sample_rows


#: A table longer than this shows its first and last rows and up to 20 flagged ones between them (--json
#: lists them all): a 10,000-layer network's table took rich 4 s to lay out, and no one reads it in a terminal.
MAX_ROWS = 60
_FLAGGED = 20  # flagged rows shown between the first and last (MAX_ROWS - _FLAGGED) / 2


def shown_rows(count: int, flagged=()) -> list[int]:
    """The rows of a ``count``-row table a terminal shows: all of a short one; of a long one the first and last
    20 and the first 20 ``flagged`` ones between them.

    >>> shown_rows(3), shown_rows(100, [5, 50])[19:22], len(shown_rows(100, range(0, 100, 2)))
    ([0, 1, 2], [19, 50, 80], 60)
    """
    if count <= MAX_ROWS:
        return list(range(count))
    ends = MAX_ROWS - _FLAGGED
    between = sorted(n for n in set(flagged) if ends // 2 <= n < count - ends // 2)[:_FLAGGED]
    return sample_rows(count, *between, most=ends)


def add_rows(table, count: int, cells, flagged=()) -> int:
    """Add the shown rows (``cells(n)`` gives row ``n``), a ``…`` row with the count where rows are left out;
    returns how many were left out, for :func:`left_out`."""
    previous = -1
    shown = shown_rows(count, flagged)
    for n in shown:
        if n > previous + 1:
            table.add_row(Text(f"… {n - previous - 1} more", style="dim"), *[""] * (len(table.columns) - 1))
        table.add_row(*cells(n))
        previous = n
    return count - len(shown)


def left_out(console: Console, hidden: int, count: int, what: str) -> None:
    """The line under a summarised table: how many rows it left out and where they all are."""
    if hidden:
        console.print(Text(f"({hidden} of {count} {what} not shown; --json lists every one)", style="dim"))


def per_axis_text(values) -> str:
    """A parameter as compactly as it can be said: ``3`` if every axis agrees."""
    values = list(values)
    return str(values[0]) if len(set(values)) == 1 else ",".join(map(str, values))


def fit_code(line: str, width: int) -> list[str]:
    """A line of code broken after the commas of its outermost call so it fits ``width`` columns, the
    continuation lines aligned under the first argument (still valid Python); as is when it fits or
    cannot be broken there.

    >>> fit_code("    f(a, b, c)", 11)
    ['    f(a, b,', '      c)']
    """
    if len(line) <= width:
        return [line]
    depth, opened, breaks, quote = 0, None, [], None
    for n, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
            opened = n if opened is None and depth == 1 else opened
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 1 and line[n + 1:n + 2] == " ":
            breaks.append(n + 1)
    if opened is None or not breaks:
        return [line]
    indent = " " * (opened + 1)

    def piece(start: int, stop: int) -> str:  # a continuation starts under the first argument
        return line[:stop] if start == 0 else indent + line[start:stop].lstrip()

    lines, start, last = [], 0, None
    for cut in breaks + [len(line)]:
        if len(piece(start, cut)) > width and last is not None and last > start:
            lines.append(piece(start, last))
            start = last
        last = cut
    return lines + [piece(start, len(line))]


def code_line(console: Console, code: str, prefix: str = "  ") -> None:
    """One line of code, broken to the console's width (never mid-token, so it pastes as it reads)."""
    for n, part in enumerate(fit_code(code, console.width - len(prefix))):
        console.print(Text((prefix if n == 0 else " " * len(prefix)) + part, style="cyan"), soft_wrap=True)


def code_block(console: Console, title: str, code: str) -> None:
    console.print(Text(title, style="bold"))
    for line in code.splitlines():
        code_line(console, line)


def wrap_items(items, separator: str, width: int, prefix: str = "", indent: int = 0) -> list[str]:
    """``items`` joined by ``separator`` in lines of at most ``width`` columns, never breaking an item;
    the first line starts with ``prefix``, the others with ``indent`` spaces.

    >>> wrap_items(["k2 s2 p0"] * 3, "; ", 21, "  ", 2)
    ['  k2 s2 p0; k2 s2 p0;', '  k2 s2 p0']
    """
    lines, line = [], prefix
    for n, item in enumerate(items):
        piece = item + (separator.rstrip() if n < len(items) - 1 else "")
        if line.strip() and len(line) + len(piece) > width:
            lines.append(line.rstrip())
            line = " " * indent
        line += piece + (separator[len(separator.rstrip()):] if n < len(items) - 1 else "")
    return lines + [line.rstrip()]


def count_text(n: int) -> str:
    """A count as people compare them: exact below a million, else three digits and an SI prefix
    (the exact numbers are in ``--json``).

    >>> count_text(147712), count_text(1207959552), count_text(999_999_999), count_text(10**22)
    ('147,712', '1.21 G', '1 G', '1e+22')
    """
    if n < 1_000_000:
        return f"{n:,}"
    rounded = float(f"{n:.3g}")
    for power, prefix in ((18, "E"), (15, "P"), (12, "T"), (9, "G"), (6, "M")):
        if 10**power <= rounded < 10**(power + 3):
            return f"{rounded / 10**power:.3g} {prefix}"
    return f"{rounded:.3g}"


def overlap_text(uniform: bool) -> Text:
    return Text("uniform", style="green") if uniform else Text("checkerboard", style="yellow")
