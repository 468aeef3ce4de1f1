"""Animations of a layer in conv_arithmetic's style, drawn with matplotlib from :mod:`tconvcalc.pictures.frames`.

The frames say which cells each step lights; this module only paints them: blue input, cyan output,
a shaded kernel, dashed padding, the cropped border grey with a red dashed edge, appended zeros with an
orange one.  The figure is built once and each frame only recolours it, so a few dozen frames cost
about what the matplotlib import costs.  Files: an animated GIF, one PNG or SVG per frame
(``NAME_00.png`` ...), or one PDF with a page per frame; the bytes do not depend on the date.

>>> from tconvcalc.model.spec import Layer
>>> targets("up.png", 3)
['up_00.png', 'up_01.png', 'up_02.png']
>>> data = render(Layer.from_pytorch(2, 3, 2, ndim=1), "scatter", "up.gif", dpi=40)
>>> list(data), data["up.gif"][:6]
(['up.gif'], b'GIF89a')
"""

from __future__ import annotations

import io
from itertools import product
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import NotInstalledError, ParameterError
from .frames import accumulated, caption, check_drawable, frame_count, frames_of, grids_of

if TYPE_CHECKING:
    from matplotlib.artist import Artist

FORMATS = ("gif", "png", "svg", "pdf")

# Work is bounded before anything is drawn: frames, and frames × pixels (a GIF holds every frame).
MAX_FRAMES = 1024
MAX_PIXELS = 60_000_000  # RGB frames are held until the GIF is written: about 180 MB at most

CELL_INCHES = 0.3  # 30 pixels a cell at 100 dpi: legible on a slide
GAP = 2  # cells between two grids
TOP = 2.6  # rows above the grids: the title, the caption and the grids' labels
CELLS_PER_CHARACTER = 0.36  # the title's width, at its font size
MIN_WIDTH = 24  # cells: room for the longest caption

INSTALL = "python -m pip install 'tconvcalc[plot]' (in a checkout: python -m pip install '.[plot]')"

COLOURS = {
    "x": "#8fb4e3", "zero": "#ffffff", "pad": "#ffffff", "out": "#e3f7fa", "tap": "#d9d9d9",
    "crop": "#eeeeee", "append": "#ffffff",
}
EDGES = {"pad": ("#777777", "--"), "zero": ("#777777", ":"), "crop": ("#c44e52", "--"),
         "append": ("#dd8452", "--")}
LIT = {"input": "#1f4e9c", "padded": "#1f4e9c", "kernel": "#a6a6a6", "output": "#22b8cc"}
DONE = "#9be3ec"  # output cells already computed
KERNEL_SHADE = ("#333333", 0.28)
# overlap counts 1, 2, 3, 4+ on the scatter: the checkerboard, seen
COUNT_SHADES = ("#e3f7fa", "#9be3ec", "#45c6d8", "#1797ab", "#0b6f80")


def format_of(path: str) -> str:
    """The file format a path asks for, by its extension; an unknown one is refused by name."""
    suffix = Path(str(path)).suffix.lower().lstrip(".")
    if not str(path).strip() or suffix not in FORMATS:
        raise ParameterError(f"output {str(path)!r} does not end in a picture format animate writes, the formats "
                             f"are {', '.join('.' + f for f in FORMATS)}; name the file e.g. layer.gif")
    return suffix


def targets(path: str, count: int) -> list[str]:
    """The files a path becomes: itself (GIF, PDF), or one per frame numbered from 00 (PNG, SVG)."""
    fmt = format_of(path)
    if fmt in ("gif", "pdf"):
        return [str(path)]
    stem, digits = str(path)[:-len(fmt) - 1], max(2, len(str(count - 1)))
    return [f"{stem}_{t:0{digits}d}.{fmt}" for t in range(count)]


def _figure_cells(layer, view, paddings, title: str) -> tuple[float, float]:
    """Width and height of the picture in cells, from the grids' sizes (without listing any cell), wide
    enough for the title and the captions."""
    grids = grids_of(layer, view, paddings)
    shapes = [(1, *g.shape) if layer.ndim == 1 else g.shape for g in grids]
    width = sum(cols for _, cols in shapes) + GAP * (len(shapes) + 1)
    return max(width, CELLS_PER_CHARACTER * len(title) + GAP, MIN_WIDTH), max(rows for rows, _ in shapes) + TOP + 0.6


