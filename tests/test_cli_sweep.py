"""``routekit sweep``: grid parsing, table, CSV and JSON output, plots, and clear errors with exit status 2."""

from __future__ import annotations

import argparse
import importlib
import json
from pathlib import Path
from typing import Any

import pytest
from command_line import run

from routekit.commands import sweep as command
from routekit.commands.sweep import parse_executor, parse_grid
from routekit.sim.sweep import SweepTask, TaskResult, run_task

sweep_module = importlib.import_module("routekit.sim.sweep")

TINY = """\
[run]
customers = 200

[[channel]]
name = "voice"
service_level = 20
handle_time = { dist = "exponential", mean = 60 }
patience = { dist = "exponential", mean = 120 }

[[arrivals]]
channel = "voice"
rate = 570

[[agents]]
count = 10
capacity = { voice = 1 }
"""


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    """A tiny M/M/n+M scenario file."""
    path = tmp_path / "tiny.toml"
    path.write_text(TINY, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("policy.sticky.window=120,300,600", ("policy.sticky.window", [120, 300, 600])),
        ("agents[0].count=30..33", ("agents[0].count", [30, 31, 32, 33])),
        ("agents[0].count=30..40..5", ("agents[0].count", [30, 35, 40])),
        ("agents[0].count=5..3", ("agents[0].count", [5, 4, 3])),
        ("agents[0].count=1,4..5,9", ("agents[0].count", [1, 4, 5, 9])),
        ("run.interval=900.5, 1800", ("run.interval", [900.5, 1800])),
        ("policy.kind=skills,mobile-support", ("policy.kind", ["skills", "mobile-support"])),
        ("policy.router.selection=longest-idle", ("policy.router.selection", ["longest-idle"])),
    ],
)
def test_grid_specs_parse(spec: str, expected: tuple[str, list[Any]]) -> None:
    """Values parse as int, float or string, and a..b[..step] is an inclusive integer range."""
    assert expected == parse_grid(spec)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("agents[0].count", "expected KEY=VALUES"),
        ("=1,2", "expected KEY=VALUES"),
        ("agents[0].count=1,,2", "an empty value"),
        ("agents[0].count=1.5..3", "not a range of integers"),
        ("agents[0].count=1..9..0", "never goes from 1 to 9"),
        ("agents[0].count=9..1..2", "never goes from 9 to 1"),
        ("agents[0].count=1..2..3..4", "is not a range"),
    ],
)
def test_bad_grid_specs_name_the_spec(spec: str, message: str) -> None:
    """A malformed --grid is refused with a message that quotes it."""
    with pytest.raises(argparse.ArgumentTypeError, match=message) as caught:
        parse_grid(spec)
    assert repr(spec) in str(caught.value)


def test_executor_specs() -> None:
    """local, serial and dask://HOST:PORT are accepted; anything else is refused."""
    assert ["local", "serial", "dask://10.0.0.5:8786"] == [
        parse_executor(s) for s in ("local", "serial", "dask://10.0.0.5:8786")
    ]
    with pytest.raises(argparse.ArgumentTypeError, match="expected local, serial or dask://HOST:PORT"):
        parse_executor("threads")


