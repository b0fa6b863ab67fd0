"""Stages: a contact entering routing, moving through its plan's stages, and being denied.

A stage's timeout counts from entering it; the last stage has none. A stage whose timeout is 0, whose
single agent (sticky) is not available, or whose ``skip_if`` holds as the contact enters it (no agent
matching its target logged in, or none available), is skipped at once; the last stage never is. A contact
left with no registered agent able to serve any of its remaining stages ends with ``Denied(reason="unroutable")``.
"""

from __future__ import annotations

from typing import Any

from routekit._slot_init import slot_builder
from routekit.events import ContactQueued, Denied, Event, StageChanged
from routekit.models.channel import Channel
from routekit.models.contact import Contact
from routekit.policies.base import Plan, Target
from routekit.router.bars import drop_bars
from routekit.router.conversations import close_conversation_of
from routekit.router.exception_rules import DENIED, MOVED, STAYED, act, can_act, judge_entry, rules_of, schedule_wait
from routekit.router.index import (
    count_offer,
    dequeue,
    drop_empty_agent_queue,
    enqueue,
    ensure_target,
    presence,
    routable,
    target_supply,
)
from routekit.router.priorities import set_delay_timer
from routekit.router.state import AVAILABLE, OFFERED, STAGE_TIMEOUT, WAITING, ContactRecord, RoutingState, finish

__all__ = [
    "denied",
    "deny",
    "deny_if_stranded",
    "deny_unroutable",
    "enter_stage",
    "entry_stage",
    "leave_sticky_stages",
    "next_stage",
    "rule_due",
    "stage_timed_out",
    "start",
]

# ContactQueued is built for every contact: by position, as matching builds Offered.
_contact_queued = slot_builder(ContactQueued)


def start(
    rs: RoutingState, contact: Contact, plan: Plan, now: float, out: list[Event], *, queue: bool
) -> ContactRecord | None:
    """Enter a contact into routing at its plan's first stage; emit ``ContactQueued``. ``None`` when an
    exception rule denied it as it entered.

    With ``queue=False`` the waiting contact is left for the caller to queue or offer.
    """
    arrived = contact.arrived_at if contact.arrived_at is not None else now
    clock_start = arrived
    if rs.held and contact.channel in rs.held:
        # A closed asynchronous channel: the service-level clock starts at the opening (routekit.router.hours).
        opens = rs.shut[contact.channel]
        if opens is not None and opens > arrived:
            clock_start = opens
    # contact, plan, stage, priority, arrival (less the head start), seq, clock start
    cr = ContactRecord(contact, plan, 0, contact.priority, arrived - contact.head_start, rs.seq, clock_start)
    rs.seq += 1
    rs.contacts[contact.id] = cr
    return cr if queued(rs, cr, now, out, queue=queue) else None


def queued(rs: RoutingState, cr: ContactRecord, now: float, out: list[Event], *, queue: bool) -> bool:
    """Emit ``ContactQueued`` for a contact starting a plan (new, or transferred) and enter its first stage;
    ``False`` when an exception rule denied it there."""
    if id(cr.plan) not in rs.ready_plans:
        for stage in cr.plan.stages:
            ensure_target(rs, stage.target)
    contact = cr.contact
    # at, contact_id, channel, tier, arrived_at, stage, rule, priority
    out.append(
        _contact_queued(
            now,
            contact.id,
            contact.channel,
            contact.customer.tier,
            cr.clock_start,
            0,
            cr.target.rule,
            cr.priority + cr.plan.stages[0].boost,
        )
    )
    return enter_stage(rs, cr, now, out, queue=queue)


