"""Trace arrivals and staffing tables: recorded contacts replayed at their times, agents logged in by table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from routekit.errors import ScenarioError
from routekit.metrics import KpiRow
from routekit.sim.engine import run_day
from routekit.sim.scenario import Scenario, load_scenario, scenario_from_dict

HEADER = "arrival,channel,priority,head_start,tier,skills,handle_time,patience,patience_censored"


def write(folder: Path, name: str, *lines: str) -> Path:
    """A text file of the given lines in the folder."""
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def scenario(
    folder: Path,
    *,
    arrivals: dict[str, Any] | None = None,
    agents: dict[str, Any] | None = None,
    patience: dict[str, Any] | None = None,
    interval: float = 1800.0,
) -> Scenario:
    """A one-channel scenario replaying ``calls.csv`` in the folder (a handle time of 999 s unless traced)."""
    channel: dict[str, Any] = {
        "name": "voice",
        "service_level": 20,
        "handle_time": {"dist": "deterministic", "value": 999},
    }
    if patience is not None:
        channel["patience"] = patience
    return scenario_from_dict(
        {
            "run": {"horizon": 10_000, "drain": 10_000, "interval": interval},
            "channel": [channel],
            "arrivals": [arrivals or {"trace": "calls.csv"}],
            "agents": [agents or {"count": 1, "capacity": {"voice": 1}, "skills": {"billing": 1}}],
        },
        base=folder,
    )


def overall(s: Scenario) -> KpiRow:
    """The overall KPI row of one run."""
    return run_day(s, 7).report.overall


def test_contacts_arrive_at_their_traced_times(tmp_path: Path) -> None:
    """Each record is one contact, counted in the interval of its recorded arrival."""
    write(tmp_path, "calls.csv", HEADER, "5,voice,0,0,,billing,10,,", "25,voice,0,0,,billing,10,,",
          "26,voice,0,0,,billing,10,,")  # fmt: skip
    report = run_day(scenario(tmp_path, interval=10.0), 7).report
    offered = {interval.start: interval.offered for interval in report.overall.intervals if interval.offered}
    assert {0.0: 1, 20.0: 2} == offered


def test_traced_handle_times_replace_the_channel_draw(tmp_path: Path) -> None:
    """One agent serves 100 s then 50 s: the second caller waits 90 s, and the AHT is 75 s."""
    write(tmp_path, "calls.csv", HEADER, "0,voice,0,0,,billing,100,,", "10,voice,0,0,,billing,50,,")
    row = overall(scenario(tmp_path))
    assert (2, 2, 75.0, 45.0, 90.0) == (row.offered, row.handled, row.aht, row.asa, row.max_wait)


def test_a_contact_without_a_handle_time_draws_from_its_channel(tmp_path: Path) -> None:
    """An empty handle_time cell takes the channel's handle time (999 s here)."""
    write(tmp_path, "calls.csv", HEADER, "0,voice,0,0,,billing,,,")
    assert 999.0 == overall(scenario(tmp_path)).aht


def busy_then(tmp_path: Path, patience: str, censored: str) -> None:
    """A trace whose first caller keeps the only agent busy for 1,000 s, then one with that patience."""
    write(
        tmp_path, "calls.csv", HEADER, "0,voice,0,0,,billing,1000,,", f"10,voice,0,0,,billing,5,{patience},{censored}"
    )


def test_a_traced_patience_replaces_the_channel_draw(tmp_path: Path) -> None:
    """A caller with a recorded patience of 30 s hangs up after 30 s, whatever the channel's patience."""
    busy_then(tmp_path, "30", "0")
    row = overall(scenario(tmp_path, patience={"dist": "deterministic", "value": 7}))
    assert (1, 30.0) == (row.abandoned, row.max_wait)


