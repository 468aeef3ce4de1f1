"""Time tconvcalc's fast NumPy route against PyTorch's CPU conv_transpose*d on real layers.

    python benchmarks/bench_numeric.py [--threads N] [--batch N] [--rounds N] [--dtype float32|float64]
                                       [--openblas-coretype NAME]

Both run in this process with the same number of threads.  NumPy's BLAS reads its thread count
from the environment when it loads, so it is set here before NumPy is imported.  The two are timed
in alternating rounds (so a noisy neighbour slows both alike) and the fastest run of each is kept.
Prints the CPU and the kernel set NumPy's OpenBLAS runs, the time of each implementation, the ratio
ours / PyTorch's, the geometric mean, and the peak memory of the fast route (tracemalloc, NumPy's
allocations, work buffers included) against output + GEMM buffer.  *GEMMs* replays the fast route's own
GEMM calls alone (the very operands and output buffers one call passed to ``np.matmul``), timed in the
same rounds: what the route would take if its copies, writes and planning cost nothing.  The *bound* is the layer's
multiply-adds (every real input-tap pair once) at the speed NumPy's BLAS reaches on a large square
GEMM in the same run: no route made of that BLAS's GEMMs can beat it.  A naive d2l-style loop over
input positions is timed too, as the slow reference.  Three layers run again at batch 16.

Freed memory is kept by the C allocator (glibc ``mallopt``) unless ``--default-malloc`` is given:
otherwise each call's multi-megabyte buffers come back from the kernel as fresh pages, and a page
fault per 4 KiB (about 1.5 us in a VM) adds up to a third of a layer's time, by chance to one
library or the other depending on what the heap looked like.  Steady memory is also what a
training loop sees.

``--openblas-coretype`` sets ``OPENBLAS_CORETYPE`` before NumPy loads: OpenBLAS 0.3.31, the one in
NumPy 2.4's wheels, does not recognise AMD Zen 5 and runs its AVX2 (Haswell) kernels there, at
half the AVX-512 speed oneDNN gets from the same cores (OpenBLAS issue #6029, fix merged in #6033;
the newest OpenBLAS wheel on PyPI, scipy-openblas32 0.3.34.481.3, still picks Haswell on such a machine);
``--openblas-coretype SkylakeX`` gives it the AVX-512 kernels the machine has.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import sys


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=6, help="alternating rounds of 5 timed runs each")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument("--no-naive", action="store_true", help="skip the slow naive loop")
    parser.add_argument("--openblas-coretype", metavar="NAME",
                        help="OpenBLAS kernel set, e.g. SkylakeX on AVX-512 machines OpenBLAS misdetects")
    parser.add_argument("--default-malloc", action="store_true",
                        help="leave glibc returning freed memory to the kernel (page faults on every call)")
    return parser.parse_args()


def keep_freed_memory() -> bool:
    """Tell glibc to keep freed memory in the heap (no mmap per large block, no trimming)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(libc.mallopt(m_mmap_threshold, 32 << 20)) and bool(libc.mallopt(m_trim_threshold, 1 << 30))


ARGS = _arguments()
STEADY_MEMORY = not ARGS.default_malloc and keep_freed_memory()
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(ARGS.threads)  # before NumPy loads its BLAS
if ARGS.openblas_coretype:
    os.environ["OPENBLAS_CORETYPE"] = ARGS.openblas_coretype

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import time  # noqa: E402
import tracemalloc  # noqa: E402
from unittest import mock  # noqa: E402

import numpy as np  # noqa: E402

from tconvcalc import numeric  # noqa: E402
from tconvcalc.model.structure import nnz  # noqa: E402
from tconvcalc.numeric.run import work_bytes  # noqa: E402
from tconvcalc.model.spec import Layer  # noqa: E402

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # the peer is optional: report our numbers alone
    torch = None

