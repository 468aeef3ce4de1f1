"""Cold `tconvcalc check` of a 16×16 layer, with and without PyTorch, against PyTorch's own import.

Goals: ≤ 1.0 s without PyTorch installed, ≤ 2.0 s with it, where importing PyTorch alone is part
of the second figure and is printed beside it.  The check without PyTorch needs an interpreter
whose environment has tconvcalc but not PyTorch, e.g.

    python3 -m venv /tmp/notorch && /tmp/notorch/bin/pip install -q .
    python benchmarks/bench_check.py [N] [--without-torch /tmp/notorch/bin/python]

Runs the commands interleaved, N times each (default 7), and prints medians.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

CHECK = ["-m", "tconvcalc", "check", "--in", "16,16", "--k", "3,3", "--s", "2,2"]


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="?", type=int, default=7)
    parser.add_argument("--without-torch", metavar="PYTHON", help="an interpreter with tconvcalc and no PyTorch")
    args = parser.parse_args()
    has_torch = subprocess.run([sys.executable, "-c", "import torch"], capture_output=True).returncode == 0
    commands = {}  # label: (command, goal in s or None)
    if args.without_torch:
        found = subprocess.run([args.without_torch, "-c", "import torch"], capture_output=True).returncode == 0
        if found:
            sys.exit(f"{args.without_torch} can import torch; give an interpreter without PyTorch")
        commands["check 16×16, PyTorch not installed"] = ([args.without_torch, *CHECK], 1.0)
    label = "check 16×16, with PyTorch" if has_torch else "check 16×16, PyTorch not installed"
    commands[label] = ([sys.executable, *CHECK], 2.0 if has_torch else 1.0)
    if has_torch:
        commands['python -c "import torch" (part of the row above)'] = ([sys.executable, "-c", "import torch"], None)
    for command, _ in commands.values():  # warm the file cache: "cold" means a new interpreter
        wall(command)
    times = {label: [] for label in commands}
    for _ in range(args.runs):
        for label, (command, _) in commands.items():
            times[label].append(wall(command))
    print(f"{'command (cold)':<52} {'median s':>9}  goal")
    for label, (_, goal) in commands.items():
        median = statistics.median(times[label])
        verdict = "" if goal is None else f"≤ {goal:.1f} s {'✓' if median <= goal else '✗'}"
        print(f"{label:<52} {median:>9.3f}  {verdict}")
    print(f"medians of {args.runs} interleaved runs each")


if __name__ == "__main__":
    main()
