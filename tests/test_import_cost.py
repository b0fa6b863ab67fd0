"""Importing routekit to route or simulate does not load scipy, which only the analytics need."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["routekit", "routekit.sim.engine"])
def test_routing_and_simulating_do_not_import_scipy(module: str) -> None:
    """scipy takes about half a second to load; it comes in only with ``routekit.analytics``."""
    code = f"import sys, {module}; print('scipy' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "False" == done.stdout.strip()


def test_analytics_is_there_on_first_use() -> None:
    """``routekit.analytics`` loads when first named, as an attribute or in a from-import."""
    code = (
        "import sys, routekit as rk; from routekit import analytics; "
        "print(rk.analytics is analytics, 'scipy' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "True True" == done.stdout.strip()


def test_an_unknown_attribute_is_still_an_attribute_error() -> None:
    """The lazy attribute hook names only ``analytics``."""
    import routekit

    with pytest.raises(AttributeError, match="no_such_thing"):
        routekit.no_such_thing  # noqa: B018


def test_the_durable_router_loads_on_first_use() -> None:
    """``import routekit`` leaves sqlite3 out; ``routekit.DurableRouter`` brings it in when first named."""
    code = (
        "import sys, routekit as rk; a = 'sqlite3' in sys.modules; rk.DurableRouter; print(a, 'sqlite3' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "False True" == done.stdout.strip()
