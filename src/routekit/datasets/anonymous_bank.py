"""The Technion "Anonymous Bank" call-center log (Brown, Gans, Mandelbaum et al., JASA 2005).

One CSV row per call, with the 17 columns of the Technion documentation (:data:`COLUMNS`). The data are
research-only and are not shipped with routekit; :func:`load_anonymous_bank` reads a copy you have.

How the loader reads a row:

- ``PHANTOM`` calls (virtual calls the log says to ignore) are counted and skipped.
- A ``HANG`` call that never reached the queue (``q_start`` is ``0:00:00``) hung up inside the IVR: it
  never sought an agent, so it is counted and skipped.
- Every other call sought an agent and is *offered*: ``AGENT`` calls are served, ``HANG`` calls that
  reached the queue are abandoned. Every rate is stated over the offered calls.
- Its arrival is the queue entry (``q_start``), or the IVR exit (``vru_exit``) for a call served at once,
  which never queued. Its wait is ``q_time`` (0 for a call served at once).
- Its handle time is ``ser_time`` for a served call, ``None`` for an abandoned one or a served call with
  no service record (``ser_start``, ``ser_exit`` and ``ser_time`` all zero).
- ``priority`` is 0 (mostly unidentified callers, ``customer_id`` 0), 1 (identified regular customers)
  or 2 (priority customers). The bank did not serve priority 2 first: it moved them 1.5 minutes ahead in
  the queue, so priority 2 becomes a ``head_start`` of 90 s.
- ``type`` is the skill the call needs (:data:`CALL_TYPES`); ``server`` the agent (``None`` for
  ``NO_SERVER``).
- Clock times are ``h:mm:ss`` on the day of ``date``; durations are whole seconds. A call that entered
  the IVR before midnight and reached the queue after it belongs to the next day.

>>> import io
>>> csv_text = ",".join(COLUMNS) + "\\n" + "\\n".join([
...     "AA0101,1,0,0,PS,1999-08-01,7:00:00,7:00:10,10,7:00:10,7:00:40,30,AGENT,7:00:40,7:02:40,120,ANAT",
...     "AA0102,2,5,2,NE,1999-08-01,7:01:00,7:01:05,5,7:01:05,7:02:05,60,HANG,0:00:00,0:00:00,0,NO_SERVER",
...     "AA0103,3,0,0,PS,1999-08-01,7:02:00,7:02:09,9,0:00:00,0:00:00,0,HANG,0:00:00,0:00:00,0,NO_SERVER",
... ])
>>> log = load_anonymous_bank(io.StringIO(csv_text))
>>> log.records, log.offered, log.served, log.abandoned, log.ivr_hang_ups
(3, 2, 1, 1, 1)
>>> call = log.calls[1]
>>> call.arrival, call.wait, call.outcome.value, call.head_start, call.skill
(25265.0, 60.0, 'abandoned', 90.0, 'NE')
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import math
import re
from collections.abc import Callable, Iterable
from enum import StrEnum

import attrs
import numpy as np
import numpy.typing as npt

from routekit import kpis
from routekit.datasets.trace import TraceRecord, TraceSource, _opened, source_name
from routekit.errors import ScenarioError
from routekit.models import Channel

__all__ = [
    "CALL_TYPES",
    "COLUMNS",
    "HEAD_START",
    "BankCall",
    "BankLog",
    "Outcome",
    "PeriodFigures",
    "load_anonymous_bank",
]

COLUMNS = (
    "vru+line",
    "call_id",
    "customer_id",
    "priority",
    "type",
    "date",
    "vru_entry",
    "vru_exit",
    "vru_time",
    "q_start",
    "q_exit",
    "q_time",
    "outcome",
    "ser_start",
    "ser_exit",
    "ser_time",
    "server",
)

CALL_TYPES = {
    "PS": "regular",
    "PE": "regular, in English",
    "IN": "internet support",
    "NE": "stock exchange",
    "NW": "prospective customer",
    "TT": "call-back put on hold",
}

HEAD_START = 90.0
"""Seconds the bank moved a priority-2 call ahead in its queue (1.5 minutes)."""

HALF_HOUR = 1800.0
DAY = 86400.0
_PRIORITIES = frozenset({0, 1, 2})
_NOT_SET = 0  # the log writes 0:00:00 for a queue or service time that never happened
_NO_SERVER = "NO_SERVER"


class Outcome(StrEnum):
    """How an offered call ended."""

    SERVED = "served"
    ABANDONED = "abandoned"


@attrs.frozen(kw_only=True)
class BankCall:
    """One offered call: it reached the queue, or was served at once.

    Args:
        row: Its row in the file (the header is row 1).
        line: The IVR unit and line it came in on (``vru+line``).
        call_id: The log's call id (unique only within an IVR unit).
        customer_id: The caller's id, ``"0"`` when unidentified.
        day: The day it sought an agent.
        arrival: Seconds since that day's midnight at which it sought an agent, in [0, 86400).
        wait: Seconds in the queue until served or until the caller hung up.
        outcome: Served or abandoned.
        handle_time: Seconds of service; ``None`` when abandoned or not recorded.
        priority: The log's priority, 0, 1 or 2.
        head_start: Seconds it was moved ahead in the queue (90 for priority 2).
        call_type: The log's ``type``, which is the skill it needs.
        agent: The agent recorded (``server``), ``None`` for ``NO_SERVER``.
    """

    row: int
    line: str
    call_id: str
    customer_id: str
    day: dt.date
    arrival: float
    wait: float
    outcome: Outcome
    handle_time: float | None
    priority: int
    head_start: float
    call_type: str
    agent: str | None

    @property
    def skill(self) -> str:
        """The skill the call needs: its call type."""
        return self.call_type

    @property
    def served(self) -> bool:
        """Whether an agent answered it."""
        return self.outcome is Outcome.SERVED

    @property
    def patience_censored(self) -> bool:
        """Whether its wait only bounds the caller's patience from below (the call was served)."""
        return self.outcome is Outcome.SERVED

    @property
    def service_start(self) -> float:
        """Seconds since midnight of :attr:`day` at which service began (or the caller hung up)."""
        return self.arrival + self.wait


