"""The router's invariants, written once: what the tests assert after every step, and what a restore checks.

:func:`problems` walks the whole state and yields each broken invariant as a :data:`Problem`, never raising
on a damaged state. :func:`check` (behind ``Router._check()``, sortedcontainers' convention) raises on the
first one; ``Router.restore`` turns the first one into a :class:`~routekit.errors.SnapshotError` naming
the path inside the snapshot. Never on the routing path. O(contacts + agents x targets + timers).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from routekit.models.channel import Channel
from routekit.models.hours import is_open
from routekit.policies.base import Target
from routekit.router.exception_rules import rules_of
from routekit.router.index import eligible, routable
from routekit.router.matching import best_agent_for
from routekit.router.state import (
    ACTIVE,
    AVAILABLE,
    AWAY,
    EXCEPTION_RULE,
    HELD,
    HOLD_EXPIRY,
    OFFER_EXPIRY,
    OFFERED,
    OFFLINE,
    OPENING_HOURS,
    PARK_TTL,
    PARKED,
    QUEUE_DELAY_END,
    REOFFER_END,
    STAGE_TIMEOUT,
    SYNCHRONOUS,
    WAITING,
    WORK_ASSIGNED,
    WORK_HELD,
    WORK_OFFERED,
    WORK_WRAP_UP,
    WRAP_UP_END,
    AgentRecord,
    ContactRecord,
    RoutingState,
)
from routekit.router.statistics import offers_by_target

__all__ = ["Problem", "check", "problems"]

# Where a problem is and what it is: (section, key, field, message). The section is a part of the state as
# a snapshot names it ("contacts", "agents", "timers", "conversations", "queues", "finished", or "" for
# the top level), the key the contact, agent or conversation id, the timer's seq or the queue's target.
Problem = tuple[str, Any, str, str]


def check(rs: RoutingState) -> None:
    """Raise ``AssertionError`` on the first broken invariant (explicitly: it holds under ``python -O``)."""
    for section, key, field, message in problems(rs):
        raise AssertionError(f"{section}[{key!r}].{field}: {message}")


def problems(rs: RoutingState) -> Iterator[Problem]:
    """Every broken invariant: each contact in exactly one place, capacity, pools, timers, stability."""
    live = {seq: (kind, payload, due) for due, kind, payload, seq in rs.timers.live()}
    yield from _clock(rs, live)
    queued: dict[str, Target] = {}
    for target, queue in rs.queues.items():
        try:
            queue._check()
        except AssertionError as error:
            yield ("queues", target, "", f"the queue is unsound: {error}")
        for contact_id in queue:
            if contact_id in queued:
                yield ("contacts", contact_id, "", "queued in two queues")
            elif contact_id not in rs.contacts or rs.contacts[contact_id].state != WAITING:
                yield ("queues", target, "", f"{contact_id!r} is queued but not a waiting contact")
            queued[contact_id] = target
    yield from _contacts(rs, live, queued)
    yield from _agents(rs, live)
    yield from _timers(rs, live)
    yield from _conversations(rs, live)
    yield from _finished(rs)
    yield from _presence(rs)
    yield from _hours(rs, live)
    yield from _wait_estimates(rs)
    if rs.live:
        yield from _statistics(rs)
    # Stability: no waiting contact has an eligible agent or waits for nobody; nothing is left dirty.
    for contact_id, cr in rs.contacts.items():
        if cr.state == WAITING and queued.get(contact_id) == cr.target:
            if best_agent_for(rs, cr) is not None:
                yield ("contacts", contact_id, "", "waits while an agent is free to take it")
            elif not routable(rs, cr.contact, cr.plan, cr.stage):
                yield ("contacts", contact_id, "", "waits for nobody: no registered agent can serve it")
    if rs.dirty_agents or rs.dirty_contacts:
        yield ("", None, "dirty", "agents or contacts left dirty after a call")


def _wait_estimates(rs: RoutingState) -> Iterator[Problem]:
    """The wait estimates' statistics: weighted counts within the window, sums >= 0, no time ahead of now."""
    bound = rs.answer_window * (1 + 1e-9)  # an exponentially weighted count never reaches the window
    tallies = [("wait_targets", t.rule, tally) for t, tally in rs.wait_targets.items()]
    tallies += [("wait_channels", c.value, tally) for c, tally in rs.wait_channels.items()]
    for section, key, tally in tallies:
        if not all(0 <= count <= bound for count in (tally.gaps, tally.abandons, tally.pool_gaps)):
            yield (section, key, "", f"a weighted count outside [0, answer_window]: {tally.as_data()}")
        if (
            tally.waited < 0
            or (tally.gaps > 0) != (tally.gap_time > 0)
            or (tally.pool_gaps > 0) != (tally.pool_gap_time > 0)
            or min(tally.gap_time, tally.pool_gap_time) < 0
        ):
            yield (section, key, "", f"gap time or time waited below 0, or gaps without time: {tally.as_data()}")
        if tally.last_wait is not None and tally.last_wait < 0:
            yield (section, key, "last_wait", f"a wait below 0: {tally.last_wait!r}")
        if tally.last_start is not None and tally.last_start > rs.now:
            yield (section, key, "last_start", f"an answer after now: {tally.last_start!r}")
        if section == "wait_targets" and (tally.abandons or tally.waited or tally.pool_gaps or tally.pool_gap_time):
            yield (section, key, "", f"a target keeps no abandonment or channel gaps: {tally.as_data()}")