def enter_stage(rs: RoutingState, cr: ContactRecord, now: float, out: list[Event], *, queue: bool = True) -> bool:
    """Start the contact's current stage: its exception rules, its timers, then its queue (or the next stage
    at once). Returns ``False`` when an exception rule denied the contact (it is gone).

    With ``queue=False`` a waiting contact is left for the caller to queue or offer.
    """
    while True:
        while True:
            stage = cr.plan.stages[cr.stage]
            last = cr.stage == len(cr.plan.stages) - 1
            # skips, written out: every contact enters a stage this way.
            skip = not last and (
                stage.timeout == 0
                or sticky_unavailable(rs, stage.target)
                or (stage.skip_if is not None and nobody_present(rs, stage.target, stage.skip_if))
            )
            if not skip:
                break
            cr.move_to(cr.stage + 1)
            out.append(StageChanged(at=now, contact_id=cr.contact.id, stage=cr.stage, rule=cr.target.rule))
        if not rs.exception_rules or cr.state is not WAITING:
            break
        judged = judge_entry(rs, cr, now, out)
        if judged == DENIED:
            return False
        if judged == STAYED:
            break
        # MOVED: a rule moved the contact on; its new stage is skipped or judged in turn
    since = now
    if rs.held and cr.contact.channel in rs.held:
        # A stage entered while its asynchronous channel is closed counts from the opening.
        opens = rs.shut[cr.contact.channel]
        if opens is not None and opens > now:
            since = opens
    cr.stage_since = since
    if stage.timeout is not None:
        cr.stage_timer = rs.timers.set(since + stage.timeout, STAGE_TIMEOUT, (cr.contact.id, cr.stage))
    else:
        cr.stage_timer = None
    if rs.delays or cr.delay_timer is not None:  # agents' queue delays count from entering the stage
        set_delay_timer(rs, cr, now)
    if rs.exception_rules:
        schedule_wait(rs, cr, since)
    if queue and cr.state == WAITING:
        enqueue(rs, cr)
        rs.dirty_contacts[cr.contact.id] = None
    return True


def skips(rs: RoutingState, plan: Plan, index: int) -> bool:
    """Whether a contact entering stage ``index`` of ``plan`` skips it at once: not the last stage, and its
    timeout is 0, its single agent cannot serve now, or its ``skip_if`` holds. The one definition;
    ``enter_stage`` writes it out."""
    stage = plan.stages[index]
    last = index == len(plan.stages) - 1
    return not last and (
        stage.timeout == 0
        or sticky_unavailable(rs, stage.target)
        or (stage.skip_if is not None and nobody_present(rs, stage.target, stage.skip_if))
    )


def nobody_present(rs: RoutingState, target: Target, skip_if: str) -> bool:
    """Whether no agent matching ``target`` is logged in (``"none-logged-in"``) or available
    (``"none-available"``). O(1) for an indexed target; O(agents) once for one no plan named yet."""
    if target.agent is not None:
        ar = rs.agents.get(target.agent)
        present = presence(ar) if ar is not None and target.matches(ar.agent) else (0, 0)
    else:
        counts = rs.present.get(target)
        if counts is None:  # a transfer's new target, judged before it is indexed
            matching = [presence(ar) for ar in rs.agents.values() if target.matches(ar.agent)]
            counts = [sum(p[0] for p in matching), sum(p[1] for p in matching)]
        present = (counts[0], counts[1])
    return not present[0 if skip_if == "none-logged-in" else 1]


def entry_stage(rs: RoutingState, plan: Plan, index: int = 0) -> int:
    """The stage a contact entering ``plan`` at ``index`` would wait in now, after the stages it skips."""
    while skips(rs, plan, index):
        index += 1
    return index


def sticky_unavailable(rs: RoutingState, target: Target) -> bool:
    """Whether a stage for one agent alone cannot be served now (the agent is gone, away or changed)."""
    if target.agent is None:
        return False
    ar = rs.agents.get(target.agent)
    return ar is None or ar.status != AVAILABLE or not target.matches(ar.agent)


def next_stage(rs: RoutingState, cr: ContactRecord, now: float, out: list[Event]) -> None:
    """Move a contact to its next stage (it must have one), waiting or offered alike."""
    rs.timers.cancel(cr.stage_timer)
    rs.timers.cancel(cr.rule_timer)
    # A pending offer moves with its contact in the statistics; one that just ended (offers.end_offer, its
    # timer already gone) was counted out already.
    pending = cr.state == OFFERED and cr.offer_timer is not None
    if pending:
        count_offer(rs, cr.target, -1)
    elif cr.state == WAITING:
        dequeue(rs, cr)
        drop_empty_agent_queue(rs, cr.target)
    cr.move_to(cr.stage + 1)
    out.append(StageChanged(at=now, contact_id=cr.contact.id, stage=cr.stage, rule=cr.target.rule))
    if not enter_stage(rs, cr, now, out):
        return
    if pending:
        count_offer(rs, cr.target, 1)
    deny_if_stranded(rs, cr, now, out)


