"""Loyalty-tier gating: deny a channel below a tier, boost priority by tier, dedicated teams."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import attrs

from routekit.errors import ConfigError
from routekit.models.channel import Channel, to_channel
from routekit.models.contact import Contact
from routekit.models.tiers import Tiers
from routekit.policies.base import Denial, Hold, Plan, RoutingPolicy, Stage, Target, check_skip_if

__all__ = ["TierGate", "fallback_contact"]


def _gates(value: Mapping[Channel, str] | Mapping[str, str] | None) -> dict[Channel, str]:
    return {to_channel(channel): tier for channel, tier in (value or {}).items()}


def _fallbacks(
    value: Mapping[Channel, Channel | str] | Mapping[str, Channel | str] | None,
) -> dict[Channel, Channel]:
    return {to_channel(channel): to_channel(to) for channel, to in (value or {}).items()}


def _boosts(value: Mapping[str, int] | None) -> dict[str, int]:
    return dict(value or {})


def _teams(value: Mapping[str, tuple[str, float]] | None) -> dict[str, tuple[str, float]]:
    teams: dict[str, tuple[str, float]] = {}
    for tier, entry in (value or {}).items():
        if not isinstance(entry, tuple | list) or len(entry) != 2:
            raise ConfigError(f"TierGate.teams[{tier!r}] must be (team, overflow seconds), got {entry!r}")
        teams[tier] = (entry[0], entry[1])
    return teams


@attrs.frozen(kw_only=True)
class TierGate:
    """Gate channels by loyalty tier, boost priority by tier, and give a tier a dedicated team first.

    Args:
        tiers: The ordered tiers; a contact whose customer's tier is not one of them is refused at submit.
        gates: Channel to the lowest tier allowed on it (``{"video": "gold"}``).
        fallback: Channel to the channel a gated contact is pointed to instead (``{"video": "chat"}``).
        boost: Tier to the priority added at every stage of its plan.
        teams: Tier to ``(team, seconds)``: the tier's contacts go to that team first for that long, then
            overflow to the wrapped policy's plan.
        skip_if: The team stage is skipped at once, straight to the overflow, when no agent of the team is
            logged in (``"none-logged-in"``) or available (``"none-available"``): FreeSWITCH's
            ``tier-rule-no-agent-no-wait``. ``None``: the tier always waits its overflow time.
        then: The wrapped policy.

    >>> from routekit.models import Contact, Customer, Tiers
    >>> from routekit.policies import Skills
    >>> gate = TierGate(tiers=Tiers(["standard", "silver", "gold", "platinum"]), gates={"video": "gold"},
    ...                 fallback={"video": "chat"}, teams={"platinum": ("vip", 60)}, then=Skills())
    >>> gate.plan(Contact(id="c", customer=Customer(id="u", tier="silver"), channel="video"), 0.0)
    Denial(reason='tier-gate', rule='tier:video>=gold', fallback=<Channel.CHAT: 'chat'>)
    >>> plan = gate.plan(Contact(id="c", customer=Customer(id="u", tier="platinum"), channel="video"), 0.0)
    >>> [(stage.target.rule, stage.timeout) for stage in plan.stages]
    [('tier:vip-team', 60.0), ('skills:any', None)]

    Raises:
        ConfigError: An unknown tier name; a fallback channel that is itself gated for a tier the first
            gate denies; an overflow time that is not a positive number of seconds.
    """

    tiers: Tiers
    then: RoutingPolicy
    gates: dict[Channel, str] = attrs.field(factory=dict, converter=_gates)
    fallback: dict[Channel, Channel] = attrs.field(factory=dict, converter=_fallbacks)
    boost: dict[str, int] = attrs.field(factory=dict, converter=_boosts)
    teams: dict[str, tuple[str, float]] = attrs.field(factory=dict, converter=_teams)
    skip_if: str | None = attrs.field(default=None, validator=check_skip_if)

    def __attrs_post_init__(self) -> None:
        def known(tier: str, where: str) -> None:
            if tier not in self.tiers:
                raise ConfigError(f"TierGate.{where}: unknown tier {tier!r}; tiers are {', '.join(self.tiers.names)}")

        for channel, tier in self.gates.items():
            known(tier, f"gates[{channel.value!r}]")
        for channel, to in self.fallback.items():
            if channel not in self.gates:
                raise ConfigError(f"TierGate.fallback[{channel.value!r}]: channel {channel.value} is not gated")
            if to == channel:
                raise ConfigError(f"TierGate.fallback[{channel.value!r}] falls back to the same channel")
            if to in self.gates and self.tiers.rank(self.gates[to]) > 0 and self.tiers.rank(self.gates[channel]) > 0:
                lowest = self.tiers.names[0]
                raise ConfigError(
                    f"TierGate.fallback[{channel.value!r}] = {to.value!r}, but {to.value} is gated too (from "
                    f"{self.gates[to]!r}): a {lowest!r} contact denied {channel.value} would be denied "
                    f"{to.value} as well"
                )
        for tier, value in self.boost.items():
            known(tier, f"boost[{tier!r}]")
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"TierGate.boost[{tier!r}] must be an integer, got {value!r}")
        for tier, (team, seconds) in self.teams.items():
            known(tier, f"teams[{tier!r}]")
            if not isinstance(team, str) or not team:
                raise ConfigError(f"TierGate.teams[{tier!r}]: the team must be a non-empty name, got {team!r}")
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 < seconds < math.inf:
                raise ConfigError(
                    f"TierGate.teams[{tier!r}]: the overflow time must be seconds > 0 (the wrapped plan "
                    f"follows the team stage), got {seconds!r}"
                )

    def plan(self, contact: Contact, now: float) -> Plan | Denial:
        """The wrapped plan, gated, boosted and led by the tier's team.

        Raises:
            UnknownIdError: The customer's tier is not one of ``tiers``.
        """
        tier = contact.customer.tier
        rank = self.tiers.rank(tier)
        minimum = self.gates.get(contact.channel)
        if minimum is not None and rank < self.tiers.rank(minimum):
            return Denial(
                reason="tier-gate",
                rule=f"tier:{contact.channel.value}>={minimum}",
                fallback=self.fallback.get(contact.channel),
            )
        inner = self.then.plan(contact, now)
        if isinstance(inner, Denial):
            return inner
        stages = list(inner.stages)
        if tier in self.teams:
            team, seconds = self.teams[tier]
            target = Target(channel=contact.channel, team=team, rule=f"tier:{team}-team")
            stages.insert(0, Stage(target=target, timeout=float(seconds), skip_if=self.skip_if))
        boost = self.boost.get(tier, 0)
        if boost:
            stages = [attrs.evolve(stage, boost=stage.boost + boost) for stage in stages]
        return Plan(stages)

    def hold(self, contact: Contact) -> Hold | None:
        """The wrapped policy's hold."""
        return self.then.hold(contact)


def fallback_contact(contact: Contact, denied: Any, new_id: str) -> Contact:
    """The contact to resubmit on a denial's fallback channel: a new id, the same arrival and context.

    Args:
        contact: The denied contact.
        denied: The ``Denied`` event; its ``fallback`` names the channel.
        new_id: The new contact's id (a denied id is never reused).

    Raises:
        ConfigError: The denial names no fallback channel.
    """
    if denied.fallback is None:
        raise ConfigError(f"contact {contact.id!r} was denied with no fallback channel ({denied.rule})")
    arrived = contact.arrived_at if contact.arrived_at is not None else denied.at
    return attrs.evolve(contact, id=new_id, channel=denied.fallback, arrived_at=arrived)