def _clock(rs: RoutingState, live: dict[int, Any]) -> Iterator[Problem]:
    """The clock is a finite time (or not started), every timer is due from now on, under the next seq."""
    if not (math.isfinite(rs.now) or rs.now == -math.inf):
        yield ("", None, "now", f"not a finite time: {rs.now!r}")
    # Nothing the state records happened after now, but the clocks of contacts waiting on a closed
    # asynchronous channel: they start at its opening.
    for contact_id, cr in rs.contacts.items():
        if cr.contact.channel in rs.held:
            opens = rs.shut[cr.contact.channel]
            starts = max(cr.clock_start, cr.stage_since if cr.stage_since == cr.stage_since else -math.inf)
            if opens is None or starts > max(opens, rs.now):
                yield ("contacts", contact_id, "clock_start", f"t={starts:g} is after the opening, at {opens!r}")
    last = max(
        (
            *(at for at, _, _ in rs.finished_order),
            *(cr.clock_start for cr in rs.contacts.values() if cr.contact.channel not in rs.held),
            *(
                cr.stage_since
                for cr in rs.contacts.values()
                if cr.stage_since == cr.stage_since and cr.contact.channel not in rs.held
            ),
            *(cr.offered_at for cr in rs.contacts.values() if cr.offered_at == cr.offered_at),
            *(ar.idle_since for ar in rs.agents.values()),
        ),
        default=-math.inf,
    )
    if last > rs.now:
        yield ("", None, "now", f"{rs.now!r} is before t={last:g}, a time the state records")
    for seq, (_, _, due) in live.items():
        if seq >= rs.timers.next_seq:
            yield ("", None, "timer_seq", f"{rs.timers.next_seq} is not above timer {seq}")
        if not math.isfinite(due) or due < rs.now:
            yield ("timers", seq, "due", f"{due!r} is not a finite time from now ({rs.now!r}) on")


