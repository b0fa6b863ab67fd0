"""Snapshots: the routing state as plain, JSON-able data, and the routing state rebuilt from it.

:func:`to_data` writes everything that decides what happens next, every list in a canonical order (by a
stable key), so that equal states give equal snapshots whatever path led to them. :func:`load` reads a
snapshot into a new routing state, refusing anything it cannot read with a
:class:`~routekit.errors.SnapshotError` that names the path inside the snapshot, then rebuilds the indexes
and checks every invariant of :mod:`routekit.router.check` on the result: a router is never built from a
damaged snapshot. Both are O(size log size).
"""

from __future__ import annotations

import json
import math
from collections import deque
from collections.abc import Callable, Mapping
from heapq import heappush
from typing import Any, TypeVar

from routekit.errors import ConfigError, RoutekitError, SnapshotError
from routekit.models.agent import Agent, AgentStatus
from routekit.models.channel import Channel
from routekit.models.contact import Contact, Conversation
from routekit.models.customer import Customer
from routekit.models.hours import OpeningHours
from routekit.policies.base import Plan, Stage, Target
from routekit.policies.selection import Selection, selection_named
from routekit.router.check import Problem, problems
from routekit.router.estimate import Tally
from routekit.router.index import (
    attach_channel_counts,
    count_offer,
    enqueue,
    ensure_target,
    presence,
    queue_for,
    refresh,
)
from routekit.router.priorities import count_delays
from routekit.router.settings import ExceptionRule, RouterSettings
from routekit.router.state import (
    EXCEPTION_RULE,
    HOLD_EXPIRY,
    NO_DECISION,
    OFFER_EXPIRY,
    OPENING_HOURS,
    QUEUE_DELAY_END,
    REOFFER_END,
    STAGE_TIMEOUT,
    SYNCHRONOUS,
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
from routekit.router.timers import TimerKind, Timers

__all__ = [
    "SNAPSHOT_VERSION",
    "agent_from_data",
    "agent_to_data",
    "contact_from_data",
    "contact_to_data",
    "load",
    "rule_from_data",
    "rule_to_data",
    "settings_from_data",
    "stage_from_data",
    "stage_to_data",
    "target_from_data",
    "target_to_data",
    "to_data",
]

SNAPSHOT_VERSION = 1

T = TypeVar("T")


def to_data(rs: RoutingState) -> dict[str, Any]:
    """The whole routing state as plain data, in canonical order. O(size log size)."""
    agents = sorted(rs.agents.values(), key=lambda ar: ar.order)
    contacts = sorted(rs.contacts.values(), key=lambda cr: cr.seq)
    return {
        "version": SNAPSHOT_VERSION,
        "settings": _settings_to_data(rs.settings),
        "now": None if rs.now == -math.inf else rs.now,
        "seq": rs.seq,
        "agent_order": rs.agent_order,
        "timer_seq": rs.timers.next_seq,
        "agents": [
            {
                "agent": agent_to_data(ar.agent),
                "status": ar.status.value,
                "order": ar.order,
                "idle_since": ar.idle_since,
                "last_offer_at": None if ar.last_offer_at == -math.inf else ar.last_offer_at,
                "work": [[cid, channel.value, kind.value] for cid, (channel, kind) in sorted(ar.work.items())],
                "offer": ar.offer,
                # Every pending offer, written only when there are several (RouterSettings.offers_per_agent).
                **({"offers": list(ar.offers)} if len(ar.offers) > 1 else {}),
            }
            for ar in agents
        ],
        "targets": sorted((target_to_data(t) for t in rs.pools), key=_canonical),
        "contacts": [
            {
                "contact": contact_to_data(cr.contact),
                "plan": [stage_to_data(stage) for stage in cr.plan.stages],
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
                "overflowed": cr.overflowed,
                "decision": None if cr.decision is None else list(cr.decision),
            }
            for cr in contacts
        ],
        "queues": sorted(
            ([target_to_data(t), list(queue)] for t, queue in rs.queues.items() if len(queue)),
            key=lambda entry: _canonical(entry[0]),
        ),
        "timers": [[due, int(kind), list(payload), seq] for due, kind, payload, seq in rs.timers.live()],
        "conversations": [
            {
                "record": {
                    "id": c.record.id,
                    "customer": customer_to_data(c.record.customer),
                    "channel": c.record.channel.value,
                    "turns": list(c.record.turns),
                    "agents": list(c.record.agents),
                    "context": dict(c.record.context),
                },
                "status": c.status.value,
                "turn": c.turn,
                "first": contact_to_data(c.first),
            }
            for _, c in sorted(rs.conversations.items())
        ],
        "closed": dict(sorted(rs.closed.items())),
        "finished": dict(sorted(rs.finished.items(), key=lambda item: item[0])),
        "outcomes": {
            cid: [outcome, *(decision or NO_DECISION)] for cid, (outcome, decision) in sorted(rs.outcomes.items())
        },
        # Entries finished at the same moment are forgotten together, so ordering them by id changes nothing.
        "finished_order": sorted(
            [at, ("conversation:" if conversation else "contact:") + some_id]
            for at, some_id, conversation in rs.finished_order
        ),
        "shut": {c.value: opens for c, opens in sorted(rs.shut.items(), key=lambda item: item[0].value)},
        # The wait estimates' statistics decide every later estimate: [last start, last wait, gaps, gap
        # time, abandons, waited, pool gaps, pool gap time], per target and per channel.
        "wait_targets": sorted(
            ([target_to_data(t), tally.as_data()] for t, tally in rs.wait_targets.items()),
            key=lambda entry: _canonical(entry[0]),
        ),
        "wait_channels": {channel.value: tally.as_data() for channel, tally in sorted(rs.wait_channels.items())},
        "recent": sorted(
            (
                [target_to_data(t), [[waited, answered] for waited, answered in record]]
                for t, record in rs.recent.items()
            ),
            key=lambda entry: _canonical(entry[0]),
        ),
    }


def settings_from_data(snapshot: Mapping[str, Any], selection: Selection | None) -> RouterSettings:
    """The settings a snapshot was taken with (``selection`` when it names one that is not built in).

    Raises:
        SnapshotError: The snapshot is not a mapping, is of another version, or its settings are bad; it
            names an unknown selection, or another one than ``selection``.
    """
    if not isinstance(snapshot, Mapping):
        raise SnapshotError("", f"a snapshot is a mapping, got {type(snapshot).__name__}")
    if snapshot.get("version") != SNAPSHOT_VERSION:
        raise SnapshotError("version", f"snapshot version {snapshot.get('version')!r} is not {SNAPSHOT_VERSION}")
    fields = dict(_field(snapshot, "settings", Mapping, ""))
    name = fields.pop("selection", None)
    hours = _field(snapshot["settings"], "hours", Mapping, "settings") if "hours" in fields else {}
    fields["hours"] = {c: _read(f"settings.hours.{c}", OpeningHours.from_data, data) for c, data in hours.items()}
    rules = _field(snapshot["settings"], "exception_rules", Mapping, "settings") if "exception_rules" in fields else {}
    fields["exception_rules"] = {
        key: [
            _read(f"settings.exception_rules.{key}[{i}]", rule_from_data, data)
            for i, data in enumerate(_read(f"settings.exception_rules.{key}", _list, listed))
        ]
        for key, listed in rules.items()
    }
    try:
        if selection is None:
            selection = selection_named(name)
        elif selection.name != name:
            raise ConfigError(f"the snapshot was taken with selection {name!r}, not {selection.name!r}")
        return RouterSettings(selection=selection, **fields)
    except (RoutekitError, TypeError, ValueError, AttributeError, OverflowError) as error:
        raise SnapshotError("settings", str(error)) from None


def load(rs: RoutingState, snapshot: Mapping[str, Any]) -> None:
    """Fill a new, empty routing state from a snapshot, rebuild its indexes, and check every invariant.

    Raises:
        SnapshotError: Anything the snapshot says that cannot be read, or a state that breaks an invariant
            (a waiting contact outside its queue, an offer without its timer, a timer sequence below a
            timer, loads that are not the work held, ...), naming the path inside the snapshot.
    """
    where: dict[tuple[str, Any], str] = {}
    # A new router has read its calendars at now=0; the snapshot's hours state and timers replace that.
    rs.timers = Timers()
    rs.hours_timers.clear()
    rs.shut.clear()
    rs.held.clear()
    now = _field(snapshot, "now", (int, float, type(None)), "")
    if now is not None and not math.isfinite(now):
        raise SnapshotError("now", f"not a finite time: {now!r}")
    rs.now = -math.inf if now is None else float(now)
    rs.seq = _count(snapshot, "seq", "")
    rs.agent_order = _count(snapshot, "agent_order", "")
    rs.timers.next_seq = _count(snapshot, "timer_seq", "")
    for i, data in _items(snapshot, "agents"):
        path = f"agents[{i}]"
        agent = _read(path + ".agent", agent_from_data, _field(data, "agent", Mapping, path))
        if agent.id in rs.agents:
            raise SnapshotError(path + ".agent.id", f"agent {agent.id!r} appears twice")
        ar = AgentRecord(
            agent=agent,
            status=_read(path + ".status", AgentStatus, _field(data, "status", str, path)),
            order=_count(data, "order", path),
            idle_since=_time(data, "idle_since", path),
            last_offer_at=_time(data, "last_offer_at", path, missing=-math.inf),
        )
        offer = _field(data, "offer", (str, type(None)), path)
        offers = _field(data, "offers", list, path) if "offers" in data else [] if offer is None else [offer]
        for j, contact_id in enumerate(offers):
            if not isinstance(contact_id, str) or contact_id in ar.offers or (j == 0 and contact_id != offer):
                raise SnapshotError(f"{path}.offers[{j}]", f"{contact_id!r} is not a new pending offer after 'offer'")
            ar.offers[contact_id] = None
        for j, entry in enumerate(_field(data, "work", list, path)):
            item = f"{path}.work[{j}]"
            contact_id, channel, kind = _read(item, _triple, entry)
            if not isinstance(contact_id, str) or contact_id in ar.work:
                raise SnapshotError(item, f"{contact_id!r} is not a new contact id")
            add_work(rs, ar, contact_id, _read(item, Channel, channel), _read(item, Work, kind))
        ar.present = presence(ar)
        rs.agents[agent.id] = ar
        where["agents", agent.id] = path
    for ar in rs.agents.values():
        attach_channel_counts(rs, ar)
        count_delays(rs, ar.agent, 1)
    for i, data in _items(snapshot, "targets"):
        ensure_target(rs, _read(f"targets[{i}]", target_from_data, data))
    for i, data in _items(snapshot, "contacts"):
        path = f"contacts[{i}]"
        cr = _read(path, _contact_record, data)
        if cr.contact.id in rs.contacts:
            raise SnapshotError(path + ".contact.id", f"contact {cr.contact.id!r} appears twice")
        for stage in cr.plan.stages:
            ensure_target(rs, stage.target)
        rs.contacts[cr.contact.id] = cr
        where["contacts", cr.contact.id] = path
        if cr.state == ContactState.OFFERED:
            count_offer(rs, cr.target, 1)
    queued: set[str] = set()
    for i, entry in _items(snapshot, "queues"):
        path = f"queues[{i}]"
        target_data, contact_ids = _read(path, _pair, entry)
        target = _read(path + "[0]", target_from_data, target_data)
        queue_for(rs, target)
        where["queues", target] = path
        for j, contact_id in enumerate(_read(path + "[1]", list, contact_ids)):
            record = rs.contacts.get(contact_id) if isinstance(contact_id, str) else None
            if record is None or contact_id in queued or record.state != ContactState.WAITING:
                raise SnapshotError(f"{path}[1][{j}]", f"{contact_id!r} is not a waiting contact to queue (once)")
            if record.target != target:
                raise SnapshotError(f"{path}[1][{j}]", f"{contact_id!r} is queued outside its stage's queue")
            queued.add(contact_id)
            enqueue(rs, record)
    for i, data in _items(snapshot, "conversations"):
        path = f"conversations[{i}]"
        conv = _read(path, _conversation_record, data)
        if conv.record.id in rs.conversations:
            raise SnapshotError(path + ".record.id", f"conversation {conv.record.id!r} appears twice")
        rs.conversations[conv.record.id] = conv
        where["conversations", conv.record.id] = path
    for i, entry in _items(snapshot, "timers"):
        path = f"timers[{i}]"
        due, kind, payload, seq = _read(path, _timer, entry)
        if ("timers", seq) in where:
            raise SnapshotError(path, f"timer {seq} appears twice")
        if not _attach_timer(rs, kind, payload, seq):
            raise SnapshotError(path, f"a {kind.name.lower()} timer for {list(payload)} that nothing can hold")
        rs.timers.restore(due, kind, payload, seq)
        if kind == QUEUE_DELAY_END:
            heappush(rs.delay_moments, (due, seq, payload[0]))
        where["timers", seq] = path
    rs.shut = _read("shut", _shut, snapshot.get("shut", {}))
    if not rs.shut.keys() <= rs.hours.keys():
        raise SnapshotError("shut", f"closed channels {sorted(c.value for c in rs.shut)} without opening hours")
    rs.held = {channel for channel in rs.shut if channel not in SYNCHRONOUS}
    rs.closed = _read("closed", lambda value: {_id(k): _finite(v) for k, v in value.items()}, snapshot.get("closed"))
    rs.finished = _read(
        "finished", lambda value: {_id(k): _optional_id(v) for k, v in value.items()}, snapshot.get("finished")
    )
    rs.outcomes = _read("outcomes", _outcomes, snapshot.get("outcomes"))
    rs.finished_order = deque(_read("finished_order", _finished_order, snapshot.get("finished_order")))
    for i, entry in _items(snapshot, "wait_targets"):
        target_data, fields = _read(f"wait_targets[{i}]", _pair, entry)
        target = _read(f"wait_targets[{i}][0]", target_from_data, target_data)
        if target in rs.wait_targets:
            raise SnapshotError(f"wait_targets[{i}][0]", f"target {target.rule!r} appears twice")
        rs.wait_targets[target] = _read(f"wait_targets[{i}][1]", _tally, fields)
    for name, fields in _field(snapshot, "wait_channels", Mapping, "").items():
        channel = _read(f"wait_channels.{name}", Channel, name)
        rs.wait_channels[channel] = _read(f"wait_channels.{name}", _tally, fields)
    for i, entry in enumerate(_read("recent", list, snapshot.get("recent", []))):
        target_data, record = _read(f"recent[{i}]", _pair, entry)
        target = _read(f"recent[{i}][0]", target_from_data, target_data)
        rs.recent[target] = deque(_read(f"recent[{i}][1]", _decided, record), maxlen=rs.answer_window)
    for conv in rs.conversations.values() if rs.live else ():
        if conv.status == ConversationStatus.PARKED and conv.record.id not in rs.closed:
            channel = conv.record.channel
            rs.parked_count[channel] = rs.parked_count.get(channel, 0) + 1
    for ar in rs.agents.values():
        refresh(rs, ar)
    rs.dirty_agents.clear()
    rs.dirty_contacts.clear()
    for problem in problems(rs):
        raise SnapshotError(_path(problem, where), problem[3])


def _path(problem: Problem, where: dict[tuple[str, Any], str]) -> str:
    """The snapshot path of a problem found in the rebuilt state."""
    section, key, field, _ = problem
    base = where.get((section, key), section) if section else ""
    if section and (section, key) not in where:
        base = f"{section}[{key!r}]"
    return ".".join(part for part in (base, field) if part)


def _attach_timer(rs: RoutingState, kind: TimerKind, payload: tuple[Any, ...], seq: int) -> bool:
    """Give a restored timer's handle to the record it belongs to; ``False`` when there is none to hold it."""
    first = payload[0] if payload else None
    if kind in (OFFER_EXPIRY, STAGE_TIMEOUT, HOLD_EXPIRY):
        cr = rs.contacts.get(first) if isinstance(first, str) else None
        if cr is None or len(payload) != (1 if kind == HOLD_EXPIRY else 2):
            return False
        if kind == OFFER_EXPIRY:
            cr.offer_timer = seq
        elif kind == STAGE_TIMEOUT:
            cr.stage_timer = seq
        else:
            cr.hold_timer = seq
    elif kind == EXCEPTION_RULE:
        cr = rs.contacts.get(first) if isinstance(first, str) else None
        if cr is None or cr.rule_timer is not None or len(payload) != 3:
            return False
        cr.rule_timer = seq
    elif kind == REOFFER_END:
        if len(payload) != 2 or not all(isinstance(part, str) for part in payload):
            return False
        contact_id, agent_id = payload
        rs.bars.setdefault(contact_id, {})[agent_id] = seq
        rs.bars_by_agent.setdefault(agent_id, {})[contact_id] = None
    elif kind == QUEUE_DELAY_END:
        cr = rs.contacts.get(first) if isinstance(first, str) else None
        if cr is None or len(payload) != 1:
            return False
        cr.delay_timer = seq
    elif kind == WRAP_UP_END:
        ar = rs.agents.get(first) if isinstance(first, str) else None
        if ar is None or len(payload) != 2 or not isinstance(payload[1], str):
            return False
        ar.wrap_up_timers[payload[1]] = seq
    elif kind == OPENING_HOURS:
        channel = next((c for c in rs.hours if c.value == first), None)
        if channel is None or channel in rs.hours_timers or len(payload) != 2:
            return False
        if isinstance(payload[1], bool) or not isinstance(payload[1], int | float) or not math.isfinite(payload[1]):
            return False
        rs.hours_timers[channel] = seq
    else:
        conv = rs.conversations.get(first) if isinstance(first, str) else None
        if conv is None or len(payload) != 1:
            return False
        conv.ttl_timer = seq
    return True


def _shut(value: Any) -> dict[Channel, float | None]:
    return {Channel(channel): None if opens is None else _finite(opens) for channel, opens in value.items()}


# ------------------------------------------------------------------------------------------ readers
# Each raises SnapshotError naming the path; any other error a model raises on bad data becomes one too.

_BAD_DATA = (RoutekitError, TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError)


def _read(path: str, build: Callable[[Any], T], data: Any) -> T:
    """``build(data)``, with any error it raises on bad data turned into a SnapshotError at ``path``."""
    try:
        return build(data)
    except SnapshotError as error:
        inner = f"{path}.{error.path}" if error.path and not error.path.startswith("[") else path + error.path
        raise SnapshotError(inner, str(error).split(": ", 1)[-1]) from None
    except _BAD_DATA as error:
        message = str(error) if str(error) else type(error).__name__
        raise SnapshotError(path, message.strip("'\"")) from None


def _field(data: Any, key: str, kind: Any, path: str) -> Any:
    where = f"{path}.{key}" if path else key
    if not isinstance(data, Mapping):
        raise SnapshotError(path, f"expected a mapping, got {type(data).__name__}")
    if key not in data:
        raise SnapshotError(where, "missing")
    value = data[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, float, (int, float))):
        raise SnapshotError(where, f"wrong type: {type(value).__name__} {value!r}")
    return value


