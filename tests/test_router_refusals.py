"""Bad calls are refused and corrupt nothing: one named test per hole issue 18 found in the router.

Each test failed before the change it names: a wrong type raised a raw ``TypeError`` after the due timers
had fired (losing their events), a foreign conversation id corrupted another conversation, a transfer
broke an agent's capacity, a damaged snapshot restored a broken router or raised a raw ``KeyError``, equal
states gave unequal snapshots, a future arrival gave negative waits, a frozen agent's capacity could be
changed, and two threads could enter one router at once.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable
from typing import Any

import pytest
from checked import Checked

import routekit as rk
from routekit.events import (
    AgentStatusChanged,
    ConversationClosed,
    Offered,
    OfferExpired,
)
from routekit.policies import Plan, Skills, Stage, Sticky, Target

VOICE, CHAT, MESSAGING = rk.Channel.VOICE, rk.Channel.CHAT, rk.Channel.MESSAGING


def customer() -> rk.Customer:
    return rk.Customer(id="u-1")


def contact(contact_id: str, channel: rk.Channel | str = VOICE, **fields: Any) -> rk.Contact:
    return rk.Contact(id=contact_id, customer=customer(), channel=channel, **fields)


def staffed(policy: Any = None, **settings: Any) -> rk.Router:
    """A router with one agent on voice, chat and messaging."""
    router = rk.Router(policy or Skills(), **settings)
    router.add_agent(rk.Agent(id="ana", capacity={"voice": 1, "chat": 2, "messaging": 2}), 0.0)
    return router


def ringing() -> rk.Router:
    """A router whose only agent holds a voice offer that expires at 20.0."""
    router = staffed()
    router.submit(contact("c-1"), 0.0)
    return router


def refused_unchanged(router: rk.Router, call: Callable[[], Any], error: type[Exception], now: float) -> Any:
    """Refuse ``call`` with ``error``; the router then equals a twin advanced to ``now``, and the error carries
    exactly the twin's timer events."""
    twin = rk.Router.restore(json.loads(json.dumps(router.snapshot())), router.policy)
    fired = twin.advance(now) if now >= twin.now else []
    with pytest.raises(error) as caught:
        call()
    assert fired == caught.value.events
    assert twin.snapshot() == router.snapshot()
    router._check()
    return caught.value


class TestWrongTypes:
    """A wrong-typed argument is refused before any timer fires: nothing happens, nothing is lost."""

    @pytest.mark.parametrize("bad_id", [["c-1"], 7, {"id": "c-1"}, None, b"c-1"])
    def test_wrong_id_refused_before_timers(self, bad_id: Any) -> None:
        """``complete(["c-1"], 30.0)`` past an offer's expiry fires nothing: the expiry is still due afterwards."""
        router = ringing()
        before = router.snapshot()
        with pytest.raises(rk.ArgumentTypeError) as caught:
            router.complete(bad_id, 30.0)
        assert [] == caught.value.events
        assert isinstance(caught.value, TypeError)
        assert before == router.snapshot()
        assert [OfferExpired, AgentStatusChanged] == [type(e) for e in router.advance(30.0)]

    @pytest.mark.parametrize(
        "call",
        [
            lambda r: r.accept("c-1", ["ana"], 30.0),
            lambda r: r.reject(("c-1",), "ana", 30.0),
            lambda r: r.abandon(3.5, 30.0),
            lambda r: r.reprioritize(None, 1, 30.0),
            lambda r: r.transfer("c-1", 30.0, target={"channel": "voice"}),
            lambda r: r.await_customer(["c-1"], 30.0),
            lambda r: r.customer_replied(1, 30.0),
            lambda r: r.set_status(["ana"], rk.AgentStatus.AWAY, 30.0),
            lambda r: r.remove_agent(None, 30.0),
            lambda r: r.end_wrap_up(0, 30.0),
            lambda r: r.submit({"id": "c-2", "channel": "voice"}, 30.0),
            lambda r: r.add_agent({"id": "bo"}, 30.0),
            lambda r: r.update_agent("ana", 30.0),
        ],
    )
    def test_every_call_checks_its_types(self, call: Callable[[rk.Router], Any]) -> None:
        """Every state-changing call refuses a wrong type with ``ArgumentTypeError`` and empty ``err.events``."""
        router = ringing()
        before = router.snapshot()
        with pytest.raises(rk.ArgumentTypeError) as caught:
            call(router)
        assert [] == caught.value.events
        assert before == router.snapshot()

    def test_other_refusals_still_fire_timers_first(self) -> None:
        """A right-typed call refused for the state still fires the due timers and carries their events."""
        router = ringing()
        error = refused_unchanged(router, lambda: router.complete("c-9", 30.0), rk.UnknownIdError, 30.0)
        assert [OfferExpired, AgentStatusChanged] == [type(e) for e in error.events]