# name, C_in, C_out, input size, k, s, p, op, d, batch (None: --batch)
LAYERS = [
    ("DCGAN gen 128→64 16×16 k4 s2 p1", 128, 64, (16, 16), 4, 2, 1, 0, 1, None),
    ("DCGAN gen 64→3 32×32 k4 s2 p1", 64, 3, (32, 32), 4, 2, 1, 0, 1, None),
    ("U-Net dec 256→128 32×32 k2 s2", 256, 128, (32, 32), 2, 2, 0, 0, 1, None),
    ("k3 s2 p1 op1 64→64 32×32", 64, 64, (32, 32), 3, 2, 1, 1, 1, None),
    ("dilated 64→64 32×32 k3 d2 p2", 64, 64, (32, 32), 3, 1, 2, 0, 2, None),
    ("audio 1-D 128→64 L1024 k16 s8 p4", 128, 64, (1024,), 16, 8, 4, 0, 1, None),
    ("3-D 32→16 8×16×16 k2 s2", 32, 16, (8, 16, 16), 2, 2, 0, 0, 1, None),
    # a larger batch, where the GEMMs are wider
    ("DCGAN gen 64→3 32×32, batch 16", 64, 3, (32, 32), 4, 2, 1, 0, 1, 16),
    ("k3 s2 p1 op1 64→64 32×32, batch 16", 64, 64, (32, 32), 3, 2, 1, 1, 1, 16),
    ("dilated 64→64 32×32 d2, batch 16", 64, 64, (32, 32), 3, 1, 2, 0, 2, 16),
]


def timed(functions, rounds: int) -> list[float]:
    """The fastest of ``5 * rounds`` runs of each function, the functions taking turns round by round.

    On a shared machine the slower runs measure the neighbours, not the code; taking turns means
    a busy spell slows every contender, not just whichever was being timed.
    """
    best = [float("inf")] * len(functions)
    for _ in range(rounds):
        for index, fn in enumerate(functions):
            # OpenBLAS's and PyTorch's worker threads spin for a while after a call; on a small
            # machine they would steal the cores from the other library's run.  Let them go idle.
            time.sleep(0.05)
            fn()  # warm-up: page faults, BLAS and oneDNN set-up, work buffers
            for _ in range(5):
                start = time.perf_counter()
                fn()
                best[index] = min(best[index], time.perf_counter() - start)
    return best


def openblas_core() -> str:
    """The kernel set NumPy's OpenBLAS picked when it loaded, asked of the loaded library itself."""
    try:
        with open("/proc/self/maps") as maps:
            paths = sorted({line.split()[-1] for line in maps if "openblas" in line.lower() and "/" in line})
    except OSError:  # not Linux: say nothing rather than guess
        return "unknown"
    for path in paths:
        library = ctypes.CDLL(path)
        for symbol in ("openblas_get_corename", "scipy_openblas_get_corename64_", "scipy_openblas_get_corename"):
            function = getattr(library, symbol, None)
            if function is not None:
                function.restype = ctypes.c_char_p
                return function().decode()
    return "unknown"


def cpu_info() -> tuple[str, bool]:
    """The CPU's model name and whether it has AVX-512, from /proc/cpuinfo (Linux)."""
    try:
        with open("/proc/cpuinfo") as info:
            text = info.read()
    except OSError:
        return "unknown CPU", False
    names = [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("model name")]
    return (names[0] if names else "unknown CPU"), " avx512f" in text


def avx512_unused(core: str) -> bool:
    """Whether the CPU has AVX-512 but OpenBLAS picked a kernel set without it (as on Zen 5)."""
    return cpu_info()[1] and core.lower() in ("haswell", "zen", "sandybridge")


def reference_gemm(dtype: np.dtype):
    """A large square GEMM and its multiply-adds: timed in every layer's rounds, its fastest run says what
    NumPy's BLAS can do on these threads, whatever the neighbours were doing."""
    a = np.random.default_rng(1).standard_normal((1024, 1024)).astype(dtype)
    out = np.empty_like(a)
    return (lambda: np.matmul(a, a, out=out)), 1024 ** 3