def _items(snapshot: Mapping[str, Any], key: str) -> Any:
    return enumerate(_field(snapshot, key, list, ""))


def _count(data: Any, key: str, path: str) -> int:
    value = _field(data, key, int, path)
    if isinstance(value, bool) or value < 0:
        raise SnapshotError(f"{path}.{key}" if path else key, f"not a count: {value!r}")
    return int(value)


def _time(data: Any, key: str, path: str, missing: float | None = None) -> float:
    value = _field(data, key, (int, float) if missing is None else (int, float, type(None)), path)
    if value is None:
        return missing  # type: ignore[return-value]
    if isinstance(value, bool) or not math.isfinite(value):
        raise SnapshotError(f"{path}.{key}", f"not a finite time: {value!r}")
    return float(value)


def _finite(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"not a finite time: {value!r}")
    return float(value)


def _id(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"not an id: {value!r}")
    return value


def _optional_id(value: Any) -> str | None:
    return None if value is None else _id(value)


def _triple(entry: Any) -> tuple[Any, Any, Any]:
    if not isinstance(entry, list | tuple) or len(entry) != 3:
        raise ValueError(f"expected three items, got {entry!r}")
    return entry[0], entry[1], entry[2]


def _pair(entry: Any) -> tuple[Any, Any]:
    if not isinstance(entry, list | tuple) or len(entry) != 2:
        raise ValueError(f"expected two items, got {entry!r}")
    return entry[0], entry[1]


