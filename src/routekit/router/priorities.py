"""Agents' own queue priorities (Amazon Connect's routing profile): each agent's rank and delay per target.

An agent lists targets by rule (``Agent.queue_priorities``): a priority 1..99 and a delay. Two rules follow:

- **Rank.** When an agent chooses, it takes its best-ranked contact, then the best by queue key. An agent
  chooses what it is offered among the waiting contacts whose best agent (by selection key) it is: a freed
  agent is the only eligible agent of every contact it could take (stability), so it chooses among all of
  them; a new contact has only its best agent's choice to wait on, and that agent has nothing else it could
  take, so on the contact's side the rank never changes who is chosen. Matching after a call that changed
  several things offers the best contact by queue key to its best agent, who takes its own choice instead.
- **Delay.** A contact is not offered to an agent that delays its target until the contact has waited that
  many seconds at its current stage. The moment a delay ends is a timer (``QUEUE_DELAY_END``) on the
  contact, so that a contact nobody else can take is offered when its delay ends, not at the next call.

A contact's target is ranked by the contact's own rule: targets equal in all but their label share one queue
and should carry one label when agents rank them. Agents who list no target cost nothing here: every path
first asks ``agent.queue_priorities``, and the delay moments are kept per rule only for the listed delays.
"""

from __future__ import annotations

from heapq import heappop, heappush
from typing import Any

from routekit.events import Event
from routekit.models.agent import Agent
from routekit.router.state import OFFERED, QUEUE_DELAY_END, WAITING, ContactRecord, RoutingState

__all__ = ["agent_changed", "count_delays", "delay_ended", "delay_passed", "release_due", "set_delay_timer"]


def delay_passed(agent: Agent, cr: ContactRecord, now: float) -> bool:
    """Whether ``agent``'s delay for the contact's target (if any) has passed at ``now``. O(1)."""
    entry = agent.queue_priorities.get(cr.target.rule) if agent.queue_priorities else None
    return entry is None or cr.stage_since + entry[1] <= now


def count_delays(rs: RoutingState, agent: Agent, sign: int) -> set[str]:
    """Count an agent's delays in (``sign`` 1) or out (-1) of ``rs.delays``; return the rules whose set changed."""
    changed: set[str] = set()
    for rule, (_, delay) in agent.queue_priorities.items():
        if delay <= 0:
            continue
        counts = rs.delays.setdefault(rule, {})
        left = counts.get(delay, 0) + sign
        if left:
            counts[delay] = left
        else:
            del counts[delay]
        if left == (1 if sign > 0 else 0):
            changed.add(rule)
        if not counts:
            del rs.delays[rule]
    return changed


def set_delay_timer(rs: RoutingState, cr: ContactRecord, now: float) -> None:
    """(Re)set the contact's delay timer to the next moment after ``now`` some agent's delay for it ends.

    The moments are ``stage_since + d`` for each delay ``d`` an agent gives the contact's rule. O(delays).
    """
    rs.timers.cancel(cr.delay_timer)
    cr.delay_timer = None
    delays = rs.delays.get(cr.target.rule)
    if not delays:
        return
    since = cr.stage_since
    due = min((since + d for d in delays if since + d > now), default=None)
    if due is not None:
        cr.delay_timer = rs.timers.set(due, QUEUE_DELAY_END, (cr.contact.id,))
        heappush(rs.delay_moments, (due, cr.delay_timer, cr.contact.id))


def release_due(rs: RoutingState, now: float) -> None:
    """Mark dirty every waiting contact whose delay timer is due by ``now``. O(k log n) for k released.

    A delay passes at its moment, whatever the order of the timers due then: a stage timeout or a wrap-up
    end at the same moment, which fire first, already match with the delay passed. Matching calls this
    first, so that a contact released by time alone is looked at too (its timer, ranked last, fires later
    and only sets the next moment).
    """
    moments = rs.delay_moments
    contacts = rs.contacts
    while moments and moments[0][0] <= now:
        _, handle, contact_id = heappop(moments)
        cr = contacts.get(contact_id)
        if cr is not None and cr.delay_timer == handle and cr.state is WAITING:
            rs.dirty_contacts[contact_id] = None


def agent_changed(rs: RoutingState, before: Agent | None, after: Agent | None, now: float) -> None:
    """An agent was added, changed or removed: count its delays anew, and re-time the contacts it concerns.

    O(1) for agents that list no delay; otherwise O(contacts) when the set of delays of a rule changed.
    """
    changed: set[str] = set()
    if before is not None and before.queue_priorities:
        changed |= count_delays(rs, before, -1)
    if after is not None and after.queue_priorities:
        changed |= count_delays(rs, after, 1)
    if not changed:
        return
    for cr in rs.contacts.values():
        if (cr.state is WAITING or cr.state is OFFERED) and cr.target.rule in changed:
            set_delay_timer(rs, cr, now)


def delay_ended(rs: RoutingState, at: float, payload: tuple[Any, ...], out: list[Event]) -> None:
    """The ``QUEUE_DELAY_END`` timer: the contact may now go to an agent that delayed it; the next is set."""
    (contact_id,) = payload
    cr = rs.contacts[contact_id]
    cr.delay_timer = None
    set_delay_timer(rs, cr, at)
    if cr.state is WAITING:
        rs.dirty_contacts[contact_id] = None
