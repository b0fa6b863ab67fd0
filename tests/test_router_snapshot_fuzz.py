"""Damaged snapshots (#18): ``Router.restore`` refuses them with ``SnapshotError``, or restores a sound router.

A random stream of valid calls fills a router; its snapshot is damaged at random (an entry dropped or
duplicated, a number made NaN, infinite, negative or a string, an id replaced by an unknown one, the
queues emptied, the timers dropped, the timer sequence lowered, a state string or a stage changed, ...).
Restoring it either raises ``SnapshotError`` or builds a router whose ``_check()`` holds and which makes
the same decisions on the same next calls as a router restored from its own re-snapshot. No other
exception may escape ``restore``.

The number of examples is three times ``ROUTEKIT_FUZZ_EXAMPLES`` (default 300, as for
``test_router_fuzz``): a damaged snapshot costs a few milliseconds.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import routekit as rk
from routekit.policies import Skills, Sticky, mobile_support

EXAMPLES = int(os.environ.get("ROUTEKIT_FUZZ_EXAMPLES", "300"))

AGENT_IDS = ["a0", "a1", "a2"]
CHANNELS = [rk.Channel.VOICE, rk.Channel.CHAT, rk.Channel.MESSAGING, rk.Channel.VIDEO]
POLICIES: list[Any] = [
    Skills(relax=[(20, "any")]),
    mobile_support(hold=20.0, window=30.0, park_ttl=100.0, vip_overflow=15.0),
    Sticky(10.0, 20.0, park_ttl=50.0, then=Skills(relax=[(20, "any")])),
]
OPS = ["submit", "submit", "submit", "accept", "accept", "reject", "complete", "await", "reply", "abandon"]
OPS += ["advance", "advance", "status", "wrap", "transfer", "reprioritize"]
STATES = ["waiting", "offered", "assigned", "held", "available", "away", "offline", "active", "parked", "", "x"]

calls = st.lists(
    st.tuples(st.sampled_from(OPS), st.integers(0, 999), st.sampled_from([0.0, 0.0, 1.0, 5.0, 20.0, 45.0])),
    max_size=40,
)


def roundtrip(data: Any) -> Any:
    return json.loads(json.dumps(data))


def text(snapshot: Any) -> str:
    """A snapshot as JSON text, which compares equal where the data holds NaN (NaN != NaN)."""
    return json.dumps(snapshot)


def outcome(call: Any) -> tuple[str, Any]:
    try:
        return ("ok", call())
    except rk.RoutekitError as error:
        return (type(error).__name__, error.events)


def build(policy: Any) -> rk.Router:
    router = rk.Router(policy, wrap_up=5.0, retention=200.0, reoffer_delay=10.0)
    for agent_id in AGENT_IDS:
        agent = rk.Agent(
            id=agent_id,
            skills={"billing": 3},
            capacity={rk.Channel.VOICE: 1, rk.Channel.CHAT: 2, rk.Channel.MESSAGING: 2, rk.Channel.VIDEO: 1},
            teams=frozenset({"vip"}),
        )
        router.add_agent(agent, 0.0)
    return router


def step(router: rk.Router, op: str, pick: int, now: float, number: int) -> tuple[str, Any]:
    """One valid-looking call, chosen from the router's state by ``pick``; its outcome."""
    contacts = sorted(f"c{i}" for i in range(number) if router.state(f"c{i}") is not None)
    offers = [(o, a) for a in router.agents() if (o := router.agent_state(a).offer) is not None]

    def one(items: list[Any]) -> Any:
        return items[pick % len(items)] if items else None

    if op == "submit":
        contact = rk.Contact(
            id=f"c{number}",
            customer=rk.Customer(id=f"u{pick % 3}", tier=["standard", "gold", "platinum"][pick % 3]),
            channel=CHANNELS[pick % 4],
            skills={"billing": 1 + pick % 4} if pick % 2 else {},
            priority=pick % 3,
        )
        return outcome(lambda: router.submit(contact, now))
    if op in ("accept", "reject") and offers:
        contact_id, agent_id = one(offers)
        return outcome(lambda: getattr(router, op)(contact_id, agent_id, now))
    if op == "status":
        status = list(rk.AgentStatus)[pick % 3]
        return outcome(lambda: router.set_status(one(AGENT_IDS), status, now))
    if op == "wrap":
        return outcome(lambda: router.end_wrap_up(one(AGENT_IDS), now))
    if op == "reply":
        return outcome(lambda: router.customer_replied(f"c{pick % max(number, 1)}", now))
    if op in ("advance", "accept", "reject") or not contacts:
        deadline = router.next_deadline()
        return outcome(lambda: router.advance(now if deadline is None else max(now, deadline)))
    contact_id = one(contacts)
    if op == "await":
        return outcome(lambda: router.await_customer(contact_id, now))
    if op == "reprioritize":
        return outcome(lambda: router.reprioritize(contact_id, pick % 4, now))
    return outcome(lambda: getattr(router, op)(contact_id, now))


