"""Snapshots: the routing state as plain, JSON-able data, and the routing state rebuilt from it.

:func:`to_data` writes everything that decides what happens next; :func:`load` rebuilds the indexes
(queues, pools, supply) from it, so a restored router decides exactly as the original would.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from typing import Any

from routekit.errors import ConfigError
from routekit.models.agent import Agent, AgentStatus
from routekit.models.channel import Channel
from routekit.models.contact import Contact, Conversation
from routekit.models.customer import Customer
from routekit.policies.base import Plan, Stage, Target
from routekit.policies.selection import Selection, selection_named
from routekit.router.index import ensure_target, queue_for, refresh
from routekit.router.settings import RouterSettings
from routekit.router.state import (
    HOLD_EXPIRY,
    NO_DECISION,
    OFFER_EXPIRY,
    REOFFER_END,
    STAGE_TIMEOUT,
    WRAP_UP_END,
    AgentRecord,
    ContactRecord,
    ContactState,
    ConversationRecord,
    ConversationStatus,
    RoutingState,
    Work,
    add_work,
)
from routekit.router.timers import TimerKind

__all__ = ["SNAPSHOT_VERSION", "load", "settings_from_data", "to_data"]

SNAPSHOT_VERSION = 1


def to_data(rs: RoutingState) -> dict[str, Any]:
    """The whole routing state as plain data. O(size)."""
    return {
        "version": SNAPSHOT_VERSION,
        "settings": _settings_to_data(rs.settings),
        "now": None if rs.now == -math.inf else rs.now,
        "seq": rs.seq,
        "agent_order": rs.agent_order,
        "timer_seq": rs.timers.next_seq,
        "agents": [
            {
                "agent": _agent_to_data(ar.agent),
                "status": ar.status.value,
                "order": ar.order,
                "idle_since": ar.idle_since,
                "last_offer_at": None if ar.last_offer_at == -math.inf else ar.last_offer_at,
                "work": [[cid, channel.value, kind.value] for cid, (channel, kind) in ar.work.items()],
                "offer": ar.offer,
            }
            for ar in rs.agents.values()
        ],
        "targets": [_target_to_data(t) for t in rs.pools],
        "contacts": [
            {
                "contact": _contact_to_data(cr.contact),
                "plan": [_stage_to_data(stage) for stage in cr.plan.stages],
                "stage": cr.stage,
                "priority": cr.priority,
                "arrival": cr.arrival,
                "seq": cr.seq,
                "clock_start": cr.clock_start,
                "state": cr.state.value,
                "agent": cr.agent,
                "offered_at": None if math.isnan(cr.offered_at) else cr.offered_at,
                "stage_since": None if math.isnan(cr.stage_since) else cr.stage_since,
                "offer_rule": None if cr.offer_rule is None else list(cr.offer_rule),
                "decision": None if cr.decision is None else list(cr.decision),
            }
            for cr in rs.contacts.values()
        ],
        "queues": [[_target_to_data(t), list(queue)] for t, queue in rs.queues.items() if len(queue)],
        "timers": [[due, int(kind), list(payload), seq] for due, kind, payload, seq in rs.timers.live()],
        "conversations": [
            {
                "record": {
                    "id": c.record.id,
                    "customer": _customer_to_data(c.record.customer),
                    "channel": c.record.channel.value,
                    "turns": list(c.record.turns),
                    "agents": list(c.record.agents),
                    "context": c.record.context,
                },
                "status": c.status.value,
                "turn": c.turn,
                "first": _contact_to_data(c.first),
            }
            for c in rs.conversations.values()
        ],
        "closed": rs.closed,
        "finished": rs.finished,
        "outcomes": {cid: [outcome, *(decision or NO_DECISION)] for cid, (outcome, decision) in rs.outcomes.items()},
        "finished_order": [
            [at, ("conversation:" if conversation else "contact:") + some_id]
            for at, some_id, conversation in rs.finished_order
        ],
        "answers": [[_target_to_data(t), list(times)] for t, times in rs.answers.items()],
    }


def settings_from_data(snapshot: Mapping[str, Any], selection: Selection | None) -> RouterSettings:
    """The settings a snapshot was taken with (``selection`` when it names one that is not built in).

    Raises:
        ConfigError: The snapshot is of another version, or names an unknown or another selection.
    """
    if snapshot.get("version") != SNAPSHOT_VERSION:
        raise ConfigError(f"snapshot version {snapshot.get('version')!r} is not {SNAPSHOT_VERSION}")
    fields = dict(snapshot["settings"])
    name = fields.pop("selection")
    if selection is None:
        selection = selection_named(name)
    elif selection.name != name:
        raise ConfigError(f"the snapshot was taken with selection {name!r}, not {selection.name!r}")
    return RouterSettings(selection=selection, **fields)


def load(rs: RoutingState, snapshot: Mapping[str, Any]) -> None:
    """Fill a new, empty routing state from a snapshot and rebuild its indexes. O(size log size)."""
    rs.now = -math.inf if snapshot["now"] is None else snapshot["now"]
    rs.seq = snapshot["seq"]
    rs.agent_order = snapshot["agent_order"]
    rs.timers.next_seq = snapshot["timer_seq"]
    for data in snapshot["agents"]:
        agent = _agent_from_data(data["agent"])
        ar = AgentRecord(
            agent=agent,
            status=AgentStatus(data["status"]),
            order=data["order"],
            idle_since=data["idle_since"],
            last_offer_at=-math.inf if data["last_offer_at"] is None else data["last_offer_at"],
            offer=data["offer"],
        )
        for contact_id, channel, kind in data["work"]:
            add_work(rs, ar, contact_id, Channel(channel), Work(kind))
        rs.agents[agent.id] = ar
    for data in snapshot["targets"]:
        ensure_target(rs, _target_from_data(data))
    for data in snapshot["contacts"]:
        contact = _contact_from_data(data["contact"])
        plan = Plan([_stage_from_data(stage) for stage in data["plan"]])
        for stage in plan.stages:
            ensure_target(rs, stage.target)
        rs.contacts[contact.id] = ContactRecord(
            contact=contact,
            plan=plan,
            stage=data["stage"],
            priority=data["priority"],
            arrival=data["arrival"],
            seq=data["seq"],
            clock_start=data["clock_start"],
            state=ContactState(data["state"]),
            agent=data["agent"],
            offered_at=math.nan if data["offered_at"] is None else data["offered_at"],
            stage_since=math.nan if data["stage_since"] is None else data["stage_since"],
            offer_rule=None if data["offer_rule"] is None else tuple(data["offer_rule"]),
            decision=None if data["decision"] is None else tuple(data["decision"]),
        )
    for target_data, contact_ids in snapshot["queues"]:
        queue = queue_for(rs, _target_from_data(target_data))
        for contact_id in contact_ids:
            queue.push(contact_id, rs.contacts[contact_id].key)
    for data in snapshot["conversations"]:
        record_data = data["record"]
        record = Conversation(
            id=record_data["id"],
            customer=_customer_from_data(record_data["customer"]),
            channel=record_data["channel"],
            turns=record_data["turns"],
            agents=record_data["agents"],
            context=record_data["context"],
        )
        rs.conversations[record.id] = ConversationRecord(
            record=record,
            status=ConversationStatus(data["status"]),
            turn=data["turn"],
            first=_contact_from_data(data["first"]),
        )
    for due, kind_value, payload, seq in snapshot["timers"]:
        kind = TimerKind(kind_value)
        rs.timers.restore(due, kind, tuple(payload), seq)
        _attach_timer(rs, kind, tuple(payload), seq)
    rs.closed = dict(snapshot["closed"])
    rs.finished = dict(snapshot["finished"])
    rs.outcomes = {cid: (name, tuple(decision)) for cid, (name, *decision) in snapshot["outcomes"].items()}
    rs.finished_order = deque(
        (at, *((key[13:], True) if key.startswith("conversation:") else (key[8:], False)))
        for at, key in snapshot["finished_order"]
    )
    for target_data, times in snapshot["answers"]:
        rs.answers[_target_from_data(target_data)] = deque(times, maxlen=rs.answer_window)
    for ar in rs.agents.values():
        refresh(rs, ar)
    rs.dirty_agents.clear()
    rs.dirty_contacts.clear()


def _attach_timer(rs: RoutingState, kind: TimerKind, payload: tuple[Any, ...], seq: int) -> None:
    """Give a restored timer's handle back to the record it belongs to."""
    if kind == OFFER_EXPIRY:
        rs.contacts[payload[0]].offer_timer = seq
    elif kind == REOFFER_END:
        contact_id, agent_id = payload
        rs.bars.setdefault(contact_id, {})[agent_id] = seq
        rs.bars_by_agent.setdefault(agent_id, {})[contact_id] = None
    elif kind == STAGE_TIMEOUT:
        rs.contacts[payload[0]].stage_timer = seq
    elif kind == HOLD_EXPIRY:
        rs.contacts[payload[0]].hold_timer = seq
    elif kind == WRAP_UP_END:
        rs.agents[payload[0]].wrap_up_timers[payload[1]] = seq
    else:
        rs.conversations[payload[0]].ttl_timer = seq


