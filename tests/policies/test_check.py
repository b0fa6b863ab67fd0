"""Static checks of a policy against a roster (issue 11): one test per finding, then ``routekit check``.

Each finding is built from a small roster and policy where it is the only one: the whole list of findings is
compared, so a test fails as much on an extra finding as on a missing one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from command_line import run

import routekit as rk
from routekit.policies import Skills, Sticky, TierGate
from routekit.policies.checks import Finding, check
from routekit.sim.check import check_scenario
from routekit.sim.scenario import builtin_scenario, load_scenario

TIERS = rk.Tiers(["standard", "silver", "gold", "platinum"])
THREE_MISTAKES = Path(__file__).resolve().parents[1] / "scenarios" / "three_mistakes.toml"


def agent(agent_id: str, *, skills: dict[str, int] | None = None, **capacity: int) -> rk.Agent:
    """An agent with channel capacities as keywords: ``agent("a", voice=1)``."""
    return rk.Agent(id=agent_id, skills=skills or {}, capacity=capacity)


def kind(name: str, channel: str, *, tier: str = "standard", **fields: Any) -> rk.Contact:
    """A representative contact; its id names the kind of arrival."""
    return rk.Contact(id=name, customer=rk.Customer(id="check", tier=tier), channel=channel, **fields)


BILLING = kind("billing", "voice", skills={"billing": 3})


def codes(findings: list[Finding]) -> list[tuple[str, str, str]]:
    """Each finding's severity, code and where."""
    return [(f.severity, f.code, f.where) for f in findings]


# ------------------------------------------------------------------------------------------- one per finding


def test_a_clean_plan_has_no_finding() -> None:
    """A one-stage plan that a staffed roster matches finds nothing."""
    assert [] == check(Skills(), [agent("a", voice=1, skills={"billing": 3})], [BILLING], patience={"voice": 1})


def test_unroutable() -> None:
    """A plan no agent on the roster matches at any stage is an error naming the kind."""
    findings = check(Skills(), [agent("a", voice=1, skills={"billing": 2}), agent("b", chat=3)], [BILLING])
    assert [("error", "unroutable", "billing")] == codes(findings)
    assert "no agent on the roster matches any stage of the plan for voice" == findings[0].message


def test_unmatched_stage() -> None:
    """A stage no agent matches, before one that some agent does, is a warning naming the stage."""
    findings = check(Skills(relax=[(30, 1)]), [agent("a", voice=1, skills={"billing": 2})], [BILLING])
    assert [("warning", "unmatched-stage", "billing: stage 0 (skills:billing>=3)")] == codes(findings)
    assert "no agent matches this stage; contacts wait here 30 s for nothing" == findings[0].message


def test_unmatched_team_stage() -> None:
    """A tier's team stage for a team nobody is in is an unmatched stage naming the tier's team rule."""
    policy = TierGate(tiers=TIERS, teams={"platinum": ("vip", 60)}, then=Skills())
    findings = check(policy, [agent("a", video=1)], [kind("video/platinum", "video", tier="platinum")])
    assert [("warning", "unmatched-stage", "video/platinum: stage 0 (tier:vip-team)")] == codes(findings)


def test_no_widening() -> None:
    """A relaxation that reaches no agent beyond the stage before is a warning naming that stage."""
    findings = check(Skills(relax=[(30, 1)]), [agent("a", voice=1, skills={"billing": 4})], [BILLING])
    assert [("warning", "no-widening", "billing: stage 1 (skills:billing>=2)")] == codes(findings)


ROSTER = [agent("a", voice=1, skills={"billing": 3}), agent("b", voice=1)]


def test_late_relaxation_after_patience() -> None:
    """A stage that starts after the channel's mean patience is a warning naming the stage."""
    findings = check(Skills(relax=[(300, "any")]), ROSTER, [BILLING], patience={"voice": 120})
    assert [("warning", "late-relaxation", "billing: stage 1 (skills:any)")] == codes(findings)
    assert "this stage starts 300 s after arrival, after the mean patience of 120 s" == findings[0].message


