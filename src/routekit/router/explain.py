"""Explanations: why a contact is where it is, built from the routing state and changing nothing.

The records it returns (:class:`~routekit.explanation.Explanation` and its parts) live in
:mod:`routekit.explanation`; this module reads the state. It is never on the routing path.
"""

from __future__ import annotations

from typing import Any

from routekit.errors import UnknownIdError
from routekit.explanation import AgentVerdict, Decision, Explanation, PlanStage, RuleStatus
from routekit.router.exception_rules import rules_of
from routekit.router.index import place
from routekit.router.priorities import delay_passed
from routekit.router.state import (
    ASSIGNED,
    AVAILABLE,
    HELD,
    NO_DECISION,
    OFFERED,
    WAITING,
    AgentRecord,
    ContactRecord,
    DecisionData,
    RoutingState,
)

__all__ = ["decision", "explain"]


def explain(rs: RoutingState, contact_id: str, at: float) -> Explanation:
    """The explanation of a live or recently finished contact at time ``at``. O(agents log agents).

    Raises:
        UnknownIdError: The contact is not known (or was forgotten after the retention time).
    """
    cr = rs.contacts.get(contact_id)
    if cr is None:
        outcome = rs.outcomes.get(contact_id)
        if outcome is None:
            raise UnknownIdError(f"unknown contact {contact_id!r}")
        return Explanation(contact_id=contact_id, at=at, state="finished", decision=decision(outcome))
    plan = tuple(
        PlanStage(stage=i, rule=stage.target.rule, timeout=stage.timeout) for i, stage in enumerate(cr.plan.stages)
    )
    if cr.state in (ASSIGNED, HELD):
        return Explanation(
            contact_id=contact_id,
            at=at,
            state=cr.state.value,
            plan=plan,
            decision=decision((cr.state.value, cr.decision)),
        )
    timeout = cr.plan.stages[cr.stage].timeout
    position = place(rs, cr) if cr.state is WAITING else None
    ahead: tuple[str, ...] = ()
    if position is not None:
        queue = rs.queues[cr.target]
        ahead = tuple(cid for _, cid in zip(range(position), queue, strict=False))
    verdicts = [_verdict(rs, ar, cr, at) for ar in rs.agents.values()]
    ranked = sorted((v for v in verdicts if v[0] is None), key=lambda v: (v[1], v[2].agent.id))
    rank = {v[2].agent.id: i + 1 for i, v in enumerate(ranked)}
    return Explanation(
        contact_id=contact_id,
        at=at,
        state=cr.state.value,
        plan=plan,
        stage=cr.stage,
        stage_ends_at=None if timeout is None else cr.stage_since + timeout,
        position=position,
        ahead=ahead,
        agents=tuple(
            AgentVerdict(
                agent_id=ar.agent.id,
                eligible=reason is None,
                reason=reason,
                rank=rank.get(ar.agent.id),
                terms=_terms(rs, ar, cr) if reason is None else {},
            )
            for reason, _, ar in verdicts
        ),
        exception_rules=_rules(rs, cr),
    )


def _rules(rs: RoutingState, cr: ContactRecord) -> tuple[RuleStatus, ...]:
    """The exception rules at the contact's stage: when each wait rule fires, and which are judged at entry."""
    rules = rules_of(rs, cr.target)
    payload = rs.timers.payload_of(cr.rule_timer)
    pending_key = None if payload is None else (float(rules[payload[2]].threshold), payload[2])
    statuses = []
    for index, rule in enumerate(rules):
        if rule.trigger != "wait":
            statuses.append(_status(rule, "judged at entry to the stage", None))
        elif pending_key is not None and (float(rule.threshold), index) >= pending_key:
            statuses.append(_status(rule, "waiting", cr.stage_since + rule.threshold))
        else:
            statuses.append(_status(rule, "fired or passed over", None))
    return tuple(statuses)


def _status(rule: Any, judged: str, fires_at: float | None) -> RuleStatus:
    return RuleStatus(
        name=rule.name,
        trigger=rule.trigger,
        threshold=rule.threshold,
        action=rule.action,
        judged=judged,
        fires_at=fires_at,
    )


