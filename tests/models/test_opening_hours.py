"""Opening hours: the calendar record refuses bad values by name, and its pure reads match hand-worked dates."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from routekit import ConfigError, OpeningHours
from routekit.models.hours import is_open, next_change, reopens_at

UTC = dt.UTC
PARIS = ZoneInfo("Europe/Paris")


def at(*fields: int, zone: Any = UTC) -> float:
    return dt.datetime(*fields, tzinfo=zone).timestamp()


WEEKDAYS_9_TO_5 = OpeningHours(
    weekly={day: [("09:00", "17:00")] for day in ("mon", "tue", "wed", "thu", "fri")}, timezone="UTC"
)


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"weekly": {"mon": [("17:00", "09:00")]}}, "OpeningHours.weekly['mon']: ('17:00', '09:00') closes before"),
        ({"weekly": {"monday": [("09:00", "17:00")]}}, "a weekday is one of mon, tue"),
        ({"weekly": {7: [("09:00", "17:00")]}}, "got 7"),
        ({"weekly": {"mon": [("9am", "17:00")]}}, "weekly['mon']: a time of day is 'HH:MM' (00:00 to 24:00)"),
        ({"weekly": {"mon": [("09:00", "24:01")]}}, "got '24:01'"),
        ({"weekly": {"mon": [("09:00", "12:00"), ("11:00", "13:00")]}}, "intervals overlap"),
        ({"weekly": {"mon": "09:00-17:00"}}, "must be a list of (open, close) times"),
        ({"weekly": [("09:00", "17:00")]}, "OpeningHours.weekly must map weekdays"),
        ({"weekly": {}, "holidays": ["25/12/2026"]}, "OpeningHours.holidays: a holiday is a date 'YYYY-MM-DD'"),
        ({"weekly": {}, "holidays": [("2026-12-26", "2026-12-24")]}, "ends before it starts"),
        ({"weekly": {}, "timezone": "Mars/Olympus"}, "timezone: not an IANA time-zone name, got 'Mars/Olympus'"),
    ],
)
def test_a_bad_calendar_is_refused_naming_the_field_and_value(fields: dict[str, Any], needle: str) -> None:
    """Each bad weekly interval, holiday or time zone is a ConfigError that names the field and the value."""
    with pytest.raises(ConfigError) as caught:
        OpeningHours(**fields)
    assert needle in str(caught.value)


def test_weekly_hours_open_at_the_opening_and_close_at_the_closing() -> None:
    """Open from 09:00 inclusive to 17:00 exclusive on a weekday; closed at the weekend."""
    monday = (2026, 12, 7)
    assert [False, True, True, False] == [
        is_open(WEEKDAYS_9_TO_5, at(*monday, 8, 59, 59)),
        is_open(WEEKDAYS_9_TO_5, at(*monday, 9)),
        is_open(WEEKDAYS_9_TO_5, at(*monday, 16, 59, 59)),
        is_open(WEEKDAYS_9_TO_5, at(*monday, 17)),
    ]
    assert not is_open(WEEKDAYS_9_TO_5, at(2026, 12, 12, 12))


def test_next_change_walks_openings_closings_and_the_weekend() -> None:
    """From Friday noon: close Friday 17:00, open Monday 09:00, close Monday 17:00."""
    friday_noon = at(2026, 12, 11, 12)
    closing = next_change(WEEKDAYS_9_TO_5, friday_noon)
    opening = next_change(WEEKDAYS_9_TO_5, closing)  # type: ignore[arg-type]
    assert (at(2026, 12, 11, 17), at(2026, 12, 14, 9), at(2026, 12, 14, 17)) == (
        closing,
        opening,
        next_change(WEEKDAYS_9_TO_5, opening),  # type: ignore[arg-type]
    )


def test_a_holiday_closes_the_whole_day_and_a_range_every_day_in_it() -> None:
    """Christmas Day closed; a range from the 28th to the 31st closed; the next opening is 1 January 2027."""
    hours = OpeningHours(
        weekly=dict(WEEKDAYS_9_TO_5.to_data()["weekly"]),
        holidays=["2026-12-25", ("2026-12-28", "2026-12-31")],
        timezone="UTC",
    )
    assert not is_open(hours, at(2026, 12, 25, 12))
    assert is_open(hours, at(2026, 12, 24, 12))
    assert at(2027, 1, 1, 9) == reopens_at(hours, at(2026, 12, 25, 12))


def test_local_hours_follow_a_dst_change() -> None:
    """09:00 in Paris is 08:00 UTC before 29 March 2026 and 07:00 UTC after: the opening moves with the clock."""
    hours = OpeningHours(weekly={day: [("09:00", "17:00")] for day in range(7)}, timezone="Europe/Paris")
    saturday_evening = at(2026, 3, 28, 18, zone=PARIS)
    sunday_opening = next_change(hours, saturday_evening)
    assert at(2026, 3, 29, 7) == sunday_opening
    assert at(2026, 3, 28, 8) == reopens_at(hours, at(2026, 3, 28, 7))
    assert 23 * 3600 == sunday_opening - at(2026, 3, 28, 8)  # type: ignore[operator]


def test_openings_that_touch_at_midnight_are_one_opening() -> None:
    """Saturday 00:00-24:00 and Sunday 00:00-12:00 close once, Sunday at noon, not at midnight."""
    hours = OpeningHours(weekly={"sat": [("00:00", "24:00")], "sun": [("00:00", "12:00")]}, timezone="UTC")
    assert at(2026, 12, 13, 12) == next_change(hours, at(2026, 12, 12, 10))


def test_a_calendar_never_open_or_always_open_never_changes() -> None:
    """No weekday hours: never open, no change; every day 00:00-24:00: always open, no change."""
    never = OpeningHours(weekly={})
    always = OpeningHours(weekly={day: [("00:00", "24:00")] for day in range(7)})
    assert (True, None, None) == (never.never_open, next_change(never, 0.0), reopens_at(never, 0.0))
    assert (True, None) == (is_open(always, 0.0), next_change(always, 0.0))


def test_a_calendar_round_trips_through_plain_data() -> None:
    """to_data gives JSON-able data that from_data reads back to an equal calendar."""
    hours = OpeningHours(
        weekly={"mon": [("08:30", "12:00"), ("13:00", "17:30:15")]},
        holidays=["2026-12-25", ("2026-12-28", "2026-12-31")],
        timezone="Europe/Paris",
    )
    assert hours == OpeningHours.from_data(hours.to_data())
    with pytest.raises(ConfigError, match="unknown keys"):
        OpeningHours.from_data({"weekly": {}, "zone": "UTC"})
