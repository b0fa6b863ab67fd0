"""Static checks of a policy against a roster, before anything runs.

A plan is data, so its mistakes can be found before the first contact: a stage no agent can match, a
stage that widens nothing, a relaxation that comes after the customers have left, a tier whose boost can
starve the others, a gate whose fallback nobody serves, a sticky window far longer than customers take
to reply. :func:`check` plans a set of representative contacts (one per kind of arrival) and reads the
plans against the agents.

>>> from routekit.models import Agent, Contact, Customer
>>> from routekit.policies import Skills
>>> agents = [Agent(id="a-1", skills={"billing": 2}, capacity={"voice": 1})]
>>> kinds = [Contact(id="billing", customer=Customer(id="u"), channel="voice", skills={"billing": 4})]
>>> for finding in check(Skills(relax=[(30, 1), (600, "any")]), agents, kinds, patience={"voice": 120}):
...     print(finding.severity, finding.code, finding.where)
warning unmatched-stage billing: stage 0 (skills:billing>=4)
warning unmatched-stage billing: stage 1 (skills:billing>=3)
warning late-relaxation billing: stage 2 (skills:any)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from routekit.models.agent import Agent
from routekit.models.channel import Channel, to_channel
from routekit.models.contact import Contact
from routekit.policies.base import Denial, Plan, RoutingPolicy, Target

__all__ = ["Finding", "check"]

SEVERITIES = ("error", "warning", "info")


@attrs.frozen(kw_only=True)
class Finding:
    """One thing a check found: how bad, a stable code, where, what, and what to do about it."""

    severity: str
    code: str
    where: str
    message: str
    suggestion: str

    def text(self) -> str:
        """One line for a terminal."""
        return f"{self.severity}: {self.where}: {self.message} ({self.code}; suggestion: {self.suggestion})"


def _layers(policy: Any) -> Iterable[Any]:
    while policy is not None:
        yield policy
        policy = getattr(policy, "then", None)


def _channel_map(value: Mapping[Any, float] | None) -> dict[Channel, float]:
    return {to_channel(channel): float(v) for channel, v in (value or {}).items()}


def check(
    policy: RoutingPolicy,
    agents: Sequence[Agent],
    contacts: Sequence[Contact],
    *,
    patience: Mapping[Any, float] | None = None,
    service_levels: Mapping[Any, float] | None = None,
    reply_delay: Mapping[Any, float] | None = None,
    load: Mapping[str, float] | None = None,
    threshold_multiple: float = 8.0,
    reply_multiple: float = 2.0,
) -> list[Finding]:
    """Check ``policy`` against a roster, planning each representative contact.

    Args:
        policy: The policy to check.
        agents: The roster: every agent who may log in.
        contacts: One contact per kind of arrival (channel, skills, tier, priority); ids name the kinds.
        patience: Mean patience per channel, in seconds.
        service_levels: Service-level threshold per channel, in seconds.
        reply_delay: Typical customer reply delay per asynchronous channel, in seconds.
        load: Offered load in Erlangs per contact kind (by contact id), for the starvation check.
        threshold_multiple: A relaxation later than this many service-level thresholds is reported.
        reply_multiple: A sticky window longer than this many typical reply delays is reported.

    Returns:
        The findings, errors first, each naming the stage, tier or agent group.
    """
    patience_of = _channel_map(patience)
    threshold_of = _channel_map(service_levels)
    reply_of = _channel_map(reply_delay)
    findings: list[Finding] = []
    plans: dict[str, Plan] = {}
    # Kinds whose stages are equal (tiers the policy routes alike, boosts aside) are checked, and
    # reported, once.
    alike: dict[tuple[Channel, tuple[tuple[Target, float | None], ...]], list[Contact]] = {}
    denied: dict[tuple[Channel, Denial], list[Contact]] = {}
    for contact in contacts:
        planned = policy.plan(contact, 0.0)
        if isinstance(planned, Denial):
            denied.setdefault((contact.channel, planned), []).append(contact)
            continue
        plans[contact.id] = planned
        shape = tuple((stage.target, stage.timeout) for stage in planned.stages)
        alike.setdefault((contact.channel, shape), []).append(contact)
    for group in alike.values():
        named = attrs.evolve(group[0], id=_names([contact.id for contact in group]))
        planned = plans[group[0].id]
        findings += _stage_findings(named, planned, agents, patience_of, threshold_of, threshold_multiple)
        findings += _sticky_findings(policy, named, reply_of, reply_multiple)
    for (_, denial), group in denied.items():
        tiers = ", ".join(dict.fromkeys(contact.customer.tier for contact in group))
        named = attrs.evolve(group[0], id=_names([contact.id for contact in group]))
        findings += _denial_findings(named, denial, agents, tiers)
    findings += _starvation_findings(contacts, plans, agents, load or {})
    unique = list(dict.fromkeys(findings))
    return sorted(unique, key=lambda f: SEVERITIES.index(f.severity))


def _names(ids: Sequence[str]) -> str:
    """``a/x``, ``a/y`` read as ``a/x,y``: kinds named ``<stream>/<tier>`` share their stream's name."""
    heads = {name.rpartition("/")[0] for name in ids}
    if len(ids) > 1 and len(heads) == 1 and all("/" in name for name in ids):
        return f"{heads.pop()}/{','.join(name.rpartition('/')[2] for name in ids)}"
    return ",".join(ids)


def _matching(target: Target, agents: Sequence[Agent]) -> frozenset[str]:
    return frozenset(agent.id for agent in agents if target.matches(agent))