def _contacts(rs: RoutingState, live: dict[int, Any], queued: dict[str, Target]) -> Iterator[Problem]:
    """Each live contact is in exactly one place, with the timers of that place."""
    for contact_id, cr in rs.contacts.items():
        if contact_id in rs.finished:
            yield ("contacts", contact_id, "", "live and finished")
        if cr.seq >= rs.seq:
            yield ("contacts", contact_id, "seq", f"{cr.seq} is not below the router's next seq {rs.seq}")
        if cr.state == WAITING:
            if queued.get(contact_id) != cr.target:
                yield ("contacts", contact_id, "", "waiting outside its stage's queue")
            elif rs.queues[cr.target].key(contact_id) != cr.key:
                yield ("contacts", contact_id, "", "queued under another key")
            if cr.agent is not None:
                yield ("contacts", contact_id, "agent", "a waiting contact has no agent")
        else:
            if contact_id in queued:
                yield ("contacts", contact_id, "", f"{cr.state.value} and queued")
            ar = rs.agents.get(cr.agent) if cr.agent is not None else None
            if ar is None:
                yield ("contacts", contact_id, "agent", f"{cr.agent!r} is not a registered agent")
            elif contact_id not in ar.work or ar.work[contact_id][1].value != cr.state.value:
                yield ("contacts", contact_id, "state", f"not {cr.state.value} in agent {cr.agent!r}'s work")
        if cr.state == OFFERED:
            if cr.agent not in rs.agents or contact_id not in rs.agents[cr.agent].offers:
                yield ("contacts", contact_id, "agent", "its agent holds another offer")
            if _kind(live, cr.offer_timer) != OFFER_EXPIRY:
                yield ("contacts", contact_id, "", "an offer without its expiry timer")
        elif cr.offer_timer is not None and cr.offer_timer in live:
            yield ("contacts", contact_id, "", f"{cr.state.value} with an offer timer")
        if cr.state == WAITING or cr.state == OFFERED:
            last = cr.stage == len(cr.plan.stages) - 1
            if (_kind(live, cr.stage_timer) == STAGE_TIMEOUT) == last:
                yield (
                    "contacts",
                    contact_id,
                    "stage",
                    "the stage timer is missing" if not last else "a last stage with a timer",
                )
        elif cr.stage_timer is not None and cr.stage_timer in live:
            yield ("contacts", contact_id, "", f"{cr.state.value} with a stage timer")
        yield from _delay_timer(rs, live, contact_id, cr)
        if cr.rule_timer is not None and _kind(live, cr.rule_timer) != EXCEPTION_RULE:
            yield ("contacts", contact_id, "", "an exception rule's timer that is not live")
        if cr.state == HELD:
            if _kind(live, cr.hold_timer) != HOLD_EXPIRY:
                yield ("contacts", contact_id, "", "held without its hold timer")
            conv = rs.conversations.get(cr.contact.conversation)
            if cr.contact.channel in SYNCHRONOUS or conv is None or conv.turn != contact_id:
                yield ("contacts", contact_id, "state", "held, but not the live turn of an open conversation")
        elif cr.hold_timer is not None and cr.hold_timer in live:
            yield ("contacts", contact_id, "", f"{cr.state.value} with a hold timer")


def _delay_timer(rs: RoutingState, live: dict[int, Any], contact_id: str, cr: ContactRecord) -> Iterator[Problem]:
    """A contact at a stage has its delay timer at the next moment an agent's queue delay for it ends."""
    entry = live.get(cr.delay_timer) if cr.delay_timer is not None else None
    expected = None
    if cr.state == WAITING or cr.state == OFFERED:
        since = cr.stage_since
        moments = [since + d for d in rs.delays.get(cr.target.rule, ()) if since + d > rs.now]
        expected = min(moments, default=None)
    if entry is not None and entry[0] != QUEUE_DELAY_END:
        yield ("contacts", contact_id, "", "its delay timer is another kind of timer")
    elif (None if entry is None else entry[2]) != expected:
        due = None if entry is None else entry[2]
        yield ("contacts", contact_id, "", f"its queue-delay timer is due at {due!r}, not {expected!r}")


