"""What every rewrite's check shares, whichever runtime runs it: the sizes it draws, the error it measures, the
tolerance per float type, and the record it answers with."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Check(NamedTuple):
    """The rewritten model run against the original in a runtime (onnxruntime, PyTorch) on the same random inputs
    (their shapes by name): the largest error relative to the largest output, the tolerance for the model's float
    type, and, when they differ, whether ONNX's reference implementation agrees with the rewrite (``reference``:
    onnxruntime then runs the original its own way; None elsewhere)."""

    runtime: str
    inputs: dict[str, list[int]]
    max_rel_error: float
    tolerance: float
    passed: bool
    reference: bool | None

#: Relative error allowed per float type: the rewrite sums the same products in another order.
TOLERANCE = {"float16": 1e-2, "float32": 1e-5, "float64": 1e-12}

#: The smallest spatial size the check draws for a free axis, when the network accepts one that large.
CHECK_SIZE = 16


def network_check_sizes(network) -> tuple:
    """Per axis the smallest size of at least :data:`CHECK_SIZE` that the network's derived domain accepts (so
    merges line up), else the largest it accepts below that; :class:`ParameterError` when the domain cannot be
    derived."""
    from ..network.domain import accepted, axis_domain

    sizes = []
    for axis in range(network.ndim):
        found = accepted(axis_domain(network, axis), 64 * CHECK_SIZE)
        sizes.append(next((n for n in found if n >= CHECK_SIZE), found[-1] if found else CHECK_SIZE))
    return tuple(sizes)


def relative_error(got: list, expected: list) -> float:
    """The largest absolute difference of each output pair relative to the expected output's largest magnitude
    (infinite where the shapes differ), over every pair."""
    worst = 0.0
    for a, b in zip(got, expected):
        if a.shape != b.shape:
            return float("inf")
        a, b = a.astype(np.float64), b.astype(np.float64)
        worst = max(worst, float(np.max(np.abs(a - b), initial=0.0)) / max(float(np.max(np.abs(b), initial=0.0)),
                                                                          1e-30))
    return worst


