"""``tconvcalc animate``: files that open, one frame per step of C, the same bytes twice, refusals that
write nothing.  Frame counts are counted by brute force over ``m = n*s + a*d - b``, never typed in."""

from __future__ import annotations

import io
import re
import sys
from itertools import product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tconvcalc.pictures.gallery import GALLERY
from tconvcalc.model.spec import Layer

from helpers import run, run_error
from strategies import pytorch_parameters

pytest.importorskip("matplotlib", reason="animations need the plot extra: pip install '.[plot]'")
Image = pytest.importorskip("PIL.Image", reason="animations need Pillow, in the plot extra: pip install '.[plot]'")


def brute_frames(sizes, view: str) -> int:
    """Frames a view has: an input cell each (scatter), an output cell each (direct), or a residue
    combination that some output has (phases); outputs counted as the cells some ``n*s + a*d - b`` can be."""
    i, k, s, p, op, d = sizes
    counts = []
    for i_, k_, s_, p_, op_, d_ in zip(i, k, s, p, op, d):
        full = max(n * s_ + a * d_ for n in range(i_) for a in range(k_)) + 1
        o = full - 2 * p_ + op_
        counts.append({"scatter": i_, "direct": o, "phases": len({(m + p_) % s_ for m in range(o)})}[view])
    total = 1
    for count in counts:
        total *= count
    return total


def layer_args(sizes) -> list[str]:
    flags = ("--in", "--k", "--s", "--p", "--op", "--d")
    return [word for flag, values in zip(flags, sizes) for word in (flag, ",".join(map(str, values)))] + \
        ["--ndim", str(len(sizes[0]))]


def pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b(?!s)", data))


@settings(max_examples=12, deadline=None)
@given(sizes=pytorch_parameters(max_ndim=2, i=(1, 4), k=(1, 3), s=(1, 3), d=(1, 2)),
       view=st.sampled_from(["scatter", "direct", "phases"]))
def test_a_gif_has_a_frame_per_step(tmp_path_factory, sizes, view):
    folder = tmp_path_factory.mktemp("gif")
    target = folder / "layer.gif"
    result = run("animate", *layer_args(sizes), "--view", view, "--dpi", 30, "-o", target)
    assert result.exit_code == 0, result.stderr
    with Image.open(target) as gif:
        assert gif.n_frames == brute_frames(sizes, view)
    count = brute_frames(sizes, view)
    assert result.stderr == f"wrote {target} ({count} frame{'' if count == 1 else 's'}, {view} view)\n"


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_png_and_svg_are_a_file_per_frame(tmp_path, fmt):
    sizes = ((3,), (3,), (2,), (1,), (1,), (1,))
    result = run("animate", *layer_args(sizes), "--dpi", 40, "-o", tmp_path / f"up.{fmt}")
    assert result.exit_code == 0, result.stderr
    names = sorted(path.name for path in tmp_path.iterdir())
    assert names == [f"up_{t:02d}.{fmt}" for t in range(brute_frames(sizes, "scatter"))]
    for name in names:
        data = (tmp_path / name).read_bytes()
        if fmt == "png":
            with Image.open(io.BytesIO(data)) as image:
                assert image.format == "PNG" and image.size[0] > 0
        else:
            assert b"<svg" in data[:1000]


def test_pdf_is_one_file_a_page_per_frame(tmp_path):
    sizes = ((2, 3), (3, 2), (2, 1), (0, 0), (1, 0), (1, 1))
    assert run("animate", *layer_args(sizes), "--view", "direct", "--dpi", 40, "-o", tmp_path / "a.pdf").exit_code == 0
    assert [path.name for path in tmp_path.iterdir()] == ["a.pdf"]
    data = (tmp_path / "a.pdf").read_bytes()
    assert data.startswith(b"%PDF") and pdf_pages(data) == brute_frames(sizes, "direct")


@pytest.mark.parametrize("fmt", ["gif", "png", "svg", "pdf"])
@pytest.mark.parametrize("view", ["scatter", "direct", "phases", "conv"])
def test_the_same_layer_gives_the_same_bytes(fmt, view):
    from tconvcalc.pictures.animate import render

    layer = Layer.from_pytorch((2, 3), 3, 2, 1, 1)
    first = render(layer, view, f"a.{fmt}", dpi=30)
    assert first == render(layer, view, f"a.{fmt}", dpi=30)
    assert not any(b"CreationDate" in data or b"<dc:date>" in data for data in first.values())


@pytest.mark.slow
def test_the_gallery_is_every_figure_once_and_regenerates_the_same(tmp_path):
    from tconvcalc.pictures.frames import frame_count

    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    for folder in (first, second):
        result = run("animate", "--gallery", folder, "--dpi", 30)
        assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in first.iterdir()) == sorted(f"{figure.name}.gif" for figure in GALLERY)
    for figure in GALLERY:
        data = (first / f"{figure.name}.gif").read_bytes()
        assert data == (second / f"{figure.name}.gif").read_bytes()
        with Image.open(io.BytesIO(data)) as gif:
            assert gif.n_frames == frame_count(figure.layer, figure.view)