def check_work(layer, view: str, dpi: int, paddings=None, title: str = "") -> int:
    """Refuse, before drawing, an animation of too many frames or pixels; return its frame count."""
    check_drawable(layer, view, paddings)
    count = frame_count(layer, view)
    width, height = _figure_cells(layer, view, paddings, title)
    pixels = round(width * CELL_INCHES * dpi) * round(height * CELL_INCHES * dpi)
    if count > MAX_FRAMES or count * pixels > MAX_PIXELS:
        raise ParameterError(f"the {view} view would be {count} frames of {pixels:,} pixels ({count * pixels:,} in "
                             f"all), more than the {MAX_FRAMES} frames and {MAX_PIXELS:,} pixels in all an animation "
                             f"draws; use the phases view (a frame per phase), a 1-D layer, fewer cells or a lower dpi")
    return count


class _Picture:
    """The figure of one animation, built once; :meth:`show` recolours it for a frame.

    What never changes (titles, labels, the kernel's tap names) is drawn once and kept as a background;
    a raster frame restores it, draws only the artists that change, and stamps the cells' labels (tap
    names, overlap counts) with Pillow: matplotlib's text was most of a frame's cost.
    """

    def __init__(self, animation, title: str, dpi: int) -> None:
        from . import plots

        plots._require()
        from matplotlib.collections import PolyCollection

        self.plt, self.animation, self.dpi = plots.plt, animation, dpi
        width, height = _figure_cells(animation.layer, animation.view, animation.paddings, title)
        self.figure = self.plt.figure(figsize=(width * CELL_INCHES, height * CELL_INCHES), dpi=dpi)
        ax = self.figure.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, width)
        ax.set_ylim(-height, 0)
        ax.axis("off")
        self.ax = ax
        self.points = 72 * CELL_INCHES * 0.5  # points: half a cell, at any dpi
        ax.text(GAP / 2, -0.55, title, fontsize=self.points + 1, weight="bold", va="center")
        self.caption = ""
        self.collections, self.grid_of, self.origin, self.tap_names = {}, {}, {}, []
        self.changing: list[Artist] = []
        x = GAP
        for grid in animation.grids:
            self.grid_of[grid.name], self.origin[grid.name] = grid, x
            ax.text(x, -TOP + 0.35, grid.label, fontsize=self.points, va="center")
            cells = list(grid.cells())
            kinds = [grid.kind(cell) for cell in cells]
            edges = [EDGES.get(kind, ("#555555", "-")) for kind in kinds]
            base = [COLOURS[kind] for kind in kinds]
            collection = PolyCollection([self._square(grid.name, cell) for cell in cells], facecolors=base,
                                        edgecolors=[e for e, _ in edges], linestyles=[s for _, s in edges],
                                        linewidths=1.0, animated=True)
            ax.add_collection(collection)
            self.changing.append(collection)
            self.collections[grid.name] = (collection, base, {cell: t for t, cell in enumerate(cells)})
            if grid.name == "kernel" and max(grid.shape) <= 9:  # tap names, as the matrix C writes them
                self.tap_names = [(cell, "w" + ",".join(map(str, cell))) for cell in cells]
            x += (grid.shape[-1]) + GAP
        self.shade = PolyCollection([], facecolors=KERNEL_SHADE[0], alpha=KERNEL_SHADE[1], edgecolors="none",
                                    animated=True)
        ax.add_collection(self.shade)
        self.changing.append(self.shade)
        if animation.view == "scatter":  # the output window inside the full scatter, over its cells
            grid = self.grid_of["scatter"]
            window = [cell for cell in grid.cells() if grid.kind(cell) in ("out", "append")]
            (x0, y0), (x1, y1) = self._square("scatter", window[0])[0], self._square("scatter", window[-1])[2]
            frame = self.plt.Rectangle((x0, y1), x1 - x0, y0 - y1, fill=False, edgecolor="#0b6f80", linewidth=2.2,
                                       animated=True)
            ax.add_patch(frame)
            self.changing.append(frame)
        self.counts: dict[tuple[int, ...], int] = {}
        self.done: list[tuple[int, ...]] = []

    def _local(self, grid, cell) -> tuple[int, int]:
        """(row, column) of a cell inside its grid's drawing; a 1-D grid is one row."""
        local = [c - s for c, s in zip(cell, grid.start)]
        return (0, local[0]) if len(local) == 1 else (local[0], local[1])

    def _square(self, name, cell):
        r, c = self._local(self.grid_of[name], cell)
        x = self.origin[name]
        return [(x + c, -TOP - r), (x + c + 1, -TOP - r), (x + c + 1, -TOP - r - 1), (x + c, -TOP - r - 1)]

    def _centre(self, name, cell) -> tuple[float, float]:
        r, c = self._local(self.grid_of[name], cell)
        return self.origin[name] + c + 0.5, -TOP - r - 0.5

    def show(self, frame, counts) -> None:
        view = self.animation.view
        for name, (collection, base, index) in self.collections.items():
            colours = list(base)
            if name == "scatter":  # the overlap so far, darker where more stamps landed
                for cell, count in counts.items():
                    colours[index[cell]] = COUNT_SHADES[min(count, len(COUNT_SHADES) - 1)]
            elif name == "output" and view in ("direct", "conv"):
                for cell in self.done:
                    colours[index[cell]] = DONE
            if name != "scatter":
                for cell in frame.lit.get(name, ()):
                    colours[index[cell]] = LIT[name]
            collection.set_facecolor(colours)  # set_facecolors is its alias, which matplotlib's stubs leave out
        shaded = []
        if frame.window is not None:  # the kernel's taps over the grid it slides on
            grid, first, _ = frame.window
            reach = [range(f, f + axis.span, axis.d) for f, axis in zip(first, self.animation.layer.axes)]
            shaded = [self._square(grid, cell) for cell in product(*reach)]
        elif view == "scatter":
            shaded = [self._square("scatter", cell) for cell in frame.lit["scatter"]]
        self.shade.set_verts(shaded)
        self.counts = counts
        self.caption = caption(self.animation, frame)
        if view in ("direct", "conv"):
            self.done.extend(frame.lit["output"])

    def labels(self):
        """The texts that change or sit on a changing cell, ``(x, y, text, points, colour, align)``: the
        frame's caption, the kernel's tap names and the scatter's overlap counts so far."""
        yield GAP / 2, -1.35, self.caption, self.points, "black", "left"
        for cell, name in self.tap_names:
            yield (*self._centre("kernel", cell), name, self.points * 0.6, "#222222", "center")
        for cell, count in self.counts.items():
            yield (*self._centre("scatter", cell), str(count), self.points * 0.9, "black" if count < 3 else "white",
                   "center")

    def raster(self):
        """The current frame as a Pillow RGB image: the background, the changing artists, the labels."""
        from PIL import Image, ImageDraw, ImageFont

        canvas = self.figure.canvas
        if not hasattr(self, "background"):
            from matplotlib import font_manager

            canvas.draw()  # without the animated artists: the part that never changes
            self.background = canvas.copy_from_bbox(self.figure.bbox)
            self.fonts = {}
            self.font_file = font_manager.findfont("DejaVu Sans")  # matplotlib's own font, for the same look
        canvas.restore_region(self.background)
        for artist in self.changing:
            self.figure.draw_artist(artist)
        width, height = canvas.get_width_height()
        image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba()).convert("RGB")
        draw, to_pixels = ImageDraw.Draw(image), self.ax.transData.transform
        for x, y, text, points, colour, align in self.labels():
            if points not in self.fonts:
                self.fonts[points] = ImageFont.truetype(self.font_file, round(points * self.dpi / 72))
            px, py = to_pixels((x, y))
            draw.text((px, height - py), text, fill=colour, font=self.fonts[points],
                      anchor="lm" if align == "left" else "mm")
        return image

    def vector(self, fmt: str, pages=None) -> bytes | None:
        """The current frame as SVG bytes, or a page of ``pages`` (a PDF); the labels as real text."""
        labels = [self.ax.text(x, y, text, ha=align, va="center", fontsize=points, color=colour)
                  for x, y, text, points, colour, align in self.labels()]
        try:
            if pages is not None:
                pages.savefig(self.figure)
                return None
            buffer = io.BytesIO()
            self.figure.savefig(buffer, format="svg", metadata={"Date": None})
            return buffer.getvalue()
        finally:
            for label in labels:
                label.remove()

    def close(self) -> None:
        self.plt.close(self.figure)


