"""``routekit roster``: the chain from forecast to a simulated roster, as a table, JSON or CSV; bad input exits 2."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from command_line import run

from routekit.commands.roster import run_rounds
from routekit.sim.scenario import scenario_from_dict

SCENARIO = """
[run]
start = 8
horizon = 14400
drain = 1800
interval = 1800

[[channel]]
name = "voice"
service_level = 20
handle_time = { dist = "exponential", mean = 240 }
patience = { dist = "exponential", mean = 180 }

[[arrivals]]
channel = "voice"
profile = [[8, 60], [10, 120]]

[[agents]]
name = "voice"
count = 4
capacity = { voice = 1 }
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    """A file in the test's folder with the given content."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_table_lists_rounds_shifts_and_misses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A four-hour day is rostered on 4-hour shifts and the table shows the round, shifts and misses."""
    scenario = write(tmp_path, "day.toml", SCENARIO)
    status, out, err = run(["roster", str(scenario), "--shift-hours", "4", "--reps", "1", "--rounds", "0"], capsys)
    assert (0, "") == (status, err)
    assert "round agents shifts  paid h missed" in out
    assert "  1 08:00 12:00" in out
    assert "missed intervals of round 0:" in out


def test_json_and_csv_agree_on_the_assignments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """JSON parses with json and CSV with csv, and both list the same agents on the same shifts."""
    scenario = write(tmp_path, "day.toml", SCENARIO)
    common = ["roster", str(scenario), "--shift-hours", "4", "--reps", "1", "--rounds", "0"]
    status, out, _ = run([*common, "--format", "json"], capsys)
    document = json.loads(out)
    assert 0 == status
    status, out, _ = run([*common, "--format", "csv"], capsys)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert 0 == status
    assert document["assignments"] == [{**row, "day": int(row["day"])} for row in rows]
    assert document["rounds"][0]["shifts"] == len(rows)
    assert {"agent", "group", "day", "template", "start", "end", "breaks"} == set(rows[0])


def test_a_forecast_drives_the_staffing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Doubling the forecast's rates rosters more agents than the forecast as given."""
    scenario = write(tmp_path, "day.toml", SCENARIO)
    agents = []
    for rate in (100, 200):
        rows = "".join(f"{8 + i // 2:02d}:{30 * (i % 2):02d},{rate}\n" for i in range(8))
        forecast = write(tmp_path, f"f{rate}.csv", "start,rate\n" + rows)
        argv = ["roster", str(scenario), "--forecast", str(forecast), "--shift-hours", "4", "--reps", "1"]
        status, out, _ = run([*argv, "--rounds", "0", "--format", "json"], capsys)
        assert 0 == status
        agents.append(json.loads(out)["rounds"][0]["agents"])
    assert agents[0] < agents[1]


def test_a_bad_forecast_cell_names_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A rate that is not a number exits 2 with the file, line and column on stderr."""
    scenario = write(tmp_path, "day.toml", SCENARIO)
    forecast = write(tmp_path, "f.csv", "start,rate\n08:00,100\n08:30,lots\n")
    status, out, err = run(["roster", str(scenario), "--forecast", str(forecast)], capsys)
    assert (2, "") == (status, out)
    assert "line 3, column 'rate': 'lots' is not a number" in err


def test_a_several_channel_scenario_needs_a_channel_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The built-in day has four channels, so a forecast without a channel column is refused."""
    forecast = write(tmp_path, "f.csv", "start,rate\n08:00,100\n")
    status, _, err = run(["roster", "--forecast", str(forecast)], capsys)
    assert 2 == status
    assert "no 'channel' column" in err


def test_repair_rounds_add_staff_where_the_simulation_misses() -> None:
    """A slow answer (15 s) that Erlang A does not know makes the first roster miss; repairs add agents."""
    data = {
        "run": {"start": 8, "horizon": 7200, "drain": 1800, "interval": 1800},
        "channel": [
            {
                "name": "voice",
                "service_level": 20,
                "handle_time": {"dist": "exponential", "mean": 240},
                "patience": {"dist": "exponential", "mean": 180},
                "accept_delay": {"dist": "deterministic", "value": 15},
            }
        ],
        "arrivals": [{"channel": "voice", "rate": 240}],
        "agents": [{"name": "voice", "count": 1, "capacity": {"voice": 1}}],
    }
    rounds = run_rounds(scenario_from_dict(data), shift_hours=2, break_minutes=0, rounds=3, reps=2, seed=5)
    agents = [len(r.roster.agents) for r in rounds]
    assert rounds[0].misses
    assert len(rounds) > 1
    assert agents == sorted(agents)
    assert agents[0] < agents[-1]
    assert len(rounds[-1].misses) < len(rounds[0].misses)


def test_a_shift_off_the_interval_grid_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A 7.25-hour shift is not a whole number of half hours: exit 2 and the reason on stderr."""
    scenario = write(tmp_path, "day.toml", SCENARIO)
    status, out, err = run(["roster", str(scenario), "--shift-hours", "7.25"], capsys)
    assert (2, "") == (status, out)
    assert "routekit roster: a 7.25-hour shift is not a whole number of 30-minute intervals" in err