def _tally(entry: Any) -> Tally:
    """[last start, last wait, gaps, gap time, abandons, waited, pool gaps, pool gap time]: the first two
    may be None, the rest are finite and >= 0."""
    if not isinstance(entry, list | tuple) or len(entry) != 8:
        raise ValueError(
            "expected [last_start, last_wait, gaps, gap_time, abandons, waited, pool_gaps, pool_gap_time],"
            f" got {entry!r}"
        )
    last_start, last_wait = (None if value is None else _finite(value) for value in entry[:2])
    sums = [_finite(value) for value in entry[2:]]
    if (last_wait is not None and last_wait < 0) or min(sums) < 0:
        raise ValueError(f"a wait, count or time below 0: {entry!r}")
    return Tally(last_start, last_wait, *sums)


def _decided(values: Any) -> list[tuple[float, bool]]:
    decided = []
    for pair in values:
        waited, answered = _pair(pair)
        if not isinstance(answered, bool):
            raise ValueError(f"expected [waited, answered], got {pair!r}")
        decided.append((_finite(waited), answered))
    return decided


def _timer(entry: Any) -> tuple[float, TimerKind, tuple[Any, ...], int]:
    if not isinstance(entry, list | tuple) or len(entry) != 4:
        raise ValueError(f"expected [due, kind, payload, seq], got {entry!r}")
    due, kind, payload, seq = entry
    if isinstance(kind, bool) or not isinstance(payload, list | tuple):
        raise ValueError(f"expected [due, kind, payload, seq], got {entry!r}")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise ValueError(f"not a timer seq: {seq!r}")
    return _finite(due), TimerKind(kind), tuple(payload), seq