# ------------------------------------------------------------------------------------- plain-data codecs
def _agent_to_data(agent: Agent) -> dict[str, Any]:
    return {
        "id": agent.id,
        "skills": dict(agent.skills),
        "capacity": {c.value: n for c, n in agent.capacity.items()},
        "teams": sorted(agent.teams),
        "wrap_up": {c.value: s for c, s in agent.wrap_up.items()},
    }


def _agent_from_data(data: Mapping[str, Any]) -> Agent:
    return Agent(
        id=data["id"],
        skills=data["skills"],
        capacity=data["capacity"],
        teams=frozenset(data["teams"]),
        wrap_up=data["wrap_up"],
    )


def _customer_to_data(customer: Customer) -> dict[str, Any]:
    return {"id": customer.id, "tier": customer.tier, "attributes": customer.attributes}


def _customer_from_data(data: Mapping[str, Any]) -> Customer:
    return Customer(id=data["id"], tier=data["tier"], attributes=data["attributes"])


def _contact_to_data(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.id,
        "customer": _customer_to_data(contact.customer),
        "channel": contact.channel.value,
        "skills": dict(contact.skills),
        "priority": contact.priority,
        "arrived_at": contact.arrived_at,
        "head_start": contact.head_start,
        "context": contact.context,
        "conversation_id": contact.conversation_id,
        "served_by": list(contact.served_by),
    }


