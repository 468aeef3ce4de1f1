"""How long ``tconvcalc rewrite`` takes, and how fast onnxruntime runs what it writes.

1. A 200-layer model (ConvTranspose layers of three kinds in a chain, each followed by a Conv that brings the size
   back, so the chain stays small): the rewrite alone (reading, rearranging the weights, writing nodes) and the
   onnxruntime check, timed separately, for each form.
2. Per layer kind, onnxruntime's time for the original ConvTranspose and for each rewritten form, side by side,
   in the same rounds (alternating, median of the rounds).

    python benchmarks/bench_rewrite.py
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from tconvcalc.rewrite.onnx import FORMS, check_rewrite, rewrite_model

KINDS = {  # name: (channels, ConvTranspose attributes, spatial input)
    "k4 s2 p1 (DCGAN)": (32, dict(kernel_shape=[4, 4], strides=[2, 2], pads=[1, 1, 1, 1]), (32, 32)),
    "k3 s2 p1 op1": (32, dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1]),
                     (32, 32)),
    "k2 s2 (U-Net)": (32, dict(kernel_shape=[2, 2], strides=[2, 2]), (32, 32)),
}


def _layer_model(channels, attributes, size, rng):
    k = attributes["kernel_shape"]
    weight = numpy_helper.from_array(rng.standard_normal((channels, channels, *k)).astype(np.float32) * 0.1, "W")
    bias = numpy_helper.from_array(rng.standard_normal(channels).astype(np.float32), "B")
    node = helper.make_node("ConvTranspose", ["X", "W", "B"], ["Y"], name="up", **attributes)
    graph = helper.make_graph([node], "layer", [helper.make_tensor_value_info("X", TensorProto.FLOAT,
                                                                                [1, channels, *size])],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)], [weight, bias])
    graph.output[0].type.tensor_type.ClearField("shape")
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _chain_model(depth, rng):
    """``depth`` ConvTranspose layers (the kinds in turn), each followed by a stride-2 Conv back to 16×16."""
    channels, nodes, initializers, current = 8, [], [], "X"
    kinds = list(KINDS.values())
    for n in range(depth):
        _, attributes, _ = kinds[n % len(kinds)]
        k = attributes["kernel_shape"]
        up_w, down_w = f"up{n}.W", f"down{n}.W"
        initializers += [numpy_helper.from_array(rng.standard_normal((channels, channels, *k)).astype(np.float32)
                                                 * 0.1, up_w),
                         numpy_helper.from_array(rng.standard_normal((channels, channels, 2, 2)).astype(np.float32)
                                                 * 0.1, down_w)]
        nodes += [helper.make_node("ConvTranspose", [current, up_w], [f"up{n}"], name=f"up{n}", **attributes),
                  helper.make_node("Conv", [f"up{n}", down_w], [f"down{n}"], name=f"down{n}", strides=[2, 2],
                                   kernel_shape=[2, 2])]
        current = f"down{n}"
    graph = helper.make_graph(nodes, "chain", [helper.make_tensor_value_info("X", TensorProto.FLOAT,
                                                                               [1, channels, 16, 16])],
                              [helper.make_tensor_value_info(current, TensorProto.FLOAT, [1, channels, 16, 16])],
                              initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _session(model):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 4
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])


def main() -> None:
    rng = np.random.default_rng(0)
    print(f"onnxruntime {ort.__version__}, onnx {onnx.__version__}, one intra-op thread")
    chain = _chain_model(200, rng)
    print("\n200 ConvTranspose layers (and 200 Convs): rewrite alone, then the onnxruntime check")
    for form in FORMS:
        start = time.perf_counter()
        new, rewritten = rewrite_model(chain, form)
        rewrite = time.perf_counter() - start
        start = time.perf_counter()
        check = check_rewrite(chain, new)
        checked = time.perf_counter() - start
        print(f"  {form:15} rewrite {rewrite:6.3f} s   check {checked:6.3f} s   "
              f"{len(rewritten)} nodes, passed={check.passed}")
    print("\nonnxruntime per layer kind (median of 15 rounds, ms per run; ratio to the ConvTranspose)")
    print(f"  {'layer':18} {'ConvTranspose':>14}" + "".join(f" {form:>22}" for form in FORMS))
    for name, (channels, attributes, size) in KINDS.items():
        model = _layer_model(channels, attributes, size, rng)
        sessions = {"original": _session(model)}
        sessions.update({form: _session(rewrite_model(model, form)[0]) for form in FORMS})
        x = {"X": rng.standard_normal((1, channels, *size)).astype(np.float32)}
        times = {key: [] for key in sessions}
        for _ in range(15):
            for key, session in sessions.items():
                start = time.perf_counter()
                for _ in range(20):
                    session.run(None, x)
                times[key].append((time.perf_counter() - start) / 20 * 1e3)
        base = statistics.median(times["original"])
        cells = "".join(f" {statistics.median(times[form]):10.3f} ({statistics.median(times[form]) / base:5.2f}×)"
                        for form in FORMS)
        print(f"  {name:18} {base:14.3f}{cells}")


if __name__ == "__main__":
    main()
