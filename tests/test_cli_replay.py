"""``routekit replay``: a trace through the router with a fixed staff or a staffing table; bad input exits 2."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from command_line import run

from routekit.commands.replay import FittedPatience, fit_patience, replay_scenario
from routekit.datasets import ExponentialPatience, KaplanMeierPatience, load_anonymous_bank, read_trace, write_trace
from routekit.errors import ScenarioError

REAL = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "anonymous_bank_1999_08.csv"
needs_real = pytest.mark.skipif(not REAL.exists(), reason="the Anonymous Bank log is not in ../shared/data/")

TRACE = [
    "arrival,channel,priority,head_start,tier,skills,handle_time,patience,patience_censored",
    "0,voice,0,0,,PS,100,0,1",
    "10,voice,0,0,,PS,50,5,0",
    "20,voice,0,90,gold,NE,60,30,1",
    "40,voice,0,0,,PS,30,12,0",
]


def write(tmp_path: Path, name: str, lines: list[str]) -> str:
    """A file of the given lines; its path as a string."""
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_replay_prints_the_kpi_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every record is offered, and the table has the overall row and the tiers of the trace."""
    status, out, err = run(["replay", write(tmp_path, "calls.csv", TRACE), "--agents", "1"], capsys)
    rows = {tuple(line.split()[:2]): line.split()[2:] for line in out.splitlines()[1:-1]}
    assert (0, "") == (status, err)
    assert "4" == rows[("all", "all")][0]
    assert {("all", "all"), ("voice", "all"), ("all", "gold"), ("all", "standard")} <= set(rows)


def test_replay_prints_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """JSON output carries each KPI's mean over replications."""
    argv = ["replay", write(tmp_path, "calls.csv", TRACE), "--agents", "2", "--format", "json", "--reps", "2"]
    status, out, _ = run(argv, capsys)
    document = json.loads(out)
    overall = next(row for row in document["kpis"] if (row["channel"], row["tier"]) == ("all", "all"))
    assert 0 == status
    assert (4.0, 2) == (overall["offered"]["mean"], len(document["replications"]))


def test_replay_with_a_staffing_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Nobody is logged in until 100 s: the impatient hang up, the head start goes first, the first waits 160 s."""
    staffing = write(tmp_path, "staffing.csv", ["start,agents", "0,0", "100,1"])
    argv = ["replay", write(tmp_path, "calls.csv", TRACE), "--staffing", staffing, "--patience", "none"]
    status, out, _ = run([*argv, "--format", "json"], capsys)
    replication = json.loads(out)["replications"][0]
    assert 0 == status
    assert (4, 2, 120.0, 160.0) == tuple(replication[k] for k in ("offered", "abandoned", "asa", "max_wait"))


def test_the_service_level_threshold_is_an_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With one agent, a threshold of 0 s counts only the caller answered at once."""
    argv = ["replay", write(tmp_path, "calls.csv", TRACE), "--agents", "1", "--service-level", "0"]
    status, out, _ = run([*argv, "--patience", "none", "--format", "json"], capsys)
    assert (0, 0.25) == (status, json.loads(out)["replications"][0]["service_level"])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--agents", "0"], "routekit replay: --agents must be at least 1, got 0"),
        (["--agents", "1", "--reps", "0"], "routekit replay: --reps must be at least 1, got 0"),
        (["--agents", "1", "--service-level", "-1"], "routekit replay: --service-level must be"),
        (["--staffing", "missing.csv"], "routekit replay: agents[0].staffing: cannot read"),
    ],
)
def test_bad_options_exit_2_with_a_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    """A bad option is a one-line reason on stderr and exit status 2."""
    status, out, err = run(["replay", write(tmp_path, "calls.csv", TRACE), *argv], capsys)
    assert (2, "") == (status, out)
    assert err.startswith(message)


def test_a_bad_trace_exits_2_naming_the_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A malformed row is refused with its row and column."""
    trace = write(tmp_path, "calls.csv", [*TRACE, "50,voice,0,0,,PS,-3,,"])
    status, _, err = run(["replay", trace, "--agents", "1"], capsys)
    assert 2 == status
    assert "calls.csv row 6, column 'handle_time': expected a finite number of seconds >= 0, got '-3'" in err


def test_a_missing_trace_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A trace that does not exist is a reason, not a traceback."""
    status, _, err = run(["replay", str(tmp_path / "none.csv"), "--agents", "1"], capsys)
    assert (2, "routekit replay: none.csv: cannot read the trace: No such file or directory\n") == (status, err)


def test_a_trace_without_abandonments_needs_patience_none(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A patience model cannot be fitted when nobody hung up; the message says what to do."""
    trace = write(tmp_path, "calls.csv", ["arrival,channel,handle_time", "0,voice,10"])
    status, _, err = run(["replay", trace, "--agents", "1"], capsys)
    assert 2 == status
    assert err.rstrip().endswith("use --patience none")


def test_agents_and_staffing_exclude_each_other(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Giving both, or neither, is a usage error."""
    trace = write(tmp_path, "calls.csv", TRACE)
    assert 2 == run(["replay", trace, "--agents", "1", "--staffing", "s.csv"], capsys)[0]
    assert 2 == run(["replay", trace], capsys)[0]


def test_fit_patience_uses_the_censoring(tmp_path: Path) -> None:
    """The exponential fit is abandonments over total waiting: 2 over 47 s."""
    records = read_trace(write(tmp_path, "calls.csv", TRACE))
    fit = fit_patience(records, "exponential")
    assert fit is not None
    assert ExponentialPatience(rate=2 / 47, events=2, exposure=47.0) == fit.fit
    assert isinstance(getattr(fit_patience(records, "km"), "fit", None), KaplanMeierPatience)
    assert fit_patience(records, "none") is None


def test_the_scenario_pools_every_skill_at_its_highest_level(tmp_path: Path) -> None:
    """One agent group has every skill of the trace, and the channel's patience is the fit."""
    trace = write(tmp_path, "calls.csv", [*TRACE, "60,voice,0,0,,PS:3,30,,"])
    scenario = replay_scenario(trace, agents=3, patience="exponential")
    assert {"PS": 3, "NE": 1} == scenario.agents[0].skills
    assert isinstance(scenario.channels["voice"].patience, FittedPatience)
    with pytest.raises(ScenarioError, match="give either agents"):
        replay_scenario(trace)


def test_a_kaplan_meier_patience_has_the_curves_moments() -> None:
    """The sd of a Kaplan-Meier curve with a tail comes from its second moment."""
    fit = FittedPatience(KaplanMeierPatience(times=(10.0,), survival=(0.0,), tail_rate=1.0))
    assert (10.0, 0.0) == (fit.mean, fit.sd)


@needs_real
def test_one_real_day_of_the_bank_replays(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Saturday 7 August 1999 replays with its recorded staffing; every offered call is offered again."""
    log = load_anonymous_bank(REAL)
    day = dt.date(1999, 8, 7)
    write_trace(log.to_trace([day]), tmp_path / "day.csv")
    rows = [f"{k * 1800},{agents}" for k, agents in enumerate(log.staffing(day))]
    staffing = write(tmp_path, "staffing.csv", ["start,agents", *rows])
    argv = ["replay", str(tmp_path / "day.csv"), "--staffing", staffing, "--format", "json"]
    status, out, _ = run(argv, capsys)
    figures = next(f for f in log.daily() if f.day == day)
    assert (0, figures.offered) == (status, json.loads(out)["replications"][0]["offered"])
