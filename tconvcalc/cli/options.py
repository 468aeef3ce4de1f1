"""click parameter types and every option set commands share, each declared once.

Per-axis values are written ``32`` or ``32,32``; ranges for the planner
``1-7``, ``2,4`` or ``3``.  Bad values fail through click with a sentence that
says what was wrong and how to write it.
"""

from __future__ import annotations

import json

import click

from ..errors import ParameterError
from ..model.spec import Layer, broadcast


class AxisInts(click.ParamType):
    """An int, or a comma list with one int per axis."""

    name = "N[,N...]"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        text = str(value).strip()
        items = [item.strip() for item in text.split(",")]
        if not text or any(not item for item in items):
            self.fail(f"{value!r} is empty or has an empty item, each axis needs a whole number; "
                      f"write e.g. 3 or 3,3", param, ctx)
        try:
            return tuple(int(item) for item in items)
        except ValueError:
            self.fail(f"{value!r} is not an integer or a comma list of integers, sizes and steps are "
                      f"whole numbers; write e.g. 3 or 3,3", param, ctx)


class AxisIntsOrWord(AxisInts):
    """Per-axis ints, or a framework's word (``same``, ``SAME``, ``1:2,0:1``, ``none``) kept as text."""

    name = "N[,N...]|WORD"

    def convert(self, value, param, ctx):
        text = str(value).strip()
        if text and not text.replace(",", "").replace("-", "").replace(" ", "").isdigit():
            return text
        return super().convert(value, param, ctx)


class IntRange(click.ParamType):
    """A set of positive ints for the planner: ``1-7``, ``2,4,8`` or ``3``
    (:class:`tconvcalc.design.planner.IntSet`)."""

    name = "RANGE"

    def convert(self, value, param, ctx):
        from ..design.planner import IntSet

        if isinstance(value, IntSet):
            return value
        try:
            return IntSet.parse(param.name if param else "value", value)
        except ParameterError as error:
            self.fail(str(error), param, ctx)


AXIS = AxisInts()
AXIS_OR_WORD = AxisIntsOrWord()
RANGE = IntRange()

# With only single values, a layer is 2-D: images are what most people upsample.
DEFAULT_NDIM = 2

def flag_of(name: str) -> str:
    """The flag a per-axis value was given with: ``input_size`` -> ``--in``."""
    return FLAGS.get(name, "--" + name.replace("_", "-"))


FLAGS = {"input_size": "--in", "kernel_size": "--k", "stride": "--s", "padding": "--p", "output_padding": "--op",
         "dilation": "--d", "output_size": "--out"}

# An example value for every option, used when one is missing: "add e.g. --in 32".
EXAMPLES = {
    "input_size": "--in 32", "kernel_size": "--k 3", "output_size": "--out 64", "stride": "--s 2",
}


# The commands work on the layers frameworks have: 1 to 3 spatial axes.
MAX_NDIM = 3


def per_axis(ndim: int | None, **values) -> dict[str, tuple[int, ...]]:
    """The one broadcasting rule (:func:`tconvcalc.model.spec.broadcast`), 2-D when every value is single."""
    count, out = broadcast(ndim, DEFAULT_NDIM, **values)
    if count > MAX_NDIM:
        longest = next(name for name, value in values.items() if len(value) == count)
        raise ParameterError(f"{flag_of(longest)} has {count} values but tconvcalc takes 1 to {MAX_NDIM} spatial axes, "
                             f"as the frameworks' transposed convolutions do; give at most {MAX_NDIM} values")
    return out


def layer_from(ndim: int | None, input_size, kernel_size, stride, padding, output_padding, dilation) -> Layer:
    """The layer ``layer_options`` describe, broadcast by :func:`per_axis`."""
    v = per_axis(ndim, input_size=input_size, kernel_size=kernel_size, stride=stride, padding=padding,
                 output_padding=output_padding, dilation=dilation)
    return Layer.from_pytorch(*v.values())


def _stack(*decorators):
    """Several options as one decorator, listed in ``--help`` in the order given."""
    def apply(func):
        for decorator in reversed(decorators):
            func = decorator(func)
        return func
    return apply


json_option = click.option("--json", "as_json", is_flag=True, help="print one JSON object and nothing else")
ndim_option = click.option(
    "--ndim", type=click.IntRange(1, MAX_NDIM), default=None,
    help="number of spatial axes when every value is single [default: 2, or the length of a comma list]")


def _input_option(required: bool = True, help: str = "input size i, per axis"):
    return click.option("--in", "--input-size", "input_size", type=AXIS, required=required, help=help)


def _kernel_option(required: bool = True):
    return click.option("--k", "--kernel-size", "kernel_size", type=AXIS, required=required,
                        help="kernel size k, per axis")


