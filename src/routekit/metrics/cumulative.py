"""Cumulative statistics over a sliding window, fed by the router's events: a wallboard's "last 15 minutes".

Twilio TaskRouter's ``CumulativeStatistics`` and Amazon Connect's historical metrics count what happened in
a recent window: contacts offered, answered, abandoned and denied, the service level, ASA, how long agents
took to accept offers, and what became of the offers.
:class:`CumulativeStatistics` counts the same from the events a :class:`~routekit.Router` returns, per
channel, per stage target (the rule a contact was first queued at), per tier, and in total; each KPI is
defined in :mod:`routekit.kpis`, the definitions the simulator's :class:`~routekit.metrics.KpiCollector`
uses too, and a contact is counted by the collector's rules (its first ``ContactQueued`` makes it
offered, its first ``Assigned`` answers it, an ``Abandoned`` or ``Denied`` before that ends it unanswered).

Counts go into time buckets of ``bucket`` seconds, each event into the bucket of the moment it happened
(its ``at``), so memory is O(buckets x rows) whatever the traffic, plus a record per open contact (from
its first ``ContactQueued`` to its end) and per held conversation.
The window read at ``now`` is the buckets from the one holding ``now - window`` up to the one holding ``now``:
it starts at the bucket boundary at or before ``now - window``, so it spans between ``window`` and
``window + bucket`` seconds (exactly ``window`` when ``now`` is on a boundary, as a wallboard refreshing
every bucket reads it), and ``WindowStatistics.start`` says where it starts.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
from sortedcontainers import SortedList

from routekit import kpis
from routekit.errors import ArgumentTypeError, ClockError, ConfigError, SnapshotError
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
from routekit.metrics.report import ALL
from routekit.metrics.tallies import _thresholds
from routekit.metrics.window import (
    WindowStatistics,
    _Counts,
    _counts_from_data,
    _counts_to_data,
    _finite,
    _flag,
    _text,
    _whole,
)
from routekit.models.channel import Channel

__all__ = ["DEFAULT_WAIT_EDGES", "CumulativeStatistics"]

DEFAULT_WAIT_EDGES = (10.0, 20.0, 30.0, 60.0, 120.0, 300.0)
"""The default edges of the wait bands answered contacts are split by, in seconds."""

# A row's key: (channel, rule, tier) of the contact's first ContactQueued (or of a Denied at submit).
_Key = tuple[Channel, str, str]


class _Open:
    """An open contact: where it counts, its service-level clock, and its pending offer."""

    __slots__ = ("answered", "arrived_at", "contact_id", "conversation", "deadline", "key", "offered_at")

    def __init__(self, contact_id: str, key: _Key, arrived_at: float, threshold: float | None) -> None:
        self.contact_id = contact_id
        self.key = key
        self.arrived_at = arrived_at
        # When its wait passes the threshold, if it is still waiting then; None without a threshold.
        self.deadline = None if threshold is None else arrived_at + threshold
        self.answered = False
        self.offered_at: float | None = None
        self.conversation: str | None = None


def _check_window(instance: Any, attribute: Any, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:
        raise ConfigError(f"{attribute.name} must be a number of seconds > 0, got {value!r}")


def _edges(value: Iterable[float]) -> tuple[float, ...]:
    edges = tuple(value)
    for edge in edges:
        if isinstance(edge, bool) or not isinstance(edge, int | float) or not 0 <= edge < math.inf:
            raise ConfigError(f"wait_edges must be numbers of seconds >= 0, got {edges!r}")
    if any(b <= a for a, b in itertools.pairwise(edges)):
        raise ConfigError(f"wait_edges must increase, got {edges!r}")
    return tuple(float(edge) for edge in edges)


# ---------------------------------------------------------------------------------------------------
# The statistics


@attrs.define(on_setattr=attrs.setters.NO_OP)
class CumulativeStatistics:
    """Counts the router's events into time buckets and reads any recent window of them.

    Args:
        window: The window's length in seconds (minutes to a day); a whole number of buckets.
        bucket: The buckets' width in seconds: the window's start is exact to a bucket.
        service_levels: Channel to its service-level threshold in seconds; a channel not listed has no
            service level.
        wait_edges: The edges, in seconds, of the wait bands answered contacts are split by (increasing).

    Raises:
        ConfigError: A window or bucket that is not a number > 0, a window that is not a whole number of
            buckets, a negative threshold, or wait edges that are negative or do not increase.

    >>> from routekit.events import Assigned, ContactQueued, Offered
    >>> stats = CumulativeStatistics(window=900, bucket=60, service_levels={"voice": 20})
    >>> stats.record([
    ...     ContactQueued(at=0.0, contact_id="c-1", channel="voice", tier="gold", arrived_at=0.0, stage=0,
    ...                   rule="skills:any", priority=0),
    ...     Offered(at=5.0, contact_id="c-1", agent_id="a-1", stage=0, rule="skills:any",
    ...             selection="longest-idle", expires_at=25.0),
    ...     Assigned(at=8.0, contact_id="c-1", agent_id="a-1", waited=8.0),
    ... ])
    >>> voice = stats.read(60.0).channel("voice")
    >>> voice.offered, voice.answered, voice.service_level, voice.asa, voice.average_acceptance_time
    (1, 1, 1.0, 8.0, 3.0)
    >>> stats.read(960.0).channel("voice").asa is None
    True
    """

    window: float = attrs.field(default=900.0, validator=_check_window)
    bucket: float = attrs.field(default=60.0, validator=_check_window)
    service_levels: dict[Channel, float] = attrs.field(factory=dict, converter=_thresholds)
    wait_edges: tuple[float, ...] = attrs.field(default=DEFAULT_WAIT_EDGES, converter=_edges)

    _buckets: int = attrs.field(init=False, default=0)
    _counts: dict[int, dict[_Key, _Counts]] = attrs.field(init=False, factory=dict)
    _open: dict[str, _Open] = attrs.field(init=False, factory=dict)
    _held: dict[str, str] = attrs.field(init=False, factory=dict)
    # Per row, the deadlines of its open contacts still waiting (deadline, contact id): how many passed
    # the threshold in a window is two bisections, not a scan of the contacts.
    _waiting: dict[_Key, SortedList] = attrs.field(init=False, factory=dict)
    _latest: int = attrs.field(init=False, default=-(2**62))
    _last_at: float = attrs.field(init=False, default=-math.inf)

    def __attrs_post_init__(self) -> None:
        buckets = round(self.window / self.bucket)
        if buckets < 1 or not math.isclose(buckets * self.bucket, self.window, rel_tol=1e-9):
            raise ConfigError(f"window must be a whole number of buckets of {self.bucket!r} s, got {self.window!r}")
        self._buckets = buckets

    # -- public ------------------------------------------------------------------------------------

    def record(self, events: Iterable[Event]) -> None:
        """Count each event, in order (the order the router returned them). O(log open contacts) each.

        Every item is checked before any is counted, so a refused list changes nothing.

        Raises:
            ClockError: An event is earlier than the one before it (or than one recorded before).
            ArgumentTypeError: An item is not a router event (a ``TypeError`` too).
        """
        events = list(events)
        last = self._last_at
        for event in events:
            if type(event) not in _HANDLERS:
                raise ArgumentTypeError(f"not a router event: {event!r}")
            if event.at < last:
                raise ClockError(f"event at {event.at!r} is earlier than the last one recorded, at {last!r}")
            last = event.at
        for event in events:
            handler = _HANDLERS[type(event)]
            at = self._last_at = event.at
            index = int(at // self.bucket)
            if index > self._latest:
                self._slide(index)
            handler(self, event)

    def read(self, now: float) -> WindowStatistics:
        """The statistics of the window ending at ``now``; it changes nothing.

        O(buckets x rows + rows x log open contacts).

        Raises:
            ClockError: ``now`` is not a finite number, or is earlier than the last event recorded.
        """
        if isinstance(now, bool) or not isinstance(now, int | float) or not math.isfinite(now):
            raise ClockError(f"now must be a finite number of seconds, got {now!r}")
        if now < self._last_at:
            raise ClockError(f"now {now!r} is earlier than the last event recorded, at {self._last_at!r}")
        first = int((now - self.window) // self.bucket)
        start = float(first * self.bucket)
        totals: dict[_Key, _Counts] = {}
        edges = len(self.wait_edges)
        for index in sorted(self._counts):
            if index < first:
                continue
            for key, counts in self._counts[index].items():
                total = totals.get(key)
                if total is None:
                    total = totals[key] = _Counts(edges)
                total.add(counts)
        # Contacts still waiting whose wait passed the threshold in the window are decided: misses.
        for key, deadlines in self._waiting.items():
            passed = deadlines.bisect_left((now, "")) - deadlines.bisect_left((start, ""))
            if passed:
                total = totals.get(key)
                if total is None:
                    total = totals[key] = _Counts(edges)
                total.decided += passed

        def merged(keys: Iterable[_Key]) -> _Counts:
            total = _Counts(edges)
            for key in keys:
                total.add(totals[key])
            return total

        channels = sorted({key[0] for key in totals}, key=list(Channel).index)
        targets = sorted({(key[0], key[1]) for key in totals}, key=lambda t: (list(Channel).index(t[0]), t[1]))
        tiers = sorted({key[2] for key in totals})
        timed = self.service_levels
        return WindowStatistics(
            at=now,
            start=start,
            wait_edges=self.wait_edges,
            overall=merged(totals).kpis(ALL, ALL, ALL, bool(timed)),
            channels=tuple(
                merged(k for k in totals if k[0] is c).kpis(c.value, ALL, ALL, c in timed) for c in channels
            ),
            targets=tuple(
                merged(k for k in totals if k[:2] == t).kpis(t[0].value, t[1], ALL, t[0] in timed) for t in targets
            ),
            tiers=tuple(merged(k for k in totals if k[2] == tier).kpis(ALL, ALL, tier, bool(timed)) for tier in tiers),
        )

    # -- snapshot ----------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The whole state as plain, JSON-able data; :meth:`restore` rebuilds it.

        O(buckets x rows + open contacts). A wallboard process that restarts restores it and reads the
        same windows as before, then goes on recording where it stopped.
        """
        return {
            "settings": {
                "window": self.window,
                "bucket": self.bucket,
                "service_levels": {channel.value: seconds for channel, seconds in self.service_levels.items()},
                "wait_edges": list(self.wait_edges),
            },
            "latest": None if self._last_at == -math.inf else self._latest,
            "last_at": self._last_at if self._last_at > -math.inf else None,
            "buckets": [
                [index, [[c.value, rule, tier, *_counts_to_data(counts)] for (c, rule, tier), counts in rows.items()]]
                for index, rows in sorted(self._counts.items())
            ],
            "open": [
                [cid, o.key[0].value, o.key[1], o.key[2], o.arrived_at, o.answered, o.offered_at, o.conversation]
                for cid, o in self._open.items()
            ],
        }

    @classmethod
    def restore(cls, snapshot: Mapping[str, Any]) -> CumulativeStatistics:
        """Rebuild statistics from :meth:`snapshot`'s data (after a JSON round trip or not).

        O(buckets x rows + open contacts x log open contacts).

        Raises:
            ConfigError: The settings in the snapshot are not valid.
            SnapshotError: Its data is damaged; the error names the path inside it (``open[3]``).
        """
        try:
            settings = dict(snapshot["settings"])
        except (KeyError, TypeError, ValueError):
            raise SnapshotError("settings", "missing, or not a mapping") from None
        stats = cls(**settings)
        edges = len(stats.wait_edges)
        path = "latest"
        try:
            latest = snapshot["latest"]
            if latest is not None:
                stats._latest = _whole(latest)
            path = "last_at"
            last_at = snapshot["last_at"]
            if last_at is not None:
                stats._last_at = _finite(last_at)
            for b, (index, rows) in enumerate(snapshot["buckets"]):
                path = f"buckets[{b}]"
                bucket = stats._counts[_whole(index)] = {}
                for r, (channel, rule, tier, *values) in enumerate(rows):
                    path = f"buckets[{b}][1][{r}]"
                    bucket[(Channel(channel), _text(rule), _text(tier))] = _counts_from_data(values, edges)
            for n, (cid, channel, rule, tier, arrived_at, answered, offered_at, conversation) in enumerate(
                snapshot["open"]
            ):
                path = f"open[{n}]"
                key = (Channel(channel), _text(rule), _text(tier))
                contact = stats._open[_text(cid)] = _Open(
                    cid, key, _finite(arrived_at), stats.service_levels.get(key[0])
                )
                contact.answered = _flag(answered)
                contact.offered_at = None if offered_at is None else _finite(offered_at)
                if conversation is not None:
                    contact.conversation = _text(conversation)
                    stats._held[conversation] = cid
                if contact.deadline is not None and not contact.answered:
                    waiting = stats._waiting.get(key)
                    if waiting is None:
                        waiting = stats._waiting[key] = SortedList()
                    waiting.add((contact.deadline, cid))
        except (KeyError, TypeError, ValueError) as error:
            raise SnapshotError(path, f"damaged ({error})") from None
        return stats

    # -- buckets -----------------------------------------------------------------------------------

    def _slide(self, index: int) -> None:
        """Make ``index`` the latest bucket and drop those that left every window. O(buckets) at most once
        per bucket's width of time."""
        self._latest = index
        oldest = index - self._buckets
        for old in [k for k in self._counts if k < oldest]:
            del self._counts[old]

    def _at(self, at: float, key: _Key) -> _Counts | None:
        """The counts of ``key`` in the bucket of ``at``, or None when that bucket has left every window."""
        index = int(at // self.bucket)
        if index < self._latest - self._buckets:
            return None
        bucket = self._counts.get(index)
        if bucket is None:
            bucket = self._counts[index] = {}
        counts = bucket.get(key)
        if counts is None:
            counts = bucket[key] = _Counts(len(self.wait_edges))
        return counts

    def _decide(self, contact: _Open, at: float, within: bool) -> None:
        """Count a contact's service-level outcome, at the moment it was decided, and stop watching it."""
        deadline = contact.deadline
        if deadline is None:
            return
        self._waiting[contact.key].discard((deadline, contact.contact_id))
        # A miss was decided when the wait passed the threshold, if the contact was still waiting then.
        counts = self._at(at if within or at < deadline else deadline, contact.key)
        if counts is not None:
            counts.decided += 1
            if within:
                counts.answered_within += 1

    def _close(self, contact_id: str) -> _Open | None:
        """Forget an open contact at its end; its service-level watch is left to the caller."""
        contact = self._open.pop(contact_id, None)
        if contact is not None and contact.conversation is not None:
            self._held.pop(contact.conversation, None)
        return contact

    def _left_unanswered(self, contact: _Open, at: float) -> None:
        if contact.deadline is not None:
            self._decide(contact, at, within=False)

    # -- event handlers: each O(log open contacts) at most ---------------------------------------------

    def _on_queued(self, event: ContactQueued) -> None:
        if event.contact_id in self._open:
            return  # back in routing after a transfer: the same offered contact
        key = (event.channel, event.rule, event.tier)
        contact = self._open[event.contact_id] = _Open(
            event.contact_id, key, event.arrived_at, self.service_levels.get(event.channel)
        )
        counts = self._at(event.at, key)
        if counts is not None:
            counts.offered += 1
        if contact.deadline is not None:
            waiting = self._waiting.get(key)
            if waiting is None:
                waiting = self._waiting[key] = SortedList()
            waiting.add((contact.deadline, event.contact_id))

    def _on_offered(self, event: Offered) -> None:
        contact = self._open.get(event.contact_id)
        if contact is None:
            return  # queued before these statistics started recording
        contact.offered_at = event.at
        counts = self._at(event.at, contact.key)
        if counts is not None:
            counts.offers += 1

    def _on_offer_ended(self, event: OfferRejected | OfferExpired | OfferRescinded) -> None:
        contact = self._open.get(event.contact_id)
        if contact is None:
            return
        contact.offered_at = None
        counts = self._at(event.at, contact.key)
        if counts is None:
            return
        if type(event) is OfferRejected:
            counts.rejected += 1
        elif type(event) is OfferExpired:
            counts.expired += 1
        else:
            counts.rescinded += 1

    def _on_assigned(self, event: Assigned) -> None:
        contact = self._open.get(event.contact_id)
        if contact is None:
            return
        counts = self._at(event.at, contact.key)
        if counts is not None:
            counts.accepted += 1
            if contact.offered_at is not None:
                counts.accept_sum += event.at - contact.offered_at
        contact.offered_at = None
        if contact.answered:
            return  # after a transfer: answered once
        contact.answered = True
        waited = event.waited
        if counts is not None:
            counts.answered += 1
            counts.wait_sum += waited
            counts.bands[kpis.wait_band(waited, self.wait_edges)] += 1
        if contact.deadline is not None:
            threshold = self.service_levels[contact.key[0]]
            self._decide(contact, event.at, within=kpis.within_threshold(waited, threshold))

    def _on_abandoned(self, event: Abandoned) -> None:
        contact = self._close(event.contact_id)
        if contact is None or contact.answered:
            return  # a held or parked conversation, or a transferred contact: it was answered
        counts = self._at(event.at, contact.key)
        if counts is not None:
            counts.abandoned += 1
        self._left_unanswered(contact, event.at)

    def _on_denied(self, event: Denied) -> None:
        contact = self._close(event.contact_id)
        if contact is None:
            # Refused at submit: never offered, counted apart.
            counts = self._at(event.at, (event.channel, event.rule, event.tier))
            if counts is not None:
                counts.denied += 1
                counts.reasons[event.reason] = counts.reasons.get(event.reason, 0) + 1
            return
        if contact.answered:
            return
        counts = self._at(event.at, contact.key)
        if counts is not None:
            counts.denied_after_queue += 1
            counts.reasons[event.reason] = counts.reasons.get(event.reason, 0) + 1
        self._left_unanswered(contact, event.at)

    def _on_finished(self, event: Completed | Parked) -> None:
        self._close(event.contact_id)

    def _on_awaiting(self, event: AwaitingCustomer) -> None:
        contact = self._open.get(event.contact_id)
        if contact is not None:
            contact.conversation = event.conversation_id
            self._held[event.conversation_id] = event.contact_id

    def _on_closed(self, event: ConversationClosed) -> None:
        # A held turn normally ends with its own Completed or Abandoned; this forgets one that did not.
        contact_id = self._held.pop(event.conversation_id, None)
        if contact_id is not None:
            self._open.pop(contact_id, None)

    def _ignore(self, event: Event) -> None:
        pass


_HANDLERS: dict[type, Any] = {
    ContactQueued: CumulativeStatistics._on_queued,
    Offered: CumulativeStatistics._on_offered,
    OfferRejected: CumulativeStatistics._on_offer_ended,
    OfferExpired: CumulativeStatistics._on_offer_ended,
    OfferRescinded: CumulativeStatistics._on_offer_ended,
    Assigned: CumulativeStatistics._on_assigned,
    Abandoned: CumulativeStatistics._on_abandoned,
    Denied: CumulativeStatistics._on_denied,
    Completed: CumulativeStatistics._on_finished,
    Parked: CumulativeStatistics._on_finished,
    AwaitingCustomer: CumulativeStatistics._on_awaiting,
    ConversationClosed: CumulativeStatistics._on_closed,
    WrapUpEnded: CumulativeStatistics._ignore,
    StageChanged: CumulativeStatistics._ignore,
    Resumed: CumulativeStatistics._ignore,
    CustomerReplied: CumulativeStatistics._ignore,
    ExceptionFired: CumulativeStatistics._ignore,
    Reprioritized: CumulativeStatistics._ignore,
    Transferred: CumulativeStatistics._ignore,
    AgentStatusChanged: CumulativeStatistics._ignore,
}
