"""Opening hours in the router (issue 22): one named test per rule, with the edges the issue names.

The epoch is Monday 7 December 2026, 08:00 UTC, and the calendar opens every day 09:00-17:00 UTC: the
router's t=3600 is the opening and t=32400 the closing. Every router is :class:`Checked`, so
``router._check()`` (the hours invariants included) runs after every call.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from checked import Checked

import routekit as rk
from routekit import (
    Agent,
    AgentStatus,
    Channel,
    ClockError,
    ConfigError,
    Contact,
    Customer,
    OpeningHours,
    Router,
    RouterSettings,
)
from routekit.events import ContactQueued, Denied, Offered, StageChanged, event_to_dict
from routekit.policies import Hold, Plan, Skills, Stage, Target

VOICE, MESSAGING, EMAIL = Channel.VOICE, Channel.MESSAGING, Channel.EMAIL
EPOCH = dt.datetime(2026, 12, 7, 8, tzinfo=dt.UTC)
OPENS, CLOSES = 3600.0, 32400.0
DAY = 86400.0
NINE_TO_FIVE = OpeningHours(weekly={day: [("09:00", "17:00")] for day in range(7)}, timezone="UTC")


class TwoStages:
    """A plan of two stages on the contact's channel, the first lasting ``timeout`` seconds (billing >= 3),
    the second open to anyone on the channel; a conversation holds 100 s and stays parked two days."""

    def __init__(self, timeout: float = 60.0) -> None:
        self.timeout = timeout

    def plan(self, contact: Contact, now: float) -> Plan:
        return Plan(
            stages=(
                Stage(target=Target(channel=contact.channel, skills={"billing": 3}), timeout=self.timeout),
                Stage(target=Target(channel=contact.channel)),
            )
        )

    def hold(self, contact: Contact) -> Hold | None:
        return Hold(hold=100.0, park_ttl=2 * DAY)


def router(policy: Any = None, **settings: Any) -> Any:
    fields = {"epoch": EPOCH, "hours": {VOICE: NINE_TO_FIVE, MESSAGING: NINE_TO_FIVE}, **settings}
    return Checked(Router(policy or TwoStages(), **fields))


def agent(agent_id: str = "ana", **capacity: int) -> Agent:
    return Agent(id=agent_id, skills={"billing": 4}, capacity=capacity or {"voice": 1, "messaging": 2})


def contact(contact_id: str, channel: Channel, **fields: Any) -> Contact:
    return Contact(id=contact_id, customer=Customer(id=f"u-{contact_id}"), channel=channel, **fields)


def types(events: list[Any]) -> list[str]:
    return [type(e).__name__ for e in events]


def test_a_voice_call_while_closed_is_denied_closed_with_the_reopening() -> None:
    """A synchronous contact outside hours gets only Denied(reason="closed"), with reopens_at the opening."""
    r = router()
    r.add_agent(agent(), 0.0)
    assert [
        Denied(
            at=10.0,
            contact_id="v-1",
            channel=VOICE,
            tier="standard",
            reason="closed",
            rule="hours:voice",
            reopens_at=OPENS,
        )
    ] == r.submit(contact("v-1", VOICE), 10.0)
    assert "finished" == r.explain("v-1").state


def test_a_message_while_closed_waits_and_is_offered_at_the_opening_instant() -> None:
    """An asynchronous contact is accepted while closed; its clock starts at the opening, when it is offered."""
    r = router()
    r.add_agent(agent(), 0.0)
    queued = r.submit(contact("m-1", MESSAGING), 10.0)
    assert [ContactQueued] == [type(e) for e in queued]
    assert OPENS == queued[0].arrived_at
    assert [] == r.advance(OPENS - 1)
    offered = r.advance(OPENS)
    assert [("Offered", OPENS)] == [(type(e).__name__, e.at) for e in offered]
    assert OPENS == r.accept("m-1", "ana", OPENS + 5)[0].waited + OPENS - 5


def test_a_stage_timer_entered_while_closed_counts_from_the_opening() -> None:
    """A message waiting overnight with nobody able to take stage 0 moves to stage 1 sixty seconds after the
    opening, not sixty seconds after it arrived."""
    r = router()
    r.add_agent(Agent(id="bob", skills={"billing": 1}, capacity={"messaging": 1}), 0.0, AgentStatus.AWAY)
    r.submit(contact("m-1", MESSAGING, skills={"billing": 3}), 10.0)
    assert OPENS + 60 == r.explain("m-1").stage_ends_at
    r.set_status("bob", AgentStatus.AVAILABLE, 100.0)
    moved = r.advance(OPENS + 60)
    assert ["StageChanged", "Offered"] == types(moved)
    assert OPENS + 60 == moved[0].at


def test_at_the_closing_waiting_calls_are_still_served_and_new_calls_denied() -> None:
    """Open to closed with calls waiting: those keep waiting and are offered when an agent frees up, as
    centers do; a call arriving after the closing is denied."""
    r = router()
    r.add_agent(agent(), OPENS)
    r.submit(contact("v-1", VOICE), OPENS + 10)
    r.accept("v-1", "ana", OPENS + 11)
    assert ["ContactQueued"] == types(r.submit(contact("v-2", VOICE), CLOSES - 5))
    assert ["Denied"] == types(r.submit(contact("v-3", VOICE), CLOSES))
    completed = r.complete("v-1", CLOSES + 30)
    assert ["Completed", "Offered"] == types(completed)
    assert "v-2" == completed[1].contact_id


def test_at_the_closing_waiting_messages_stop_being_offered_until_the_opening() -> None:
    """Open to closed with messages waiting: a freed agent is offered none of them until the next opening
    (their stage timers, set while open, keep running: the stage changes overnight without an offer)."""
    r = router()
    r.add_agent(agent(messaging=1), OPENS)
    r.submit(contact("m-1", MESSAGING), OPENS + 10)
    r.accept("m-1", "ana", OPENS + 11)
    r.submit(contact("m-2", MESSAGING), CLOSES - 5)
    assert ["Completed", "ConversationClosed"] == types(r.complete("m-1", CLOSES + 30))
    assert "messaging is closed (opening hours) until t=90000" == r.explain("m-2").agents[0].reason
    reopened = r.advance(OPENS + DAY)
    assert [("StageChanged", "m-2", CLOSES + 55), ("Offered", "m-2", OPENS + DAY)] == [
        (type(e).__name__, e.contact_id, e.at) for e in reopened
    ]


def test_an_offer_pending_at_the_closing_stays_pending() -> None:
    """The closing rescinds nothing: a message offered before it can still be accepted after it."""
    r = router()
    r.add_agent(agent(), OPENS)
    r.submit(contact("m-1", MESSAGING), CLOSES - 5)
    assert ["Assigned"] == types(r.accept("m-1", "ana", CLOSES + 5))


def test_a_stage_timeout_at_the_opening_fires_before_the_opening() -> None:
    """Timers due at the same moment fire by kind: the stage timeout (still closed: no offer), then the opening,
    whose matching offers the contact at its new stage."""
    # A first stage entered 60 s before the closing that times out at the next day's opening instant.
    r = router(policy=TwoStages(timeout=DAY - (CLOSES - OPENS) + 60))
    r.add_agent(Agent(id="bob", skills={"billing": 1}, capacity={"messaging": 1}), OPENS)
    r.submit(contact("m-1", MESSAGING, skills={"billing": 3}), CLOSES - 60)
    assert OPENS + DAY == r.explain("m-1").stage_ends_at
    events = r.advance(OPENS + DAY)
    assert [StageChanged, Offered] == [type(e) for e in events]
    assert ("m-1", 1, OPENS + DAY) == (events[1].contact_id, events[1].stage, events[1].at)


def test_a_stage_timeout_at_the_closing_fires_first_and_may_still_offer() -> None:
    """A stage timeout due at the closing instant fires before the closing, so its matching still offers."""
    r = router()
    r.add_agent(Agent(id="bob", skills={"billing": 1}, capacity={"messaging": 1}), OPENS)
    r.submit(contact("m-1", MESSAGING, skills={"billing": 3}), CLOSES - 60)
    assert CLOSES == r.explain("m-1").stage_ends_at
    events = r.advance(CLOSES)
    assert [("StageChanged", CLOSES), ("Offered", CLOSES)] == [(type(e).__name__, e.at) for e in events]


def test_a_holiday_keeps_the_channel_closed_all_day() -> None:
    """On a holiday no opening happens: a call is denied with the next day's opening as reopens_at."""
    hours = OpeningHours(weekly=NINE_TO_FIVE.to_data()["weekly"], holidays=["2026-12-07"], timezone="UTC")
    r = router(hours={VOICE: hours})
    r.add_agent(agent(), 0.0)
    denied = r.submit(contact("v-1", VOICE), OPENS + 100)
    assert ("closed", OPENS + DAY) == (denied[0].reason, denied[0].reopens_at)


