"""Opening hours: when a channel takes contacts, as a weekly calendar with holidays in one time zone.

:class:`OpeningHours` is the record; :func:`is_open`, :func:`next_change` and :func:`reopens_at` read it at
a UNIX timestamp. They are pure: the router places its seconds on the calendar with its ``epoch`` and keeps
one timer per calendar at the next change.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from routekit.errors import ConfigError

__all__ = ["WEEKDAYS", "OpeningHours", "is_open", "next_change", "reopens_at"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY = 86400
# An interval of one local day, in seconds since local midnight: [open, close), close up to 24:00.
Interval = tuple[int, int]


def _clock(value: Any, field: str) -> int:
    """A local time of day as seconds since midnight: ``"09:30"``, ``"24:00"`` or a ``datetime.time``."""
    if isinstance(value, dt.time):
        return value.hour * 3600 + value.minute * 60 + value.second
    if isinstance(value, str):
        parts = value.split(":")
        if 2 <= len(parts) <= 3 and all(p.isdigit() and len(p) == 2 for p in parts):
            hours, minutes, seconds = (int(p) for p in (*parts, "00")[:3])
            if (hours < 24 and minutes < 60 and seconds < 60) or (hours, minutes, seconds) == (24, 0, 0):
                return hours * 3600 + minutes * 60 + seconds
    raise ConfigError(f"OpeningHours.{field}: a time of day is 'HH:MM' (00:00 to 24:00), got {value!r}")


def _weekly(value: Mapping[Any, Iterable[Any]]) -> tuple[tuple[Interval, ...], ...]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"OpeningHours.weekly must map weekdays to (open, close) times, got {value!r}")
    days: list[list[Interval]] = [[] for _ in WEEKDAYS]
    for key, intervals in value.items():
        day = WEEKDAYS.index(key) if key in WEEKDAYS else key
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day < len(WEEKDAYS):
            raise ConfigError(f"OpeningHours.weekly: a weekday is one of {', '.join(WEEKDAYS)} or 0..6, got {key!r}")
        field = f"weekly[{key!r}]"
        if isinstance(intervals, str | bytes) or not isinstance(intervals, Iterable):
            raise ConfigError(f"OpeningHours.{field} must be a list of (open, close) times, got {intervals!r}")
        for pair in intervals:
            if isinstance(pair, str | bytes) or not isinstance(pair, Iterable) or len(pair := tuple(pair)) != 2:
                raise ConfigError(f"OpeningHours.{field}: expected (open, close), got {pair!r}")
            opens, closes = _clock(pair[0], field), _clock(pair[1], field)
            if closes <= opens:
                raise ConfigError(f"OpeningHours.{field}: {pair!r} closes before it opens")
            days[day].append((opens, closes))
    for day, intervals in enumerate(days):
        intervals.sort()
        for (_, closes), (opens, _) in itertools.pairwise(intervals):
            if opens < closes:
                raise ConfigError(f"OpeningHours.weekly[{WEEKDAYS[day]!r}]: intervals overlap: {intervals!r}")
    return tuple(tuple(intervals) for intervals in days)


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        raise ConfigError(f"OpeningHours.holidays: a holiday is a date, not a datetime, got {value!r}")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ConfigError(f"OpeningHours.holidays: a holiday is a date 'YYYY-MM-DD' or a (first, last) pair, got {value!r}")


def _holidays(value: Iterable[Any]) -> tuple[tuple[dt.date, dt.date], ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ConfigError(f"OpeningHours.holidays must be a list of dates or (first, last) pairs, got {value!r}")
    ranges: list[tuple[dt.date, dt.date]] = []
    for entry in value:
        if isinstance(entry, list | tuple):
            if len(entry) != 2:
                raise ConfigError(f"OpeningHours.holidays: a range is (first, last), got {entry!r}")
            first, last = _date(entry[0]), _date(entry[1])
            if last < first:
                raise ConfigError(f"OpeningHours.holidays: range {entry!r} ends before it starts")
        else:
            first = last = _date(entry)
        ranges.append((first, last))
    ranges.sort()
    merged: list[tuple[dt.date, dt.date]] = []
    for first, last in ranges:
        if merged and first <= merged[-1][1] + dt.timedelta(days=1):
            merged[-1] = (merged[-1][0], max(last, merged[-1][1]))
        else:
            merged.append((first, last))
    return tuple(merged)


def _check_zone(instance: Any, attribute: Any, value: Any) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ConfigError(f"OpeningHours.timezone: not an IANA time-zone name, got {value!r}") from None


@attrs.frozen(kw_only=True)
class OpeningHours:
    """When a channel is open: weekly hours per weekday, holidays, and the time zone they are read in.

    Args:
        weekly: Weekday (``"mon"`` .. ``"sun"``, or 0 .. 6) to a list of ``(open, close)`` local times
            (``"09:00"``, ``"24:00"``, or ``datetime.time``); a weekday left out is closed all day.
            Intervals of one day may not overlap; one that closes at ``"24:00"`` and one that opens at
            ``"00:00"`` the next day make one opening across midnight.
        holidays: Dates closed all day, each a date (``"2026-12-25"``) or a ``(first, last)`` range.
        timezone: An IANA time-zone name (``zoneinfo``), in which the times and dates are local.

    >>> hours = OpeningHours(weekly={"mon": [("09:00", "17:00")]}, timezone="Europe/Paris")
    >>> hours.weekly[0]
    ((32400, 61200),)
    >>> OpeningHours(weekly={"mon": [("17:00", "09:00")]})
    Traceback (most recent call last):
    ...
    routekit.errors.ConfigError: OpeningHours.weekly['mon']: ('17:00', '09:00') closes before it opens
    """

    weekly: tuple[tuple[Interval, ...], ...] = attrs.field(converter=_weekly)
    holidays: tuple[tuple[dt.date, dt.date], ...] = attrs.field(default=(), converter=_holidays)
    timezone: str = attrs.field(default="UTC", validator=_check_zone)

    @property
    def never_open(self) -> bool:
        """Whether no weekday has any opening hours (holidays aside): a channel that never takes a contact."""
        return not any(self.weekly)

    def to_data(self) -> dict[str, Any]:
        """The calendar as plain, JSON-able data that :meth:`from_data` reads back."""
        return {
            "weekly": {
                WEEKDAYS[day]: [[_hhmmss(o), _hhmmss(c)] for o, c in intervals]
                for day, intervals in enumerate(self.weekly)
                if intervals
            },
            "holidays": [[first.isoformat(), last.isoformat()] for first, last in self.holidays],
            "timezone": self.timezone,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> OpeningHours:
        """The calendar :meth:`to_data` wrote (also the shape of a scenario's ``[hours.<channel>]``)."""
        if not isinstance(data, Mapping):
            raise ConfigError(f"opening hours are a mapping with weekly, holidays and timezone, got {data!r}")
        unknown = set(data) - {"weekly", "holidays", "timezone"}
        if unknown:
            raise ConfigError(f"opening hours: unknown keys {sorted(unknown)}")
        return cls(
            weekly=data.get("weekly", {}), holidays=data.get("holidays", ()), timezone=data.get("timezone", "UTC")
        )


def _hhmmss(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


def _zone(hours: OpeningHours) -> ZoneInfo:
    return ZoneInfo(hours.timezone)  # zoneinfo caches each zone: a dict look-up


def _holiday(hours: OpeningHours, day: dt.date) -> bool:
    i = bisect.bisect_right(hours.holidays, (day, dt.date.max))
    return i > 0 and hours.holidays[i - 1][1] >= day


def _at(day: dt.date, seconds: int, zone: ZoneInfo) -> float:
    """The UNIX time of a local time of day; 24:00 is the next day's midnight, which may differ in DST."""
    if seconds == _DAY:
        day, seconds = day + dt.timedelta(days=1), 0
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return dt.datetime(day.year, day.month, day.day, hours, minutes, secs, tzinfo=zone).timestamp()


def _openings(hours: OpeningHours, day: dt.date, zone: ZoneInfo) -> list[tuple[float, float]]:
    """The day's openings as UNIX times (none on a holiday)."""
    if _holiday(hours, day):
        return []
    return [(_at(day, o, zone), _at(day, c, zone)) for o, c in hours.weekly[day.weekday()]]


def _local_date(ts: float, zone: ZoneInfo) -> dt.date:
    return dt.datetime.fromtimestamp(ts, zone).date()


def is_open(hours: OpeningHours, ts: float) -> bool:
    """Whether the calendar is open at UNIX time ``ts`` (open from each opening, closed from each closing).

    O(k + log h) for k intervals a day and h holiday ranges.

    >>> hours = OpeningHours(weekly={"mon": [("09:00", "17:00")]}, timezone="UTC")
    >>> monday_9 = dt.datetime(2026, 12, 7, 9, tzinfo=dt.timezone.utc).timestamp()
    >>> is_open(hours, monday_9), is_open(hours, monday_9 - 1)
    (True, False)
    """
    zone = _zone(hours)
    day = _local_date(ts, zone)
    return any(o <= ts < c for o, c in _openings(hours, day, zone))


def next_change(hours: OpeningHours, ts: float) -> float | None:
    """The first UNIX time after ``ts`` at which the calendar opens or closes; ``None`` if it never does.

    Openings that touch (``"24:00"`` then ``"00:00"``) are one opening, so the change is a real one.
    O(d k) for the d days looked at: at most the days to the end of the holidays that cover the coming
    days, plus eight (after the holidays, the week repeats).
    """
    if hours.never_open:
        return None
    zone = _zone(hours)
    day = _local_date(ts, zone)
    limit = max(day, hours.holidays[-1][1] if hours.holidays else day) + dt.timedelta(days=8)
    if is_open(hours, ts):
        return _close_after(hours, ts, day, zone, limit)
    while day <= limit:
        for opens, _ in _openings(hours, day, zone):
            if opens > ts:
                return opens
        day += dt.timedelta(days=1)
    return None


def _close_after(hours: OpeningHours, ts: float, day: dt.date, zone: ZoneInfo, limit: dt.date) -> float | None:
    """The end of the run of touching openings that holds ``ts`` (on local ``day``); ``None`` past ``limit``."""
    end = ts
    while day <= limit:
        for opens, closes in _openings(hours, day, zone):
            if opens <= end < closes:
                end = closes
        if end < _at(day, _DAY, zone):
            return end
        day += dt.timedelta(days=1)
    return None


def reopens_at(hours: OpeningHours, ts: float) -> float | None:
    """When the calendar is next open at or after UNIX time ``ts``: ``ts`` itself if open now; ``None`` if never.

    O(d k), as :func:`next_change`.
    """
    if is_open(hours, ts):
        return ts
    return next_change(hours, ts)