def _parallel_offers(
    rs: RoutingState, agent_id: str, ar: AgentRecord, load: dict[Channel, int]
) -> Iterator[Problem]:
    """Pending offers: no more than ``offers_per_agent``, an exclusive one alone, and no more on a channel
    than its slots (unless an update cut the capacity below the load, which blocks new offers)."""
    if len(ar.offers) > rs.offers_per_agent:
        yield ("agents", agent_id, "offer", f"{len(ar.offers)} pending offers, above {rs.offers_per_agent}")
    offered: dict[Channel, int] = {}
    for contact_id in ar.offers:
        channel = ar.work[contact_id][0] if contact_id in ar.work else None
        if channel is None:
            continue
        offered[channel] = offered.get(channel, 0) + 1
        if channel in rs.exclusive and len(ar.work) > 1:
            yield ("agents", agent_id, "offer", f"an exclusive offer ({contact_id!r}) beside other work")
    for channel, count in offered.items():
        slots = ar.agent.capacity.get(channel, 0)
        if count > slots and load.get(channel, 0) <= slots:
            yield ("agents", agent_id, "offer", f"{count} offers on {channel.value}, above its {slots} slots")


def _agents(rs: RoutingState, live: dict[int, Any]) -> Iterator[Problem]:
    """Each agent's load is its work; an exclusive contact is its only work; one offer at most; the agent is in
    exactly the pools it matches and is eligible for, under its current selection key."""
    for agent_id, ar in rs.agents.items():
        if ar.order >= rs.agent_order:
            yield ("agents", agent_id, "order", f"{ar.order} is not below the router's next order")
        load: dict[Channel, int] = {}
        for contact_id, (channel, kind) in ar.work.items():
            load[channel] = load.get(channel, 0) + 1
            if kind == WORK_WRAP_UP:
                if _kind(live, ar.wrap_up_timers.get(contact_id)) != WRAP_UP_END:
                    yield ("agents", agent_id, "work", f"{contact_id!r} in wrap-up without its timer")
                if contact_id in rs.contacts:
                    yield ("agents", agent_id, "work", f"{contact_id!r} in wrap-up but still live")
            elif contact_id not in rs.contacts or rs.contacts[contact_id].agent != agent_id:
                yield ("agents", agent_id, "work", f"{contact_id!r} is not a live contact of this agent")
        for contact_id in ar.wrap_up_timers:
            if ar.work.get(contact_id, (None, None))[1] != WORK_WRAP_UP:
                yield ("agents", agent_id, "work", f"a wrap-up timer for {contact_id!r}, not in wrap-up")
        if {c: n for c, n in load.items() if n} != {c: n for c, n in ar.load.items() if n}:
            yield ("agents", agent_id, "work", "the load is not the work held")
        exclusive = sum(n for c, n in load.items() if c in rs.exclusive)
        if exclusive != ar.exclusive_work:
            yield ("agents", agent_id, "work", "the exclusive count is not the exclusive work held")
        if exclusive and len(ar.work) > 1:
            yield ("agents", agent_id, "work", "an exclusive contact and other work")
        offers = [cid for cid, (_, kind) in ar.work.items() if kind == WORK_OFFERED]
        if sorted(offers) != sorted(ar.offers):
            yield ("agents", agent_id, "offer", f"{list(ar.offers)} are not the offers in its work ({offers})")
        yield from _parallel_offers(rs, agent_id, ar, load)
        for target, pool in rs.pools.items():
            matches = target.matches(ar.agent)
            if (target in ar.targets) != matches or (matches and ar.targets[target] is not pool):
                yield ("agents", agent_id, "", f"its targets are wrong for {target.rule}")
            in_pool = agent_id in pool
            if in_pool != (matches and eligible(rs, ar, target.channel)):
                yield ("agents", agent_id, "", f"in the pool of {target.rule}: {in_pool}, eligible: {not in_pool}")
            elif in_pool and pool.key(agent_id) != rs.selection_key(ar, target):
                yield ("agents", agent_id, "", f"in the pool of {target.rule} under a stale key")
    for pool in rs.pools.values():
        try:
            pool._check()
        except AssertionError as error:
            yield ("", None, "targets", f"an agent pool is unsound: {error}")
    for target, supply in rs.supply.items():
        if supply != sum(target.matches(ar.agent) for ar in rs.agents.values()):
            yield ("", None, "targets", f"the supply of {target.rule} is not the agents who match it")


