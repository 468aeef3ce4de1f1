"""The animation's frames, without matplotlib: every frame of every view lights exactly C's entries.

The expected values come from brute force over the rule ``m = n*s + a*d - b`` (every input, every
tap), never from the operator the frames are built on; the gallery is checked against
conv_arithmetic's own parameters and its generator's arithmetic.
"""

from __future__ import annotations

from itertools import product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tconvcalc.errors import ParameterError
from tconvcalc.pictures.frames import (MAX_CELLS, VIEWS, accumulated, check_drawable, frame_count, frames_of,
                                       longest_side)
from tconvcalc.pictures.gallery import CONV_ARITHMETIC, GALLERY, by_name
from tconvcalc.model.spec import Layer

from strategies import crop_layers, pytorch_layers


def brute_triples(layer: Layer) -> set:
    """Every non-zero of C as ``(n, m, a)`` index tuples, by trying every input and tap on every axis."""
    per_axis = []
    for axis in layer.axes:
        per_axis.append([(n, n * axis.s + a * axis.d - axis.b, a) for n in range(axis.i) for a in range(axis.k)
                         if 0 <= n * axis.s + a * axis.d - axis.b < axis.o])
    return {tuple(zip(*combo)) for combo in product(*per_axis)}


def brute_focuses(layer: Layer, view: str) -> list:
    """What each frame is about, in row-major order: inputs, outputs, or the residues that outputs have."""
    if view in ("scatter", "conv"):
        return list(product(*(range(axis.i) for axis in layer.axes)))
    if view == "direct":
        return list(product(*(range(axis.o) for axis in layer.axes)))
    residues = [sorted({(m + axis.b) % axis.s for m in range(axis.o)}) for axis in layer.axes]
    return list(product(*residues))


def belongs(view: str, layer: Layer, focus, triple) -> bool:
    """Whether C's entry ``triple`` is one the frame about ``focus`` shows."""
    n, m, _ = triple
    if view in ("scatter", "conv"):
        return n == focus
    if view == "direct":
        return m == focus
    return all((mm + axis.b) % axis.s == r for mm, axis, r in zip(m, layer.axes, focus))


def check_frames(layer: Layer, view: str, paddings=None) -> None:
    animation = frames_of(layer, view, paddings)
    everything = brute_triples(layer)
    focuses = brute_focuses(layer, view)
    assert frame_count(layer, view) == len(animation.frames) == len(focuses)
    assert [frame.focus for frame in animation.frames] == focuses
    for t, axis in enumerate(layer.axes):  # the O(1) size check measures the grids actually drawn
        assert max(grid.shape[t] for grid in animation.grids) == longest_side(axis, view, (paddings or [None] * 2)[t])
    for frame in animation.frames:
        expected = {t for t in everything if belongs(view, layer, frame.focus, t)}
        assert set(frame.triples) == expected and len(frame.triples) == len(expected)
        lit = {name: set(cells) for name, cells in frame.lit.items()}
        grids = {grid.name: grid for grid in animation.grids}
        for name, cells in lit.items():  # every lit cell is a cell of its grid
            assert cells <= set(grids[name].cells()), name
        if view == "scatter":
            n = frame.focus
            assert lit["input"] == {n}
            stamps = set(product(*(range(x * axis.s, x * axis.s + axis.d * axis.k, axis.d)
                                   for x, axis in zip(n, layer.axes))))
            assert lit["scatter"] == stamps  # every tap stamps, cropped or not
            kept = {tuple(f - axis.b for f, axis in zip(cell, layer.axes)) for cell in stamps}
            assert {m for _, m, _ in frame.triples} == {m for m in kept
                                                         if all(0 <= x < a.o for x, a in zip(m, layer.axes))}
        elif view in ("direct", "conv"):
            grid, first, size = frame.window
            assert size == tuple(axis.d * (axis.k - 1) + 1 for axis in layer.axes)
            assert {t[2] for t in frame.triples} == lit["kernel"]
            if view == "direct":
                assert first == frame.focus and lit["output"] == {frame.focus}
                # x[n] sits at n*s after d(k-1) - b cells of padding: the zero insertion of docs/architecture.md
                assert lit["padded"] == {tuple(axis.d * (axis.k - 1) - axis.b + x * axis.s
                                               for x, axis in zip(n, layer.axes)) for n, _, _ in frame.triples}
                assert all(grids["padded"].kind(cell) == "x" for cell in lit["padded"])
            else:
                assert first == tuple(x * axis.s - axis.b for x, axis in zip(frame.focus, layer.axes))
                assert lit["padded"] == {m for _, m, _ in frame.triples} and lit["output"] == {frame.focus}
            for cell in lit["padded"]:  # the lit cells lie under the kernel's taps
                assert all(0 <= c - f < z and (c - f) % axis.d == 0
                           for c, f, z, axis in zip(cell, first, size, layer.axes))
        else:
            r = frame.focus
            assert lit["kernel"] == set(product(*(
                [a for a in range(axis.k) if (a * axis.d) % axis.s == x] for x, axis in zip(r, layer.axes))))
            assert lit["output"] == set(product(*(
                [m for m in range(axis.o) if (m + axis.b) % axis.s == x] for x, axis in zip(r, layer.axes))))
            assert {t[2] for t in frame.triples} <= lit["kernel"]
    if view in ("scatter", "direct", "conv"):  # each entry of C is shown by exactly one frame
        shown = [t for frame in animation.frames for t in frame.triples]
        assert len(shown) == len(set(shown)) and set(shown) == everything
    if view == "scatter":
        *_, final = accumulated(animation)
        assert sum(final.values()) == len(animation.frames) * len(animation.frames[0].lit["kernel"])
        for m in product(*(range(axis.o) for axis in layer.axes)):
            f = tuple(x + axis.b for x, axis in zip(m, layer.axes))
            assert final.get(f, 0) == sum(1 for t in everything if t[1] == m)  # the overlap: C's column count