def test_hours_in_a_time_zone_follow_its_dst_change() -> None:
    """09:00-17:00 in Paris across the end of summer time (25 October 2026): Saturday opens at 07:00 UTC,
    Sunday and Monday at 08:00 UTC, so Sunday's opening is 25 hours after Saturday's and Monday's 24 after
    Sunday's."""
    paris = OpeningHours(weekly={day: [("09:00", "17:00")] for day in range(7)}, timezone="Europe/Paris")
    epoch = dt.datetime(2026, 10, 24, 12, tzinfo=dt.UTC)  # Saturday 14:00 in Paris: open
    r = router(epoch=epoch, hours={VOICE: paris})
    r.add_agent(agent(), 0.0)
    sunday = r.submit(contact("v-1", VOICE), 6 * 3600.0)[0].reopens_at  # Saturday 20:00 in Paris
    monday = r.submit(contact("v-2", VOICE), sunday + 9 * 3600)[0].reopens_at  # Sunday 19:00 in Paris
    saturday = dt.datetime(2026, 10, 24, 7, tzinfo=dt.UTC).timestamp()
    assert (25 * 3600.0, 24 * 3600.0) == (epoch.timestamp() + sunday - saturday, monday - sunday)


def test_a_reply_while_closed_opens_a_turn_that_waits_for_the_opening() -> None:
    """A parked conversation's reply after hours opens a new turn whose clock starts at the opening."""
    r = router()
    r.add_agent(agent(), OPENS)
    r.submit(contact("m-1", MESSAGING), OPENS + 10)
    r.accept("m-1", "ana", OPENS + 11)
    r.await_customer("m-1", OPENS + 20)
    r.advance(OPENS + 120)  # the hold runs out: parked
    replied = r.customer_replied("m-1", CLOSES + 100)
    assert ["Resumed", "ContactQueued"] == types(replied)
    assert OPENS + DAY == replied[1].arrived_at