def _outcomes(value: Any) -> dict[str, tuple[str, Any]]:
    outcomes: dict[str, tuple[str, Any]] = {}
    for contact_id, entry in value.items():
        if not isinstance(entry, list | tuple) or len(entry) != 6 or not isinstance(entry[0], str):
            raise ValueError(f"{contact_id!r}: expected [outcome, agent, stage, rule, selection, at], got {entry!r}")
        outcomes[_id(contact_id)] = (entry[0], tuple(entry[1:]))
    return outcomes


def _finished_order(value: Any) -> list[tuple[float, str, bool]]:
    order = []
    for entry in value:
        at, key = _pair(entry)
        if not isinstance(key, str) or not key.startswith(("contact:", "conversation:")):
            raise ValueError(f"not a finished id: {key!r}")
        conversation = key.startswith("conversation:")
        order.append((_finite(at), key[13:] if conversation else key[8:], conversation))
    return order


def _contact_record(data: Any) -> ContactRecord:
    contact = _read("contact", contact_from_data, _field(data, "contact", Mapping, ""))
    stages = _field(data, "plan", list, "")
    if not stages:
        raise SnapshotError("plan", "a plan has at least one stage")
    plan = Plan([_read(f"plan[{k}]", stage_from_data, stage) for k, stage in enumerate(stages)])
    stage = _count(data, "stage", "")
    if stage >= len(plan.stages):
        raise SnapshotError("stage", f"{stage} is not a stage of a {len(plan.stages)}-stage plan")
    priority = _field(data, "priority", int, "")
    state = _read("state", ContactState, _field(data, "state", str, ""))
    offer_rule = _field(data, "offer_rule", (list, type(None)), "")
    decision = _field(data, "decision", (list, type(None)), "")
    if decision is not None and len(decision) != 5:
        raise SnapshotError("decision", f"expected [agent, stage, rule, selection, at], got {decision!r}")
    if offer_rule is not None and len(offer_rule) != 3:
        raise SnapshotError("offer_rule", f"expected [stage, rule, selection], got {offer_rule!r}")
    overflowed = data.get("overflowed", False)  # absent from snapshots taken before exception rules
    if not isinstance(overflowed, bool):
        raise SnapshotError("overflowed", f"expected true or false, got {overflowed!r}")
    cr = ContactRecord(
        contact=contact,
        plan=plan,
        stage=stage,
        priority=priority,
        arrival=_time(data, "arrival", ""),
        seq=_count(data, "seq", ""),
        clock_start=_time(data, "clock_start", ""),
        state=state,
        agent=_field(data, "agent", (str, type(None)), ""),
        offered_at=_time(data, "offered_at", "", missing=math.nan),
        stage_since=_time(data, "stage_since", "", missing=math.nan),
        offer_rule=None if offer_rule is None else tuple(offer_rule),
        decision=None if decision is None else tuple(decision),
    )
    cr.overflowed = overflowed
    return cr