def decision(outcome: tuple[str, DecisionData | None]) -> Decision:
    """The public record of a decision kept as ``(outcome, (agent, stage, rule, selection, at))``."""
    name, data = outcome
    agent, stage, rule, selection, at = data or NO_DECISION
    return Decision(outcome=name, agent_id=agent, stage=stage, rule=rule, selection=selection, at=at)


def _verdict(
    rs: RoutingState, ar: AgentRecord, cr: ContactRecord, at: float
) -> tuple[str | None, tuple[Any, ...], AgentRecord]:
    """The first reason ``ar``'s agent cannot take ``cr`` now (``None``: eligible), and its selection key.

    The reasons follow the eligibility rules in :mod:`routekit.router.index` in the same order.
    """
    target = cr.target
    agent = ar.agent
    channel = target.channel
    timers = rs.timers
    reason: str | None = None
    wrap_up = {cid: timers.due_of(seq) for cid, seq in ar.wrap_up_timers.items()}
    exclusive = rs.exclusive
    if cr.state == OFFERED and cr.agent == agent.id:
        reason = f"offered this contact (expires at t={_t(timers.due_of(cr.offer_timer))})"
    elif channel in rs.held:
        reason = f"{channel.value} is closed (opening hours) until t={_t(rs.shut[channel])}"
    elif ar.status != AVAILABLE:
        reason = ar.status.value
    elif (why := target.why_not(agent)) is not None:
        reason = why
    elif len(ar.offers) >= rs.offers_per_agent:
        held, count = ", ".join(ar.offers), len(ar.offers)
        reason = f"holding another offer ({held})" if count == 1 else f"holding {count} offers ({held})"
    elif ar.exclusive_work or (channel in exclusive and ar.work):
        busy = [cid for cid, (ch, _) in ar.work.items() if ch in exclusive or channel in exclusive]
        if busy and all(cid in wrap_up for cid in busy):
            reason = f"wrap-up until t={_t(max(wrap_up[cid] or 0.0 for cid in busy))}"
        elif ar.exclusive_work:
            held = next(ch for ch, _ in ar.work.values() if ch in exclusive)
            reason = f"busy on an exclusive channel ({held.value})"
        else:
            reason = f"{channel.value} is exclusive and the agent has other work"
    elif ar.load.get(channel, 0) >= agent.capacity.get(channel, 0):
        on_channel = [cid for cid, (ch, _) in ar.work.items() if ch == channel]
        ending = [wrap_up[cid] or 0.0 for cid in on_channel if cid in wrap_up]
        used, slots = ar.load.get(channel, 0), agent.capacity.get(channel, 0)
        reason = f"no free slot on {channel.value} ({used} of {slots} in use"
        reason += f"; wrap-up until t={_t(min(ending))})" if ending else ")"
    elif agent.id in rs.bars.get(cr.contact.id, {}):
        until = timers.due_of(rs.bars[cr.contact.id][agent.id])
        reason = f"re-offer delay until t={_t(until)}"
    elif not delay_passed(agent, cr, at):
        _, delay = agent.rank_of(target.rule)
        reason = f"queue delay of {delay:g} s for {target.rule} until t={_t(cr.stage_since + delay)}"
    key = rs.selection_key(ar, target) if reason is None else ()
    return reason, key, ar


def _terms(rs: RoutingState, ar: AgentRecord, cr: ContactRecord) -> dict[str, Any]:
    """What the selection key orders an eligible agent by, for the reader; and the agent's queue priority of
    the contact's target when it ranks targets (it decides what the agent takes when freed)."""
    target = cr.target
    skills = ar.agent.skills
    ranks = {"queue_priority": ar.agent.rank_of(target.rule)[0]} if ar.agent.queue_priorities else {}
    return {
        "selection": rs.selection_name if target.agent is None else "sticky",
        "idle_since": ar.idle_since,
        "busy": ar.busy,
        "load": ar.load.get(target.channel, 0),
        "proficiency": sum(skills.get(name, 0) for name, _ in target.skills),
        **ranks,
    }


def _t(value: float | None) -> str:
    return "?" if value is None else f"{value:g}"