def test_table_has_one_line_per_grid_point(scenario: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The default output is a table: a header, one line per grid point and a footnote."""
    argv = ["sweep", str(scenario), "--grid", "agents[0].count=9..10", "--reps", "2", "--executor", "serial"]
    status, out, err = run(argv, capsys)
    lines = out.splitlines()
    assert (0, "") == (status, err)
    assert ["agents[0].count", "runs", "SL", "%"] == lines[0].split()[:4]
    assert [["9", "2"], ["10", "2"]] == [line.split()[:2] for line in lines[1:3]]
    assert lines[3].startswith("2 grid points x 2 replications, seed 0")


def test_csv_goes_to_out_on_a_process_pool(scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--out results.csv writes CSV (from the suffix) on a two-worker pool, one row per grid point."""
    out_file = tmp_path / "results.csv"
    argv = ["sweep", str(scenario), "--grid", "agents[0].count=9,11", "--grid", "policy.sticky.window=60,600"]
    argv += ["--reps", "2", "--seed", "3", "--workers", "2", "--out", str(out_file)]
    status, out, err = run(argv, capsys)
    lines = out_file.read_text(encoding="utf-8").splitlines()
    assert (0, "", f"routekit sweep: wrote {out_file}\n") == (status, out, err)
    assert ["agents[0].count", "policy.sticky.window", "channel", "runs"] == lines[0].split(",")[:4]
    assert [["9", "60"], ["9", "600"], ["11", "60"], ["11", "600"]] == [line.split(",")[:2] for line in lines[1:]]


def test_json_matches_the_serial_run(scenario: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """JSON on stdout is the same on the local pool as serially."""
    argv = ["sweep", str(scenario), "--grid", "agents[0].count=9,11", "--reps", "2", "--format", "json"]
    status, pooled, _ = run(argv, capsys)
    status_serial, serial, _ = run([*argv, "--executor", "serial"], capsys)
    document = json.loads(pooled)
    assert (0, 0) == (status, status_serial)
    assert serial == pooled
    assert [{"agents[0].count": 9}, {"agents[0].count": 11}] == [p["overrides"] for p in document["points"]]


def test_plot_writes_a_png(scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--plot FILE.png writes a PNG of the KPIs against the swept parameter."""
    pytest.importorskip("matplotlib")
    png = tmp_path / "sweep.png"
    argv = ["sweep", str(scenario), "--grid", "agents[0].count=9..11", "--reps", "2", "--executor", "serial"]
    status, _, err = run([*argv, "--format", "csv", "--plot", str(png)], capsys)
    assert (0, f"routekit sweep: wrote {png}\n") == (status, err)
    assert b"\x89PNG\r\n\x1a\n" == png.read_bytes()[:8]


def test_unreachable_dask_scheduler_exits_2(
    scenario: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scheduler nobody listens on is a one-line error and exit status 2, with no traceback."""
    pytest.importorskip("dask.distributed")
    monkeypatch.setattr(command, "CONNECT_TIMEOUT", "1s")
    argv = ["sweep", str(scenario), "--grid", "agents[0].count=9", "--executor", "dask://127.0.0.1:9"]
    status, out, err = run(argv, capsys)
    assert (2, "") == (status, out)
    assert err.startswith("routekit sweep: error: cannot reach the Dask scheduler at tcp://127.0.0.1:9: ")
    assert "Traceback" not in err
    assert 1 == len(err.splitlines())


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--grid", "agents[4].count=9"], "grid point 0 (agents[4].count=9): agents[4].count: there is no agents[4]"),
        (["--grid", "policy.stickyy.window=60"], "policy.stickyy: unknown key"),
        (["--grid", "agents[0].count=-1"], "agents[0].count: must be >= 0, got -1"),
        (["--grid", "agents[0].count=9", "--grid", "agents[0].count=10"], "the key path is given twice"),
        (["--grid", "agents[0].count=9", "--reps", "0"], "--reps must be at least 1"),
        (["--grid", "agents[0].count=9", "--customers", "0"], "--customers must be at least 1"),
        (["--grid", "agents[0].count=9", "--workers", "2", "--executor", "serial"], "--workers must be"),
    ],
)
def test_bad_input_exits_2_and_names_it(
    scenario: Path, extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad key path, value, duplicate key or count is one line on stderr and exit status 2."""
    status, out, err = run(["sweep", str(scenario), *extra], capsys)
    assert (2, "") == (status, out)
    assert err.startswith("routekit sweep: error: ")
    assert message in err


def test_bad_grid_spec_is_a_usage_error(scenario: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A --grid without '=' is argparse's usage error, exit status 2, naming the spec."""
    status, _, err = run(["sweep", str(scenario), "--grid", "agents[0].count"], capsys)
    assert 2 == status
    assert "argument --grid: 'agents[0].count': expected KEY=VALUES" in err


def test_failed_tasks_are_reported_and_exit_1(
    scenario: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A task that raises is named on stderr with its grid point and seed; the table still prints."""

    def flaky(task: SweepTask) -> TaskResult:
        if task.point == 0 and task.replication == 1:
            raise RuntimeError("boom")
        return run_task(task)

    monkeypatch.setattr(sweep_module, "run_task", flaky)
    argv = ["sweep", str(scenario), "--grid", "agents[0].count=9,10", "--reps", "2", "--seed", "5"]
    status, out, err = run([*argv, "--executor", "serial"], capsys)
    assert 1 == status
    assert [["9", "1"], ["10", "2"]] == [line.split()[:2] for line in out.splitlines()[1:3]]
    assert [
        "routekit sweep: failed: grid point 0 (agents[0].count=9), replication 1, seed 5: RuntimeError: boom",
        "routekit sweep: 1 of 4 tasks failed",
    ] == err.splitlines()


def test_sweep_is_a_registered_command(capsys: pytest.CaptureFixture[str]) -> None:
    """routekit --help lists sweep."""
    status, out, _ = run(["--help"], capsys)
    assert 0 == status
    assert "sweep" in out