def test_late_relaxation_after_many_service_level_thresholds() -> None:
    """A stage that starts over 8x the channel's service-level threshold is a warning naming the stage."""
    findings = check(Skills(relax=[(300, "any")]), ROSTER, [BILLING], service_levels={"voice": 20})
    assert [("warning", "late-relaxation", "billing: stage 1 (skills:any)")] == codes(findings)
    expected = "this stage starts 300 s after arrival, over 8x the service-level threshold of 20 s"
    assert expected == findings[0].message


def test_relaxation_within_patience_and_threshold_is_not_late() -> None:
    """The same stage is not late against a longer patience and a threshold it is within 8x of."""
    assert [] == check(
        Skills(relax=[(300, "any")]), ROSTER, [BILLING], patience={"voice": 300}, service_levels={"voice": 40}
    )


def test_fallback_unserved() -> None:
    """A gate whose fallback channel no agent serves is an error naming the kind, the tier and the gate."""
    policy = TierGate(tiers=TIERS, gates={"video": "gold"}, fallback={"video": "chat"}, then=Skills())
    kinds = [kind("video/silver", "video", tier="silver"), kind("video/gold", "video", tier="gold")]
    findings = check(policy, [agent("a", video=1)], kinds)
    assert [("error", "fallback-unserved", "video/silver: tier silver (tier:video>=gold)")] == codes(findings)
    assert "the gate offers chat instead, but no agent serves chat" == findings[0].message


def test_fallback_served_is_no_finding() -> None:
    """The same gate with a chat agent on the roster finds nothing."""
    policy = TierGate(tiers=TIERS, gates={"video": "gold"}, fallback={"video": "chat"}, then=Skills())
    assert [] == check(
        policy, [agent("a", video=1), agent("b", chat=3)], [kind("video/silver", "video", tier="silver")]
    )


def test_sticky_window() -> None:
    """A sticky window over 2x the typical reply delay is a warning naming the reply turn's sticky stage."""
    policy = Sticky(hold=120, window=3600, then=Skills())
    findings = check(
        policy, [agent("a", messaging=4)], [kind("messaging", "messaging")], reply_delay={"messaging": 600}
    )
    assert [("warning", "sticky-window", "messaging: stage 0 (sticky:last-agent)")] == codes(findings)
    assert "shorten the sticky window towards 1200 s" == findings[0].suggestion


def test_sticky_window_within_the_reply_delay_is_no_finding() -> None:
    """A window of 2x the typical reply delay is not reported."""
    policy = Sticky(hold=120, window=1200, then=Skills())
    assert [] == check(
        policy, [agent("a", messaging=4)], [kind("messaging", "messaging")], reply_delay={"messaging": 600}
    )


STARVE_POLICY = TierGate(tiers=TIERS, boost={"gold": 1}, then=Skills())
STARVE_KINDS = [kind("voice/standard", "voice"), kind("voice/gold", "voice", tier="gold")]
STARVE_ROSTER = [agent("a", voice=1), agent("b", voice=1)]


def test_starvation() -> None:
    """A boosted tier whose load alone fills the shared queue's slots can starve the lower tier."""
    findings = check(STARVE_POLICY, STARVE_ROSTER, STARVE_KINDS, load={"voice/gold": 2.0, "voice/standard": 1.0})
    assert [("warning", "starvation", "voice/standard: tier standard at skills:any")] == codes(findings)
    expected = (
        "higher-priority kinds (voice/gold) offer 2.0 Erlangs to the 2 slots of this queue; "
        "with no aging, tier standard can wait without bound while they keep it full"
    )
    assert expected == findings[0].message


