"""Agent selection: plain key functions that order each pool of available agents, best first.

Like Ciw's service disciplines, a selection is a function, here from an agent's routing state and the
stage target to a sort key. The pool sorts by ``(key, agent id)``, so choosing an agent is reading the
pool's first entry, never a scan, and every tie ends on the agent id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import attrs

from routekit.errors import ConfigError
from routekit.models.agent import Agent
from routekit.models.channel import Channel
from routekit.policies.base import Target

__all__ = [
    "SELECTIONS",
    "AgentView",
    "Selection",
    "least_occupied",
    "longest_idle",
    "most_proficient",
    "round_robin",
    "selection_named",
]


class AgentView(Protocol):
    """What a selection key may read of an agent's routing state."""

    @property
    def agent(self) -> Agent: ...

    @property
    def idle_since(self) -> float:
        """When the agent last finished a piece of work, logged in or became available."""
        ...

    @property
    def last_offer_at(self) -> float:
        """When the agent was last offered a contact (``-inf`` if never)."""
        ...

    @property
    def busy(self) -> int:
        """How many contacts the agent has in hand: offered, assigned, held or in wrap-up."""
        ...

    @property
    def load(self) -> Mapping[Channel, int]: ...


SelectionKey = Callable[[AgentView, Target], tuple[Any, ...]]


@attrs.frozen
class Selection:
    """A named agent ordering; ``name`` appears as ``selection`` in every ``Offered`` event."""

    name: str
    key: SelectionKey = attrs.field(eq=False)


def _longest_idle(view: AgentView, target: Target) -> tuple[Any, ...]:
    # Fewest contacts in hand first, so a multi-slot agent with work never beats an idle one.
    return (view.busy, view.idle_since)


def _most_proficient(view: AgentView, target: Target) -> tuple[Any, ...]:
    skills = view.agent.skills
    return (-sum(skills.get(name, 0) for name, _ in target.skills), view.busy, view.idle_since)


def _least_occupied(view: AgentView, target: Target) -> tuple[Any, ...]:
    capacity = sum(view.agent.capacity.values()) or 1
    return (view.busy / capacity, view.idle_since)


def _round_robin(view: AgentView, target: Target) -> tuple[Any, ...]:
    return (view.last_offer_at,)


longest_idle = Selection("longest-idle", _longest_idle)
"""Fewest contacts in hand, then the longest since last freed (the default)."""

most_proficient = Selection("most-proficient", _most_proficient)
"""Highest summed proficiency on the target's skills, then as :data:`longest_idle`."""

least_occupied = Selection("least-occupied", _least_occupied)
"""Lowest share of total capacity in use, then the longest since last freed."""

round_robin = Selection("round-robin", _round_robin)
"""The agent offered a contact least recently first."""

SELECTIONS: dict[str, Selection] = {s.name: s for s in (longest_idle, most_proficient, least_occupied, round_robin)}


def selection_named(name: str) -> Selection:
    """The built-in selection called ``name``.

    >>> selection_named("round-robin").name
    'round-robin'

    Raises:
        ConfigError: No built-in selection has that name.
    """
    try:
        return SELECTIONS[name]
    except KeyError:
        raise ConfigError(f"unknown selection {name!r}; expected one of {', '.join(SELECTIONS)}") from None
