"""The fast router against the naive reference router, on random streams of calls (hypothesis stateful).

After every step: both returned the same events (or refused with the same error and the same timer
events); ``router._check()`` holds (each contact in exactly one place, no capacity exceeded, no agent
holding an exclusive contact and anything else, every offer ending once); and a router restored from the
previous step's snapshot returned the same events as the original.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from functools import partial
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from reference_cumulative import window_from_scratch
from reference_router import ReferenceRouter

import routekit as rk
from routekit import events as ev
from routekit import kpis
from routekit.metrics import CumulativeStatistics, KpiCollector
from routekit.policies import SELECTIONS, Skills, Sticky, Target, TierGate, mobile_support
from routekit.router import explain as explaining
from routekit.router import matching
from routekit.router.estimate import PREDICTORS

AGENT_IDS = [f"a{i}" for i in range(5)]
SKILLS = ["billing", "tech"]
CHANNELS = [rk.Channel.VOICE, rk.Channel.CHAT, rk.Channel.MESSAGING, rk.Channel.VIDEO]
TIERS = ["standard", "silver", "gold", "platinum", "bronze"]  # bronze is unknown to the tier gate
# The cumulative statistics' settings: a window a few steps long, so that counts leave it often.
THRESHOLDS = {"voice": 20.0, "chat": 30.0, "messaging": 60.0}
WAIT_EDGES = (5.0, 20.0)

EVENT_COUNTS: Counter[str] = Counter()

# Rules the policies below label their stages with (and the sticky one), for agents' queue priorities.
RANKED_RULES = ["skills:any", "skills:billing>=1", "skills:billing>=2", "tier:vip-team", "sticky:last-agent"]

agents = st.builds(
    lambda aid, skills, capacity, teams, wrap, ranks: rk.Agent(
        id=aid, skills=skills, capacity=capacity, teams=teams, wrap_up=wrap, queue_priorities=ranks
    ),
    aid=st.sampled_from(AGENT_IDS),
    skills=st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 5), max_size=2),
    capacity=st.dictionaries(st.sampled_from(CHANNELS), st.integers(0, 3), min_size=1, max_size=4),
    teams=st.frozensets(st.sampled_from(["vip", "general"]), max_size=2),
    wrap=st.dictionaries(st.sampled_from(CHANNELS), st.sampled_from([0.0, 5.0, 30.0]), max_size=2),
    ranks=st.one_of(
        st.just({}),
        st.dictionaries(
            st.sampled_from(RANKED_RULES),
            st.tuples(st.integers(1, 3), st.sampled_from([0.0, 5.0, 20.0])),
            min_size=1,
            max_size=3,
        ),
    ),
)
steps = st.sampled_from([0.0, 0.0, 0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 45.0])
# Queue limits keyed by channel and by the rules the policies below name, often 0 or 1 so queues fill.
QUEUE_LIMIT_KEYS = [
    *("voice", "chat", "messaging", "video"),
    *("skills:any", "skills:billing>=2", "tier:vip-team", "team:vip"),
]
queue_limits = st.one_of(
    st.just({}), st.dictionaries(st.sampled_from(QUEUE_LIMIT_KEYS), st.integers(0, 2), min_size=1, max_size=3)
)
# Exception rules (issue 22) keyed as queue limits are, with every trigger and action; thresholds small, so
# that rules fire within a run, and wait thresholds that meet the policies' stage timeouts (10, 15, 20, 30).
OVERFLOW_TARGETS = [Target(channel="voice"), Target(channel="chat", team="vip"), Target(channel="messaging")]


@st.composite
def exception_rules(draw: st.DrawFn) -> dict[str, list[rk.ExceptionRule]]:
    rules: dict[str, list[rk.ExceptionRule]] = {}
    # Channel keys most often: every stage on the channel answers to them, so the rules meet contacts.
    keys = st.sampled_from([*("voice", "chat", "messaging") * 3, *QUEUE_LIMIT_KEYS])
    for n, key in enumerate(draw(st.lists(keys, min_size=1, max_size=4, unique=True))):
        listed = []
        for m in range(draw(st.integers(1, 3))):
            trigger = draw(st.sampled_from(["wait", "queue-length", "estimated-wait", "service-level"]))
            action = draw(st.sampled_from(["next-stage", "raise-priority", "overflow", "deny"]))
            threshold: float = {
                "wait": draw(st.sampled_from([0.0, 5.0, 10.0, 20.0, 30.0])),
                "queue-length": draw(st.integers(0, 2)),
                "estimated-wait": draw(st.sampled_from([0.0, 0.0, 10.0, 60.0])),
                "service-level": draw(st.sampled_from([0.5, 1.0, 1.0])),
            }[trigger]
            listed.append(
                rk.ExceptionRule(
                    name=f"r{n}-{m}",
                    trigger=trigger,
                    threshold=threshold,
                    action=action,
                    within=draw(st.sampled_from([5.0, 20.0])) if trigger == "service-level" else None,
                    by=draw(st.integers(1, 3)) if action == "raise-priority" else 0,
                    target=draw(st.sampled_from(OVERFLOW_TARGETS)) if action == "overflow" else None,
                    reason="too-long",
                )
            )
        rules[key] = listed
    return rules


POLICIES: list[Any] = [
    Skills(relax=[(30, 1), (60, "names"), (90, "any")]),
    Skills(relax=[(20, "any")]),
    mobile_support(hold=20.0, window=30.0, park_ttl=100.0, vip_overflow=15.0),
    Sticky(10.0, 20.0, park_ttl=50.0, then=Skills(relax=[(20, "any")])),
    # skip_if (issue 22): stages skipped as a contact enters them when nobody matching is logged in or available
    Skills(relax=[(30, 1), (60, "any")], skip_if="none-available"),
    Sticky(
        10.0,
        20.0,
        park_ttl=50.0,
        then=TierGate(
            tiers=rk.Tiers(["standard", "silver", "gold", "platinum"]),
            teams={"gold": ("vip", 15.0), "platinum": ("vip", 15.0)},
            skip_if="none-logged-in",
            then=Skills(relax=[(20, "any")], skip_if="none-logged-in"),
        ),
    ),
]


# Where now=0 falls: a plain weekday morning, and a night whose local clock jumps from 02:00 to 03:00 (DST
# starts in Paris on 2026-03-29), so that openings near 02:00 land in the missing hour.
EPOCHS = [dt.datetime(2026, 12, 7, 9, 0), dt.datetime(2026, 3, 29, 1, 50)]


@st.composite
def opening_hours(draw: st.DrawFn) -> dict[str, Any]:
    """Random opening hours for some channels: the same intervals every weekday, within the first half hour
    after the epoch's local time (a test runs for minutes), sometimes a holiday today, sometimes never open."""
    start = draw(st.sampled_from(EPOCHS))
    zone = draw(st.sampled_from(["UTC", "Europe/Paris"]))
    channels = draw(st.sets(st.sampled_from(CHANNELS), min_size=1, max_size=3))
    minute = start.hour * 60 + start.minute
    hours = {}
    for channel in sorted(channels, key=lambda c: c.value):
        marks = sorted(draw(st.sets(st.integers(0, 30), min_size=0, max_size=6)))
        if len(marks) % 2:
            marks = marks[:-1]
        pairs = [
            (f"{(minute + a) // 60:02d}:{(minute + a) % 60:02d}", f"{(minute + b) // 60:02d}:{(minute + b) % 60:02d}")
            for a, b in zip(marks[::2], marks[1::2], strict=True)
        ]
        holidays = [start.date()] if draw(st.integers(0, 9)) == 0 else []
        always = draw(st.integers(0, 9)) == 0
        weekly = {day: [("00:00", "24:00")] if always else pairs for day in range(7)}
        hours[channel] = rk.OpeningHours(weekly=weekly, holidays=holidays, timezone=zone)
    return {"epoch": start.replace(tzinfo=ZoneInfo(zone)), "hours": hours}


