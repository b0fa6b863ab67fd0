"""Exception rules in scenarios (issue 22): the keys, a short day with rules firing, and ``routekit check``."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from routekit import ExceptionRule, ScenarioError
from routekit.policies import Target
from routekit.sim.check import check_scenario
from routekit.sim.replications import simulate
from routekit.sim.scenario import scenario_from_dict

DAY = """
[run]
customers = {customers}

[[channel]]
name = "voice"
service_level = 20
handle_time = {{ dist = "exponential", mean = 300 }}
patience = {{ dist = "exponential", mean = 600 }}

[[arrivals]]
channel = "voice"
rate = 70

[[agents]]
name = "voice"
count = 5
capacity = {{ voice = 1 }}

[[agents]]
name = "overflow"
count = 1
capacity = {{ voice = 1 }}
teams = ["overflow"]
"""

RULES = """
[[policy.router.exception_rules.voice]]
name = "long-queue"
trigger = "queue-length"
threshold = 4
action = "overflow"
target = { channel = "voice", team = "overflow" }

[[policy.router.exception_rules.voice]]
name = "too-long"
trigger = "wait"
threshold = 120
action = "deny"
reason = "call-back"
"""


def day(rules: str = RULES, customers: int = 2000) -> Any:
    return scenario_from_dict(tomllib.loads(DAY.format(customers=customers) + rules))


def test_the_scenario_keys_reach_the_router() -> None:
    settings = day().policy.router_settings()
    assert settings["exception_rules"] == {
        "voice": [
            ExceptionRule(
                name="long-queue",
                trigger="queue-length",
                threshold=4,
                action="overflow",
                target=Target(channel="voice", team="overflow"),
            ),
            ExceptionRule(name="too-long", trigger="wait", threshold=120, action="deny", reason="call-back"),
        ]
    }


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ("[policy.router]\nexception_rules = { voice = 3 }", "policy.router.exception_rules.voice: expected a list"),
        (
            '[[policy.router.exception_rules.voice]]\nname = "x"\ntrigger = "wait"\nthreshold = -1\naction = "deny"',
            "policy.router.exception_rules.voice[0]: ExceptionRule 'x': threshold must be seconds >= 0",
        ),
        (
            '[[policy.router.exception_rules.voice]]\nname = "x"\ntrigger = "wait"\nthreshold = 1\naction = "deny"'
            '\ncolour = "red"',
            "policy.router.exception_rules.voice[0].colour: unknown key",
        ),
        (
            '[[policy.router.exception_rules.voice]]\nname = "x"\ntrigger = "wait"\nthreshold = 1\n'
            'action = "overflow"\ntarget = { channel = "fax" }',
            "policy.router.exception_rules.voice[0]: ",
        ),
        (
            '[[policy.router.exception_rules.voice]]\nname = "x"\ntrigger = "wait"\nthreshold = 1\naction = "deny"\n'
            '[[policy.router.exception_rules.chat]]\nname = "x"\ntrigger = "wait"\nthreshold = 1\naction = "deny"',
            "policy.router.exception_rules['chat'][0]: the rule name 'x' is used twice",
        ),
    ],
)
def test_bad_keys_are_refused_naming_the_key(rules: str, message: str) -> None:
    with pytest.raises(ScenarioError) as error:
        day(rules)
    assert str(error.value).startswith(message), str(error.value)


def voice_row(rules: str) -> Any:
    rows = simulate(day(rules), reps=1, seed=5).runs[0].report.rows
    [row] = [r for r in rows if r.channel == "voice" and r.tier == "all"]
    return row


def test_a_short_day_with_rules_denies_and_overflows() -> None:
    """At 70 calls an hour of 300 s (5.8 Erlangs) on 6 agents queues grow: callers waiting 120 s are denied
    by the wait rule (counted as denied after queueing, not abandoned), and the queue-length rule sends
    callers to the overflow agent early, so fewer wait long than on the same day without rules."""
    ruled, plain = voice_row(RULES), voice_row("")
    assert ruled.denied_after_queue > 0
    assert plain.denied_after_queue == 0
    assert ruled.abandoned < plain.abandoned
    assert ruled.offered == plain.offered


def test_check_flags_rules_that_never_fire_and_overflows_that_point_nowhere() -> None:
    rules = """
[[policy.router.exception_rules.voice]]
name = "last"
trigger = "queue-length"
threshold = 2
action = "next-stage"

[[policy.router.exception_rules.voice]]
name = "nobody"
trigger = "queue-length"
threshold = 2
action = "overflow"
target = { channel = "voice", team = "ghosts" }

[[policy.router.exception_rules."team:vip"]]
name = "unused"
trigger = "wait"
threshold = 10
action = "deny"
"""
    findings = {(f.code, f.where) for f in check_scenario(day(rules))}
    assert findings >= {
        ("exception-rule-never-fires", "policy.router.exception_rules.voice[0]"),
        ("exception-overflow-nowhere", "policy.router.exception_rules.voice[1].target"),
        ("exception-rule-never-fires", "policy.router.exception_rules.team:vip[0]"),
    }
    assert not {f for f in check_scenario(day()) if f.code.startswith("exception")}