def test_a_channel_never_open_denies_even_messages() -> None:
    """Hours with no weekday open: a message would wait forever, so it is denied closed, reopens_at None."""
    r = router(hours={MESSAGING: OpeningHours(weekly={})})
    r.add_agent(agent(), 0.0)
    denied = r.submit(contact("m-1", MESSAGING), 5.0)
    assert [("closed", None)] == [(e.reason, e.reopens_at) for e in denied]
    assert "reopens_at" not in repr(denied[0])
    assert "reopens_at" not in event_to_dict(denied[0])
    assert r.next_deadline() is None


def test_a_snapshot_carries_the_hours_and_the_restored_router_decides_the_same() -> None:
    """Restored from JSON while closed with a message waiting, a router opens and offers as the original does."""
    r = router()
    r.add_agent(agent(), 0.0)
    r.submit(contact("m-1", MESSAGING), 10.0)
    data = json.loads(json.dumps(r.snapshot()))
    restored = Checked(Router.restore(data, r.policy))
    assert {"messaging": OPENS, "voice": OPENS} == data["shut"]
    assert r.advance(OPENS) == restored.advance(OPENS)
    assert r.snapshot() == restored.snapshot()


def test_a_router_with_hours_takes_no_time_before_the_epoch() -> None:
    """now=0 is the epoch the calendars are read from: a call at a negative time is a ClockError."""
    r = router()
    with pytest.raises(ClockError):
        r.add_agent(agent(), -1.0)