def drive(router: rk.Router, ops: list[tuple[str, int, float]], number: int) -> tuple[list[Any], int]:
    """Make the calls ``ops`` names, from the router's time on; their outcomes, and the next contact number."""
    now = max(router.now, 0.0)
    outcomes = []
    for op, pick, gap in ops:
        now += gap
        outcomes.append(step(router, op, pick, now, number))
        now = max(now, router.now)
        number += op == "submit"
    return outcomes, number


def paths(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a snapshot's tree: keys of mappings and indexes of lists."""
    found = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            found += paths(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += paths(value, (*path, index))
    return found


def at(data: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        data = data[key]
    return data


def ids_in(data: Any) -> list[str]:
    return sorted({value for p in paths(data) if isinstance(value := at(data, p), str) and value[:1] in "ac"})


@st.composite
def damage(draw: st.DrawFn, snapshot: dict[str, Any], *, named: bool = True) -> tuple[str, dict[str, Any]]:
    """One random damage to a copy of ``snapshot``, and what it was; ``named``: the named ones too, else any."""
    data = roundtrip(snapshot)
    kinds = ["queues", "timers", "timer_seq", "stage", "state", "now", "any", "any", "any"]
    kind = draw(st.sampled_from(kinds)) if named else "any"
    if kind == "queues" and data["queues"]:
        data["queues"] = []
        return "emptied the queues", data
    if kind == "timers" and data["timers"]:
        data["timers"] = draw(st.sampled_from([[], data["timers"][1:], data["timers"][:-1]]))
        return "dropped timers", data
    if kind == "timer_seq":
        data["timer_seq"] = draw(st.sampled_from([0, max(data["timer_seq"] - 1, 0), -1]))
        return "lowered timer_seq", data
    if kind == "stage" and data["contacts"]:
        contact = draw(st.sampled_from(data["contacts"]))
        contact["stage"] = draw(st.sampled_from([contact["stage"] + 1, contact["stage"] - 1, 99, "0", None]))
        return f"contact {contact['contact']['id']} stage", data
    if kind == "state" and (data["contacts"] or data["agents"]):
        record = draw(st.sampled_from([*data["contacts"], *data["agents"]]))
        key = "state" if "state" in record else "status"
        record[key] = draw(st.sampled_from(STATES))
        return f"{key} to {record[key]!r}", data
    if kind == "now":
        data["now"] = draw(st.sampled_from([math.nan, math.inf, -1.0, "5", None, (data["now"] or 0.0) + 1000.0]))
        return f"{('now',)}: {snapshot['now']!r} to {data['now']!r}", data
    every = paths(data)[1:]
    where = draw(st.sampled_from(every))
    parent, key = at(data, where[:-1]), where[-1]
    value = parent[key]
    if isinstance(value, list):
        how = draw(st.sampled_from(["drop", "duplicate", "empty", "reverse", "not-a-list"]))
        if how == "drop" and value:
            value.pop(draw(st.integers(0, len(value) - 1)))
        elif how == "duplicate" and value:
            value.append(roundtrip(value[draw(st.integers(0, len(value) - 1))]))
        elif how == "empty":
            parent[key] = []
        elif how == "reverse":
            value.reverse()
        else:
            parent[key] = {"x": 1}
    elif isinstance(value, dict):
        how = draw(st.sampled_from(["drop-key", "add-key", "not-a-dict", "empty"]))
        if how == "drop-key" and value:
            del value[draw(st.sampled_from(sorted(value)))]
        elif how == "add-key":
            value["zz-unknown"] = 1
        elif how == "empty":
            parent[key] = {}
        else:
            parent[key] = [1, 2]
    elif isinstance(value, bool):
        parent[key] = draw(st.sampled_from([not value, "yes", None, 1]))
    elif isinstance(value, int | float):
        parent[key] = draw(
            st.sampled_from([math.nan, math.inf, -math.inf, -1, -value - 1, str(value), None, value + 1, 1e18])
        )
    elif isinstance(value, str):
        ids = ids_in(snapshot)
        parent[key] = draw(st.sampled_from(["zz-unknown", "", 5, None, *STATES[:4], *ids[:6]]))
    else:
        parent[key] = draw(st.sampled_from([0, "x", math.nan, [], {}]))
    return f"{where}: {value!r} to {parent[key]!r}", data


@settings(
    max_examples=3 * EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(policy=st.sampled_from(range(len(POLICIES))), before=calls, after=calls, data=st.data())
def test_a_damaged_snapshot_is_refused_or_restores_a_sound_router(
    policy: int, before: list[Any], after: list[Any], data: st.DataObject
) -> None:
    """A damaged snapshot raises SnapshotError, or restores a sound router that decides as its own re-snapshot does."""
    original = build(POLICIES[policy])
    _, number = drive(original, before, 0)
    snapshot = roundtrip(original.snapshot())
    what, damaged = data.draw(damage(snapshot))
    if data.draw(st.integers(0, 3)) == 0:  # now and then, two damages at once
        more, damaged = data.draw(damage(damaged, named=False))
        what = f"{what}; {more}"
    try:
        restored = rk.Router.restore(roundtrip(damaged), POLICIES[policy])
    except rk.SnapshotError:
        return
    restored._check()
    twin = rk.Router.restore(roundtrip(restored.snapshot()), POLICIES[policy])
    assert text(restored.snapshot()) == text(twin.snapshot()), what
    now = max(restored.now, 0.0)
    for op, pick, gap in after:
        now += gap
        mine = step(restored, op, pick, now, number)
        theirs = step(twin, op, pick, now, number)
        assert repr(theirs) == repr(mine), f"{what}; {op} at {now}"
        restored._check()
        now = max(now, restored.now)
        number += op == "submit"


@settings(max_examples=max(EXAMPLES // 3, 50), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policy=st.sampled_from(range(len(POLICIES))), before=calls)
def test_a_snapshot_restores_to_itself(policy: int, before: list[Any]) -> None:
    """An undamaged snapshot restores a router whose snapshot is the same, so the mutations start from sound data."""
    original = build(POLICIES[policy])
    drive(original, before, 0)
    snapshot = roundtrip(original.snapshot())
    assert snapshot == roundtrip(rk.Router.restore(snapshot, POLICIES[policy]).snapshot())


# ------------------------------------------------------------------------------------- restore bugs the fuzzer found
# Each damage below was once accepted, or escaped restore as a raw error; each is a regression test now.


def waiting_snapshot() -> dict[str, Any]:
    """A snapshot with a finished contact (at 2) and a contact waiting (since 3) at a two-stage plan's first stage."""
    router = rk.Router(Skills(relax=[(20, "any")]))
    router.add_agent(rk.Agent(id="a0", capacity={"voice": 1}, skills={"billing": 1}), 0.0)
    router.submit(rk.Contact(id="c0", customer=rk.Customer(id="u0"), channel="voice"), 1.0)
    router.abandon("c0", 2.0)
    contact = rk.Contact(id="c1", customer=rk.Customer(id="u0"), channel="voice", skills={"billing": 3})
    router.submit(contact, 3.0)
    snapshot: dict[str, Any] = roundtrip(router.snapshot())
    return snapshot


def restore(snapshot: dict[str, Any]) -> rk.Router:
    return rk.Router.restore(snapshot, Skills(relax=[(20, "any")]))


def test_restore_refuses_a_now_earlier_than_the_times_it_holds() -> None:
    """A snapshot whose now is before a finish and an arrival it records is refused, naming now."""
    snapshot = waiting_snapshot()
    snapshot["now"] = 1.5
    with pytest.raises(rk.SnapshotError, match="now"):
        restore(snapshot)


def test_restore_refuses_a_target_whose_team_is_not_a_string() -> None:
    """A list where a stage target's team belongs is refused with SnapshotError, not a raw TypeError."""
    snapshot = waiting_snapshot()
    snapshot["contacts"][0]["plan"][0]["target"]["team"] = []
    with pytest.raises(rk.SnapshotError):
        restore(snapshot)


def test_restore_refuses_a_target_whose_skill_level_is_infinite() -> None:
    """An infinite minimum level in a stage target is refused with SnapshotError, not a raw OverflowError."""
    snapshot = waiting_snapshot()
    snapshot["contacts"][0]["plan"][0]["target"]["skills"][0][1] = math.inf
    with pytest.raises(rk.SnapshotError):
        restore(snapshot)


def test_restore_refuses_a_later_stage_whose_boost_is_not_an_integer() -> None:
    """A later stage whose boost is None is refused at restore, not left to break the stage timeout."""
    snapshot = waiting_snapshot()
    snapshot["contacts"][0]["plan"][1]["boost"] = None
    with pytest.raises(rk.SnapshotError):
        restore(snapshot)


def test_restore_refuses_settings_whose_offer_timeouts_are_not_a_mapping() -> None:
    """A list where the offer timeouts belong is refused with SnapshotError naming settings."""
    snapshot = waiting_snapshot()
    snapshot["settings"]["offer_timeout"] = [1, 2]
    with pytest.raises(rk.SnapshotError, match="settings"):
        restore(snapshot)


def test_restore_refuses_an_answer_window_that_is_not_a_whole_number() -> None:
    """An infinite answer window is refused at restore, not left to break the first answer's deque."""
    snapshot = waiting_snapshot()
    snapshot["settings"]["answer_window"] = math.inf
    with pytest.raises(rk.SnapshotError, match="settings"):
        restore(snapshot)


def test_restore_refuses_exception_rules_that_are_not_a_list() -> None:
    """A target's exception rules that are not a list are refused at their path, not with a TypeError."""
    snapshot = waiting_snapshot()
    snapshot["settings"]["exception_rules"] = {"voice": 1}
    with pytest.raises(rk.SnapshotError) as caught:
        restore(snapshot)
    assert caught.value.path == "settings.exception_rules.voice"
