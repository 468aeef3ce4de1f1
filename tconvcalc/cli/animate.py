"""``animate``: a layer's convolution as frames (GIF, PNG or SVG per frame, PDF pages), and the gallery.

No ``--json``: like ``figure``, the answer is the files, announced on stderr.  The layer options are
``shape``'s; ``--in`` and ``--k`` are needed unless ``--gallery`` draws its own parameter sets.
"""

from __future__ import annotations

import click

from ..errors import ParameterError
from ..pictures.frames import VIEWS, frame_count
from ..pictures.gallery import GALLERY
from .options import FilePath, FiniteFloatRange, layer_from, layer_options, ndim_option
from .output import write_files


@click.command()
@layer_options(required=False)  # --gallery draws its own layers
@ndim_option
@click.option("-o", "--output", "output", type=FilePath("layer.gif"), default=None,
              help="FILE.gif (animated), FILE.png or FILE.svg (a file per frame: FILE_00.png ...) or FILE.pdf (a page "
                   "per frame)")
@click.option("--view", type=click.Choice(VIEWS), default="scatter", show_default=True,
              help="scatter: each input stamps the kernel; direct: the kernel over the zero-inserted input; "
                   "phases: the sub-pixel phases; conv: the forward convolution, row by row of C")
@click.option("--fps", type=FiniteFloatRange(0.1, 50), default=2.0, show_default=True, help="frames per second (GIF)")
@click.option("--dpi", type=click.IntRange(20, 600), default=100, show_default=True, help="pixels per inch")
@click.option("--gallery", type=FilePath("gallery", folder=True), default=None,
              help="write conv_arithmetic's figures and ours, NAME.gif each, into this folder (no layer options)")
def animate(input_size, kernel_size, stride, padding, output_padding, dilation, ndim, output, view, fps, dpi,
            gallery):
    """Animated frames of a layer in conv_arithmetic's style (scatter, direct, phases), and the gallery."""
    from ..pictures import animate as drawing

    if gallery is not None:
        layer_flags = (stride, padding, output_padding, dilation) != ((1,), (0,), (0,), (1,)) or ndim is not None
        if output is not None or input_size is not None or kernel_size is not None or layer_flags:
            raise ParameterError("--gallery draws its own layers into a folder, it takes no layer and no --output; "
                                 "give either --gallery DIR or the layer with -o FILE")
        _announce(write_files(_gallery_files(drawing, gallery, fps, dpi)), f"{len(GALLERY)} figures")
        return
    for name, value, flag in (("input_size", input_size, "--in 5"), ("kernel_size", kernel_size, "--k 3")):
        if value is None:
            raise ParameterError(f"missing option {flag.split()[0]}, 'tconvcalc animate' needs it for a layer; add "
                                 f"it, e.g. {flag}, or draw the gallery with --gallery DIR")
    if output is None:
        raise ParameterError("no file to write, animate draws into -o FILE; add -o layer.gif (or .png, .svg, .pdf)")
    drawing.format_of(output)  # a wrong extension is said before the layer is even read
    layer = layer_from(ndim, input_size, kernel_size, stride, padding, output_padding, dilation)
    files = write_files(drawing.render(layer, view, output, dpi=dpi, fps=fps))
    count = frame_count(layer, view)
    _announce(files, f"{count} frame{'' if count == 1 else 's'}, {view} view")


def _announce(paths: list, what: str) -> None:
    """``wrote up.gif (25 frames, scatter view)``; a long run of files by its first and last."""
    if len(paths) > 3:
        click.echo(f"wrote {paths[0]} … {paths[-1]} ({len(paths)} files: {what})", err=True)
    else:
        click.echo(f"wrote {', '.join(map(str, paths))} ({what})", err=True)


def _gallery_files(drawing, folder: str, fps: float, dpi: int) -> dict:
    from pathlib import Path

    if not Path(folder).is_dir():
        raise ParameterError(f"--gallery {folder} is not a folder that exists, the gallery writes a file per figure "
                             f"into it; create it first (mkdir {folder})")
    files = {}
    for figure in GALLERY:
        files.update(drawing.render(figure.layer, figure.view, str(Path(folder) / f"{figure.name}.gif"), dpi=dpi,
                                    fps=fps, title=figure.title, paddings=figure.paddings))
    return files
