"""Shared test settings and fixtures.

Hypothesis runs without deadlines (CI machines are shared, 2 cores).  Tests that need the
PyTorch oracle take the ``torch`` fixture and skip, with the install line, only when it is
missing; everything else runs without it.  ``-m "not slow"`` leaves out the subprocess and
TeX-compiling tests and the largest property runs.
"""

import pytest
from hypothesis import settings

from helpers import torch_oracle

settings.register_profile("default", deadline=None, max_examples=100)
settings.load_profile("default")


@pytest.fixture(scope="session")
def torch():
    return torch_oracle()