def test_a_censored_patience_is_drawn_above_its_value(tmp_path: Path) -> None:
    """A patience known to exceed 300 s draws from the channel's patience above 300 s (400 s here)."""
    busy_then(tmp_path, "300", "1")
    row = overall(scenario(tmp_path, patience={"dist": "empirical", "values": [10, 400]}))
    assert (1, 400.0) == (row.abandoned, row.max_wait)


def test_a_censored_patience_beyond_the_channel_draws_falls_back_to_value_plus_draw(tmp_path: Path) -> None:
    """When no draw exceeds the censored value, the patience is that value plus one draw."""
    busy_then(tmp_path, "300", "1")
    row = overall(scenario(tmp_path, patience={"dist": "deterministic", "value": 50}))
    assert (1, 350.0) == (row.abandoned, row.max_wait)


def test_a_censored_patience_without_a_channel_patience_waits_to_be_served(tmp_path: Path) -> None:
    """Without a channel patience, a caller known only to outwait 300 s is served after 990 s."""
    busy_then(tmp_path, "300", "1")
    row = overall(scenario(tmp_path))
    assert (0, 2, 990.0) == (row.abandoned, row.handled, row.max_wait)


def test_a_missing_patience_draws_from_the_channel(tmp_path: Path) -> None:
    """An empty patience cell takes the channel's patience (7 s here)."""
    busy_then(tmp_path, "", "")
    row = overall(scenario(tmp_path, patience={"dist": "deterministic", "value": 7}))
    assert (1, 7.0) == (row.abandoned, row.max_wait)


def test_use_patience_false_draws_every_patience_from_the_channel(tmp_path: Path) -> None:
    """With use_patience = false, a recorded patience of 30 s gives way to the channel's 7 s."""
    busy_then(tmp_path, "30", "0")
    arrivals = {"trace": "calls.csv", "use_patience": False}
    row = overall(scenario(tmp_path, arrivals=arrivals, patience={"dist": "deterministic", "value": 7}))
    assert (1, 7.0) == (row.abandoned, row.max_wait)


def test_priority_head_start_tier_and_skills_come_from_the_trace(tmp_path: Path) -> None:
    """A later caller with a 90 s head start is served before an earlier one, under its own tier."""
    write(tmp_path, "calls.csv", HEADER, "0,voice,0,0,gold,billing,100,,", "10,voice,0,0,,billing,10,,",
          "20,voice,0,90,,billing,10,,")  # fmt: skip
    report = run_day(scenario(tmp_path), 7).report
    assert (90.0, 100.0) == (report.row("voice", "standard").asa, report.row("voice", "standard").max_wait)
    assert 1 == report.row("voice", "gold").offered


def test_a_contact_needing_a_skill_nobody_has_is_not_served(tmp_path: Path) -> None:
    """A traced skill the agents lack: the contact arrives, but the router refuses it at submit."""
    write(tmp_path, "calls.csv", HEADER, "0,voice,0,0,,spanish:2,10,,")
    result = run_day(scenario(tmp_path), 7)
    assert (1, 0) == (result.customers, result.report.overall.offered)


def test_a_column_mapping_reads_the_csvs_own_headers(tmp_path: Path) -> None:
    """``columns`` maps trace columns to the file's header names."""
    write(tmp_path, "export.csv", "t,medium,needs,dur", "0,VOICE,billing,100", "10,voice,billing,50")
    arrivals = {"trace": "export.csv", "columns": {"arrival": "t", "channel": "medium", "skills": "needs",
                                                   "handle_time": "dur"}}  # fmt: skip
    row = overall(scenario(tmp_path, arrivals=arrivals))
    assert (2, 75.0, 90.0) == (row.handled, row.aht, row.max_wait)


