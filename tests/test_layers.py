"""Imports point one way: a module imports only from layers below its own (STYLE.md, section 1)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "routekit"

# Lowest first. A module may import its own layer and those before it.
LAYERS = [
    "_slot_init",
    "_tables",
    "_figures",
    "errors",
    # Pure KPI definitions over counts: the metrics' report and live statistics share them, and the router
    # (a service-level trigger) may read them, so they sit below both.
    "kpis",
    "models",
    "events",
    "queues",
    "policies",
    "explanation",
    "router",
    "metrics",
    "durable",
    "analytics",
    "datasets",
    "sim",
    "commands",
    "cli",
]


def _layer(module: str) -> int:
    parts = module.split(".")
    if parts[0] != "routekit" or len(parts) == 1:
        return len(LAYERS)  # the package itself (the public API) stands above every layer
    return LAYERS.index(parts[1]) if parts[1] in LAYERS else len(LAYERS)


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if p.name != "__main__.py")


def _name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_no_upward_import(path: Path) -> None:
    """A module imports nothing from a layer above its own."""
    module = _name(path)
    own = _layer(module)
    upward = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [node.module]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            continue
        upward += [t for t in targets if t.startswith("routekit.") and _layer(t) > own]
    assert [] == upward, f"{module} imports from a higher layer"
