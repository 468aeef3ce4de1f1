"""A framework's options as the command line writes them (``convert --from F`` and ``shape --framework F``).

Options are named as the *source* framework names them (``--padding``, ``--output-padding``,
``--output-shape``, ``--pads``, ``--auto-pad``, ``--transpose-kernel``, ``--groups``); this module
turns their text into the framework's own values for :func:`tconvcalc.reports.convert.convert_report`.
Imports only the integer modules: no NumPy, no SymPy.
"""

from __future__ import annotations

from ..conventions import framework_name, framework_options, parse_jax_padding
from ..errors import ParameterError
from .options import DEFAULT_NDIM


def _ints(flag: str, text: str) -> tuple[int, ...]:
    items = [item.strip() for item in str(text).split(",")]
    try:
        return tuple(int(item) for item in items)
    except ValueError:
        raise ParameterError(f"{flag} {text!r} is not an integer or a comma list of integers, this framework's "
                             f"{flag[2:]} is a whole number per axis; write e.g. {flag} 1 or {flag} 1,0") from None


# The flag each framework option is given with (stride and dilation have their own, for every framework).
FLAGS = {"padding": "--padding", "output_padding": "--output-padding", "output_size": "--output-size",
         "output_shape": "--output-shape", "pads": "--pads", "auto_pad": "--auto-pad",
         "transpose_kernel": "--transpose-kernel", "groups": "--groups", "group": "--groups"}


def source_options(framework: str, command: str = "convert", *, padding=None, output_padding=None,
                   output_shape=None, output_size=None, pads=None, auto_pad=None, transpose_kernel=None,
                   groups=None, strides=None, dilations=None) -> dict:
    """The CLI's strings and tuples as :func:`read_framework` options for ``framework``."""
    given = {"--padding": padding, "--output-padding": output_padding, "--output-shape": output_shape,
             "--output-size": output_size, "--pads": pads, "--auto-pad": auto_pad,
             "--transpose-kernel": transpose_kernel, "--groups": groups}
    allowed = [FLAGS[name] for name in framework_options(framework) if name in FLAGS]
    reads = f"--from {framework}" if command == "convert" else f"shape --framework {framework}"
    for flag, value in given.items():
        if value is not None and flag not in allowed:
            raise ParameterError(f"{flag} is not a {framework} option, {reads} takes {', '.join(allowed)} "
                                 f"(plus the stride and dilation); drop {flag} or use those")
    opts: dict = {"stride": strides, "dilation": dilations}
    if padding is not None:
        if framework == "pytorch":
            opts["padding"] = _ints("--padding", padding)
        elif framework == "jax":
            value = parse_jax_padding(padding)
            opts["padding"] = value if isinstance(value, str) else [list(p) for p in value]
        else:
            opts["padding"] = padding
    if output_padding is not None:
        if framework == "keras" and output_padding.strip().lower() == "none":
            opts["output_padding"] = None
        else:
            opts["output_padding"] = _ints("--output-padding", output_padding)
    if output_shape is not None:
        opts["output_shape"] = output_shape
    if output_size is not None:
        opts["output_size"] = output_size
    if pads is not None:
        opts["pads"] = list(pads)
    if auto_pad is not None:
        opts["auto_pad"] = auto_pad
    if transpose_kernel is not None:
        opts["transpose_kernel"] = transpose_kernel
    if groups is not None:
        opts["groups"] = groups
    return {key: value for key, value in opts.items() if value is not None or key == "output_padding"}


def report_from_text(source: str, target: str, input_size, kernel_size, ndim: int | None = None,
                     command: str = "convert", channels=None, **text):
    """``convert``'s report from the command line's values (``shape --framework`` reads them the same way)."""
    from ..reports.convert import convert_report

    source = framework_name(source)
    return convert_report(source, target, input_size, kernel_size, ndim, default_ndim=DEFAULT_NDIM, command=command,
                          channels=channels, **source_options(source, command, **text))
