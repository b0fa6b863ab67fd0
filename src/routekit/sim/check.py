"""``routekit check``: the static checks of :mod:`routekit.policies.checks`, fed from a scenario."""

from __future__ import annotations

from routekit.models.agent import Agent
from routekit.models.contact import Contact
from routekit.models.customer import Customer
from routekit.policies.checks import Finding, check
from routekit.sim.scenario import Scenario

__all__ = ["check_scenario"]


def check_scenario(scenario: Scenario) -> list[Finding]:
    """Check a scenario's policy against its roster, one representative contact per arrival stream and tier.

    Patience and service-level thresholds come from the channels, reply delays from the channels' means,
    and each kind's load (for the starvation check) from its stream's peak rate and mean handle time.

    >>> from routekit.sim.scenario import builtin_scenario
    >>> [f for f in check_scenario(builtin_scenario()) if f.severity == "error"]
    []
    """
    agents = [
        Agent(
            id=f"{group.name}-{i}",
            skills=group.skills,
            capacity=group.capacity,
            teams=group.teams,
            wrap_up=group.wrap_up,
        )
        for group in scenario.agents
        for i in range(group.count)
    ]
    kinds: list[Contact] = []
    load: dict[str, float] = {}
    for index, stream in enumerate(scenario.arrivals):
        peak = max(rate for _, rate in stream.profile)
        handle = scenario.channels[stream.channel.value].handle_time.mean
        for tier, share in stream.tiers:
            kind = f"arrivals[{index}] {stream.channel.value}/{tier}"
            kinds.append(
                Contact(
                    id=kind,
                    customer=Customer(id="check", tier=tier),
                    channel=stream.channel,
                    skills=stream.skills,
                    priority=stream.priority,
                )
            )
            load[kind] = peak * share * handle / 3600.0
    channels = scenario.channels.values()
    return check(
        scenario.policy.build(),
        agents,
        kinds,
        patience={c.channel: c.patience.mean for c in channels if c.patience is not None},
        service_levels={c.channel: c.service_level for c in channels if c.service_level is not None},
        reply_delay={c.channel: c.reply_delay.mean for c in channels if c.reply_delay is not None},
        load=load,
    )
