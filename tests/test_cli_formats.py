"""`--format table|json|csv` on every command that prints results, each format parsed back (#25).

CSV is read with the csv module and JSON with the json module; in both, a value that does not exist is
empty (CSV) or null (JSON), never a zero that looks like a measurement.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from command_line import run

import routekit as rk
from routekit.analytics import STAFFING_COLUMNS
from routekit.commands.check import FINDING_COLUMNS
from routekit.commands.explain import AGENT_COLUMNS
from routekit.sim.replications import KPI_NAMES

SCENARIO = """\
[run]
horizon = 3600
[[channel]]
name = "voice"
service_level = 20
handle_time = { dist = "exponential", mean = 60 }
patience = { dist = "exponential", mean = 120 }
[[arrivals]]
channel = "voice"
rate = 300
tiers = { standard = 0.8, gold = 0.2 }
[[agents]]
count = 6
capacity = { voice = 1 }
"""

TRACE = """\
arrival,channel,tier,handle_time,patience,patience_censored
0,voice,standard,100,5,1
10,voice,gold,50,40,0
20,voice,standard,60,12,1
1900,voice,standard,80,3,1
"""

FORECAST = "start,rate,aht,patience\n08:00,420,240,120\n08:30,510,235,\n"


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    """A one-hour voice scenario with two tiers."""
    path = tmp_path / "desk.toml"
    path.write_text(SCENARIO)
    return path


@pytest.fixture
def trace(tmp_path: Path) -> Path:
    """A four-record trace over two half hours."""
    path = tmp_path / "calls.csv"
    path.write_text(TRACE)
    return path


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    """A router snapshot: c-1 offered to the one voice agent, c-2 and c-3 waiting, and a chat agent."""
    router = rk.Router(rk.policies.Skills())
    router.add_agent(rk.Agent(id="a-1", capacity={rk.Channel.VOICE: 1}), 0.0)
    router.add_agent(rk.Agent(id="a-2", capacity={rk.Channel.CHAT: 1}), 0.0)
    for n in (1, 2, 3):
        customer = rk.Customer(id=f"u-{n}", tier="standard")
        router.submit(rk.Contact(id=f"c-{n}", customer=customer, channel=rk.Channel.VOICE), float(n))
    path = tmp_path / "router.json"
    path.write_text(json.dumps(router.snapshot()))
    return path


# -------------------------------------------------------------------------------------------- simulate


def test_simulate_csv_has_a_row_per_channel_and_tier(scenario: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Simulate's CSV has channel, tier and a mean and ci95 column per KPI; one replication's ci95 is empty."""
    status, out, _ = run(["simulate", str(scenario), "--format", "csv"], capsys)
    rows = _csv(out)
    assert 0 == status
    assert ["channel", "tier", *(f"{k}_{p}" for k in KPI_NAMES for p in ("mean", "ci95"))] == list(rows[0])
    assert [("all", "all"), ("voice", "all"), ("all", "gold"), ("all", "standard")] == [
        (r["channel"], r["tier"]) for r in rows[:4]
    ]
    assert {""} == {r["service_level_ci95"] for r in rows}
    assert 0 < float(rows[0]["offered_mean"])


