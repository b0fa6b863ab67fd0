"""Scenarios: a day of contact-center work described in TOML, checked key by key.

Every key is documented in ``docs/reference/scenario.md``. An unknown key, a wrong type or a missing value
is a :class:`~routekit.errors.ScenarioError` naming the key path (``agents[1].capacity.chat``). Times are
in seconds and rates per hour. A scenario keeps the plain data it was read from (``source``), so a sweep
can override a dotted path (``policy.sticky.window``, ``agents[0].count``) and read it again.

>>> scenario = scenario_from_dict({
...     "run": {"customers": 1000},
...     "channel": [{"name": "voice", "service_level": 20,
...                  "handle_time": {"dist": "exponential", "mean": 60}}],
...     "arrivals": [{"channel": "voice", "rate": 570}],
...     "agents": [{"count": 10, "capacity": {"voice": 1}}],
... })
>>> scenario.agents[0].count, scenario.channels["voice"].service_level
(10, 20.0)
>>> override(scenario, "run.colour", "red")
Traceback (most recent call last):
...
routekit.errors.ScenarioError: run.colour: unknown key; expected one of customers, date, drain, ...
"""

from __future__ import annotations

import copy
import math
import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from routekit.errors import ScenarioError
from routekit.sim.sections import (
    TOP_KEYS,
    check_keys,
    is_trace,
    read_agents,
    read_arrivals,
    read_channels,
    read_policy,
    read_run,
    read_table,
    read_traces,
)
from routekit.sim.spec import (
    DEFAULT_SERVICE_LEVEL_TARGET,
    MAX_ARRIVALS,
    AgentGroup,
    ArrivalStream,
    ChannelSpec,
    PolicySpec,
    RunSpec,
    Scenario,
    TraceArrivals,
)

__all__ = [
    "DEFAULT_SERVICE_LEVEL_TARGET",
    "MAX_ARRIVALS",
    "AgentGroup",
    "ArrivalStream",
    "ChannelSpec",
    "PolicySpec",
    "RunSpec",
    "Scenario",
    "TraceArrivals",
    "builtin_scenario",
    "expected_arrivals",
    "load_scenario",
    "override",
    "scenario_from_dict",
]


def scenario_from_dict(data: Mapping[str, Any], *, base: Path | None = None) -> Scenario:
    """Check and read a scenario given as plain data (what ``tomllib`` returns).

    Args:
        data: The scenario's tables.
        base: The folder relative paths in the scenario (empirical CSVs) are read from.

    Raises:
        ScenarioError: An unknown key, a wrong type, a missing or bad value, naming the key path.
    """
    top = read_table(data, "scenario")
    check_keys(top, "", TOP_KEYS, ("run", "channel", "arrivals", "agents"))
    channels = read_channels(top["channel"], base)
    scenario = Scenario(
        run=read_run(top["run"]),
        channels=channels,
        arrivals=read_arrivals(top["arrivals"], channels),
        traces=read_traces(top["arrivals"], channels, base),
        agents=read_agents(top["agents"], base),
        policy=read_policy(top.get("policy", {})),
        source=copy.deepcopy(dict(top)),
        base=base,
    )
    generated = [i for i, entry in enumerate(top["arrivals"]) if not is_trace(entry)]
    hours = sorted(spec.channel.value for spec in channels.values() if spec.hours is not None)
    if hours and scenario.run.epoch is None:
        raise ScenarioError(f"run.date: missing (opening hours on {', '.join(hours)} need the date of time 0)")
    if hours and scenario.run.horizon is None:
        # The router always has its next opening or closing ahead: only a horizon ends the day.
        raise ScenarioError(f"run.horizon: missing (a day with opening hours on {', '.join(hours)} needs one)")
    # Every policy kind is checked against the policy's tiers: a tier the skills policy never gates or
    # boosts is still a misspelt name more often than not, and the router would refuse it at submit.
    names = ", ".join(scenario.policy.tiers)
    for i, stream in zip(generated, scenario.arrivals, strict=True):
        for tier, _ in stream.tiers:
            if tier not in scenario.policy.tiers:
                raise ScenarioError(f"arrivals[{i}].tiers.{tier}: unknown tier; policy.tiers.names are {names}")
    for trace in scenario.traces:
        for k, record in enumerate(trace.records):
            if record.tier not in scenario.policy.tiers:
                raise ScenarioError(
                    f"arrivals[{trace.index}].trace: {trace.path.name!r} record {k + 1} (arrival {record.arrival:g} s) "
                    f"has unknown tier {record.tier!r}; policy.tiers.names are {names}"
                )
    served = {channel for group in scenario.agents if group.count for channel, n in group.capacity.items() if n}
    for i, stream in zip(generated, scenario.arrivals, strict=True):
        if stream.channel not in served:
            raise ScenarioError(f"arrivals[{i}].channel: no agent group has capacity on {stream.channel.value!r}")
    for trace in scenario.traces:
        for channel in sorted(trace.channels - served):
            raise ScenarioError(f"arrivals[{trace.index}].trace: no agent group has capacity on {channel.value!r}")
    if scenario.run.customers is None or scenario.run.customers > MAX_ARRIVALS:
        for i, count in zip(generated, expected_arrivals(scenario), strict=True):
            if count > MAX_ARRIVALS:
                key = "rate" if "rate" in top["arrivals"][i] else "profile"
                raise ScenarioError(
                    f"arrivals[{i}].{key}: about {count:.3g} arrivals in one run, over the bound of "
                    f"{MAX_ARRIVALS:,}; lower the rate, shorten run.horizon or set run.customers"
                )
    return scenario


