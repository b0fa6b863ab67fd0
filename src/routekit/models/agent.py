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

    >>> agent = Agent(id="a-1", skills={"billing": 4}, capacity={"chat": 3, "voice": 1})
    >>> agent.capacity[Channel.CHAT]
    3
    >>> Agent(id="a-2", skills={"billing": 7})
    Traceback (most recent call last):
    ...
    routekit.errors.ConfigError: Agent.skills['billing']: level must be an integer 1..5, got 7
    """

    id: str = attrs.field(validator=check_id)
    skills: dict[str, int] = attrs.field(factory=dict, converter=_levels, validator=check_levels, hash=False)
    capacity: dict[Channel, int] = attrs.field(factory=dict, converter=_capacity, validator=_check_capacity, hash=False)
    teams: frozenset[str] = attrs.field(factory=frozenset, converter=_teams, validator=_check_teams)
    wrap_up: dict[Channel, float] = attrs.field(factory=dict, converter=_wrap_up, validator=_check_wrap_up, hash=False)

    def slots(self, channel: Channel) -> int:
        """How many contacts of ``channel`` this agent handles at once (0 when not on it)."""
        return self.capacity.get(channel, 0)
