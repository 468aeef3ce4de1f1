"""How long the checkerboard check and fix take on a 50 M-parameter decoder, against PyTorch measuring the same
phase responses by running every layer on constant inputs.

The decoder's transposed layers are float32 (as trained weights are): 1024 → 512 → … channels, k4 s2 and k3 s2.
``tconvcalc`` reads each layer's phase sums from its weights (one contraction per kernel axis); the peer runs each
layer with PyTorch on a one-hot constant input per input channel (the brute-force way to read the same
``C_in × C_out × Πs`` responses) — the numbers agree, and the script says how far apart.  Reading the model file is
not timed: both start from the weights in memory.

    python benchmarks/bench_checkerboard.py
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from tconvcalc.checkerboard import LayerWeights, analyse, fix_layer, phase_sums
from tconvcalc.checkerboard.verify import available, verify

# (C_in, C_out, k, s) per layer: about 50 M parameters in all.
DECODER = [(1024, 1024, 4, 2), (1024, 768, 4, 2), (768, 768, 4, 2), (768, 512, 4, 2), (512, 512, 3, 2),
           (512, 384, 4, 2), (384, 256, 3, 2), (256, 128, 4, 2), (128, 64, 4, 2)]
ROUNDS = 3


def _layers(rng):
    return [LayerWeights(f"up{n}", "transposed", (rng.standard_normal((c_in, c_out, k, k)) * 0.02).astype(np.float32),
                         rng.standard_normal(c_out).astype(np.float32), (s, s), (1, 1), 1)
            for n, (c_in, c_out, k, s) in enumerate(DECODER)]


def _torch_phase_sums(torch, layer):
    """Each input channel alone set to 1: one period of the interior of every output channel is its phase sums."""
    c_in, _, k, _ = layer.weight.shape
    s = layer.strides[0]
    n = -(-(k - 1) // s) + 1
    weight = torch.from_numpy(layer.weight)
    x = torch.zeros(c_in, c_in, n, n)
    x[torch.arange(c_in), torch.arange(c_in)] = 1.0  # batch element c: channel c constant
    with torch.no_grad():
        y = torch.nn.functional.conv_transpose2d(x, weight, stride=s)
    start = -(-(k - 1) // s) * s
    return y[:, :, start:start + s, start:start + s].numpy()


def _timed(fn):
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    rng = np.random.default_rng(0)
    layers = _layers(rng)
    params = sum(layer.weight.size + layer.bias.size for layer in layers)
    print(f"decoder: {len(layers)} transposed layers, {params / 1e6:.1f} M parameters (float32), median of {ROUNDS}")
    analyse(layers[-1])  # warm: imports and first calls
    check, checks = _timed(lambda: [analyse(layer) for layer in layers])
    fix, fixed = _timed(lambda: [fix_layer(layer, c) for layer, c in zip(layers, checks)])
    runtime = available("pytorch")
    run, _ = _timed(lambda: [verify(layer, f.layer, runtime) for layer, f in zip(layers, fixed)])
    print(f"  tconvcalc check (every layer analysed)   {check:7.2f} s   "
          f"({sum(c.checkerboard for c in checks)} of {len(layers)} flagged)")
    print(f"  tconvcalc fix (every layer, re-checked)  {fix:7.2f} s   (given the check's results, as the command does)")
    print(f"  the fix verified in {runtime:<11}          {run:7.2f} s   (constant and random inputs through each "
          f"layer: fix and verification {fix + run:.2f} s)")
    try:
        import torch
    except ImportError:
        print("  PyTorch is not installed: no peer to time against (pip install torch==2.13.0)")
        return
    torch.set_num_threads(max(1, torch.get_num_threads()))
    peer, sums = _timed(lambda: [_torch_phase_sums(torch, layer) for layer in layers])
    ours, mine = _timed(lambda: [phase_sums(layer) for layer in layers])
    worst = max(float(np.abs(a - b).max() / np.abs(b).max()) for a, b in zip(sums, mine))
    print(f"  phase sums: tconvcalc {ours:6.2f} s, PyTorch on constant inputs {peer:6.2f} s "
          f"(PyTorch / tconvcalc = {peer / ours:.1f}×; they agree to {worst:.1e} relative, float32 rounding)")


if __name__ == "__main__":
    main()
