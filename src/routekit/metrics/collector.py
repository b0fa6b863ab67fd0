"""The KPI collector: it observes the router's events one at a time and counts what the report needs."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from routekit import kpis
from routekit.errors import ArgumentTypeError
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
    Event,
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
from routekit.metrics.report import ALL, IntervalKpis, KpiReport, KpiRow, kpi_row
from routekit.metrics.tallies import (
    _AgentClock,
    _AgentTime,
    _capacities,
    _check_interval,
    _check_warmup,
    _Counting,
    _merged,
    _Open,
    _slots,
    _Tally,
    _thresholds,
    _tier_names,
)
from routekit.models.agent import AgentStatus
from routekit.models.channel import Channel
from routekit.router.limits import QUEUE_FULL

__all__ = ["KpiCollector"]

# ---------------------------------------------------------------------------------------------------
# The collector


# Validators run when the collector is built; re-running them on every counter update cost about a fifth
# of observe's time.
@attrs.define(on_setattr=attrs.setters.NO_OP)
class KpiCollector:
    """Observes router events and reports KPIs; the definitions are in :mod:`routekit.metrics`.

    Args:
        service_levels: Channel to its service-level threshold in seconds; a channel not listed has no
            service level.
        warmup_contacts: How many of the first contacts to be queued to leave out of the KPIs.
        interval: The length of each interval of the per-interval series, in seconds.
        capacity: Agent id to its channel capacity, needed for per-channel occupancy and slot
            utilisation (agents not listed count only in the overall occupancy).
        tiers: The order of tier rows in the report, lowest first (names, or a
            :class:`~routekit.models.Tiers`); tiers not listed follow by name.

    Raises:
        ConfigError: A negative threshold, warm-up or capacity, or an interval that is not > 0.

    >>> kpis = KpiCollector(service_levels={"chat": 60}, warmup_contacts=100, interval=900)
    >>> kpis.report(until=0.0).overall.offered
    0
    """

    service_levels: dict[Channel, float] = attrs.field(factory=dict, converter=_thresholds)
    warmup_contacts: int = attrs.field(default=0, validator=_check_warmup)
    interval: float = attrs.field(default=1800.0, validator=_check_interval)
    capacity: dict[str, dict[Channel, int]] = attrs.field(factory=dict, converter=_capacities)
    tiers: tuple[str, ...] = attrs.field(default=(), converter=_tier_names)

    _open: dict[str, _Open] = attrs.field(init=False, factory=dict)
    _tallies: dict[tuple[Channel, str], _Tally] = attrs.field(init=False, factory=dict)
    _interval_tallies: dict[tuple[Channel, str, int], _Tally] = attrs.field(init=False, factory=dict)
    _agents: dict[str, _AgentClock] = attrs.field(init=False, factory=dict)
    _time: _AgentTime = attrs.field(init=False, factory=_AgentTime)
    _wrapping: dict[tuple[str, str], Channel] = attrs.field(init=False, factory=dict)
    # Keyed by conversation id; a finished contact pops its conversation, None outside one (never a key).
    _held: dict[str | None, str] = attrs.field(init=False, factory=dict)
    _resumed: dict[str, str] = attrs.field(init=False, factory=dict)
    _estimates: dict[str, float] = attrs.field(init=False, factory=dict)
    # The contacts announced as a customer's later attempt, until their first ContactQueued or Denied.
    _retrials: set[str] = attrs.field(init=False, factory=set)
    _queued: int = attrs.field(init=False, default=0)
    _measure_from: float = attrs.field(init=False, default=-math.inf)
    _handlers: dict[type, Callable[[Any], None]] = attrs.field(init=False, factory=dict)
    _counting: dict[tuple[Channel, str], _Counting] = attrs.field(init=False, factory=dict)
    _first_counted: int = attrs.field(init=False, default=0)  # the count of queued contacts that ends warm-up
    # The agent time totals at each interval boundary passed so far (the k-th at (k + 1) * interval), and
    # the next boundary: agent time is split into intervals by settling every agent at each boundary.
    _boundary_totals: list[_AgentTime] = attrs.field(init=False, factory=list)
    _next_boundary: float = attrs.field(init=False, default=math.inf)

    def __attrs_post_init__(self) -> None:
        if self.warmup_contacts:
            # Agent time starts counting when the first counted contact is queued.
            self._measure_from = math.inf
            self._first_counted = self.warmup_contacts + 1
        self._next_boundary = self.interval
        ignore = self._ignore
        self._handlers = {
            ContactQueued: self._on_queued,
            Offered: self._on_offered,
            Assigned: self._on_assigned,
            Completed: self._on_completed,
            WrapUpEnded: self._on_wrap_up_ended,
            Transferred: self._on_transferred,
            Abandoned: self._on_abandoned,
            Denied: self._on_denied,
            AwaitingCustomer: self._on_awaiting,
            Parked: self._on_parked,
            ConversationClosed: self._on_closed,
            Resumed: self._on_resumed,
            AgentStatusChanged: self._on_status,
            OfferRejected: ignore,
            OfferExpired: ignore,
            OfferRescinded: ignore,
            StageChanged: ignore,
            CustomerReplied: ignore,
            ExceptionFired: ignore,
            Reprioritized: ignore,
        }

    # -- public ------------------------------------------------------------------------------------

    def observe(self, event: Event) -> None:
        """Take one event into account. O(1).

        Raises:
            TypeError: ``event`` is not a router event.
        """
        try:
            handler = self._handlers[type(event)]
        except KeyError:
            raise TypeError(f"not a router event: {event!r}") from None
        handler(event)

    def observe_all(self, events: Iterable[Event]) -> None:
        """Take each event into account, in order. O(1) per event.

        Raises:
            TypeError: An item is not a router event.
        """
        handlers = self._handlers
        for event in events:
            try:
                handler = handlers[type(event)]
            except KeyError:
                raise TypeError(f"not a router event: {event!r}") from None
            handler(event)

    def observer(self, kind: type) -> Callable[[Any], None]:
        """The function :meth:`observe` hands each event of type ``kind`` to.

        For a host that already sorts each event by its type (the simulator does, to react to it):
        calling ``observer(type(event))(event)`` is ``observe(event)`` without a second look-up.

        Raises:
            TypeError: ``kind`` is not a router event type.
        """
        try:
            return self._handlers[kind]
        except KeyError:
            raise TypeError(f"not a router event type: {kind!r}") from None

    def observe_estimate(self, contact_id: str, estimate_seconds: float) -> None:
        """Record the router's expected wait for a contact, made at submit, to measure its error.

        It may come before or after the contact's ``ContactQueued``; an estimate for a contact that is
        never queued is dropped at its ``Denied``.
        """
        contact = self._open.get(contact_id)
        if contact is None:
            self._estimates[contact_id] = float(estimate_seconds)
        elif not contact.answered:
            contact.estimate = float(estimate_seconds)

    def observe_retrial(self, contact_id: str) -> None:
        """Announce that the contact about to be submitted is a customer trying again, not a new customer.

        Its ``ContactQueued`` (or its ``Denied`` at submit) then counts in ``retrials`` as well as in
        ``offered`` (or ``denied``), so that ``offered + denied - retrials`` counts customers. O(1).

        Raises:
            ArgumentTypeError: ``contact_id`` is not a string.
        """
        if type(contact_id) is not str:
            raise ArgumentTypeError(f"contact_id must be a str, got {contact_id!r}")
        self._retrials.add(contact_id)

    def login(self, agent_id: str, at: float) -> None:
        """Start counting the agent's logged-in time (a no-op if it is already logged in)."""
        agent = self._agent(agent_id)
        if not agent.logged_in:
            self._settle(agent, at)
            agent.logged_in = True

    def logout(self, agent_id: str, at: float) -> None:
        """Stop counting the agent's logged-in time (a no-op if it is not logged in)."""
        agent = self._agent(agent_id)
        if agent.logged_in:
            self._settle(agent, at)
            agent.logged_in = False

    def set_capacity(self, agent_id: str, capacity: Mapping[Channel, int] | Mapping[str, int], at: float) -> None:
        """Change an agent's channel capacity from ``at`` on (after the router's ``update_agent``).

        Raises:
            ConfigError: A slot count that is not an integer >= 0.
        """
        slots = _slots(capacity)
        agent = self._agent(agent_id)
        self._settle(agent, at)
        agent.seats = tuple(slots.items())
        self.capacity[agent_id] = slots

    def report(self, until: float) -> KpiReport:
        """The KPIs of everything observed, with open work and waiting contacts counted up to ``until``.

        It changes nothing, so it can be called at any time, for example every interval on live events.
        O(open contacts + agents + rows x intervals).
        """
        time = self._time_at(until)

        tallies = {key: attrs.evolve(tally) for key, tally in self._tallies.items()}
        intervals = {key: attrs.evolve(tally) for key, tally in self._interval_tallies.items()}
        copies = {id(self._tallies[key]): tally for key, tally in tallies.items()}
        copies.update({id(self._interval_tallies[key]): tally for key, tally in intervals.items()})
        for contact in self._open.values():
            if contact.tally is None or contact.answered:
                continue
            waited = max(0.0, until - contact.arrived_at)
            undecided = contact.threshold is not None and kpis.within_threshold(waited, contact.threshold)
            for original in (contact.tally, contact.interval):
                tally = copies[id(original)]
                tally.still_waiting += 1
                if undecided:
                    tally.sl_undecided += 1
            pair = copies[id(contact.tally)]
            pair.wait_max = max(pair.wait_max, waited)
        return KpiReport(
            until=until,
            interval=self.interval,
            warmup_contacts=self.warmup_contacts,
            rows=self._rows(tallies, intervals, time, self._interval_time(until, time)),
        )

    def _time_at(self, moment: float) -> _AgentTime:
        """The agent time totals as they will stand at ``moment`` if no agent changes before it."""
        time = self._time.copy()
        start_from = self._measure_from
        for agent in self._agents.values():
            start = agent.last if agent.last > start_from else start_from
            if agent.logged_in and moment > start:
                time.accrue(agent, moment - start)
        return time

    def _interval_time(self, until: float, total: _AgentTime) -> list[tuple[_AgentTime, float]]:
        """Each interval's agent time up to ``until``, with the seconds of it that were measured."""
        totals = list(self._boundary_totals)
        boundary = self._next_boundary
        while boundary < until:
            totals.append(self._time_at(boundary))
            boundary += self.interval
        totals.append(total)
        series = []
        before = _AgentTime()
        for k, now in enumerate(totals):
            start, end = k * self.interval, min((k + 1) * self.interval, until)
            measured = end - max(start, self._measure_from)
            series.append((now.since(before), measured))
            before = now
        return series

    def _cross_boundaries(self, at: float) -> None:
        """Settle every agent at each interval boundary up to ``at``, and keep the totals there. O(agents)."""
        while self._next_boundary <= at:
            boundary = self._next_boundary
            for agent in self._agents.values():
                self._settle(agent, boundary)
            self._boundary_totals.append(self._time.copy())
            self._next_boundary = boundary + self.interval

    # -- snapshot ----------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The collector's whole state as plain, JSON-able data; :meth:`restore` rebuilds it. O(state).

        A durable router keeps it in its snapshots, so that live KPIs survive a restart
        (:mod:`routekit.metrics.persistence` writes and reads it).
        """
        from routekit.metrics.persistence import collector_to_data

        return collector_to_data(self)

    @classmethod
    def restore(cls, snapshot: Mapping[str, Any]) -> KpiCollector:
        """Rebuild a collector from :meth:`snapshot`'s data (after a JSON round trip or not).

        Raises:
            ConfigError: The settings in the snapshot are not valid.
        """
        from routekit.metrics.persistence import collector_from_data

        return collector_from_data(snapshot)

    # -- report helpers ----------------------------------------------------------------------------

    def _rows(
        self,
        tallies: dict[tuple[Channel, str], _Tally],
        intervals: dict[tuple[Channel, str, int], _Tally],
        time: _AgentTime,
        interval_time: list[tuple[_AgentTime, float]],
    ) -> tuple[KpiRow, ...]:
        channels = [c for c in Channel if any(key[0] == c for key in tallies)]
        seen = {tier for _, tier in tallies}
        tiers = [t for t in self.tiers if t in seen] + sorted(seen - set(self.tiers))
        by_index: dict[int, list[tuple[Channel, str, _Tally]]] = {}
        for (c, t, index), tally in intervals.items():
            by_index.setdefault(index, []).append((c, t, tally))
        # The intervals with a contact first queued in them, or with an agent logged in, and those between.
        indices = list(by_index) + [k for k, (spent, _) in enumerate(interval_time) if spent.logged > 0]
        span = range(min(indices), max(indices) + 1) if indices else range(0)

        def row(channel: Channel | None, tier: str | None) -> KpiRow:
            def match(c: Channel, t: str) -> bool:
                return (channel is None or c == channel) and (tier is None or t == tier)

            series = []
            for index in span:
                part = _merged(v for c, t, v in by_index.get(index, ()) if match(c, t))
                busy = agents = None
                if tier is None and 0 <= index < len(interval_time):
                    inside, measured = interval_time[index]
                    logged, working = (
                        (inside.logged, inside.busy)
                        if channel is None
                        else (inside.channels[channel].logged, inside.channels[channel].busy)
                    )
                    busy = kpis.occupancy(working, logged)
                    agents = logged / measured if measured > 0 else None
                series.append(
                    IntervalKpis(
                        start=index * self.interval,
                        end=(index + 1) * self.interval,
                        offered=part.offered,
                        handled=part.handled,
                        abandoned=part.abandoned,
                        service_level=kpis.service_level(part.sl_answered, part.sl_offered - part.sl_undecided),
                        asa=kpis.average_speed_of_answer(part.wait_sum, part.handled),
                        occupancy=busy,
                        agents=agents,
                    )
                )
            occupancy = slot_utilisation = None
            if tier is None:
                if channel is None:
                    occupancy = kpis.occupancy(time.busy, time.logged)
                else:
                    spent = time.channels[channel]
                    occupancy = kpis.occupancy(spent.busy, spent.logged)
                    slot_utilisation = kpis.occupancy(spent.slot_busy, spent.slot_capacity)
            total = _merged(v for (c, t), v in tallies.items() if match(c, t))
            return kpi_row(
                ALL if channel is None else channel.value,
                ALL if tier is None else tier,
                total,
                occupancy,
                slot_utilisation,
                tuple(series),
            )

        rows = [row(None, None)]
        rows += [row(channel, None) for channel in channels]
        rows += [row(None, tier) for tier in tiers]
        rows += [row(channel, tier) for channel in channels for tier in tiers if (channel, tier) in tallies]
        return tuple(rows)

    # -- event handlers: each O(1) -----------------------------------------------------------------

    def _ignore(self, event: Event) -> None:
        pass

    def _on_queued(self, event: ContactQueued) -> None:
        contact_id = event.contact_id
        if contact_id in self._open:
            return  # back in routing after a transfer: the same offered contact
        queued = self._queued = self._queued + 1
        estimate = self._estimates.pop(contact_id, None) if self._estimates else None
        sticky = self._resumed.pop(contact_id, None) if self._resumed else None
        retrial = False
        if self._retrials and contact_id in self._retrials:
            self._retrials.discard(contact_id)
            retrial = True
        channel = event.channel
        # A warm-up contact needs no tallies and no threshold: it is never counted.
        tally = interval = threshold = None
        if queued > self.warmup_contacts:
            if queued == self._first_counted:
                self._measure_from = event.at
            counting = self._counting.get((channel, event.tier))
            if counting is None:
                counting = self._start_counting(channel, event.tier)
            tally = counting.tally
            threshold = counting.threshold
            index = event.at // self.interval
            if index != counting.index:
                counting.index = index
                counting.interval = self._interval_tally(channel, event.tier, int(index))
            interval = counting.interval
            assert interval is not None  # set on the first contact
            tally.offered += 1
            interval.offered += 1
            if retrial:
                tally.retrials += 1
            if threshold is not None:
                tally.sl_offered += 1
                interval.sl_offered += 1
        self._open[contact_id] = _Open(
            channel, tally, interval, threshold, event.arrived_at, event.at, estimate, sticky
        )

    def _start_counting(self, channel: Channel, tier: str) -> _Counting:
        counting = self._counting[(channel, tier)] = _Counting(
            self._tally(channel, tier), self.service_levels.get(channel)
        )
        return counting

    def _tally(self, channel: Channel, tier: str) -> _Tally:
        tally = self._tallies.get((channel, tier))
        if tally is None:
            tally = self._tallies[(channel, tier)] = _Tally()
        return tally

    def _interval_tally(self, channel: Channel, tier: str, index: int) -> _Tally:
        tally = self._interval_tallies.get((channel, tier, index))
        if tally is None:
            tally = self._interval_tallies[(channel, tier, index)] = _Tally()
        return tally

    def _on_offered(self, event: Offered) -> None:
        contact = self._open.get(event.contact_id)
        if contact is None or contact.offered:
            return
        contact.offered = True
        tally = contact.tally
        if tally is not None and kpis.offered_at_once(event.at, contact.queued_at):
            tally.immediate += 1
        if tally is not None and contact.estimate is not None:
            # The estimate's error against the wait to the first offer, as issue 21 defines it.
            error = contact.estimate - (event.at - contact.queued_at)
            tally.estimates += 1
            tally.estimate_error_sum += error
            tally.estimate_abs_error_sum += abs(error)

    def _on_assigned(self, event: Assigned) -> None:
        contact = self._open.get(event.contact_id)
        if contact is None:
            return  # queued before the collector started observing
        agent_id = event.agent_id
        contact.agent = agent_id
        contact.assigned_at = event.at
        self._add_work(agent_id, contact.channel, event.at, 1)
        if contact.answered:
            return  # after a transfer: handled once
        contact.answered = True
        tally = contact.tally
        if tally is None:
            return
        interval = contact.interval
        assert interval is not None  # counted contacts have both tallies
        waited = event.waited
        tally.handled += 1
        interval.handled += 1
        tally.wait_sum += waited
        interval.wait_sum += waited
        if waited > tally.wait_max:
            tally.wait_max = waited
        threshold = contact.threshold
        if threshold is not None and kpis.within_threshold(waited, threshold):
            tally.sl_answered += 1
            interval.sl_answered += 1
        if contact.sticky_agent is not None:
            tally.sticky_turns += 1
            if contact.sticky_agent == agent_id:
                tally.sticky_hits += 1

    def _on_completed(self, event: Completed) -> None:
        contact = self._open.pop(event.contact_id, None)
        if contact is None:
            return
        self._held.pop(contact.conversation, None)  # None outside a conversation: nothing to pop
        at = event.at
        wrap_up = event.wrap_up_until - at
        tally = contact.tally
        if tally is not None:
            tally.aht_n += 1
            tally.aht_sum += contact.assigned_for + (at - contact.assigned_at) + (wrap_up if wrap_up > 0.0 else 0.0)
        if contact.agent is None:
            return  # not assigned as far as this stream shows: no work to end
        if wrap_up > 0:
            self._wrapping[(event.agent_id, event.contact_id)] = contact.channel
        else:
            self._add_work(event.agent_id, contact.channel, at, -1)

    def _on_wrap_up_ended(self, event: WrapUpEnded) -> None:
        channel = self._wrapping.pop((event.agent_id, event.contact_id), None)
        if channel is not None:
            self._add_work(event.agent_id, channel, event.at, -1)

    def _on_transferred(self, event: Transferred) -> None:
        contact = self._open.get(event.contact_id)
        if contact is None or contact.agent is None:
            return
        contact.assigned_for += event.at - contact.assigned_at
        contact.agent = None
        self._add_work(event.agent_id, contact.channel, event.at, -1)

    def _on_abandoned(self, event: Abandoned) -> None:
        contact = self._open.pop(event.contact_id, None)
        if contact is None:
            return  # e.g. a parked conversation, whose turn already ended
        self._held.pop(contact.conversation, None)  # None outside a conversation: nothing to pop
        if contact.agent is not None:
            self._add_work(contact.agent, contact.channel, event.at, -1)
        elif not contact.answered and contact.tally is not None:
            assert contact.interval is not None  # counted contacts have both tallies
            contact.tally.abandoned += 1
            contact.interval.abandoned += 1
            waited = event.at - contact.arrived_at
            if waited > contact.tally.wait_max:
                contact.tally.wait_max = waited

    def _on_denied(self, event: Denied) -> None:
        contact = self._open.pop(event.contact_id, None)
        if contact is None:
            # Refused at submit: never offered, counted apart.
            if self._estimates:
                self._estimates.pop(event.contact_id, None)
            if self._resumed:
                self._resumed.pop(event.contact_id, None)
            retrial = False
            if self._retrials and event.contact_id in self._retrials:
                self._retrials.discard(event.contact_id)
                retrial = True
            if self._queued < self.warmup_contacts:
                return
            tally = self._tally(event.channel, event.tier)
            tally.denied += 1
            if retrial:
                tally.retrials += 1
            if event.fallback is not None:
                tally.denied_with_fallback += 1
            if event.reason == QUEUE_FULL:
                tally.denied_queue_full += 1
            if event.reason == "closed":
                tally.denied_closed += 1
            return
        self._held.pop(contact.conversation, None)  # None outside a conversation: nothing to pop
        if contact.agent is not None:
            self._add_work(contact.agent, contact.channel, event.at, -1)
        if not contact.answered and contact.tally is not None:
            contact.tally.denied_after_queue += 1
            waited = event.at - contact.arrived_at
            contact.tally.wait_max = max(contact.tally.wait_max, waited)

    def _on_awaiting(self, event: AwaitingCustomer) -> None:
        contact = self._open.get(event.contact_id)
        if contact is not None:
            contact.conversation = event.conversation_id
            self._held[event.conversation_id] = event.contact_id

    def _on_parked(self, event: Parked) -> None:
        contact = self._open.pop(event.contact_id, None)
        if contact is None:
            return
        self._held.pop(contact.conversation, None)  # None outside a conversation: nothing to pop
        if contact.agent is not None:
            self._add_work(contact.agent, contact.channel, event.at, -1)

    def _on_closed(self, event: ConversationClosed) -> None:
        # A held turn normally ends with its own Completed or Abandoned; this catches one that did not
        # (say, an abandon named by the conversation's id), so that the agent's slot is not busy forever.
        contact_id = self._held.pop(event.conversation_id, None)
        if contact_id is None:
            return
        contact = self._open.pop(contact_id, None)
        if contact is not None and contact.agent is not None:
            self._add_work(contact.agent, contact.channel, event.at, -1)

    def _on_resumed(self, event: Resumed) -> None:
        if event.last_agent_id is not None:
            self._resumed[event.contact_id] = event.last_agent_id

    def _on_status(self, event: AgentStatusChanged) -> None:
        if event.status is AgentStatus.OFFLINE:
            self.logout(event.agent_id, event.at)
        else:
            self.login(event.agent_id, event.at)

    # -- agent time ----------------------------------------------------------------------------------

    def _agent(self, agent_id: str) -> _AgentClock:
        agent = self._agents.get(agent_id)
        if agent is None:
            agent = self._agents[agent_id] = _AgentClock(self.capacity.get(agent_id, {}))
        return agent

    def _settle(self, agent: _AgentClock, now: float) -> None:
        """Accrue the agent's time since its last change, in the state it has had since then."""
        if now > self._next_boundary:
            self._cross_boundaries(now)
        start = agent.last if agent.last > self._measure_from else self._measure_from
        if now > start:
            if agent.logged_in:
                self._time.accrue(agent, now - start)
            agent.last = now

    def _add_work(self, agent_id: str, channel: Channel, at: float, units: int) -> None:
        if at > self._next_boundary:
            self._cross_boundaries(at)
        agent = self._agents.get(agent_id)
        if agent is None:
            agent = self._agent(agent_id)
        # _settle, inlined: this runs twice per handled contact.
        last = agent.last
        if at > last:
            measure_from = self._measure_from
            if at > measure_from:
                if agent.logged_in:
                    self._time.accrue(agent, at - (last if last > measure_from else measure_from))
                agent.last = at
        agent.work += units
        agent.units[channel] += units
