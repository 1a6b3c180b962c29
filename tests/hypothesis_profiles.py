"""Hypothesis settings for every test run (loaded by ``tests/conftest.py``).

``ci`` (the default): no per-example deadline and no "too slow" health check, both measured on the
wall clock, so a loaded machine cannot fail a property that holds; derandomized, so every run tries the
same examples and a failure reproduces. Set ``HYPOTHESIS_PROFILE=explore`` to search with fresh random
examples (still without a deadline). Tests set no deadline of their own.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE_VARIABLE = "HYPOTHESIS_PROFILE"

settings.register_profile("ci", deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", deadline=None, suppress_health_check=[HealthCheck.too_slow])


def load() -> str:
    """Load the profile named by ``$HYPOTHESIS_PROFILE`` (default ``ci``); answers its name."""
    name = os.environ.get(PROFILE_VARIABLE, "ci")
    settings.load_profile(name)
    return name
