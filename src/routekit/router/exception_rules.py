"""Exception rules: a trigger watched while a contact waits at a target, and the action taken when it holds.

Rules are set per target in ``RouterSettings.exception_rules``, keyed as queue limits are (a target's rule
first, else its channel's name), and apply at every stage whose target they key. When each trigger is judged:

- ``"wait"``: a timer set as the contact enters the stage, due ``threshold`` seconds later (counted from
  the opening on a closed asynchronous channel, as a stage timeout is). Only the earliest pending wait rule
  of a contact has a timer; the next one is set when it fires. A wait rule due while the contact is
  offered does not fire (an agent is ringing); the next one is set. Timers due at the same moment fire in
  ``TimerKind`` order, so a stage timeout due with a wait rule moves the contact first and the rule, whose
  stage has ended, never fires.
- ``"queue-length"``, ``"estimated-wait"``, ``"service-level"``: judged once, as the contact enters the
  stage (new, moved on, overflowed, back from a transfer or a reply turn). A queue growing later does not
  fire them: judging a queue's waiting contacts each time it grows would cost a scan of the queue.

A waiting contact entering a stage has its entry rules judged in their order; the first that fires acts, and
a contact that moves (next stage, overflow) has the rules of its new stage judged in turn. A contact that is
offered as it moves (a stage timeout during an offer) is not judged: it is being served. An action that
cannot act does not fire: ``"next-stage"`` at the last stage or when nobody could serve the stages left,
``"overflow"`` to a target on another channel or that nobody registered matches, or for a contact overflowed already (so
overflows never loop; a transfer's new plan starts afresh). Each firing emits
:class:`~routekit.events.ExceptionFired`, then the action's events.

The service-level trigger reads a small record kept for every target whether or not rules use it: the
last ``answer_window`` contacts decided there (answered, with their wait, or abandoned), and
:func:`routekit.kpis.service_level` over it. The estimated-wait trigger reads
:func:`routekit.router.waits.expected_wait` with the default predictor, the one estimate ``Router.expected_wait``
also returns. A callback action is not offered: the router has no
callbacks.
"""

from __future__ import annotations

from collections import deque

from routekit.events import Denied, Event, ExceptionFired, Reprioritized, StageChanged
from routekit.kpis import service_level, within_threshold
from routekit.policies.base import Plan, Stage, Target
from routekit.router.bars import drop_bars
from routekit.router.conversations import close_conversation_of
from routekit.router.index import ensure_target, routable, target_supply
from routekit.router.settings import ExceptionRule
from routekit.router.state import EXCEPTION_RULE, ContactRecord, RoutingState, finish
from routekit.router.waits import expected_wait

__all__ = [
    "DENIED",
    "MOVED",
    "STAYED",
    "act",
    "can_act",
    "judge_entry",
    "recent_service_level",
    "record_decided",
    "rules_of",
    "schedule_wait",
]

# What judging a contact's rules did to it.
STAYED, MOVED, DENIED = "stayed", "moved", "denied"


def rules_of(rs: RoutingState, target: Target) -> tuple[ExceptionRule, ...]:
    """The exception rules at ``target``: its rule's list, else its channel's, else none. O(1)."""
    rules = rs.exception_rules
    found = rules.get(target.rule)
    if found is None:
        found = rules.get(target.channel.value, ())
    return found


def record_decided(rs: RoutingState, target: Target, waited: float, answered: bool) -> None:
    """Add a contact decided at ``target`` (answered or left) to its recent record. O(1)."""
    record = rs.recent.get(target)
    if record is None:
        record = rs.recent[target] = deque(maxlen=rs.answer_window)
    record.append((waited, answered))


def recent_service_level(rs: RoutingState, target: Target, within: float) -> float | None:
    """The service level of ``target``'s recent record, answered within ``within`` seconds (``None`` when
    nothing is on record). O(answer_window)."""
    record = rs.recent.get(target, ())
    answered = sum(1 for waited, ok in record if ok and within_threshold(waited, within))
    return service_level(answered, len(record))


def _holds(rs: RoutingState, cr: ContactRecord, rule: ExceptionRule, now: float) -> bool:
    """Whether an entry trigger holds for a contact entering its stage."""
    trigger = rule.trigger
    if trigger == "queue-length":
        queue = rs.queues.get(cr.target)
        return (len(queue) if queue is not None else 0) >= rule.threshold
    if trigger == "estimated-wait":
        estimate = expected_wait(rs, cr, now, rs.wait_predictor)
        return estimate is not None and estimate > rule.threshold
    if trigger == "service-level":
        assert rule.within is not None
        level = recent_service_level(rs, cr.target, rule.within)
        return level is not None and level < rule.threshold
    return False