def _conversation_record(data: Any) -> ConversationRecord:
    record_data = _field(data, "record", Mapping, "")
    record = Conversation(
        id=record_data["id"],
        customer=_read("record.customer", customer_from_data, record_data["customer"]),
        channel=record_data["channel"],
        turns=record_data["turns"],
        agents=record_data["agents"],
        context=record_data["context"],
    )
    return ConversationRecord(
        record=record,
        status=_read("status", ConversationStatus, _field(data, "status", str, "")),
        turn=_field(data, "turn", str, ""),
        first=_read("first", contact_from_data, _field(data, "first", Mapping, "")),
    )


def _canonical(data: Mapping[str, Any]) -> str:
    """A stable sort key for a target's data."""
    return json.dumps(data, sort_keys=True)


# ------------------------------------------------------------------------------------- plain-data codecs
def agent_to_data(agent: Agent) -> dict[str, Any]:
    """An agent as plain data (the snapshot's, and the durable journal's)."""
    return {
        "id": agent.id,
        "skills": dict(agent.skills),
        "capacity": {c.value: n for c, n in agent.capacity.items()},
        "teams": sorted(agent.teams),
        "wrap_up": {c.value: s for c, s in agent.wrap_up.items()},
        # Written only when the agent ranks targets, so that other agents' data is what it always was.
    } | _queue_priorities_to_data(agent)


