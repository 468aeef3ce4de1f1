"""NumPy backend: execute a transposed convolution four ways and compare them.

Layouts are PyTorch's: ``x`` is ``(N, C_in, *spatial)``, the transposed
convolution's weight ``(C_in, C_out/groups, *k)``, the convolution's weight
``(C_out, C_in/groups, *k)``.  Every route takes a :class:`~tconvcalc.spec.Layer`
(the canonical per-axis crop model), so any framework's layer can be run:

* ``fast``  - GEMMs over all taps: along each axis either the sub-pixel phases read a shared
  window of the input (an im2col copy) or every tap's slab is added into the output (col2im),
  whichever a cost model finds cheaper;
* ``matrix`` - ``y = C^T x`` from the ``(row, column, tap)`` triples of
  :mod:`tconvcalc.operator`, applied in sparse (COO) form with ``np.bincount``;
* ``zero_insertion`` - insert ``s-1`` zeros, pad, correlate with the flipped kernel;
* ``phases`` - the sub-pixel decomposition into ``s**n`` stride-1 convolutions.
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache, partial
from itertools import product
from math import gcd, prod
from typing import NamedTuple, Sequence

import numpy as np

from .operator import axis_taps
from .spec import Axis, IntOrTuple, Layer, ParameterError, broadcast, check_at_least, check_groups, conv_count

__all__ = ["ROUTES", "MAX_BYTES", "conv_transpose", "conv", "apply", "apply_adjoint", "matrix_indices",
           "release_buffers"]

ROUTES = ("fast", "matrix", "zero_insertion", "phases")


def _default_max_bytes() -> int:
    # Half the machine's memory: a request above it would swap or be killed, so refuse it up front.
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (ValueError, OSError, AttributeError):
        return 8 << 30


#: Largest allocation (output plus work buffers, bytes) a call may request; raise it if you mean it.
MAX_BYTES = _default_max_bytes()

# Work buffers are processed in slices of about this many bytes: small enough to stay in cache
# between the GEMM and the scatter, large enough that the GEMM runs at full speed.
_CHUNK_BYTES = 4 << 20


class _Workspace(threading.local):
    """Work buffers kept between calls, one set per thread.

    A freshly allocated multi-megabyte array costs a page fault per 4 KiB page when it is first
    written - measured at 45% of a GEMM-bound layer's time - so the im2col and GEMM buffers are
    reused from call to call.  The result is always a new array.
    """

    limit = 64 << 20  # larger buffers are allocated per call and not kept

    def __init__(self):
        self.buffers: dict[str, np.ndarray] = {}

    def array(self, name: str, shape: Sequence[int], dtype: np.dtype) -> np.ndarray:
        nbytes = prod(shape) * dtype.itemsize
        if nbytes > self.limit:
            return np.empty(shape, dtype)
        buffer = self.buffers.get(name)
        if buffer is None or buffer.nbytes < nbytes:
            buffer = self.buffers[name] = np.empty(nbytes, np.uint8)
        return buffer[:nbytes].view(dtype).reshape(shape)


_WORK = _Workspace()


def release_buffers() -> None:
    """Free the work buffers this thread keeps between calls (two, of at most 64 MiB each)."""
    _WORK.buffers.clear()


# --- input checking ------------------------------------------------------------------------------

def _bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError  # pragma: no cover


def _array(name: str, value, dtype=None) -> np.ndarray:
    """An ndarray of a floating or complex dtype; lists (which have no dtype) become float64."""
    if not isinstance(value, np.ndarray):
        try:
            value = np.asarray(value)
        except (ValueError, TypeError) as error:
            raise ParameterError(f"{name} is not an array ({error}), every operand must be a rectangular "
                                 f"array of numbers; pass a numpy array") from None
        if value.dtype.kind in "biu":
            value = value.astype(np.float64)
    kind = value.dtype.kind
    if kind in "biu":
        raise ParameterError(
            f"{name} has dtype {value.dtype}, a transposed convolution runs in floating point "
            f"(integers would overflow and round silently); pass {name}.astype(np.float64)")
    if kind not in "fc":
        raise ParameterError(f"{name} has dtype {value.dtype}, which is not numeric, every operand must be "
                             f"a float or complex array; pass {name}.astype(np.float64)")
    return value


def _operands(x, weight, bias, what: str):
    """Validated ``(x, weight, bias, result dtype, work dtype)``."""
    x = _array("x", x)
    weight = _array("weight", weight)
    bias = None if bias is None else _array("bias", bias)
    if x.ndim not in (3, 4, 5) and weight.ndim != x.ndim + 1:
        raise ParameterError(
            f"x has {x.ndim} dimensions {x.shape}, {what} takes (N, C, *spatial) with 1 to 3 spatial axes; "
            + ("add the batch axis with x[None]" if x.ndim == 2 else "reshape x to (N, C, L), (N, C, H, W) "
               "or (N, C, D, H, W)"))
    if weight.ndim == x.ndim + 1 and weight.ndim in (3, 4, 5):
        raise ParameterError(
            f"x {x.shape} has no batch axis for the {weight.ndim - 2}-D weight {weight.shape}, {what} takes "
            f"(N, C, *spatial) like PyTorch's batched layers; add the batch axis with x[None]")
    if weight.ndim != x.ndim:
        raise ParameterError(
            f"weight has {weight.ndim - 2} kernel axes {weight.shape} but x has {x.ndim - 2} spatial axes "
            f"{x.shape}, the kernel needs one size per spatial axis; give weight the shape "
            f"(channels, channels, {', '.join(['k'] * (x.ndim - 2))})")
    # The result keeps x's dtype; weight and bias follow it.  A complex kernel on a real signal is
    # almost always a mistake in building the weight, so it is refused rather than promoted.
    for name, arr in (("weight", weight), ("bias", bias)):
        if arr is not None and arr.dtype.kind == "c" and x.dtype.kind != "c":
            raise ParameterError(
                f"{name} is complex ({arr.dtype}) but x is real ({x.dtype}), the result keeps x's dtype and "
                f"cannot hold complex values; pass x.astype(np.complex128) or {name}.real")
    dtype = x.dtype
    work = np.dtype(np.float32) if dtype == np.float16 else dtype  # no fast float16 GEMM in NumPy
    return x, weight, bias, dtype, work


def _check_groups(groups, c_in: int, c_out: int, what: str) -> int:
    groups = check_at_least("groups", groups, 1)
    if c_in % groups:
        raise ParameterError(
            f"groups={groups} does not divide the {c_in} input channels, each group takes an equal share; "
            f"use groups among {_divisors(c_in)}")
    if c_out % groups:
        raise ParameterError(
            f"groups={groups} does not divide the {c_out} output channels of the {what}, each group makes an "
            f"equal share; use groups among {_divisors(c_out)}")
    return groups


def _divisors(n: int) -> str:
    return ", ".join(str(d) for d in range(1, n + 1) if n % d == 0) or "1"


def _check_bias(bias, c_out: int) -> None:
    if bias is not None and bias.shape != (c_out,):
        raise ParameterError(f"bias has shape {bias.shape}, a bias has one value per output channel; "
                             f"give it shape ({c_out},)")


def _check_memory(what: str, shape: Sequence[int], dtype: np.dtype, extra: int = 0) -> None:
    need = prod(shape) * dtype.itemsize + extra
    if need > MAX_BYTES:
        work = f" plus {_bytes(extra)} of work buffers" if extra else ""
        raise ParameterError(
            f"the {what} of shape {tuple(shape)} ({dtype}) would need {_bytes(need - extra)}{work}, more than the "
            f"{_bytes(MAX_BYTES)} this backend allows (tconvcalc.numeric.MAX_BYTES, half the memory); use a "
            f"smaller batch or input")


def _finish(y: np.ndarray, bias, dtype) -> np.ndarray:
    if bias is not None:
        y += bias.astype(y.dtype, copy=False).reshape((-1,) + (1,) * (y.ndim - 2))
    return y.astype(dtype, copy=False)


# --- the public API ------------------------------------------------------------------------------

def conv_transpose(x, weight, bias=None, stride: IntOrTuple = 1, padding: IntOrTuple = 0,
                   output_padding: IntOrTuple = 0, groups: int = 1, dilation: IntOrTuple = 1, *,
                   crop: Sequence[tuple[int, int]] | None = None, route: str = "fast") -> np.ndarray:
    """``torch.nn.functional.conv_transpose{1,2,3}d``, the dimension chosen by ``x.ndim``.

    ``x`` is ``(N, C_in, *spatial)``, ``weight`` ``(C_in, C_out/groups, *k)``, ``bias`` ``(C_out,)``.
    ``crop=((b, e), ...)`` gives the canonical asymmetric crop per axis instead of
    ``padding``/``output_padding`` (negative values append zeros), so any framework's layer runs.
    ``route`` is one of :data:`ROUTES`; all give the same numbers.
    """
    x, weight, bias, _, _ = _operands(x, weight, bias, "conv_transpose")
    spatial, kernel = x.shape[2:], weight.shape[2:]
    if crop is None:
        layer = Layer.from_pytorch(tuple(spatial), tuple(kernel), stride, padding, output_padding, dilation)
    else:
        if not (_is_zero(padding) and _is_zero(output_padding)):
            raise ParameterError("crop and padding/output_padding both set the crop, only one may; give crop "
                                 "alone (PyTorch's padding p, output_padding op is crop (p, p - op))")
        layer = _crop_layer(spatial, kernel, stride, dilation, crop)
    return apply(layer, x, weight, bias, groups, route)


def _is_zero(value) -> bool:
    return all(v == 0 for v in value) if isinstance(value, (list, tuple)) else value == 0


def _crop_layer(spatial, kernel, stride, dilation, crop) -> Layer:
    pairs = list(crop)
    if any(not isinstance(c, (list, tuple)) or len(c) != 2 for c in pairs):
        raise ParameterError(f"crop={crop!r} is not a list of (begin, end) pairs, the crop has two ends per "
                             f"axis; write e.g. crop=((1, 0), (1, 0))")
    ndim, v = broadcast(input_size=tuple(spatial), kernel_size=tuple(kernel), stride=stride, dilation=dilation,
                        crop_begin=tuple(c[0] for c in pairs), crop_end=tuple(c[1] for c in pairs))
    return Layer(tuple(Axis(*args) for args in zip(v["input_size"], v["kernel_size"], v["stride"], v["dilation"],
                                                    v["crop_begin"], v["crop_end"])))


def conv(x, weight, bias=None, stride: IntOrTuple = 1, padding: IntOrTuple = 0, dilation: IntOrTuple = 1,
         groups: int = 1) -> np.ndarray:
    """``torch.nn.functional.conv{1,2,3}d``: ``x`` ``(N, C_in, *spatial)``, ``weight`` ``(C_out, C_in/groups, *k)``."""
    x, weight, bias, dtype, work = _operands(x, weight, bias, "conv")
    spatial, kernel = x.shape[2:], weight.shape[2:]
    _, v = broadcast(input_size=tuple(spatial), kernel_size=tuple(kernel), stride=stride, padding=padding,
                     dilation=dilation)
    # The convolution is the adjoint of a transposed one; Axis.from_conv validates with the shared messages.
    axes = tuple(Axis.from_conv(*args) for args in zip(v["input_size"], v["kernel_size"], v["stride"],
                                                       v["padding"], v["dilation"]))
    c_out = weight.shape[0]
    groups = check_at_least("groups", groups, 1)
    if x.shape[1] != weight.shape[1] * groups:
        raise ParameterError(
            f"x has {x.shape[1]} channels but weight {weight.shape} with groups={groups} takes "
            f"{weight.shape[1] * groups}, conv's weight is (C_out, C_in/groups, *k); give x "
            f"{weight.shape[1] * groups} channels or fix groups")
    _check_groups(groups, x.shape[1], c_out, "convolution")
    _check_bias(bias, c_out)
    out_shape = (x.shape[0], c_out, *(a.i for a in axes))
    _check_memory("output", out_shape, work)
    if x.shape[0] == 0:
        return _finish(np.zeros(out_shape, work), bias, dtype)
    pads = [(p, p) for p in v["padding"]]
    with np.errstate(invalid="ignore", over="ignore"):
        y = _correlate(_pad(x.astype(work, copy=False), pads), weight.astype(work, copy=False),
                       v["stride"], v["dilation"], groups)
    return _finish(y, bias, dtype)


def apply(layer: Layer, x, weight, bias=None, groups: int = 1, route: str = "fast") -> np.ndarray:
    """Run the transposed convolution ``layer`` (canonical crop model) on ``x`` by ``route``."""
    x, weight, bias, dtype, work = _operands(x, weight, bias, "conv_transpose")
    if route not in _ROUTE_FUNCTIONS:
        raise ParameterError(f"route={route!r} is not a route, the routes are {', '.join(ROUTES)}; "
                             f"use route='fast'")
    if tuple(x.shape[2:]) != layer.input_size or tuple(weight.shape[2:]) != layer.kernel_size:
        raise ParameterError(
            f"x {x.shape} and weight {weight.shape} do not match the layer (input {layer.input_size}, kernel "
            f"{layer.kernel_size}), the arrays' spatial sizes must be the layer's; build the layer from them")
    n, c_in = x.shape[:2]
    if weight.shape[0] != c_in:
        raise ParameterError(
            f"x has {c_in} channels but weight {weight.shape} expects {weight.shape[0]}, conv_transpose's weight "
            f"is (C_in, C_out/groups, *k); give weight {c_in} rows in its first axis or x {weight.shape[0]} "
            f"channels")
    groups = check_at_least("groups", groups, 1)
    if c_in % groups:
        raise ParameterError(
            f"groups={groups} does not divide the {c_in} input channels, each group takes an equal share; "
            f"use groups among {_divisors(c_in)}")
    c_out = weight.shape[1] * groups
    _check_bias(bias, c_out)
    out_shape = (n, c_out, *layer.output_size)
    _check_memory("output", out_shape, work, _work_bytes(route, layer, x.shape, weight.shape, groups, work))
    if n == 0:
        return _finish(np.zeros(out_shape, work), bias, dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        y = _ROUTE_FUNCTIONS[route](layer, x.astype(work, copy=False), weight.astype(work, copy=False), groups)
    return _finish(y, bias, dtype)


def apply_adjoint(layer: Layer, u, weight, groups: int = 1) -> np.ndarray:
    """``C u``: the direct convolution whose transpose is ``layer`` (``u`` has the layer's output shape).

    ``(C u)[n] = sum_a w[a] u[n*s + a*d - b]`` for ``n < i`` - a convolution of ``u`` padded by the
    crop ``(b, e)``; with it ``<C u, x> = <u, C^T x>`` can be checked for any crop.
    """
    u, weight, _, dtype, work = _operands(u, weight, None, "the adjoint")
    with np.errstate(invalid="ignore", over="ignore"):
        y = _correlate(_pad(u.astype(work, copy=False), [(a.b, a.e) for a in layer.axes]),
                       weight.astype(work, copy=False), layer.field("s"), layer.field("d"), groups)
    return y.astype(dtype, copy=False)


# --- shared pieces --------------------------------------------------------------------------------

def _pad(x: np.ndarray, pads: Sequence[tuple[int, int]]) -> np.ndarray:
    """Zero-pad the spatial axes by ``(lo, hi)``; a negative amount crops that end instead.

    Sample ``t`` of the result is ``x[t - lo]`` (zero outside ``x``), so a crop may reach past
    the padding of the other end.
    """
    if all(lo == 0 and hi == 0 for lo, hi in pads):
        return x
    size = x.shape[2:]
    out = np.zeros((*x.shape[:2], *(length + lo + hi for length, (lo, hi) in zip(size, pads))), x.dtype)
    src, dst = [], []
    for length, (lo, hi) in zip(size, pads):
        first, last = max(0, -lo), min(length, length + hi)  # the part of x that survives the crops
        if first >= last:
            return out
        src.append(slice(first, last))
        dst.append(slice(first + lo, last + lo))
    out[(slice(None), slice(None), *dst)] = x[(slice(None), slice(None), *src)]
    return out


def _correlate(xp: np.ndarray, w: np.ndarray, strides, dilations, groups: int) -> np.ndarray:
    """Direct correlation, no padding: im2col through a strided view, then one GEMM per group."""
    n, c_in, *size = xp.shape
    c_out, c_ig, *kernel = w.shape
    out = [conv_count(length, k, s, d) for length, k, s, d in zip(size, kernel, strides, dilations)]
    step = xp.strides
    view = np.lib.stride_tricks.as_strided(
        xp, (n, groups, c_ig, *kernel, *out),
        (step[0], c_ig * step[1], step[1], *(d * t for d, t in zip(dilations, step[2:])),
         *(s * t for s, t in zip(strides, step[2:]))), writeable=False)
    cols = view.reshape(n, groups, c_ig * prod(kernel), prod(out))  # the im2col copy
    y = np.matmul(w.reshape(groups, c_out // groups, c_ig * prod(kernel)), cols)
    return y.reshape(n, c_out, *out)


def _weight_for_conv(w: np.ndarray, groups: int) -> np.ndarray:
    """(C_in, C_out/g, *k) of the transposed layer -> (C_out, C_in/g, *k) of the equivalent convolution."""
    c_in, c_og, *kernel = w.shape
    g = w.reshape(groups, c_in // groups, c_og, *kernel).swapaxes(1, 2)
    return g.reshape(groups * c_og, c_in // groups, *kernel)


def _work_bytes(route: str, layer: Layer, x_shape, w_shape, groups: int, dtype: np.dtype) -> int:
    """Work memory a route will allocate beyond the output, for the up-front memory check."""
    n, c_in = x_shape[:2]
    c_out = w_shape[1] * groups
    if route == "fast" or route in _FIXED_MODES:
        modes = ((_FIXED_MODES[route],) * layer.ndim if route in _FIXED_MODES
                 else _best_modes(layer, x_shape, c_out, groups))
        plan = _gemm_plan(layer, modes)
        per_sample = plan.per_sample(c_in, c_out, groups)
        return min(n, _batch_chunk(per_sample * dtype.itemsize, n)) * per_sample * dtype.itemsize
    if route == "matrix":
        return 16 * _CHUNK_ELEMENTS + prod(a.o for a in layer.axes) * n * c_out * 8
    # zero insertion / phases: the padded input and the im2col buffer of one convolution
    padded = prod(a.full + 2 * a.reach for a in layer.axes)
    return n * c_in * (padded + prod(layer.kernel_size) * prod(layer.output_size)) * dtype.itemsize


def _batch_chunk(per_sample: int, n: int) -> int:
    return max(1, min(n, _CHUNK_BYTES // max(per_sample, 1)))


# --- route 1: GEMMs in which each axis gathers or scatters its taps ---------------------------------
#
# Along a *gathering* axis the outputs are split into their s sub-pixel phases; phase r reads the
# input at a window of offsets shared by all phases, so the window goes into the GEMM's inner
# dimension (an im2col copy of the input) and the phases into its rows.  Along a *scattering* axis
# every tap goes into the GEMM's rows and its slab is added into a strided slice of the output
# (col2im).  All axes gathering is the sub-pixel GEMM, all scattering is col2im; the cost model
# picks the mix with the least estimated time.

def _fast(layer: Layer, x: np.ndarray, w: np.ndarray, groups: int) -> np.ndarray:
    """The default: the per-axis gather/scatter GEMM the cost model finds cheapest."""
    return _gemm(layer, x, w, groups, _best_modes(layer, x.shape, w.shape[1] * groups, groups))


# Relative costs, in multiply-adds of a multi-threaded GEMM, of moving one element through a
# single-threaded NumPy copy or strided in-place add.  Measured on the 2-core CI machine with
# OpenBLAS's AVX2 and AVX-512 kernels: a GEMM does 100-200 G multiply-adds/s, a strided copy moves
# 4-6 G elements/s, an in-place add half that.  They only choose among routes that all agree.
_COPY_COST, _ADD_COST = 25, 50


def _best_modes(layer: Layer, x_shape, c_out: int, groups: int) -> tuple[bool, ...]:
    """Gather (True) or scatter (False) per axis, the cheapest by :func:`_gemm_cost`."""
    return _cheapest_modes(layer, tuple(x_shape[:2]), c_out, groups)


@lru_cache(maxsize=256)
def _cheapest_modes(layer: Layer, batch_channels: tuple[int, int], c_out: int, groups: int) -> tuple[bool, ...]:
    return min(product((True, False), repeat=layer.ndim),
               key=lambda modes: _gemm_cost(_gemm_plan(layer, modes), batch_channels, c_out, groups))


def _gemm_cost(plan: _GemmPlan, x_shape, c_out: int, groups: int) -> int:
    n, c_in = x_shape[:2]
    columns = n * prod(plan.extent)
    rows = {run: len(combos) * prod(plan.scatters) for run, combos in plan.blocks.items()}  # per C_out/g
    macs = columns * (c_out // groups) * c_in * sum(r * (last - first) for (first, last), r in rows.items())
    moves = (columns * c_in * prod(plan.windows) if plan.im2col else 0)
    written = columns * c_out * sum(rows.values())  # GEMM result elements
    return macs + _COPY_COST * moves + (_ADD_COST if plan.scatters else _COPY_COST) * written


class _AxisPhases(NamedTuple):
    """A gathering axis.

    Output ``j`` with ``j + b = q*s + r`` (phase ``r``) receives ``w[a] * x[q - c_a]`` from the taps
    with ``a*d = c_a*s + r``.  All phases share one window of offsets ``c_max - v*step``
    (``v < window``); window row ``v`` at position ``q`` reads ``x[q - q_lo + v*step - pads[0]]``.
    ``phases`` holds ``(j0, count, q0, {v: a})`` per phase that has outputs.
    """
    step: int
    window: int
    q_lo: int
    length: int
    pads: tuple[int, int]
    phases: tuple


def _axis_phases(axis: Axis) -> _AxisPhases:
    offset = [c for phase in axis.phases for c in phase.offsets]  # every tap's c_a, in its phase
    c_min, c_max = min(offset), max(offset)
    step = 0
    for c in offset:
        step = gcd(step, c - c_min)
    step = step or 1
    phases = [(p.first, p.count, p.q_first, {(c_max - c) // step: a for a, c in zip(p.taps, p.offsets)})
              for p in axis.phases if p.count]
    q_lo = min(p[2] for p in phases)
    q_hi = max(p[2] + p[1] - 1 for p in phases)
    return _AxisPhases(step, (c_max - c_min) // step + 1, q_lo, q_hi - q_lo + 1,
                       (c_max - q_lo, q_hi - c_min - (axis.i - 1)), tuple(phases))


class _GemmPlan(NamedTuple):
    """The GEMMs of one choice of modes: ``gathers[ax]`` is an :class:`_AxisPhases` or None (scatter)."""
    gathers: tuple
    windows: tuple  # window rows per axis (1 where it scatters)
    extent: tuple  # GEMM columns per sample, per axis: phase positions or input samples
    blocks: dict  # (first, last) window run -> phase combinations sharing that GEMM
    empty: list  # phase combinations no tap reaches: their outputs are zero
    im2col: bool  # whether the inner dimension needs a copy of x (else x itself is the operand)
    scatters: tuple  # taps per scattering axis
    taps: dict  # per GEMM, the kernel tap (flat index) of each (inner row, result row); -1 for none
    covering: tuple | None  # scatter taps whose slab alone covers the output: written first, by copy

    def per_sample(self, c_in: int, c_out: int, groups: int) -> int:
        """Elements of work buffer per sample of a batch slice: the im2col copy and one GEMM result."""
        columns = prod(self.extent)
        widest = max((len(c) for c in self.blocks.values()), default=0)  # phase combinations in one GEMM
        rows = c_out * widest * prod(self.scatters)
        return (c_in * prod(self.windows) * columns if self.im2col else 0) + rows * columns


@lru_cache(maxsize=256)
def _gemm_plan(layer: Layer, modes: tuple[bool, ...]) -> _GemmPlan:
    gathers = tuple(_axis_phases(axis) if g else None for axis, g in zip(layer.axes, modes))
    phased = [p for p in gathers if p is not None]
    windows = tuple(p.window if p else 1 for p in gathers)
    blocks, empty = _gemm_blocks(phased)
    scatters = tuple(axis.k for axis, p in zip(layer.axes, gathers) if p is None)
    return _GemmPlan(gathers, windows, tuple(p.length if p else axis.i for axis, p in zip(layer.axes, gathers)),
                     blocks, empty, any(p.window > 1 or p.pads != (0, 0) for p in phased), scatters,
                     {run: _tap_table(layer, gathers, scatters, run, combos) for run, combos in blocks.items()},
                     _covering_taps(layer, gathers))


def _covering_taps(layer: Layer, gathers) -> tuple | None:
    """A tap per scattering axis whose slab reaches every output, if there is one on every such axis.

    Written first as a copy, it spares zeroing ``y`` and one read of it; only a stride-1 axis can
    have such a tap (with ``s > 1`` each tap reaches one phase).
    """
    covering = []
    for axis, p in zip(layer.axes, gathers):
        if p is None:
            full = [a for a in range(axis.k) if (span := _tap_range(axis, a)) is not None
                    and span[1].start == 0 and span[1].stop == axis.o] if axis.s == 1 else []
            if not full:
                return None
            covering.append(full[0])
    return tuple(covering)


def _tap_table(layer: Layer, gathers, scatters, run, combos) -> np.ndarray:
    """``(run, combos, *scatter taps)``: the flat kernel index feeding each window row of each
    result row of one GEMM, or -1 where that row gets a zero weight."""
    windows = [p.window for p in gathers if p is not None]
    # each row's window index, per gathering axis (no axes: the one row of an empty window)
    rows = np.unravel_index(np.arange(*run), windows) if windows else ()
    shape = (run[1] - run[0], len(combos), *scatters)
    index = np.zeros(shape, np.intp)
    missing = np.zeros(shape, bool)
    g = s = 0
    for axis, p in zip(layer.axes, gathers):
        if p is None:
            table = np.arange(axis.k).reshape([-1 if i == 2 + s else 1 for i in range(len(shape))])
            s += 1
        else:
            table = np.array([[combo[g][3].get(int(v), -1) for combo in combos] for v in rows[g]])
            table = table.reshape(*table.shape, *(1,) * len(scatters))
            g += 1
        missing = missing | (table < 0)
        index = index * axis.k + table
    index[missing] = -1
    return index


def _gemm_blocks(phased):
    """Phase combinations grouped by the run of window rows (row-major) their taps need.

    A run holds every row a combination uses and, between them, rows it gets zero weights for;
    combinations with the same run share one GEMM.  Combinations without taps are returned apart:
    their outputs are zero.
    """
    windows = [p.window for p in phased]
    blocks, empty = {}, []
    for combo in product(*(p.phases for p in phased)):
        if not all(taps for *_, taps in combo):
            empty.append(combo)
            continue
        first = int(np.ravel_multi_index([min(taps) for *_, taps in combo], windows)) if combo else 0
        last = int(np.ravel_multi_index([max(taps) for *_, taps in combo], windows)) if combo else 0
        blocks.setdefault((first, last + 1), []).append(combo)
    return blocks, empty


def _gemm(layer: Layer, x: np.ndarray, w: np.ndarray, groups: int, modes) -> np.ndarray:
    """Run the GEMMs of ``modes`` (gather True / scatter False per axis) and assemble ``y``."""
    plan = _gemm_plan(layer, modes)
    n, c_in = x.shape[:2]
    c_ig, c_og = c_in // groups, w.shape[1]
    columns = prod(plan.extent)
    weights = _block_weights(w, groups, plan)
    # Scattered slabs are added, so y starts at zero unless one slab covers it; otherwise every
    # sample is written once.
    fill = np.zeros if plan.scatters and plan.covering is None else np.empty
    y = fill((n, groups, c_og, *layer.output_size), x.dtype)
    for combo in plan.empty:
        y[(slice(None),) * 3 + _phase_slices(layer, plan, combo, None)[1]] = 0
    step = _batch_chunk(plan.per_sample(c_in, groups * c_og, groups) * x.dtype.itemsize, n)
    for start in range(0, n, step):
        stop = min(n, start + step)
        batch = stop - start
        if plan.im2col:
            cols = _im2col(layer, plan, x[start:stop].reshape(batch, groups, c_ig, *layer.input_size))
            cols = cols.reshape(groups, prod(plan.windows) * c_ig, batch * columns)
        else:  # x itself, (batch, g, C_in/g, columns), is the operand: one GEMM per sample
            cols = x[start:stop].reshape(batch, groups, c_ig, columns)
        for (first, last), combos in plan.blocks.items():
            m = weights[first, last]
            if plan.im2col:
                out = np.matmul(m, cols[:, first * c_ig:last * c_ig],
                                out=_WORK.array("gemm", (groups, m.shape[1], batch * columns), x.dtype))
                out = out.reshape(groups, c_og, len(combos), *plan.scatters, batch, *plan.extent)
            else:
                out = np.matmul(m, cols, out=_WORK.array("gemm", (batch, groups, m.shape[1], columns), x.dtype))
                out = np.moveaxis(out.reshape(batch, groups, c_og, len(combos), *plan.scatters, *plan.extent),
                                  0, 3 + len(plan.scatters))
            _write_out(y, out, layer, plan, combos, slice(start, stop))
    return y.reshape(n, groups * c_og, *layer.output_size)


def _im2col(layer: Layer, plan: _GemmPlan, x: np.ndarray) -> np.ndarray:
    """``(g, *windows, C_in/g, batch, *extent)``: the input at every window row, zeros past its ends.

    Read straight from ``x`` ``(batch, g, C_in/g, *input)``, so the padding is never materialised.
    """
    batch, groups, c_ig = x.shape[:3]
    cols = _WORK.array("im2col", (groups, *plan.windows, c_ig, batch, *plan.extent), x.dtype)
    source = x.transpose(1, 2, 0, *range(3, x.ndim))  # (g, C_in/g, batch, *input)
    for v in product(*(range(k) for k in plan.windows)):
        target = cols[(slice(None), *v)]  # (g, C_in/g, batch, *extent)
        dst, src = [], []
        for t, p, axis, length in zip(v, plan.gathers, layer.axes, plan.extent):
            lo = 0 if p is None else t * p.step - p.pads[0]  # input index read at column 0
            first, last = max(0, -lo), min(length, axis.i - lo)
            dst.append(slice(first, max(first, last)))
            src.append(slice(first + lo, max(first, last) + lo))
        if any(d.start >= d.stop for d in dst):
            target.fill(0)
            continue
        lead = (slice(None),) * 3
        target[(*lead, *dst)] = source[(*lead, *src)]
        for ax, (d, length) in enumerate(zip(dst, plan.extent)):  # zero the borders, axis by axis
            before = (slice(None),) * ax
            target[(*lead, *before, slice(0, d.start))] = 0
            target[(*lead, *before, slice(d.stop, length))] = 0
    return cols


def _block_weights(w: np.ndarray, groups: int, plan: _GemmPlan) -> dict:
    """Per GEMM, the left operand ``(g, C_out/g * combos * scatter taps, run * C_in/g)``: each result
    row's taps at their window rows, zeros where it has none.

    Built as its transpose ``(run, C_in/g, C_out/g, ...)`` - a gather within each weight's kernel,
    then a move of whole ``C_out/g`` blocks - and handed to the GEMM as a transposed view, which BLAS
    reads as fast as a copy; building the operand itself would walk ``w`` across its channels.
    """
    c_in, c_og = w.shape[:2]
    wg = w.reshape(groups, c_in // groups, c_og, -1)
    weights = {}
    for run, table in plan.taps.items():
        block = wg[:, :, :, np.maximum(table, 0)]  # (g, C_in/g, C_out/g, run, combos, *scatter taps)
        missing = table < 0
        if missing.any():
            block[:, :, :, missing] = 0
        block = np.ascontiguousarray(np.moveaxis(block, 3, 1))  # (g, run, C_in/g, C_out/g, ...)
        weights[run] = block.reshape(groups, table.shape[0] * (c_in // groups), -1).transpose(0, 2, 1)
    return weights


def _phase_slices(layer: Layer, plan: _GemmPlan, combo, taps):
    """Source slices into a GEMM result's positions and target slices into ``y``, per axis, for one
    phase combination and one tap per scattering axis; None if that tap lands outside the output."""
    src, dst = [], []
    phases, scattered = iter(combo), iter(taps or ())
    for axis, p in zip(layer.axes, plan.gathers):
        if p is None:
            span = _tap_range(axis, next(scattered)) if taps is not None else (slice(None), slice(None))
            if span is None:
                return None
            src.append(span[0])
            dst.append(span[1])
        else:
            j0, count, q0, _ = next(phases)
            src.append(slice(q0 - p.q_lo, q0 - p.q_lo + count))
            dst.append(slice(j0, j0 + (count - 1) * axis.s + 1, axis.s))
    return tuple(src), tuple(dst)


def _write_out(y, out, layer: Layer, plan: _GemmPlan, combos, batch: slice) -> None:
    """Move a GEMM result ``(g, C_out/g, combos, *scatter taps, batch, *extent)`` into ``y``: a strided
    copy per phase, or a strided in-place add per scattered tap (the covering one copied first)."""
    taps = list(product(*(range(k) for k in plan.scatters)))
    if plan.covering is not None:
        taps.remove(plan.covering)
        taps.insert(0, plan.covering)
    for index, combo in enumerate(combos):
        for number, tap in enumerate(taps):
            slices = _phase_slices(layer, plan, combo, tap)
            if slices is None:
                continue
            src = out[(slice(None), slice(None), index, *tap, slice(None), *slices[0])]
            src = np.moveaxis(src, 2, 0)  # (batch, g, C_out/g, ...)
            view = y[(batch, slice(None), slice(None), *slices[1])]
            if plan.scatters and (number or plan.covering is None):
                np.add(view, src, out=view)  # no temporaries
            else:
                view[...] = src


def _tap_range(axis: Axis, a: int) -> tuple[slice, slice] | None:
    """Input samples ``n`` whose tap ``a`` lands inside the cropped output, and where they land."""
    shift = a * axis.d - axis.b  # output index m = n*s + shift
    lo = max(0, -(shift // axis.s))  # ceil(-shift / s)
    hi = min(axis.i - 1, (axis.o - 1 - shift) // axis.s)
    if lo > hi:
        return None
    return slice(lo, hi + 1), slice(lo * axis.s + shift, hi * axis.s + shift + 1, axis.s)


# --- route 2: the sparse matrix C^T ------------------------------------------------------------------

_CHUNK_ELEMENTS = 1 << 21


def matrix_indices(layer: Layer) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(rows, cols, taps)`` of C as flat index arrays, from :func:`tconvcalc.operator.axis_taps`.

    The per-axis triples are combined row-major (first axis slowest), the order of
    :func:`tconvcalc.operator.layer_taps`; memory grows with the non-zeros only.
    """
    rows = cols = taps = np.zeros((), np.intp)
    for axis in layer.axes:
        t = np.asarray(axis_taps(axis), dtype=np.intp).reshape(-1, 3)
        rows = rows[..., None] * axis.i + t[:, 0]
        cols = cols[..., None] * axis.o + t[:, 1]
        taps = taps[..., None] * axis.k + t[:, 2]
    return rows.ravel(), cols.ravel(), taps.ravel()


def _matrix(layer: Layer, x: np.ndarray, w: np.ndarray, groups: int) -> np.ndarray:
    n, c_in = x.shape[:2]
    c_ig, c_og = c_in // groups, w.shape[1]
    outputs = prod(layer.output_size)
    rows, cols, taps = matrix_indices(layer)
    xf = x.reshape(n, groups, c_ig, -1)
    wf = w.reshape(groups, c_ig, c_og, -1)
    # Flat destination (batch, group, channel, column) of each contribution; bincount sums them.
    base = (np.arange(n * groups * c_og, dtype=np.intp) * outputs).reshape(n, groups, c_og, 1)
    parts = (lambda a: (a.real, a.imag)) if x.dtype.kind == "c" else (lambda a: (a,))
    acc = [np.zeros(n * groups * c_og * outputs) for _ in parts(x)]
    per_entry = n * c_ig * groups + groups * c_ig * c_og + 2 * n * groups * c_og
    step = max(1, _CHUNK_ELEMENTS // per_entry)
    for start in range(0, len(rows), step):
        r, c, t = rows[start:start + step], cols[start:start + step], taps[start:start + step]
        # value of C^T at (column, row) for every channel pair, times the input at that row
        contrib = np.einsum("ngie,gioe->ngoe", xf[..., r], wf[..., t])
        dest = (base + c).ravel()
        for total, part in zip(acc, parts(contrib)):
            total += np.bincount(dest, weights=part.ravel(), minlength=total.size)
    y = acc[0] if len(acc) == 1 else acc[0] + 1j * acc[1]
    return y.reshape(n, groups * c_og, *layer.output_size).astype(x.dtype, copy=False)


# --- route 3: zero insertion ----------------------------------------------------------------------

def _zero_insertion(layer: Layer, x: np.ndarray, w: np.ndarray, groups: int) -> np.ndarray:
    n, c_in = x.shape[:2]
    z = np.zeros((n, c_in, *layer.field("stretched")), x.dtype)
    z[(slice(None), slice(None), *(slice(None, None, a.s) for a in layer.axes))] = x  # s-1 zeros between
    zp = _pad(z, layer.field("zero_insertion_pads"))
    flipped = _weight_for_conv(w, groups)[(slice(None), slice(None), *(slice(None, None, -1),) * layer.ndim)]
    return _correlate(zp, np.ascontiguousarray(flipped), (1,) * layer.ndim, layer.field("d"), groups)


# --- route 4: sub-pixel phases ---------------------------------------------------------------------

def _phase_plan(axis: Axis, phase):
    """For one :class:`~tconvcalc.spec.Phase`: where its outputs are, which taps feed them, how to pad.

    Its offsets ``c_a`` step by ``d / gcd(s, d)``, so the phase is a stride-1 convolution with that
    dilation and the taps in reverse order.
    """
    if not phase.count:
        return None
    outputs = slice(phase.first, None, axis.s)
    if not phase.taps:
        return outputs, None, None, None
    q_last = phase.q_first + phase.count - 1
    pads = (phase.offsets[-1] - phase.q_first, q_last - phase.offsets[0] - (axis.i - 1))
    return outputs, phase.taps[::-1], axis.d // gcd(axis.s, axis.d), pads


def _phases(layer: Layer, x: np.ndarray, w: np.ndarray, groups: int) -> np.ndarray:
    n = x.shape[0]
    wc = _weight_for_conv(w, groups)
    y = np.zeros((n, wc.shape[0], *layer.output_size), x.dtype)
    plans = [[_phase_plan(axis, phase) for phase in axis.phases] for axis in layer.axes]
    for combo in product(*plans):
        if None in combo or any(p[1] is None for p in combo):
            continue  # no output in this phase, or no tap feeds it: it stays zero
        kernel = wc[np.ix_(range(wc.shape[0]), range(wc.shape[1]), *(p[1] for p in combo))]
        part = _correlate(_pad(x, [p[3] for p in combo]), kernel, (1,) * layer.ndim, [p[2] for p in combo], groups)
        y[(slice(None), slice(None), *(p[0] for p in combo))] = part
    return y


# The extreme forms of the fast route, selectable for tests and benchmarks: every axis gathers or not.
_FIXED_MODES = {"col2im": False, "subpixel_gemm": True}


def _uniform_gemm(gather: bool, layer: Layer, x: np.ndarray, w: np.ndarray, groups: int) -> np.ndarray:
    return _gemm(layer, x, w, groups, (gather,) * layer.ndim)


_ROUTE_FUNCTIONS = {"fast": _fast, "matrix": _matrix, "zero_insertion": _zero_insertion, "phases": _phases,
                    **{route: partial(_uniform_gemm, gather) for route, gather in _FIXED_MODES.items()}}


# --- cross-checking ---------------------------------------------------------------------------------

#: Agreement required, relative to the largest magnitude of the reference result.
TOLERANCE = {"float64": 1e-12, "float32": 1e-5}


def max_errors(result: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """``(max |a - b|, max |a - b| / max |b|)``: relative to the scale of the result, not per element,
    so samples that happen to be near zero do not blow the figure up."""
    with np.errstate(invalid="ignore", over="ignore"):
        diff = float(np.max(np.abs(result.astype(np.float64) - reference), initial=0.0))
    scale = float(np.max(np.abs(reference), initial=0.0))
    return diff, (diff / scale if scale > 0 else diff)


def check_routes(layer: Layer, channels: tuple[int, int], groups: int = 1, batch: int = 2, trials: int = 3,
                 dtype: str = "float64", seed: int = 0, peers: dict | None = None) -> dict:
    """Run every route on random inputs and compare: a JSON-ready dict, ``passed`` says if all agree.

    ``peers`` maps a name to ``f(x, weight, bias) -> array`` run on the same inputs (e.g. PyTorch).
    """
    c_in, c_out = channels
    _check_groups(groups, c_in, c_out, "transposed convolution")
    tolerance = TOLERANCE[dtype]
    rng = np.random.default_rng(seed)
    names = [r for r in ROUTES if r != "fast"] + list(peers or {})
    worst = {name: [0.0, 0.0] for name in names}
    adjoint = {"max_rel_error": 0.0}
    shape = None
    for _ in range(trials):
        x = rng.standard_normal((batch, c_in, *layer.input_size)).astype(dtype)
        w = rng.standard_normal((c_in, c_out // groups, *layer.kernel_size)).astype(dtype)
        bias = rng.standard_normal(c_out).astype(dtype)
        reference = apply(layer, x, w, bias, groups, "fast")
        shape = list(reference.shape)
        outputs = {r: apply(layer, x, w, bias, groups, r) for r in ROUTES if r != "fast"}
        outputs.update({name: np.asarray(f(x, w, bias)) for name, f in (peers or {}).items()})
        for name, y in outputs.items():
            if y.shape != reference.shape:
                worst[name] = [float("inf"), float("inf")]
                continue
            errors = max_errors(y, reference.astype(np.float64))
            worst[name] = [max(a, b) for a, b in zip(worst[name], errors)]
        # <C u, x> = <u, C^T x>, with C from the convolution engine, not from any transposed route
        u = rng.standard_normal(reference.shape).astype(dtype)
        cu = apply_adjoint(layer, u, w, groups).astype(np.float64)
        ctx = apply(layer, x, w, None, groups, "fast").astype(np.float64)
        lhs, rhs = float(np.vdot(cu, x.astype(np.float64))), float(np.vdot(u.astype(np.float64), ctx))
        scale = float(np.linalg.norm(cu) * np.linalg.norm(x.astype(np.float64))) or 1.0
        rel = abs(lhs - rhs) / scale
        if rel >= adjoint["max_rel_error"]:
            adjoint = {"lhs": lhs, "rhs": rhs, "max_rel_error": rel}
    adjoint["passed"] = adjoint["max_rel_error"] <= tolerance
    routes = [{"route": name, "max_abs_error": worst[name][0], "max_rel_error": worst[name][1],
               "passed": worst[name][1] <= tolerance} for name in names]
    return {"dtype": dtype, "tolerance": tolerance, "trials": trials, "batch": batch, "seed": seed,
            "channels": [c_in, c_out], "groups": groups, "output_shape": shape, "routes": routes,
            "adjoint": adjoint, "passed": all(r["passed"] for r in routes) and adjoint["passed"]}
