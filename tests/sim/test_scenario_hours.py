"""Opening hours in scenarios (issue 22): the keys, what callers and messages do, and a day with a closed hour."""

from __future__ import annotations

import math
from typing import Any

import pytest

from routekit import ScenarioError
from routekit.sim.check import check_scenario
from routekit.sim.engine import run_day
from routekit.sim.scenario import scenario_from_dict

# Open 09:00-12:00 and 13:00-17:00 every day: the lunch hour is closed.
LUNCH_CLOSED = {
    "weekly": {day: [["09:00", "12:00"], ["13:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "timezone": "Europe/Paris",
}


def _day(
    rate: float = 600.0, channel: str = "voice", hours: dict[str, Any] | None = None, **run: Any
) -> dict[str, Any]:
    """A day from 09:00 to 17:00 Paris time on Monday 7 December 2026, calls or messages at ``rate`` per hour."""
    return {
        "run": {"horizon": 8 * 3600, "start": 9, "date": "2026-12-07", "timezone": "Europe/Paris", **run},
        "channel": [
            {
                "name": channel,
                "service_level": 20,
                "handle_time": {"dist": "exponential", "mean": 60},
                "patience": {"dist": "deterministic", "value": 600},
                "hours": LUNCH_CLOSED if hours is None else hours,
            }
        ],
        "arrivals": [{"channel": channel, "rate": rate}],
        "agents": [{"name": "a", "count": 20, "capacity": {channel: 1}}],
    }


def test_the_share_of_calls_denied_closed_is_the_share_of_arrivals_in_the_closed_hour() -> None:
    """Poisson calls over 09:00-17:00 with 12:00-13:00 closed: the share denied ``closed`` is 1/8, within
    four standard errors of a binomial share over the arrivals of five replications."""
    denied = offered = 0
    for seed in range(5):
        row = run_day(scenario_from_dict(_day()), seed).report.row("voice")
        denied += row.denied_closed
        offered += row.offered + row.denied
        assert row.denied == row.denied_closed  # nothing else denies
    share, expected = denied / offered, 1 / 8
    assert abs(expected - share) < 4 * math.sqrt(expected * (1 - expected) / offered)


def test_messages_sent_in_the_closed_hour_wait_for_the_opening_and_keep_their_patience() -> None:
    """Messages are never denied: those sent over lunch wait for 13:00, and with 600 s of patience counted
    from the opening, none abandons while 20 agents easily keep up."""
    row = run_day(scenario_from_dict(_day(rate=120.0, channel="email")), 1).report.row("email")
    assert (0, 0) == (row.denied, row.abandoned)
    assert row.handled > 0


def test_a_channel_with_hours_needs_run_date_and_horizon() -> None:
    """Hours without ``run.date`` or without ``run.horizon`` are refused, naming the key."""
    no_date = _day()
    del no_date["run"]["date"]
    with pytest.raises(ScenarioError, match=r"run.date: missing \(opening hours on voice need the date of time 0\)"):
        scenario_from_dict(no_date)
    no_horizon = _day()
    del no_horizon["run"]["horizon"]
    no_horizon["run"]["customers"] = 100
    with pytest.raises(ScenarioError, match=r"run.horizon: missing \(a day with opening hours on voice needs one\)"):
        scenario_from_dict(no_horizon)


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"run": {"date": "tomorrow"}}, "run.date: expected a date such as 2026-12-07, got 'tomorrow'"),
        ({"run": {"timezone": "CET+1"}}, "run.timezone: not an IANA time-zone name, got 'CET+1'"),
        ({"hours": {"weekly": {}, "zone": "UTC"}}, "channel[0].hours: opening hours: unknown keys ['zone']"),
        (
            {"hours": {"weekly": {"mon": [["18:00", "08:00"]]}}},
            "channel[0].hours: OpeningHours.weekly['mon']: ('18:00', '08:00') closes before it opens",
        ),
    ],
)
def test_a_bad_hours_key_is_refused_naming_it(change: dict[str, Any], needle: str) -> None:
    """Each bad ``run.date``, ``run.timezone`` or ``[channel.hours]`` value is a ScenarioError naming the key."""
    data = _day(hours=change.get("hours"))
    data["run"].update(change.get("run", {}))
    with pytest.raises(ScenarioError) as caught:
        scenario_from_dict(data)
    assert needle in str(caught.value)


def test_check_flags_hours_never_open_and_hours_closed_all_run() -> None:
    """``routekit check``: no weekday open is an error; a run on a holiday is closed from start to horizon."""
    never = check_scenario(scenario_from_dict(_day(hours={"weekly": {}})))
    holiday = check_scenario(scenario_from_dict(_day(hours={**LUNCH_CLOSED, "holidays": ["2026-12-07"]})))
    assert [("error", "never-open", "channel[0].hours")] == [
        (f.severity, f.code, f.where) for f in never if f.code in ("never-open", "closed-all-run")
    ]
    assert [("warning", "closed-all-run")] == [
        (f.severity, f.code) for f in holiday if f.code in ("never-open", "closed-all-run")
    ]
    assert not [f for f in check_scenario(scenario_from_dict(_day())) if f.code in ("never-open", "closed-all-run")]