def _queue_priorities_to_data(agent: Agent) -> dict[str, Any]:
    # Written only when the agent ranks targets, so that every other agent's data is what it always was.
    if not agent.queue_priorities:
        return {}
    return {"queue_priorities": {rule: list(entry) for rule, entry in agent.queue_priorities.items()}}


def agent_from_data(data: Mapping[str, Any]) -> Agent:
    """The agent :func:`agent_to_data` wrote."""
    return Agent(
        id=data["id"],
        skills=data["skills"],
        capacity=data["capacity"],
        teams=frozenset(data["teams"]),
        wrap_up=data["wrap_up"],
        queue_priorities=data.get("queue_priorities"),
    )


def customer_to_data(customer: Customer) -> dict[str, Any]:
    return {"id": customer.id, "tier": customer.tier, "attributes": dict(customer.attributes)}


def customer_from_data(data: Mapping[str, Any]) -> Customer:
    return Customer(id=data["id"], tier=data["tier"], attributes=data["attributes"])


def contact_to_data(contact: Contact) -> dict[str, Any]:
    """A contact, with its customer, as plain data."""
    return {
        "id": contact.id,
        "customer": customer_to_data(contact.customer),
        "channel": contact.channel.value,
        "skills": dict(contact.skills),
        "priority": contact.priority,
        "arrived_at": contact.arrived_at,
        "head_start": contact.head_start,
        "context": dict(contact.context),
        "conversation_id": contact.conversation_id,
        "served_by": list(contact.served_by),
    }


