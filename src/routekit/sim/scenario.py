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
routekit.errors.ScenarioError: run.colour: unknown key; expected one of customers, drain, horizon, ...
"""

from __future__ import annotations

import copy
import csv
import itertools
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import attrs

from routekit.datasets.trace import TRACE_COLUMNS, TraceRecord, read_trace
from routekit.errors import ConfigError, RoutekitError, ScenarioError
from routekit.models._frozen import frozen
from routekit.models.channel import Channel
from routekit.models.tiers import Tiers
from routekit.policies.base import RoutingPolicy
from routekit.policies.selection import SELECTIONS, Selection
from routekit.policies.skills import Skills
from routekit.policies.sticky import Sticky
from routekit.policies.tiers import TierGate
from routekit.sim.distributions import Deterministic, Distribution, distribution_from_spec

__all__ = [
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

_NO_DELAY = Deterministic(0.0)

MAX_ARRIVALS = 10_000_000
"""The most arrivals a scenario's generated streams may be expected to bring in one run.

A scenario whose streams would bring more (say ``rate = 1e12``), with no ``run.customers`` at or below
this bound, is refused naming the stream's key: at the simulator's pace such a run would not end today.
"""

DEFAULT_SERVICE_LEVEL_TARGET = 0.8
"""A channel's ``service_level_target`` when the scenario gives none: 80% within its threshold."""


# ---------------------------------------------------------------------------------------------- readers


