"""``tconvcalc convert``: a transposed convolution from one framework's parameters to another's.

Options are named as the *source* framework names them (``--padding``, ``--output-padding``,
``--output-shape``, ``--pads``, ``--auto-pad``, ``--transpose-kernel``, ``--groups``).  Imports
only click, rich (when rendering) and the integer modules: no NumPy, no SymPy.
"""

from __future__ import annotations

import click

from .conventions import (FRAMEWORKS, dilated_kernel_code, framework_name, parse_jax_padding, read_framework,
                          to_framework, translation_code, weight_recipe)
from .options import AXIS, json_option
from .spec import ParameterError

DEFAULT_NDIM = 2
_TITLE = {"pytorch": "PyTorch", "tensorflow": "TensorFlow", "keras": "Keras 3", "onnx": "ONNX", "jax": "JAX"}


def _ints(flag: str, text: str) -> tuple[int, ...]:
    items = [item.strip() for item in str(text).split(",")]
    try:
        return tuple(int(item) for item in items)
    except ValueError:
        raise ParameterError(f"{flag} {text!r} is not an integer or a comma list of integers, this framework's "
                             f"{flag[2:]} is a whole number per axis; write e.g. {flag} 1 or {flag} 1,0") from None


def _single(values):
    """A one-item comma list is one value for every axis."""
    if values is None:
        return None
    return values[0] if len(values) == 1 else list(values)


def source_options(framework: str, *, padding=None, output_padding=None, output_shape=None, output_size=None,
                   pads=None, auto_pad=None, transpose_kernel=None, groups=None, strides=None,
                   dilations=None) -> dict:
    """The CLI's strings and tuples as :func:`read_framework` options for ``framework``."""
    given = {"--padding": padding, "--output-padding": output_padding, "--output-shape": output_shape,
             "--output-size": output_size, "--pads": pads, "--auto-pad": auto_pad,
             "--transpose-kernel": transpose_kernel, "--groups": groups}
    allowed = {
        "pytorch": ("--padding", "--output-padding", "--output-size", "--groups"),
        "tensorflow": ("--padding", "--output-shape"),
        "keras": ("--padding", "--output-padding"),
        "onnx": ("--pads", "--output-padding", "--output-shape", "--auto-pad", "--groups"),
        "jax": ("--padding", "--transpose-kernel"),
    }[framework]
    for flag, value in given.items():
        if value is not None and flag not in allowed:
            raise ParameterError(f"{flag} is not a {framework} option, --from {framework} takes "
                                 f"{', '.join(allowed)} (plus --strides, --dilations); drop {flag} or use those")
    opts: dict = {"stride": _single(strides), "dilation": _single(dilations)}
    if padding is not None:
        if framework == "pytorch":
            opts["padding"] = _single(_ints("--padding", padding))
        elif framework == "jax":
            value = parse_jax_padding(padding)
            opts["padding"] = value if isinstance(value, str) else [list(p) for p in value]
        else:
            opts["padding"] = padding
    if output_padding is not None:
        if framework == "keras" and output_padding.strip().lower() == "none":
            opts["output_padding"] = None
        else:
            opts["output_padding"] = _single(_ints("--output-padding", output_padding))
    if output_shape is not None:
        opts["output_shape"] = _single(output_shape)
    if output_size is not None:
        opts["output_size"] = _single(output_size)
    if pads is not None:
        opts["pads"] = list(pads)
    if auto_pad is not None:
        opts["auto_pad"] = auto_pad
    if transpose_kernel is not None:
        opts["transpose_kernel"] = transpose_kernel
    if groups is not None:
        opts["groups"] = groups
    return {key: value for key, value in opts.items() if value is not None or key == "output_padding"}