def expected_arrivals(scenario: Scenario) -> list[float]:
    """The expected number of arrivals of each generated stream before the horizon, in stream order.

    A stream's profile rate holds from its hour until the next; a run without a horizon is infinite
    wherever a rate stays above 0 (``run.customers`` then stops it).

    >>> expected_arrivals(builtin_scenario())[0]
    1200.0
    """
    horizon = math.inf if scenario.run.horizon is None else scenario.run.horizon
    counts = []
    for stream in scenario.arrivals:
        total = 0.0
        points = [((hour - scenario.run.start) * 3600.0, rate) for hour, rate in stream.profile]
        for j, (at, rate) in enumerate(points):
            until = min(points[j + 1][0] if j + 1 < len(points) else math.inf, horizon)
            begin = max(at, 0.0)
            if until > begin and rate > 0:
                total += rate / 3600.0 * (until - begin)
        counts.append(total)
    return counts


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario from a TOML file; relative paths inside it are read from the file's folder.

    Raises:
        ScenarioError: The file cannot be read or parsed, or a key is wrong (named by its path).
    """
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise ScenarioError(f"{file}: not a UTF-8 text file (byte {error.start} cannot be read)") from None
    except OSError as error:
        raise ScenarioError(f"{file}: cannot read the scenario: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"{file}: not valid TOML: {error}") from None
    return scenario_from_dict(data, base=file.parent)


def builtin_scenario(name: str = "mobile-support") -> Scenario:
    """A scenario shipped with routekit: ``"mobile-support"``, a day of mobile support (08:00 to 20:00).

    Raises:
        ScenarioError: No built-in scenario has that name.
    """
    file = resources.files("routekit.sim").joinpath("scenarios", f"{name.replace('-', '_')}.toml")
    if not file.is_file():
        raise ScenarioError(f"unknown built-in scenario {name!r}; expected 'mobile-support'")
    return scenario_from_dict(tomllib.loads(file.read_text()))


_STEP = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?$")


def override(scenario: Scenario, path: str, value: Any) -> Scenario:
    """The scenario with the value at a dotted key path replaced, checked again.

    >>> scenario = builtin_scenario()
    >>> override(scenario, "policy.sticky.window", 120).policy.window
    120.0

    Raises:
        ScenarioError: The path does not lead to a value, or the new value is refused.
    """
    data = copy.deepcopy(dict(scenario.source))
    node: Any = data
    steps = path.split(".")
    for depth, step in enumerate(steps):
        match = _STEP.match(step)
        if match is None:
            raise ScenarioError(f"{path}: cannot read the key path at {step!r}")
        key, index = match.group(1), match.group(2)
        last = depth == len(steps) - 1
        if not isinstance(node, dict):
            raise ScenarioError(f"{path}: {'.'.join(steps[:depth])} is not a table")
        if index is None:
            if last:
                node[key] = value
            else:
                node = node.setdefault(key, {})
        else:
            items = node.get(key)
            if not isinstance(items, list) or int(index) >= len(items):
                raise ScenarioError(f"{path}: there is no {key}[{index}]")
            if last:
                items[int(index)] = value
            else:
                node = items[int(index)]
    return scenario_from_dict(data, base=scenario.base)