def _timers(rs: RoutingState, live: dict[int, Any]) -> Iterator[Problem]:
    """Each live timer belongs to the record whose handle it is, and each re-offer bar has its timer."""
    for seq, (kind, payload, _) in live.items():
        if kind == OFFER_EXPIRY:
            cr = rs.contacts.get(payload[0])
            owned = cr is not None and cr.offer_timer == seq and cr.state == OFFERED and cr.agent == payload[1]
        elif kind == STAGE_TIMEOUT:
            cr = rs.contacts.get(payload[0])
            owned = cr is not None and cr.stage_timer == seq and cr.stage == payload[1]
        elif kind == EXCEPTION_RULE:
            # A wait rule's timer: the contact's, at its stage, naming a wait rule of its target, while it waits.
            cr = rs.contacts.get(payload[0])
            owned = cr is not None and cr.rule_timer == seq and cr.stage == payload[1]
            owned = owned and cr is not None and (cr.state == WAITING or cr.state == OFFERED)
            rules = rules_of(rs, cr.target) if cr is not None else ()
            owned = owned and isinstance(payload[2], int) and 0 <= payload[2] < len(rules)
            owned = owned and rules[payload[2]].trigger == "wait"
        elif kind == HOLD_EXPIRY:
            cr = rs.contacts.get(payload[0])
            owned = cr is not None and cr.hold_timer == seq
        elif kind == WRAP_UP_END:
            ar = rs.agents.get(payload[0])
            owned = ar is not None and ar.wrap_up_timers.get(payload[1]) == seq
        elif kind == QUEUE_DELAY_END:
            cr = rs.contacts.get(payload[0])
            owned = cr is not None and cr.delay_timer == seq and (cr.state == WAITING or cr.state == OFFERED)
        elif kind == PARK_TTL:
            conv = rs.conversations.get(payload[0])
            owned = conv is not None and conv.ttl_timer == seq and conv.status == PARKED
            owned = owned and payload[0] not in rs.closed
        elif kind == OPENING_HOURS:
            owned = any(c.value == payload[0] and rs.hours_timers.get(c) == seq for c in rs.hours)
        else:
            contact_id, agent_id = payload
            owned = rs.bars.get(contact_id, {}).get(agent_id) == seq and contact_id in rs.contacts
            owned = owned and agent_id in rs.agents
        if not owned:
            yield ("timers", seq, "payload", f"a {kind.name.lower()} timer for {list(payload)} that nothing holds")
    for contact_id, bars in rs.bars.items():
        for agent_id, seq in bars.items():
            if live.get(seq, (None, None))[:2] != (REOFFER_END, (contact_id, agent_id)):
                yield ("contacts", contact_id, "", f"barred from {agent_id!r} without a timer")
            if contact_id not in rs.bars_by_agent.get(agent_id, {}):
                yield ("contacts", contact_id, "", f"barred from {agent_id!r} one way only")


def _hours(rs: RoutingState, live: dict[int, Any]) -> Iterator[Problem]:
    """Each channel with hours is closed exactly when its calendar says, reopens when the calendar next
    changes, and has one timer at that change (none when the calendar never changes again)."""
    for channel in rs.shut:
        if channel not in rs.hours:
            yield ("", None, "shut", f"{channel.value} is closed but has no opening hours")
    if rs.held != {c for c in rs.shut if c not in SYNCHRONOUS}:
        yield ("", None, "shut", "the closed asynchronous channels are not the closed channels that wait")
    for channel, hours in rs.hours.items():
        seq = rs.hours_timers.get(channel)
        timer = live.get(seq) if seq is not None else None
        if seq is not None and (timer is None or timer[0] != OPENING_HOURS or timer[1][0] != channel.value):
            yield ("", None, "shut", f"the {channel.value} hours timer {seq} is not live")
            continue
        if rs.epoch is None:
            yield ("", None, "epoch", f"{channel.value} has hours but the router has no epoch")
            continue
        now = max(rs.now, 0.0) + rs.epoch
        change = None if timer is None else timer[1][1]
        # The state holds strictly between now and the next change, where no rounding of a boundary reaches.
        probe = now + 1.0 if change is None else (now + change) / 2
        if is_open(hours, probe) == (channel in rs.shut):
            state = "closed" if channel in rs.shut else "open"
            yield ("", None, "shut", f"{channel.value} is {state} against its opening hours")
        elif channel in rs.shut and rs.shut[channel] != (None if change is None else change - rs.epoch):
            yield ("", None, "shut", f"{channel.value} reopens at {rs.shut[channel]!r}, not at its next change")


