"""A scenario's records: the run, the channels, the arrival streams, the agent groups and the policy.

Frozen records, read from TOML by :mod:`routekit.sim.sections` and checked key by key there;
:mod:`routekit.sim.scenario` is where a scenario is read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from routekit.datasets.trace import TraceRecord
from routekit.errors import ConfigError, ScenarioError
from routekit.models._frozen import frozen
from routekit.models.channel import Channel
from routekit.models.hours import OpeningHours
from routekit.models.tiers import Tiers
from routekit.policies.base import RoutingPolicy
from routekit.policies.skills import Skills
from routekit.policies.sticky import Sticky
from routekit.policies.tiers import TierGate
from routekit.sim.distributions import Deterministic, Distribution

__all__ = [
    "DEFAULT_MAX_RETRIALS",
    "DEFAULT_SERVICE_LEVEL_TARGET",
    "MAX_ARRIVALS",
    "AgentGroup",
    "ArrivalStream",
    "ChannelSpec",
    "PolicySpec",
    "RunSpec",
    "Scenario",
    "TraceArrivals",
]

NO_DELAY = Deterministic(0.0)

MAX_ARRIVALS = 10_000_000
"""The most arrivals a scenario's generated streams may be expected to bring in one run.

A scenario whose streams would bring more (say ``rate = 1e12``), with no ``run.customers`` at or below
this bound, is refused naming the stream's key: at the simulator's pace such a run would not end today.
"""

DEFAULT_SERVICE_LEVEL_TARGET = 0.8
"""A channel's ``service_level_target`` when the scenario gives none: 80% within its threshold."""

DEFAULT_MAX_RETRIALS = 3
"""How many times a customer tries again, at most, when the scenario gives no ``max_retrials``."""


# ------------------------------------------------------------------------------------------- the records


def _frozen_levels(value: Mapping[str, int]) -> dict[str, int]:
    """A stream's skills, read-only: every simulated contact of the stream shares them."""
    return frozen(value)


@attrs.frozen(kw_only=True)
class RunSpec:
    """``[run]``: how long to simulate and what to count."""

    horizon: float | None = None
    customers: int | None = None
    warmup_customers: int = 0
    start: float = 0.0
    interval: float = 1800.0
    drain: float = 7200.0
    # The UNIX time of simulated second 0 (``run.date`` at ``run.start`` o'clock in ``run.timezone``), for
    # opening hours.
    epoch: float | None = None


@attrs.frozen(kw_only=True)
class ChannelSpec:
    """``[[channel]]``: a channel's service-level threshold and its customers' and agents' behaviour."""

    channel: Channel
    service_level: float | None
    handle_time: Distribution
    service_level_target: float = DEFAULT_SERVICE_LEVEL_TARGET
    patience: Distribution | None = None
    accept_delay: Distribution = NO_DELAY
    reject_probability: float = 0.0
    turns: Distribution | None = None
    reply_delay: Distribution | None = None
    retrial_probability: float = 0.0
    denied_retrial_probability: float = 0.0
    retrial_delay: Distribution | None = None
    max_retrials: int = DEFAULT_MAX_RETRIALS
    hours: OpeningHours | None = None


@attrs.frozen(kw_only=True)
class ArrivalStream:
    """``[[arrivals]]``: contacts arriving on one channel, at a rate or by an intraday profile."""

    channel: Channel
    profile: tuple[tuple[float, float], ...]
    tiers: tuple[tuple[str, float], ...] = (("standard", 1.0),)
    skills: dict[str, int] = attrs.field(factory=dict, converter=_frozen_levels)
    priority: int = 0
    head_start: float = 0.0
    fallback_probability: float = 1.0


@attrs.frozen(kw_only=True)
class TraceArrivals:
    """``[[arrivals]]`` with ``trace``: recorded contacts, each arriving once at its recorded time.

    Args:
        index: The entry's position in the ``[[arrivals]]`` list, which error messages name.
        path: The trace CSV (:mod:`routekit.datasets.trace`).
        columns: Trace column name to the CSV's own header name, for the columns named differently.
        records: The recorded contacts, by arrival; ``arrival`` is in simulated seconds.
        use_patience: Whether a record's patience replaces the channel's patience draw; ``False`` draws
            every contact's patience from its channel, as if the trace had no patience column.
    """

    index: int
    path: Path
    columns: dict[str, str] = attrs.field(factory=dict)
    records: tuple[TraceRecord, ...] = attrs.field(default=(), repr=False)
    use_patience: bool = True

    @property
    def channels(self) -> frozenset[Channel]:
        """The channels the recorded contacts arrive on."""
        return frozenset(record.channel for record in self.records)


