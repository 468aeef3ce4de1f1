"""Cᵀ against C⁺ on a layer, measured: C dense from the operator's triples, a seeded random kernel and input.

The numbers here are measurements, not theorems: they depend on the kernel and the input drawn (fixed by the
seed) and on float rounding in the SVD.  :mod:`tconvcalc.symbolic.inverse` proves what holds for every kernel.
Single channel: C is ``Π i × Π o`` (the convolution's outputs × its inputs), bounded by
:data:`tconvcalc.model.structure.MAX_DENSE_CELLS` before it is built.
"""

from __future__ import annotations

import numpy as np

from ..model.structure import Measured, check_dense
from ..model.spec import Layer
from .routes import matrix_indices

SEED = 0

__all__ = ["SEED", "Measured", "dense_matrix", "measure_inverse"]


def dense_matrix(layer: Layer, kernel: np.ndarray) -> np.ndarray:
    """C as a dense array, the kernel's entries put at the operator's ``(row, column, tap)`` triples."""
    rows, cols = check_dense(layer.axes, "the measurement")
    out = np.zeros((rows, cols))
    r, c, t = matrix_indices(layer)
    out[r, c] = kernel.ravel()[t]
    return out


def measure_inverse(layer: Layer, seed: int = SEED) -> Measured:
    """The reconstruction errors of Cᵀ and of C⁺ = numpy.linalg.pinv(C) for a seeded random unit-norm kernel and
    random input u, and C's rank."""
    rng = np.random.default_rng(seed)
    kernel = rng.standard_normal(tuple(axis.k for axis in layer.axes))
    kernel /= np.linalg.norm(kernel)
    c = dense_matrix(layer, kernel)
    u = rng.standard_normal(c.shape[1])
    norm = np.linalg.norm(u)
    seen = c @ u
    # numpy.linalg.matrix_rank's rule on the singular values; the right singular vectors of the rank's values span
    # C's row space: the projector onto it is a second route to C⁺C
    _, values, vt = np.linalg.svd(c, full_matrices=False)
    rank = int((values > values.max(initial=0) * max(c.shape) * np.finfo(float).eps).sum())
    basis = vt[:rank]
    return Measured(c.shape, rank, float(np.linalg.norm(c.T @ seen - u) / norm),
                    float(np.linalg.norm(np.linalg.pinv(c) @ seen - u) / norm),
                    float(np.linalg.norm(u - basis.T @ (basis @ u)) / norm), seed)