@attrs.frozen(kw_only=True)
class PeriodFigures:
    """Recorded figures of one day or one half hour, over the calls that arrived in it.

    Args:
        day: The day.
        start: Seconds since that day's midnight at which the period starts.
        length: The period's length in seconds (86400 or 1800).
        offered: Calls that sought an agent.
        served: Offered calls answered.
        abandoned: Offered calls whose caller hung up in the queue.
        abandonment_rate: ``abandoned / offered``; ``None`` when nothing was offered.
        asa: Average speed of answer, the mean wait of the served calls; ``None`` when none were.
        service_level: Served within the threshold (20 s unless asked) over offered; ``None`` when nothing
            was offered.
        aht: Mean handle time of the served calls with a recorded one; ``None`` when there are none.
        agents: Distinct agents who served during the period (for a half hour, any service overlapping
            it, whenever its call arrived).
    """

    day: dt.date
    start: float
    length: float
    offered: int
    served: int
    abandoned: int
    abandonment_rate: float | None
    asa: float | None
    service_level: float | None
    aht: float | None
    agents: int


@attrs.define
class _Tally:
    offered: int = 0
    served: int = 0
    abandoned: int = 0
    served_wait: float = 0.0
    within: int = 0
    handle: float = 0.0
    handled: int = 0

    def add(self, call: BankCall, threshold: float) -> None:
        self.offered += 1
        if call.served:
            self.served += 1
            self.served_wait += call.wait
            self.within += kpis.within_threshold(call.wait, threshold)
            if call.handle_time is not None:
                self.handle += call.handle_time
                self.handled += 1
        else:
            self.abandoned += 1

    def figures(self, day: dt.date, start: float, length: float, agents: int) -> PeriodFigures:
        return PeriodFigures(
            day=day,
            start=start,
            length=length,
            offered=self.offered,
            served=self.served,
            abandoned=self.abandoned,
            abandonment_rate=kpis.abandon_rate(self.abandoned, self.offered),
            asa=kpis.average_speed_of_answer(self.served_wait, self.served),
            # Every recorded call is decided: served or abandoned.
            service_level=kpis.service_level(self.within, self.offered),
            aht=kpis.average_handle_time(self.handle, self.handled),
            agents=agents,
        )