def _pillow():
    from importlib import import_module

    try:
        import_module("PIL.Image")  # Pillow writes the raster frames
    except ImportError:
        raise NotInstalledError("Pillow", "writing GIF and PNG frames", INSTALL) from None


def _deterministic():
    """matplotlib settings under which the same picture is the same bytes: no date, fixed SVG ids."""
    import matplotlib

    matplotlib.rcParams["svg.hashsalt"] = "tconvcalc"
    matplotlib.rcParams["svg.fonttype"] = "path"


def render(layer, view: str, path: str, *, dpi: int = 100, fps: float = 2.0, title: str | None = None,
           paddings=None) -> dict[str, bytes]:
    """``{file: bytes}`` of the animation ``path`` asks for, checked and bounded before drawing; nothing is
    written here (the caller writes all the files or none)."""
    fmt = format_of(path)
    title = title or _describe(layer, view)
    count = check_work(layer, view, dpi, paddings, title)
    names = targets(path, count)
    if fmt in ("gif", "png"):
        _pillow()
    animation = frames_of(layer, view, paddings)
    picture = _Picture(animation, title, dpi)
    _deterministic()
    try:
        if fmt in ("gif", "png"):
            images = []
            for frame, counts in zip(animation.frames, accumulated(animation)):
                picture.show(frame, counts)
                images.append(picture.raster())
            return dict(zip(names, _gif(images, fps) if fmt == "gif" else [_png(image) for image in images]))
        return _vector(picture, animation, fmt, names)
    finally:
        picture.close()