def test_a_trace_is_read_relative_to_the_scenario_file(tmp_path: Path) -> None:
    """``load_scenario`` reads the trace from the TOML file's folder, beside generated arrivals."""
    write(tmp_path, "calls.csv", HEADER, "0,voice,0,0,,,60,,")
    toml = write(tmp_path, "day.toml", "[run]", "horizon = 100", "[[channel]]", 'name = "voice"',
                 'handle_time = { dist = "deterministic", value = 30 }', "[[arrivals]]", 'channel = "voice"',
                 "rate = 0", "[[arrivals]]", 'trace = "calls.csv"', "[[agents]]", "count = 1",
                 "capacity = { voice = 1 }")  # fmt: skip
    loaded = load_scenario(toml)
    assert (1, 1, tmp_path / "calls.csv") == (len(loaded.arrivals), len(loaded.traces), loaded.traces[0].path)
    assert 60.0 == overall(loaded).aht


def test_a_staffing_table_logs_agents_in_and_out(tmp_path: Path) -> None:
    """No agent until 100 s, one until 200 s, none until 300 s: callers at 10 s and 250 s wait 90 s and 50 s."""
    write(tmp_path, "calls.csv", HEADER, "10,voice,0,0,,billing,20,,", "250,voice,0,0,,billing,20,,")
    agents = {"capacity": {"voice": 1}, "skills": {"billing": 1},
              "staffing": [[0, 0], [100, 1], [200, 0], [300, 1]]}  # fmt: skip
    s = scenario(tmp_path, agents=agents)
    row = overall(s)
    assert 1 == s.agents[0].count
    assert (2, 70.0, 90.0) == (row.handled, row.asa, row.max_wait)


def test_a_staffing_csv_logs_the_highest_numbered_agents_out_first(tmp_path: Path) -> None:
    """From a CSV: two agents, then one; the one left serves the later callers one at a time."""
    write(tmp_path, "calls.csv", HEADER, "0,voice,0,0,,billing,100,,", "0,voice,0,0,,billing,100,,",
          "150,voice,0,0,,billing,100,,", "150,voice,0,0,,billing,100,,")  # fmt: skip
    write(tmp_path, "staffing.csv", "start,agents", "0,2", "120,1")
    agents = {"capacity": {"voice": 1}, "skills": {"billing": 1}, "staffing": "staffing.csv"}
    s = scenario(tmp_path, agents=agents)
    row = overall(s)
    assert ((0.0, 2), (120.0, 1)) == s.agents[0].staffing
    assert (4, 100.0, 25.0) == (row.handled, row.max_wait, row.asa)


@pytest.mark.parametrize(
    ("arrivals", "files", "message"),
    [
        ({"trace": "calls.csv", "colour": "red"}, {}, "arrivals[0].colour: unknown key"),
        ({"trace": "nope.csv"}, {}, "arrivals[0].trace: cannot read 'nope.csv': No such file or directory"),
        ({"trace": 5}, {}, "arrivals[0].trace: expected a non-empty string, got 5"),
        ({"trace": "bad.csv"}, {"bad.csv": [HEADER, "0,voice,0,0,,,10,,", "5,fax,0,0,,,10,,"]},
         "arrivals[0].trace: bad.csv row 3, column 'channel': unknown channel 'fax'"),
        ({"trace": "chat.csv"}, {"chat.csv": ["arrival,channel", "3,chat"]},
         "arrivals[0].trace: 'chat.csv' has 'chat' contacts (the first at 3 s), but no [[channel]] describes"),
        ({"trace": "calls.csv", "columns": {"when": "t"}}, {}, "arrivals[0].columns.when: unknown trace column"),
        ({"trace": "calls.csv", "columns": {"arrival": "t"}}, {},
         "arrivals[0].trace: calls.csv row 1: the column mapping reads 'arrival' from 't'"),
        ({"trace": "calls.csv", "use_patience": "yes"}, {},
         "arrivals[0].use_patience: expected true or false, got 'yes'"),
    ],
)  # fmt: skip
def test_bad_trace_entries_name_the_key_path(
    tmp_path: Path, arrivals: dict[str, Any], files: dict[str, list[str]], message: str
) -> None:
    """A bad key, path, row or mapping is a ScenarioError that starts with the key path."""
    write(tmp_path, "calls.csv", HEADER, "0,voice,0,0,,,10,,")
    for name, lines in files.items():
        write(tmp_path, name, *lines)
    with pytest.raises(ScenarioError) as error:
        scenario(tmp_path, arrivals=arrivals)
    assert str(error.value).startswith(message)