class TestConversations:
    """A turn joins only its own open conversation; only the current turn is held."""

    def test_closed_conversation_is_not_reopened(self) -> None:
        """A first turn naming a conversation closed within the retention time is refused; it closes once."""
        router = staffed()
        router.submit(contact("m-1", MESSAGING), 0.0)
        router.accept("m-1", "ana", 1.0)
        assert ConversationClosed in [type(e) for e in router.complete("m-1", 2.0)]
        error = refused_unchanged(
            router,
            lambda: router.submit(contact("m-2", MESSAGING, conversation_id="m-1"), 3.0),
            rk.DuplicateIdError,
            3.0,
        )
        assert "closed" in str(error)

    def test_synchronous_contact_cannot_join_a_conversation(self) -> None:
        """A chat contact naming an open messaging conversation is refused, naming both channels."""
        router = staffed()
        router.submit(contact("m-1", MESSAGING), 0.0)
        error = refused_unchanged(
            router, lambda: router.submit(contact("c-2", CHAT, conversation_id="m-1"), 1.0), rk.StateError, 1.0
        )
        assert "messaging" in str(error)
        assert "chat" in str(error)

    def test_second_live_turn_refused(self) -> None:
        """A messaging contact naming a conversation whose turn is waiting is refused: one live turn at most."""
        router = rk.Router(Skills())
        router.add_agent(rk.Agent(id="ana", capacity={"messaging": 1}), 0.0, rk.AgentStatus.AWAY)
        router.submit(contact("m-1", MESSAGING), 0.0)
        refused_unchanged(
            router,
            lambda: router.submit(contact("m-2", MESSAGING, conversation_id="m-1"), 1.0),
            rk.DuplicateIdError,
            1.0,
        )

    def test_await_customer_only_for_the_current_turn(self) -> None:
        """``await_customer`` of a synchronous contact is refused, so no foreign conversation gets parked."""
        router = staffed(Sticky(hold=10.0, window=20.0, park_ttl=30.0, then=Skills()), retention=5.0)
        router.submit(contact("c-1", CHAT), 0.0)
        router.accept("c-1", "ana", 1.0)
        refused_unchanged(router, lambda: router.await_customer("c-1", 2.0), rk.StateError, 2.0)
        # long after any park TTL and retention, advancing raises nothing
        assert [] == router.advance(1000.0)


class TestTransfer:
    """A transfer stays on its contact's channel."""

    def test_transfer_to_another_channel_refused(self) -> None:
        """A voice call transferred to a chat target is refused, naming both channels; the voice load stays."""
        router = staffed()
        router.submit(contact("v-1"), 0.0)
        router.accept("v-1", "ana", 1.0)
        router.add_agent(rk.Agent(id="bo", capacity={"chat": 1}), 1.0)
        error = refused_unchanged(
            router, lambda: router.transfer("v-1", 2.0, target=Target(channel="chat")), rk.ConfigError, 2.0
        )
        assert "voice" in str(error)
        assert "chat" in str(error)
        assert {} == router.agent_state("bo").load

    def test_transfer_plan_with_a_foreign_stage_refused(self) -> None:
        """A plan whose later stage is on another channel is refused too."""
        router = staffed()
        router.submit(contact("v-1"), 0.0)
        router.accept("v-1", "ana", 1.0)
        plan = Plan(
            [Stage(target=Target(channel="voice", team="vip"), timeout=10.0), Stage(target=Target(channel="chat"))]
        )
        refused_unchanged(router, lambda: router.transfer("v-1", 2.0, target=plan), rk.ConfigError, 2.0)


