"""A router wrapper for the unit tests: every call is followed by the router's invariant check."""

from __future__ import annotations

from typing import Any

from routekit import Router


class Checked:
    """A router whose every method call is followed by ``router._check()``."""

    def __init__(self, router: Router) -> None:
        self.router = router

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.router, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return attr(*args, **kwargs)
            finally:
                self.router._check()

        return call
