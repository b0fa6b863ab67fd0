"""Fixtures the simulator's tests share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import routekit.sim.engine as engine
from routekit.events import Event
from routekit.metrics import KpiCollector


@pytest.fixture
def events(monkeypatch: pytest.MonkeyPatch) -> list[Event]:
    """Every router event the engine handles in the test, in order."""
    seen: list[Event] = []

    class Recording(KpiCollector):
        def observer(self, kind: type) -> Callable[[Any], None]:
            handler = super().observer(kind)

            def record(event: Event) -> None:
                seen.append(event)
                handler(event)

            return record

    monkeypatch.setattr(engine, "KpiCollector", Recording)
    return seen
