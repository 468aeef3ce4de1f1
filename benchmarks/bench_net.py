"""`tconvcalc net` against its peers, in one run, with ratios.

- the domain of the 5-level U-Net (examples/networks/unet.toml), warm in-process (target ≤ 0.5 s),
  against the brute force a user would otherwise write: PyTorch running the same U-Net
  (examples/networks/unet.py) at every input height 1..256;
- the same as a cold command, `tconvcalc net examples/networks/unet.toml --domain --json`
  (target ≤ 1.5 s), against its floor, `python -c "import sympy"`;
- reading and tracing a 200-layer ONNX model (built here with onnx.helper), warm and cold
  (target ≤ 1 s), against ONNX's own shape inference on the same file (one size, no derivation).

    python benchmarks/bench_net.py [N]
"""

from __future__ import annotations

import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UNET = ROOT / "examples" / "networks" / "unet.toml"


def best(function, runs: int) -> float:
    """The median of ``runs`` timings of ``function()``, in seconds (after one warm-up call)."""
    function()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cold(command: list[str], runs: int) -> float:
    return best(lambda: subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
                runs)


def torch_sweep() -> list[int]:
    """Every height 1..256 at which PyTorch runs the U-Net (width fixed at 32): the brute force."""
    import torch

    spec = importlib.util.spec_from_file_location("unet", ROOT / "examples" / "networks" / "unet.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    net = module.UNet().eval()
    ran = []
    with torch.no_grad():
        for height in range(1, 257):
            try:
                net(torch.zeros(1, 3, height, 32))
                ran.append(height)
            except RuntimeError:
                pass
    return ran


def onnx_chain(path: Path, layers: int = 200) -> None:
    """A 2-D chain of 3x3 convolutions (every tenth with stride 2, then its transposed convolution
    back), ``layers`` nodes, with a dynamic height and width."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits, previous = [], [], "x"
    for n in range(layers):
        weight = f"w{n}"
        if n % 10 == 9:
            nodes.append(helper.make_node("ConvTranspose", [previous, weight], [f"y{n}"], kernel_shape=[2, 2],
                                          strides=[2, 2], name=f"up{n}"))
            inits.append(numpy_helper.from_array(np.zeros((4, 4, 2, 2), np.float32), weight))
        else:
            stride = 2 if n % 10 == 8 else 1
            nodes.append(helper.make_node("Conv", [previous, weight], [f"y{n}"], kernel_shape=[3, 3],
                                          pads=[1, 1, 1, 1], strides=[stride, stride], name=f"conv{n}"))
            inits.append(numpy_helper.from_array(np.zeros((4, 4, 3, 3), np.float32), weight))
        previous = f"y{n}"
    graph = helper.make_graph(nodes, "chain", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                             [1, 4, "H", "W"])],
                              [helper.make_tensor_value_info(previous, TensorProto.FLOAT, None)], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    from tconvcalc.reports.net import domain_report

    rows = []
    ours = best(lambda: domain_report(str(UNET)), runs)
    if importlib.util.find_spec("torch"):
        sweep = best(torch_sweep, max(1, runs // 5))
        rows.append(("U-Net --domain, warm", ours, "PyTorch runs heights 1..256", sweep, 0.5))
        found = domain_report(str(UNET), upto=256).axes[0].accepted
        agree = list(found) == torch_sweep()
        print(f"domain of axis 0 up to 256 {'equals' if agree else 'DIFFERS from'} the sizes PyTorch runs")
    else:
        rows.append(("U-Net --domain, warm", ours, "(PyTorch not installed)", float("nan"), 0.5))
    cli = [sys.executable, "-m", "tconvcalc", "net", str(UNET), "--domain", "--json"]
    rows.append(("U-Net --domain, cold command", cold(cli, runs), 'python -c "import sympy"',
                 cold([sys.executable, "-c", "import sympy"], runs), 1.5))
    if importlib.util.find_spec("onnx"):
        import onnx

        from tconvcalc.network import load, trace

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "chain.onnx"
            onnx_chain(path)
            rows.append(("200-layer ONNX read + trace, warm", best(lambda: trace(load(str(path)), (64, 64)), runs),
                         "onnx.shape_inference on it", best(lambda: onnx.shape_inference.infer_shapes(
                             onnx.load(str(path))), runs), 1.0))
            rows.append(("200-layer ONNX net --in 64,64, cold", cold(
                [sys.executable, "-m", "tconvcalc", "net", str(path), "--in", "64,64", "--json"], runs),
                "python -c \"import onnx\"", cold([sys.executable, "-c", "import onnx"], runs), 1.0))
    else:
        print("onnx is not installed: the ONNX rows are left out (python -m pip install onnx)")
    print(f"{'ours':<38} {'s':>7}   {'peer':<30} {'s':>7}  {'ratio':>6}  target")
    for label, seconds, peer, peer_seconds, target in rows:
        print(f"{label:<38} {seconds:>7.3f}   {peer:<30} {peer_seconds:>7.3f}  {seconds / peer_seconds:>5.2f}×  "
              f"≤ {target} s {'✓' if seconds <= target else '✗'}")
    print(f"medians of {runs} runs ({max(1, runs // 5)} for the PyTorch sweep, the slowest row)")


if __name__ == "__main__":
    main()
