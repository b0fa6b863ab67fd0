"""Results as data, frames and HTML: columns and row counts, the long and wide kinds, and pandas optional (#25)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from routekit.analytics import STAFFING_COLUMNS, DayStaffing, Interval, Targets, staff, staff_day
from routekit.commands.replay import REPLAY_KPI_NAMES, recorded_intervals, replay, replay_scenario
from routekit.datasets.trace import TraceRecord
from routekit.sim.replications import INTERVAL_KPI_NAMES, KPI_NAMES, SimulationResult, simulate
from routekit.sim.scenario import Scenario, scenario_from_dict
from routekit.sim.sweep import SerialExecutor, sweep

pandas = pytest.importorskip("pandas")


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    """Two hours of voice and chat in half hours, two tiers, agents for both."""
    return scenario_from_dict(
        {
            "run": {"horizon": 7200, "drain": 0, "interval": 1800},
            "channel": [
                {"name": "voice", "service_level": 20, "handle_time": {"dist": "exponential", "mean": 60}},
                {
                    "name": "chat",
                    "service_level": 60,
                    "service_level_target": 0.9,
                    "handle_time": {"dist": "exponential", "mean": 120},
                },
            ],
            "arrivals": [
                {"channel": "voice", "rate": 240, "tiers": {"standard": 0.5, "gold": 0.5}},
                {"channel": "chat", "rate": 120},
            ],
            "agents": [{"count": 6, "capacity": {"voice": 1, "chat": 2}}],
        }
    )


@pytest.fixture(scope="module")
def result(scenario: Scenario) -> SimulationResult:
    """Three replications of the scenario."""
    return simulate(scenario, reps=3, seed=7)


def test_long_rows_are_one_per_replication_row_and_kpi(result: SimulationResult) -> None:
    """The long table has a row per replication, channel and tier row, and KPI."""
    rows = result.to_rows()
    report_rows = sum(len(run.report.rows) for run in result.runs)
    assert report_rows * len(KPI_NAMES) == len(rows)
    assert ("replication", "channel", "tier", "kpi", "value") == result.columns()
    assert {0, 1, 2} == {row["replication"] for row in rows}


def test_long_frame_has_the_columns_and_rows(result: SimulationResult) -> None:
    """`to_dataframe()` is the long table: its columns and its row count."""
    frame = result.to_dataframe()
    assert ["replication", "channel", "tier", "kpi", "value"] == list(frame.columns)
    assert len(result.to_rows()) == len(frame)
    offered = frame[(frame.channel == "all") & (frame.tier == "all") & (frame.kpi == "offered")]
    assert [run.report.overall.offered for run in result.runs] == offered.value.tolist()


def test_wide_frame_is_the_summary(result: SimulationResult) -> None:
    """`to_dataframe("wide")` has a row per channel and tier with a mean and a ci95 column per KPI."""
    frame = result.to_dataframe("wide")
    assert ["channel", "tier", *(f"{k}_{p}" for k in KPI_NAMES for p in ("mean", "ci95"))] == list(frame.columns)
    assert len(result.rows) == len(frame)
    assert (
        result.row("chat").kpis["service_level"].mean
        == frame.set_index(["channel", "tier"]).loc[("chat", "all"), "service_level_mean"]
    )


def test_interval_rows_cover_every_half_hour(result: SimulationResult) -> None:
    """The interval summary of a channel has one entry per half hour of the two-hour run."""
    voice = result.intervals("voice")
    assert [0.0, 1800.0, 3600.0, 5400.0] == [i.start for i in voice]
    assert 3 == voice[0].kpis["offered"].n
    assert None is not voice[0].kpis["occupancy"].mean
    assert None is result.intervals("all", "gold")[0].kpis["occupancy"].mean


def test_interval_frames_long_and_wide(result: SimulationResult) -> None:
    """The interval frames: long has a row per replication, row, interval and KPI; wide one per row and interval."""
    long = result.intervals_dataframe()
    wide = result.intervals_dataframe("wide")
    intervals = sum(len(row.intervals) for run in result.runs for row in run.report.rows)
    assert ["replication", "channel", "tier", "start", "end", "kpi", "value"] == list(long.columns)
    assert intervals * len(INTERVAL_KPI_NAMES) == len(long)
    assert ["channel", "tier", "start", "end"] == list(wide.columns[:4])
    assert len(result.rows) * 4 == len(wide)


def test_an_unknown_kind_is_refused(result: SimulationResult) -> None:
    """A table kind other than long and wide is a ValueError naming both."""
    with pytest.raises(ValueError, match="expected 'long' or 'wide'"):
        result.to_rows("tall")


def test_one_replication_has_no_interval(scenario: Scenario) -> None:
    """With one replication every ci95 is None: there is no interval, not a zero-width one."""
    one = simulate(scenario, reps=1)
    assert {None} == {value for row in one.to_rows("wide") for key, value in row.items() if key.endswith("_ci95")}


def test_targets_come_from_the_scenario(result: SimulationResult) -> None:
    """The result keeps each channel's threshold and target share, 0.8 unless the scenario says otherwise."""
    assert {"voice": (20.0, 0.8), "chat": (60.0, 0.9)} == result.targets