@settings(max_examples=200, deadline=None)
@given(layer=crop_layers(max_ndim=2, i=(1, 4), k=(1, 4), s=(1, 3), d=(1, 2)), view=st.sampled_from(VIEWS))
def test_frames_are_cs_entries_for_any_crop(layer, view):
    check_frames(layer, view)


@settings(max_examples=200, deadline=None)
@given(layer=pytorch_layers(max_ndim=2, i=(1, 5), k=(1, 4), s=(1, 3), d=(1, 2)), view=st.sampled_from(VIEWS))
def test_frames_are_cs_entries_for_pytorch_layers(layer, view):
    check_frames(layer, view)


@pytest.mark.parametrize("figure", GALLERY, ids=lambda f: f.name)
def test_every_gallery_figure_is_cs_entries(figure):
    check_frames(figure.layer, figure.view, figure.paddings)


def test_the_gallery_has_conv_arithmetics_fifteen_and_ours():
    names = [figure.name for figure in GALLERY]
    # conv_arithmetic's gif/ folder (its bin/generate_makefile), all fifteen
    theirs = {"no_padding_no_strides", "arbitrary_padding_no_strides", "same_padding_no_strides",
              "full_padding_no_strides", "no_padding_strides", "padding_strides", "padding_strides_odd", "dilation"}
    theirs |= {f"{name}_transposed" for name in theirs - {"dilation"}}
    assert len(theirs) == 15 and theirs <= set(names)
    assert len(names) == len(set(names))
    assert {"dilation_transposed", "output_padding_transposed", "asymmetric_transposed",
            "seed_upsampling"} <= set(names)
    seed = by_name("seed_upsampling").layer
    assert seed.input_size == (2, 2) and seed.kernel_size == (2, 2) and seed.output_size == (4, 4)
    assert by_name("asymmetric_transposed").layer.axes[0] != by_name("asymmetric_transposed").layer.axes[1]
    assert any(axis.b != axis.e for axis in by_name("output_padding_transposed").layer.axes)