@pytest.mark.parametrize(
    ("settings", "needle"),
    [
        ({"hours": {"voice": NINE_TO_FIVE}}, "hours for voice need an epoch (the moment of now=0), got None"),
        ({"epoch": dt.datetime(2026, 12, 7, 8)}, "epoch must be a timezone-aware datetime or a UNIX timestamp"),
        ({"epoch": float("nan")}, "epoch must be a timezone-aware datetime or a UNIX timestamp, got nan"),
        ({"epoch": 0, "hours": {"voice": "09:00-17:00"}}, "hours['voice'] must be an OpeningHours, got '09:00-17:00'"),
        ({"epoch": 0, "hours": {"phone": NINE_TO_FIVE}}, "phone"),
    ],
)
def test_a_bad_hours_setting_is_refused_naming_the_field_and_value(settings: dict[str, Any], needle: str) -> None:
    """Each bad epoch or hours value is a ConfigError at construction, naming the field and the value."""
    with pytest.raises(ConfigError) as caught:
        RouterSettings(**settings)
    assert needle in str(caught.value)


def test_the_epoch_is_kept_as_a_unix_timestamp() -> None:
    """A timezone-aware datetime and its UNIX timestamp make equal settings."""
    assert RouterSettings(epoch=EPOCH) == RouterSettings(epoch=EPOCH.timestamp())


def test_skills_relaxation_counts_from_the_opening() -> None:
    """The built-in Skills policy under hours: a message sent at night relaxes 30 s after the opening."""
    r = router(policy=Skills(relax=[(30, "any")]))
    r.add_agent(Agent(id="bob", skills={"tech": 2}, capacity={"messaging": 1}), 0.0)
    r.submit(contact("m-1", MESSAGING, skills={"billing": 3}), 10.0)
    assert OPENS + 30 == r.explain("m-1").stage_ends_at
    assert [("StageChanged", OPENS + 30), ("Offered", OPENS + 30)] == [
        (type(e).__name__, e.at) for e in r.advance(OPENS + 30)
    ]


def closed_snapshot() -> dict[str, Any]:
    """A snapshot taken while both channels are closed, a message waiting for the opening."""
    r = router()
    r.add_agent(agent(), 0.0)
    r.submit(contact("m-1", MESSAGING), 10.0)
    return json.loads(json.dumps(r.snapshot()))


@pytest.mark.parametrize(
    ("damage", "path"),
    [
        (lambda s: s["settings"]["hours"].__setitem__("voice", {"weekly": {"mon": "all day"}}), "settings.hours.voice"),
        (lambda s: s["settings"].__setitem__("hours", ["voice"]), "settings.hours"),
        (lambda s: s["settings"].__setitem__("epoch", None), "settings"),
        (lambda s: s.__setitem__("shut", {"email": 3600.0}), "shut"),
        (lambda s: s.__setitem__("shut", {"voice": "soon"}), "shut"),
        (lambda s: s["shut"].pop("voice"), "shut"),
        (lambda s: s["shut"].__setitem__("voice", 7200.0), "shut"),
        (lambda s: next(t for t in s["timers"] if t[1] == 6).__setitem__(2, ["fax", 0.0]), "timers[0]"),
        (lambda s: s.__setitem__("timers", [t for t in s["timers"] if t[1] != 6]), "shut"),
    ],
)
def test_a_damaged_hours_snapshot_is_refused_naming_the_path(damage: Any, path: str) -> None:
    """Bad hours settings, closed channels or hours timers in a snapshot are SnapshotErrors naming the path."""
    snapshot = closed_snapshot()
    damage(snapshot)
    with pytest.raises(rk.SnapshotError) as caught:
        Router.restore(snapshot, TwoStages())
    assert path == caught.value.path


def test_the_expected_wait_of_a_message_while_closed_counts_the_time_to_the_opening() -> None:
    """A message queued at the closing expects to wait until the opening, plus the usual estimate: one
    place over the answer rate (two answers on record, the window running from the first to now)."""
    r = router()
    r.add_agent(agent(messaging=1), OPENS)
    for n, at in enumerate((OPENS + 10, OPENS + 70)):
        r.submit(contact(f"m-{n}", MESSAGING), at)
        r.accept(f"m-{n}", "ana", at)
        r.complete(f"m-{n}", at + 5)
    r.submit(contact("m-late", MESSAGING), CLOSES)
    assert (OPENS + DAY - CLOSES) + (CLOSES - (OPENS + 10)) == r.expected_wait("m-late", CLOSES)
