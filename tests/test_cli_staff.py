"""``routekit staff``: one interval or a CSV forecast, as a table or JSON; bad input exits 2 with a reason."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from command_line import run

from routekit.analytics import Targets, staff

ISSUE = ["staff", "--rate", "570", "--aht", "60", "--patience", "120", "--target", "0.8@20"]


def write(tmp_path: Path, text: str) -> Path:
    """A forecast file with the given content."""
    path = tmp_path / "day.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_one_interval_prints_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's example staffs 11 agents with Erlang A and schedules 16 at 30% shrinkage."""
    status, out, err = run([*ISSUE, "--shrinkage", "0.3"], capsys)
    assert (0, "") == (status, err)
    lines = dict(line.split(None, 1) if " " in line else (line, "") for line in out.splitlines())
    assert "Erlang A" == lines["model"].strip()
    assert "11" == lines["agents"].strip()
    assert "16 (shrinkage 30%)" == lines["scheduled"].strip()


def test_one_interval_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    """JSON output carries the inputs, the agents and the library's figures."""
    status, out, _ = run([*ISSUE, "--format", "json", "--shrinkage", "30%"], capsys)
    document = json.loads(out)
    expected = staff(570, 60, Targets(service_level=0.8, threshold=20), patience=120, shrinkage=0.3)
    assert 0 == status
    assert (11, 16, ["service_level"]) == (document["agents"], document["scheduled"], document["binding"])
    assert expected.figures.service_level == pytest.approx(document["figures"]["service_level"], rel=1e-15)
    assert "erlang-a" == document["figures"]["model"]
    assert {"rate": 570.0, "aht": 60.0, "patience": 120.0} == {k: document[k] for k in ("rate", "aht", "patience")}


def test_without_patience_the_command_uses_erlang_c(capsys: pytest.CaptureFixture[str]) -> None:
    """Leaving out --patience staffs with Erlang C, which needs 12 agents for the issue's queue."""
    status, out, _ = run(["staff", "--rate", "570", "--aht", "60", "--target", "80%@20", "--format", "json"], capsys)
    document = json.loads(out)
    assert (0, 12, "erlang-c") == (status, document["agents"], document["figures"]["model"])


def test_every_target_flag_reaches_the_targets(capsys: pytest.CaptureFixture[str]) -> None:
    """--max-asa, --max-abandon and --max-occupancy combine with --target."""
    argv = [*ISSUE, "--max-asa", "5", "--max-abandon", "4%", "--max-occupancy", "0.8", "--format", "json"]
    status, out, _ = run(argv, capsys)
    document = json.loads(out)
    targets = Targets(service_level=0.8, threshold=20, max_asa=5, max_abandon=0.04, max_occupancy=0.8)
    assert 0 == status
    assert {
        "service_level": 0.8,
        "threshold": 20.0,
        "max_asa": 5.0,
        "max_abandon": 0.04,
        "max_occupancy": 0.8,
    } == (document["targets"])
    assert staff(570, 60, targets, patience=120).agents == document["agents"]


def test_chat_concurrency_and_per_concurrency_handle_times(capsys: pytest.CaptureFixture[str]) -> None:
    """--concurrency with a list of handle times uses the chat model."""
    argv = ["staff", "--rate", "600", "--aht", "300,360,450", "--concurrency", "3", "--patience", "240"]
    status, out, _ = run([*argv, "--target", "0.8@60", "--format", "json"], capsys)
    document = json.loads(out)
    targets = Targets(service_level=0.8, threshold=60)
    expected = staff(600, [300, 360, 450], targets, patience=240, concurrency=3)
    assert (0, expected.agents, 3) == (status, document["agents"], document["figures"]["concurrency"])