def _conversations(rs: RoutingState, live: dict[int, Any]) -> Iterator[Problem]:
    """A conversation's turn is live while it is active and open; a parked one has its TTL timer."""
    for conversation_id, conv in rs.conversations.items():
        if conv.record.id != conversation_id or not conv.record.turns or conv.record.turns[-1] != conv.turn:
            yield ("conversations", conversation_id, "turn", f"{conv.turn!r} is not its last turn")
        closed = conversation_id in rs.closed
        # The live contact with the turn's id, if it is this conversation's turn: once a finished turn's id
        # is forgotten, a call may reuse it while the closed conversation is still remembered.
        turn = rs.contacts.get(conv.turn)
        if turn is not None and (turn.contact.channel in SYNCHRONOUS or turn.contact.conversation != conversation_id):
            turn = None
        if not closed and conv.status == ACTIVE:
            if turn is None:
                yield ("conversations", conversation_id, "turn", f"active, but {conv.turn!r} is not live")
        elif turn is not None:
            yield ("conversations", conversation_id, "turn", f"{conv.status.value}, but {conv.turn!r} is live")
        if (not closed and conv.status == PARKED) != (_kind(live, conv.ttl_timer) == PARK_TTL):
            yield ("conversations", conversation_id, "status", "a park TTL timer only while parked and open")
    for conversation_id in rs.closed:
        if conversation_id not in rs.conversations:
            yield ("", None, "closed", f"{conversation_id!r} is closed but no conversation")


def _finished(rs: RoutingState) -> Iterator[Problem]:
    """What retention forgets is in order, and everything finished is in it."""
    contacts = {some_id for _, some_id, conversation in rs.finished_order if not conversation}
    conversations = {some_id for _, some_id, conversation in rs.finished_order if conversation}
    if contacts != set(rs.finished) or set(rs.outcomes) != set(rs.finished):
        yield ("", None, "finished_order", "the finished contacts and their order disagree")
    if conversations != set(rs.closed):
        yield ("", None, "finished_order", "the closed conversations and their order disagree")
    times = [at for at, _, _ in rs.finished_order]
    if any(not math.isfinite(at) for at in times) or times != sorted(times):
        yield ("", None, "finished_order", "not finite times in order")
    for target, record in rs.recent.items():
        if record.maxlen != rs.answer_window or any(
            not math.isfinite(waited) or not isinstance(answered, bool) for waited, answered in record
        ):
            yield ("", None, "recent", f"the record of {target.rule} is not answer_window (waited, answered) pairs")


def _presence(rs: RoutingState) -> Iterator[Problem]:
    """The agents logged in and available per target (what a stage's skip_if reads), counted from scratch."""
    present: dict[Target, list[int]] = {target: [0, 0] for target in rs.pools}
    for agent_id, ar in rs.agents.items():
        counted = (int(ar.status != OFFLINE), int(ar.status == AVAILABLE))
        if counted != ar.present:
            yield ("agents", agent_id, "present", f"counted as {ar.present}, not {counted}")
        for target in rs.pools:
            if target.matches(ar.agent):
                present[target] = [n + c for n, c in zip(present[target], counted, strict=True)]
    if present != rs.present:
        yield ("", None, "agents", "the agents logged in and available by target are not the agents' states")


