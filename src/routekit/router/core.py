"""The router's public calls: check the clock, fire the timers due, validate, delegate, return the events.

Each call first fires the timers due at or before its ``now`` (:meth:`Router._begin`), then checks that the
call fits the current state, and only then changes anything, through the modules of this package that each
own one concept. A refused call raises a :class:`~routekit.errors.RoutekitError` carrying the timer
events as ``err.events`` and changes nothing else.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from routekit._slot_init import slot_builder
from routekit.errors import (
    ClockError,
    ConfigError,
    DuplicateIdError,
    StateError,
    UnknownIdError,
)
from routekit.events import (
    Abandoned,
    AgentStatusChanged,
    Assigned,
    Completed,
    Event,
    OfferRejected,
    Reprioritized,
    Transferred,
)
from routekit.models.agent import Agent, AgentStatus
from routekit.models.contact import Contact, Conversation
from routekit.policies.base import Denial, Plan, RoutingPolicy, Stage, Target
from routekit.policies.selection import Selection, selection_named
from routekit.router import snapshot as snapshots
from routekit.router.bars import drop_bars, lift_bar, reoffer_ended
from routekit.router.check import check
from routekit.router.conversations import (
    close,
    close_conversation_of,
    hold_expired,
    park,
    park_ttl_ended,
    parked_conversation,
)
from routekit.router.estimate import abandoned, answered
from routekit.router.exception_rules import record_decided
from routekit.router.hours import hours_changed, open_calendars
from routekit.router.index import (
    dequeue,
    enqueue,
    ensure_target,
    match_targets,
    refresh,
    set_presence,
    unmatch_targets,
)
from routekit.router.limits import refused_entry
from routekit.router.matching import match, offer_new, serve_next
from routekit.router.offers import end_offer, offer_expired, rescind
from routekit.router.priorities import agent_changed, delay_ended
from routekit.router.refusals import (
    agent_of,
    concurrent_call,
    foreign_conversation,
    is_current_turn,
    live_contact,
    pending_offer,
    plan_of,
    refuse,
    require_channel,
    require_room,
    require_routable,
    require_type,
    status_of,
    taken_conversation,
)
from routekit.router.settings import RouterSettings
from routekit.router.stages import (
    denied,
    deny_unroutable,
    leave_sticky_stages,
    queued,
    rule_due,
    stage_timed_out,
    start,
)
from routekit.router.state import (
    ACTIVE,
    ASSIGNED,
    AVAILABLE,
    AWAY,
    HELD,
    INF,
    NEG_INF,
    OFFERED,
    OFFLINE,
    SYNCHRONOUS,
    WAITING,
    WORK_ASSIGNED,
    WORK_HELD,
    AgentRecord,
    ConversationRecord,
    RoutingState,
    finish,
    forget,
    release,
)
from routekit.router.turns import hold_turn, next_turn, reply, resume
from routekit.router.views import AgentSnapshot, RouterViews
from routekit.router.wrap_up import end_wrap_up, start_wrap_up, wrap_up_ended

__all__ = ["AgentSnapshot", "Router"]

# How many distinct plans the router remembers as indexed and routable before it starts over.
_READY_PLANS = 1024

# The per-contact events, built by position as matching builds Offered (see routekit._slot_init).
_assigned = slot_builder(Assigned)
_completed = slot_builder(Completed)

# What each timer kind does when due, by kind (a TimerKind is its index here). Each is the timer's one
# definition, in the module of its concept.
_FIRE: tuple[Callable[[RoutingState, float, tuple[Any, ...], list[Event]], None], ...] = (
    offer_expired,
    reoffer_ended,
    stage_timed_out,
    hold_expired,
    wrap_up_ended,
    park_ttl_ended,
    hours_changed,
    delay_ended,
    rule_due,
)


class Router(RouterViews):
    """Decides which agent handles which contact, and when, under a routing policy.

    Every state-changing call takes ``now`` (seconds), first fires the timers due at or before it, and
    returns the events that happened, in order. A refused call raises a
    :class:`~routekit.errors.RoutekitError` that carries those timer events as ``err.events`` and
    changes nothing else.

    Args:
        policy: Turns each contact into a plan of stages.
        settings: A :class:`RouterSettings`; or give its fields as keywords.

    >>> import routekit as rk
    >>> router = rk.Router(rk.policies.Skills())
    >>> _ = router.add_agent(rk.Agent(id="a-1", skills={"billing": 4}, capacity={"voice": 1}), 0.0)
    >>> contact = rk.Contact(id="c-1", customer=rk.Customer(id="u-1"), channel="voice", skills={"billing": 3})
    >>> [type(e).__name__ for e in router.submit(contact, 1.0)]
    ['ContactQueued', 'Offered']
    >>> router.accept("c-1", "a-1", 2.0)
    [Assigned(at=2.0, contact_id='c-1', agent_id='a-1', waited=1.0)]
    """

    def __init__(self, policy: RoutingPolicy, settings: RouterSettings | None = None, **kwargs: Any) -> None:
        if settings is not None and kwargs:
            raise ConfigError("give either settings or keyword settings, not both")
        if "selection" in kwargs and isinstance(kwargs["selection"], str):
            kwargs["selection"] = selection_named(kwargs["selection"])
        self.policy = policy
        # Set while a state-changing call runs: a second thread entering then is refused (refusals.concurrent_call).
        self._in_call = False
        self._rs = RoutingState(policy, settings if settings is not None else RouterSettings(**kwargs))
        open_calendars(self._rs)

    # ----------------------------------------------------------------------------------------------- time

    def advance(self, now: float) -> list[Event]:
        """Fire every timer due at or before ``now``, in order of due time, kind and setting.

        Raises:
            ClockError: ``now`` is earlier than the last time given, or not a finite number.
        """
        if self._in_call:
            raise concurrent_call("advance")
        self._in_call = True
        try:
            return self._begin(now)
        finally:
            self._in_call = False

    def _begin(self, now: float) -> list[Event]:
        """Check ``now``, fire the timers due at or before it, move the clock, forget what retention lets go."""
        rs = self._rs
        if type(now) is not float:
            if isinstance(now, bool) or not isinstance(now, int | float):
                raise ClockError(f"now must be a finite number of seconds, got {now!r}")
            now = float(now)
        if not rs.now <= now < INF or now == NEG_INF:  # NaN fails every comparison
            if not math.isfinite(now):
                raise ClockError(f"now must be a finite number of seconds, got {now!r}")
            raise ClockError(f"time went backwards: now={now!r} is before the last call at {rs.now!r}")
        out: list[Event] = []
        heap = rs.timers.heap
        if heap and heap[0][0] <= now:  # else nothing is due: most calls stop at this look
            timers = rs.timers
            while (timer := timers.pop_due(now)) is not None:
                due, kind, payload, _ = timer
                rs.now = due
                _FIRE[kind](rs, due, payload, out)
                match(rs, due, out)
        rs.now = now
        order = rs.finished_order
        if order and order[0][0] <= now - rs.retention:
            forget(rs, now)
        return out

    # --------------------------------------------------------------------------------------------- agents

    def add_agent(self, agent: Agent, now: float, status: AgentStatus = AVAILABLE) -> list[Event]:
        """Register an agent with a presence status; an available agent is offered work at once.

        Returns:
            ``AgentStatusChanged``, then any ``Offered``.

        Raises:
            DuplicateIdError: An agent with that id is registered.
        """
        if self._in_call:
            raise concurrent_call("add_agent")
        if type(agent) is not Agent:
            require_type("agent", agent, Agent)
        self._in_call = True
        try:
            rs = self._rs
            out = self._begin(now)
            now = rs.now
            if agent.id in rs.agents:
                raise refuse(DuplicateIdError(f"agent {agent.id!r} is already registered"), out)
            status = status_of(status, out)
            ar = AgentRecord(agent=agent, status=status, order=rs.agent_order, idle_since=now)
            rs.agent_order += 1
            rs.agents[agent.id] = ar
            match_targets(rs, ar)
            if agent.queue_priorities:
                agent_changed(rs, None, agent, now)
            out.append(AgentStatusChanged(at=now, agent_id=agent.id, status=status))
            refresh(rs, ar)
            match(rs, now, out)
            return out
        finally:
            self._in_call = False

    def update_agent(self, agent: Agent, now: float) -> list[Event]:
        """Change an agent's skills, teams, capacity or wrap-up at once; work in hand is never dropped.

        Returns:
            Any ``Offered``; ``Denied(reason="unroutable")`` for contacts nobody can serve now.

        Raises:
            UnknownIdError: No agent with that id is registered.
        """
        if self._in_call:
            raise concurrent_call("update_agent")
        if type(agent) is not Agent:
            require_type("agent", agent, Agent)
        self._in_call = True
        try:
            rs = self._rs
            out = self._begin(now)
            now = rs.now
            ar = agent_of(rs, agent.id, out)
            unmatch_targets(rs, ar)
            before, ar.agent = ar.agent, agent
            match_targets(rs, ar)
            if before.queue_priorities or agent.queue_priorities:
                agent_changed(rs, before, agent, now)
            refresh(rs, ar)
            match(rs, now, out)
            deny_unroutable(rs, now, out)
            return out
        finally:
            self._in_call = False

    def remove_agent(self, agent_id: str, now: float) -> list[Event]:
        """Unregister an agent with no work in hand.

        Returns:
            ``AgentStatusChanged(OFFLINE)``; ``StageChanged`` for contacts that waited for this agent alone;
            ``Denied(reason="unroutable")`` for contacts nobody can serve now; any ``Offered``.

        Raises:
            UnknownIdError: No agent with that id is registered.
            StateError: The agent has work: an offer, a contact, a held conversation or wrap-up.
        """
        if self._in_call:
            raise concurrent_call("remove_agent")
        if type(agent_id) is not str:
            require_type("agent_id", agent_id, str)
        self._in_call = True
        try:
            rs = self._rs
            out = self._begin(now)
            now = rs.now
            ar = agent_of(rs, agent_id, out)
            if ar.work:
                raise refuse(
                    StateError(f"agent {agent_id!r} has work ({', '.join(sorted(ar.work))}); it cannot be removed"),
                    out,
                )
            out.append(AgentStatusChanged(at=now, agent_id=agent_id, status=OFFLINE))
            ar.status = OFFLINE
            refresh(rs, ar)
            unmatch_targets(rs, ar)
            for contact_id in list(rs.bars_by_agent.get(agent_id, ())):
                lift_bar(rs, contact_id, agent_id)
            del rs.agents[agent_id]
            if ar.agent.queue_priorities:
                agent_changed(rs, ar.agent, None, now)
            leave_sticky_stages(rs, agent_id, now, out)
            match(rs, now, out)
            deny_unroutable(rs, now, out)
            return out
        finally:
            self._in_call = False

    def set_status(self, agent_id: str, status: AgentStatus, now: float) -> list[Event]:
        """Set an agent available, away (keeps work, gets no offers) or offline (also parks held turns).

        Returns:
            ``AgentStatusChanged``; ``OfferRescinded`` (away or offline); ``Parked`` for held conversations
            (offline); ``StageChanged`` for contacts that waited for this agent alone; any ``Offered``.
            Nothing when the status does not change.

        Raises:
            UnknownIdError: No agent with that id is registered.
        """
        if self._in_call:
            raise concurrent_call("set_status")
        if type(agent_id) is not str:
            require_type("agent_id", agent_id, str)
        self._in_call = True
        try:
            rs = self._rs
            out = self._begin(now)
            now = rs.now
            ar = agent_of(rs, agent_id, out)
            status = status_of(status, out)
            if status == ar.status:
                return out
            out.append(AgentStatusChanged(at=now, agent_id=agent_id, status=status))
            ar.status = status
            set_presence(rs, ar)
            if status == AVAILABLE:
                ar.idle_since = now
            else:
                if ar.offers:
                    reason = "agent-away" if status == AWAY else "agent-offline"
                    for contact_id in list(ar.offers):
                        rescind(rs, rs.contacts[contact_id], now, reason, out, requeue=True)
                if status == OFFLINE:
                    held = sorted(cid for cid, (_, kind) in ar.work.items() if kind == WORK_HELD)
                    for contact_id in held:
                        park(rs, rs.contacts[contact_id], now, out)
            refresh(rs, ar)
            if status != AVAILABLE:
                leave_sticky_stages(rs, agent_id, now, out)
            match(rs, now, out)
            return out
        finally:
            self._in_call = False

    def end_wrap_up(self, agent_id: str, now: float) -> list[Event]:
        """End an agent's wrap-up early.

        Returns:
            ``WrapUpEnded`` for each contact in wrap-up, then any ``Offered``.

        Raises:
            UnknownIdError: No agent with that id is registered.
            StateError: The agent is not in wrap-up.
        """
        if self._in_call:
            raise concurrent_call("end_wrap_up")
        if type(agent_id) is not str:
            require_type("agent_id", agent_id, str)
        self._in_call = True
        try:
            rs = self._rs
            out = self._begin(now)
            now = rs.now
            ar = agent_of(rs, agent_id, out)
            if not ar.wrap_up_timers:
                raise refuse(StateError(f"agent {agent_id!r} is not in wrap-up"), out)
            for contact_id in list(ar.wrap_up_timers):
                rs.timers.cancel(ar.wrap_up_timers[contact_id])
                end_wrap_up(rs, ar, contact_id, now, out)
            match(rs, now, out)
            return out
        finally:
            self._in_call = False

    # ------------------------------------------------------------------------------------------- contacts

    def submit(self, contact: Contact, now: float) -> list[Event]:
        """Route a new contact.

        Returns:
            ``ContactQueued``, then ``Offered`` if someone is free; or only ``Denied`` when the policy
            refuses it (with a ``reason``, the ``rule`` and a ``fallback`` channel), or when it would wait
            in a queue already at its limit (``reason="queue-full"``, the ``fallback`` of
            ``RouterSettings.queue_fallback``; see :mod:`routekit.router.limits`).

        Raises:
            DuplicateIdError: The id is in use, or was used by a contact finished within the retention time.
            UnroutableContactError: No registered agent could ever serve the contact.
            UnknownIdError: The policy does not know the customer's tier.
        """
        if self._in_call:
            raise concurrent_call("submit")
        if type(contact) is not Contact:
            require_type("contact", contact, Contact)
        self._in_call = True
        try:
            rs = self._rs
            out = self._begin(now)
            now = rs.now
            if contact.id in rs.contacts or contact.id in rs.finished:
                raise refuse(DuplicateIdError(f"contact {contact.id!r} was already submitted"), out)
            arrived_at = contact.arrived_at
            if arrived_at is not None and arrived_at > now:
                raise refuse(
                    ClockError(f"contact {contact.id!r} arrived_at={arrived_at!r} is later than now={now!r}"), out
                )
            if contact.channel in SYNCHRONOUS:
                conversation_id = None
                if contact.conversation_id is not None and contact.conversation_id in rs.conversations:
                    raise refuse(foreign_conversation(rs, contact), out)
            else:
                conversation_id = contact.conversation
                if conversation_id in rs.conversations:
                    raise refuse(taken_conversation(rs, conversation_id), out)
            plan = plan_of(rs, contact, now, out)
            if isinstance(plan, Denial):
                out.append(denied(contact, now, plan.reason, plan.rule, plan.fallback))
                finish(rs, contact.id, now, None, f"denied: {plan.reason}", (None, None, plan.rule, None, now))
                return out
            ready = rs.ready_plans
            if id(plan) not in ready:
                require_routable(rs, contact, plan, out)
                for stage in plan.stages:
                    ensure_target(rs, stage.target)
                if len(ready) >= _READY_PLANS:
                    ready.clear()  # a policy that builds a new plan each time must not grow this forever
                ready[id(plan)] = plan
            if rs.shut or rs.queue_limits:  # a closed line or a full queue turns it away (limits.refused_entry)
                refusal = refused_entry(rs, contact, plan)
                if refusal is not None:
                    reason, rule, fallback, reopens_at = refusal
                    out.append(denied(contact, now, reason, rule, fallback, reopens_at))
                    finish(rs, contact.id, now, None, f"denied: {reason}", (None, None, rule, None, now))
                    return out
            if conversation_id is not None:
                record = Conversation(
                    id=conversation_id,
                    customer=contact.customer,
                    channel=contact.channel,
                    turns=(contact.id,),
                    context=contact.context,
                )
                rs.conversations[conversation_id] = ConversationRecord(
                    record=record, status=ACTIVE, turn=contact.id, first=contact
                )
            cr = start(rs, contact, plan, now, out, queue=False)
            if cr is not None and cr.state == WAITING:
                offer_new(rs, cr, now, out)
            if rs.dirty_contacts or rs.dirty_agents:  # the per-contact calls skip an empty match
                match(rs, now, out)
            return out
        finally:
            self._in_call = False

    def accept(self, contact_id: str, agent_id: str, now: float) -> list[Event]:
        """The agent accepts the contact offered to them.

        Returns:
            ``Assigned``.

        Raises:
            OfferStateError: That agent holds no pending offer of that contact.
        """
        if self._in_call:
            raise concurrent_call("accept")
        if type(contact_id) is not str:
            require_type("contact_id", contact_id, str)
        if type(agent_id) is not str:
            require_type("agent_id", agent_id, str)
        self._in_call = True
        try:
            rs = self._rs
            out = self._begin(now)
            now = rs.now
            cr = pending_offer(rs, contact_id, agent_id, out)
            ar = rs.agents[agent_id]
            rs.timers.cancel(cr.offer_timer)
            if cr.stage_timer is not None:  # most plans have one stage, without a timer: spare the call
                rs.timers.cancel(cr.stage_timer)
            if cr.delay_timer is not None:
                rs.timers.cancel(cr.delay_timer)
            if cr.rule_timer is not None:
                rs.timers.cancel(cr.rule_timer)
            cr.offer_timer = cr.stage_timer = cr.delay_timer = cr.rule_timer = None
            cr.state = ASSIGNED
            del ar.offers[contact_id]
            ar.work[contact_id] = (cr.contact.channel, WORK_ASSIGNED)
            # index.count_offer, written out: every answered offer comes this way.
            if rs.live:
                key = id(cr.target)
                offers_at = rs.offers_at
                left = offers_at[key] - 1
                if left:
                    offers_at[key] = left
                else:
                    del offers_at[key]
                    del rs.offer_targets[key]
            if contact_id in rs.bars:
                drop_bars(rs, contact_id)
            answered(rs, cr)  # the wait estimates' statistics
            record_decided(rs, cr.target, now - cr.clock_start, True)
            stage, rule, selection = cr.offer_rule or (cr.stage, cr.target.rule, None)
            cr.decision = (agent_id, stage, rule, selection, now)
            # Only a conversation's live turn adds its agent to the conversation (a call may reuse the id of a
            # turn forgotten while its closed conversation is still remembered: is_current_turn says no).
            if rs.conversations and is_current_turn(rs, cr):
                conv = rs.conversations[cr.contact.conversation]
                conv.record = attrs.evolve(conv.record, agents=(*conv.record.agents, agent_id))
            out.append(_assigned(now, contact_id, agent_id, now - cr.clock_start))
            refresh(rs, ar)
            if rs.dirty_contacts or rs.dirty_agents:  # the per-contact calls skip an empty match
                match(rs, now, out)
            return out
        finally:
            self._in_call = False

    def reject(self, contact_id: str, agent_id: str, now: float) -> list[Event]:
        """The agent rejects the contact offered to them; it goes back to its place in the queue.

        Returns:
            ``OfferRejected``, then any ``StageChanged`` and ``Offered``.

        Raises:
            OfferStateError: That agent holds no pending offer of that contact.
        """
        if self._in_call:
            raise concurrent_call("reject")
        if type(contact_id) is not str:
            require_type("contact_id", contact_id, str)
        if type(agent_id) is not str:
            require_type("agent_id", agent_id, str)
        self._in_call = True
        try:
            rs = self._rs
            out = self._begin(now)
            now = rs.now
            cr = pending_offer(rs, contact_id, agent_id, out)
            out.append(OfferRejected(at=now, contact_id=contact_id, agent_id=agent_id))
            end_offer(rs, cr, now, out, barred=True)
            match(rs, now, out)
            return out
        finally:
            self._in_call = False

    def complete(self, contact_id: str, now: float) -> list[Event]:
        """The agent finished the contact (or closed the conversation); wrap-up starts.

        Returns:
            ``Completed`` (and ``ConversationClosed`` for a conversation); ``WrapUpEnded`` follows when the
            wrap-up ends (none when it is 0), then any ``Offered``.

        Raises:
            UnknownIdError: The contact is not known.
            StateError: The contact is not assigned (or held awaiting the customer).
        """
        if self._in_call:
            raise concurrent_call("complete")
        if type(contact_id) is not str:
            require_type("contact_id", contact_id, str)
        self._in_call = True
        try:
            rs = self._rs
            out = self._begin(now)
            now = rs.now
            cr = live_contact(rs, contact_id, out)
            if cr.state is not ASSIGNED and cr.state is not HELD:
                raise refuse(StateError(f"contact {contact_id!r} is {cr.state.value}, not assigned"), out)
            agent_id = cr.agent
            assert agent_id is not None
            ar = rs.agents[agent_id]
            if cr.hold_timer is not None:  # only a held conversation has one: spare the call
                rs.timers.cancel(cr.hold_timer)
            contact = cr.contact
            channel = contact.channel
            # The agent's wrap-up time on the channel, or the router's default.
            wrap_up = ar.agent.wrap_up.get(channel, rs.wrap_up)
            out.append(_completed(now, contact_id, agent_id, now + wrap_up))
            del rs.contacts[contact_id]
            finish(rs, contact_id, now, contact.conversation, "completed", cr.decision)
            if rs.conversations:  # most days' contacts are calls: no conversation to look for
                close_conversation_of(rs, contact, now, "completed", out)
            if wrap_up > 0:
                start_wrap_up(rs, ar, contact_id, channel, now + wrap_up)
            else:
                release(rs, ar, contact_id, now)
            serve_next(rs, ar, now, out)
            if rs.dirty_contacts or rs.dirty_agents:  # the per-contact calls skip an empty match
                match(rs, now, out)
            return out
        finally:
            self._in_call = False

    def abandon(self, contact_id: str, now: float) -> list[Event]:
        """The customer left before being served, or closed a held or parked conversation.

        Returns:
            Waiting: ``Abandoned``. Offered: ``OfferRescinded``, ``Abandoned``. Held or parked (give the
            turn's or the conversation's id): ``Abandoned``, ``ConversationClosed``. A conversation's waiting
            or offered turn also closes its conversation. Then any ``Offered``.

        Raises:
            UnknownIdError: Neither a live contact nor a parked conversation has that id.
            StateError: The contact is assigned (use ``complete``) or already finished.
        """
        if self._in_call:
            raise concurrent_call("abandon")
        if type(contact_id) is not str:
            require_type("contact_id", contact_id, str)
        self._in_call = True
        try:
            rs = self._rs
            out = self._begin(now)
            now = rs.now
            cr = rs.contacts.get(contact_id)
            if cr is None:
                conv = parked_conversation(rs, contact_id)
                if conv is None:
                    if contact_id in rs.finished:
                        raise refuse(StateError(f"contact {contact_id!r} has already finished"), out)
                    raise refuse(UnknownIdError(f"unknown contact {contact_id!r}"), out)
                rs.timers.cancel(conv.ttl_timer)
                out.append(Abandoned(at=now, contact_id=conv.turn))
                close(rs, conv, now, "abandoned", out)
                return out
            if cr.state == ASSIGNED:
                raise refuse(StateError(f"contact {contact_id!r} is assigned; use complete()"), out)
            if cr.state == WAITING:
                dequeue(rs, cr)
                abandoned(rs, cr, now)
            elif cr.state == OFFERED:
                rescind(rs, cr, now, "abandoned", out, requeue=False)
                abandoned(rs, cr, now)
            else:
                ar = rs.agents[cr.agent]  # type: ignore[index]
                rs.timers.cancel(cr.hold_timer)
                release(rs, ar, contact_id, now)
                refresh(rs, ar)
            if cr.state is not HELD:  # left unanswered: decided, against the target it waited at
                record_decided(rs, cr.target, now - cr.clock_start, False)
            rs.timers.cancel(cr.stage_timer)
            rs.timers.cancel(cr.delay_timer)
            rs.timers.cancel(cr.rule_timer)
            drop_bars(rs, contact_id)
            del rs.contacts[contact_id]
            out.append(Abandoned(at=now, contact_id=contact_id))
            finish(rs, contact_id, now, cr.contact.conversation, "abandoned", cr.decision)
            if rs.conversations:
                close_conversation_of(rs, cr.contact, now, "abandoned", out)
            if rs.dirty_contacts or rs.dirty_agents:  # the per-contact calls skip an empty match
                match(rs, now, out)
            return out
        finally:
            self._in_call = False

    def reprioritize(self, contact_id: str, priority: int, now: float) -> list[Event]:
        """Give a waiting contact a new base priority; its place in the queue follows.

        Returns:
            ``Reprioritized``, then any ``Offered``.

        Raises:
            UnknownIdError: The contact is not known.
            StateError: The contact is not waiting.
        """
        if self._in_call:
            raise concurrent_call("reprioritize")
        if type(contact_id) is not str:
            require_type("contact_id", contact_id, str)
        self._in_call = True
        try:
            rs = self._rs
            out = self._begin(now)
            now = rs.now
            cr = live_contact(rs, contact_id, out)
            if cr.state != WAITING:
                raise refuse(StateError(f"contact {contact_id!r} is {cr.state.value}, not waiting"), out)
            if isinstance(priority, bool) or not isinstance(priority, int):
                raise refuse(ConfigError(f"priority must be an integer, got {priority!r}"), out)
            dequeue(rs, cr)
            cr.reprioritize(priority)
            enqueue(rs, cr)
            out.append(Reprioritized(at=now, contact_id=contact_id, priority=priority))
            rs.dirty_contacts[contact_id] = None
            match(rs, now, out)
            return out
        finally:
            self._in_call = False

    def transfer(self, contact_id: str, now: float, target: Target | Plan | None = None) -> list[Event]:
        """Send an assigned contact back into routing with a new plan, keeping its original arrival time.

        Args:
            target: A target (a one-stage plan), a plan, or ``None`` to ask the policy for a new plan.

        Returns:
            ``Transferred``, ``ContactQueued``, then any ``Offered``.

        Raises:
            UnknownIdError: The contact is not known.
            StateError: The contact is not assigned, or it would wait in a queue already at its limit
                (``RouterSettings.queue_limits``).
            UnroutableContactError: No registered agent could ever serve the new plan.
        """
        if self._in_call:
            raise concurrent_call("transfer")
        if type(contact_id) is not str:
            require_type("contact_id", contact_id, str)
        if target is not None and type(target) is not Target:
            require_type("target", target, Target | Plan)
        self._in_call = True
        try:
            rs = self._rs
            out = self._begin(now)
            now = rs.now
            cr = live_contact(rs, contact_id, out)
            if cr.state != ASSIGNED:
                raise refuse(StateError(f"contact {contact_id!r} is {cr.state.value}, not assigned"), out)
            if target is None:
                plan = plan_of(rs, cr.contact, now, out)
                if isinstance(plan, Denial):
                    raise refuse(StateError(f"the policy denies contact {contact_id!r}: {plan.reason}"), out)
            elif isinstance(target, Target):
                plan = Plan([Stage(target=target)])
            else:
                plan = target
            require_channel(cr.contact, plan, out)
            require_routable(rs, cr.contact, plan, out)
            if rs.queue_limits:
                require_room(rs, cr.contact, plan, out)
            agent_id = cr.agent
            assert agent_id is not None
            ar = rs.agents[agent_id]
            out.append(Transferred(at=now, contact_id=contact_id, agent_id=agent_id))
            release(rs, ar, contact_id, now)
            refresh(rs, ar)
            cr.move_to(0, plan)
            cr.agent, cr.state, cr.overflowed = None, WAITING, False
            queued(rs, cr, now, out, queue=True)
            match(rs, now, out)
            return out
        finally:
            self._in_call = False

    # -------------------------------------------------------------------------------------- conversations

    def await_customer(self, contact_id: str, now: float) -> list[Event]:
        """The agent answered an asynchronous turn; hold the slot for the policy's hold time, then park.

        Returns:
            ``AwaitingCustomer`` (with ``hold_until``); only ``Parked`` when the policy holds nothing.

        Raises:
            UnknownIdError: The contact is not known.
            StateError: Not an assigned conversation turn.
        """
        if self._in_call:
            raise concurrent_call("await_customer")
        if type(contact_id) is not str:
            require_type("contact_id", contact_id, str)
        self._in_call = True
        try:
            rs = self._rs
            out = self._begin(now)
            now = rs.now
            cr = live_contact(rs, contact_id, out)
            if cr.state != ASSIGNED or not is_current_turn(rs, cr):
                raise refuse(
                    StateError(
                        f"contact {contact_id!r} is not an assigned turn of an open conversation "
                        f"on an asynchronous channel ({cr.state.value}, {cr.contact.channel.value})"
                    ),
                    out,
                )
            hold_turn(rs, cr, now, out)
            return out
        finally:
            self._in_call = False

    def customer_replied(self, conversation_id: str, now: float) -> list[Event]:
        """The customer wrote in a conversation.

        Returns:
            Held: ``CustomerReplied`` (hold cancelled; the turn is assigned again). Waiting, offered or
            assigned: ``CustomerReplied``. Parked: ``Resumed``, ``ContactQueued`` for a new turn
            ``<conversation>#<n>`` whose service-level clock starts now, then any ``Offered`` (or
            ``Denied`` and ``ConversationClosed`` when nobody can serve it).

        Raises:
            UnknownIdError: No conversation has that id.
            StateError: The conversation is closed.
        """
        if self._in_call:
            raise concurrent_call("customer_replied")
        if type(conversation_id) is not str:
            require_type("conversation_id", conversation_id, str)
        self._in_call = True
        try:
            rs = self._rs
            out = self._begin(now)
            now = rs.now
            conv = rs.conversations.get(conversation_id)
            if conv is None:
                raise refuse(UnknownIdError(f"unknown conversation {conversation_id!r}"), out)
            if conversation_id in rs.closed:
                raise refuse(StateError(f"conversation {conversation_id!r} is closed"), out)
            if conv.status == ACTIVE:
                reply(rs, conv, now, out)
                return out
            turn = next_turn(conv, now)
            if turn.id in rs.contacts or turn.id in rs.finished:
                raise refuse(DuplicateIdError(f"the next turn's id {turn.id!r} is already in use"), out)
            plan = plan_of(rs, turn, now, out)
            resume(rs, conv, turn, plan, now, out)
            return out
        finally:
            self._in_call = False

    # ---------------------------------------------------------------------------------------- snapshots

    def snapshot(self) -> dict[str, Any]:
        """The router's whole state as plain, JSON-able data; :meth:`restore` rebuilds a router from it. O(size)."""
        if self._in_call:
            raise concurrent_call("snapshot")
        self._in_call = True
        try:
            return snapshots.to_data(self._rs)
        finally:
            self._in_call = False

    @classmethod
    def restore(
        cls, snapshot: Mapping[str, Any], policy: RoutingPolicy, *, selection: Selection | None = None
    ) -> Router:
        """Rebuild a router from :meth:`snapshot`'s data; it decides exactly as the original would.

        Args:
            snapshot: The data :meth:`snapshot` returned (after a JSON round trip or not).
            policy: The policy for contacts submitted from now on.
            selection: The selection, when the snapshot names one that is not built in.

        Raises:
            SnapshotError: The snapshot cannot be read (another version, a missing or wrong-typed field, a time
                that is not finite, an unknown selection), or it describes a state that breaks an invariant
                (a waiting contact outside its stage's queue, an offer without its timer, a timer sequence
                not above every timer, loads that are not the work held, a conversation and its turn that
                disagree); the message names the path inside the snapshot, such as ``contacts[3].stage``.
                ``SnapshotError`` is a ``ConfigError``.
        """
        router = cls(policy, snapshots.settings_from_data(snapshot, selection))
        snapshots.load(router._rs, snapshot)
        return router

    def _check(self) -> None:
        """Assert every invariant (see :mod:`routekit.router.check`); for tests, never on the routing path."""
        check(self._rs)