def test_the_committed_gallery_is_the_gallery():
    from pathlib import Path

    folder = Path(__file__).resolve().parent.parent / "examples" / "gallery"
    assert sorted(p.name for p in folder.glob("*.gif")) == sorted(f"{figure.name}.gif" for figure in GALLERY)
    assert sum(p.stat().st_size for p in folder.iterdir()) < 1_500_000  # small enough for a README
    for figure in GALLERY:
        with Image.open(folder / f"{figure.name}.gif") as gif:
            from tconvcalc.pictures.frames import frame_count

            assert gif.n_frames == frame_count(figure.layer, figure.view)


# --- refusals: one line, exit 2 (3 for a missing package), nothing written -----------------------------

@pytest.mark.parametrize("args, words", [
    (["--in", 3, "--k", 3, "-o", "{tmp}/a.jpg"], "the formats are .gif, .png, .svg, .pdf"),
    (["--in", 3, "--k", 3, "-o", "{tmp}/a"], "the formats are"),
    (["--in", 2**64, "--k", 3, "-o", "{tmp}/a.gif"], "more than the 64"),
    (["--in", 3, "--k", 2**64, "--view", "direct", "-o", "{tmp}/a.gif"], "more than the 64"),
    (["--in", 3, "--k", 3, "--s", 10**12, "--view", "phases", "-o", "{tmp}/a.gif"], "more than the 64"),
    (["--in", 40, "--k", 3, "--view", "direct", "-o", "{tmp}/a.gif"], "frames"),
    (["--in", 3, "--k", 3, "--ndim", 3, "-o", "{tmp}/a.gif"], "1-D and 2-D"),
    (["--in", 3, "--k", 3], "no file to write"),
    (["--in", 3, "-o", "{tmp}/a.gif"], "missing option --k"),
    (["--gallery", "{tmp}", "--in", 3], "takes no layer"),
    (["--gallery", "{tmp}/missing"], "not a folder"),
    (["--in", 3, "--k", 3, "--view", "spiral", "-o", "{tmp}/a.gif"], "spiral"),
    (["--in", 3, "--k", 3, "--op", 2, "--s", 2, "-o", "{tmp}/a.gif"], "output_padding"),
    (["--in", 3, "--k", 3, "--dpi", 5, "-o", "{tmp}/a.gif"], "dpi"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, args, words):
    message = run_error("animate", *(str(a).replace("{tmp}", str(tmp_path)) for a in args))
    assert words in message
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_frame_leaves_no_other_frame(tmp_path):
    (tmp_path / "up_01.png").mkdir()  # the second frame's path is a folder: no frame may be left behind
    message = run_error("animate", "--in", 3, "--k", 3, "--ndim", 1, "--dpi", 30, "-o", tmp_path / "up.png")
    assert "cannot write" in message
    assert [p.name for p in tmp_path.iterdir()] == ["up_01.png"]


def test_missing_matplotlib_is_exit_3(tmp_path, monkeypatch):
    from tconvcalc.pictures import plots

    monkeypatch.setattr(plots, "plt", None)
    result = run("animate", "--in", 3, "--k", 3, "-o", tmp_path / "a.gif")
    assert result.exit_code == 3 and "tconvcalc[plot]" in result.stderr and list(tmp_path.iterdir()) == []


def test_missing_pillow_is_exit_3(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL.Image", None)  # as if Pillow were not installed
    result = run("animate", "--in", 3, "--k", 3, "-o", tmp_path / "a.gif")
    assert result.exit_code == 3 and "Pillow" in result.stderr and list(tmp_path.iterdir()) == []


def test_frame_pixels_follow_the_dpi():
    from tconvcalc.pictures.animate import render

    layer = Layer.from_pytorch(2, 2, 2, ndim=1)
    sizes = []
    for dpi in (30, 60):
        with Image.open(io.BytesIO(render(layer, "scatter", "a.png", dpi=dpi)["a_00.png"])) as image:
            sizes.append(image.size)
    assert all(abs(big - 2 * small) <= 2 for small, big in zip(*sizes))


def test_scatter_counts_show_the_checkerboard():
    """The last scatter frame's shade per output cell follows its overlap count (C's column counts)."""
    from tconvcalc.pictures.animate import COUNT_SHADES, _Picture
    from tconvcalc.pictures.frames import accumulated, frames_of

    layer = Layer.from_pytorch(3, 3, 2, ndim=1)
    animation = frames_of(layer, "scatter")
    picture = _Picture(animation, "t", 30)
    try:
        *_, counts = accumulated(animation)
        picture.show(animation.frames[-1], counts)
        colours = picture.collections["scatter"][0].get_facecolors()
        from matplotlib.colors import to_rgba

        axis = layer.axes[0]
        for f in range(axis.full):
            count = sum(1 for n, a in product(range(axis.i), range(axis.k)) if n * axis.s + a * axis.d == f)
            assert tuple(colours[f]) == to_rgba(COUNT_SHADES[count])
    finally:
        picture.close()