@attrs.frozen(kw_only=True)
class BankLog:
    """A loaded log: the offered calls, sorted by day and arrival, and the counts of every row kind.

    ``records == served + hang_ups + phantom`` and ``hang_ups == abandoned + ivr_hang_ups``.

    Args:
        calls: The offered calls, by day, arrival and row.
        records: Data rows read.
        served: ``AGENT`` rows.
        hang_ups: ``HANG`` rows, wherever the caller hung up.
        abandoned: ``HANG`` rows that reached the queue (offered calls abandoned).
        ivr_hang_ups: ``HANG`` rows that never left the IVR (not offered).
        phantom: ``PHANTOM`` rows (skipped).
    """

    calls: tuple[BankCall, ...]
    records: int
    served: int
    hang_ups: int
    abandoned: int
    ivr_hang_ups: int
    phantom: int

    @property
    def offered(self) -> int:
        """Calls that sought an agent: served plus abandoned in the queue."""
        return self.served + self.abandoned

    @property
    def days(self) -> tuple[dt.date, ...]:
        """The days with at least one offered call, in order."""
        return tuple(sorted({call.day for call in self.calls}))

    def on(self, day: dt.date) -> tuple[BankCall, ...]:
        """The offered calls of one day, by arrival."""
        return tuple(call for call in self.calls if call.day == day)

    def patience_data(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
        """Every offered call's wait and whether it is censored (served), for :mod:`.patience`."""
        waits = np.fromiter((call.wait for call in self.calls), dtype=float, count=len(self.calls))
        served = np.fromiter((call.served for call in self.calls), dtype=bool, count=len(self.calls))
        return waits, served

    def daily(self, *, threshold: float = 20.0) -> tuple[PeriodFigures, ...]:
        """The recorded figures of each day in :attr:`days`.

        Args:
            threshold: The service-level threshold, in seconds.
        """
        tallies = {day: _Tally() for day in self.days}
        agents: dict[dt.date, set[str]] = {day: set() for day in self.days}
        for call in self.calls:
            tallies[call.day].add(call, threshold)
            if call.served and call.agent is not None:
                agents[call.day].add(call.agent)
        return tuple(tallies[day].figures(day, 0.0, DAY, len(agents[day])) for day in self.days)

    def half_hourly(self, day: dt.date | None = None, *, threshold: float = 20.0) -> tuple[PeriodFigures, ...]:
        """The recorded figures of the 48 half hours of one day, or of every day in :attr:`days`.

        Args:
            day: The day; ``None`` means every day, in order.
            threshold: The service-level threshold, in seconds.
        """
        days = self.days if day is None else (day,)
        staffing = self._staffing()
        tallies: dict[tuple[dt.date, int], _Tally] = {}
        for call in self.calls:
            key = (call.day, int(call.arrival // HALF_HOUR))
            tallies.setdefault(key, _Tally()).add(call, threshold)
        return tuple(
            tallies.get((d, k), _Tally()).figures(d, k * HALF_HOUR, HALF_HOUR, len(staffing.get((d, k), ())))
            for d in days
            for k in range(48)
        )

    def staffing(self, day: dt.date) -> tuple[int, ...]:
        """The recorded staffing of each of the day's 48 half hours: distinct agents who served in it.

        Agents who were on shift but served nobody are invisible in a call log, so this is a lower bound
        on the staff present, and a service spanning several half hours counts in each of them.
        """
        staffing = self._staffing()
        return tuple(len(staffing.get((day, k), ())) for k in range(48))

    def _staffing(self) -> dict[tuple[dt.date, int], set[str]]:
        agents: dict[tuple[dt.date, int], set[str]] = {}
        for call in self.calls:
            if not call.served or call.agent is None:
                continue
            start = call.service_start
            end = start + (call.handle_time or 0.0)
            first = int(start // HALF_HOUR)
            # A service ending exactly on a boundary did not reach into the next half hour.
            last = max(first, math.ceil(end / HALF_HOUR) - 1)
            for k in range(first, last + 1):
                day = call.day + dt.timedelta(days=k // 48)
                agents.setdefault((day, k % 48), set()).add(call.agent)
        return agents

    def to_trace(
        self, days: Iterable[dt.date] | None = None, *, channel: Channel = Channel.VOICE
    ) -> tuple[TraceRecord, ...]:
        """The offered calls of some days as trace records, timed from the first day's midnight.

        Each record keeps the bank's queue order: priority 0 for every call and the head start of
        priority-2 calls (the router would serve a higher priority strictly first, which the bank did
        not). Its skill is the call type at level 1; an abandoned call's patience is its wait, a served
        call's a censored one; a served call's handle time is its service time.

        Args:
            days: The days to include; ``None`` means every day.
            channel: The channel to give every call.

        Returns:
            The records, sorted by arrival.
        """
        chosen = sorted(set(self.days if days is None else days))
        if not chosen:
            return ()
        wanted = set(chosen)
        start = chosen[0]
        return tuple(
            TraceRecord(
                arrival=(call.day - start).days * DAY + call.arrival,
                channel=channel,
                priority=0,
                head_start=call.head_start,
                skills={call.call_type: 1},
                handle_time=call.handle_time,
                patience=call.wait,
                patience_censored=call.served,
            )
            for call in self.calls
            if call.day in wanted
        )


_CLOCK = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9])", re.ASCII)


@functools.lru_cache(maxsize=1 << 17)
def _clock_seconds(text: str) -> int | None:
    # Cached: a month of calls repeats each clock time many times, and parsing dominates a load.
    match = _CLOCK.fullmatch(text)
    if match is None:
        return None
    return int(match[1]) * 3600 + int(match[2]) * 60 + int(match[3])


def _clock(text: str, fail: Callable[[str, str], ScenarioError], column: str) -> int:
    seconds = _clock_seconds(text)
    if seconds is None:
        raise fail(column, f"bad clock time {text!r}; expected h:mm:ss")
    return seconds


def _seconds(text: str, fail: Callable[[str, str], ScenarioError], column: str, *, signed: bool = False) -> int:
    body = text[1:] if signed and text.startswith("-") else text
    if not (body.isascii() and body.isdigit()):
        kind = "a whole number of seconds" if signed else "a whole number of seconds >= 0"
        raise fail(column, f"expected {kind}, got {text!r}")
    return int(text)


def load_anonymous_bank(source: TraceSource, *, head_start: float = HEAD_START) -> BankLog:
    """Load an Anonymous Bank log, checking every row.

    Args:
        source: A path to the CSV, or an open text stream.
        head_start: Seconds a priority-2 call is moved ahead in its queue.

    Returns:
        The offered calls and the counts of every row kind.

    Raises:
        ScenarioError: A header without one of :data:`COLUMNS`, or a row with too few or too many fields,
            a bad clock time, date or number, an unknown priority, call type or outcome, or an empty
            field, naming the row (the header is row 1) and the column.
    """
    name = source_name(source)
    calls: list[BankCall] = []
    records = phantom = ivr_hang_ups = 0
    with _opened(source, "r") as stream:
        reader = csv.reader(stream)
        header = [h.strip() for h in next(reader, [])]
        missing = [column for column in COLUMNS if column not in header]
        if missing:
            raise ScenarioError(f"{name} row 1: the header lacks column(s) {', '.join(map(repr, missing))}")
        pos = {column: header.index(column) for column in COLUMNS}
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue  # blank lines, such as a trailing one, are no call
            n = reader.line_num
            if len(row) < len(header):
                raise ScenarioError(
                    f"{name} row {n}: {len(row)} fields, but the header has {len(header)}; "
                    f"missing column {header[len(row)]!r}"
                )
            if len(row) > len(header):
                raise ScenarioError(f"{name} row {n}: {len(row)} fields, but the header has {len(header)}")
            records += 1
            call = _call(row, pos, n, name, head_start)
            if isinstance(call, BankCall):
                calls.append(call)
            elif call == _PHANTOM:
                phantom += 1
            else:
                ivr_hang_ups += 1
    calls.sort(key=lambda c: (c.day, c.arrival, c.row))
    served = sum(call.served for call in calls)
    return BankLog(
        calls=tuple(calls),
        records=records,
        served=served,
        hang_ups=len(calls) - served + ivr_hang_ups,
        abandoned=len(calls) - served,
        ivr_hang_ups=ivr_hang_ups,
        phantom=phantom,
    )


_PHANTOM = "PHANTOM"
_IVR = "IVR"


def _call(row: list[str], pos: dict[str, int], n: int, name: str, head_start: float) -> BankCall | str:
    """Check one row and return its offered call, or ``"PHANTOM"`` or ``"IVR"`` for a skipped one."""

    def fail(column: str, problem: str) -> ScenarioError:
        return ScenarioError(f"{name} row {n}, column {column!r}: {problem}")

    cell = {column: row[i].strip() for column, i in pos.items()}
    for column in ("vru+line", "call_id", "customer_id", "server"):
        if not cell[column]:
            raise fail(column, "empty")
    outcome = cell["outcome"]
    if outcome not in ("AGENT", "HANG", "PHANTOM"):
        raise fail("outcome", f"unknown outcome {outcome!r}; expected AGENT, HANG or PHANTOM")
    priority_text = cell["priority"]
    if priority_text not in ("0", "1", "2"):
        raise fail("priority", f"unknown priority {priority_text!r}; expected 0, 1 or 2")
    call_type = cell["type"]
    if call_type not in CALL_TYPES:
        raise fail("type", f"unknown call type {call_type!r}; expected one of {', '.join(CALL_TYPES)}")
    try:
        day = dt.date.fromisoformat(cell["date"])
    except ValueError:
        raise fail("date", f"bad date {cell['date']!r}; expected YYYY-MM-DD") from None
    clocks = {
        column: _clock(cell[column], fail, column)
        for column in ("vru_entry", "vru_exit", "q_start", "q_exit", "ser_start", "ser_exit")
    }
    # vru_time goes negative on a few real rows where the IVR clock stepped back; it is not used.
    _seconds(cell["vru_time"], fail, "vru_time", signed=True)
    q_time = _seconds(cell["q_time"], fail, "q_time")
    ser_time = _seconds(cell["ser_time"], fail, "ser_time")

    if outcome == "PHANTOM":
        return _PHANTOM
    queued = clocks["q_start"] != _NOT_SET
    if outcome == "HANG" and not queued:
        return _IVR
    arrival = float(clocks["q_start"] if queued else clocks["vru_exit"])
    # Durations survive midnight but clock times wrap; an IVR stay lasts minutes, so a queue entry more
    # than twelve hours "before" the IVR entry happened after midnight.
    if arrival < clocks["vru_entry"] - DAY / 2:
        arrival += DAY
    if arrival >= DAY:
        day += dt.timedelta(days=1)
        arrival -= DAY
    served = outcome == "AGENT"
    recorded = not (clocks["ser_start"] == _NOT_SET and clocks["ser_exit"] == _NOT_SET and ser_time == 0)
    server = cell["server"]
    return BankCall(
        row=n,
        line=cell["vru+line"],
        call_id=cell["call_id"],
        customer_id=cell["customer_id"],
        day=day,
        arrival=arrival,
        wait=float(q_time if queued else 0),
        outcome=Outcome.SERVED if served else Outcome.ABANDONED,
        handle_time=float(ser_time) if served and recorded else None,
        priority=int(priority_text),
        head_start=head_start if priority_text == "2" else 0.0,
        call_type=call_type,
        agent=None if server == _NO_SERVER else server,
    )
