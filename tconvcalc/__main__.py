"""``python -m tconvcalc`` is ``tconvcalc``."""

from .cli import main

main()
