"""Shared test settings: hypothesis runs without deadlines (CI machines are shared, 2 cores)."""

from hypothesis import settings

settings.register_profile("default", deadline=None, max_examples=100)
settings.load_profile("default")
