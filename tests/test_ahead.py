"""The NumPy work the command line starts ahead in a forked process: the same answer as in place, by every route."""

from __future__ import annotations

import re
import subprocess
import sys
import threading

import pytest

from tconvcalc.cli import ahead
from tconvcalc.errors import ParameterError
from tconvcalc.model.arithmetic import conv_layer, conv_of
from tconvcalc.numeric.gradient import gradient_checks
from tconvcalc.numeric.inverse import measure_inverse

from helpers import run


def _without_seconds(checks: list[dict]) -> list[dict]:
    return [{key: value for key, value in check.items() if key != "seconds"} for check in checks]


@pytest.mark.skipif(not hasattr(ahead.os, "fork"), reason="fork is POSIX")
def test_the_forked_child_answers_as_the_work_in_place(monkeypatch):
    monkeypatch.setattr(ahead, "can_fork", lambda: True)
    layer = conv_layer((6, 7), (3, 2), (2, 3), (1, 0), (1, 2))
    ops = [conv["output_padding"] for conv in conv_of(layer)]
    forked = ahead.Ahead(gradient_checks, layer, ops)
    assert forked._pid is not None  # it did fork
    assert _without_seconds(forked.result()) == _without_seconds(gradient_checks(layer, ops))
    small = conv_layer(12, 3, 2, 1)
    assert ahead.Ahead(measure_inverse, small).result() == measure_inverse(small)


def _refuse(n: int) -> int:
    raise ParameterError(f"n={n} is refused")


@pytest.mark.skipif(not hasattr(ahead.os, "fork"), reason="fork is POSIX")
def test_a_child_that_fails_is_answered_in_place(monkeypatch):
    monkeypatch.setattr(ahead, "can_fork", lambda: True)
    work = ahead.Ahead(_refuse, 3)
    with pytest.raises(ParameterError, match="n=3 is refused"):  # raised here, as the work in place raises it
        work.result()


def test_no_fork_beside_another_thread(monkeypatch):
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not ahead.can_fork()
        work = ahead.Ahead(sum, [1, 2, 3])
        assert work._pid is None and work.result() == 6
    finally:
        stop.set()
        thread.join()


@pytest.mark.parametrize("args", [["derive", "gradient", "--in", "7,5", "--k", "3", "--s", "2", "--d", "1,2"],
                                  ["derive", "inverse", "--in", "9", "--k", "3", "--s", "2", "--ndim", "1", "--json"],
                                  ["derive", "gradient", "--in", "6", "--k", "2", "--s", "3", "--ndim", "1",
                                   "--markdown"]])
def test_the_commands_print_the_same_forked_or_not(monkeypatch, args):
    outputs = []
    for allowed in (True, False):
        monkeypatch.setattr(ahead, "can_fork", lambda allowed=allowed: allowed and hasattr(ahead.os, "fork"))
        result = run(*args)
        assert result.exit_code == 0, result.output
        outputs.append(result.stdout)
    timings = re.compile(r"\d+\.\d+ s\)|\"seconds\": [0-9.e-]+")  # how long a check took is all that may differ
    assert timings.sub("", outputs[0]) == timings.sub("", outputs[1])


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(ahead.os, "fork"), reason="fork is POSIX")
@pytest.mark.parametrize("command", [["derive", "gradient", "--in", "5", "--k", "3", "--s", "2"],
                                     ["derive", "inverse", "--in", "32,32", "--k", "4,4", "--s", "2,2", "--p", "1,1"]])
def test_the_command_leaves_numpy_to_its_child(command):
    """The parent never imports NumPy (the child's -X importtime lines go to its /dev/null), yet the NumPy
    route's numbers are printed."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "tconvcalc", *command],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert "sympy" in imported  # the lines were read
    assert "numpy" not in imported
    assert "(NumPy)" in done.stdout or "numpy.linalg.pinv" in done.stdout
