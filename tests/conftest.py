"""Shared fixtures and the hypothesis profiles: "dev" (quick) by default, "ci" on CI."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=60, deadline=None, stateful_step_count=60)
settings.register_profile(
    "ci",
    max_examples=500,
    deadline=None,
    stateful_step_count=60,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile(
    "soak",
    max_examples=10_000,
    deadline=None,
    stateful_step_count=60,
    suppress_health_check=list(HealthCheck),
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator, so a failing test fails the same way again."""
    return np.random.default_rng(20260824)
