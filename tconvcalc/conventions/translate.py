"""The five writers: a canonical :class:`Layer` -> a framework's parameters, plus the post-crop.

A framework cannot always express a crop in one layer (TensorFlow's output_shape, PyTorch's
output_padding range, Keras's ban on stride with dilation); each writer picks the parameters
whose own crop is closest - exact first, then crops only, then the least work - and
:class:`Translation` carries the crop or zero-pad still to apply after the layer.
"""

from __future__ import annotations

from collections import namedtuple

from ..model.spec import Axis, Layer, check_at_least, op_limit
from .names import GROUPS, OWN_OPTIONS, SPATIAL_LETTERS, check_rank, compact, framework_name
from .from_framework import FrameworkLayer, jax_padding_pair, keras_output_length, onnx_split, read_framework, tf_crop


class Translation(namedtuple("Translation", "framework layer params produced post_crop groups notes ndim "
                                           "kernel_dilated")):
    """A canonical layer written in ``framework``: ``params`` give the crop ``produced``,
    and ``post_crop`` (``(begin, end)`` per axis, negative = append zeros) turns it into
    ``layer``'s crop.  ``exact`` when no step follows the layer.  Its code lines are
    :func:`tconvcalc.conventions.code.translation_code`'s."""

    __slots__ = ()

    @property
    def exact(self) -> bool:
        return all(c == (0, 0) for c in self.post_crop) and not self.kernel_dilated and self.groups_split is False

    @property
    def groups_split(self) -> bool:
        return self.groups > 1 and self.framework not in GROUPS

    @property
    def output_size(self) -> tuple[int, ...]:
        return self.layer.output_size

    def options(self) -> dict:
        """``params`` as :func:`read_framework` takes them (reading them back gives ``produced``)."""
        names = {name for name in OWN_OPTIONS[self.framework] if name != "dimension_numbers"}
        out = {name: value for name, value in self.params.items() if name in names and value is not None}
        if self.framework in GROUPS:
            out[GROUPS[self.framework]] = self.groups
        return out

    def read_back(self) -> FrameworkLayer:
        """The target's parameters read back into the canonical model (the crop before ``post_crop``)."""
        kernel = self.params.get("kernel_size", self.params.get("kernel_shape"))
        return read_framework(self.framework, list(self.layer.input_size), kernel, self.ndim, **self.options())

    def as_dict(self) -> dict:
        return {"framework": self.framework, **self.params,
                "post_crop": [list(c) for c in self.post_crop], "exact": self.exact}


def pytorch_arguments(layer: Layer) -> dict[str, tuple[int, ...]] | None:
    """``kernel_size, stride, padding, output_padding, dilation`` per axis, or None if PyTorch can't."""
    pairs = [axis.pytorch for axis in layer.axes]
    if any(pair is None for pair in pairs):
        return None
    return {
        "kernel_size": layer.field("k"),
        "stride": layer.field("s"),
        "padding": tuple(p for p, _ in pairs),
        "output_padding": tuple(op for _, op in pairs),
        "dilation": layer.field("d"),
    }


def _cost(post):
    """Rank candidates: exact first, then crops only (no zeros to add), then the least work."""
    return (sum(abs(b) + abs(e) for b, e in post) > 0, any(b < 0 or e < 0 for b, e in post),
            sum(abs(b) + abs(e) for b, e in post))


def _post(axis: Axis, produced) -> tuple[int, int]:
    return axis.b - produced[0], axis.e - produced[1]


def _undilate(layer: Layer) -> Layer:
    """The same layer with its kernel dilated by hand (zeros between taps) and dilation 1."""
    return Layer(tuple(Axis(a.i, a.span, a.s, 1, a.b, a.e) for a in layer.axes))


