"""`routekit simulate`: the built-in day's table, JSON and CSV output, and refusals on stderr with status 2."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from routekit.cli import main
from routekit.sim.replications import KPI_NAMES

ROOT = Path(__file__).resolve().parents[1]
CHANNELS = ("voice", "video", "chat", "messaging")
TIERS = ("standard", "silver", "gold", "platinum")

GOOD = """\
[run]
horizon = 3600
[[channel]]
name = "voice"
service_level = 20
handle_time = { dist = "exponential", mean = 60 }
[[arrivals]]
channel = "voice"
rate = 120
[[agents]]
count = 3
capacity = { voice = 1 }
"""


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["simulate", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_simulate_without_a_scenario_prints_the_builtin_day(capsys: pytest.CaptureFixture[str]) -> None:
    """With no scenario, the built-in day's table has a row for every channel and every tier."""
    status, out, err = _run(capsys)
    assert (0, "") == (status, err)
    lines = out.splitlines()
    assert ["channel", "tier", "offered", "handled", "denied", "abandon"] == lines[0].split()[:6]
    rows = {tuple(line.split()[:2]) for line in lines[1:-1]}
    assert {(channel, "all") for channel in ("all", *CHANNELS)} <= rows
    assert {("all", tier) for tier in TIERS} <= rows
    assert lines[-1].startswith("1 replication, seed 0")


def test_simulate_json_has_kpi_rows_and_replications(capsys: pytest.CaptureFixture[str]) -> None:
    """`--format json` has a row per channel and tier with every KPI as mean and ci95, and each replication."""
    status, out, _ = _run(capsys, "--customers", "300", "--reps", "2", "--format", "json")
    assert 0 == status
    data = json.loads(out)
    assert {"kpis", "replications"} <= set(data)
    assert ("all", "all") == (data["kpis"][0]["channel"], data["kpis"][0]["tier"])
    for row in data["kpis"]:
        assert {"channel", "tier", *KPI_NAMES} == set(row)
        for name in KPI_NAMES:
            assert {"mean", "ci95"} == set(row[name])
    assert {"voice", "chat", "messaging"} <= {row["channel"] for row in data["kpis"]}
    assert 2 == len(data["replications"])
    for replication in data["replications"]:
        assert set(KPI_NAMES) <= set(replication)
        assert all(value is None or isinstance(value, int | float) for value in replication.values())
    overall = data["kpis"][0]["offered"]
    means = [replication["offered"] for replication in data["replications"]]
    assert sum(means) / 2 == pytest.approx(overall["mean"])


def test_simulate_csv_parses_with_dictreader(capsys: pytest.CaptureFixture[str]) -> None:
    """`--format csv` is one row per channel and tier, each KPI as <kpi>_mean and <kpi>_ci95 columns."""
    status, out, _ = _run(capsys, "--customers", "300", "--format", "csv")
    assert 0 == status
    reader = csv.DictReader(io.StringIO(out))
    rows = list(reader)
    expected = ["channel", "tier", *(f"{name}_{part}" for name in KPI_NAMES for part in ("mean", "ci95"))]
    assert expected == reader.fieldnames
    assert ("all", "all") == (rows[0]["channel"], rows[0]["tier"])
    assert 0 < float(rows[0]["offered_mean"])
    assert "" == rows[0]["offered_ci95"]  # one replication: no interval, an empty cell


def test_simulate_reads_a_scenario_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A scenario file given on the command line is the one simulated."""
    (tmp_path / "day.toml").write_text(GOOD)
    status, out, _ = _run(capsys, str(tmp_path / "day.toml"), "--format", "json")
    assert 0 == status
    assert {"all", "voice"} == {row["channel"] for row in json.loads(out)["kpis"]}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace("count = 3", "count = 3\ncolour = 'red'"), "agents[0].colour: unknown key"),
        (GOOD.replace("count = 3", "count = '3'"), "agents[0].count: expected an integer, got '3'"),
        (GOOD.replace('handle_time = { dist = "exponential", mean = 60 }\n', ""), "channel[0].handle_time: missing"),
        (GOOD.replace("rate = 120", "rate = -120"), "arrivals[0].rate: must be >= 0, got -120"),
        (GOOD + "[policy]\nkind = 'fastest'\n", "policy.kind: unknown policy 'fastest'"),
    ],
)
def test_a_bad_scenario_is_one_line_on_stderr_and_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    """A mistake in the scenario prints `routekit simulate: <key path>: ...` and exits with status 2."""
    (tmp_path / "bad.toml").write_text(text)
    status, out, err = _run(capsys, str(tmp_path / "bad.toml"))
    assert (2, "") == (status, out)
    assert err.startswith(f"routekit simulate: {message}")
    assert 1 == len(err.splitlines())


def test_a_missing_or_broken_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file that is not there, or not TOML, is refused with its name and status 2."""
    missing = tmp_path / "nowhere.toml"
    status, _, err = _run(capsys, str(missing))
    assert 2 == status
    assert err.startswith(f"routekit simulate: {missing}: cannot read the scenario")
    broken = tmp_path / "broken.toml"
    broken.write_text("[run\n")
    status, _, err = _run(capsys, str(broken))
    assert 2 == status
    assert err.startswith(f"routekit simulate: {broken}: not valid TOML")


def test_a_bad_scenario_prints_no_traceback(tmp_path: Path) -> None:
    """Run as a program, a bad scenario exits with status 2 and a one-line message, no traceback."""
    (tmp_path / "bad.toml").write_text(GOOD.replace("count = 3", "count = true"))
    result = subprocess.run(
        [sys.executable, "-m", "routekit", "simulate", str(tmp_path / "bad.toml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert (2, "") == (result.returncode, result.stdout)
    assert "routekit simulate: agents[0].count: expected an integer, got True\n" == result.stderr


@pytest.mark.parametrize("reps", ["0", "-3"])
def test_reps_below_one_are_refused(capsys: pytest.CaptureFixture[str], reps: str) -> None:
    """`--reps 0` is refused on stderr with status 2, before anything is simulated."""
    status, out, err = _run(capsys, "--reps", reps)
    assert (2, "") == (status, out)
    assert f"routekit simulate: --reps must be at least 1, got {reps}\n" == err


def test_customers_below_one_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """`--customers 0` is refused on stderr with status 2, like `--reps 0`."""
    status, _, err = _run(capsys, "--customers", "0")
    assert 2 == status
    assert err.startswith("routekit simulate: --customers")
