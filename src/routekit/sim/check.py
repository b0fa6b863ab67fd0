"""``routekit check``: the static checks of :mod:`routekit.policies.checks`, fed from a scenario."""

from __future__ import annotations

import numpy as np

from routekit.models.agent import Agent
from routekit.models.contact import Contact
from routekit.models.customer import Customer
from routekit.models.hours import reopens_at
from routekit.policies.base import Plan, RoutingPolicy, Stage
from routekit.policies.checks import Finding, check
from routekit.router import Router
from routekit.router.settings import ExceptionRule
from routekit.sim.scenario import Scenario

__all__ = ["LATE_REPLY_SHARE", "check_scenario"]

LATE_REPLY_SHARE = 0.001
"""The share of replies after the park TTL above which ``check`` warns (``late-reply``)."""

_REPLY_DRAWS = 200_000  # reply delays drawn to estimate that share; its standard error at 0.1% is 0.007%


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
    policy = scenario.policy.build()
    findings = check(
        policy,
        agents,
        kinds,
        patience={c.channel: c.patience.mean for c in channels if c.patience is not None},
        service_levels={c.channel: c.service_level for c in channels if c.service_level is not None},
        reply_delay={c.channel: c.reply_delay.mean for c in channels if c.reply_delay is not None},
        load=load,
    )
    findings += _late_replies(scenario, kinds, policy) + _queue_limits(scenario, kinds, policy)
    findings += _closed_calendars(scenario) + _exception_rules(scenario, kinds, policy, agents)
    return sorted(findings, key=lambda finding: finding.severity != "error")  # errors first, else as found


def _queue_limits(scenario: Scenario, kinds: list[Contact], policy: RoutingPolicy) -> list[Finding]:
    """A warning per queue limit of 0 (nobody may wait) and per limit whose key no queue answers to.

    A key is a target's rule or a channel name; it answers to a queue when some kind's plan has a stage with
    that rule, or a stage on that channel. A key that answers to none limits nothing, which is most likely
    a misspelt rule (``skills:billing>3``) or a channel nobody calls on.
    """
    limits: dict[str, int] = scenario.policy.router_settings().get("queue_limits", {})
    rules: set[str] = set()
    channels: set[str] = set()
    for kind in kinds:
        plan = policy.plan(kind, 0.0)
        if isinstance(plan, Plan):
            rules.update(stage.target.rule for stage in plan.stages)
            channels.update(stage.target.channel.value for stage in plan.stages)
    findings = []
    for key, limit in limits.items():
        where = f"policy.router.queue_limits.{key}"
        if key not in rules and key not in channels:
            known = ", ".join(sorted(rules | channels)) or "none"
            findings.append(
                Finding(
                    severity="warning",
                    code="queue-limit-unused",
                    where=where,
                    message=f"no stage of any kind's plan has the rule or channel {key!r}, so this limit limits "
                    f"nothing (the plans' rules and channels: {known})",
                    suggestion="name a rule the plans use, or a channel with arrivals",
                )
            )
        if limit == 0:
            findings.append(
                Finding(
                    severity="warning",
                    code="queue-limit-zero",
                    where=where,
                    message=f"nobody may wait at {key}: every contact that finds no free agent there is denied "
                    "(queue-full), the Erlang B loss system",
                    suggestion="allow a few waiting contacts, unless losing them is the intent",
                )
            )
    return findings


