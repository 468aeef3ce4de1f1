"""click parameter types and the option set every command shares.

Per-axis values are written ``32`` or ``32,32``; ranges for the planner
``1-7``, ``2,4`` or ``3``.  Bad values fail through click with a sentence that
says what was wrong and how to write it.
"""

from __future__ import annotations

import click


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
    """A set of positive ints for the planner: ``1-7``, ``2,4,8`` or ``3``."""

    name = "RANGE"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        out: set[int] = set()
        try:
            for item in str(value).split(","):
                low, _, high = item.strip().partition("-")
                low_i = int(low)
                high_i = int(high) if high else low_i
                if low_i > high_i:
                    self.fail(f"{item.strip()!r} runs backwards, a range is LOW-HIGH with LOW ≤ HIGH; "
                              f"write {high_i}-{low_i}", param, ctx)
                out.update(range(low_i, high_i + 1))
        except ValueError:
            self.fail(f"{value!r} is not a range, ranges are LOW-HIGH or a comma list of positive "
                      f"integers; write e.g. 1-7 or 2,4", param, ctx)
        if min(out) < 1:
            self.fail(f"{value!r} includes {min(out)}, these values must be ≥ 1; start the range at 1",
                      param, ctx)
        return tuple(sorted(out))


AXIS = AxisInts()
AXIS_OR_WORD = AxisIntsOrWord()
RANGE = IntRange()

# An example value for every option, used when one is missing: "add e.g. --in 32".
EXAMPLES = {
    "input_size": "--in 32", "kernel_size": "--k 3", "output_size": "--out 64", "stride": "--s 2",
}


def layer_options(func=None, *, output_padding: bool = True, words: bool = False):
    """``--in --k --s --p --op --d``, each an int or a per-axis comma list.

    With ``words``, padding and output_padding may also be a framework's word (``same``).
    """
    if func is None:
        return lambda f: layer_options(f, output_padding=output_padding, words=words)
    specs = [
        ("--in", "--input-size", "input_size", True, None, "input size i, per axis"),
        ("--k", "--kernel-size", "kernel_size", True, None, "kernel size k, per axis"),
        ("--s", "--stride", "stride", False, "1", "stride s"),
        ("--p", "--padding", "padding", False, "0", "padding p (PyTorch's, both ends)"),
        ("--op", "--output-padding", "output_padding", False, "0", "output_padding op (PyTorch's)"),
        ("--d", "--dilation", "dilation", False, "1", "dilation d"),
    ]
    for short, long, dest, required, default, text in reversed(specs):
        if dest == "output_padding" and not output_padding:
            continue
        # No default=None for required options: click 8.3+ treats an explicit None as given.
        extra = {"default": default, "show_default": True} if default is not None else {}
        kind = AXIS_OR_WORD if words and dest in ("padding", "output_padding") else AXIS
        func = click.option(short, long, dest, type=kind, required=required, help=text, **extra)(func)
    return func


json_option = click.option("--json", "as_json", is_flag=True, help="print one JSON object and nothing else")