def test_a_forecast_prints_one_row_per_interval(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A CSV forecast gives a table with a row per interval and a total."""
    path = write(tmp_path, "start,rate,aht,patience\n08:00,420,240,120\n08:30,510,235,\n09:00,0,240,120\n")
    status, out, err = run(["staff", "--forecast", str(path), "--target", "0.8@20"], capsys)
    rows = out.splitlines()
    assert (0, "") == (status, err)
    assert ["08:00", "08:30", "09:00", "total"] == [row.split()[0] for row in rows[2:]]


def test_a_forecast_as_json_matches_the_library(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each interval's agents equal staff() on its row; an empty patience falls back to --patience."""
    path = write(tmp_path, "start,rate,aht,patience\n08:00,420,240,120\n08:30,510,235,\n")
    argv = ["staff", "--forecast", str(path), "--target", "0.8@20", "--patience", "90", "--format", "json"]
    status, out, _ = run(argv, capsys)
    intervals = json.loads(out)["intervals"]
    targets = Targets(service_level=0.8, threshold=20)
    expected = [staff(420, 240, targets, patience=120).agents, staff(510, 235, targets, patience=90).agents]
    assert 0 == status
    assert expected == [row["agents"] for row in intervals]
    assert [120.0, 90.0] == [row["patience"] for row in intervals]


def test_a_forecast_without_aht_takes_it_from_the_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A forecast with only start and rate uses --aht, and Erlang C without a patience."""
    path = write(tmp_path, "start,rate\n08:00,420\n")
    argv = ["staff", "--forecast", str(path), "--aht", "240", "--target", "0.8@20", "--format", "json"]
    status, out, _ = run(argv, capsys)
    row = json.loads(out)["intervals"][0]
    assert (0, 240.0, "erlang-c") == (status, row["aht"], row["figures"]["model"])


BAD_FORECASTS = [
    pytest.param("start,aht\n08:00,240\n", r"missing column 'rate'", id="no-rate"),
    pytest.param("start,rate\n08:00,240\n", r"missing column 'aht'", id="no-aht"),
    pytest.param("start,rate,aht,patiense\n08:00,1,240,9\n", r"unknown column\(s\) \['patiense'\]", id="typo"),
    pytest.param("start,rate,aht\n08:00,lots,240\n", r"line 2, column 'rate': 'lots' is not a number", id="text"),
    pytest.param("start,rate,aht\n08:00,1,240\n08:30,-4,240\n", r"interval '08:30': rate must be", id="negative"),
    pytest.param("start,rate,aht\n08:00,nan,240\n", r"'nan' is not a finite number", id="nan"),
    pytest.param("start,rate,aht\n,10,240\n", r"line 2: empty 'start'", id="no-start"),
    pytest.param("start,rate,aht\n", r"no intervals after the header", id="empty"),
    pytest.param("", r"missing column 'start'", id="blank-file"),
]


@pytest.mark.parametrize(("text", "message"), BAD_FORECASTS)
def test_a_bad_forecast_exits_2_with_a_message(
    text: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A malformed forecast gives exit status 2 and a one-line reason naming the problem, no traceback."""
    path = write(tmp_path, text)
    status, out, err = run(["staff", "--forecast", str(path), "--target", "0.8@20"], capsys)
    assert (2, "") == (status, out)
    assert err.startswith("routekit staff: error: ")
    assert "Traceback" not in err
    assert re.search(message, err), err


def test_a_missing_forecast_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A forecast path that does not exist is reported, not raised."""
    status, _, err = run(["staff", "--forecast", str(tmp_path / "nope.csv"), "--target", "0.8@20"], capsys)
    assert 2 == status
    assert "cannot read forecast" in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        pytest.param(["--rate", "570", "--target", "0.8@20"], "--aht is required with --rate", id="no-aht"),
        pytest.param(["--rate", "-570", "--aht", "60", "--target", "0.8@20"], "rate must be", id="negative-rate"),
        pytest.param(["--rate", "570", "--aht", "60", "--target", "80@20"], "must be a share in (0, 1)", id="80@20"),
        pytest.param(["--rate", "570", "--aht", "60", "--target", "0.8"], "is not LEVEL@SECONDS", id="no-at"),
        pytest.param(["--rate", "570", "--aht", "60", "--target", "0.8@-1"], "threshold in", id="neg-threshold"),
        pytest.param(["--rate", "570", "--aht", "60"], "no staffing target given", id="no-target"),
        pytest.param(["--rate", "570", "--aht", "60", "--max-occupancy", "0"], "max_occupancy=0.0", id="occupancy-0"),
        pytest.param(["--rate", "570", "--aht", "60", "--max-abandon", "150%"], "between 0 and 1", id="abandon>1"),
        pytest.param(["--rate", "570", "--aht", "sixty", "--target", "0.8@20"], "not a number of seconds", id="aht"),
        pytest.param(
            ["--rate", "570", "--aht", "60", "--patience", "120", "--target", "0.8@20", "--agents-max", "8"],
            "targets not met with agents_max=8",
            id="agents-max",
        ),
        pytest.param(
            ["--rate", "570", "--aht", "60", "--target", "0.8@20", "--shrinkage", "1"],
            "shrinkage must be a share in [0, 1)",
            id="shrinkage-1",
        ),
        pytest.param(["--aht", "60", "--target", "0.8@20"], "one of the arguments --rate --forecast", id="no-source"),
        pytest.param(
            ["--rate", "1", "--forecast", "x.csv", "--aht", "60", "--target", "0.8@20"],
            "not allowed with",
            id="both",
        ),
        pytest.param(
            ["--rate", "570", "--aht", "60", "--target", "0.8@20", "--format", "xml"],
            "invalid choice",
            id="xml",
        ),
    ],
)
def test_bad_arguments_exit_2_with_a_message(
    extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each bad argument exits with status 2 and says what is wrong, without a traceback."""
    status, out, err = run(["staff", *extra], capsys)
    assert (2, "") == (status, out)
    assert message in err
    assert "Traceback" not in err


def test_the_installed_command_runs_end_to_end() -> None:
    """``python -m routekit staff`` prints the table and exits 0."""
    result = subprocess.run(
        [sys.executable, "-m", "routekit", *ISSUE], capture_output=True, text=True, timeout=120, check=False
    )
    assert (0, "") == (result.returncode, result.stderr)
    assert "agents         11" in result.stdout