def _describe(layer, view: str) -> str:
    """The title: the layer in PyTorch's words and the view."""
    names = ("i", "k", "s", "p", "op", "d")
    values = zip(layer.input_size, layer.kernel_size, layer.field("s"), *zip(*layer.field("padding_pair")),
                 layer.field("d"))
    per_axis = list(zip(*values))
    words = [f"{name}={'×'.join(map(str, v if name in ('i', 'k') or len(set(v)) > 1 else v[:1]))}"
             for name, v in zip(names, per_axis) if name in ("i", "k") or any(x != (1 if name in ("s", "d") else 0)
                                                                              for x in v)]
    return f"{' '.join(words)} → {'×'.join(map(str, layer.output_size))}   ({view})"


def _palette():
    """One fixed palette for every frame: each colour the pictures use, each fill under the kernel's shade,
    and a grey ramp for the edges of text; so a GIF's frames agree, encode fast and keep their colours."""
    from matplotlib.colors import to_rgb
    from PIL import Image

    fills = [*COLOURS.values(), *LIT.values(), DONE, *COUNT_SHADES]
    shade, alpha = to_rgb(KERNEL_SHADE[0]), KERNEL_SHADE[1]
    colours = [to_rgb(c) for c in (*fills, *(edge for edge, _ in EDGES.values()), "#555555", "#0b6f80")]
    colours += [tuple((1 - alpha) * x + alpha * y for x, y in zip(to_rgb(c), shade)) for c in fills]
    colours += [(g / 15,) * 3 for g in range(16)]
    unique = list(dict.fromkeys(tuple(round(255 * x) for x in colour) for colour in colours))
    palette = Image.new("P", (1, 1))
    palette.putpalette([x for colour in unique for x in colour])
    return palette


def _gif(images, fps: float) -> list[bytes]:
    from PIL import Image

    palette = _palette()
    frames = [image.quantize(palette=palette, dither=Image.Dither.NONE) for image in images]
    step = max(20, round(1000 / fps))
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], loop=0, optimize=True,
                   duration=[step] * (len(frames) - 1) + [3 * step])  # the last frame lingers
    return [buffer.getvalue()]


def _png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def _vector(picture, animation, fmt: str, names: list[str]) -> dict[str, bytes]:
    """SVG (a file a frame) or one PDF, a page a frame; no dates in either."""
    out, pages = [], None
    if fmt == "pdf":
        from matplotlib.backends.backend_pdf import PdfPages

        pdf = io.BytesIO()
        pages = PdfPages(pdf, metadata={"CreationDate": None, "ModDate": None, "Producer": "tconvcalc"})
    for frame, counts in zip(animation.frames, accumulated(animation)):
        picture.show(frame, counts)
        out.append(picture.vector(fmt, pages))
    if pages is not None:
        pages.close()
        out = [pdf.getvalue()]
    return dict(zip(names, out))
