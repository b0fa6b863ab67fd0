"""Validators shared by the domain records: each names the record, the field and the bad value."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from routekit.errors import ConfigError

MIN_LEVEL = 1
MAX_LEVEL = 5


def _where(instance: Any, name: str) -> str:
    return f"{type(instance).__name__}.{name}"


def check_id(instance: Any, attribute: Any, value: Any) -> None:
    """Refuse an id that is not a non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{_where(instance, attribute.name)} must be a non-empty string, got {value!r}")


def check_time(instance: Any, attribute: Any, value: Any) -> None:
    """Refuse a time or duration that is negative, NaN or infinite (``None`` passes: it means unset)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ConfigError(f"{_where(instance, attribute.name)} must be a finite number >= 0, got {value!r}")


def check_levels(instance: Any, attribute: Any, value: Mapping[str, int]) -> None:
    """Refuse a skill map whose names are empty or whose levels are outside 1..5."""
    for skill, level in value.items():
        if not isinstance(skill, str) or not skill:
            raise ConfigError(f"{_where(instance, attribute.name)} has an empty skill name: {skill!r}")
        if isinstance(level, bool) or not isinstance(level, int) or not MIN_LEVEL <= level <= MAX_LEVEL:
            raise ConfigError(
                f"{_where(instance, attribute.name)}[{skill!r}]: level must be an integer "
                f"{MIN_LEVEL}..{MAX_LEVEL}, got {level!r}"
            )


def check_int(instance: Any, attribute: Any, value: Any) -> None:
    """Refuse a value that is not an integer (``bool`` is not a priority)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{_where(instance, attribute.name)} must be an integer, got {value!r}")