def can_act(rs: RoutingState, cr: ContactRecord, rule: ExceptionRule) -> bool:
    """Whether the rule's action can act on the contact (a rule that cannot does not fire)."""
    action = rule.action
    if action == "next-stage":
        nxt = cr.stage + 1
        return nxt < len(cr.plan.stages) and routable(rs, cr.contact, cr.plan, nxt)
    if action == "overflow":
        assert rule.target is not None
        if cr.overflowed or rule.target.channel is not cr.contact.channel:
            return False
        ensure_target(rs, rule.target)
        return bool(target_supply(rs, rule.target))
    return True


def judge_entry(rs: RoutingState, cr: ContactRecord, now: float, out: list[Event]) -> str:
    """Judge the entry triggers of a waiting contact entering its stage, not yet queued; the first that
    fires acts. Returns ``STAYED``, ``MOVED`` (at a new stage: judge it in turn) or ``DENIED``. O(rules)."""
    for rule in rules_of(rs, cr.target):
        if rule.trigger != "wait" and can_act(rs, cr, rule) and _holds(rs, cr, rule, now):
            return act(rs, cr, rule, now, out)
    return STAYED


def schedule_wait(rs: RoutingState, cr: ContactRecord, since: float, after: tuple[float, int] | None = None) -> None:
    """Set the timer of the contact's earliest wait rule at its stage (after ``after``, a fired rule's
    ``(threshold, index)``), counted from ``since``. O(rules)."""
    best: tuple[float, int] | None = None
    for index, rule in enumerate(rules_of(rs, cr.target)):
        if rule.trigger == "wait":
            key = (float(rule.threshold), index)
            if (after is None or key > after) and (best is None or key < best):
                best = key
    if best is None:
        cr.rule_timer = None
    else:
        cr.rule_timer = rs.timers.set(since + best[0], EXCEPTION_RULE, (cr.contact.id, cr.stage, best[1]))


def act(rs: RoutingState, cr: ContactRecord, rule: ExceptionRule, now: float, out: list[Event]) -> str:
    """Fire ``rule`` for a waiting contact out of any queue (entering its stage, or taken out by
    ``stages.rule_due``); the caller queues a contact that stayed and enters the stage of one that moved."""
    contact_id = cr.contact.id
    out.append(
        ExceptionFired(
            at=now, contact_id=contact_id, rule=rule.name, trigger=rule.trigger, action=rule.action, stage=cr.stage
        )
    )
    action = rule.action
    if action == "raise-priority":
        priority = cr.priority + rule.by
        cr.reprioritize(priority)
        out.append(Reprioritized(at=now, contact_id=contact_id, priority=priority))
        return STAYED
    if action == "next-stage":
        cr.move_to(cr.stage + 1)
        out.append(StageChanged(at=now, contact_id=contact_id, stage=cr.stage, rule=cr.target.rule))
        return MOVED
    if action == "overflow":
        assert rule.target is not None  # ExceptionRule requires it of an overflow
        cr.move_to(0, Plan([Stage(target=rule.target)]))
        cr.overflowed = True
        out.append(StageChanged(at=now, contact_id=contact_id, stage=0, rule=cr.target.rule))
        return MOVED
    # deny: terminal, as stages.deny is, with the rule's reason and name
    rs.timers.cancel(cr.stage_timer)
    rs.timers.cancel(cr.rule_timer)
    rs.timers.cancel(cr.delay_timer)  # an agent's queue delay for it (routekit.router.priorities)
    cr.stage_timer = cr.rule_timer = cr.delay_timer = None
    drop_bars(rs, contact_id)
    rs.dirty_contacts.pop(contact_id, None)
    del rs.contacts[contact_id]
    contact = cr.contact
    out.append(
        Denied(
            at=now,
            contact_id=contact_id,
            channel=contact.channel,
            tier=contact.customer.tier,
            reason=rule.reason,
            rule=rule.name,
        )
    )
    finish(rs, contact_id, now, contact.conversation, f"denied: {rule.reason}", (None, cr.stage, rule.name, None, now))
    close_conversation_of(rs, contact, now, rule.reason, out)
    return DENIED