def recorded_gemms(call):
    """A function that repeats the GEMMs one ``call`` of the fast route makes, on the very arrays it
    passed to ``np.matmul`` (its work buffers are kept between calls), and nothing else."""
    calls, matmul = [], np.matmul

    def record(a, b, out=None, **kwargs):
        calls.append((a, b, out))
        return matmul(a, b, out=out, **kwargs)

    with mock.patch.object(np, "matmul", record):
        call()
    if not calls:  # a route without np.matmul would show ~0 ms here: say so rather than time nothing
        raise SystemExit("the fast route made no np.matmul call; the GEMMs column cannot be measured")
    return lambda: [matmul(a, b, out=out) for a, b, out in calls]


def naive(x, w, stride, padding, output_padding):
    """d2l's trans_conv: for every input position, add input × kernel into the output, then crop."""
    n, _, *size = x.shape
    _, c_out, *kernel = w.shape
    full = [(i - 1) * stride + k + output_padding for i, k in zip(size, kernel)]
    y = np.zeros((n, c_out, *full), x.dtype)
    for pos in np.ndindex(*size):
        window = (slice(None), slice(None), *(slice(p * stride, p * stride + k) for p, k in zip(pos, kernel)))
        y[window] += np.tensordot(x[(slice(None), slice(None), *pos)], w, axes=1)
    return y[(slice(None), slice(None), *(slice(padding, f - padding) for f in full))]