def outcome(call: Any) -> tuple[str, Any]:
    try:
        return ("ok", call())
    except rk.RoutekitError as error:
        return (type(error).__name__, error.events)


def near(expected: float | None, actual: float | None) -> bool:
    """Equal, or both floats equal to rounding (sums taken in another order)."""
    if expected is None or actual is None:
        return expected is actual
    return actual == pytest.approx(expected, rel=1e-9, abs=1e-9)


OFFER = matching.offer


def offer_explained(rs: Any, cr: Any, agent_id: str, now: float, out: list[Any], *, queued: bool) -> None:
    """``matching.offer``, watched: as the router decides an offer, explain ranks that agent first, and eligible.

    Every offer is made by ``matching.offer``, so patching it sees every decision with no hook on the
    routing path.
    """
    explanation = explaining.explain(rs, cr.contact.id, rs.now)
    assert agent_id == explanation.eligible[0], explanation.text()
    assert explanation.verdict(agent_id).eligible
    EVENT_COUNTS["explain:offer"] += 1
    OFFER(rs, cr, agent_id, now, out, queued=queued)


class RouterMachine(RuleBasedStateMachine):
    """Drive the router, the reference router and a router restored from a snapshot with the same calls."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0
        self.next_contact = 0
        self.watch = mock.patch.object(matching, "offer", offer_explained)
        self.watch.start()

    def both(self, name: str, *args: Any, **kwargs: Any) -> Any:
        fast = outcome(lambda: getattr(self.fast, name)(*args, **kwargs))
        if fast[0] == "ok" and name in ("add_agent", "update_agent"):
            self.roster[args[0].id] = args[0]
        ref = outcome(lambda: getattr(self.ref, name)(*args, **kwargs))
        restored = outcome(lambda: getattr(self.restored, name)(*args, **kwargs))
        assert ref == fast, f"{name}{args}: reference and router differ"
        assert fast == restored, f"{name}{args}: the restored router differs"
        self.note(fast[1])
        self.board.record(fast[1])
        self.day.record(fast[1])
        self.kpis.observe_all(fast[1])
        self.recorded += fast[1]
        if fast[0] == "ok":
            for event in fast[1]:
                EVENT_COUNTS[type(event).__name__] += 1
                if isinstance(event, ev.Denied):
                    EVENT_COUNTS[f"Denied:{event.reason}"] += 1
                elif isinstance(event, ev.ContactQueued) and event.arrived_at > event.at:
                    EVENT_COUNTS["queued while closed"] += 1
        return fast

    def note(self, events: list[Any]) -> None:
        """Learn the ids in play from the events, as a platform does: contacts, pending offers, conversations."""
        for event in events:
            if isinstance(event, ev.Denied):
                EVENT_COUNTS[f"Denied:{event.reason}"] += 1
            elif isinstance(event, ev.StageChanged):
                EVENT_COUNTS[f"StageChanged:{event.stage}"] += 1
            elif isinstance(event, ev.ExceptionFired):
                EVENT_COUNTS[f"ExceptionFired:{event.trigger}:{event.action}"] += 1
            if isinstance(event, ev.ContactQueued):
                self.seen[event.contact_id] = None
                self.arrived[event.contact_id] = event.arrived_at
            elif isinstance(event, ev.Offered):
                self.offers[event.contact_id] = event.agent_id
            elif isinstance(event, ev.Assigned | ev.OfferRejected | ev.OfferExpired | ev.OfferRescinded):
                self.offers.pop(event.contact_id, None)
            elif isinstance(event, ev.AwaitingCustomer):
                self.conversations.setdefault(event.conversation_id, False)
            elif isinstance(event, ev.Parked):
                self.conversations[event.conversation_id] = True
            elif isinstance(event, ev.Resumed | ev.ConversationClosed):
                self.conversations[event.conversation_id] = False

    def tick(self, step: float) -> float:
        self.now += step
        return self.now

    def pick(self, data: st.DataObject) -> str:
        """A contact id: mostly a live or finished one, sometimes one never seen."""
        live = sorted(cid for cid in self.seen if self.fast.state(cid) is not None)
        finished = sorted(cid for cid in self.seen if self.fast.state(cid) is None)[-3:]
        known = live + finished + sorted(self.conversations)[:3]
        return data.draw(st.sampled_from([*known, "c-unknown"]))

    def contacts_in(self, *states: rk.ContactState) -> list[str]:
        return sorted(cid for cid in self.seen if self.fast.state(cid) in states)

    @initialize(
        roster=st.lists(agents, min_size=1, max_size=4, unique_by=lambda a: a.id),
        policy=st.sampled_from(range(len(POLICIES))),
        away=st.booleans(),
        reoffer_delay=st.sampled_from([0.0, 30.0]),
        selection=st.sampled_from(sorted(SELECTIONS)),
        live=st.booleans(),
        limits=queue_limits,
        fallback=st.sampled_from([{}, {"voice": "messaging"}]),
        hours=st.one_of(st.just({}), opening_hours()),
        window=st.sampled_from([2, 2, 20]),
        predictor=st.sampled_from(PREDICTORS),
        offers_per_agent=st.sampled_from([1, 1, 2, 3]),
        rules=st.one_of(st.just({}), exception_rules(), exception_rules()),
    )
    def staff(
        self,
        roster: list[rk.Agent],
        policy: int,
        away: bool,
        reoffer_delay: float,
        selection: str,
        live: bool,
        limits: dict[str, int],
        fallback: dict[str, str],
        hours: dict[str, Any],
        window: int,
        predictor: str,
        offers_per_agent: int,
        rules: dict[str, list[rk.ExceptionRule]],
    ) -> None:
        """Pick the settings, then staff a few agents on every channel, so that most contacts are served."""
        self.policy = POLICIES[policy]
        settings: dict[str, Any] = {
            "wrap_up": 10.0,
            "retention": 200.0,
            "away_on_missed_offer": away,
            "reoffer_delay": reoffer_delay,
            "selection": SELECTIONS[selection],
            "live_statistics": live,
            "queue_limits": limits,
            "queue_fallback": fallback,
            "exception_rules": rules,
            **hours,
            "answer_window": window,  # 2: two backlogged gaps are enough for a target's own service rate
            "wait_predictor": predictor,
            "offers_per_agent": offers_per_agent,
        }
        self.fast = rk.Router(self.policy, **settings)
        self.seen: dict[str, None] = {}
        self.arrived: dict[str, float] = {}
        self.roster: dict[str, rk.Agent] = {}
        self.offers: dict[str, str] = {}
        self.conversations: dict[str, bool] = {}  # id: parked
        self.board = CumulativeStatistics(window=60, bucket=10, service_levels=THRESHOLDS, wait_edges=WAIT_EDGES)
        # A window longer than any run, against the simulator's collector.
        self.day = CumulativeStatistics(window=10**6, bucket=1000, service_levels=THRESHOLDS, wait_edges=WAIT_EDGES)
        self.kpis = KpiCollector(service_levels=THRESHOLDS)
        self.recorded: list[Any] = []
        self.ref = ReferenceRouter(self.policy, **settings)
        self.restored = rk.Router.restore(self.fast.snapshot(), self.policy)
        for agent in roster:
            broad = rk.Agent(
                id=agent.id,
                skills={name: max(agent.skills.get(name, 0), 2) for name in SKILLS},
                capacity={channel: max(agent.capacity.get(channel, 0), 1) for channel in CHANNELS},
                teams=agent.teams,
                wrap_up=agent.wrap_up,
                queue_priorities=agent.queue_priorities,
            )
            self.both("add_agent", broad, self.now)

    @rule(
        action=st.sampled_from(["add", "update", "remove", "status", "status", "end_wrap_up"]),
        agent=agents,
        status=st.sampled_from(list(rk.AgentStatus)),
        step=steps,
    )
    def agent_call(self, action: str, agent: rk.Agent, status: rk.AgentStatus, step: float) -> None:
        now = self.tick(step)
        if action == "add":
            self.both("add_agent", agent, now, status)
        elif action == "update":
            self.both("update_agent", agent, now)
        elif action == "remove":
            self.both("remove_agent", agent.id, now)
        elif action == "status":
            self.both("set_status", agent.id, status, now)
        else:
            self.both("end_wrap_up", agent.id, now)

    @rule(
        channel=st.sampled_from(CHANNELS),
        skills=st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 4), max_size=2),
        priority=st.integers(0, 2),
        head_start=st.sampled_from([0.0, 0.0, 90.0]),
        tier=st.sampled_from(TIERS),
        early=st.sampled_from([None, None, 15.0]),
        step=steps,
    )
    def submit(
        self,
        channel: rk.Channel,
        skills: dict[str, int],
        priority: int,
        head_start: float,
        tier: str,
        early: float | None,
        step: float,
    ) -> None:
        now = self.tick(step)
        contact = rk.Contact(
            id=f"c{self.next_contact}",
            customer=rk.Customer(id=f"u{self.next_contact % 3}", tier=tier),
            channel=channel,
            skills=skills,
            priority=priority,
            head_start=head_start,
            arrived_at=None if early is None else max(0.0, now - early),
        )
        self.next_contact += 1
        self.both("submit", contact, now)

    @rule(
        data=st.data(),
        action=st.sampled_from(
            [
                *("accept", "accept", "accept", "reject", "complete", "complete", "await", "await", "await"),
                *("transfer", "abandon", "reprioritize", "reply", "reply", "reply", "resubmit", "stray"),
            ]
        ),
        step=steps,
    )
    def contact_call(self, data: st.DataObject, action: str, step: float) -> None:
        """Answer an offer, finish, hold, transfer, abandon or reprioritize a contact; or a stray call."""
        wanted = {
            "accept": (rk.ContactState.OFFERED,),
            "reject": (rk.ContactState.OFFERED,),
            "complete": (rk.ContactState.ASSIGNED, rk.ContactState.HELD),
            "await": (rk.ContactState.ASSIGNED,),
            "transfer": (rk.ContactState.ASSIGNED,),
        }.get(action)
        candidates = self.contacts_in(*wanted) if wanted else []
        if action == "await":
            candidates = [c for c in candidates if not self.fast.contact(c).channel.synchronous] or candidates
        contact_id = data.draw(st.sampled_from(candidates)) if candidates else self.pick(data)
        now = self.tick(step)
        if action in ("accept", "reject"):
            agent_id = self.offers.get(contact_id) or data.draw(st.sampled_from(AGENT_IDS))
            self.both(action, contact_id, agent_id, now)
        elif action == "complete":
            self.both("complete", contact_id, now)
        elif action == "await":
            self.both("await_customer", contact_id, now)
        elif action == "transfer":
            team = data.draw(st.sampled_from([None, "vip"]))
            live = self.fast.state(contact_id) is not None
            target = (
                None if team is None or not live else Target(channel=self.fast.contact(contact_id).channel, team=team)
            )
            self.both("transfer", contact_id, now, target=target)
        elif action == "abandon":
            self.both("abandon", contact_id, now)
        elif action == "reprioritize":
            self.both("reprioritize", contact_id, data.draw(st.integers(0, 3)), now)
        elif action == "reply":
            parked = sorted(c for c, is_parked in self.conversations.items() if is_parked)
            conversations = parked or sorted(self.conversations)
            conversation_id = data.draw(st.sampled_from([*conversations, "c-unknown"]))
            self.both("customer_replied", conversation_id, now)
        elif action == "resubmit":
            self.both("submit", rk.Contact(id=contact_id, customer=rk.Customer(id="u"), channel="voice"), now)
        else:
            self.both("accept", contact_id, data.draw(st.sampled_from(AGENT_IDS)), now)

    @rule(channel=st.sampled_from(CHANNELS), count=st.integers(2, 5), step=st.sampled_from([1.0, 5.0, 20.0]))
    def serve_a_backlog(self, channel: rk.Channel, count: int, step: float) -> None:
        """A burst of contacts, then the pending offers answered and finished in turn while others wait: the
        backlogged gaps between answers that the queue-length predictor's service rate is measured from."""
        now = self.tick(0.0)
        for _ in range(count):
            contact = rk.Contact(id=f"c{self.next_contact}", customer=rk.Customer(id="u1"), channel=channel)
            self.next_contact += 1
            self.both("submit", contact, now)
        for _ in range(count + 1):
            self.both("advance", self.tick(step))
            offered = self.contacts_in(rk.ContactState.OFFERED)
            if offered:
                contact_id = offered[0]
                self.both("accept", contact_id, self.offers.get(contact_id, AGENT_IDS[0]), self.tick(step))
                self.both("complete", contact_id, self.tick(step))

    @rule(
        data=st.data(),
        action=st.sampled_from(["future", "foreign-conversation", "cross-channel", "wrong-type", "await-any"]),
        step=steps,
    )
    def bad_call(self, data: st.DataObject, action: str, step: float) -> None:
        """Calls the router must refuse (issue 18): both routers refuse them alike, after the same timers."""
        now = self.tick(step)
        if action == "future":
            contact = rk.Contact(
                id=f"c{self.next_contact}", customer=rk.Customer(id="u"), channel="voice", arrived_at=now + 10
            )
            self.next_contact += 1
            self.both("submit", contact, now)
        elif action == "foreign-conversation":
            named = data.draw(st.sampled_from([*sorted(self.conversations), "c-none"]))
            contact = rk.Contact(
                id=f"c{self.next_contact}", customer=rk.Customer(id="u"), channel="chat", conversation_id=named
            )
            self.next_contact += 1
            self.both("submit", contact, now)
        elif action == "cross-channel":
            candidates = self.contacts_in(rk.ContactState.ASSIGNED)
            contact_id = data.draw(st.sampled_from(candidates)) if candidates else self.pick(data)
            live = self.fast.state(contact_id) is not None
            channel = self.fast.contact(contact_id).channel if live else rk.Channel.VOICE
            other = next(c for c in CHANNELS if c is not channel)
            self.both("transfer", contact_id, now, target=Target(channel=other))
        elif action == "wrong-type":
            bad = data.draw(st.sampled_from([None, 7, ["c0"], {"id": "c0"}]))
            self.both(data.draw(st.sampled_from(["complete", "abandon", "await_customer"])), bad, now)
        else:
            self.both("await_customer", self.pick(data), now)

    @rule(
        how=st.sampled_from(["step", "step", "deadline", "deadline", "past-deadline", "backwards", "nan"]),
        step=steps,
    )
    def advance(self, how: str, step: float) -> None:
        """Move the clock: by a step, exactly onto the next timer, just past it, or (refused) backwards."""
        deadline = self.fast.next_deadline()
        assert self.ref.next_deadline() == deadline
        if how == "backwards":
            self.both("advance", self.now - 1.0)
        elif how == "nan":
            self.both("advance", float("nan"))
        elif how == "step" or deadline is None:
            self.both("advance", self.tick(step))
        else:
            self.now = max(self.now, deadline + (0.5 if how == "past-deadline" else 0.0))
            self.both("advance", self.now)

    def teardown(self) -> None:
        self.watch.stop()

    @invariant()
    def explain_rules_out_every_agent_of_a_waiting_contact(self) -> None:
        """Between calls no waiting contact has an eligible agent, and explain gives each one a reason."""
        if not hasattr(self, "fast"):
            return
        for contact_id in self.fast.waiting()[:3]:
            explanation = self.fast.explain(contact_id)
            assert () == explanation.eligible, explanation.text()
            assert all(verdict.reason for verdict in explanation.agents)
            EVENT_COUNTS["explain:waiting"] += 1

    @invariant()
    def router_invariants_hold(self) -> None:
        self.fast._check()

    @invariant()
    def views_agree(self) -> None:
        assert self.ref.waiting() == self.fast.waiting()
        assert self.ref.next_deadline() == self.fast.next_deadline()
        for contact_id in self.fast.waiting():
            assert self.ref.position(contact_id) == self.fast.position(contact_id)

    @invariant()
    def wait_estimates_agree(self) -> None:
        """Every predictor's estimate of every waiting contact, and of a would-be contact per channel, equals
        the reference's (recomputed from its whole log of answers and abandonments) and the restored router's."""
        if not hasattr(self, "fast"):
            return
        for predictor in (None, *PREDICTORS):  # None: the settings' wait_predictor
            for contact_id in self.fast.waiting():
                fast = self.fast.expected_wait(contact_id, self.now, predictor=predictor)
                assert self.ref.expected_wait(contact_id, self.now, predictor=predictor) == fast
                assert self.restored.expected_wait(contact_id, self.now, predictor=predictor) == fast
                EVENT_COUNTS[f"estimate:{predictor}:{'none' if fast is None else 'some'}"] += 1
            for channel in CHANNELS:
                probe = rk.Contact(id="probe", customer=rk.Customer(id="u0", tier="gold"), channel=channel)
                fast_quote = outcome(partial(self.fast.quote_wait, probe, self.now, predictor=predictor))
                assert outcome(partial(self.ref.quote_wait, probe, self.now, predictor=predictor)) == fast_quote
                EVENT_COUNTS[f"quote:{fast_quote[0]}:{fast_quote[1] is None}"] += 1

    @invariant()
    def statistics_count_what_the_views_show(self) -> None:
        """The live statistics per channel equal a count from scratch over ``waiting()`` and ``agent_state()``."""
        if not hasattr(self, "fast") or not self.fast.settings.live_statistics:
            return
        stats = self.fast.statistics(self.now)
        waiting = self.fast.waiting()
        for channel in rk.Channel:
            row = stats.channel(channel)
            mine = [cid for cid in waiting if self.fast.contact(cid).channel is channel]
            tiers: Counter[str] = Counter(self.fast.contact(cid).customer.tier for cid in mine)
            assert len(mine) == row.waiting
            assert dict(tiers) == row.waiting_by_tier
            assert len(mine) == sum(row.waiting_by_priority.values())
            assert min((self.arrived[cid] for cid in mine), default=None) == row.oldest_arrived_at
            offered = [c for c in self.offers if self.fast.state(c) is rk.ContactState.OFFERED]
            assert sum(self.fast.contact(c).channel is channel for c in offered) == row.offers
            agents = [
                self.fast.agent_state(a) for a in self.fast.agents() if self.roster[a].capacity.get(channel, 0) > 0
            ]
            busy_kinds = {"assigned", "held"}
            assert sum(a.status is not rk.AgentStatus.OFFLINE for a in agents) == row.agents.logged_in
            assert sum(a.status is rk.AgentStatus.AVAILABLE for a in agents) == row.agents.available
            assert sum(a.status is rk.AgentStatus.AWAY for a in agents) == row.agents.away
            assert sum(bool(busy_kinds & set(a.work.values())) for a in agents) == row.agents.busy
            assert sum("wrap-up" in a.work.values() for a in agents) == row.agents.wrap_up
            parked = [c for c, is_parked in self.conversations.items() if is_parked]
            assert sum(self.fast.conversation(c).channel is channel for c in parked) == row.parked
        EVENT_COUNTS["statistics"] += 1

    @invariant()
    def cumulative_statistics_count_what_the_events_show(self) -> None:
        """The sliding window per channel equals a count from scratch over every event recorded, and reads the
        same after a snapshot's round trip; a window longer than the run equals the KPI collector's report."""
        if not hasattr(self, "board"):
            return
        window = self.board.read(self.now)
        assert window.start <= self.now - 60.0 < window.start + 10.0
        # Go on with statistics restored from a snapshot: later steps check that they record as the original.
        self.board = CumulativeStatistics.restore(json.loads(json.dumps(self.board.snapshot())))
        assert window == self.board.read(self.now)
        expected = window_from_scratch(self.recorded, window.start, self.now, THRESHOLDS, WAIT_EDGES)
        for channel in CHANNELS:
            counts = expected.get(channel.value, Counter())
            row = window.channel(channel)
            reasons = {k.split(":", 1)[1]: n for k, n in counts.items() if k.startswith("reason:")}
            assert (
                counts["offered"],
                counts["answered"],
                counts["abandoned"],
                counts["denied"],
                counts["denied_after_queue"],
                reasons,
                counts["answered_within"],
                counts["offers"],
                counts["accepted"],
                counts["OfferRejected"],
                counts["OfferExpired"],
                counts["OfferRescinded"],
                tuple(counts[f"band:{i}"] for i in range(len(WAIT_EDGES) + 1)),
            ) == (
                row.offered,
                row.answered,
                row.abandoned,
                row.denied,
                row.denied_after_queue,
                row.denied_by_reason,
                row.answered_within,
                row.offers,
                row.offers_accepted,
                row.offers_rejected,
                row.offers_expired,
                row.offers_rescinded,
                row.answered_by_wait,
            ), channel
            has_level = channel.value in THRESHOLDS
            assert (kpis.service_level(counts["answered_within"], counts["decided"]) if has_level else None) == (
                row.service_level
            )
            assert near(kpis.average_speed_of_answer(counts["wait_sum"], counts["answered"]), row.asa)
            assert near(
                kpis.average_acceptance_time(counts["accept_sum"], counts["accepted"]), row.average_acceptance_time
            )
        report = self.kpis.report(self.now)
        whole = self.day.read(self.now)
        for channel in CHANNELS:
            row = whole.channel(channel)
            try:
                kpi = report.row(channel.value)
            except rk.UnknownIdError:
                assert (0, 0) == (row.offered, row.denied)
                continue
            assert (kpi.offered, kpi.handled, kpi.abandoned, kpi.denied, kpi.denied_after_queue) == (
                row.offered,
                row.answered,
                row.abandoned,
                row.denied,
                row.denied_after_queue,
            )
            assert kpi.service_level == row.service_level
            assert near(kpi.asa, row.asa)
        EVENT_COUNTS["cumulative"] += 1

    @invariant()
    def snapshot_restores(self) -> None:
        snapshot = json.loads(json.dumps(self.fast.snapshot()))
        self.restored = rk.Router.restore(snapshot, self.policy)
        assert snapshot == self.restored.snapshot()


TestRouterAgainstReference = RouterMachine.TestCase
