"""Agents: who can take which contacts, on which channels, and how many at once."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import attrs

from routekit.errors import ConfigError
from routekit.models._checks import check_id, check_levels
from routekit.models._frozen import FrozenDict
from routekit.models.channel import Channel, to_channel


class AgentStatus(StrEnum):
    """An agent's presence: available for offers, away (keeps work, gets no offers), or offline."""

    AVAILABLE = "available"
    AWAY = "away"
    OFFLINE = "offline"


def _levels(value: Mapping[str, int] | None) -> dict[str, int]:
    return FrozenDict(value or {})


def _capacity(value: Mapping[Channel, int] | Mapping[str, int] | None) -> dict[Channel, int]:
    return FrozenDict({to_channel(channel): slots for channel, slots in (value or {}).items()})


def _wrap_up(value: Mapping[Channel, float] | Mapping[str, float] | None) -> dict[Channel, float]:
    return FrozenDict({to_channel(channel): seconds for channel, seconds in (value or {}).items()})


def _check_capacity(instance: Any, attribute: Any, value: Mapping[Channel, int]) -> None:
    for channel, slots in value.items():
        if isinstance(slots, bool) or not isinstance(slots, int) or slots < 0:
            raise ConfigError(f"Agent.capacity[{channel.value!r}] must be an integer >= 0, got {slots!r}")


def _check_wrap_up(instance: Any, attribute: Any, value: Mapping[Channel, float]) -> None:
    for channel, seconds in value.items():
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds < float("inf"):
            raise ConfigError(
                f"Agent.wrap_up[{channel.value!r}] must be a finite number of seconds >= 0, got {seconds!r}"
            )


# A rank an agent gives a target it does not list: after every listed one (listed ranks are 1..99).
UNRANKED = 100


def _queue_priorities(value: Any) -> dict[str, tuple[int, float]]:
    if value is None:
        return FrozenDict()
    if not isinstance(value, Mapping):
        raise ConfigError(f"Agent.queue_priorities must map a target's rule to (priority, delay), got {value!r}")
    ranks: dict[str, tuple[int, float]] = {}
    for rule, entry in value.items():
        if isinstance(entry, list | tuple) and len(entry) == 2:
            priority, delay = entry
        else:
            priority, delay = entry, 0.0
        if isinstance(delay, int) and not isinstance(delay, bool):
            delay = float(delay)
        ranks[rule] = (priority, delay)
    return FrozenDict(ranks)


def _check_queue_priorities(instance: Any, attribute: Any, value: Mapping[str, tuple[int, float]]) -> None:
    for rule, (priority, delay) in value.items():
        if not isinstance(rule, str) or not rule:
            raise ConfigError(f"Agent.queue_priorities has an empty or non-string rule: {rule!r}")
        if isinstance(priority, bool) or not isinstance(priority, int) or not 1 <= priority < UNRANKED:
            raise ConfigError(f"Agent.queue_priorities[{rule!r}]: priority must be an integer 1..99, got {priority!r}")
        if isinstance(delay, bool) or not isinstance(delay, float) or not 0 <= delay < float("inf"):
            raise ConfigError(
                f"Agent.queue_priorities[{rule!r}]: delay must be a finite number of seconds >= 0, got {delay!r}"
            )


def _teams(value: Any) -> frozenset[str]:
    if isinstance(value, str):
        raise ConfigError(f"Agent.teams must be a set of team names, got the string {value!r}")
    return frozenset(value or ())


def _check_teams(instance: Any, attribute: Any, value: frozenset[str]) -> None:
    for team in value:
        if not isinstance(team, str) or not team:
            raise ConfigError(f"Agent.teams has an empty or non-string team name: {team!r}")


@attrs.frozen(kw_only=True)
class Agent:
    """An agent as the router sees one: skills, channel capacity, teams and wrap-up times.

    Args:
        id: A unique, non-empty id.
        skills: Skill name to proficiency, 1 (novice) to 5 (expert).
        capacity: Channel to the number of contacts handled at once on it (0: not on that channel).
        teams: Team names, used by stages that target a team.
        wrap_up: Channel to after-contact work seconds; channels not listed use the router's default.
        queue_priorities: The agent's own ranking of targets (Amazon Connect's routing profile), keyed by a
            target's rule (the label ``Offered.rule`` carries, e.g. ``"skills:billing>=3"``): a priority
            1..99 (1 first), or ``(priority, delay)``. A freed agent takes the waiting contact of its best
            ranked target first, then by queue key; targets it does not list come after every listed one.
            A delay of ``d`` seconds keeps the target's contacts from this agent until each has waited
            ``d`` seconds at its current stage. Empty (the default): every target ranks alike.

    >>> agent = Agent(id="a-1", skills={"billing": 4}, capacity={"chat": 3, "voice": 1})
    >>> agent.capacity[Channel.CHAT]
    3
    >>> Agent(id="a-2", skills={"billing": 7})
    Traceback (most recent call last):
    ...
    routekit.errors.ConfigError: Agent.skills['billing']: level must be an integer 1..5, got 7
    >>> Agent(id="a-3", capacity={"chat": 3}, queue_priorities={"team:vip": 1, "skills:any": (2, 30)}).queue_priorities
    {'team:vip': (1, 0.0), 'skills:any': (2, 30.0)}
    """

    id: str = attrs.field(validator=check_id)
    skills: dict[str, int] = attrs.field(factory=dict, converter=_levels, validator=check_levels, hash=False)
    capacity: dict[Channel, int] = attrs.field(factory=dict, converter=_capacity, validator=_check_capacity, hash=False)
    teams: frozenset[str] = attrs.field(factory=frozenset, converter=_teams, validator=_check_teams)
    wrap_up: dict[Channel, float] = attrs.field(factory=dict, converter=_wrap_up, validator=_check_wrap_up, hash=False)
    queue_priorities: dict[str, tuple[int, float]] = attrs.field(
        factory=dict, converter=_queue_priorities, validator=_check_queue_priorities, hash=False
    )

    def slots(self, channel: Channel) -> int:
        """How many contacts of ``channel`` this agent handles at once (0 when not on it)."""
        return self.capacity.get(channel, 0)

    def rank_of(self, rule: str) -> tuple[int, float]:
        """This agent's ``(priority, delay)`` for a target's rule; ``(100, 0.0)`` when it does not list it."""
        return self.queue_priorities.get(rule, _UNRANKED_ENTRY)


_UNRANKED_ENTRY = (UNRANKED, 0.0)