def peak_memory(fn) -> int:
    numeric.release_buffers()  # count the work buffers the call allocates
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main() -> None:
    dtype = np.dtype(ARGS.dtype)
    if torch is not None:
        torch.set_num_threads(ARGS.threads)
    peer = f"PyTorch {torch.__version__}" if torch is not None else "PyTorch not installed"
    core = openblas_core()
    model, avx512 = cpu_info()
    print(f"CPU: {model}, {os.cpu_count()} cores{', AVX-512' if avx512 else ''}; OpenBLAS kernels: {core}")
    print(f"threads={ARGS.threads} batch={ARGS.batch} dtype={dtype} numpy {np.__version__}, {peer}; "
          f"freed memory {'kept' if STEADY_MEMORY else 'returned'}; "
          f"fastest of {5 * ARGS.rounds} runs, in alternating rounds\n")
    header = (f"{'layer':36} {'ours ms':>9} {'torch ms':>9} {'ratio':>6} {'GEMMs ms':>9} {'GEMMs':>6} "
              f"{'bound ms':>9} {'bound':>6} "
              f"{'naive ms':>9} {'peak MiB':>9} {'out+GEMM':>9} {'mem':>5}")
    if avx512_unused(core):
        print(f"note: this CPU has AVX-512 but OpenBLAS runs its {core} kernels (AVX2, half the width); "
              f"rerun with --openblas-coretype SkylakeX to compare at the speed the machine has\n")
    rng = np.random.default_rng(0)
    reference, reference_macs = reference_gemm(dtype)
    rows, memories, reference_time = [], [], float("inf")
    for name, c_in, c_out, size, k, s, p, op, d, batch in LAYERS:
        nd = len(size)
        x = rng.standard_normal((batch or ARGS.batch, c_in, *size)).astype(dtype)
        w = rng.standard_normal((c_in, c_out, *(k,) * nd)).astype(dtype)
        layer = Layer.from_pytorch(size, k, s, p, op, d)
        ours_fn = lambda: numeric.conv_transpose(x, w, None, s, p, op, 1, d)  # noqa: E731
        result = ours_fn()
        gemms_fn = recorded_gemms(ours_fn)
        if torch is not None:
            tx, tw = torch.from_numpy(x), torch.from_numpy(w)
            conv = getattr(F, f"conv_transpose{nd}d")
            with torch.no_grad():
                ours, theirs, gemms, gemm_time = timed(
                    [ours_fn, lambda: conv(tx, tw, None, s, p, op, 1, d), gemms_fn, reference], ARGS.rounds)
                expected = conv(tx, tw, None, s, p, op, 1, d).numpy()
            scale = float(np.abs(expected).max())
            assert np.abs(result - expected).max() <= 1e-4 * scale, f"{name}: results differ from PyTorch"
        else:
            (ours, gemms, gemm_time), theirs = timed([ours_fn, gemms_fn, reference], ARGS.rounds), None
        reference_time = min(reference_time, gemm_time)
        if ARGS.no_naive or d != 1:
            naive_text = f"{'—':>9}"
        else:
            start = time.perf_counter()
            floor = naive(x, w, s, p, op)
            slow = time.perf_counter() - start
            assert np.allclose(floor, result, atol=1e-3), f"{name}: naive loop disagrees"
            naive_text = f"{slow * 1e3:9.1f}"
        peak = peak_memory(lambda: numeric.conv_transpose(x, w, None, s, p, op, 1, d))
        gemm = work_bytes("fast", layer, x.shape, w.shape, 1, dtype)
        budget = result.nbytes + gemm
        memories.append(peak / budget)
        macs = x.shape[0] * c_in * c_out * nnz(layer.axes)  # every real (input, tap) pair, once
        rows.append((name, ours, theirs, gemms, macs, naive_text, peak, budget))
    rate = reference_macs / reference_time
    print(f"NumPy's BLAS on a 1024³ GEMM: {2 * rate / 1e9:.0f} GFLOP/s (fastest run); bound: the layer's "
          f"multiply-adds at that speed, and that over PyTorch's time\n")
    print(header)
    print("-" * len(header))
    ratios, gemm_ratios, bounds = [], [], []
    for name, ours, theirs, gemms, macs, naive_text, peak, budget in rows:
        bound = macs / rate
        if theirs is not None:
            ratios.append(ours / theirs)
            gemm_ratios.append(gemms / theirs)
            bounds.append(bound / theirs)
            theirs_text, ratio_text, gemms_text, bound_text = (f"{theirs * 1e3:9.2f}", f"{ours / theirs:5.2f}×",
                                                               f"{gemms / theirs:5.2f}×", f"{bound / theirs:5.2f}×")
        else:
            theirs_text, ratio_text, gemms_text, bound_text = f"{'—':>9}", f"{'—':>6}", f"{'—':>6}", f"{'—':>6}"
        print(f"{name:36} {ours * 1e3:9.2f} {theirs_text} {ratio_text} {gemms * 1e3:9.2f} {gemms_text} "
              f"{bound * 1e3:9.2f} {bound_text} "
              f"{naive_text} {peak / 2**20:9.2f} {budget / 2**20:9.2f} {peak / budget:4.2f}×")
    print()
    if ratios:
        geo = float(np.exp(np.mean(np.log(ratios))))
        print(f"geometric mean ours/PyTorch: {geo:.2f}×   worst: {max(ratios):.2f}×   best: {min(ratios):.2f}×")
        print(f"GEMMs alone / PyTorch: geometric mean {float(np.exp(np.mean(np.log(gemm_ratios)))):.2f}×   "
              f"worst: {max(gemm_ratios):.2f}× (the fast route's own GEMM calls, replayed with nothing else)")
        print(f"bound / PyTorch: geometric mean {float(np.exp(np.mean(np.log(bounds)))):.2f}×   "
              f"worst: {max(bounds):.2f}× (no route made of this BLAS's GEMMs gets below its bound)")
    print(f"peak memory / (output + GEMM buffer): worst {max(memories):.2f}×")
    print("(naive: d2l-style loop over input positions, one tensordot each; not run for the dilated layer)")


if __name__ == "__main__":
    main()
