"""The errors tconvcalc raises, by kind; each knows the exit status the command line gives it.

* :class:`ParameterError` - bad input: what was wrong, which rule, how to fix it (exit 2).
* :class:`NotInstalledError` - a piece of the environment is missing, such as a TeX engine or
  matplotlib; the message ends with the line that installs it (exit 3).

Both derive from :class:`TconvcalcError` (exit 1 for anything else the tool cannot do).
Messages name parameters as the Python API spells them, never command-line flags.

>>> import tconvcalc as tc
>>> try:
...     tc.conv_transpose_output_size(2, 3, s=2, op=2)
... except tc.ParameterError as error:
...     print(error.exit_status, isinstance(error, ValueError))
2 True
"""

from __future__ import annotations


class TconvcalcError(Exception):
    """Something tconvcalc cannot do, said in one sentence; the base of its errors.

    >>> issubclass(ParameterError, TconvcalcError) and issubclass(NotInstalledError, TconvcalcError)
    True
    """

    exit_status = 1


class ParameterError(TconvcalcError, ValueError):
    """An invalid parameter, explained in one sentence: what, which rule, how to fix.

    >>> from tconvcalc import conv_output_size
    >>> conv_output_size(2, 5)
    Traceback (most recent call last):
    tconvcalc.errors.ParameterError: input_size=2 with padding=0 is shorter than the dilated kernel d*(k-1)+1=5,
    a convolution needs i + 2p ≥ d*(k-1)+1; use padding ≥ 2 or a smaller kernel
    """

    exit_status = 2


#: PyTorch's CPU build, from PyTorch's own index: a plain ``pip install torch`` on Linux pulls the CUDA build
#: (several GB), which reading a module's layers or checking against PyTorch does not need.
TORCH_INSTALL = "python -m pip install torch --index-url https://download.pytorch.org/whl/cpu"


class NotInstalledError(TconvcalcError, RuntimeError):
    """A program or optional package this request needs is not installed.

    ``what`` names it, ``purpose`` says what needs it, ``install`` is the command that installs it.

    >>> print(NotInstalledError("matplotlib", "drawing pictures", "python -m pip install 'tconvcalc[plot]'"))
    matplotlib is not installed, drawing pictures needs it; install it with: python -m pip install 'tconvcalc[plot]'
    """

    exit_status = 3

    def __init__(self, what: str, purpose: str, install: str) -> None:
        self.what, self.purpose, self.install = what, purpose, install
        super().__init__(f"{what} is not installed, {purpose} needs it; install it with: {install}")