def _statistics(rs: RoutingState) -> Iterator[Problem]:
    """The live statistics' counts are those of the state, counted from scratch."""
    by_priority: dict[Target, dict[int, int]] = {}
    by_tier: dict[tuple[Channel, str], int] = {}
    offers: dict[Target, int] = {}
    oldest: dict[Target, tuple[float, int, str]] = {}
    for contact_id, cr in rs.contacts.items():
        if cr.state == WAITING:
            counts = by_priority.setdefault(cr.target, {})
            counts[-cr.key[0]] = counts.get(-cr.key[0], 0) + 1
            tier = (cr.contact.channel, cr.contact.customer.tier)
            by_tier[tier] = by_tier.get(tier, 0) + 1
            entry = (cr.clock_start, cr.seq, contact_id)
            oldest[cr.target] = min(oldest.get(cr.target, entry), entry)
        elif cr.state == OFFERED:
            offers[cr.target] = offers.get(cr.target, 0) + 1
    kept = {target: rs.waiting_priority[queue] for target, queue in rs.queues.items() if queue in rs.waiting_priority}
    if by_priority != kept or len(kept) != len(rs.waiting_priority) or len(rs.oldest) != len(kept):
        yield ("", None, "queues", "the waiting counts by target and priority are not the waiting contacts")
    if by_tier != rs.waiting_tiers:
        yield ("", None, "queues", "the waiting counts by channel and tier are not the waiting contacts")
    if offers != offers_by_target(rs) or set(rs.offers_at) != set(rs.offer_targets):
        yield ("", None, "contacts", "the pending offers by target are not the offered contacts")
    for target, entry in oldest.items():
        heap = rs.oldest.get(rs.queues[target], [])
        live = [
            e
            for e in heap
            if e[2] in rs.contacts
            and rs.contacts[e[2]].target == target
            and rs.contacts[e[2]].seq == e[1]
            and rs.contacts[e[2]].state == WAITING
        ]
        if not live or min(live) != entry:
            yield ("contacts", entry[2], "", "not the oldest waiting contact of its target in the statistics")
    agents: dict[Target, list[int]] = {target: [0, 0, 0, 0, 0] for target in rs.pools}
    channels: dict[Channel, list[int]] = {}
    for agent_id, ar in rs.agents.items():
        busy = any(kind in (WORK_ASSIGNED, WORK_HELD) for _, kind in ar.work.values())
        wrapping = any(kind == WORK_WRAP_UP for _, kind in ar.work.values())
        counted = (ar.status != OFFLINE, ar.status == AVAILABLE, ar.status == AWAY, busy, wrapping)
        if counted != ar.counted:
            yield ("agents", agent_id, "", f"counted as {ar.counted} in the statistics, not {counted}")
        for target in rs.pools:
            if target.matches(ar.agent):
                agents[target] = [n + c for n, c in zip(agents[target], counted, strict=True)]
        for channel, slots in ar.agent.capacity.items():
            if slots > 0:
                channels[channel] = [n + c for n, c in zip(channels.get(channel, [0] * 5), counted, strict=True)]
    if agents != rs.agent_counts:
        yield ("", None, "agents", "the agent counts by target are not the agents' states")
    if {c: n for c, n in channels.items() if any(n)} != {c: n for c, n in rs.channel_agents.items() if any(n)}:
        yield ("", None, "agents", "the agent counts by channel are not the agents' states")
    parked: dict[Channel, int] = {}
    for conversation_id, conv in rs.conversations.items():
        if conv.status == PARKED and conversation_id not in rs.closed:
            parked[conv.record.channel] = parked.get(conv.record.channel, 0) + 1
    if parked != rs.parked_count:
        yield ("", None, "conversations", "the parked counts by channel are not the parked conversations")


def _kind(live: dict[int, Any], seq: int | None) -> Any:
    """The kind of a live timer, or ``None`` when the handle is empty or the timer is gone."""
    entry = live.get(seq) if seq is not None else None
    return None if entry is None else entry[0]