def test_without_pandas_the_error_names_the_extra(result: SimulationResult, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without pandas, every to_dataframe raises an ImportError naming `routekit[frames]`."""
    monkeypatch.setitem(sys.modules, "pandas", None)
    targets = Targets(service_level=0.8)
    day = DayStaffing(rows=staff_day([Interval(start="08:00", rate=100, aht=60)], targets), targets=targets)
    for call in (result.to_dataframe, result.intervals_dataframe, day.to_dataframe):
        with pytest.raises(ImportError, match=r"pip install 'routekit\[frames\]'"):
            call()


def test_html_needs_no_pandas(result: SimulationResult, monkeypatch: pytest.MonkeyPatch) -> None:
    """A result renders as an HTML table for Jupyter with pandas absent, a row per channel and tier."""
    monkeypatch.setitem(sys.modules, "pandas", None)
    page = result._repr_html_()
    assert page.startswith("<table>")
    assert len(result.rows) == page.count("<tr>") - 1


def test_staffing_and_sweeps_render_as_html_without_pandas(monkeypatch: pytest.MonkeyPatch, scenario: Scenario) -> None:
    """One interval's staffing and a sweep render as HTML tables with pandas absent: one row, one per point."""
    monkeypatch.setitem(sys.modules, "pandas", None)
    one = staff(570, 60, Targets(service_level=0.8))
    swept = sweep(scenario, {"agents[0].count": [5, 6]}, 1, 0, SerialExecutor(), customers=50)
    assert 1 == one._repr_html_().count("<tr>") - 1
    assert 2 == swept._repr_html_().count("<tr>") - 1


def test_day_staffing_rows_and_frame() -> None:
    """A day's staffing has a row per interval with the staffing columns, as rows, frame and HTML."""
    targets = Targets(service_level=0.8)
    day = DayStaffing(
        rows=staff_day(
            [Interval(start="08:00", rate=300, aht=240), Interval(start="08:30", rate=450, aht=240)], targets
        ),
        targets=targets,
    )
    frame = day.to_dataframe()
    assert list(STAFFING_COLUMNS) == list(frame.columns)
    assert ["08:00", "08:30"] == frame.start.tolist()
    assert [row.staffing.agents for row in day.rows] == frame.agents.tolist()
    assert 2 == day._repr_html_().count("<tr>") - 1


def test_recorded_intervals_read_the_trace() -> None:
    """A trace's own KPIs: censored patience is an answered wait, uncensored an abandonment."""
    records = [
        TraceRecord(arrival=0.0, channel="voice", patience=5.0, patience_censored=True),
        TraceRecord(arrival=10.0, channel="voice", patience=40.0),
        TraceRecord(arrival=20.0, channel="voice", patience=30.0, patience_censored=True),
        TraceRecord(arrival=1900.0, channel="voice"),
    ]
    first, second = recorded_intervals(records, 1800.0, {"voice": 20.0})
    assert (3, 1, 2, 1 / 3, 17.5) == (first.offered, first.abandoned, first.answered, first.service_level, first.asa)
    assert (1, None, None, None) == (second.offered, second.service_level, second.asa, second.abandon_rate)


def test_replay_result_sets_recorded_beside_simulated(tmp_path: Path) -> None:
    """A replay's interval rows hold both sources for each channel and interval, long and wide."""
    trace = tmp_path / "calls.csv"
    trace.write_text("arrival,channel,handle_time,patience,patience_censored\n0,voice,100,5,1\n10,voice,50,40,0\n")
    result = replay(replay_scenario(trace, agents=1, patience="exponential"))
    wide = result.interval_rows("wide")
    assert {("recorded", "voice", 0.0), ("simulated", "voice", 0.0)} <= {
        (r["source"], r["channel"], r["start"]) for r in wide
    }
    assert len(wide) * len(REPLAY_KPI_NAMES) == len(result.intervals_dataframe())
    assert list(result.interval_columns("wide")) == list(result.intervals_dataframe("wide").columns)