def _exception_rules(
    scenario: Scenario, kinds: list[Contact], policy: RoutingPolicy, agents: list[Agent]
) -> list[Finding]:
    """Exception rules that can never fire, and overflows that point nowhere.

    A rule can never fire when its key answers to no stage of any kind's plan; a ``next-stage`` rule when
    every stage it answers to is its plan's last; a ``wait`` rule when every stage it answers to times out
    first (a stage timeout due with it fires first); a ``service-level`` rule whose threshold is 0 (no level
    is below it). An overflow points nowhere when no agent of the roster matches its target, or its target
    is on another channel than every stage the rule answers to.
    """
    rules: dict[str, tuple[ExceptionRule, ...]] = scenario.policy.router_settings().get("exception_rules", {})
    if not rules:
        return []
    # Every stage of every kind's plan, with whether it is the last.
    stages: list[tuple[Stage, bool]] = []
    for kind in kinds:
        plan = policy.plan(kind, 0.0)
        if isinstance(plan, Plan):
            stages.extend((stage, i == len(plan.stages) - 1) for i, stage in enumerate(plan.stages))
    keys = {stage.target.rule for stage, _ in stages}
    findings = []
    for key, listed in rules.items():
        # A stage answers to a channel key only when no rule key of its own is set, as the router reads them.
        answering = [
            (stage, last)
            for stage, last in stages
            if stage.target.rule == key or (stage.target.channel.value == key and stage.target.rule not in rules)
        ]
        for index, rule in enumerate(listed):
            where = f"policy.router.exception_rules.{key}[{index}]"
            why = None
            if not answering:
                known = ", ".join(sorted(keys)) or "none"
                why = f"no stage of any kind's plan has the rule or channel {key!r} (the plans' rules: {known})"
            elif rule.action == "next-stage" and all(last for _, last in answering):
                why = f"every stage at {key} is the last of its plan, so there is no next stage"
            elif rule.trigger == "wait" and all(
                stage.timeout is not None and stage.timeout <= rule.threshold for stage, _ in answering
            ):
                why = f"every stage at {key} times out within {rule.threshold:g} s, before the rule is due"
            elif rule.trigger == "service-level" and rule.threshold == 0:
                why = "no service level is below 0"
            if why is not None:
                findings.append(
                    Finding(
                        severity="warning",
                        code="exception-rule-never-fires",
                        where=where,
                        message=f"rule {rule.name!r} can never fire: {why}",
                        suggestion="key it to a stage it can act on, or change its trigger or action",
                    )
                )
            target = rule.target
            if target is None:
                continue
            if not any(target.matches(agent) for agent in agents):
                reason = f"no agent of the roster matches its target {target.rule} on {target.channel.value}"
            elif answering and all(stage.target.channel is not target.channel for stage, _ in answering):
                reason = f"its target is on {target.channel.value}, and no stage at {key} is"
            else:
                continue
            findings.append(
                Finding(
                    severity="warning",
                    code="exception-overflow-nowhere",
                    where=f"{where}.target",
                    message=f"rule {rule.name!r} overflows nowhere: {reason}, so it never fires",
                    suggestion="overflow to a target some agent matches, on the contacts' channel",
                )
            )
    return findings


def _closed_calendars(scenario: Scenario) -> list[Finding]:
    """An error per channel whose opening hours never open (``never-open``), and a warning per channel
    that stays closed from time 0 to the horizon (``closed-all-run``): every contact on it is denied, or
    waits past the end of the run."""
    findings = []
    epoch, horizon = scenario.run.epoch, scenario.run.horizon
    for i, spec in enumerate(scenario.channels.values()):
        hours = spec.hours
        if hours is None or epoch is None or horizon is None:
            continue
        name, where = spec.channel.value, f"channel[{i}].hours"
        if hours.never_open:
            findings.append(
                Finding(
                    severity="error",
                    code="never-open",
                    where=where,
                    message=f"{name} has opening hours on no weekday: it never takes a contact",
                    suggestion="give the weekdays their (open, close) times, or drop the hours",
                )
            )
            continue
        opens = reopens_at(hours, epoch)
        if opens is None or opens - epoch >= horizon:
            findings.append(
                Finding(
                    severity="warning",
                    code="closed-all-run",
                    where=where,
                    message=f"{name} is closed from time 0 to the horizon ({horizon:g} s): holidays or hours "
                    f"outside the run keep it shut",
                    suggestion="check run.date, run.timezone and the holidays",
                )
            )
    return findings


def _late_replies(scenario: Scenario, kinds: list[Contact], policy: RoutingPolicy) -> list[Finding]:
    """A warning per channel whose reply delays put more than LATE_REPLY_SHARE of replies after park TTL.

    Such a reply finds its conversation closed; the simulator then opens a new conversation
    (``<conversation>-r<n>``), which is what a live platform does too, but the sticky agent and the
    history are lost, so the scenario likely means a longer ``policy.sticky.park_ttl``.
    """
    default_ttl = Router(policy, **scenario.policy.router_settings()).settings.park_ttl
    findings = []
    for name, spec in scenario.channels.items():
        if spec.reply_delay is None or spec.turns is None:
            continue
        contact = next((kind for kind in kinds if kind.channel is spec.channel), None)
        if contact is None:
            continue
        hold = policy.hold(contact)
        # A conversation is parked after its hold, and closed park TTL after that.
        closes = default_ttl if hold is None else hold.hold + hold.park_ttl
        delays = spec.reply_delay.sample_many(np.random.default_rng(0), _REPLY_DRAWS)
        share = float(np.mean(delays > closes))
        if share > LATE_REPLY_SHARE:
            findings.append(
                Finding(
                    severity="warning",
                    code="late-reply",
                    where=f"channel[{list(scenario.channels).index(name)}].reply_delay",
                    message=f"{100 * share:.3g}% of {name} replies come after the conversation closes "
                    f"({closes:g} s after the agent answers); each opens a new conversation without its agent",
                    suggestion="raise policy.sticky.park_ttl, or shorten the reply delays",
                )
            )
    return findings