input_option = _input_option()
kernel_option = _kernel_option()


output_option = click.option("--out", "--output-size", "output_size", type=AXIS, required=True,
                             help="output size wanted, per axis")
full_option = click.option("--full/--elide", default=False, help="print large matrices whole instead of elided")
markdown_option = click.option("--markdown", is_flag=True, help="Markdown with $$…$$ math (Jupyter, Obsidian, GitHub)")
typst_option = click.option("--typst", is_flag=True, help="Typst markup, its math written by a SymPy printer")


def groups_option(default: int | None = 1, help: str = "channel groups"):
    return click.option("--groups", type=click.IntRange(min=1), default=default, show_default=default is not None,
                        help=help)


def channels_option(help: str):
    """``--channels``: channel counts along the layer or stack (C_in,C_out or C0,...,CL; one value: all)."""
    return click.option("--channels", type=AXIS, default=None, help=help)


def layer_options(func=None, *, output_padding: bool = True, words: bool = False, required: bool = True,
                  input_help: str | None = None):
    """``--in --k --s --p --op --d``, each an int or a per-axis comma list.

    With ``words``, padding and output_padding may also be a framework's word (``same``); without
    ``required``, ``--in`` and ``--k`` may be left out (None: the command has another source of layers);
    ``input_help`` says whose input ``--in`` is where that differs between commands (``matrix``, ``latex``).
    """
    if func is None:
        return lambda f: layer_options(f, output_padding=output_padding, words=words, required=required,
                                       input_help=input_help)
    specs = [
        ("--s", "--stride", "stride", "1", "stride s"),
        ("--p", "--padding", "padding", "0", "padding p (PyTorch's, both ends)"),
        ("--op", "--output-padding", "output_padding", "0", "output_padding op (PyTorch's)"),
        ("--d", "--dilation", "dilation", "1", "dilation d"),
    ]
    for short, long, dest, default, text in reversed(specs):
        if dest == "output_padding" and not output_padding:
            continue
        kind = AXIS_OR_WORD if words and dest in ("padding", "output_padding") else AXIS
        func = click.option(short, long, dest, type=kind, default=default, show_default=True, help=text)(func)
    if not required:
        return _input_option(required=False)(_kernel_option(required=False)(func))
    return (input_option if input_help is None else _input_option(help=input_help))(kernel_option(func))


def search_options(limit: int):
    """The planner's bounds (``plan`` and ``chain``): ranges of k, s, d, the largest padding, how many to list."""
    return _stack(
        click.option("--k", "--kernel-size", "kernels", type=RANGE, default="1-8", show_default=True,
                     help="kernel sizes to try: 1-7, 2,4 or 3"),
        click.option("--s", "--stride", "strides", type=RANGE, default="1-8", show_default=True,
                     help="strides to try"),
        click.option("--max-p", "--max-padding", "max_padding", type=click.IntRange(min=0), default=8,
                     show_default=True, help="largest padding to try"),
        click.option("--d", "--dilation", "dilations", type=RANGE, default="1", show_default=True,
                     help="dilations to try"),
        click.option("--limit", type=click.IntRange(min=1), default=limit, show_default=True,
                     help="how many to list"),
        click.option("--no-checkerboard", "uniform_only", is_flag=True, help="only layers whose overlap is uniform"),
    )


# A framework's own options, as ``convert --from F`` and ``shape --framework F`` read them.
framework_layer_options = _stack(
    click.option("--output-shape", type=AXIS, default=None, help="tensorflow/onnx: spatial output shape"),
    click.option("--pads", type=AXIS, default=None, help="onnx: all begins, then all ends"),
    click.option("--auto-pad", default=None, help="onnx: NOTSET, SAME_UPPER, SAME_LOWER or VALID"),
    click.option("--transpose-kernel/--no-transpose-kernel", default=None, help="jax: transpose_kernel"),
    groups_option(None, "pytorch groups / onnx group"),
)

EMIT_CHOICES = ("pytorch", "keras", "onnx")
emit_option = click.option("--emit", "emit_as", type=click.Choice(EMIT_CHOICES), default=None,
                           help="print ready code for the stack")
symbol_option = click.option("--symbol", default="w", show_default=True,
                             help="kernel symbol name (letters only; it is printed into LaTeX)")
