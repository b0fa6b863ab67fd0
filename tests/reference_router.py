"""A deliberately naive router: the same semantics as ``routekit.Router``, written for obviousness.

It keeps plain dicts and lists, scans every contact and every agent on every decision, and keeps its
timers in a list it searches for the earliest. The stateful test drives it beside the fast router and
asserts that both return identical events. Nothing here is indexed, cached or incremental: when the two
disagree, this one is the easier to believe.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from routekit import errors
from routekit.events import (
    Abandoned,
    AgentStatusChanged,
    Assigned,
    AwaitingCustomer,
    Completed,
    ContactQueued,
    ConversationClosed,
    CustomerReplied,
    Denied,
    ExceptionFired,
    Offered,
    OfferExpired,
    OfferRejected,
    OfferRescinded,
    Parked,
    Reprioritized,
    Resumed,
    StageChanged,
    Transferred,
    WrapUpEnded,
)
from routekit.models import Agent, AgentStatus, Channel, Contact, Conversation
from routekit.models.hours import OpeningHours, is_open
from routekit.policies import Denial, Plan, Stage, Target
from routekit.router import RouterSettings

KIND_RANK = {"offer": 0, "reoffer": 1, "stage": 2, "hold": 3, "wrapup": 4, "ttl": 5, "hours": 6, "rule": 7}


def naive_next_change(hours: OpeningHours, ts: float) -> float | None:
    """The first UNIX time after ``ts`` where ``is_open`` differs, trying every opening and closing time of the
    60 local days from the day before (every test calendar changes within a few weeks, holidays included)."""
    today = dt.datetime.fromtimestamp(ts, ZoneInfo(hours.timezone)).date()
    state = is_open(hours, ts)
    candidates = set()
    for offset in range(-1, 60):
        for intervals in hours.weekly:
            for pair in intervals:
                for seconds in pair:
                    extra, seconds = divmod(seconds, 86400)
                    day = today + dt.timedelta(days=offset + extra)
                    local = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=seconds)
                    candidates.add(local.replace(tzinfo=ZoneInfo(hours.timezone)).timestamp())
    for candidate in sorted(c for c in candidates if c > ts):
        if is_open(hours, candidate) != state:
            return candidate
    return None


@dataclass
class RefAgent:
    agent: Agent
    status: AgentStatus
    idle_since: float
    last_offer_at: float = -math.inf
    work: dict[str, tuple[Any, str]] = field(default_factory=dict)  # contact id -> (channel, kind)
    offers: list[str] = field(default_factory=list)  # pending offers, oldest first

    @property
    def busy(self) -> int:
        return len(self.work)

    @property
    def load(self) -> dict[Any, int]:
        load: dict[Any, int] = {}
        for channel, _ in self.work.values():
            load[channel] = load.get(channel, 0) + 1
        return load


@dataclass
class RefContact:
    contact: Contact
    plan: Plan
    stage: int
    priority: int
    arrival: float
    seq: int
    clock_start: float
    state: str = "waiting"
    agent: str | None = None
    offered_at: float = math.nan
    overflowed: bool = False
    stage_since: float = math.nan

    @property
    def target(self) -> Target:
        return self.plan.stages[self.stage].target

    @property
    def key(self) -> tuple[int, float, int]:
        return (-(self.priority + self.plan.stages[self.stage].boost), self.arrival, self.seq)


@dataclass
class RefConversation:
    record: Conversation
    parked: bool
    turn: str
    first: Contact
    closed: bool = False


class ReferenceRouter:
    """Same calls and events as ``routekit.Router``; every decision is a scan."""

    def __init__(self, policy: Any, **settings: Any) -> None:
        self.policy = policy
        self.settings = RouterSettings(**settings)
        self.now = -math.inf
        self.seq = 0
        self.timer_seq = 0
        self.timers: list[dict[str, Any]] = []
        self.agents: dict[str, RefAgent] = {}
        self.contacts: dict[str, RefContact] = {}
        self.conversations: dict[str, RefConversation] = {}
        self.finished: dict[str, tuple[float, str | None]] = {}
        self.closed_at: dict[str, float] = {}
        self.bars: dict[tuple[str, str], float] = {}
        # Every answer and abandonment, in order, for the wait estimates (recomputed from it on each read):
        # ("answer", target, channel, offered at, stage since, clock start) or ("abandon", channel, waited).
        self.wait_log: list[tuple[Any, ...]] = []
        # Exception rules: each target's decided contacts (waited, answered), all of them.
        self.decided: dict[Target, list[tuple[float, bool]]] = {}
        # Opening hours: each closed channel and when it reopens (router seconds; None: never).
        self.shut: dict[Channel, float | None] = {}
        epoch = self.settings.epoch
        if self.settings.hours and epoch is not None:
            self.now = 0.0
            for channel in sorted(self.settings.hours, key=lambda c: c.value):
                self.hours_changed(channel, epoch, opening=is_open(self.settings.hours[channel], epoch))

    # -- time --------------------------------------------------------------------------------------

    def set_timer(self, due: float, kind: str, **payload: Any) -> None:
        self.timers.append(
            {"due": due, "rank": KIND_RANK[kind], "seq": self.timer_seq, "kind": kind, **payload}
        )
        self.timer_seq += 1

    def drop_timers(self, **match: Any) -> None:
        self.timers = [t for t in self.timers if any(t.get(k) != v for k, v in match.items())]

    def hours_changed(self, channel: Channel, ts: float, *, opening: bool) -> None:
        """Open or close ``channel`` at UNIX time ``ts`` and set the timer at its next change."""
        hours, epoch = self.settings.hours[channel], self.settings.epoch
        assert epoch is not None
        change = naive_next_change(hours, ts)
        if opening:
            self.shut.pop(channel, None)
        else:
            self.shut[channel] = None if change is None else change - epoch
        if change is not None:
            self.set_timer(change - epoch, "hours", channel=channel, change=change)

    def held(self, channel: Channel) -> bool:
        """Whether no offers are made on the channel: asynchronous, and closed."""
        return channel in self.shut and not channel.synchronous

    def opens(self, channel: Channel, now: float) -> float:
        """When a stage entered or a clock started now begins to count: the opening, for a held channel."""
        opens = self.shut.get(channel) if self.held(channel) else None
        return now if opens is None else max(now, opens)

    def delay_moments(self) -> list[float]:
        """When an agent's queue delay ends for a contact at a stage: every (contact, agent) pair, from now on."""
        return [
            rc.stage_since + delay
            for rc in self.contacts.values()
            if rc.state in ("waiting", "offered")
            for agent in self.agents.values()
            for rule, (_, delay) in agent.agent.queue_priorities.items()
            if rule == rc.target.rule and delay > 0 and rc.stage_since + delay > self.now
        ]

    def next_deadline(self) -> float | None:
        return min([*(t["due"] for t in self.timers), *self.delay_moments()], default=None)

    def types(self, **values: Any) -> None:
        """Every call's arguments are checked before anything happens: ids are strings, records records."""
        for name, value in values.items():
            if name == "target":
                ok = value is None or isinstance(value, Target | Plan)
            else:
                ok = isinstance(value, {"agent": Agent, "contact": Contact}.get(name, str))
            if not ok:
                raise errors.ArgumentTypeError(f"{name}: {value!r}")

    def begin(self, now: float) -> list[Any]:
        if isinstance(now, bool) or not isinstance(now, int | float) or not math.isfinite(now):
            raise errors.ClockError("bad now")
        now = float(now)
        if now < self.now:
            raise errors.ClockError("time went backwards")
        out: list[Any] = []
        while True:
            due_now = [t for t in self.timers if t["due"] <= now]
            delay_end = min((m for m in self.delay_moments() if m <= now), default=None)
            if delay_end is not None and not any(t["due"] <= delay_end for t in due_now):
                self.now = delay_end  # a queue delay ends: only matching can follow (ranked after every timer)
                self.match(delay_end, out)
                continue
            if not due_now:
                break
            timer = min(due_now, key=lambda t: (t["due"], t["rank"], t["seq"]))
            self.timers.remove(timer)
            self.now = timer["due"]
            self.fire(timer, out)
        self.now = now
        horizon = now - self.settings.retention
        for cid, (at, _) in list(self.finished.items()):
            if at <= horizon:
                del self.finished[cid]
        for conv_id, at in list(self.closed_at.items()):
            if at <= horizon:
                del self.closed_at[conv_id]
                del self.conversations[conv_id]
        return out

    def advance(self, now: float) -> list[Any]:
        return self.begin(now)

    @staticmethod
    def refuse(error: errors.RoutekitError, out: list[Any]) -> errors.RoutekitError:
        error.events = out + error.events
        return error

    # -- the rules of eligibility -------------------------------------------------------------------

    def eligible(self, agent: RefAgent, channel: Any) -> bool:
        if agent.status != AgentStatus.AVAILABLE or len(agent.offers) >= self.settings.offers_per_agent:
            return False
        if any(ch in self.settings.exclusive for ch, _ in agent.work.values()):
            return False
        if agent.load.get(channel, 0) >= agent.agent.capacity.get(channel, 0):
            return False
        return not (channel in self.settings.exclusive and agent.work)

    def candidates(self, rc: RefContact, now: float | None = None) -> list[str]:
        target = rc.target
        at = self.now if now is None else now
        if self.held(target.channel):
            return []
        return [
            aid
            for aid, agent in self.agents.items()
            if target.matches(agent.agent)
            and self.eligible(agent, target.channel)
            and (rc.contact.id, aid) not in self.bars
            and rc.stage_since + agent.agent.rank_of(target.rule)[1] <= at
        ]

    def best_agent(self, rc: RefContact) -> str | None:
        agents = self.candidates(rc)
        target = rc.target
        return min(agents, key=lambda a: (self.settings.selection.key(self.agents[a], target), a), default=None)

    def match(self, now: float, out: list[Any]) -> None:
        """The best contact by queue key with an eligible agent goes to its best agent by selection key; an
        agent that ranks targets takes instead its best (rank, key) among the contacts whose best agent it is."""
        while True:
            waiting = sorted((c for c in self.contacts.values() if c.state == "waiting"), key=lambda c: c.key)
            for rc in waiting:
                best = self.best_agent(rc)
                if best is not None:
                    agent = self.agents[best].agent
                    if agent.queue_priorities:
                        mine = [c for c in waiting if self.best_agent(c) == best]
                        rc = min(mine, key=lambda c: (agent.rank_of(c.target.rule)[0], c.key))
                    self.offer(rc, best, now, out)
                    break
            else:
                return

    def offer(self, rc: RefContact, aid: str, now: float, out: list[Any]) -> None:
        agent = self.agents[aid]
        rc.state, rc.agent = "offered", aid
        rc.offered_at = now
        expires = now + self.settings.offer_timeout[rc.contact.channel]
        self.set_timer(expires, "offer", contact=rc.contact.id, agent=aid)
        agent.offers.append(rc.contact.id)
        agent.last_offer_at = now
        agent.work[rc.contact.id] = (rc.contact.channel, "offered")
        selection = "sticky" if rc.target.agent is not None else self.settings.selection.name
        out.append(
            Offered(
                at=now,
                contact_id=rc.contact.id,
                agent_id=aid,
                stage=rc.stage,
                rule=rc.target.rule,
                selection=selection,
                expires_at=expires,
            )
        )

    def sticky_gone(self, target: Target) -> bool:
        if target.agent is None:
            return False
        agent = self.agents.get(target.agent)
        return agent is None or agent.status != AgentStatus.AVAILABLE or not target.matches(agent.agent)

    def nobody_present(self, stage: Stage) -> bool:
        """A stage's ``skip_if``: no agent matching its target logged in, or none available (by a scan)."""
        if stage.skip_if is None:
            return False
        wanted = {
            "none-logged-in": (AgentStatus.AVAILABLE, AgentStatus.AWAY),
            "none-available": (AgentStatus.AVAILABLE,),
        }
        return not any(
            stage.target.matches(a.agent) and a.status in wanted[stage.skip_if] for a in self.agents.values()
        )

    def skipped(self, plan: Plan, index: int) -> bool:
        stage = plan.stages[index]
        last = index == len(plan.stages) - 1
        return not last and (stage.timeout == 0 or self.sticky_gone(stage.target) or self.nobody_present(stage))

    def enter_stage(self, rc: RefContact, now: float, out: list[Any]) -> bool:
        """Skip, judge the entry rules, set the timers; ``False`` when a rule denied the contact."""
        while True:
            while rc.stage < len(rc.plan.stages) - 1:
                if self.skipped(rc.plan, rc.stage):
                    rc.stage += 1
                    out.append(
                        StageChanged(at=now, contact_id=rc.contact.id, stage=rc.stage, rule=rc.target.rule)
                    )
                else:
                    break
            if rc.state != "waiting":
                break
            rule = next(
                (
                    r
                    for r in self.rules_at(rc.target)
                    if r.trigger != "wait" and self.can_act(rc, r) and self.holds(rc, r, now)
                ),
                None,
            )
            if rule is None:
                break
            result = self.act(rc, rule, now, out)
            if result == "denied":
                return False
            if result == "stayed":
                break
        since = self.opens(rc.contact.channel, now)
        rc.stage_since = since
        timeout = rc.plan.stages[rc.stage].timeout
        if timeout is not None:
            self.set_timer(since + timeout, "stage", contact=rc.contact.id)
        self.set_wait_rule(rc, None)
        return True

    # -- exception rules (by scans) ----------------------------------------------------------------

    def rules_at(self, target: Target) -> tuple[Any, ...]:
        rules = self.settings.exception_rules
        return rules.get(target.rule, rules.get(target.channel.value, ()))

    def holds(self, rc: RefContact, rule: Any, now: float) -> bool:
        others = [
            o for o in self.contacts.values() if o is not rc and o.state == "waiting" and o.target == rc.target
        ]
        if rule.trigger == "queue-length":
            return len(others) >= rule.threshold
        if rule.trigger == "estimated-wait":
            ahead = sum(o.key < rc.key for o in others)
            guess = self.estimate(None, rc.target, rc.key, ahead, self.head_waited(rc.target, rc.key, now))
            return guess is not None and self.closed_for(rc.target.channel, now) + guess > rule.threshold
        record = self.decided.get(rc.target, [])[-self.settings.answer_window :]
        if not record:
            return False
        within = sum(1 for waited, ok in record if ok and waited <= rule.within)
        return within / len(record) < rule.threshold

    def can_act(self, rc: RefContact, rule: Any) -> bool:
        if rule.action == "next-stage":
            return rc.stage + 1 < len(rc.plan.stages) and self.routable(rc.plan, rc.stage + 1)
        if rule.action == "overflow":
            same_channel = rule.target.channel == rc.contact.channel
            return not rc.overflowed and same_channel and self.supplied(rule.target)
        return True

    def act(self, rc: RefContact, rule: Any, now: float, out: list[Any]) -> str:
        cid = rc.contact.id
        out.append(
            ExceptionFired(
                at=now, contact_id=cid, rule=rule.name, trigger=rule.trigger, action=rule.action, stage=rc.stage
            )
        )
        if rule.action == "raise-priority":
            rc.priority += rule.by
            out.append(Reprioritized(at=now, contact_id=cid, priority=rc.priority))
            return "stayed"
        self.drop_timers(kind="stage", contact=cid)
        self.drop_timers(kind="rule", contact=cid)
        if rule.action == "next-stage":
            rc.stage += 1
            out.append(StageChanged(at=now, contact_id=cid, stage=rc.stage, rule=rc.target.rule))
            return "moved"
        if rule.action == "overflow":
            rc.plan, rc.stage, rc.overflowed = Plan([Stage(target=rule.target)]), 0, True
            out.append(StageChanged(at=now, contact_id=cid, stage=0, rule=rc.target.rule))
            return "moved"
        self.lift_bars(contact=cid)
        del self.contacts[cid]
        out.append(self.denied(rc.contact, now, rule.reason, rule.name, None))
        self.finish(cid, now, rc.contact.conversation)
        self.close_conversation_of(rc.contact, now, rule.reason, out)
        return "denied"

    def set_wait_rule(self, rc: RefContact, after: tuple[float, int] | None) -> None:
        """The timer of the contact's earliest wait rule after ``after`` (one at a time, as the router's)."""
        keys = [
            (float(r.threshold), i)
            for i, r in enumerate(self.rules_at(rc.target))
            if r.trigger == "wait" and (after is None or (float(r.threshold), i) > after)
        ]
        if keys:
            threshold, index = min(keys)
            self.set_timer(rc.stage_since + threshold, "rule", contact=rc.contact.id, index=index)

    def wait_rule_due(self, rc: RefContact, index: int, at: float, out: list[Any]) -> None:
        rule = self.rules_at(rc.target)[index]
        if rc.state == "waiting" and self.can_act(rc, rule):
            result = self.act(rc, rule, at, out)
            if result == "moved":
                if self.enter_stage(rc, at, out):
                    self.deny_if_stranded(rc, at, out)
                return
            if result == "denied":
                return
        self.set_wait_rule(rc, (float(rule.threshold), index))

    def record(self, rc: RefContact, now: float, answered: bool) -> None:
        self.decided.setdefault(rc.target, []).append((now - rc.clock_start, answered))

    def next_stage(self, rc: RefContact, now: float, out: list[Any]) -> None:
        self.drop_timers(kind="stage", contact=rc.contact.id)
        self.drop_timers(kind="rule", contact=rc.contact.id)
        rc.stage += 1
        out.append(StageChanged(at=now, contact_id=rc.contact.id, stage=rc.stage, rule=rc.target.rule))
        if self.enter_stage(rc, now, out):
            self.deny_if_stranded(rc, now, out)

    def deny_if_stranded(self, rc: RefContact, now: float, out: list[Any]) -> None:
        if rc.state == "waiting" and not self.routable(rc.plan, rc.stage):
            self.deny(rc, now, out)

    def leave_sticky(self, aid: str, now: float, out: list[Any]) -> None:
        waiting = [
            rc
            for rc in self.contacts.values()
            if rc.state == "waiting" and rc.target.agent == aid and rc.stage < len(rc.plan.stages) - 1
        ]
        for rc in sorted(waiting, key=lambda c: c.key):
            self.next_stage(rc, now, out)

    def supplied(self, target: Target) -> bool:
        return any(target.matches(a.agent) for a in self.agents.values())

    def routable(self, plan: Plan, first: int = 0) -> bool:
        return any(self.supplied(stage.target) for stage in plan.stages[first:])

    def full_target(self, cid: str, plan: Plan) -> Target | None:
        """The target a contact entering ``plan`` would wait at when its queue is at its limit (by a scan)."""
        index = 0
        while self.skipped(plan, index):
            index += 1
        target = plan.stages[index].target
        limits = self.settings.queue_limits
        limit = limits.get(target.rule, limits.get(target.channel.value))
        if limit is None:
            return None
        waiting = sum(rc.state == "waiting" and rc.target == target for rc in self.contacts.values())
        if waiting < limit:
            return None
        free = any(
            target.matches(agent.agent) and self.eligible(agent, target.channel) and (cid, aid) not in self.bars
            for aid, agent in self.agents.items()
        )
        return None if free else target

    def deny_unroutable(self, now: float, out: list[Any]) -> None:
        doomed = [
            rc
            for rc in self.contacts.values()
            if rc.state == "waiting" and not self.routable(rc.plan, rc.stage)
        ]
        for rc in sorted(doomed, key=lambda c: c.key):
            self.deny(rc, now, out)

    def deny(self, rc: RefContact, now: float, out: list[Any]) -> None:
        cid = rc.contact.id
        self.drop_timers(kind="stage", contact=cid)
        self.drop_timers(kind="rule", contact=cid)
        self.lift_bars(contact=cid)
        del self.contacts[cid]
        out.append(self.denied(rc.contact, now, "unroutable", rc.target.rule, None))
        self.finish(cid, now, rc.contact.conversation)
        self.close_conversation_of(rc.contact, now, "unroutable", out)

    def denied(
        self, contact: Contact, now: float, reason: str, rule: str, fallback: Any, reopens_at: float | None = None
    ) -> Denied:
        return Denied(
            reopens_at=reopens_at,
            at=now,
            contact_id=contact.id,
            channel=contact.channel,
            tier=contact.customer.tier,
            reason=reason,
            rule=rule,
            fallback=fallback,
        )

    def lift_bars(self, contact: str | None = None, agent: str | None = None) -> None:
        for cid, aid in list(self.bars):
            if (contact is None or cid == contact) and (agent is None or aid == agent):
                del self.bars[(cid, aid)]
                self.drop_timers(kind="reoffer", contact=cid, agent=aid)

    def finish(self, cid: str, now: float, conversation: str | None = None) -> None:
        self.finished[cid] = (now, conversation)

    # -- timers ---------------------------------------------------------------------------------------

    def fire(self, timer: dict[str, Any], out: list[Any]) -> None:
        at, kind = timer["due"], timer["kind"]
        if kind == "offer":
            rc, agent = self.contacts[timer["contact"]], self.agents[timer["agent"]]
            out.append(OfferExpired(at=at, contact_id=rc.contact.id, agent_id=agent.agent.id))
            if self.settings.away_on_missed_offer:
                agent.status = AgentStatus.AWAY
                out.append(AgentStatusChanged(at=at, agent_id=agent.agent.id, status=AgentStatus.AWAY))
            self.end_offer(rc, at, out, bar=True)
            if self.settings.away_on_missed_offer:
                for other in list(agent.offers):
                    self.rescind(self.contacts[other], at, "agent-away", out)
                self.leave_sticky(agent.agent.id, at, out)
        elif kind == "reoffer":
            del self.bars[(timer["contact"], timer["agent"])]
        elif kind == "stage":
            self.next_stage(self.contacts[timer["contact"]], at, out)
        elif kind == "hold":
            self.park(self.contacts[timer["contact"]], at, out)
        elif kind == "wrapup":
            agent = self.agents[timer["agent"]]
            del agent.work[timer["contact"]]
            agent.idle_since = at
            out.append(WrapUpEnded(at=at, agent_id=agent.agent.id, contact_id=timer["contact"]))
        elif kind == "ttl":
            self.close(self.conversations[timer["conversation"]], at, "park-ttl", out)
        elif kind == "rule":
            self.wait_rule_due(self.contacts[timer["contact"]], timer["index"], at, out)
        else:
            self.hours_changed(timer["channel"], timer["change"], opening=timer["channel"] in self.shut)
        self.match(at, out)

    def end_offer(self, rc: RefContact, now: float, out: list[Any], *, bar: bool) -> None:
        aid = rc.agent
        assert aid is not None
        agent = self.agents[aid]
        self.drop_timers(kind="offer", contact=rc.contact.id)
        agent.offers.remove(rc.contact.id)
        del agent.work[rc.contact.id]
        rc.state, rc.agent = "waiting", None
        if bar and self.settings.reoffer_delay > 0:
            self.lift_bars(contact=rc.contact.id, agent=aid)
            self.bars[(rc.contact.id, aid)] = now + self.settings.reoffer_delay
            self.set_timer(now + self.settings.reoffer_delay, "reoffer", contact=rc.contact.id, agent=aid)
        if bar and rc.target.agent == aid and rc.stage < len(rc.plan.stages) - 1:
            self.next_stage(rc, now, out)
        elif rc.contact.id in self.contacts:
            self.deny_if_stranded(rc, now, out)

    def rescind(self, rc: RefContact, now: float, reason: str, out: list[Any]) -> None:
        out.append(OfferRescinded(at=now, contact_id=rc.contact.id, agent_id=rc.agent, reason=reason))
        self.end_offer(rc, now, out, bar=False)

    def park(self, rc: RefContact, now: float, out: list[Any]) -> None:
        aid = rc.agent
        assert aid is not None
        agent = self.agents[aid]
        cid = rc.contact.id
        self.drop_timers(kind="hold", contact=cid)
        conv = self.conversations[rc.contact.conversation]
        del agent.work[cid]
        agent.idle_since = now
        del self.contacts[cid]
        self.finish(cid, now, conv.record.id)
        conv.parked = True
        hold = self.policy.hold(rc.contact)
        ttl = hold.park_ttl if hold is not None else self.settings.park_ttl
        self.set_timer(now + ttl, "ttl", conversation=conv.record.id)
        out.append(Parked(at=now, conversation_id=conv.record.id, contact_id=cid, agent_id=aid))

    def close(self, conv: RefConversation, now: float, reason: str, out: list[Any]) -> None:
        self.drop_timers(kind="ttl", conversation=conv.record.id)
        conv.closed = True
        self.closed_at[conv.record.id] = now
        out.append(ConversationClosed(at=now, conversation_id=conv.record.id, reason=reason))

    def close_conversation_of(self, contact: Contact, now: float, reason: str, out: list[Any]) -> None:
        conv = self.conversations.get(contact.conversation)
        if conv is not None and conv.turn == contact.id and not conv.closed:
            self.close(conv, now, reason, out)

    # -- agents ---------------------------------------------------------------------------------------

    def agent_or_refuse(self, aid: str, out: list[Any]) -> RefAgent:
        if aid not in self.agents:
            raise self.refuse(errors.UnknownIdError(f"unknown agent {aid!r}"), out)
        return self.agents[aid]

    def status_or_refuse(self, status: Any, out: list[Any]) -> AgentStatus:
        if status not in {s.value for s in AgentStatus}:
            raise self.refuse(errors.ConfigError("unknown status"), out)
        return AgentStatus(status)

    def add_agent(self, agent: Agent, now: float, status: AgentStatus = AgentStatus.AVAILABLE) -> list[Any]:
        self.types(agent=agent)
        out = self.begin(now)
        now = self.now
        status = self.status_or_refuse(status, out)
        if agent.id in self.agents:
            raise self.refuse(errors.DuplicateIdError("duplicate agent"), out)
        self.agents[agent.id] = RefAgent(agent=agent, status=AgentStatus(status), idle_since=now)
        out.append(AgentStatusChanged(at=now, agent_id=agent.id, status=AgentStatus(status)))
        self.match(now, out)
        return out

    def update_agent(self, agent: Agent, now: float) -> list[Any]:
        self.types(agent=agent)
        out = self.begin(now)
        now = self.now
        self.agent_or_refuse(agent.id, out).agent = agent
        self.match(now, out)
        self.deny_unroutable(now, out)
        return out

    def remove_agent(self, aid: str, now: float) -> list[Any]:
        self.types(agent_id=aid)
        out = self.begin(now)
        now = self.now
        agent = self.agent_or_refuse(aid, out)
        if agent.work:
            raise self.refuse(errors.StateError("agent has work"), out)
        out.append(AgentStatusChanged(at=now, agent_id=aid, status=AgentStatus.OFFLINE))
        self.lift_bars(agent=aid)
        del self.agents[aid]
        self.leave_sticky(aid, now, out)
        self.match(now, out)
        self.deny_unroutable(now, out)
        return out

    def set_status(self, aid: str, status: AgentStatus, now: float) -> list[Any]:
        self.types(agent_id=aid)
        out = self.begin(now)
        now = self.now
        agent = self.agent_or_refuse(aid, out)
        status = self.status_or_refuse(status, out)
        if status == agent.status:
            return out
        out.append(AgentStatusChanged(at=now, agent_id=aid, status=status))
        agent.status = status
        if status == AgentStatus.AVAILABLE:
            agent.idle_since = now
        else:
            reason = "agent-away" if status == AgentStatus.AWAY else "agent-offline"
            for cid in list(agent.offers):
                self.rescind(self.contacts[cid], now, reason, out)
            if status == AgentStatus.OFFLINE:
                for cid in sorted(c for c, (_, kind) in agent.work.items() if kind == "held"):
                    self.park(self.contacts[cid], now, out)
            self.leave_sticky(aid, now, out)
        self.match(now, out)
        return out

    def end_wrap_up(self, aid: str, now: float) -> list[Any]:
        self.types(agent_id=aid)
        out = self.begin(now)
        now = self.now
        agent = self.agent_or_refuse(aid, out)
        wrapping = [cid for cid, (_, kind) in agent.work.items() if kind == "wrap-up"]
        if not wrapping:
            raise self.refuse(errors.StateError("not in wrap-up"), out)
        for cid in wrapping:
            self.drop_timers(kind="wrapup", agent=aid, contact=cid)
            del agent.work[cid]
            agent.idle_since = now
            out.append(WrapUpEnded(at=now, agent_id=aid, contact_id=cid))
        self.match(now, out)
        return out

    # -- contacts -------------------------------------------------------------------------------------

    def live_or_refuse(self, cid: str, out: list[Any]) -> RefContact:
        if cid not in self.contacts:
            if cid in self.finished:
                raise self.refuse(errors.StateError("finished"), out)
            raise self.refuse(errors.UnknownIdError(f"unknown contact {cid!r}"), out)
        return self.contacts[cid]

    def plan_or_refuse(self, contact: Contact, now: float, out: list[Any]) -> Plan | Denial:
        try:
            plan: Plan | Denial = self.policy.plan(contact, now)
        except errors.RoutekitError as error:
            raise self.refuse(error, out) from None
        return plan

    def queued(self, rc: RefContact, now: float, out: list[Any]) -> None:
        out.append(
            ContactQueued(
                at=now,
                contact_id=rc.contact.id,
                channel=rc.contact.channel,
                tier=rc.contact.customer.tier,
                arrived_at=rc.clock_start,
                stage=0,
                rule=rc.target.rule,
                priority=rc.priority + rc.plan.stages[0].boost,
            )
        )
        self.enter_stage(rc, now, out)

    def start(self, contact: Contact, plan: Plan, now: float, out: list[Any]) -> None:
        arrived = contact.arrived_at if contact.arrived_at is not None else now
        rc = RefContact(
            contact=contact,
            plan=plan,
            stage=0,
            priority=contact.priority,
            arrival=arrived - contact.head_start,
            seq=self.seq,
            clock_start=self.opens(contact.channel, arrived),
        )
        self.seq += 1
        self.contacts[contact.id] = rc
        self.queued(rc, now, out)

    def submit(self, contact: Contact, now: float) -> list[Any]:
        self.types(contact=contact)
        out = self.begin(now)
        now = self.now
        if contact.id in self.contacts or contact.id in self.finished:
            raise self.refuse(errors.DuplicateIdError("duplicate contact"), out)
        if contact.arrived_at is not None and contact.arrived_at > now:
            raise self.refuse(errors.ClockError("arrived after now"), out)
        if contact.channel.synchronous and contact.conversation_id in self.conversations:
            raise self.refuse(errors.StateError("a synchronous contact names a conversation"), out)
        conversation_id = None if contact.channel.synchronous else contact.conversation
        if conversation_id is not None and conversation_id in self.conversations:
            raise self.refuse(errors.DuplicateIdError("conversation open"), out)
        plan = self.plan_or_refuse(contact, now, out)
        if isinstance(plan, Denial):
            out.append(self.denied(contact, now, plan.reason, plan.rule, plan.fallback))
            self.finish(contact.id, now)
            return out
        if not self.routable(plan):
            raise self.refuse(errors.UnroutableContactError("unroutable"), out)
        if contact.channel in self.shut and (contact.channel.synchronous or self.shut[contact.channel] is None):
            rule = f"hours:{contact.channel.value}"
            out.append(self.denied(contact, now, "closed", rule, None, self.shut[contact.channel]))
            self.finish(contact.id, now)
            return out
        full = self.full_target(contact.id, plan)
        if full is not None:
            fallback = self.settings.queue_fallback.get(contact.channel)
            out.append(self.denied(contact, now, "queue-full", full.rule, fallback))
            self.finish(contact.id, now)
            return out
        if conversation_id is not None:
            record = Conversation(
                id=conversation_id,
                customer=contact.customer,
                channel=contact.channel,
                turns=(contact.id,),
                context=contact.context,
            )
            self.conversations[conversation_id] = RefConversation(
                record=record, parked=False, turn=contact.id, first=contact
            )
        self.start(contact, plan, now, out)
        self.match(now, out)
        return out

    def pending_or_refuse(self, cid: str, aid: str, out: list[Any]) -> RefContact:
        rc = self.contacts.get(cid)
        if rc is None or rc.state != "offered" or rc.agent != aid:
            raise self.refuse(errors.OfferStateError("no pending offer"), out)
        return rc

    def accept(self, cid: str, aid: str, now: float) -> list[Any]:
        self.types(contact_id=cid, agent_id=aid)
        out = self.begin(now)
        now = self.now
        rc = self.pending_or_refuse(cid, aid, out)
        agent = self.agents[aid]
        self.drop_timers(kind="offer", contact=cid)
        self.drop_timers(kind="stage", contact=cid)
        self.drop_timers(kind="rule", contact=cid)
        self.lift_bars(contact=cid)
        self.record(rc, now, True)
        rc.state = "assigned"
        agent.offers.remove(cid)
        agent.work[cid] = (rc.contact.channel, "assigned")
        self.wait_log.append(("answer", rc.target, rc.contact.channel, rc.offered_at, rc.stage_since, rc.clock_start))
        conv = self.conversations.get(rc.contact.conversation)
        if conv is not None and conv.turn == cid and not conv.closed and not rc.contact.channel.synchronous:
            conv.record = attrs.evolve(conv.record, agents=(*conv.record.agents, aid))
        out.append(Assigned(at=now, contact_id=cid, agent_id=aid, waited=now - rc.clock_start))
        self.match(now, out)
        return out

    def reject(self, cid: str, aid: str, now: float) -> list[Any]:
        self.types(contact_id=cid, agent_id=aid)
        out = self.begin(now)
        now = self.now
        rc = self.pending_or_refuse(cid, aid, out)
        out.append(OfferRejected(at=now, contact_id=cid, agent_id=aid))
        self.end_offer(rc, now, out, bar=True)
        self.match(now, out)
        return out

    def complete(self, cid: str, now: float) -> list[Any]:
        self.types(contact_id=cid)
        out = self.begin(now)
        now = self.now
        rc = self.live_or_refuse(cid, out)
        if rc.state not in ("assigned", "held"):
            raise self.refuse(errors.StateError("not assigned"), out)
        aid = rc.agent
        assert aid is not None
        agent = self.agents[aid]
        self.drop_timers(kind="hold", contact=cid)
        wrap = agent.agent.wrap_up.get(rc.contact.channel, self.settings.wrap_up)
        out.append(Completed(at=now, contact_id=cid, agent_id=aid, wrap_up_until=now + wrap))
        del self.contacts[cid]
        self.finish(cid, now, rc.contact.conversation)
        self.close_conversation_of(rc.contact, now, "completed", out)
        if wrap > 0:
            agent.work[cid] = (rc.contact.channel, "wrap-up")
            self.set_timer(now + wrap, "wrapup", agent=aid, contact=cid)
        else:
            del agent.work[cid]
            agent.idle_since = now
        self.match(now, out)
        return out

    def parked_conversation(self, some_id: str) -> RefConversation | None:
        conv = self.conversations.get(some_id)
        if conv is None and some_id in self.finished:
            conv_id = self.finished[some_id][1]
            conv = self.conversations.get(conv_id) if conv_id else None
            if conv is not None and conv.turn != some_id:
                return None
        if conv is None or not conv.parked or conv.closed:
            return None
        return conv

    def abandon(self, cid: str, now: float) -> list[Any]:
        self.types(contact_id=cid)
        out = self.begin(now)
        now = self.now
        rc = self.contacts.get(cid)
        if rc is None:
            conv = self.parked_conversation(cid)
            if conv is None:
                if cid in self.finished:
                    raise self.refuse(errors.StateError("finished"), out)
                raise self.refuse(errors.UnknownIdError("unknown"), out)
            out.append(Abandoned(at=now, contact_id=conv.turn))
            self.close(conv, now, "abandoned", out)
            return out
        if rc.state == "assigned":
            raise self.refuse(errors.StateError("assigned"), out)
        if rc.state == "offered":
            aid = rc.agent
            assert aid is not None
            out.append(OfferRescinded(at=now, contact_id=cid, agent_id=aid, reason="abandoned"))
            self.drop_timers(kind="offer", contact=cid)
            self.agents[aid].offers.remove(cid)
            del self.agents[aid].work[cid]
        elif rc.state == "held":
            agent = self.agents[rc.agent]  # type: ignore[index]
            self.drop_timers(kind="hold", contact=cid)
            del agent.work[cid]
            agent.idle_since = now
        if rc.state in ("waiting", "offered"):
            self.wait_log.append(("abandon", rc.contact.channel, max(0.0, now - rc.clock_start)))
        if rc.state != "held":
            self.record(rc, now, False)
        self.drop_timers(kind="stage", contact=cid)
        self.drop_timers(kind="rule", contact=cid)
        self.lift_bars(contact=cid)
        del self.contacts[cid]
        out.append(Abandoned(at=now, contact_id=cid))
        self.finish(cid, now, rc.contact.conversation)
        self.close_conversation_of(rc.contact, now, "abandoned", out)
        self.match(now, out)
        return out

    def reprioritize(self, cid: str, priority: int, now: float) -> list[Any]:
        self.types(contact_id=cid)
        out = self.begin(now)
        now = self.now
        rc = self.live_or_refuse(cid, out)
        if rc.state != "waiting":
            raise self.refuse(errors.StateError("not waiting"), out)
        rc.priority = priority
        out.append(Reprioritized(at=now, contact_id=cid, priority=priority))
        self.match(now, out)
        return out

    def transfer(self, cid: str, now: float, target: Target | Plan | None = None) -> list[Any]:
        self.types(contact_id=cid, target=target)
        out = self.begin(now)
        now = self.now
        rc = self.live_or_refuse(cid, out)
        if rc.state != "assigned":
            raise self.refuse(errors.StateError("not assigned"), out)
        if target is None:
            plan = self.plan_or_refuse(rc.contact, now, out)
            if isinstance(plan, Denial):
                raise self.refuse(errors.StateError("denied"), out)
        elif isinstance(target, Target):
            plan = Plan([Stage(target=target)])
        else:
            plan = target
        if any(stage.target.channel != rc.contact.channel for stage in plan.stages):
            raise self.refuse(errors.ConfigError("a stage on another channel"), out)
        if not self.routable(plan):
            raise self.refuse(errors.UnroutableContactError("unroutable"), out)
        if self.full_target(cid, plan) is not None:
            raise self.refuse(errors.StateError("queue-full"), out)
        aid = rc.agent
        assert aid is not None
        out.append(Transferred(at=now, contact_id=cid, agent_id=aid))
        del self.agents[aid].work[cid]
        self.agents[aid].idle_since = now
        rc.plan, rc.stage, rc.agent, rc.state, rc.overflowed = plan, 0, None, "waiting", False
        self.queued(rc, now, out)
        self.match(now, out)
        return out

    # -- conversations --------------------------------------------------------------------------------

    def await_customer(self, cid: str, now: float) -> list[Any]:
        self.types(contact_id=cid)
        out = self.begin(now)
        now = self.now
        rc = self.live_or_refuse(cid, out)
        conv = self.conversations.get(rc.contact.conversation)
        turn = conv is not None and conv.turn == cid and not conv.closed and not rc.contact.channel.synchronous
        if rc.state != "assigned" or not turn:
            raise self.refuse(errors.StateError("not the assigned turn of an open conversation"), out)
        hold = self.policy.hold(rc.contact)
        aid = rc.agent
        assert aid is not None
        if hold is None or hold.hold <= 0:
            self.park(rc, now, out)
            self.match(now, out)
            return out
        rc.state = "held"
        self.agents[aid].work[cid] = (rc.contact.channel, "held")
        self.set_timer(now + hold.hold, "hold", contact=cid)
        out.append(
            AwaitingCustomer(
                at=now,
                contact_id=cid,
                conversation_id=rc.contact.conversation,
                agent_id=aid,
                hold_until=now + hold.hold,
            )
        )
        return out

    def customer_replied(self, conv_id: str, now: float) -> list[Any]:
        self.types(conversation_id=conv_id)
        out = self.begin(now)
        now = self.now
        conv = self.conversations.get(conv_id)
        if conv is None:
            raise self.refuse(errors.UnknownIdError("unknown conversation"), out)
        if conv.closed:
            raise self.refuse(errors.StateError("closed"), out)
        if not conv.parked:
            rc = self.contacts[conv.turn]
            if rc.state == "held":
                self.drop_timers(kind="hold", contact=conv.turn)
                rc.state = "assigned"
                self.agents[rc.agent].work[conv.turn] = (rc.contact.channel, "assigned")  # type: ignore[index]
            out.append(CustomerReplied(at=now, conversation_id=conv_id, contact_id=conv.turn))
            return out
        record = conv.record
        turn_id = f"{conv_id}#{len(record.turns) + 1}"
        if turn_id in self.contacts or turn_id in self.finished:
            raise self.refuse(errors.DuplicateIdError("turn id in use"), out)
        turn = attrs.evolve(
            conv.first,
            id=turn_id,
            arrived_at=now,
            head_start=0.0,
            conversation_id=conv_id,
            context=record.context,
            served_by=record.agents,
        )
        plan = self.plan_or_refuse(turn, now, out)
        self.drop_timers(kind="ttl", conversation=conv_id)
        conv.parked = False
        conv.turn = turn_id
        conv.record = attrs.evolve(record, turns=(*record.turns, turn_id))
        out.append(
            Resumed(at=now, conversation_id=conv_id, contact_id=turn_id, last_agent_id=record.last_agent)
        )
        never_opens = turn.channel in self.shut and self.shut[turn.channel] is None
        if isinstance(plan, Denial) or not self.routable(plan) or never_opens:
            if isinstance(plan, Denial):
                reason, rule, fallback = plan.reason, plan.rule, plan.fallback
            elif not self.routable(plan):
                reason, rule, fallback = "unroutable", plan.stages[0].target.rule, None
            else:
                reason, rule, fallback = "closed", f"hours:{turn.channel.value}", None
            out.append(self.denied(turn, now, reason, rule, fallback))
            self.finish(turn_id, now, conv_id)
            self.close(conv, now, reason, out)
            return out
        self.start(turn, plan, now, out)
        self.match(now, out)
        return out

    # -- read views -----------------------------------------------------------------------------------

    def position(self, cid: str) -> int | None:
        rc = self.contacts.get(cid)
        if rc is None or rc.state != "waiting":
            return None
        same = [c for c in self.contacts.values() if c.state == "waiting" and c.target == rc.target]
        return sorted(c.key for c in same).index(rc.key)

    def waiting(self) -> list[str]:
        waiting = [c for c in self.contacts.values() if c.state == "waiting"]
        return [c.contact.id for c in sorted(waiting, key=lambda c: c.key)]

    # -- wait estimates: every read folds the whole log again ------------------------------------------

    def wait_tallies(self) -> tuple[dict[Any, list[Any]], dict[Any, list[Any]]]:
        """Per target and per channel: [last start, last wait, gaps, gap time, abandons, waited, pool gaps,
        pool gap time]."""
        decay = 1.0 - 1.0 / self.settings.answer_window
        targets: dict[Any, list[Any]] = {}
        channels: dict[Any, list[Any]] = {}
        for entry in self.wait_log:
            if entry[0] == "abandon":
                _, channel, waited = entry
                ch = channels.setdefault(channel, [None, None, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
                ch[4] = ch[4] * decay + 1.0
                ch[5] = ch[5] * decay + waited
                continue
            _, target, channel, start, since, clock = entry
            here = targets.setdefault(target, [None, None, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
            ch = channels.setdefault(channel, [None, None, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
            last = here[0]
            if last is not None and since <= last < start:
                for tally in (here, ch):
                    tally[2] = tally[2] * decay + 1.0
                    tally[3] = tally[3] * decay + (start - last)
            if last is None or start > last:
                here[0] = start
            last = ch[0]
            if last is not None and clock <= last < start:
                ch[6] = ch[6] * decay + 1.0
                ch[7] = ch[7] * decay + (start - last)
            if last is None or start > last:
                ch[0] = start
            wait = max(0.0, start - clock)
            if wait > 0:
                here[1] = ch[1] = wait
                ch[4] *= decay
                ch[5] = ch[5] * decay + wait
        return targets, channels

    def estimate(
        self, predictor: str | None, target: Target, key: Any, ahead: int, head: float | None
    ) -> float | None:
        name = self.settings.wait_predictor if predictor is None else predictor
        targets, channels = self.wait_tallies()
        here, ch = targets.get(target), channels.get(target.channel)
        theta = ch[4] / ch[5] if ch is not None and ch[5] > 0 else 0.0
        if name == "queue-length-channel":
            if ch is None or ch[6] < 1.5:
                return None
            rate = ch[6] / ch[7]
            ahead = sum(
                1
                for c in self.contacts.values()
                if c.state == "waiting"
                and c.target.channel == target.channel
                and (c.target.agent is None or c.target == target)
                and c.key < key
            )
            if theta == 0:
                return (ahead + 1) / rate
            return sum(1.0 / (rate + i * theta) for i in range(ahead + 1))
        if name == "queue-length":
            tally = next((t for t in (here, ch) if t is not None and t[2] >= 1.5), None)
            if tally is None:
                return None
            rate = tally[2] / tally[3]
            if theta == 0:
                return (ahead + 1) / rate
            return sum(1.0 / (rate + i * theta) for i in range(ahead + 1))
        if name == "hol" and head is not None:
            return max(0.0, head)
        return next((t[1] for t in (here, ch) if t is not None and t[1] is not None), None)

    def head_waited(self, target: Target, key: Any, now: float) -> float | None:
        ahead = [c for c in self.contacts.values() if c.state == "waiting" and c.target == target and c.key < key]
        return None if not ahead else now - min(ahead, key=lambda c: c.key).clock_start

    def expected_wait(self, cid: str, now: float, *, predictor: str | None = None) -> float | None:
        if predictor is not None and predictor not in ("queue-length", "queue-length-channel", "les", "hol"):
            raise errors.ConfigError(f"unknown predictor {predictor!r}")
        rc = self.contacts.get(cid)
        if rc is None or rc.state != "waiting":
            return None
        ahead = self.position(cid)
        assert ahead is not None
        guess = self.estimate(predictor, rc.target, rc.key, ahead, self.head_waited(rc.target, rc.key, now))
        return None if guess is None else self.closed_for(rc.target.channel, now) + guess

    def closed_for(self, channel: Channel, now: float) -> float:
        """Seconds until a held channel opens (a message waits for the opening before any wait counts)."""
        return self.opens(channel, now) - now

    def quote_wait(self, contact: Contact, now: float, *, predictor: str | None = None) -> float | None:
        if predictor is not None and predictor not in ("queue-length", "queue-length-channel", "les", "hol"):
            raise errors.ConfigError(f"unknown predictor {predictor!r}")
        plan = self.policy.plan(contact, now)
        if isinstance(plan, Denial) or not self.routable(plan):
            return None
        if contact.channel in self.shut and (contact.channel.synchronous or self.shut[contact.channel] is None):
            return None
        if self.full_target(contact.id, plan) is not None:
            return None
        stage = 0
        while self.skipped(plan, stage):
            stage += 1
        arrived = contact.arrived_at if contact.arrived_at is not None else now
        rc = RefContact(contact, plan, stage, contact.priority, arrived - contact.head_start, self.seq, arrived)
        rc.stage_since = self.opens(contact.channel, now)  # as enter_stage would set it
        waiting = [c for c in self.contacts.values() if c.state == "waiting" and c.target == rc.target]
        ahead = sum(c.key < rc.key for c in waiting)
        closed_for = self.closed_for(rc.target.channel, now)
        if ahead == 0 and not closed_for and self.candidates(rc, now):
            return 0.0
        guess = self.estimate(predictor, rc.target, rc.key, ahead, self.head_waited(rc.target, rc.key, now))
        return None if guess is None else closed_for + guess
