"""The scenario reader: one test per kind of mistake, each a ScenarioError that names the key path."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from routekit.errors import ScenarioError
from routekit.models.channel import Channel
from routekit.policies.sticky import Sticky
from routekit.sim.scenario import (
    Scenario,
    builtin_scenario,
    load_scenario,
    override,
    scenario_from_dict,
)


def _valid() -> dict[str, Any]:
    """A small scenario that uses every table, so that each mistake below is the only one."""
    return {
        "run": {"horizon": 3600, "customers": 100, "warmup_customers": 0, "start": 8},
        "channel": [
            {
                "name": "voice",
                "service_level": 20,
                "handle_time": {"dist": "exponential", "mean": 60},
                "patience": {"dist": "exponential", "mean": 120},
                "accept_delay": {"dist": "deterministic", "value": 3},
                "reject_probability": 0.1,
            },
            {"name": "video", "service_level": 30, "handle_time": {"dist": "gamma", "mean": 300, "sd": 100}},
            {"name": "chat", "service_level": 60, "handle_time": {"dist": "lognormal", "mean": 200, "sd": 90}},
            {
                "name": "messaging",
                "handle_time": {"dist": "lognormal", "mean": 90, "sd": 60},
                "turns": {"dist": "empirical", "values": [1, 2, 3]},
                "reply_delay": {"dist": "exponential", "mean": 600},
            },
        ],
        "arrivals": [
            {"channel": "voice", "rate": 60, "tiers": {"standard": 0.8, "gold": 0.2}, "skills": {"billing": 2}},
            {"channel": "video", "profile": [[8, 5], [9, 10]], "fallback_probability": 0.5},
            {"channel": "messaging", "rate": 20, "priority": 1, "head_start": 10},
        ],
        "agents": [
            {
                "name": "voice",
                "count": 2,
                "capacity": {"voice": 1},
                "skills": {"billing": 3},
                "wrap_up": {"voice": 30},
                "shift": [8, 16],
            },
            {"name": "digital", "count": 2, "capacity": {"chat": 2, "messaging": 2, "video": 1}, "teams": ["vip"]},
        ],
        "policy": {
            "kind": "mobile-support",
            "skills": {"relax": [[30, 1], [90, "names"], [180, "any"]]},
            "tiers": {
                "names": ["standard", "silver", "gold", "platinum"],
                "gates": {"video": "gold"},
                "fallback": {"video": "chat"},
                "boost": {"gold": 1},
                "teams": {"platinum": ["vip", 60]},
            },
            "sticky": {"hold": 120, "window": 300, "park_ttl": 86400},
            "router": {
                "selection": "longest-idle",
                "reoffer_delay": 30,
                "offer_timeout": {"voice": 20},
                "away_on_missed_offer": True,
                "wrap_up": 0,
                "retention": 3600,
            },
        },
    }


_DROP = object()


def _steps(path: str) -> Iterator[str | int]:
    for part in path.split("."):
        name, _, indexes = part.partition("[")
        yield name
        yield from (int(i) for i in re.findall(r"(\d+)\]", indexes))


def _edited(path: str, value: Any = _DROP) -> dict[str, Any]:
    """The valid scenario with the value at ``path`` replaced, or removed."""
    data = _valid()
    *parents, last = _steps(path)
    node: Any = data
    for step in parents:
        node = node[step]
    if value is _DROP:
        del node[last]
    else:
        node[last] = value
    return data


def _refused(data: Any) -> str:
    with pytest.raises(ScenarioError) as error:
        scenario_from_dict(data)
    return str(error.value)


def test_the_valid_scenario_reads() -> None:
    """The scenario the mistakes are made in is itself valid."""
    scenario = scenario_from_dict(_valid())
    assert ["voice", "video", "chat", "messaging"] == list(scenario.channels)
    assert isinstance(scenario.policy.build(), Sticky)


@pytest.mark.parametrize(
    "path",
    [
        "colour",
        "run.colour",
        "channel[0].colour",
        "channel[0].handle_time.colour",
        "arrivals[0].colour",
        "agents[1].colour",
        "policy.colour",
        "policy.skills.colour",
        "policy.tiers.colour",
        "policy.sticky.colour",
        "policy.router.colour",
    ],
)
def test_an_unknown_key_is_refused_by_its_path(path: str) -> None:
    """An unknown key anywhere is refused, and the message starts with its key path."""
    message = _refused(_edited(path, "red"))
    assert message.startswith(f"{path}: unknown key")


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("run.horizon", "12h"),  # a string for a number
        ("agents[0].count", "2"),
        ("channel[0].service_level", "20s"),
        ("channel[0].handle_time.mean", "60"),
        ("arrivals[0].rate", "60/h"),
        ("policy.sticky.window", "5m"),
        ("run", 5),  # a number for a table
        ("channel[0].handle_time", 60),
        ("channel[0]", 1),
        ("agents[0].capacity", 1),
        ("arrivals[0].tiers", 1),
        ("policy", 1),
        ("policy.sticky", 120),
        ("policy.router.offer_timeout", 20),
        ("agents[0].count", True),  # a bool for an integer
        ("run.customers", True),
        ("run.warmup_customers", False),
        ("arrivals[0].priority", True),
        ("agents[0].capacity.voice", True),
        ("run.horizon", True),  # a bool for a number
        ("policy.router.away_on_missed_offer", "yes"),  # a string for a bool
        ("agents[0].count", 2.5),  # a float for an integer
        ("channel", {"name": "voice"}),  # a table for a list of tables
        ("agents[1].teams", "vip"),
        ("agents[0].shift", 8),
        ("arrivals[1].profile", 5),
        ("policy.skills.relax", 30),
        ("policy.tiers.names", "gold"),
        ("channel[0].name", 7),
    ],
)
def test_a_wrong_type_is_refused_by_its_path(path: str, value: Any) -> None:
    """A value of the wrong type is refused, and the message starts with its key path."""
    message = _refused(_edited(path, value))
    assert message.startswith(f"{path}: ")
    assert re.search(r"expected|must be a number|unknown channel", message)


@pytest.mark.parametrize(
    ("dropped", "named"),
    [
        ("run", "run"),
        ("channel", "channel"),
        ("arrivals", "arrivals"),
        ("agents", "agents"),
        ("channel[0].name", "channel[0].name"),
        ("channel[1].handle_time", "channel[1].handle_time"),
        ("channel[0].handle_time.mean", "channel[0].handle_time.mean"),
        ("arrivals[2].channel", "arrivals[2].channel"),
        ("agents[0].count", "agents[0].count"),
        ("agents[1].capacity", "agents[1].capacity"),
        ("channel[3].reply_delay", "channel[3].reply_delay"),  # turns without reply_delay
    ],
)
def test_a_missing_value_is_refused_by_its_path(dropped: str, named: str) -> None:
    """A required value that is missing is refused, and the message starts with its key path."""
    message = _refused(_edited(dropped))
    assert message.startswith(f"{named}: missing")


def test_a_run_with_neither_horizon_nor_customers_is_refused() -> None:
    """A run needs a horizon or a number of customers; the message names run.horizon and says so."""
    message = _refused(_edited("run", {"warmup_customers": 0, "start": 8}))
    assert message.startswith("run.horizon: missing")
    assert "run.customers" in message


@pytest.mark.parametrize(
    ("path", "value", "named"),
    [
        ("arrivals[0].rate", -5, "arrivals[0].rate"),  # a negative rate
        ("arrivals[1].profile", [[8, 5], [9, -1]], "arrivals[1].profile[1][1]"),
        ("run.horizon", 0, "run.horizon"),
        ("run.interval", 0, "run.interval"),
        ("run.warmup_customers", -1, "run.warmup_customers"),
        ("channel[0].handle_time.mean", -60, "channel[0].handle_time.mean"),
        ("channel[0].reject_probability", 1.5, "channel[0].reject_probability"),  # probability > 1
        ("arrivals[1].fallback_probability", 2, "arrivals[1].fallback_probability"),
        ("arrivals[1].profile", [[10, 5], [9, 5]], "arrivals[1].profile[1][0]"),  # hours not increasing
        ("arrivals[1].profile", [[10, 5], [10, 6]], "arrivals[1].profile[1][0]"),
        ("arrivals[1].profile", [], "arrivals[1].profile"),
        ("arrivals[1].profile", [[8, 5, 1]], "arrivals[1].profile[0]"),
        ("arrivals[0].tiers", {"standard": 0}, "arrivals[0].tiers"),
        ("agents[0].shift", [17, 9], "agents[0].shift"),  # shift end before start
        ("agents[0].shift", [9, 9], "agents[0].shift"),
        ("agents[0].shift", [9], "agents[0].shift"),
        ("agents[0].skills.billing", 6, "agents[0].skills.billing"),  # skill level 6
        ("agents[0].skills.billing", 0, "agents[0].skills.billing"),
        ("arrivals[0].skills.billing", 6, "arrivals[0].skills.billing"),
        ("agents[0].count", -1, "agents[0].count"),
        ("channel[0].name", "fax", "channel[0].name"),  # an unknown channel
        ("arrivals[0].channel", "fax", "arrivals[0].channel"),
        ("agents[0].capacity", {"fax": 1}, "agents[0].capacity.fax"),
        ("agents[0].wrap_up", {"fax": 10}, "agents[0].wrap_up.fax"),
        ("policy.tiers.gates", {"fax": "gold"}, "policy.tiers.gates.fax"),
        ("policy.router.offer_timeout", {"fax": 20}, "policy.router.offer_timeout.fax"),
        ("channel[0].handle_time.dist", "normal", "channel[0].handle_time.dist"),  # an unknown distribution
        ("policy.kind", "round-robin", "policy.kind"),  # an unknown policy kind
        ("policy.router.selection", "fastest", "policy.router.selection"),  # an unknown selection
        ("policy.skills.relax", [[90, 1], [30, "any"]], "policy.skills.relax"),  # relax not increasing
        ("policy.skills.relax", [[30, "any"], [90, "names"]], "policy.skills.relax"),
        ("policy.skills.relax", [[30, 1.5]], "policy.skills.relax[0][1]"),
        ("policy.sticky.window", -1, "policy.sticky.window"),
        ("policy.sticky.hold", -1, "policy.sticky.hold"),
        ("policy.router.offer_timeout", {"voice": 0}, "policy.router.offer_timeout.voice"),
        ("policy.router.reoffer_delay", -30, "policy.router.reoffer_delay"),
        ("policy.tiers.teams", {"platinum": "vip"}, "policy.tiers.teams.platinum"),
        ("policy.tiers.teams", {"platinum": ["vip", 0]}, "policy.tiers.teams.platinum[1]"),
        ("policy.tiers.boost", {"gold": 1.5}, "policy.tiers.boost.gold"),
        ("agents[1].name", "voice", "agents[1].name"),  # a group named twice
        ("arrivals[2].channel", "email", "arrivals[2].channel"),  # a channel no [[channel]] describes
        ("agents[1].count", 0, "arrivals[1].channel"),  # an arrival stream no agent serves
        ("agents[1].capacity", {"chat": 2, "messaging": 2}, "arrivals[1].channel"),
        ("arrivals[0].profile", [[8, 60]], "arrivals[0].rate"),  # both rate and profile
        ("arrivals[2]", {"channel": "messaging"}, "arrivals[2].rate"),  # neither rate nor profile
        ("channel[0].turns", {"dist": "deterministic", "value": 2}, "channel[0].reply_delay"),
    ],
)
def test_a_bad_value_is_refused_by_its_path(path: str, value: Any, named: str) -> None:
    """A value of the right type that cannot work is refused, and the message starts with its key path."""
    message = _refused(_edited(path, value))
    assert message.startswith(f"{named}: ")


def test_a_channel_described_twice_is_refused() -> None:
    """A second [[channel]] for the same channel is refused at its name."""
    data = _valid()
    data["channel"].append(_valid()["channel"][0])
    assert _refused(data).startswith("channel[4].name: channel 'voice' is described twice")


def test_turns_on_a_synchronous_channel_are_refused() -> None:
    """Only asynchronous channels have conversations of several turns."""
    data = _valid()
    data["channel"][2] |= {
        "turns": {"dist": "deterministic", "value": 2},
        "reply_delay": {"dist": "exponential", "mean": 60},
    }
    assert _refused(data).startswith("channel[2].turns: only asynchronous channels")


def test_an_empty_list_of_tables_is_refused() -> None:
    """A scenario with no agent groups is refused at agents."""
    assert _refused(_edited("agents", [])).startswith("agents: expected a non-empty list")


def test_a_tier_gate_fallback_gated_for_the_same_tier_is_refused() -> None:
    """A fallback channel gated for the tiers the first gate denies is refused under policy, naming the fallback."""
    data = _edited("policy.tiers.gates", {"video": "gold", "chat": "gold"})
    message = _refused(data)
    assert message.startswith("policy")
    assert "fallback" in message
    assert "video" in message


def test_a_gate_for_an_unknown_tier_is_refused() -> None:
    """A gate naming a tier that policy.tiers.names lacks is refused under policy, naming the tier."""
    message = _refused(_edited("policy.tiers.gates", {"video": "diamond"}))
    assert message.startswith("policy")
    assert "'diamond'" in message


def test_an_arrival_tier_the_policy_does_not_know_is_refused() -> None:
    """Under mobile-support, an arrival tier missing from policy.tiers.names is refused at its key path."""
    message = _refused(_edited("arrivals[0].tiers", {"diamond": 1}))
    assert message.startswith("arrivals[0].tiers.diamond")


def test_an_arrival_tier_unknown_to_the_skills_policy_is_refused() -> None:
    """Under the skills kind too, an arrival tier missing from policy.tiers.names is refused at its key path."""
    data = _edited("arrivals[0].tiers", {"standard": 1, "diamond": 1})
    data["policy"] = {"kind": "skills"}
    message = _refused(data)
    assert message.startswith("arrivals[0].tiers.diamond: unknown tier; policy.tiers.names are standard")


def test_a_trace_row_with_an_unknown_tier_is_refused_naming_the_row(tmp_path: Path) -> None:
    """A trace row whose tier the policy does not know is refused, naming the entry, the file and the row."""
    (tmp_path / "calls.csv").write_text("arrival,channel,tier\n0,voice,gold\n10,voice,diamond\n")
    data = _valid()
    data["arrivals"] = [{"trace": "calls.csv"}]
    data["policy"] = {"kind": "skills"}
    with pytest.raises(ScenarioError) as error:
        scenario_from_dict(data, base=tmp_path)
    expected = "arrivals[0].trace: 'calls.csv' record 2 (arrival 10 s) has unknown tier 'diamond'"
    assert str(error.value).startswith(expected)


def test_a_channel_service_level_target_defaults_to_80_percent() -> None:
    """A channel without service_level_target aims at 0.8; one with it keeps its share."""
    data = _edited("channel[0].service_level_target", 0.9)
    channels = scenario_from_dict(data).channels
    assert (0.9, 0.8) == (channels["voice"].service_level_target, channels["chat"].service_level_target)


@pytest.mark.parametrize("value", [0, 1, 80, -0.5, "80%"])
def test_a_service_level_target_outside_0_to_1_is_refused(value: Any) -> None:
    """A service-level target that is not a share in (0, 1) is refused at its key path."""
    message = _refused(_edited("channel[0].service_level_target", value))
    assert message.startswith("channel[0].service_level_target")


def test_load_scenario_reads_a_file(tmp_path: Path) -> None:
    """A TOML file reads into the same scenario as its data, with relative paths read from its folder."""
    (tmp_path / "handle.csv").write_text("seconds\n60\n90\n")
    (tmp_path / "day.toml").write_text(
        '[run]\ncustomers = 10\n[[channel]]\nname = "voice"\n'
        'handle_time = { dist = "empirical", path = "handle.csv", column = "seconds" }\n'
        '[[arrivals]]\nchannel = "voice"\nrate = 60\n[[agents]]\ncount = 1\ncapacity = { voice = 1 }\n'
    )
    scenario = load_scenario(tmp_path / "day.toml")
    assert 75.0 == scenario.channels["voice"].handle_time.mean
    assert tmp_path == scenario.base


def test_load_scenario_of_a_missing_file_is_refused(tmp_path: Path) -> None:
    """A file that cannot be read is a ScenarioError naming the file."""
    missing = tmp_path / "nowhere.toml"
    with pytest.raises(ScenarioError, match="cannot read the scenario") as error:
        load_scenario(missing)
    assert str(error.value).startswith(f"{missing}: ")


def test_load_scenario_of_invalid_toml_is_refused(tmp_path: Path) -> None:
    """A file that is not TOML is a ScenarioError naming the file and the TOML error."""
    broken = tmp_path / "broken.toml"
    broken.write_text("[run]\nhorizon = = 5\n")
    with pytest.raises(ScenarioError, match="not valid TOML") as error:
        load_scenario(broken)
    assert str(error.value).startswith(f"{broken}: ")
    assert "line 2" in str(error.value)


def test_load_scenario_names_the_key_path_of_a_mistake_in_a_file(tmp_path: Path) -> None:
    """A mistake inside a file is named by its key path, as in data."""
    day = tmp_path / "day.toml"
    day.write_text(
        '[run]\ncustomers = 10\n[[channel]]\nname = "voice"\nhandle_time = { dist = "exponential", mean = 60 }\n'
        '[[arrivals]]\nchannel = "voice"\nrate = 60\n[[agents]]\ncount = 1\ncapacity = { voice = true }\n'
    )
    with pytest.raises(ScenarioError, match=r"^agents\[0\]\.capacity\.voice: expected an integer, got True$"):
        load_scenario(day)


def test_override_replaces_the_value_at_a_good_path() -> None:
    """An override returns a new, checked scenario and leaves the original as it was."""
    scenario = scenario_from_dict(_valid())
    wider = override(scenario, "policy.sticky.window", 120)
    more = override(scenario, "agents[0].count", 7)
    assert 120.0 == wider.policy.window
    assert 7 == more.agents[0].count
    assert (300.0, 2) == (scenario.policy.window, scenario.agents[0].count)
    assert 300.0 == override(scenario, "channel[1].handle_time.mean", 300).channels["video"].handle_time.mean


def test_override_can_add_a_key_the_schema_knows() -> None:
    """An override of a key the scenario leaves out adds it."""
    scenario = scenario_from_dict(_edited("policy.sticky.park_ttl"))
    assert 600.0 == override(scenario, "policy.sticky.park_ttl", 600).policy.park_ttl


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("agents[9].count", "agents[9].count: there is no agents[9]"),
        ("policy.sticky.windw", "policy.sticky.windw: unknown key"),
        ("run.horizon.hours", "run.horizon.hours: run.horizon is not a table"),
        ("policy..window", "policy..window: cannot read the key path"),
    ],
)
def test_override_of_a_path_that_does_not_exist_is_refused(path: str, named: str) -> None:
    """A path that leads to no value of the schema is refused, named by the path."""
    with pytest.raises(ScenarioError) as error:
        override(scenario_from_dict(_valid()), path, 120)
    assert str(error.value).startswith(named)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("policy.sticky.window", -120),
        ("agents[0].count", "ten"),
        ("channel[0].name", "fax"),
        ("policy.kind", "sticky"),
    ],
)
def test_override_with_a_value_then_refused_names_the_path(path: str, value: Any) -> None:
    """An override whose new value the schema refuses is a ScenarioError naming that path."""
    with pytest.raises(ScenarioError) as error:
        override(scenario_from_dict(_valid()), path, value)
    assert str(error.value).startswith(f"{path}: ")


def test_the_builtin_scenario_loads_and_builds_its_policy() -> None:
    """The built-in mobile-support day reads, and builds its sticky, tier-gated skills policy."""
    scenario = builtin_scenario()
    assert isinstance(scenario, Scenario)
    assert {"voice", "chat", "messaging", "video"} == set(scenario.channels)
    assert "mobile-support" == scenario.policy.kind
    assert {Channel.VIDEO: "gold"} == scenario.policy.gates
    assert (8.0, 43200.0) == (scenario.run.start, scenario.run.horizon)
    assert 35 <= sum(group.count for group in scenario.agents) <= 50
    policy = scenario.policy.build()
    assert isinstance(policy, Sticky)
    assert 300.0 == policy.window


def test_the_builtin_scenario_is_the_packaged_file() -> None:
    """The built-in day is the TOML file shipped in the package, read as any other file."""
    file = resources.files("routekit.sim").joinpath("scenarios", "mobile_support.toml")
    assert builtin_scenario() == scenario_from_dict(tomllib.loads(file.read_text()))


def test_every_check_warning_on_the_builtin_day_is_explained_in_its_file() -> None:
    """Each warning `routekit check` gives the built-in day has its code and stream on a `# check:` line."""
    from routekit.sim.check import check_scenario

    text = resources.files("routekit.sim").joinpath("scenarios", "mobile_support.toml").read_text()
    explained = {
        (code, stream)
        for code, streams in re.findall(r"^# check: ([a-z-]+) (.+)$", text, flags=re.MULTILINE)
        for stream in streams.split()
    }
    findings = check_scenario(builtin_scenario())
    warned = {(f.code, f.where.split()[0]) for f in findings}
    assert [] == [f for f in findings if f.severity == "error"]
    assert set() == warned - explained
    assert set() == explained - warned  # an explanation of a warning that no longer fires goes too


def test_an_unknown_builtin_scenario_is_refused() -> None:
    """Asking for a built-in scenario that does not exist is a ScenarioError naming it."""
    with pytest.raises(ScenarioError, match="'night-shift'"):
        builtin_scenario("night-shift")