def _table(data: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{path}: expected a table, got {type(data).__name__} {data!r}")
    return data


def _keys(data: Mapping[str, Any], path: str, allowed: set[str], required: Sequence[str] = ()) -> None:
    for key in data:
        if key not in allowed:
            where = f"{path}.{key}" if path else key
            raise ScenarioError(f"{where}: unknown key; expected one of {', '.join(sorted(allowed))}")
    for key in required:
        if key not in data:
            raise ScenarioError(f"{path}.{key}: missing" if path else f"{key}: missing")


def _number(value: Any, path: str, *, minimum: float = 0.0, strict: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScenarioError(f"{path}: expected a number, got {value!r}")
    if value < minimum or (strict and value == minimum):
        raise ScenarioError(f"{path}: must be {'>' if strict else '>='} {minimum:g}, got {value!r}")
    return float(value)


def _integer(value: Any, path: str, *, minimum: int | None = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(f"{path}: expected an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ScenarioError(f"{path}: must be >= {minimum}, got {value!r}")
    return value


def _probability(value: Any, path: str) -> float:
    number = _number(value, path)
    if number > 1:
        raise ScenarioError(f"{path}: must be a probability in [0, 1], got {value!r}")
    return number


def _share(value: Any, path: str) -> float:
    number = _number(value, path, strict=True)
    if number >= 1:  # a target of 100% within a threshold is one no staffing can meet
        raise ScenarioError(f"{path}: expected a share in (0, 1), such as 0.8, got {value!r}")
    return number


def _string(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise ScenarioError(f"{path}: expected a non-empty string, got {value!r}")
    return value


def _channel(value: Any, path: str) -> Channel:
    try:
        return Channel(_string(value, path))
    except ValueError:
        names = ", ".join(c.value for c in Channel)
        raise ScenarioError(f"{path}: unknown channel {value!r}; expected one of {names}") from None


def _levels(value: Any, path: str) -> dict[str, int]:
    levels: dict[str, int] = {}
    for skill, level in _table(value, path).items():
        levels[skill] = _integer(level, f"{path}.{skill}", minimum=1)
        if levels[skill] > 5:
            raise ScenarioError(f"{path}.{skill}: a skill level is 1..5, got {level!r}")
    return levels


def _per_channel(value: Any, path: str, read: Any) -> dict[Channel, Any]:
    return {_channel(name, f"{path}.{name}"): read(v, f"{path}.{name}") for name, v in _table(value, path).items()}


def _distribution(value: Any, path: str, base: Path | None) -> Distribution:
    try:
        return distribution_from_spec(_table(value, path), path, base=base)
    except ScenarioError:
        raise
    except RoutekitError as error:
        raise ScenarioError(f"{path}: {error}") from None


def _hours(value: Any, path: str) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise ScenarioError(f"{path}: expected [start hour, end hour], got {value!r}")
    start, end = (_number(v, f"{path}[{i}]") for i, v in enumerate(value))
    if not start < end:
        raise ScenarioError(f"{path}: the shift must end after it starts, got {value!r}")
    return start, end


# ------------------------------------------------------------------------------------------- the records


def _frozen_levels(value: Mapping[str, int]) -> dict[str, int]:
    """A stream's skills, read-only: every simulated contact of the stream shares them."""
    return frozen(value)


@attrs.frozen(kw_only=True)
class RunSpec:
    """``[run]``: how long to simulate and what to count."""

    horizon: float | None = None
    customers: int | None = None
    warmup_customers: int = 0
    start: float = 0.0
    interval: float = 1800.0
    drain: float = 7200.0


@attrs.frozen(kw_only=True)
class ChannelSpec:
    """``[[channel]]``: a channel's service-level threshold and its customers' and agents' behaviour."""

    channel: Channel
    service_level: float | None
    handle_time: Distribution
    service_level_target: float = DEFAULT_SERVICE_LEVEL_TARGET
    patience: Distribution | None = None
    accept_delay: Distribution = _NO_DELAY
    reject_probability: float = 0.0
    turns: Distribution | None = None
    reply_delay: Distribution | None = None


@attrs.frozen(kw_only=True)
class ArrivalStream:
    """``[[arrivals]]``: contacts arriving on one channel, at a rate or by an intraday profile."""

    channel: Channel
    profile: tuple[tuple[float, float], ...]
    tiers: tuple[tuple[str, float], ...] = (("standard", 1.0),)
    skills: dict[str, int] = attrs.field(factory=dict, converter=_frozen_levels)
    priority: int = 0
    head_start: float = 0.0
    fallback_probability: float = 1.0


@attrs.frozen(kw_only=True)
class TraceArrivals:
    """``[[arrivals]]`` with ``trace``: recorded contacts, each arriving once at its recorded time.

    Args:
        index: The entry's position in the ``[[arrivals]]`` list, which error messages name.
        path: The trace CSV (:mod:`routekit.datasets.trace`).
        columns: Trace column name to the CSV's own header name, for the columns named differently.
        records: The recorded contacts, by arrival; ``arrival`` is in simulated seconds.
        use_patience: Whether a record's patience replaces the channel's patience draw; ``False`` draws
            every contact's patience from its channel, as if the trace had no patience column.
    """

    index: int
    path: Path
    columns: dict[str, str] = attrs.field(factory=dict)
    records: tuple[TraceRecord, ...] = attrs.field(default=(), repr=False)
    use_patience: bool = True

    @property
    def channels(self) -> frozenset[Channel]:
        """The channels the recorded contacts arrive on."""
        return frozenset(record.channel for record in self.records)


@attrs.frozen(kw_only=True)
class AgentGroup:
    """``[[agents]]``: ``count`` agents alike, logged in for a shift."""

    name: str
    count: int
    capacity: dict[Channel, int]
    skills: dict[str, int] = attrs.field(factory=dict)
    teams: frozenset[str] = frozenset()
    wrap_up: dict[Channel, float] = attrs.field(factory=dict)
    shift: tuple[float, float] | None = None
    # (start second, agents logged in from then on) rows, starts increasing; None: no staffing table.
    staffing: tuple[tuple[float, int], ...] | None = None


@attrs.frozen(kw_only=True)
class PolicySpec:
    """``[policy]``: the routing policy and the router's settings."""

    kind: str = "skills"
    relax: tuple[tuple[float, int | str], ...] = ()
    tiers: tuple[str, ...] = ("standard", "silver", "gold", "platinum")
    gates: dict[Channel, str] = attrs.field(factory=dict)
    fallback: dict[Channel, Channel] = attrs.field(factory=dict)
    boost: dict[str, int] = attrs.field(factory=dict)
    teams: dict[str, tuple[str, float]] = attrs.field(factory=dict)
    hold: float = 120.0
    window: float = 300.0
    park_ttl: float = 86400.0
    router: dict[str, Any] = attrs.field(factory=dict)

    def build(self) -> RoutingPolicy:
        """The policy these settings describe.

        Raises:
            ScenarioError: The policy refuses the settings (for example an unknown tier name).
        """
        try:
            policy: RoutingPolicy = Skills(relax=self.relax)
            if self.kind == "mobile-support":
                policy = TierGate(
                    tiers=Tiers(self.tiers),
                    gates=self.gates,
                    fallback=self.fallback,
                    boost=self.boost,
                    teams=self.teams,
                    then=policy,
                )
                policy = Sticky(self.hold, self.window, park_ttl=self.park_ttl, then=policy)
        except ConfigError as error:
            # Name the scenario's key path, not the policy class's field behind it.
            message = str(error).replace("TierGate.", "policy.tiers.").replace("Sticky.", "policy.sticky.")
            message = re.sub(r"\[['\"]?([\w-]+)['\"]?\]", r".\1", message, count=1)
            raise ScenarioError(message if message.startswith("policy.") else f"policy: {message}") from None
        return policy

    def router_settings(self) -> dict[str, Any]:
        """Keyword settings for :class:`~routekit.Router`."""
        return dict(self.router)


@attrs.frozen(kw_only=True)
class Scenario:
    """A whole scenario: the run, the channels, the arrivals, the agents and the policy."""

    run: RunSpec
    channels: dict[str, ChannelSpec]
    arrivals: tuple[ArrivalStream, ...]
    agents: tuple[AgentGroup, ...]
    policy: PolicySpec
    source: Mapping[str, Any] = attrs.field(eq=False, repr=False)
    base: Path | None = attrs.field(default=None, eq=False, repr=False)
    traces: tuple[TraceArrivals, ...] = ()

    def service_levels(self) -> dict[Channel, float]:
        """Each channel's service-level threshold, in seconds."""
        return {spec.channel: spec.service_level for spec in self.channels.values() if spec.service_level is not None}


# ------------------------------------------------------------------------------------------------ parse

_TOP = {"run", "channel", "arrivals", "agents", "policy"}
_RUN = {"horizon", "customers", "warmup_customers", "start", "interval", "drain"}
_CHANNEL = {
    "name",
    "service_level",
    "service_level_target",
    "handle_time",
    "patience",
    "accept_delay",
    "reject_probability",
    "turns",
    "reply_delay",
}
_ARRIVALS = {
    "channel",
    "rate",
    "profile",
    "tiers",
    "skills",
    "priority",
    "head_start",
    "fallback_probability",
}
_AGENTS = {"name", "count", "capacity", "skills", "teams", "wrap_up", "shift", "staffing"}
_TRACE = {"trace", "columns", "use_patience"}
_POLICY = {"kind", "skills", "tiers", "sticky", "router"}
_ROUTER = {"selection", "reoffer_delay", "offer_timeout", "away_on_missed_offer", "wrap_up", "retention"}


def _run(data: Any) -> RunSpec:
    run = _table(data, "run")
    _keys(run, "run", _RUN)
    horizon = _number(run["horizon"], "run.horizon", strict=True) if "horizon" in run else None
    customers = _integer(run["customers"], "run.customers", minimum=1) if "customers" in run else None
    if horizon is None and customers is None:
        raise ScenarioError("run.horizon: missing (give run.horizon in seconds, or run.customers)")
    return RunSpec(
        horizon=horizon,
        customers=customers,
        warmup_customers=_integer(run.get("warmup_customers", 0), "run.warmup_customers"),
        start=_number(run.get("start", 0.0), "run.start"),
        interval=_number(run.get("interval", 1800.0), "run.interval", strict=True),
        drain=_number(run.get("drain", 7200.0), "run.drain"),
    )


def _channels(data: Any, base: Path | None) -> dict[str, ChannelSpec]:
    if not isinstance(data, list) or not data:
        raise ScenarioError("channel: expected a non-empty list of [[channel]] tables")
    channels: dict[str, ChannelSpec] = {}
    for i, entry in enumerate(data):
        path = f"channel[{i}]"
        spec = _table(entry, path)
        _keys(spec, path, _CHANNEL, ("name", "handle_time"))
        channel = _channel(spec["name"], f"{path}.name")
        if channel.value in channels:
            raise ScenarioError(f"{path}.name: channel {channel.value!r} is described twice")
        level = spec.get("service_level")
        optional = {
            key: _distribution(spec[key], f"{path}.{key}", base) if key in spec else None
            for key in ("patience", "turns", "reply_delay")
        }
        if optional["turns"] is not None and optional["reply_delay"] is None:
            raise ScenarioError(f"{path}.reply_delay: missing (a conversation of several turns needs it)")
        if optional["turns"] is not None and channel.synchronous:
            raise ScenarioError(f"{path}.turns: only asynchronous channels have conversations of turns")
        channels[channel.value] = ChannelSpec(
            channel=channel,
            service_level=None if level is None else _number(level, f"{path}.service_level"),
            service_level_target=_share(
                spec.get("service_level_target", DEFAULT_SERVICE_LEVEL_TARGET), f"{path}.service_level_target"
            ),
            handle_time=_distribution(spec["handle_time"], f"{path}.handle_time", base),
            patience=optional["patience"],
            accept_delay=_distribution(spec["accept_delay"], f"{path}.accept_delay", base)
            if "accept_delay" in spec
            else _NO_DELAY,
            reject_probability=_probability(spec.get("reject_probability", 0.0), f"{path}.reject_probability"),
            turns=optional["turns"],
            reply_delay=optional["reply_delay"],
        )
    return channels


def _profile(entry: Mapping[str, Any], path: str) -> tuple[tuple[float, float], ...]:
    if ("rate" in entry) == ("profile" in entry):
        raise ScenarioError(f"{path}.rate: give either rate (per hour) or profile ([[hour, rate], ...])")
    if "rate" in entry:
        return ((0.0, _number(entry["rate"], f"{path}.rate")),)
    points = entry["profile"]
    if not isinstance(points, list) or not points:
        raise ScenarioError(f"{path}.profile: expected a non-empty list of [hour, rate] pairs")
    profile: list[tuple[float, float]] = []
    for j, point in enumerate(points):
        where = f"{path}.profile[{j}]"
        if not isinstance(point, list) or len(point) != 2:
            raise ScenarioError(f"{where}: expected [hour, rate], got {point!r}")
        hour, rate = _number(point[0], f"{where}[0]"), _number(point[1], f"{where}[1]")
        if profile and hour <= profile[-1][0]:
            raise ScenarioError(f"{where}[0]: hours must increase, got {hour!r} after {profile[-1][0]!r}")
        profile.append((hour, rate))
    return tuple(profile)


def _arrivals(data: Any, channels: Mapping[str, ChannelSpec]) -> tuple[ArrivalStream, ...]:
    if not isinstance(data, list) or not data:
        raise ScenarioError("arrivals: expected a non-empty list of [[arrivals]] tables")
    streams = []
    for i, entry in enumerate(data):
        if _is_trace(entry):
            continue  # a recorded trace, read by _traces
        path = f"arrivals[{i}]"
        spec = _table(entry, path)
        _keys(spec, path, _ARRIVALS, ("channel",))
        channel = _channel(spec["channel"], f"{path}.channel")
        if channel.value not in channels:
            raise ScenarioError(f"{path}.channel: no [[channel]] describes {channel.value!r}")
        shares = _table(spec.get("tiers", {"standard": 1.0}), f"{path}.tiers")
        tiers = tuple((_string(t, f"{path}.tiers"), _number(p, f"{path}.tiers.{t}")) for t, p in shares.items())
        total = sum(p for _, p in tiers)
        if not tiers or total <= 0:
            raise ScenarioError(f"{path}.tiers: the shares must add up to more than 0, got {dict(shares)!r}")
        streams.append(
            ArrivalStream(
                channel=channel,
                profile=_profile(spec, path),
                tiers=tuple((t, p / total) for t, p in tiers),
                skills=_levels(spec.get("skills", {}), f"{path}.skills"),
                priority=_integer(spec.get("priority", 0), f"{path}.priority", minimum=None),
                head_start=_number(spec.get("head_start", 0.0), f"{path}.head_start"),
                fallback_probability=_probability(
                    spec.get("fallback_probability", 1.0), f"{path}.fallback_probability"
                ),
            )
        )
    return tuple(streams)


def _agents(data: Any, base: Path | None = None) -> tuple[AgentGroup, ...]:
    if not isinstance(data, list) or not data:
        raise ScenarioError("agents: expected a non-empty list of [[agents]] tables")
    groups = []
    names: set[str] = set()
    for i, entry in enumerate(data):
        path = f"agents[{i}]"
        spec = _table(entry, path)
        _keys(spec, path, _AGENTS, ("capacity",) if "staffing" in spec else ("count", "capacity"))
        staffing = _staffing(spec["staffing"], f"{path}.staffing", base) if "staffing" in spec else None
        name = _string(spec.get("name", f"g{i}"), f"{path}.name")
        if name in names:
            raise ScenarioError(f"{path}.name: group {name!r} is named twice")
        names.add(name)
        teams = spec.get("teams", [])
        if not isinstance(teams, list):
            raise ScenarioError(f"{path}.teams: expected a list of team names, got {teams!r}")
        groups.append(
            AgentGroup(
                name=name,
                count=_staffed_count(spec, path, staffing),
                capacity=_per_channel(spec["capacity"], f"{path}.capacity", _integer),
                skills=_levels(spec.get("skills", {}), f"{path}.skills"),
                teams=frozenset(_string(t, f"{path}.teams") for t in teams),
                wrap_up=_per_channel(spec.get("wrap_up", {}), f"{path}.wrap_up", _number),
                shift=_hours(spec["shift"], f"{path}.shift") if "shift" in spec else None,
                staffing=staffing,
            )
        )
    return tuple(groups)


def _is_trace(entry: Any) -> bool:
    return isinstance(entry, Mapping) and "trace" in entry


def _traces(data: Any, channels: Mapping[str, ChannelSpec], base: Path | None) -> tuple[TraceArrivals, ...]:
    """The ``[[arrivals]]`` entries that replay a trace (``_arrivals`` has checked the list)."""
    return tuple(_trace(entry, i, channels, base) for i, entry in enumerate(data) if _is_trace(entry))


def _trace(
    spec: Mapping[str, Any], index: int, channels: Mapping[str, ChannelSpec], base: Path | None
) -> TraceArrivals:
    path = f"arrivals[{index}]"
    _keys(spec, path, _TRACE)
    name = _string(spec["trace"], f"{path}.trace")
    file = Path(name) if base is None else base / name
    columns: dict[str, str] = {}
    for column, header in _table(spec.get("columns", {}), f"{path}.columns").items():
        if column not in TRACE_COLUMNS:
            raise ScenarioError(
                f"{path}.columns.{column}: unknown trace column; expected one of {', '.join(TRACE_COLUMNS)}"
            )
        columns[column] = _string(header, f"{path}.columns.{column}")
    use_patience = spec.get("use_patience", True)
    if not isinstance(use_patience, bool):
        raise ScenarioError(f"{path}.use_patience: expected true or false, got {use_patience!r}")
    try:
        records = read_trace(file, columns=columns)
    except OSError as error:
        raise ScenarioError(f"{path}.trace: cannot read {name!r}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}.trace: {name!r} is not a UTF-8 text file") from None
    except ScenarioError as error:
        raise ScenarioError(f"{path}.trace: {error}") from None
    trace = TraceArrivals(index=index, path=file, columns=columns, records=records, use_patience=use_patience)
    for channel in sorted(trace.channels):
        if channel.value not in channels:
            first = next(r.arrival for r in records if r.channel is channel)
            raise ScenarioError(
                f"{path}.trace: {name!r} has {channel.value!r} contacts (the first at {first:g} s), "
                f"but no [[channel]] describes {channel.value!r}"
            )
    return trace


def _staffing(value: Any, path: str, base: Path | None) -> tuple[tuple[float, int], ...]:
    """A staffing table: a CSV file name (columns ``start`` and ``agents``) or [start, agents] pairs."""
    if isinstance(value, str):
        rows = _staffing_file(value, path, base)
    elif isinstance(value, list):
        rows = []
        for j, pair in enumerate(value):
            if not isinstance(pair, list) or len(pair) != 2:
                raise ScenarioError(f"{path}[{j}]: expected [start seconds, agents], got {pair!r}")
            rows.append((_number(pair[0], f"{path}[{j}][0]"), _integer(pair[1], f"{path}[{j}][1]")))
    else:
        raise ScenarioError(
            f"{path}: expected a CSV file name or a list of [start seconds, agents] pairs, got {value!r}"
        )
    if not rows:
        raise ScenarioError(f"{path}: the staffing table has no rows")
    for (before, _), (start, _) in itertools.pairwise(rows):
        if start <= before:
            raise ScenarioError(f"{path}: starts must increase, got {start:g} after {before:g}")
    return tuple(rows)


def _staffing_file(name: str, path: str, base: Path | None) -> list[tuple[float, int]]:
    file = Path(name) if base is None else base / name
    try:
        with open(file, newline="", encoding="utf-8-sig") as stream:
            reader = csv.reader(stream)
            header = [cell.strip() for cell in next(reader, [])]
            missing = [column for column in ("start", "agents") if column not in header]
            if missing:
                raise ScenarioError(
                    f"{path}: {name} row 1: missing column(s) {', '.join(map(repr, missing))} (header {header})"
                )
            at, count = header.index("start"), header.index("agents")
            rows = []
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                where = f"{path}: {name} row {reader.line_num}"
                if len(row) != len(header):
                    raise ScenarioError(f"{where}: {len(row)} fields, but the header has {len(header)}")
                rows.append(_staffing_row(row[at].strip(), row[count].strip(), where))
            return rows
    except OSError as error:
        raise ScenarioError(f"{path}: cannot read {name!r}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: {name!r} is not a UTF-8 text file") from None


def _staffing_row(start: str, agents: str, where: str) -> tuple[float, int]:
    try:
        seconds = float(start)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise ScenarioError(f"{where}, column 'start': expected a number of seconds >= 0, got {start!r}")
    if not (agents.isascii() and agents.isdigit()):
        raise ScenarioError(f"{where}, column 'agents': expected an integer >= 0, got {agents!r}")
    return seconds, int(agents)


def _staffed_count(spec: Mapping[str, Any], path: str, staffing: tuple[tuple[float, int], ...] | None) -> int:
    """A group's ``count``; with a staffing table, at least its largest row (its largest row by default)."""
    if staffing is None:
        return _integer(spec["count"], f"{path}.count")
    if "shift" in spec:
        raise ScenarioError(f"{path}.shift: give a shift or a staffing table, not both")
    most = max(agents for _, agents in staffing)
    if "count" not in spec:
        return most
    count = _integer(spec["count"], f"{path}.count")
    if count < most:
        raise ScenarioError(f"{path}.count: {count} is less than the staffing table's {most} agents")
    return count


def _relax(value: Any, path: str) -> tuple[tuple[float, int | str], ...]:
    if not isinstance(value, list):
        raise ScenarioError(f"{path}: expected a list of [seconds, step] pairs, got {value!r}")
    steps: list[tuple[float, int | str]] = []
    for j, step in enumerate(value):
        if not isinstance(step, list) or len(step) != 2 or isinstance(step[1], bool):
            raise ScenarioError(f"{path}[{j}]: expected [seconds, levels | 'names' | 'any'], got {step!r}")
        if not isinstance(step[1], int | str):
            raise ScenarioError(f"{path}[{j}][1]: expected levels, 'names' or 'any', got {step[1]!r}")
        steps.append((_number(step[0], f"{path}[{j}][0]"), step[1]))
    try:
        Skills(relax=steps)
    except ConfigError as error:
        raise ScenarioError(f"{path}: {error}") from None
    return tuple(steps)


def _policy(data: Any) -> PolicySpec:
    spec = _table(data, "policy")
    _keys(spec, "policy", _POLICY)
    kind = _string(spec.get("kind", "skills"), "policy.kind")
    if kind not in ("skills", "mobile-support"):
        raise ScenarioError(f"policy.kind: unknown policy {kind!r}; expected 'skills' or 'mobile-support'")
    fields: dict[str, Any] = {"kind": kind}
    if "skills" in spec:
        skills = _table(spec["skills"], "policy.skills")
        _keys(skills, "policy.skills", {"relax"})
        fields["relax"] = _relax(skills.get("relax", []), "policy.skills.relax")
    if "tiers" in spec:
        tiers = _table(spec["tiers"], "policy.tiers")
        _keys(tiers, "policy.tiers", {"names", "gates", "fallback", "boost", "teams"})
        if "names" in tiers:
            names = tiers["names"]
            if not isinstance(names, list) or not names:
                raise ScenarioError(f"policy.tiers.names: expected a list of tier names, lowest first, got {names!r}")
            fields["tiers"] = tuple(_string(n, "policy.tiers.names") for n in names)
        fields["gates"] = _per_channel(tiers.get("gates", {}), "policy.tiers.gates", _string)
        fields["fallback"] = _per_channel(tiers.get("fallback", {}), "policy.tiers.fallback", _channel)
        boost = _table(tiers.get("boost", {}), "policy.tiers.boost")
        fields["boost"] = {t: _integer(b, f"policy.tiers.boost.{t}", minimum=None) for t, b in boost.items()}
        teams = _table(tiers.get("teams", {}), "policy.tiers.teams")
        parsed: dict[str, tuple[str, float]] = {}
        for tier, entry in teams.items():
            where = f"policy.tiers.teams.{tier}"
            if not isinstance(entry, list) or len(entry) != 2:
                raise ScenarioError(f"{where}: expected [team, overflow seconds], got {entry!r}")
            parsed[tier] = (_string(entry[0], f"{where}[0]"), _number(entry[1], f"{where}[1]", strict=True))
        fields["teams"] = parsed
    if "sticky" in spec:
        sticky = _table(spec["sticky"], "policy.sticky")
        _keys(sticky, "policy.sticky", {"hold", "window", "park_ttl"})
        for key in ("hold", "window", "park_ttl"):
            if key in sticky:
                fields[key] = _number(sticky[key], f"policy.sticky.{key}")
    if "router" in spec:
        router = _table(spec["router"], "policy.router")
        _keys(router, "policy.router", _ROUTER)
        settings: dict[str, Any] = {}
        for key in ("reoffer_delay", "wrap_up", "retention"):
            if key in router:
                settings[key] = _number(router[key], f"policy.router.{key}")
        if "offer_timeout" in router:
            settings["offer_timeout"] = _per_channel(
                router["offer_timeout"],
                "policy.router.offer_timeout",
                lambda v, p: _number(v, p, strict=True),
            )
        if "away_on_missed_offer" in router:
            if not isinstance(router["away_on_missed_offer"], bool):
                raise ScenarioError("policy.router.away_on_missed_offer: expected true or false")
            settings["away_on_missed_offer"] = router["away_on_missed_offer"]
        if "selection" in router:
            name = _string(router["selection"], "policy.router.selection")
            if name not in SELECTIONS:
                names = ", ".join(SELECTIONS)
                raise ScenarioError(f"policy.router.selection: unknown selection {name!r}; expected {names}")
            selection: Selection = SELECTIONS[name]
            settings["selection"] = selection
        fields["router"] = settings
    policy = PolicySpec(**fields)
    policy.build()
    return policy


def scenario_from_dict(data: Mapping[str, Any], *, base: Path | None = None) -> Scenario:
    """Check and read a scenario given as plain data (what ``tomllib`` returns).

    Args:
        data: The scenario's tables.
        base: The folder relative paths in the scenario (empirical CSVs) are read from.

    Raises:
        ScenarioError: An unknown key, a wrong type, a missing or bad value, naming the key path.
    """
    top = _table(data, "scenario")
    _keys(top, "", _TOP, ("run", "channel", "arrivals", "agents"))
    channels = _channels(top["channel"], base)
    scenario = Scenario(
        run=_run(top["run"]),
        channels=channels,
        arrivals=_arrivals(top["arrivals"], channels),
        traces=_traces(top["arrivals"], channels, base),
        agents=_agents(top["agents"], base),
        policy=_policy(top.get("policy", {})),
        source=copy.deepcopy(dict(top)),
        base=base,
    )
    generated = [i for i, entry in enumerate(top["arrivals"]) if not _is_trace(entry)]
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
