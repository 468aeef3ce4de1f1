"""Cold start of `tconvcalc shape` and `tconvcalc --help` against their peer: a bare
`import click, rich.console, rich.table`.

The shape path must cost about what Python + click + rich cost (target: ratio ≤ 1.3), and
listing the commands must cost no more than `shape` (it imports none of them).  Runs the
commands interleaved, N times each, and prints medians and the ratios.

    python benchmarks/bench_startup.py [N]
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time

SHAPE = ["shape", "--in", "32,32", "--k", "4,4", "--s", "2,2", "--p", "1,1"]
HELP = ["--help"]


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    script = shutil.which("tconvcalc")
    prefix = [script] if script else [sys.executable, "-m", "tconvcalc"]
    commands = {
        " ".join(["tconvcalc", *SHAPE]): [*prefix, *SHAPE],
        "tconvcalc --help": [*prefix, *HELP],
        'python -c "import click, rich.console, rich.table"': [sys.executable, "-c",
                                                               "import click, rich.console, rich.table"],
    }
    for command in commands.values():  # warm the file cache: "cold" means a new interpreter, not a cold disk
        wall(command)
    times = {label: [] for label in commands}
    for _ in range(runs):
        for label, command in commands.items():
            times[label].append(wall(command))
    medians = {label: statistics.median(values) * 1e3 for label, values in times.items()}
    print(f"{'command':<58} {'median ms':>10}")
    for label, ms in medians.items():
        print(f"{label:<58} {ms:>10.1f}")
    shape, listing, peer = medians.values()
    print(f"shape / peer {shape / peer:.2f} (target ≤ 1.30); --help / shape {listing / shape:.2f} (target ≤ 1.00); "
          f"{runs} runs each, interleaved")


if __name__ == "__main__":
    main()
