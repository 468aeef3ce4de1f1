"""The adversarial corpus: command lines and API calls a user mistypes or a script generates.

Every case runs in its own process under a 2 GB address-space limit and a 2 s CPU-time limit
(the issue's bound, as a hang and blow-up detector: CPU time does not depend on how busy the
machine is) and must end as its line says: an answer (exit 0, or a return value) holding the given
text, or a refusal (exit 2 with one ``Error:`` line, or one ParameterError) naming it; never a
traceback, never a kill.  The corpus is ``tests/edges/cli.txt``, ``tests/edges/api.txt`` and
``tests/edges/models.txt`` (hostile model files, crafted at test time by ``tests/edges/make_models.py``).
"""

from __future__ import annotations

import math
import os
import resource
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a process per case

EDGES = Path(__file__).resolve().parent / "edges"
MEMORY = 2 << 30
CPU_SECONDS = 2


def _cases(name: str):
    for number, line in enumerate((EDGES / name).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip() and not line.startswith("#"):
            outcome, text, rest = (part.strip() for part in line.split("|", 2))
            yield pytest.param(outcome, text, rest, id=f"{name}:{number}")


def _limits(cpu_seconds: int = CPU_SECONDS) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))


def _run(args: list[str], cwd: Path, cpu_seconds: int = CPU_SECONDS) -> subprocess.CompletedProcess:
    # a wall-clock timeout only as a backstop; the CPU limit is the bound
    env = dict(os.environ, COLUMNS="80", NO_COLOR="1", OPENBLAS_NUM_THREADS="1")
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd, env=env,
                          preexec_fn=lambda: _limits(cpu_seconds), timeout=60)


def _import_seconds(package: str) -> int:
    """Whole CPU seconds a fresh process spends importing ``package`` (torch alone takes about 2 s here): a
    case reading PyTorch code gets them on top of the 2 s, which bound tconvcalc's own work."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", f"import {package}"], check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return math.ceil(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    """The unreadable and wrong spec files the corpus names as {tmp}/NAME."""
    folder = tmp_path_factory.mktemp("edges")
    (folder / "latin1.toml").write_bytes("input = [8]\n# caf\xe9\n[[layers]]\nkernel_size = 3\n".encode("latin-1"))
    (folder / "rgb.toml").write_text('input = [8]\nchannels = "rgb"\n[[layers]]\nkernel_size = 3\n')
    (folder / "negative.toml").write_text("input = [8]\nchannels = -3\n[[layers]]\nkernel_size = 3\n")
    (folder / "fraction.toml").write_text("input = [8]\nchannels = 3.5\n[[layers]]\nkernel_size = 3\n")
    (folder / "4d.toml").write_text("input = [8, 8, 8, 8]\n[[layers]]\nkernel_size = 3\n")
    (folder / "folder.toml").mkdir()
    for count in (5_000, 10_000, 10_001):  # at and past the layer cap (and half of it), as net and mirror read it
        layers = ",".join(['{"kernel_size": 3, "padding": 1}'] * count)
        (folder / f"deep{count}.json").write_text(f'{{"input": [8, 8], "layers": [{layers}]}}')
    for name in ("huge.toml", "huge.json"):  # sparse: past the spec cap without using the disk
        with open(folder / name, "wb") as file:
            file.truncate(3 << 30)
    shutil.copytree(Path(__file__).resolve().parent.parent / "examples", folder / "examples")  # the networks
    return folder


def _no_crash(done: subprocess.CompletedProcess) -> None:
    assert done.returncode >= 0, f"killed by signal {-done.returncode} (CPU or memory limit): {done.stderr[-500:]}"
    assert "Traceback" not in done.stderr, done.stderr[-2000:]


@pytest.mark.parametrize("status, text, arguments", list(_cases("cli.txt")))
def test_command_line(status, text, arguments, files):
    args = [arg.replace("{tmp}", str(files)) for arg in shlex.split(arguments)]
    before = sorted(os.listdir(files))
    done = _run(["-m", "tconvcalc", *args], files)
    _no_crash(done)
    assert done.returncode == int(status), done.stdout[-1000:] + done.stderr[-1000:]
    if done.returncode == 2:
        assert done.stdout == "" and done.stderr.count("\n") == 1 and done.stderr.startswith("Error: ")
        assert sorted(os.listdir(files)) == before  # a refusal writes nothing, not even half
    assert text in done.stdout + done.stderr


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> Path:
    """The hostile model files the corpus names as {models}/..., crafted by tests/edges/make_models.py."""
    sys.path.insert(0, str(EDGES))
    try:
        import make_models
    finally:
        sys.path.remove(str(EDGES))
    return make_models.make(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def torch_import() -> int:
    pytest.importorskip("torch", reason="reading PyTorch code needs torch")
    return _import_seconds("torch, torch.fx")


def _needs(arguments: str) -> None:
    """Skip a case whose model needs a framework that is not installed (the reader would say so, exit 2)."""
    for marker, package in ((".onnx", "onnx"), (".py:", "torch")):
        if marker in arguments:
            pytest.importorskip(package, reason=f"reading that model needs {package}")


@pytest.mark.parametrize("status, text, arguments", list(_cases("models.txt")))
def test_model_file(status, text, arguments, models, request):
    _needs(arguments)
    extra = request.getfixturevalue("torch_import") if ".py:" in arguments else 0
    args = [arg.replace("{models}", str(models)) for arg in shlex.split(arguments)]
    before = sorted(os.listdir(models))
    done = _run(["-m", "tconvcalc", *args], models, CPU_SECONDS + extra)
    _no_crash(done)
    assert done.returncode == int(status), done.stdout[-1000:] + done.stderr[-1000:]
    if done.returncode == 2:
        assert done.stdout == "" and done.stderr.count("\n") == 1 and done.stderr.startswith("Error: ")
        assert sorted(os.listdir(models)) == before
    assert text in done.stdout + done.stderr


HARNESS = """
import sys
import numpy as np
import tconvcalc as tc
from tconvcalc import arithmetic, conventions, numeric, operator, overlap, planner, symbolic as sy
from tconvcalc.reports.check import check_report
from tconvcalc.model.spec import Layer
try:
    result = eval(sys.argv[1])
except tc.ParameterError as error:
    print("ParameterError", error)
else:
    print("ok", result)
"""


@pytest.mark.parametrize("outcome, text, expression", list(_cases("api.txt")))
def test_api(outcome, text, expression, tmp_path):
    done = _run(["-c", HARNESS, expression], tmp_path)
    _no_crash(done)
    assert done.returncode == 0 and done.stderr == "", done.stderr[-2000:]
    kind, _, said = done.stdout.rstrip("\n").partition(" ")
    assert kind == outcome, done.stdout[-1000:]
    assert "\n" not in said and text in said, said[-1000:]