def _contact_from_data(data: Mapping[str, Any]) -> Contact:
    fields = dict(data)
    fields["customer"] = _customer_from_data(fields["customer"])
    fields["served_by"] = tuple(fields["served_by"])
    return Contact(**fields)


def _target_to_data(target: Target) -> dict[str, Any]:
    return {
        "channel": target.channel.value,
        "skills": [list(s) for s in target.skills],
        "team": target.team,
        "agent": target.agent,
        "rule": target.rule,
    }


def _target_from_data(data: Mapping[str, Any]) -> Target:
    return Target(
        channel=data["channel"],
        skills=[tuple(s) for s in data["skills"]],
        team=data["team"],
        agent=data["agent"],
        rule=data["rule"],
    )


def _stage_to_data(stage: Stage) -> dict[str, Any]:
    return {"target": _target_to_data(stage.target), "timeout": stage.timeout, "boost": stage.boost}


def _stage_from_data(data: Mapping[str, Any]) -> Stage:
    return Stage(target=_target_from_data(data["target"]), timeout=data["timeout"], boost=data["boost"])


def _settings_to_data(settings: RouterSettings) -> dict[str, Any]:
    return {
        "offer_timeout": {c.value: s for c, s in settings.offer_timeout.items()},
        "reoffer_delay": settings.reoffer_delay,
        "wrap_up": settings.wrap_up,
        "away_on_missed_offer": settings.away_on_missed_offer,
        "selection": settings.selection.name,
        "retention": settings.retention,
        "exclusive": sorted(c.value for c in settings.exclusive),
        "park_ttl": settings.park_ttl,
        "answer_window": settings.answer_window,
    }