def contact_from_data(data: Mapping[str, Any]) -> Contact:
    """The contact :func:`contact_to_data` wrote."""
    fields = dict(data)
    fields["customer"] = customer_from_data(fields["customer"])
    fields["served_by"] = tuple(fields["served_by"])
    return Contact(**fields)


def target_to_data(target: Target) -> dict[str, Any]:
    """A stage target as plain data."""
    return {
        "channel": target.channel.value,
        "skills": [list(s) for s in target.skills],
        "team": target.team,
        "agent": target.agent,
        "rule": target.rule,
    }


def target_from_data(data: Mapping[str, Any]) -> Target:
    """The target :func:`target_to_data` wrote."""
    return Target(
        channel=data["channel"],
        skills=[tuple(s) for s in data["skills"]],
        team=data["team"],
        agent=data["agent"],
        rule=data["rule"],
    )


def stage_to_data(stage: Stage) -> dict[str, Any]:
    """A plan's stage as plain data."""
    return {
        "target": target_to_data(stage.target),
        "timeout": stage.timeout,
        "boost": stage.boost,
        "skip_if": stage.skip_if,
    }


def stage_from_data(data: Mapping[str, Any]) -> Stage:
    """The stage :func:`stage_to_data` wrote."""
    return Stage(
        target=target_from_data(data["target"]),
        timeout=data["timeout"],
        boost=data["boost"],
        skip_if=data.get("skip_if"),
    )


