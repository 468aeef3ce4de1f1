"""Terminal views of the reports (rich): one module per command family, sharing the helpers here.

Nothing below the command line knows about terminals; a view reads a report record and prints it.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text



def per_axis_text(values) -> str:
    """A parameter as compactly as it can be said: ``3`` if every axis agrees."""
    values = list(values)
    return str(values[0]) if len(set(values)) == 1 else ",".join(map(str, values))


def code_block(console: Console, title: str, code: str) -> None:
    console.print(Text(title, style="bold"))
    for line in code.splitlines():
        console.print(Text("  " + line, style="cyan"), soft_wrap=True)


def overlap_text(uniform: bool) -> Text:
    return Text("uniform", style="green") if uniform else Text("checkerboard", style="yellow")
