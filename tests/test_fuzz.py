"""Hypothesis fuzzes every command's options with the values a user mistypes or a script generates.

The options come from click's own command objects, so a new option is fuzzed without a line here.
Whatever is drawn, a command answers (exit 0, one JSON object with --json, no line ending in spaces)
or refuses with one ``Error:`` line and exit 2 (3 only for a program that is not installed); never
a traceback.  Values stay small or absurd - never merely large - so the run stays quick; how large
values are bounded is the corpus in test_edges.py.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import click
import pytest
from hypothesis import HealthCheck, event, given, settings, strategies as st

from tconvcalc.cli import COMMANDS, cli
from tconvcalc.cli.options import AxisInts, IntRange

from helpers import run

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NUMBERS = ["0", "1", "2", "3", "5", "-1", "2.5", "1e3", "", "a", "18446744073709551616", "1000000000000"]
AXES = NUMBERS + ["3,4", "2,3,4", "1,2,3,4", "2,", ",2", "0,3", "same", "valid", "SAME_UPPER", "1:2"]
RANGES = ["1-", "1-1000", "3", "0-2", "7-1", "2,4,8", "1-100000000", "-3", "x"]
# --pdf runs TeX (its own tests); help is not an answer; --serve serves until Ctrl-C (test_explore stops it)
SKIPPED = {"--pdf", "--help", "--version", "--serve"}


def _command(name: str) -> click.Command:
    ctx = click.Context(cli)
    command = cli.get_command(ctx, name)
    return command


def _values(option: click.Option):
    if option.is_flag:
        return st.just(None)
    kind = option.type
    if isinstance(kind, IntRange):
        return st.sampled_from(RANGES)
    if isinstance(kind, AxisInts):
        return st.sampled_from(AXES)
    if isinstance(kind, click.Choice):
        return st.sampled_from([*map(str, kind.choices), "bogus"])
    if isinstance(kind, click.Path):
        return st.sampled_from(["{tmp}/a.png", "{tmp}/a.svg", "{tmp}/a.tex", "{tmp}/missing/a.png", ""])
    return st.sampled_from(NUMBERS + ["1,2", "x,y"])


@st.composite
def command_lines(draw):
    name = draw(st.sampled_from(sorted(set(COMMANDS) - {"derive"}) + ["derive size", "derive phases",
                                                                          "derive ambiguity", "derive formulas",
                                                                          "derive equivalence"]))
    command = _command(name.split()[0])
    if " " in name:
        command = command.get_command(click.Context(command), name.split()[1])
    args = name.split()
    options = [p for p in command.params if isinstance(p, click.Option) and p.opts[0] not in SKIPPED]
    required = [p for p in options if p.required]
    chosen = draw(st.lists(st.sampled_from(options), max_size=6, unique_by=lambda o: o.name))
    for option in required + [o for o in chosen if not o.required]:
        args.append(draw(st.sampled_from(option.opts)))
        value = draw(_values(option))
        if value is not None:
            args.append(value)
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    if arguments:  # mirror's SPEC
        args.append(draw(st.sampled_from([str(EXAMPLES / "unet_encoder.toml"), "{tmp}/missing.toml", ""])))
    return args


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(command_lines())
def test_any_command_line_answers_or_refuses_in_one_line(args):
    with tempfile.TemporaryDirectory() as folder:
        result = run(*(arg.replace("{tmp}", folder) for arg in args))
        event(f"exit {result.exit_code}")
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert "Traceback" not in result.stderr
        if result.exit_code == 0:
            if "--json" in args:
                json.loads(result.stdout)  # exactly one object
            else:
                assert not [line for line in result.stdout.splitlines() if line != line.rstrip()]
        else:
            assert result.exit_code in (2, 3), (result.exit_code, result.stderr)
            assert result.exit_code == 2 or "is not installed" in result.stderr
            assert result.stdout == "" and result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