@pytest.mark.parametrize(
    ("agents", "files", "message"),
    [
        ({"staffing": [[0, 1], [0, 2]]}, {}, "agents[0].staffing: starts must increase, got 0 after 0"),
        ({"staffing": [5]}, {}, "agents[0].staffing[0]: expected [start seconds, agents], got 5"),
        ({"staffing": [[0, -1]]}, {}, "agents[0].staffing[0][1]: must be >= 0, got -1"),
        ({"staffing": []}, {}, "agents[0].staffing: the staffing table has no rows"),
        ({"staffing": 3}, {}, "agents[0].staffing: expected a CSV file name or a list"),
        ({"staffing": "none.csv"}, {}, "agents[0].staffing: cannot read 'none.csv': No such file or directory"),
        ({"staffing": "s.csv"}, {"s.csv": ["begin,agents", "0,1"]},
         "agents[0].staffing: s.csv row 1: missing column(s) 'start'"),
        ({"staffing": "s.csv"}, {"s.csv": ["start,agents", "0,1", "1800,two"]},
         "agents[0].staffing: s.csv row 3, column 'agents': expected an integer >= 0, got 'two'"),
        ({"staffing": [[0, 3]], "count": 2}, {}, "agents[0].count: 2 is less than the staffing table's 3 agents"),
        ({"staffing": [[0, 3]], "shift": [8, 9]}, {}, "agents[0].shift: give a shift or a staffing table"),
        ({}, {}, "agents[0].count: missing"),
    ],
)  # fmt: skip
def test_bad_staffing_names_the_key_path(
    tmp_path: Path, agents: dict[str, Any], files: dict[str, list[str]], message: str
) -> None:
    """A bad staffing table is a ScenarioError that starts with the key path."""
    write(tmp_path, "calls.csv", HEADER, "0,voice,0,0,,,10,,")
    for name, lines in files.items():
        write(tmp_path, name, *lines)
    with pytest.raises(ScenarioError) as error:
        scenario(tmp_path, agents={"capacity": {"voice": 1}, **agents})
    assert str(error.value).startswith(message)


def test_a_generated_stream_after_a_trace_keeps_its_own_index(tmp_path: Path) -> None:
    """An error on the second [[arrivals]] names arrivals[1], though the first is a trace."""
    write(tmp_path, "calls.csv", HEADER, "0,voice,0,0,,,10,,")
    data = {
        "run": {"horizon": 100},
        "channel": [{"name": "voice", "handle_time": {"dist": "deterministic", "value": 9}},
                    {"name": "chat", "handle_time": {"dist": "deterministic", "value": 9}}],
        "arrivals": [{"trace": "calls.csv"}, {"channel": "chat", "rate": 10}],
        "agents": [{"count": 1, "capacity": {"voice": 1}}],
    }  # fmt: skip
    with pytest.raises(ScenarioError) as error:
        scenario_from_dict(data, base=tmp_path)
    assert "arrivals[1].channel: no agent group has capacity on 'chat'" == str(error.value)


def test_a_trace_on_a_channel_no_agent_serves_names_the_trace(tmp_path: Path) -> None:
    """A trace whose contacts no agent group can take is refused by its key path."""
    write(tmp_path, "calls.csv", HEADER, "0,voice,0,0,,,10,,")
    agents = {"count": 1, "capacity": {"chat": 1}}
    with pytest.raises(ScenarioError) as error:
        scenario(tmp_path, agents=agents)
    assert "arrivals[0].trace: no agent group has capacity on 'voice'" == str(error.value)