def test_no_starvation_below_capacity_or_without_load() -> None:
    """A boosted load below the slots, or no load at all, is not reported."""
    assert [] == check(STARVE_POLICY, STARVE_ROSTER, STARVE_KINDS, load={"voice/gold": 1.9, "voice/standard": 5.0})
    assert [] == check(STARVE_POLICY, STARVE_ROSTER, STARVE_KINDS)


def test_errors_come_first() -> None:
    """Findings are sorted by severity: an error before the warnings found earlier."""
    policy = TierGate(tiers=TIERS, gates={"video": "gold"}, fallback={"video": "chat"}, then=Skills(relax=[(30, 1)]))
    kinds = [kind("video/gold", "video", tier="gold", skills={"tech": 3}), kind("video/silver", "video", tier="silver")]
    findings = check(policy, [agent("a", video=1, skills={"tech": 2})], kinds)
    assert ["fallback-unserved", "unmatched-stage"] == [f.code for f in findings]


def test_finding_text() -> None:
    """A finding's line gives severity, where, message, code and suggestion."""
    finding = check(Skills(), [agent("a", chat=1)], [BILLING])[0]
    expected = (
        "error: billing: no agent on the roster matches any stage of the plan for voice "
        "(unroutable; suggestion: add agents with these skills and channel, or relax the plan to 'any')"
    )
    assert expected == finding.text()


# ---------------------------------------------------------------------------------------------- scenarios


PLANTED = [
    ("error", "fallback-unserved", "arrivals[0] video/silver: tier silver (tier:video>=gold)"),
    ("warning", "unmatched-stage", "arrivals[0] video/platinum: stage 0 (tier:vip-team)"),
    ("warning", "sticky-window", "arrivals[1] messaging/standard: stage 0 (sticky:last-agent)"),
]


def test_builtin_scenario_has_no_error() -> None:
    """The built-in mobile-support day has no error-level finding."""
    assert [] == [f for f in check_scenario(builtin_scenario()) if f.severity == "error"]


def test_command_passes_the_builtin_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    """``routekit check`` with no scenario checks the built-in day and exits 0."""
    status, out, err = run(["check"], capsys)
    assert (0, "") == (status, err)
    assert out.splitlines()[-1].startswith("0 errors, ")


def test_three_planted_mistakes() -> None:
    """The scenario with three planted mistakes reports exactly those three."""
    assert PLANTED == codes(check_scenario(load_scenario(THREE_MISTAKES)))


def test_command_reports_the_three_mistakes(capsys: pytest.CaptureFixture[str]) -> None:
    """``routekit check FILE`` prints the three findings and a count, and exits 1 for the error."""
    status, out, err = run(["check", str(THREE_MISTAKES)], capsys)
    expected = [f.text() for f in check_scenario(load_scenario(THREE_MISTAKES))] + ["1 error, 2 warnings, 0 notes"]
    assert (1, "") == (status, err)
    assert expected == out.splitlines()
    assert [
        line.startswith(f"{severity}: {where}: ")
        for line, (severity, _, where) in zip(out.splitlines(), PLANTED, strict=False)
    ] == [True] * 3


def test_command_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    """``--format json`` prints every finding as plain data, with the same exit status."""
    status, out, err = run(["check", str(THREE_MISTAKES), "--format", "json"], capsys)
    findings = json.loads(out)
    assert (1, "") == (status, err)
    assert PLANTED == [(f["severity"], f["code"], f["where"]) for f in findings]
    assert {"severity", "code", "where", "message", "suggestion"} == set(findings[0])


def test_command_json_for_the_builtin_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    """The built-in day's JSON has no error-level finding, and the command exits 0."""
    status, out, _ = run(["check", "--format", "json"], capsys)
    assert (0, []) == (status, [f for f in json.loads(out) if f["severity"] == "error"])


def test_command_refuses_a_missing_scenario(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A scenario file that does not exist exits 2 with the reason on stderr."""
    status, out, err = run(["check", str(tmp_path / "absent.toml")], capsys)
    assert (2, "") == (status, out)
    assert err.startswith("routekit check: ")