def _count_axes(ndim, opts, *lists) -> int:
    if ndim:
        return ndim
    lengths = [len(v) for v in lists if v is not None and len(v) > 1]
    for key, value in opts.items():
        if key == "pads" and value:
            lengths.append(len(value) // 2)
        elif isinstance(value, list) and len(value) > 1:
            lengths.append(len(value))
    return max(lengths) if lengths else DEFAULT_NDIM


def convert_report(source: str, target: str, input_size, kernel_size, ndim: int | None = None, **cli) -> dict:
    """What ``convert`` prints, as one JSON-ready dict."""
    source, target = framework_name(source), framework_name(target)
    opts = source_options(source, **cli)
    n = _count_axes(ndim, opts, input_size, kernel_size)
    read = read_framework(source, _single(input_size), _single(kernel_size), n, **opts)
    t = to_framework(read.layer, target, read.groups)
    layer = read.layer
    notes = list(t.notes)
    try:
        spec = {"source_transpose_kernel": bool(read.params.get("transpose_kernel", False)),
                "target_rhs_spec": t.params["dimension_numbers"][1] if target == "jax" else None}
        weight = weight_recipe(source, target, layer.ndim, groups=read.groups, **spec)
        if source == "jax":
            notes.append("the JAX kernel is taken in the default spec (HWIO-style); for another layout use "
                         "conventions.convert_weight(w, 'jax', ..., source_rhs_spec=...)")
    except ParameterError as error:
        weight = None
        notes.append(str(error))
    if t.kernel_dilated:
        notes.append("dilated kernel: " + dilated_kernel_code(t.params["kernel_size"], layer.field("d")))
    target_part = t.as_dict()
    if target == "pytorch":
        target_part["groups"] = t.groups
    return {
        "command": "convert",
        "from": source,
        "to": target,
        "ndim": layer.ndim,
        "input_size": list(layer.input_size),
        "kernel_size": list(layer.kernel_size),
        "source": {"framework": source, **read.params},
        "full_size": list(layer.field("full")),
        "crop": [list(c) for c in layer.crop],
        "output_size": list(layer.output_size),
        "groups": read.groups,
        "target": target_part,
        "exact": t.exact,
        "code": translation_code(t),
        "weight": weight,
        "notes": notes,
    }


def _value(value) -> str:
    if isinstance(value, list):
        if value and isinstance(value[0], list):
            return ",".join(f"{a}:{b}" for a, b in value)
        return str(value[0]) if len(set(map(str, value))) == 1 else ",".join(map(str, value))
    return str(value)


def render_convert(report: dict, console) -> None:
    from rich.text import Text

    src, dst = report["from"], report["to"]
    console.print(Text(f"{_TITLE[src]} → {_TITLE[dst]}, {report['ndim']}-D transposed convolution", style="bold"))
    line = Text("  ")
    line.append(f"i={_value(report['input_size'])}  k={_value(report['kernel_size'])}  ", style="bold")
    for key, value in report["source"].items():
        if key != "framework" and value is not None and not (key in ("group", "groups") and value == 1):
            line.append(f"{key}=", style="dim")
            line.append(_value(value) + "  ", style="bold")
    console.print(line)
    crop = "  ".join(f"({b}, {e})" for b, e in report["crop"])
    console.print(Text("Canonical crop (b, e) ", style="bold") + Text(crop) +
                  Text(f"   full scatter {'×'.join(map(str, report['full_size']))} → output "
                       f"{'×'.join(map(str, report['output_size']))}", style="dim"))
    console.print(Text("Output size  ", style="bold") + Text("×".join(map(str, report["output_size"])),
                                                            style="bold green"))
    console.print()
    console.print(Text(_TITLE[dst], style="bold"))
    for code in report["code"]:
        console.print(Text("  " + code, style="cyan"), soft_wrap=True)
    if report["exact"]:
        console.print(Text("Exact: the layer alone gives the same values.", style="green"))
    else:
        console.print(Text("Not exact in one layer: apply the step(s) after it, as written above.", style="yellow"))
        for note in report["notes"]:
            console.print(Text("  • " + note, style="yellow"), soft_wrap=True)
    if report["weight"]:
        console.print()
        console.print(Text("Weights", style="bold"))
        console.print(Text("  " + report["weight"], style="cyan"), soft_wrap=True)
    if report["exact"]:
        for note in report["notes"]:
            console.print(Text("  • " + note, style="dim"), soft_wrap=True)


@click.command()
@click.option("--from", "source", required=True, metavar="FRAMEWORK",
              help=f"framework the parameters are written in: {', '.join(FRAMEWORKS)}")
@click.option("--to", "target", required=True, metavar="FRAMEWORK", help="framework to write the layer in")
@click.option("--in", "--input-size", "input_size", type=AXIS, required=True, help="input size, per axis")
@click.option("--k", "--kernel-size", "kernel_size", type=AXIS, required=True, help="kernel size, per axis")
@click.option("--strides", "--stride", "--s", "strides", type=AXIS, default=None, help="strides [default: 1]")
@click.option("--dilations", "--dilation", "--dilation-rate", "--rhs-dilation", "--d", "dilations", type=AXIS,
              default=None, help="dilations [default: 1]")
@click.option("--padding", default=None,
              help="pytorch: ints; tensorflow: SAME/VALID; keras: same/valid; jax: SAME/VALID or lo:hi,lo:hi")
@click.option("--output-padding", default=None, help="pytorch/onnx: ints; keras: ints or none")
@click.option("--output-shape", type=AXIS, default=None, help="tensorflow/onnx: spatial output shape")
@click.option("--output-size", type=AXIS, default=None, help="pytorch: forward(output_size=...)")
@click.option("--pads", type=AXIS, default=None, help="onnx: all begins, then all ends")
@click.option("--auto-pad", default=None, help="onnx: NOTSET, SAME_UPPER, SAME_LOWER or VALID")
@click.option("--transpose-kernel/--no-transpose-kernel", default=None, help="jax: transpose_kernel")
@click.option("--groups", type=int, default=None, help="pytorch groups / onnx group")
@click.option("--ndim", type=click.IntRange(1, 3), default=None,
              help="number of spatial axes when every value is single [default: 2]")
@json_option
def convert(source, target, input_size, kernel_size, strides, dilations, padding, output_padding, output_shape,
            output_size, pads, auto_pad, transpose_kernel, groups, ndim, as_json):
    """A layer in one framework's parameters, written exactly in another's.

    Example: tconvcalc convert --from tensorflow --to pytorch --in 4 --k 3 --strides 2 --padding SAME
    --output-shape 8
    """
    from .cli import emit

    report = convert_report(source, target, input_size, kernel_size, ndim, padding=padding,
                            output_padding=output_padding, output_shape=output_shape, output_size=output_size,
                            pads=pads, auto_pad=auto_pad, transpose_kernel=transpose_kernel, groups=groups,
                            strides=strides, dilations=dilations)
    emit(report, as_json, render_convert)