format_options = _stack(
    click.option("--latex", "as_latex", is_flag=True, help="print as LaTeX"),
    markdown_option,
    typst_option,
)
# How a note reads (latex, derive --latex/--markdown): its language, numbered equations with stable labels, and
# the proofs' counts and timings as comments.
notes_options = _stack(
    click.option("--lang", default="en", show_default=True, metavar="en|zh",
                 help="the notes' language: en (English) or zh (Chinese; a PDF of it needs XeLaTeX and ctex)"),
    click.option("--numbered", is_flag=True,
                 help="number the key equations with stable labels (eq:tconv-size, …; net: eq:net-domain)"),
    click.option("--label-prefix", default="", metavar="PREFIX", help="put PREFIX before every label (e.g. up1:)"),
    click.option("--verbose", is_flag=True, help="add each proof's count of differences and time as a comment"),
)


class FilePath(click.Path):
    """click's Path for a file (or with ``folder``, a folder), refusing an empty name, which Path would turn
    into "." (the current folder), in the tool's words."""

    def __init__(self, example: str, folder: bool = False, **kwargs) -> None:
        super().__init__(file_okay=not folder, dir_okay=folder, **kwargs)
        self.example, self.folder = example, folder

    def convert(self, value, param, ctx):
        if isinstance(value, str) and not value.strip():
            name = param.opts[0] if param is not None and isinstance(param, click.Option) else \
                (param.human_readable_name if param is not None else "the path")
            raise ParameterError(f"{name} is empty, it names the {'folder' if self.folder else 'file'}; give a "
                                 f"path such as {self.example}")
        return super().convert(value, param, ctx)


class FiniteFloatRange(click.FloatRange):
    """click's FloatRange, refusing NaN too (every comparison with NaN is false, so the range alone lets it by)."""

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if number != number:
            self.fail(f"{value!r} is not a number; give a number in {self._describe_range()}", param, ctx)
        return number


def notes_format(as_latex: bool, markdown: bool, lang: str = "en", numbered: bool = False, label_prefix: str = "",
                verbose: bool = False, typst: bool = False) -> dict:
    """The notes' options, checked: they shape --latex/--markdown/--typst only (the terminal view is English);
    with --typst they carry ``typst`` to the writer."""
    from ..notes.text import check_language

    check_one_format(as_latex, markdown, typst)
    check_language(lang)
    given = [name for name, value in (("--lang", lang != "en"), ("--numbered", numbered),
                                      ("--label-prefix", bool(label_prefix)), ("--verbose", verbose)) if value]
    if given and not (as_latex or markdown or typst):
        raise ParameterError(f"{given[0]} shapes the notes, not the terminal view; add --latex, --markdown or --typst")
    check_labels(markdown, numbered, label_prefix)
    return {"lang": lang, "numbered": numbered, "label_prefix": label_prefix, "verbose": verbose,
            **({"typst": True} if typst else {})}


def check_one_format(as_latex: bool, markdown: bool, typst: bool) -> None:
    """A note is written in one format: two of --latex, --markdown, --typst are refused."""
    chosen = [name for name, value in (("--latex", as_latex), ("--markdown", markdown), ("--typst", typst)) if value]
    if len(chosen) > 1:
        raise ParameterError(f"{chosen[0]} and {chosen[1]} both set, a note is written one way; keep one of them")


def check_labels(markdown: bool, numbered: bool, label_prefix: str) -> None:
    """--label-prefix prefixes the labels --numbered writes in LaTeX: alone, or in Markdown (numbered with \\tag,
    no labels), it would change nothing."""
    if label_prefix and not numbered:
        raise ParameterError("--label-prefix prefixes the labels of --numbered, and nothing is numbered; add "
                             "--numbered")
    if label_prefix and markdown:
        raise ParameterError("--label-prefix prefixes LaTeX labels, and Markdown numbers equations with \\tag "
                             "only; drop --label-prefix, or write LaTeX")


def picture_options(required: bool = False):
    """--png/--svg; for a command whose only output is the picture, at least one is needed."""
    verb = "write" if required else "also write"
    need = " (--png or --svg is required)" if required else ""
    return _stack(
        click.option("--png", "png", type=FilePath("picture.png"), help=f"{verb} the picture as PNG{need}"),
        click.option("--svg", "svg", type=FilePath("picture.svg"), help=f"{verb} the picture as SVG{need}"),
    )


def parse_kwargs(text: str | None) -> dict:
    """``--kwargs``: the PyTorch factory's keyword arguments, a JSON object (none given: no arguments)."""
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except ValueError as error:
        raise ParameterError(f"--kwargs {text!r} is not JSON ({error}), the factory's keyword arguments are a JSON "
                             f"object; write e.g. --kwargs '{{\"depth\": 4}}'") from None
    if not isinstance(value, dict):
        raise ParameterError(f"--kwargs {text!r} is a JSON {type(value).__name__}, the factory's keyword arguments "
                             f"are an object; write e.g. --kwargs '{{\"depth\": 4}}'")
    return value