class TestRestore:
    """``Router.restore`` refuses a damaged snapshot with ``SnapshotError`` naming the path."""

    def waiting_snapshot(self) -> dict[str, Any]:
        """A snapshot with a voice call offered (its timer live) and a second call waiting."""
        router = staffed()
        router.submit(contact("c-1"), 0.0)
        router.submit(contact("c-2"), 1.0)
        return json.loads(json.dumps(router.snapshot()))

    def refused(self, snapshot: dict[str, Any]) -> rk.SnapshotError:
        with pytest.raises(rk.SnapshotError) as caught:
            rk.Router.restore(snapshot, Skills())
        assert isinstance(caught.value, rk.ConfigError)
        return caught.value

    def test_emptied_queue_refused(self) -> None:
        """A waiting contact missing from every queue would never be offered again: refused, naming it."""
        snapshot = self.waiting_snapshot()
        snapshot["queues"] = []
        assert self.refused(snapshot).path.startswith("contacts[1]")

    def test_nan_now_refused(self) -> None:
        """A NaN clock would make every later call a ClockError: refused at ``now``."""
        snapshot = self.waiting_snapshot()
        snapshot["now"] = math.nan
        assert "now" == self.refused(snapshot).path

    def test_dropped_timers_refused(self) -> None:
        """An offer whose expiry timer was dropped would never expire: refused, naming the contact."""
        snapshot = self.waiting_snapshot()
        snapshot["timers"] = []
        assert self.refused(snapshot).path.startswith("contacts[0]")

    def test_lowered_timer_seq_refused(self) -> None:
        """A timer sequence at or below a live timer's would reuse its handle: refused at ``timer_seq``."""
        snapshot = self.waiting_snapshot()
        snapshot["timer_seq"] = 0
        assert "timer_seq" == self.refused(snapshot).path

    @pytest.mark.parametrize(
        ("damage", "path"),
        [
            (lambda s: s["contacts"][1].pop("stage"), "contacts[1].stage"),
            (lambda s: s["contacts"][1].__setitem__("stage", "0"), "contacts[1].stage"),
            (lambda s: s["contacts"][1].__setitem__("stage", 5), "contacts[1].stage"),
            (lambda s: s["agents"][0].__setitem__("status", "asleep"), "agents[0].status"),
            (lambda s: s["timers"][0].__setitem__(2, ["c-9", "ana"]), "timers[0]"),
            (lambda s: s["queues"][0][1].append("c-9"), "queues[0][1][1]"),
            (lambda s: s.pop("agents"), "agents"),
            (lambda s: s["settings"].__setitem__("retention", -1), "settings"),
            (lambda s: s["agents"][0]["work"].clear(), "contacts[0].state"),
        ],
    )
    def test_other_damage_named(self, damage: Callable[[dict[str, Any]], Any], path: str) -> None:
        """Missing keys, wrong types and dangling ids are SnapshotErrors naming the path, never a raw KeyError."""
        snapshot = self.waiting_snapshot()
        damage(snapshot)
        assert path == self.refused(snapshot).path

    def test_not_a_mapping_refused(self) -> None:
        """A snapshot that is not a mapping at all is a SnapshotError too."""
        with pytest.raises(rk.SnapshotError):
            rk.Router.restore([], Skills())  # type: ignore[arg-type]


