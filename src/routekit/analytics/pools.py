"""Policy-aware pools: what a tier gate or a dedicated team does to the pools, and what it costs in agents.

The Erlang formulas size one pool fed by one Poisson stream. A routing policy changes the pools: a tier
gate (:mod:`routekit.analytics.gates`) shrinks the gated channel's stream and grows the fallback's; a
dedicated team (:mod:`routekit.analytics.teams`) splits one pool in two. The cost of a rule is the agents
it needs at the targets, summed over the channels it touches, less the agents the same traffic needs
without it: a gate usually saves agents on the gated channel and adds some on the fallback; a dedicated
team always costs agents against one pooled group (the pooling loss).

This module holds what both share: :class:`Pool`, one pool of agents and its traffic.
"""

from __future__ import annotations

import importlib
from typing import Any

import attrs

from routekit.analytics.erlang import QueueFigures
from routekit.analytics.staffing import Targets

__all__ = ["Pool"]


def target_label(targets: Targets) -> str:
    """A target as planners write it: ``80/20`` for 80% within 20 s, else the targets in words."""
    if targets.service_level is not None:
        return f"{100.0 * targets.service_level:g}/{targets.threshold:g}"
    names = ("max_asa", "max_abandon", "max_occupancy")
    return ", ".join(targets.describe(n) for n in names if getattr(targets, n) is not None)


def agents_word(n: int) -> str:
    return f"{n} agent" if n == 1 else f"{n} agents"


@attrs.frozen(kw_only=True)
class Pool:
    """One pool of agents on one channel, the traffic it serves, and the agents it needs.

    Attributes:
        channel: The channel's name.
        serves: Whose contacts the pool answers, in words (``"gold, platinum"``, ``"all tiers"``).
        rate: Contacts offered to the pool per hour.
        load: Offered load in agents (Erlangs; for chat, agents at full concurrency).
        agents: Agents the pool needs at its targets (or, for a team, the agents it was given).
        figures: The pool's queue figures at ``agents``; None for a team queue (see ``TeamQueue``).
    """

    channel: str
    serves: str
    rate: float
    load: float
    agents: int
    figures: QueueFigures | None = None


# The gate and team functions lived here before they got modules of their own; they stay importable from
# here (``from routekit.analytics.pools import gate_cost``), loaded on first use to keep the layers one-way.
_MOVED = {
    "Fallback": "gates",
    "GateCost": "gates",
    "GateRule": "gates",
    "gate_cost": "gates",
    "gate_rule": "gates",
    "TeamCost": "teams",
    "TeamQueue": "teams",
    "team_cost": "teams",
    "team_queue": "teams",
}


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        return getattr(importlib.import_module(f"routekit.analytics.{_MOVED[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
