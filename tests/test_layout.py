"""The layout docs/architecture.md describes: one-way imports, no cycles, the
library free of terminals and command-line flags, and help that loads nothing heavy."""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tconvcalc.cli import COMMANDS, cli

from helpers import run_ok

PACKAGE = Path(__file__).resolve().parent.parent / "tconvcalc"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(name: str) -> set[str]:
    """Every module ``name`` imports, at module level or inside a function (lazy imports count too)."""
    path = MODULES[name]
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return found


def _library(name: str) -> bool:
    return not (name == "tconvcalc.__main__" or name.startswith("tconvcalc.cli"))


def test_no_import_cycles():
    graph = {name: {m for m in _imports(name) if m in MODULES and m != name
                    and not m.startswith(name + ".")}  # a package's __init__ re-exporting its own parts
             for name in MODULES}
    state: dict[str, int] = {}
    cycles = []

    def visit(node, path):
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(path[path.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles


@pytest.mark.parametrize("name", sorted(n for n in MODULES if _library(n)))
def test_the_library_knows_no_terminal_and_no_command_line(name):
    imported = {m.split(".")[0] if not m.startswith("tconvcalc") else m for m in _imports(name)}
    assert not imported & {"click", "rich"}
    assert not any(m.startswith("tconvcalc.cli") for m in imported)


# The model, the foundation and the list of a note's sections: the standard library and each other only.
FOUNDATION = sorted(n for n in MODULES if n.startswith("tconvcalc.model")) + [
    "tconvcalc.errors", "tconvcalc.records", "tconvcalc.notes"]


@pytest.mark.parametrize("name", FOUNDATION)
def test_the_model_imports_only_the_standard_library(name):
    assert all(m.startswith(("tconvcalc.model", "tconvcalc.errors", "tconvcalc.records"))
               or m.split(".")[0] in sys.stdlib_module_names for m in _imports(name))


def test_the_package_top_holds_only_the_foundation():
    top = {name for name, path in MODULES.items() if path.parent == PACKAGE and path.name != "__init__.py"}
    assert top == {"tconvcalc.__main__", "tconvcalc.errors", "tconvcalc.records"}


@pytest.mark.parametrize("package", ["tconvcalc", "tconvcalc.model", "tconvcalc.design", "tconvcalc.pictures",
                                     "tconvcalc.notes"])
def test_no_module_is_named_like_a_standard_library_module(package):
    # as operator.py was: a reader of ``from . import operator`` or a doc of ``operator`` could not tell which
    assert not [name for name in MODULES if name.rpartition(".")[0] == package
                and name.rpartition(".")[2] in sys.stdlib_module_names]


@pytest.mark.parametrize("reader", ["onnx", "keras", "torch"])
def test_the_model_readers_dispatch_through_one_registry(reader):
    from tconvcalc.network.readers import base

    module = importlib.import_module(f"tconvcalc.network.readers.{reader}")
    assert module.handles is base.REGISTRY[reader] and module.handles.table
    source = MODULES[module.__name__].read_text(encoding="utf-8")
    assert not re.search(r"getattr\(self, [\"']", source)  # no handler looked up by a method name of its own
    assert source.count("Handlers(") == 1  # one table, base's


FLAG = re.compile(r"(?<![\w-])--[a-z]")


@pytest.mark.parametrize("name", sorted(n for n in MODULES if _library(n)))
def test_library_messages_name_parameters_never_flags(name):
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)  # docstrings may show commands
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and node.body
                  and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    texts = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)
             and id(node) not in docstrings]
    # an install command is a shell line for pip, whose flags it may carry (PyTorch's CPU index)
    assert not [text for text in texts if FLAG.search(text) and not text.startswith("python -m pip install")]


def test_generated_documents_never_mention_flags():
    text = run_ok("latex", "--in", 40, "--k", 3, "--s", 2, "--ndim", 1)  # elided matrices, skipped proofs
    assert "shown" in text and not FLAG.search(text)


def test_the_command_table_carries_each_commands_own_help():
    for name, (target, short) in COMMANDS.items():
        module, _, attr = target.partition(":")
        command = getattr(importlib.import_module(module), attr)
        assert command.help.split("\n\n")[0].strip() == short, name
    assert sorted(cli.list_commands(None)) == sorted(COMMANDS)


def test_derive_lists_every_derivation_the_library_has():
    from tconvcalc.cli.symbolic import DERIVE_COMMANDS
    from tconvcalc.reports.symbolic import DERIVATIONS

    assert list(DERIVE_COMMANDS) == list(DERIVATIONS)


def _heavy_imports(*args) -> set[str]:
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "tconvcalc", *map(str, args)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    return imported & {"sympy", "numpy", "torch", "matplotlib"}


@pytest.mark.slow
@pytest.mark.parametrize("args", [["--help"], *([name, "--help"] for name in COMMANDS),
                                  ["derive", "size", "--help"], ["derive", "relationships", "--help"]])
def test_help_at_any_level_loads_neither_sympy_nor_numpy(args):
    assert not _heavy_imports(*args)


@pytest.mark.slow
@pytest.mark.parametrize("command", [["shape", "--in", "32,32", "--k", "4", "--s", "2", "--p", "1"],
                                     ["conv", "--in", "33", "--k", "3", "--s", "2", "--p", "1"],
                                     ["plan", "--in", "7,9,5", "--out", "28,36,20", "--d", "1-3", "--json"],
                                     ["convert", "--from", "tensorflow", "--to", "pytorch", "--in", "4", "--k", "3",
                                      "--strides", "2", "--padding", "SAME", "--output-shape", "8"],
                                     ["chain", "--in", "4", "--out", "64", "--layers", "4", "--k", "4", "--s", "2",
                                      "--emit", "pytorch"],
                                     ["mirror", EXAMPLES / "unet_encoder.toml", "--json"]])
def test_shape_path_loads_neither_sympy_nor_numpy(command):
    assert not _heavy_imports(*command)


@pytest.mark.slow
@pytest.mark.parametrize("command", [["derive", "gradient", "--in", "5", "--k", "3", "--s", "2"],
                                     ["derive", "size", "--in", "2", "--k", "3", "--s", "2", "--json"]])
def test_derive_answers_load_no_notes_writer_and_no_units(command):
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "tconvcalc", *command],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert "tconvcalc.symbolic.proof" in imported  # the lines were read: the derivation ran
    assert not imported & {"tconvcalc.notes.writers", "tconvcalc.notes.document", "sympy.physics.units"}
