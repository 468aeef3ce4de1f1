"""NumPy work started ahead, in a forked process, while this one loads SymPy and derives.

``derive gradient`` checks its identities on the layer with the NumPy backend, and ``derive inverse`` measures C's
rank and reconstruction errors; neither needs SymPy, and SymPy's import alone is most of either command.  On a
machine with a second core the two halves overlap: the child imports NumPy and computes while the parent imports
SymPy (benchmarks/bench_symbolic.py measures the difference).

The route never changes the answer: the child runs the same function on the same arguments, and where a fork is
unsafe or unavailable (not POSIX, or more than one thread: a forked copy of a threaded process can deadlock on a
lock another thread held), or the child fails in any way, the work is done in place when its result is asked for.
``os.fork`` and a pipe rather than :mod:`multiprocessing`: importing that alone costs ~20 ms, a fifth of what the
overlap saves.  Only the command line forks; the library never does.
"""

from __future__ import annotations

import os
import pickle
import threading
from typing import Any, Callable


def can_fork() -> bool:
    """A fork is safe here: POSIX, and this process runs one thread."""
    return hasattr(os, "fork") and threading.active_count() == 1


class Ahead:
    """``work(*args)``, computed in a forked child when :func:`can_fork`, else (or if the child fails) in place by
    :meth:`result`."""

    def __init__(self, work: Callable[..., Any], *args: Any) -> None:
        self._work, self._args = work, args
        self._pid: int | None = None
        self._pipe: int | None = None
        self._done = False
        self._value: Any = None
        if can_fork():
            self._start()

    def _start(self) -> None:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: compute, send, and leave without running the parent's exit handlers
            os.close(read)
            status = 1
            try:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 1)  # nothing of the child's reaches the parent's output
                os.dup2(devnull, 2)
                data = pickle.dumps(self._work(*self._args), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write, "wb") as pipe:
                    pipe.write(data)
                status = 0
            finally:
                os._exit(status)
        os.close(write)
        self._pid, self._pipe = pid, read

    def result(self) -> Any:
        """The work's value: the child's when it sent one, else computed here (raising here, as in place)."""
        if not self._done:
            self._value = self._received() if self._pipe is not None else self._work(*self._args)
            self._done = True
        return self._value

    def _received(self) -> Any:
        assert self._pipe is not None and self._pid is not None
        with os.fdopen(self._pipe, "rb") as pipe:
            data = pipe.read()
        self._pipe = None
        _, status = os.waitpid(self._pid, 0)
        if status == 0 and data:
            try:
                return pickle.loads(data)
            except Exception:  # a truncated or foreign message: the child's answer is not trusted
                pass
        return self._work(*self._args)
