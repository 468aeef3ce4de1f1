"""Cold start of `tconvcalc shape` against its peer: a bare `import click, rich.console, rich.table`.

The shape path must cost about what Python + click + rich cost (target: ratio ≤ 1.3).
Runs the two commands interleaved, N times each, and prints medians and the ratio.

    python benchmarks/bench_startup.py [N]
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time

SHAPE = ["shape", "--in", "32,32", "--k", "4,4", "--s", "2,2", "--p", "1,1"]


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    script = shutil.which("tconvcalc")
    ours = [script, *SHAPE] if script else [sys.executable, "-m", "tconvcalc", *SHAPE]
    peer = [sys.executable, "-c", "import click, rich.console, rich.table"]
    wall(ours), wall(peer)  # warm the file cache: "cold" means a new interpreter, not a cold disk
    times = {"ours": [], "peer": []}
    for _ in range(runs):
        times["ours"].append(wall(ours))
        times["peer"].append(wall(peer))
    ours_ms = statistics.median(times["ours"]) * 1e3
    peer_ms = statistics.median(times["peer"]) * 1e3
    print(f"{'command':<58} {'median ms':>10}")
    for label, ms in ((" ".join(["tconvcalc", *SHAPE]), ours_ms),
                      ('python -c "import click, rich.console, rich.table"', peer_ms)):
        print(f"{label:<58} {ms:>10.1f}")
    print(f"ratio {ours_ms / peer_ms:.2f} (target ≤ 1.30), {runs} runs each, interleaved")


if __name__ == "__main__":
    main()