def _stage_findings(
    contact: Contact,
    plan: Plan,
    agents: Sequence[Agent],
    patience: Mapping[Channel, float],
    thresholds: Mapping[Channel, float],
    multiple: float,
) -> list[Finding]:
    findings: list[Finding] = []
    reachable = [stage for stage in plan.stages if stage.target.agent is None and _matching(stage.target, agents)]
    if not reachable and not any(stage.target.agent for stage in plan.stages):
        findings.append(
            Finding(
                severity="error",
                code="unroutable",
                where=f"{contact.id}",
                message=f"no agent on the roster matches any stage of the plan for {contact.channel.value}",
                suggestion="add agents with these skills and channel, or relax the plan to 'any'",
            )
        )
        return findings
    previous: frozenset[str] | None = None
    start = 0.0
    for index, stage in enumerate(plan.stages):
        where = f"{contact.id}: stage {index} ({stage.target.rule})"
        if stage.target.agent is not None:
            start += stage.timeout or 0.0
            continue  # a sticky stage names an agent the roster cannot know in advance
        matched = _matching(stage.target, agents)
        if not matched and stage.timeout is not None:
            findings.append(
                Finding(
                    severity="warning",
                    code="unmatched-stage",
                    where=where,
                    message=f"no agent matches this stage; contacts wait here {stage.timeout:g} s for nothing",
                    suggestion="give some agents these skills or this team, or drop the stage",
                )
            )
        elif previous and matched <= previous:
            findings.append(
                Finding(
                    severity="warning",
                    code="no-widening",
                    where=where,
                    message="this stage adds no agent to the one before it, so reaching it only delays contacts",
                    suggestion="merge it into the stage before, or relax further",
                )
            )
        limit = patience.get(contact.channel)
        threshold = thresholds.get(contact.channel)
        if index and limit is not None and start > limit:
            findings.append(
                Finding(
                    severity="warning",
                    code="late-relaxation",
                    where=where,
                    message=f"this stage starts {start:g} s after arrival, after the mean patience of {limit:g} s",
                    suggestion="relax earlier, or staff the earlier stages",
                )
            )
        elif index and threshold is not None and start > multiple * threshold:
            findings.append(
                Finding(
                    severity="warning",
                    code="late-relaxation",
                    where=where,
                    message=f"this stage starts {start:g} s after arrival, over {multiple:g}x the "
                    f"service-level threshold of {threshold:g} s",
                    suggestion="relax earlier, or staff the earlier stages",
                )
            )
        if matched:
            previous = matched if previous is None else previous | matched
        start += stage.timeout or 0.0
    return findings


def _denial_findings(contact: Contact, denial: Denial, agents: Sequence[Agent], tiers: str) -> list[Finding]:
    if denial.fallback is None:
        return []
    if any(agent.capacity.get(denial.fallback, 0) > 0 for agent in agents):
        return []
    return [
        Finding(
            severity="error",
            code="fallback-unserved",
            where=f"{contact.id}: tier {tiers} ({denial.rule})",
            message=f"the gate offers {denial.fallback.value} instead, but no agent serves {denial.fallback.value}",
            suggestion=f"staff {denial.fallback.value}, or name another fallback channel",
        )
    ]


def _sticky_findings(
    policy: RoutingPolicy, contact: Contact, reply_delay: Mapping[Channel, float], multiple: float
) -> list[Finding]:
    typical = reply_delay.get(contact.channel)
    if typical is None or contact.channel.synchronous:
        return []
    turn = attrs.evolve(contact, id=f"{contact.id}#2", served_by=("last-agent",))
    planned = policy.plan(turn, 0.0)
    if isinstance(planned, Denial):
        return []
    findings = []
    for index, stage in enumerate(planned.stages):
        window = stage.timeout
        if stage.target.agent is not None and window is not None and window > multiple * typical:
            findings.append(
                Finding(
                    severity="warning",
                    code="sticky-window",
                    where=f"{contact.id}: stage {index} ({stage.target.rule})",
                    message=f"a reply waits {window:g} s for the last agent, over {multiple:g}x the typical "
                    f"reply delay of {typical:g} s",
                    suggestion=f"shorten the sticky window towards {multiple * typical:g} s",
                )
            )
    return findings


def _starvation_findings(
    contacts: Sequence[Contact], plans: Mapping[str, Plan], agents: Sequence[Agent], load: Mapping[str, float]
) -> list[Finding]:
    """Lower-priority kinds that share a queue with boosted kinds whose load alone fills its agents.

    routekit has no aging: a waiting contact's priority never grows, so when the higher-priority load
    on a shared pool reaches its capacity, the lower-priority contacts can wait without bound.
    """
    if not load:
        return []
    by_kind = {contact.id: contact for contact in contacts}
    shared: dict[Target, list[tuple[int, str]]] = {}
    for kind, plan in plans.items():
        for stage in plan.stages:
            if stage.target.agent is None:
                shared.setdefault(stage.target, []).append((by_kind[kind].priority + stage.boost, kind))
    findings = []
    for target, kinds in shared.items():
        slots = sum(agent.capacity.get(target.channel, 0) for agent in agents if target.matches(agent))
        for priority, kind in sorted(set(kinds)):
            above = {k for p, k in kinds if p > priority}
            pressure = sum(load.get(k, 0.0) for k in above)
            if above and slots and pressure >= slots:
                tier = by_kind[kind].customer.tier
                findings.append(
                    Finding(
                        severity="warning",
                        code="starvation",
                        where=f"{kind}: tier {tier} at {target.rule}",
                        message=f"higher-priority kinds ({', '.join(sorted(above))}) offer {pressure:.1f} "
                        f"Erlangs to the {slots} slots of this queue; with no aging, tier {tier} can wait "
                        "without bound while they keep it full",
                        suggestion="lower the boosts, give the boosted tiers their own agents, or staff up",
                    )
                )
    return findings