@attrs.frozen(kw_only=True)
class AgentGroup:
    """``[[agents]]``: ``count`` agents alike, logged in for a shift."""

    name: str
    count: int
    capacity: dict[Channel, int]
    skills: dict[str, int] = attrs.field(factory=dict)
    teams: frozenset[str] = frozenset()
    wrap_up: dict[Channel, float] = attrs.field(factory=dict)
    shift: tuple[float, float] | None = None
    # (start second, agents logged in from then on) rows, starts increasing; None: no staffing table.
    staffing: tuple[tuple[float, int], ...] | None = None


@attrs.frozen(kw_only=True)
class PolicySpec:
    """``[policy]``: the routing policy and the router's settings."""

    kind: str = "skills"
    relax: tuple[tuple[float, int | str], ...] = ()
    skip_if: str | None = None
    team_skip_if: str | None = None
    tiers: tuple[str, ...] = ("standard", "silver", "gold", "platinum")
    gates: dict[Channel, str] = attrs.field(factory=dict)
    fallback: dict[Channel, Channel] = attrs.field(factory=dict)
    boost: dict[str, int] = attrs.field(factory=dict)
    teams: dict[str, tuple[str, float]] = attrs.field(factory=dict)
    hold: float = 120.0
    window: float = 300.0
    park_ttl: float = 86400.0
    router: dict[str, Any] = attrs.field(factory=dict)

    def build(self) -> RoutingPolicy:
        """The policy these settings describe.

        Raises:
            ScenarioError: The policy refuses the settings (for example an unknown tier name).
        """
        try:
            policy: RoutingPolicy = Skills(relax=self.relax, skip_if=self.skip_if)
            if self.kind == "mobile-support":
                policy = TierGate(
                    tiers=Tiers(self.tiers),
                    gates=self.gates,
                    fallback=self.fallback,
                    boost=self.boost,
                    teams=self.teams,
                    skip_if=self.team_skip_if,
                    then=policy,
                )
                policy = Sticky(self.hold, self.window, park_ttl=self.park_ttl, then=policy)
        except ConfigError as error:
            # Name the scenario's key path, not the policy class's field behind it.
            message = str(error).replace("TierGate.", "policy.tiers.").replace("Sticky.", "policy.sticky.")
            message = re.sub(r"\[['\"]?([\w-]+)['\"]?\]", r".\1", message, count=1)
            raise ScenarioError(message if message.startswith("policy.") else f"policy: {message}") from None
        return policy

    def router_settings(self) -> dict[str, Any]:
        """Keyword settings for :class:`~routekit.Router`."""
        return dict(self.router)


@attrs.frozen(kw_only=True)
class Scenario:
    """A whole scenario: the run, the channels, the arrivals, the agents and the policy."""

    run: RunSpec
    channels: dict[str, ChannelSpec]
    arrivals: tuple[ArrivalStream, ...]
    agents: tuple[AgentGroup, ...]
    policy: PolicySpec
    source: Mapping[str, Any] = attrs.field(eq=False, repr=False)
    base: Path | None = attrs.field(default=None, eq=False, repr=False)
    traces: tuple[TraceArrivals, ...] = ()

    def hours_settings(self) -> dict[str, Any]:
        """The router's ``epoch`` and ``hours`` settings for the channels with ``[channel.hours]``; none without."""
        hours = {spec.channel: spec.hours for spec in self.channels.values() if spec.hours is not None}
        return {"epoch": self.run.epoch, "hours": hours} if hours else {}

    def service_levels(self) -> dict[Channel, float]:
        """Each channel's service-level threshold, in seconds."""
        return {spec.channel: spec.service_level for spec in self.channels.values() if spec.service_level is not None}


