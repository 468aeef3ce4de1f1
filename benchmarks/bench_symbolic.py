"""Cold symbolic commands, as a user runs them, against SymPy's own import measured in the same run.

    python benchmarks/bench_symbolic.py [RUNS]

Each row is one command on one layer, run as ``tconvcalc …`` in a fresh interpreter; the floor is
``python -c "import sympy"``, which no symbolic command can beat.  The commands and the floor are run
interleaved, RUNS rounds (default 5), and each row prints the median in seconds and its ratio to the
floor's median.  Goals: every row ≤ 1.0 s; aim: ≤ 1.5× the floor.  The last lines say plainly
which rows are behind.

The package is timed as ``pip install .`` leaves it, with its bytecode cached: the environment variable
PYTHONDONTWRITEBYTECODE is dropped for the runs, and one untimed round first writes the cache and warms the
disk ("cold" means a new interpreter, not a cold disk).
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

GOAL_SECONDS = 1.0
AIM_RATIO = 1.5
FLOOR = 'python -c "import sympy"'

# Layers from 2×2 to 1024×1024, 1-D to 3-D, with padding, output_padding and dilation.
LAYERS = {
    "2×2": "--in 2 --k 3 --s 2",
    "32×32": "--in 32,32 --k 4,4 --s 2,2 --p 1,1",
    "1024×1024": "--in 1024,1024 --k 3,3 --s 2,2 --p 1,1 --op 1,1",
    "16³": "--in 16,16,16 --k 3,3,3 --s 2,2,2 --p 1,1,1 --op 1,1,1",
    "1-D 64, d=2": "--in 64 --k 3 --s 2 --p 2 --op 1 --d 2 --ndim 1",
}
DERIVATIONS = ("size", "ambiguity", "equivalence", "phases", "formulas")
GRADIENTS = {
    "5×5": "--in 5 --k 3 --s 2",
    "64×64": "--in 64,64 --k 3,3 --s 2,2 --p 1,1",
    "1-D 64, d=2": "--in 64 --k 3 --s 2 --p 2 --d 2 --ndim 1",
    "16³": "--in 16,16,16 --k 3,3,3 --s 2,2,2 --p 1,1,1",
}
# matrix takes the convolution's input (conv_arithmetic's view); a large C is shown elided in LaTeX.
MATRICES = {
    "4×4": "--in 4,4 --k 3,3",
    "64×64": "--in 64,64 --k 3,3",
    "1024×1024 latex": "--in 1024,1024 --k 3,3 --format latex",
    "8³": "--in 8,8,8 --k 3,3,3",
}
# derive inverse takes the convolution's input too; it builds C dense (NumPy) and CCᵀ symbolically when small.
INVERSES = {
    "1-D 8": "--in 8 --k 2 --s 2 --ndim 1",
    "1-D 64, p=1": "--in 64 --k 3 --s 2 --p 1 --ndim 1",
    "32×32": "--in 32,32 --k 4,4 --s 2,2 --p 1,1",
}


def rows() -> dict[str, list[str]]:
    """Label -> the command's words after ``tconvcalc``."""
    out = {f"latex {size}": ["latex", *args.split()] for size, args in LAYERS.items()}
    for name in DERIVATIONS:
        out.update({f"derive {name} {size}": ["derive", name, *args.split()] for size, args in LAYERS.items()})
    out["derive relationships"] = ["derive", "relationships"]
    # derive gradient takes the convolution's flags (conv's): its input n, no output_padding
    out.update({f"derive gradient {size}": ["derive", "gradient", *args.split()] for size, args in GRADIENTS.items()})
    out.update({f"matrix {size}": ["matrix", *args.split()] for size, args in MATRICES.items()})
    out.update({f"derive inverse {size}": ["derive", "inverse", *args.split()] for size, args in INVERSES.items()})
    return out


def wall(command: list[str], env: dict) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    seconds = time.perf_counter() - start
    if result.returncode != 0:  # a refused or failed command would time its error path, not the work
        raise SystemExit(f"{' '.join(command)} exited {result.returncode}: {result.stderr.decode().strip()}")
    return seconds


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), cpu)
    except OSError:
        pass
    import sympy

    return (f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, SymPy {sympy.__version__}; "
            f"load average {os.getloadavg()[0]:.2f} at the start")


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    script = shutil.which("tconvcalc")
    prefix = [script] if script else [sys.executable, "-m", "tconvcalc"]
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    commands = {FLOOR: [sys.executable, "-c", "import sympy"]}
    commands.update({label: [*prefix, *words] for label, words in rows().items()})
    for command in commands.values():  # untimed: writes the bytecode cache, warms the disk
        wall(command, env)
    times: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(runs):
        for label, command in commands.items():
            times[label].append(wall(command, env))
    medians = {label: statistics.median(values) for label, values in times.items()}
    floor = medians[FLOOR]
    print(f"{'command (cold)':<36} {'s':>7} {'× floor':>8}   goal ≤ {GOAL_SECONDS:.1f} s, aim ≤ {AIM_RATIO}× floor")
    over_goal, over_aim = [], []
    for label, seconds in medians.items():
        ratio = seconds / floor
        marks = []
        if seconds > GOAL_SECONDS:
            over_goal.append(label)
            marks.append("over 1 s")
        if ratio > AIM_RATIO:
            over_aim.append(label)
            marks.append("behind the aim")
        print(f"{label:<36} {seconds:>7.3f} {ratio:>7.2f}×   {', '.join(marks) or '✓'}")
    print(f"medians of {runs} interleaved runs; {machine()}")
    worst = max((label for label in medians if label != FLOOR), key=medians.get)
    print(f"slowest: {worst}, {medians[worst]:.3f} s = {medians[worst] / floor:.2f}× the floor")
    print(f"goal (≤ {GOAL_SECONDS:.1f} s): " + ("met by every row" if not over_goal else
                                                f"BEHIND on {len(over_goal)} rows: {', '.join(over_goal)}"))
    print(f"aim (≤ {AIM_RATIO}× floor): " + ("met by every row" if not over_aim else
                                             f"behind on {len(over_aim)} of {len(medians) - 1} rows: "
                                             f"{', '.join(over_aim)}"))


if __name__ == "__main__":
    main()