@pytest.mark.parametrize("row", CONV_ARITHMETIC, ids=lambda row: row[0])
def test_gallery_frames_and_grids_match_conv_arithmetics_generator(row):
    """bin/produce_figure's arithmetic: a forward figure has (conv output)² steps over the n + 2p padded input;
    a transposed one n² steps over n + span - 1 cells, its padding k' - 1 - p at the start and that plus
    ``(n + 2p - k') mod s`` at the end (the fix of the odd case, commit 8195a4f), k' the dilated kernel."""
    name, _, n, k, s, p, d = row
    span = (k - 1) * d + 1
    conv_out = sum(1 for t in range(n + 2 * p) if t * s + span <= n + 2 * p)
    forward = frames_of(by_name(name).layer, "conv", by_name(name).paddings)
    assert len(forward.frames) == conv_out ** 2
    assert forward.grids[0].shape == (n + 2 * p,) * 2
    assert forward.grids[-1].shape == (conv_out,) * 2
    if name == "dilation":
        return
    figure = by_name(f"{name}_transposed")
    transposed = frames_of(figure.layer, figure.view)
    assert figure.view == "direct" and len(transposed.frames) == n ** 2
    padded = transposed.grids[0]
    assert padded.shape == (n + span - 1,) * 2
    kinds = padded.kinds[0]
    before = kinds.index("x")
    after = len(kinds) - 1 - max(t for t, kind in enumerate(kinds) if kind == "x")
    assert (before, after) == (span - 1 - p, span - 1 - p + (n + 2 * p - span) % s)


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("layer", [Layer.from_pytorch(2**64, 3, ndim=1), Layer.from_pytorch(3, 2**64, ndim=1),
                                   Layer.from_pytorch(2, 3, s=10**12, ndim=2),
                                   Layer.from_pytorch(MAX_CELLS + 1, 1, ndim=1)])
def test_too_large_to_draw_is_one_sentence_before_listing(layer, view):
    with pytest.raises(ParameterError, match=rf"more than the {MAX_CELLS} .*tconvcalc figure.*tconvcalc overlap"):
        check_drawable(layer, view)
    with pytest.raises(ParameterError):
        frames_of(layer, view)


def test_the_largest_drawable_axis_is_drawn():
    layer = Layer.from_pytorch(MAX_CELLS, 1, ndim=1)  # 64 cells: every grid at the limit, none past it
    assert len(frames_of(layer, "scatter").frames) == MAX_CELLS


def test_three_axes_and_unknown_views_are_refused():
    with pytest.raises(ParameterError, match="1-D and 2-D"):
        frames_of(Layer.from_pytorch(2, 2, ndim=3), "scatter")
    with pytest.raises(ParameterError, match="scatter, direct, phases, conv"):
        frames_of(Layer.from_pytorch(2, 2, ndim=1), "spiral")


@settings(max_examples=100, deadline=None)
@given(layer=crop_layers(max_ndim=2, i=(1, 5), k=(1, 5), s=(1, 4), d=(1, 3)))
def test_every_view_labels_an_output_by_the_same_phase(layer):
    """One phase per output everywhere: the animation's phases frame that lights output m, the model's
    Axis.output_phase, the phase `derive phases` (and so the notes' table) lists m under, and the rule
    r = (m + b) mod s tried by brute force; the frame's taps are the a with a*d ≡ r (mod s)."""
    from tconvcalc.symbolic.derivations import derive_phases

    lit_in = {}
    for frame in frames_of(layer, "phases").frames:
        for m in frame.lit["output"]:
            assert m not in lit_in  # each output is in one phase
            lit_in[m] = frame.focus
        fed = [[a for a in range(axis.k) if (a * axis.d - r) % axis.s == 0] for axis, r in zip(layer.axes, frame.focus)]
        assert sorted(frame.lit["kernel"]) == sorted(product(*fed))
    assert sorted(lit_in) == sorted(product(*(range(axis.o) for axis in layer.axes)))
    for m, focus in lit_in.items():
        assert focus == tuple((j + axis.b) % axis.s for j, axis in zip(m, layer.axes))
        assert focus == tuple(axis.output_phase(j) for j, axis in zip(m, layer.axes))
    for row in derive_phases(layer).results["phases"]:
        if "phase" in row:
            x = row["axis"]
            for j in (j for j in row["outputs"] if j != "…"):
                assert any(m[x] == j and lit_in[m][x] == row["phase"] for m in lit_in)