def test_simulate_json_ci95_is_null_with_one_replication(scenario: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With one replication there is no interval: JSON says null, with several a number."""
    _, one, _ = run(["simulate", str(scenario), "--format", "json"], capsys)
    _, two, _ = run(["simulate", str(scenario), "--format", "json", "--reps", "2"], capsys)
    assert None is json.loads(one)["kpis"][0]["service_level"]["ci95"]
    assert isinstance(json.loads(two)["kpis"][0]["service_level"]["ci95"], float)


def test_simulate_table_and_csv_agree(scenario: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The table's offered column is the CSV's offered mean, row for row."""
    _, table, _ = run(["simulate", str(scenario)], capsys)
    _, text, _ = run(["simulate", str(scenario), "--format", "csv"], capsys)
    offered = [line.split()[2] for line in table.splitlines()[1:-1]]
    assert offered == [f"{float(r['offered_mean']):.0f}" for r in _csv(text)]


# ---------------------------------------------------------------------------------------------- replay


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_replay_prints_each_format(fmt: str, trace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Replay prints the simulate formats: a table, JSON with the KPI rows, CSV with a row per channel and tier."""
    status, out, err = run(["replay", str(trace), "--agents", "1", "--format", fmt], capsys)
    assert (0, "") == (status, err)
    if fmt == "json":
        assert 4 == json.loads(out)["kpis"][0]["offered"]["mean"]
    elif fmt == "csv":
        assert ("all", "all", 4.0) == (lambda r: (r["channel"], r["tier"], float(r["offered_mean"])))(_csv(out)[0])
    else:
        assert ["channel", "tier", "offered"] == out.split()[:3]


# ----------------------------------------------------------------------------------------------- staff

ONE = ["staff", "--rate", "570", "--aht", "60", "--target", "0.8@20"]


def test_staff_one_interval_csv(capsys: pytest.CaptureFixture[str]) -> None:
    """One interval's CSV is one row with the staffing columns; the missing patience is an empty cell."""
    status, out, _ = run([*ONE, "--format", "csv"], capsys)
    rows = _csv(out)
    assert 0 == status
    assert list(STAFFING_COLUMNS) == list(rows[0])
    assert [("", "570.0", "", "12", "erlang-c")] == [
        (r["start"], r["rate"], r["patience"], r["agents"], r["model"]) for r in rows
    ]


def test_staff_forecast_csv_json_and_table_agree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A forecast's CSV, JSON and table give the same agents per interval; JSON's missing patience is null."""
    forecast = tmp_path / "day.csv"
    forecast.write_text(FORECAST)
    args = ["staff", "--forecast", str(forecast), "--target", "0.8@20"]
    _, text, _ = run([*args, "--format", "csv"], capsys)
    _, document, _ = run([*args, "--format", "json"], capsys)
    _, table, _ = run(args, capsys)
    from_csv = [(r["start"], int(r["agents"])) for r in _csv(text)]
    intervals = json.loads(document)["intervals"]
    from_table = [(line.split()[0], int(line.split()[5])) for line in table.splitlines()[2:-1]]
    assert from_csv == [(i["start"], i["agents"]) for i in intervals] == from_table
    assert [120.0, None] == [i["patience"] for i in intervals]
    assert ["120.0", ""] == [r["patience"] for r in _csv(text)]


# ----------------------------------------------------------------------------------------------- check


@pytest.mark.parametrize("fmt", ["table", "text"])
def test_check_table_and_text_are_the_same(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`check --format text` is another name for `table`: one line per finding, then the counts."""
    status, out, _ = run(["check", "--format", fmt], capsys)
    assert 0 == status
    assert out.splitlines()[-1].endswith("notes")


def test_check_csv_and_json_hold_the_same_findings(capsys: pytest.CaptureFixture[str]) -> None:
    """`check`'s CSV rows are its JSON findings, with the same five columns."""
    _, text, _ = run(["check", "--format", "csv"], capsys)
    _, document, _ = run(["check", "--format", "json"], capsys)
    rows = _csv(text)
    assert list(FINDING_COLUMNS) == list(rows[0])
    assert json.loads(document) == rows


# --------------------------------------------------------------------------------------------- explain


def test_explain_csv_has_a_row_per_agent(snapshot: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`explain --format csv` has one row per agent, eligible or ruled out, beside the contact's place."""
    status, out, _ = run(["explain", str(snapshot), "c-3", "--format", "csv"], capsys)
    rows = _csv(out)
    assert 0 == status
    assert list(AGENT_COLUMNS) == list(rows[0])
    assert [
        ("a-1", "False", "holding another offer (c-1)", "waiting", "1"),
        ("a-2", "False", "not on channel voice", "waiting", "1"),
    ] == [(r["agent_id"], r["eligible"], r["reason"], r["state"], r["position"]) for r in rows]
    assert {""} == {r["rank"] for r in rows}


@pytest.mark.parametrize("fmt", ["table", "text"])
def test_explain_table_and_text_are_the_same(fmt: str, snapshot: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`explain --format text` is another name for `table`, the plain-text report."""
    _, out, _ = run(["explain", str(snapshot), "c-3", "--format", fmt], capsys)
    _, document, _ = run(["explain", str(snapshot), "c-3", "--format", "json"], capsys)
    assert out.startswith(f"contact c-3 at t=3: {json.loads(document)['state']}")


# ----------------------------------------------------------------------------------------------- sweep


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_sweep_prints_each_format(fmt: str, scenario: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Sweep prints a line, a point or a row per grid point in each format; one replication's ci95 is empty."""
    args = ["sweep", str(scenario), "--grid", "agents[0].count=5,6", "--reps", "1", "--executor", "serial"]
    status, out, _ = run([*args, "--format", fmt], capsys)
    assert 0 == status
    if fmt == "json":
        points = json.loads(out)["points"]
        assert [None, None] == [p["kpis"]["all"]["service_level"]["ci95"] for p in points]
    elif fmt == "csv":
        rows = [r for r in _csv(out) if r["channel"] == "all"]
        assert [("5", ""), ("6", "")] == [(r["agents[0].count"], r["service_level_ci95"]) for r in rows]
    else:
        assert ["5", "6"] == [line.split()[0] for line in out.splitlines()[1:3]]