class TestCanonicalSnapshots:
    """The same state gives the same snapshot, whatever path led to it."""

    def test_sticky_queue_keeps_its_place_after_restore(self) -> None:
        """A sticky reply turn's queue, made between two general queues, stands in the same place after restore."""
        policy = Sticky(hold=0.0, window=300.0, park_ttl=3600.0, then=Skills())
        router = rk.Router(policy)
        router.add_agent(rk.Agent(id="a0", skills={"billing": 2}, capacity={"messaging": 1, "voice": 1}), 0.0)
        router.submit(contact("m-1", MESSAGING), 0.0)
        router.accept("m-1", "a0", 1.0)
        router.await_customer("m-1", 2.0)  # holds nothing: parked at once
        router.submit(contact("v-1"), 3.0)  # a0 takes the call: busy on voice
        router.accept("v-1", "a0", 4.0)
        router.customer_replied("m-1", 5.0)  # the reply waits for a0 alone
        router.submit(contact("v-2", skills={"billing": 1}), 6.0)  # a new general target, after the sticky one
        assert ["m-1#2", "v-2"] == router.waiting()
        snapshot = json.loads(json.dumps(router.snapshot()))
        restored = rk.Router.restore(snapshot, policy)
        assert snapshot == restored.snapshot()
        assert snapshot == json.loads(json.dumps(rk.Router.restore(restored.snapshot(), policy).snapshot()))

    def test_agent_registration_order_kept(self) -> None:
        """Agents are listed by registration order, contacts by submission order."""
        router = staffed()
        router.add_agent(rk.Agent(id="aa", capacity={"chat": 1}), 0.0)
        router.submit(contact("z-1"), 1.0)
        router.submit(contact("a-1"), 2.0)
        snapshot = router.snapshot()
        assert ["ana", "aa"] == [a["agent"]["id"] for a in snapshot["agents"]]
        assert ["z-1", "a-1"] == [c["contact"]["id"] for c in snapshot["contacts"]]


class TestTime:
    def test_future_arrival_refused(self) -> None:
        """A contact that arrives later than ``now`` would wait a negative time: refused with ClockError."""
        router = ringing()
        error = refused_unchanged(
            router, lambda: router.submit(contact("c-2", arrived_at=100.0), 30.0), rk.ClockError, 30.0
        )
        assert "arrived_at" in str(error)

    def test_past_arrival_still_accepted(self) -> None:
        """A contact that arrived before ``now`` (a transfer from an IVR) keeps its arrival time."""
        router = Checked(staffed())
        events = router.submit(contact("c-1", arrived_at=3.0), 10.0)
        assert [7.0] == [e.expires_at - 20.0 - 3.0 for e in events if isinstance(e, Offered)]


class TestRecords:
    """The mappings inside the frozen records cannot be changed behind the router's back."""

    @pytest.mark.parametrize(
        "change",
        [
            lambda a, c: a.capacity.__setitem__(VOICE, 5),
            lambda a, c: a.skills.update(billing=5),
            lambda a, c: a.wrap_up.pop(VOICE),
            lambda a, c: c.skills.clear(),
            lambda a, c: c.context.__setitem__("vip", True),
            lambda a, c: c.customer.attributes.setdefault("app_user", False),
        ],
    )
    def test_mappings_are_read_only(self, change: Callable[[rk.Agent, rk.Contact], Any]) -> None:
        """Changing an agent's capacity (or any record's mapping) raises ``TypeError`` and changes nothing."""
        agent = rk.Agent(id="ana", skills={"billing": 4}, capacity={"voice": 1}, wrap_up={"voice": 30})
        call = contact("c-1", skills={"billing": 3}, context={"bot": "hi"})
        router = rk.Router(Skills())
        router.add_agent(agent, 0.0)
        router.submit(call, 1.0)
        with pytest.raises(TypeError):
            change(agent, call)
        assert {VOICE: 1} == agent.capacity
        assert {"billing": 3} == call.skills
        router._check()

    def test_records_still_copy_and_compare(self) -> None:
        """A record's mappings still compare equal to dicts, copy with ``dict``, and survive pickling."""
        import pickle

        agent = rk.Agent(id="ana", skills={"billing": 4}, capacity={"voice": 1})
        assert {"billing": 4} == agent.skills
        assert pickle.loads(pickle.dumps(agent)) == agent
        copy = dict(agent.capacity)
        copy[VOICE] = 2
        assert {VOICE: 1} == agent.capacity