def to_framework(layer: Layer, framework: str, groups: int = 1) -> Translation:
    """``layer`` (canonical) in ``framework``'s parameters, plus the crop to apply after it if needed."""
    framework = framework_name(framework)
    check_rank(framework, layer.ndim)
    groups = check_at_least("groups", groups, 1)
    notes = []
    work, dilated = layer, False
    if framework == "keras":
        if any(a.s > 1 for a in layer.axes) and any(a.d > 1 for a in layer.axes):
            work, dilated = _undilate(layer), True
            notes.append(f"{framework} rejects dilation > 1 with stride > 1: dilate the kernel by hand (insert "
                         f"d-1 zeros between taps, kernel {compact(work.kernel_size)}) and use dilation 1")
    params, produced = _WRITERS[framework](work)
    post = tuple(_post(a, c) for a, c in zip(layer.axes, produced))
    if groups > 1 and framework not in GROUPS:
        notes.append(f"{framework} has no groups: split the channels into {groups} groups, run one layer per group "
                     f"(each with C_out/{groups} output channels) and concatenate the outputs along the channel axis")
    if any(c != (0, 0) for c in post):
        what = []
        if any(b > 0 or e > 0 for b, e in post):
            what.append("crop")
        if any(b < 0 or e < 0 for b, e in post):
            what.append("zero-pad")
        notes.append(f"{framework} cannot express this crop in one layer: apply the {' and '.join(what)} after it "
                     f"(post_crop, negative = zeros appended)")
    return Translation(framework, layer, params, tuple(produced), post, groups, tuple(notes), layer.ndim, dilated)


def convert(source: str, target: str, input_size, kernel_size, ndim: int | None = None,
            **options) -> Translation:
    """Read a layer in ``source``'s parameters and write it in ``target``'s."""
    read = read_framework(source, input_size, kernel_size, ndim, **options)
    return to_framework(read.layer, target, read.groups)


def _to_pytorch(layer: Layer):
    ps, ops, produced = [], [], []
    for a in layer.axes:
        limit = op_limit(a.s, a.d)
        if a.pytorch is not None:
            p, op = a.pytorch
        else:
            p = max(0, min(a.b, a.e + limit - 1))
            op = min(max(p - a.e, 0), limit - 1)
        ps.append(p)
        ops.append(op)
        produced.append((p, p - op))
    params = {"kernel_size": list(layer.kernel_size), "stride": list(layer.field("s")), "padding": ps,
              "output_padding": ops, "dilation": list(layer.field("d"))}
    return params, produced


def _nearest(axis: Axis, sizes: range, crop_of) -> tuple[int, tuple[int, int]] | None:
    """The output size in ``sizes`` whose crop (``crop_of(n)``, None if refused) is closest to the axis's
    by :func:`_cost`, the smallest of equals - what trying every size would pick, in O(1).

    The crop moves one sample per size, so the cost only changes slope where a side of the post-crop
    changes sign or the padding stops (sizes ``full - 2b``, ``full - 2e``, ``full - e``, ``full``),
    and the smallest of equal costs sits within a step of such a point or of an end of ``sizes``.
    """
    points = (axis.full, axis.full - 2 * axis.b, axis.full - 2 * axis.e, axis.full - axis.e, axis.o,
              sizes.start, sizes.stop - 1)
    best = None
    for n in sorted({n for p in points for n in range(p - 2, p + 3) if n in sizes}):
        crop = crop_of(n)
        if crop is not None and (best is None or _cost([_post(axis, crop)]) < _cost([_post(axis, best[1])])):
            best = (n, crop)
    return best


def _tf_sizes(a: Axis, padding: str) -> range:
    """Every output_shape TensorFlow accepts on this axis."""
    return range(a.full, a.full + a.s) if padding == "VALID" else range(a.stretched, a.i * a.s + 1)


def _to_tensorflow(layer: Layer):
    best: tuple[tuple, str, list[int], list[tuple[int, int]]] | None = None
    for padding in ("SAME", "VALID"):
        shape: list[int] = []
        produced: list[tuple[int, int]] = []
        for a in layer.axes:
            found = _nearest(a, _tf_sizes(a, padding), lambda n: tf_crop(a.i, a.k, a.s, a.d, n, padding)[0])
            assert found is not None  # TensorFlow accepts every size of _tf_sizes
            n, crop = found
            shape.append(n)
            produced.append(crop)
        cost = _cost([_post(a, c) for a, c in zip(layer.axes, produced)])
        if best is None or cost < best[0]:
            best = (cost, padding, shape, produced)
    assert best is not None  # both paddings were tried
    _, padding, shape, produced = best
    params = {"kernel_size": list(layer.kernel_size), "strides": list(layer.field("s")), "padding": padding,
              "output_shape": shape, "dilations": list(layer.field("d"))}
    return params, produced


