"""Cold `tconvcalc animate` of a 5×5 2-D layer against its peers in the same run: importing
matplotlib.pyplot in a bare interpreter (the floor any matplotlib picture pays) and `tconvcalc figure`
(one still picture of the same layer).  Target: the animation ≤ 2 s including the import.

Runs the commands interleaved, N times each (a new interpreter every time, files into a temporary
folder), and prints medians and ratios.

    python benchmarks/bench_animate.py [N]
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LAYER = ["--in", "5", "--k", "3", "--s", "2", "--p", "1", "--op", "1"]  # 5×5 -> 10×10


def wall(command: list[str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd)
    return time.perf_counter() - start


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    script = shutil.which("tconvcalc")
    prefix = [script] if script else [sys.executable, "-m", "tconvcalc"]
    commands = {
        "animate 5×5 scatter -o a.gif (25 frames)": [*prefix, "animate", *LAYER, "-o", "a.gif"],
        "animate 5×5 direct -o a.gif (100 frames)": [*prefix, "animate", *LAYER, "--view", "direct", "-o", "a.gif"],
        "animate 5×5 scatter -o a.pdf (25 pages)": [*prefix, "animate", *LAYER, "-o", "a.pdf"],
        "figure 5×5 --png f.png (one picture)": [*prefix, "figure", *LAYER, "--png", "f.png"],
        'python -c "import matplotlib.pyplot"': [sys.executable, "-c", "import matplotlib; matplotlib.use('Agg'); "
                                                                       "import matplotlib.pyplot"],
    }
    with tempfile.TemporaryDirectory() as folder:
        for command in commands.values():  # warm the file cache: "cold" means a new interpreter, not a cold disk
            wall(command, folder)
        times = {label: [] for label in commands}
        for _ in range(runs):
            for label, command in commands.items():
                times[label].append(wall(command, folder))
        size = (Path(folder) / "a.gif").stat().st_size
    medians = {label: statistics.median(values) for label, values in times.items()}
    peer = medians['python -c "import matplotlib.pyplot"']
    figure = medians["figure 5×5 --png f.png (one picture)"]
    print(f"{'command':<44} {'median s':>9} {'/ import':>9} {'/ figure':>9}")
    for label, seconds in medians.items():
        print(f"{label:<44} {seconds:>9.3f} {seconds / peer:>8.2f}× {seconds / figure:>8.2f}×")
    scatter = medians["animate 5×5 scatter -o a.gif (25 frames)"]
    print(f"animate 5×5 scatter: {scatter:.2f} s (target ≤ 2 s {'✓' if scatter <= 2 else '✗'}); the direct view's GIF "
          f"is {size / 1e3:.0f} KB; medians of {runs} runs each, interleaved")


if __name__ == "__main__":
    main()
