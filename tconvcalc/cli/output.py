"""Where a command's answer goes: one JSON object, the rich view, plain text, or files."""

from __future__ import annotations

import json
import re
import sys
from contextlib import contextmanager

import click

from ..errors import ParameterError
from ..records import to_data


# spaces at a line's end, before any closing style codes
_TRAILING_SPACE = re.compile(r"[ \t]+((?:\x1b\[[0-9;]*m)*)$", re.MULTILINE)


def emit(report, as_json: bool, view=None, err: bool = False) -> None:
    """One JSON object on stdout (the report as :func:`~tconvcalc.records.to_data` gives it), or its view (on
    stderr with ``err``, when stdout carries something else: the code ``rewrite --emit pytorch`` prints)."""
    if as_json:
        click.echo(json.dumps(to_data(report), ensure_ascii=False))
        return
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            # rich exits 1 when the reader goes away (`| head`); the command line treats it as a normal end.
            self.quiet = True
            raise BrokenPipeError

    console = _Console(highlight=False)
    with console.capture() as captured:
        view(report, console)
    # rich pads table cells and blank lines to the console's width; no line ends in spaces
    click.echo(_TRAILING_SPACE.sub(r"\1", captured.get()), nl=False, err=err)


def echo_text(text: str) -> None:
    """A document as it is (it ends in its own newline)."""
    click.echo(text, nl=False)


def write_files(contents: dict) -> list:
    """Write every ``{path: text or bytes}`` (None paths or contents are skipped), all or none of them.

    Each is written to a temporary file beside its destination and renamed into place only when every
    write succeeded, so a second, unwritable path never leaves the first one half-done.  Returns the
    paths written, for the "wrote ..." line (which goes to stderr, like every command's).
    """
    import os
    import tempfile
    from pathlib import Path

    items = [(Path(path), data) for path, data in contents.items() if path is not None and data is not None]
    for path, _ in items:
        _refuse_special(path)
    staged: list[tuple[str, Path]] = []
    current = None
    umask = os.umask(0)  # read it (there is no getter); mkstemp's private 0600 would outlive the rename
    os.umask(umask)
    try:
        for current, data in items:
            if current.is_symlink():  # through a link to its file, as cp writes, not over the link
                current = Path(os.path.realpath(current))
            if current.is_dir():  # the rename would fail after earlier files were already in place
                raise IsADirectoryError(21, "Is a directory")
            handle, temporary = tempfile.mkstemp(dir=current.parent, prefix=f".{current.name}.", suffix=".part")
            staged.append((temporary, current))
            os.fchmod(handle, 0o666 & ~umask)
            with os.fdopen(handle, "wb") as stream:
                stream.write(data if isinstance(data, bytes) else data.encode("utf-8"))
        for temporary, path in staged:
            os.replace(temporary, path)
    except OSError as error:
        for temporary, _ in staged:
            if os.path.exists(temporary):
                os.remove(temporary)
        raise ParameterError(f"cannot write {current} ({error.strerror}), an output file must be in a folder "
                             f"that exists and is writable; choose another path") from None
    return [path for path, _ in items]


def _refuse_special(path) -> None:
    """Refuse an existing target that is not a regular file: the write renames a new file into place, which
    would replace a device (as root, /dev/full), a FIFO or a socket with a plain file."""
    import stat

    try:
        mode = path.stat().st_mode
    except OSError:  # nothing there yet (or unreachable, which the write itself reports)
        return
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):  # a folder gets the write's own refusal
        return
    kind = ("a character device" if stat.S_ISCHR(mode) else "a block device" if stat.S_ISBLK(mode)
            else "a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "not a file")
    raise ParameterError(f"cannot write {path}: it is {kind}, and an output must be a regular file (a new one is "
                         f"renamed into place, which would replace it); choose a file path")


def announce(paths) -> None:
    """``wrote a.png, b.svg`` on stderr, so stdout stays the command's answer (or its one JSON object)."""
    if paths:
        click.echo(f"wrote {', '.join(map(str, paths))}", err=True)


@contextmanager
def progress(description: str):
    """A callback ``(done, total)`` that draws a progress bar on stderr for long work: only on a terminal,
    and only once the work reports (short work never draws one).  Ctrl-C still stops the command."""
    if not sys.stderr.isatty():
        yield None
        return
    bar, task = None, None

    def update(done: int, total: int) -> None:
        nonlocal bar, task
        if bar is None:
            from rich.console import Console
            from rich.progress import Progress

            bar = Progress(transient=True, console=Console(stderr=True))
            bar.start()
            task = bar.add_task(description, total=total)
        bar.update(task, completed=done)

    try:
        yield update
    finally:
        if bar is not None:
            bar.stop()
