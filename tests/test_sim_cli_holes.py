"""Issue 18's simulator and CLI holes: each test here failed before the change that closed its hole."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from command_line import run

from routekit.errors import ScenarioError
from routekit.sim.check import check_scenario
from routekit.sim.engine import run_day
from routekit.sim.scenario import MAX_ARRIVALS, load_scenario, scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]


def _late_replies(park_ttl: float, retention: float) -> dict[str, object]:
    """Three-turn conversations whose customers always reply 5,000 s after the agent answers."""
    return {
        "run": {"horizon": 7200, "drain": 20000},
        "channel": [
            {
                "name": "messaging",
                "service_level": 300,
                "handle_time": {"dist": "exponential", "mean": 60},
                "turns": {"dist": "deterministic", "value": 3},
                "reply_delay": {"dist": "deterministic", "value": 5000},
            }
        ],
        "arrivals": [{"channel": "messaging", "rate": 30}],
        "agents": [{"count": 3, "capacity": {"messaging": 2}}],
        "policy": {
            "kind": "mobile-support",
            "sticky": {"hold": 60, "window": 300, "park_ttl": park_ttl},
            "router": {"retention": retention},
        },
    }


def test_reply_after_retention_starts_a_new_conversation_instead_of_aborting() -> None:
    """A reply to a conversation the router has forgotten opens `<conversation>-r<n>`, each counted in offered."""
    day = run_day(scenario_from_dict(_late_replies(park_ttl=600, retention=1000)), 0)
    conversations = day.customers
    assert 3 * conversations == day.report.overall.offered
    assert day.report.overall.offered == day.report.overall.handled


def test_reply_after_park_ttl_within_retention_is_not_dropped() -> None:
    """A reply to a closed conversation the router still remembers is a new conversation, not a lost message."""
    day = run_day(scenario_from_dict(_late_replies(park_ttl=600, retention=100000)), 0)
    assert 3 * day.customers == day.report.overall.offered


def test_check_warns_when_replies_come_after_park_ttl() -> None:
    """`check` names the reply delay of a channel whose replies mostly come after the conversation closed."""
    findings = check_scenario(scenario_from_dict(_late_replies(park_ttl=600, retention=1000)))
    late = [f for f in findings if f.code == "late-reply"]
    assert [("warning", "channel[0].reply_delay")] == [(f.severity, f.where) for f in late]


def test_check_is_silent_when_replies_come_before_park_ttl() -> None:
    """A park TTL longer than every reply delay gives no late-reply warning."""
    findings = check_scenario(scenario_from_dict(_late_replies(park_ttl=86400, retention=1000)))
    assert [] == [f for f in findings if f.code == "late-reply"]


def test_non_utf8_scenario_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A scenario file in Latin-1 is refused with one line naming the file, status 2, no traceback."""
    path = tmp_path / "day.toml"
    path.write_bytes("[run]\nhorizon = 60 # café\n".encode("latin-1"))
    status, out, err = run(["simulate", str(path)], capsys)
    assert (2, "") == (status, out)
    assert 1 == len(err.splitlines())
    assert f"{path}: not a UTF-8 text file" in err


def test_non_utf8_trace_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`replay` of a trace in Latin-1 is refused with one line naming the file, status 2."""
    path = tmp_path / "calls.csv"
    path.write_bytes("arrival,channel,skills\n0,voice,café\n".encode("latin-1"))
    status, _, err = run(["replay", str(path), "--agents", "2"], capsys)
    assert 2 == status
    assert 1 == len(err.splitlines())
    assert f"{path}: not a UTF-8 text file" in err


def test_scenario_with_too_many_arrivals_is_refused_naming_the_key() -> None:
    """`rate = 1e12` is refused before the run, naming the stream's rate, rather than running for ever."""
    data = {
        "run": {"horizon": 3600},
        "channel": [{"name": "voice", "handle_time": {"dist": "exponential", "mean": 60}}],
        "arrivals": [{"channel": "voice", "rate": 10}, {"channel": "voice", "rate": 1e12}],
        "agents": [{"count": 3, "capacity": {"voice": 1}}],
    }
    with pytest.raises(ScenarioError, match=r"^arrivals\[1\]\.rate: about 1e\+12 arrivals"):
        scenario_from_dict(data)
    data["run"] = {"horizon": 3600, "customers": MAX_ARRIVALS}
    assert MAX_ARRIVALS == scenario_from_dict(data).run.customers


UNROUTABLE = """\
[run]
horizon = 3600
[[channel]]
name = "voice"
service_level = 20
handle_time = { dist = "exponential", mean = 60 }
[[arrivals]]
channel = "voice"
rate = 60
[[arrivals]]
channel = "voice"
rate = 20
skills = { spanish = 3 }
[[agents]]
count = 3
capacity = { voice = 1 }
"""


def test_simulate_reports_demand_nobody_can_serve(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Contacts no agent can serve are a warning naming their stream, and denied (unroutable) in the table."""
    path = tmp_path / "day.toml"
    path.write_text(UNROUTABLE)
    day = run_day(load_scenario(path), 0)
    denied = day.unroutable["arrivals[1] voice spanish>=3"]
    assert denied == day.report.overall.denied
    status, out, err = run(["simulate", str(path), "--format", "csv"], capsys)
    overall = next(csv.DictReader(io.StringIO(out)))
    warned = re.search(r"arrivals\[1\] voice spanish>=3: no agent on the roster can serve .*; (\d+) per", err)
    assert 0 == status
    assert warned is not None
    assert float(warned.group(1)) == float(overall["denied_mean"]) > 0


def test_closed_pipe_ends_quietly() -> None:
    """`routekit check` writing into a pipe nobody reads ends without a traceback, as `head` expects."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "routekit", "check"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            check=False,
        )
    finally:
        os.close(write_end)
    assert (141, b"") == (done.returncode, done.stderr)