class BlockingPolicy:
    """A policy whose ``plan`` waits until it is released, so that a second thread can try to enter."""

    def __init__(self) -> None:
        self.inside = threading.Event()
        self.release = threading.Event()
        self.skills = Skills()

    def plan(self, contact: rk.Contact, now: float) -> Any:
        self.inside.set()
        self.release.wait(5.0)
        return self.skills.plan(contact, now)

    def hold(self, contact: rk.Contact) -> Any:
        return self.skills.hold(contact)


class TestThreads:
    def test_second_thread_refused(self) -> None:
        """A call entered while another thread is inside a call is refused with StateError, and both end well."""
        policy = BlockingPolicy()
        router = rk.Router(policy)  # type: ignore[arg-type]
        router.add_agent(rk.Agent(id="ana", capacity={"voice": 1}), 0.0)
        results: list[Any] = []
        first = threading.Thread(target=lambda: results.append(router.submit(contact("c-1"), 1.0)))
        first.start()
        assert policy.inside.wait(5.0)
        with pytest.raises(rk.StateError, match="another call on this router is in progress") as caught:
            router.advance(2.0)
        assert [] == caught.value.events
        with pytest.raises(rk.StateError):
            router.snapshot()
        policy.release.set()
        first.join(5.0)
        assert [rk.events.ContactQueued, Offered] == [type(e) for e in results[0]]
        router._check()
        assert [] == router.advance(2.0)

    def test_guard_released_after_an_unexpected_error(self) -> None:
        """A policy that raises a plain exception leaves the router usable: the guard is released."""

        class Broken:
            def plan(self, contact: rk.Contact, now: float) -> Any:
                raise ZeroDivisionError

            def hold(self, contact: rk.Contact) -> Any:
                return None

        router = rk.Router(Broken())  # type: ignore[arg-type]
        router.add_agent(rk.Agent(id="ana", capacity={"voice": 1}), 0.0)
        with pytest.raises(ZeroDivisionError):
            router.submit(contact("c-1"), 1.0)
        assert [] == router.advance(2.0)


class TestReusedIds:
    def test_a_call_reusing_a_forgotten_turn_id_leaves_the_conversation_alone(self) -> None:
        """A voice call with the id of a messaging turn forgotten while its closed conversation is remembered
        touches no conversation (found by the stateful test at 10,000 examples, seed 424242)."""
        policy = Sticky(hold=10.0, window=20.0, park_ttl=30.0, then=Skills())
        router = rk.Router(policy, retention=100.0)
        router.add_agent(rk.Agent(id="ana", capacity={"voice": 1, "messaging": 1}), 0.0)
        router.submit(contact("m-1", MESSAGING), 0.0)
        router.accept("m-1", "ana", 1.0)
        router.await_customer("m-1", 2.0)  # parked at 12, closed at 42; the turn is forgotten at 112
        router.advance(120.0)
        router.submit(contact("m-1"), 120.0)
        router.accept("m-1", "ana", 121.0)
        assert ("ana",) == router.conversation("m-1").agents
        router._check()
        router.complete("m-1", 122.0)
        router._check()


class TestSettingsAndReads:
    def test_live_statistics_must_be_a_flag(self) -> None:
        """A live_statistics setting that is not True or False is a ConfigError naming the value."""
        with pytest.raises(rk.ConfigError, match="'yes'"):
            rk.Router(Skills(), live_statistics="yes")

    def test_statistics_refuse_a_bad_time(self) -> None:
        """statistics() with a time that is not a finite number is a ClockError, and changes nothing."""
        router = staffed()
        before = router.snapshot()
        with pytest.raises(rk.ClockError):
            router.statistics(math.nan)
        with pytest.raises(rk.ClockError):
            router.statistics("5")  # type: ignore[arg-type]
        assert before == router.snapshot()

    def test_statistics_off(self) -> None:
        """A router built without live statistics refuses to read them."""
        router = rk.Router(Skills(), live_statistics=False)
        with pytest.raises(rk.ConfigError, match="live_statistics"):
            router.statistics()