def rule_to_data(rule: ExceptionRule) -> dict[str, Any]:
    """An exception rule as plain data."""
    return {
        "name": rule.name,
        "trigger": rule.trigger,
        "threshold": rule.threshold,
        "action": rule.action,
        "within": rule.within,
        "by": rule.by,
        "target": None if rule.target is None else target_to_data(rule.target),
        "reason": rule.reason,
    }


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise ValueError(f"expected a list, got {value!r}")
    return list(value)


def rule_from_data(data: Mapping[str, Any]) -> ExceptionRule:
    """The exception rule :func:`rule_to_data` wrote."""
    target = data["target"]
    return ExceptionRule(
        name=data["name"],
        trigger=data["trigger"],
        threshold=data["threshold"],
        action=data["action"],
        within=data["within"],
        by=data["by"],
        target=None if target is None else target_from_data(target),
        reason=data["reason"],
    )


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
        "wait_predictor": settings.wait_predictor,
        "live_statistics": settings.live_statistics,
        "queue_limits": dict(sorted(settings.queue_limits.items())),
        "queue_fallback": {c.value: to.value for c, to in sorted(settings.queue_fallback.items())},
        "epoch": settings.epoch,
        "hours": {c.value: hours.to_data() for c, hours in sorted(settings.hours.items(), key=lambda i: i[0].value)},
        # Written only when set, so that a snapshot of a router with the default is what it always was.
        **({"offers_per_agent": settings.offers_per_agent} if settings.offers_per_agent != 1 else {}),
        "exception_rules": {
            key: [rule_to_data(rule) for rule in listed] for key, listed in sorted(settings.exception_rules.items())
        },
    }