def _to_keras(layer: Layer):
    best: tuple[tuple, str, list[int | None] | None, list[tuple[int, int]]] | None = None
    for padding in ("same", "valid"):
        for with_op in (False, True):
            ops: list[int | None] = []
            produced: list[tuple[int, int]] = []
            for a in layer.axes:
                # Keras's output size: one without output_padding, else one per output_padding 0..s-1
                base = keras_output_length(a.i, a.k, a.s, a.d, padding, None if not with_op else 0)
                sizes = range(base, base + (a.s if with_op else 1))
                found = _nearest(a, sizes, lambda n: tf_crop(a.i, a.k, a.s, a.d, n, padding.upper())[0])
                if found is None:
                    break
                ops.append(found[0] - base if with_op else None)
                produced.append(found[1])
            else:
                cost = _cost([_post(a, c) for a, c in zip(layer.axes, produced)])
                if best is None or cost < best[0]:
                    best = (cost, padding, ops if with_op else None, produced)
    assert best is not None  # "valid" without output_padding gives every axis a size
    _, padding, output_padding, produced = best
    params = {"kernel_size": list(layer.kernel_size), "strides": list(layer.field("s")), "padding": padding,
              "output_padding": output_padding, "dilation_rate": list(layer.field("d"))}
    return params, produced


def _to_onnx(layer: Layer):
    base = {"kernel_shape": list(layer.kernel_size), "strides": list(layer.field("s")),
            "dilations": list(layer.field("d"))}
    # Explicit pads (NOTSET) with output_padding for the zeros at the end.
    pads_b, pads_e, ops, produced = [], [], [], []
    for a in layer.axes:
        pb = max(a.b, 0)
        if a.e >= 0:
            pe, op = a.e, 0
        else:
            pe, op = 0, min(-a.e, a.s - 1)
        excess = pb + pe - op - (a.full - 1)  # the layer itself must still give at least one sample
        if excess > 0:  # take it from the larger pad down to the other, then from both, begin first
            gap = min(excess, abs(pb - pe))
            pb, pe = (pb - gap, pe) if pb >= pe else (pb, pe - gap)
            pb, pe = pb - (excess - gap + 1) // 2, pe - (excess - gap) // 2
        pads_b.append(pb)
        pads_e.append(pe)
        ops.append(op)
        produced.append((pb, pe - op))
    explicit = ({**base, "auto_pad": "NOTSET", "pads": pads_b + pads_e, "output_padding": ops}, produced)
    if all(_post(a, c) == (0, 0) for a, c in zip(layer.axes, produced)):
        return explicit
    # Zeros before the first sample: only auto_pad's split of a negative total gets there.
    for auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        shape, ops, produced = [], [], []
        for a in layer.axes:
            # the split puts b before when total = b + e + op is 2b or 2b ± 1: op is b - e or next to it
            found = next((op for op in range(a.b - a.e - 1, a.b - a.e + 2) if 0 <= op < a.s
                          and onnx_split(a.b + a.e + op, auto_pad) == (a.b, a.e + op)), None)
            if found is None:
                break
            shape.append(a.o)
            ops.append(found)
            produced.append((a.b, a.e))
        else:
            return {**base, "auto_pad": auto_pad, "output_shape": shape, "output_padding": ops}, produced
    return explicit


def _to_jax(layer: Layer):
    pairs = list(layer.field("zero_insertion_pads"))  # JAX's (lo, hi) pad the stretched input
    padding: list[list[int]] | str = [list(p) for p in pairs]
    for name in ("SAME", "VALID"):
        if all(jax_padding_pair(a.span, a.s, name) == p for a, p in zip(layer.axes, pairs)):
            padding = name
            break
    params = {"kernel_size": list(layer.kernel_size), "strides": list(layer.field("s")), "padding": padding,
              "rhs_dilation": list(layer.field("d")), "transpose_kernel": True,
              "dimension_numbers": _jax_default_torch_dn(layer.ndim)}
    return params, [(a.b, a.e) for a in layer.axes]


def _jax_default_torch_dn(ndim: int) -> list[str]:
    """Dimension numbers that take PyTorch's x and weight as they are (with transpose_kernel=True)."""
    sp = SPATIAL_LETTERS[ndim]
    return ["NC" + sp, "OI" + sp, "NC" + sp]


_WRITERS = {"pytorch": _to_pytorch, "tensorflow": _to_tensorflow, "keras": _to_keras, "onnx": _to_onnx,
            "jax": _to_jax}