def stage_timed_out(rs: RoutingState, at: float, payload: tuple[Any, ...], out: list[Event]) -> None:
    """The ``STAGE_TIMEOUT`` timer: the contact moves to its next, wider stage."""
    contact_id, _ = payload
    cr = rs.contacts[contact_id]
    cr.stage_timer = None
    next_stage(rs, cr, at, out)


def rule_due(rs: RoutingState, at: float, payload: tuple[Any, ...], out: list[Event]) -> None:
    """The ``EXCEPTION_RULE`` timer: a wait rule fires for a waiting contact (out of its queue while it acts);
    an offered one, or an action that cannot act, sets the next wait rule instead."""
    contact_id, _, index = payload
    cr = rs.contacts[contact_id]
    cr.rule_timer = None
    rule = rules_of(rs, cr.target)[index]
    if cr.state is WAITING and can_act(rs, cr, rule):
        dequeue(rs, cr)
        drop_empty_agent_queue(rs, cr.target)
        judged = act(rs, cr, rule, at, out)
        if judged == MOVED:
            rs.timers.cancel(cr.stage_timer)
            if enter_stage(rs, cr, at, out):
                deny_if_stranded(rs, cr, at, out)
            return
        if judged == DENIED:
            return
        enqueue(rs, cr)
        rs.dirty_contacts[contact_id] = None
    schedule_wait(rs, cr, cr.stage_since, (float(rule.threshold), index))


def leave_sticky_stages(rs: RoutingState, agent_id: str, now: float, out: list[Event]) -> None:
    """Contacts waiting for this agent alone move on at once when the agent is away, offline or gone."""
    waiting = [
        rs.contacts[contact_id] for target in rs.agent_queues.get(agent_id, ()) for contact_id in rs.queues[target]
    ]
    waiting.sort(key=lambda cr: cr.key)
    for cr in waiting:
        if cr.stage < len(cr.plan.stages) - 1:
            next_stage(rs, cr, now, out)


def denied(
    contact: Contact,
    now: float,
    reason: str,
    rule: str,
    fallback: Channel | None,
    reopens_at: float | None = None,
) -> Denied:
    """The ``Denied`` event for a contact, with the reason, the rule, any fallback channel and reopening."""
    return Denied(
        at=now,
        contact_id=contact.id,
        channel=contact.channel,
        tier=contact.customer.tier,
        reason=reason,
        rule=rule,
        fallback=fallback,
        reopens_at=reopens_at,
    )


def deny_unroutable(rs: RoutingState, now: float, out: list[Event]) -> None:
    """End with ``Denied(unroutable)`` every waiting contact that no registered agent can serve now."""
    doomed: list[ContactRecord] = []
    for target, queue in rs.queues.items():
        if queue and not target_supply(rs, target):
            for contact_id in queue:
                cr = rs.contacts[contact_id]
                if not routable(rs, cr.contact, cr.plan, cr.stage):
                    doomed.append(cr)
    doomed.sort(key=lambda cr: cr.key)
    for cr in doomed:
        deny(rs, cr, now, out)


def deny_if_stranded(rs: RoutingState, cr: ContactRecord, now: float, out: list[Event]) -> None:
    """A contact back in a queue, or at a new stage, that nobody can serve from here ends at once."""
    if cr.state == WAITING and not routable(rs, cr.contact, cr.plan, cr.stage):
        deny(rs, cr, now, out)


def deny(rs: RoutingState, cr: ContactRecord, now: float, out: list[Event]) -> None:
    """End a waiting contact with ``Denied(reason="unroutable")`` (and close its conversation)."""
    contact_id = cr.contact.id
    dequeue(rs, cr)
    drop_empty_agent_queue(rs, cr.target)
    rs.timers.cancel(cr.stage_timer)
    rs.timers.cancel(cr.delay_timer)
    rs.timers.cancel(cr.rule_timer)
    drop_bars(rs, contact_id)
    rs.dirty_contacts.pop(contact_id, None)
    del rs.contacts[contact_id]
    out.append(denied(cr.contact, now, "unroutable", cr.target.rule, None))
    decision = (None, cr.stage, cr.target.rule, None, now)
    finish(rs, contact_id, now, cr.contact.conversation, "denied: unroutable", decision)
    close_conversation_of(rs, cr.contact, now, "unroutable", out)
