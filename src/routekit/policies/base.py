"""What a routing policy produces: a plan of stages, each naming a target and how long it lasts.

A :class:`RoutingPolicy` turns a contact into a :class:`Plan` (or a :class:`Denial`). Each
:class:`Stage` names a :class:`Target` (who may take the contact) and a timeout after which the next,
wider stage applies; the last stage has none. The router indexes waiting contacts and available agents
by target, so a plan is plain, hashable data.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

import attrs

from routekit.errors import ConfigError
from routekit.models.agent import Agent
from routekit.models.channel import Channel, to_channel
from routekit.models.contact import Contact

__all__ = ["SKIP_IF", "Denial", "Hold", "Plan", "RoutingPolicy", "Stage", "Target", "check_skip_if"]

# When a stage is skipped at once instead of waiting out its timeout (Twilio's ``skip_if``, FreeSWITCH's
# ``tier-rule-no-agent-no-wait``): no agent matching its target is logged in (available or away), or
# none is available.
SKIP_IF = ("none-logged-in", "none-available")


def _skill_tuple(value: Mapping[str, int] | Iterable[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    items = value.items() if isinstance(value, Mapping) else value
    return tuple(sorted((str(name), int(level)) for name, level in items))


def _check_skill_tuple(instance: Any, attribute: Any, value: tuple[tuple[str, int], ...]) -> None:
    for name, level in value:
        if not name or not 1 <= level <= 5:
            raise ConfigError(f"Target.skills[{name!r}]: level must be 1..5, got {level!r}")


@attrs.frozen(kw_only=True, cache_hash=True)
class Target:
    """Who may take a contact: agents on a channel with skills at minimum levels, in a team, or one agent.

    Targets are the router's index keys: contacts waiting for equal targets share one queue. ``rule`` is the
    label that explains the stage in ``Offered`` and ``ContactQueued`` events; it does not take part in
    equality, so two policies naming the same agents under different labels share a queue.

    >>> t = Target(channel="chat", skills={"billing": 3})
    >>> t.rule
    'skills:billing>=3'
    >>> t.matches(Agent(id="a", skills={"billing": 4}, capacity={"chat": 2}))
    True
    """

    channel: Channel = attrs.field(converter=to_channel)
    skills: tuple[tuple[str, int], ...] = attrs.field(default=(), converter=_skill_tuple, validator=_check_skill_tuple)
    team: str | None = attrs.field(default=None, validator=lambda i, a, v: _check_name(a.name, v))
    agent: str | None = attrs.field(default=None, validator=lambda i, a, v: _check_name(a.name, v))
    rule: str = attrs.field(default="", eq=False)

    def __attrs_post_init__(self) -> None:
        if not self.rule:
            object.__setattr__(self, "rule", self._default_rule())

    def _default_rule(self) -> str:
        if self.agent is not None:
            return f"agent:{self.agent}"
        if self.team is not None:
            return f"team:{self.team}"
        if not self.skills:
            return "skills:any"
        return "skills:" + ",".join(f"{name}>={level}" for name, level in self.skills)

    def matches(self, agent: Agent) -> bool:
        """Whether ``agent`` could ever take a contact at this target (presence and load aside)."""
        if agent.capacity.get(self.channel, 0) <= 0:
            return False
        if self.agent is not None and agent.id != self.agent:
            return False
        if self.team is not None and self.team not in agent.teams:
            return False
        skills = agent.skills
        return all(skills.get(name, 0) >= level for name, level in self.skills)

    def why_not(self, agent: Agent) -> str | None:
        """The first reason ``agent`` can never match this target, or ``None`` when it matches."""
        if agent.capacity.get(self.channel, 0) <= 0:
            return f"not on channel {self.channel.value}"
        if self.agent is not None and agent.id != self.agent:
            return f"stage targets agent {self.agent}"
        if self.team is not None and self.team not in agent.teams:
            return f"not in team {self.team}"
        for name, level in self.skills:
            have = agent.skills.get(name, 0)
            if have < level:
                return f"missing skill {name}" if have == 0 else f"skill {name} {have} < {level}"
        return None


def _check_name(name: str, value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"Target.{name} must be a string or None, got {value!r}")


def _check_boost(instance: Any, attribute: Any, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"Stage.boost must be an integer, got {value!r}")


def _check_timeout(instance: Any, attribute: Any, value: float | None) -> None:
    if value is not None and (not isinstance(value, int | float) or not math.isfinite(value) or value < 0):
        raise ConfigError(f"Stage.timeout must be a finite number of seconds >= 0, got {value!r}")


def check_skip_if(instance: Any, attribute: Any, value: str | None) -> None:
    """The validator of every ``skip_if`` field (a stage's, or a policy's for the stages it builds)."""
    if value is not None and value not in SKIP_IF:
        raise ConfigError(
            f"{type(instance).__name__}.{attribute.name} must be None, {SKIP_IF[0]!r} or {SKIP_IF[1]!r}, got {value!r}"
        )


@attrs.frozen(kw_only=True)
class Stage:
    """One step of a plan: its target, how long the contact stays (``None`` on the last), and a boost.

    ``skip_if`` skips the stage at once, as the contact enters it, when nobody could serve it soon:
    ``"none-logged-in"`` when no agent matching the target is logged in (available or away),
    ``"none-available"`` when none is available (busy or not). The last stage is never skipped. A stage
    is judged as the contact enters it; agents logging off later do not move a contact already waiting.
    """

    target: Target
    timeout: float | None = attrs.field(default=None, validator=_check_timeout)
    boost: int = attrs.field(default=0, validator=_check_boost)
    skip_if: str | None = attrs.field(default=None, validator=check_skip_if)


def _stages(value: Iterable[Stage]) -> tuple[Stage, ...]:
    return tuple(value)


def _check_stages(instance: Any, attribute: Any, value: tuple[Stage, ...]) -> None:
    if not value:
        raise ConfigError("Plan needs at least one stage")
    for index, stage in enumerate(value[:-1]):
        if stage.timeout is None:
            raise ConfigError(f"Plan stage {index} has no timeout; only the last stage may lack one")
    if value[-1].timeout is not None:
        raise ConfigError(f"Plan's last stage {len(value) - 1} has a timeout {value[-1].timeout!r}; it has none")


@attrs.frozen
class Plan:
    """The stages a contact is routed through, narrowest first.

    >>> plan = Plan([Stage(target=Target(channel="voice", skills={"billing": 3}), timeout=30.0),
    ...              Stage(target=Target(channel="voice"))])
    >>> [stage.target.rule for stage in plan.stages]
    ['skills:billing>=3', 'skills:any']
    """

    stages: tuple[Stage, ...] = attrs.field(converter=_stages, validator=_check_stages)


@attrs.frozen(kw_only=True)
class Denial:
    """A policy's refusal of a contact: the reason, the rule that refused it, and a fallback channel."""

    reason: str
    rule: str
    fallback: Channel | None = None


def _check_seconds(instance: Any, attribute: Any, value: float) -> None:
    if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ConfigError(f"{type(instance).__name__}.{attribute.name} must be seconds >= 0, got {value!r}")


@attrs.frozen(kw_only=True)
class Hold:
    """How long a conversation's slot is held for a reply, and how long a parked one stays open."""

    hold: float = attrs.field(validator=_check_seconds)
    park_ttl: float = attrs.field(default=86400.0, validator=_check_seconds)


@runtime_checkable
class RoutingPolicy(Protocol):
    """Turn a contact into a plan of stages: who may take it, and for how long each stage lasts.

    A policy is pure: it reads no clock, uses no global randomness, mutates none of its arguments and holds
    no reference to the router.
    """

    def plan(self, contact: Contact, now: float) -> Plan | Denial:
        """The plan for ``contact`` submitted at ``now``, or a denial."""
        ...

    def hold(self, contact: Contact) -> Hold | None:
        """A conversation's hold and park TTL; ``None``: park at once."""
        ...
