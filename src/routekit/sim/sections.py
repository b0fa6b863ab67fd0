"""Reading a scenario's TOML tables, section by section and key by key, each error naming the key path.

The readers of single values (``_number``, ``_share``, ``_distribution``, ...) and of each section
(``[run]``, ``[[channel]]``, ``[[arrivals]]``, ``[[agents]]``, ``[policy]``) build the records of
:mod:`routekit.sim.spec`; :func:`routekit.sim.scenario.scenario_from_dict` puts them together.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import itertools
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from routekit.datasets.trace import TRACE_COLUMNS, read_trace
from routekit.errors import ConfigError, RoutekitError, ScenarioError
from routekit.models.channel import Channel
from routekit.models.hours import OpeningHours
from routekit.policies.base import SKIP_IF, Target
from routekit.policies.selection import SELECTIONS, Selection
from routekit.policies.skills import Skills
from routekit.router.estimate import PREDICTORS
from routekit.router.settings import ExceptionRule, RouterSettings
from routekit.sim.distributions import Distribution, distribution_from_spec
from routekit.sim.spec import (
    DEFAULT_MAX_RETRIALS,
    DEFAULT_SERVICE_LEVEL_TARGET,
    NO_DELAY,
    AgentGroup,
    ArrivalStream,
    ChannelSpec,
    PolicySpec,
    RunSpec,
    TraceArrivals,
)

# ---------------------------------------------------------------------------------------------- readers


def read_table(data: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{path}: expected a table, got {type(data).__name__} {data!r}")
    return data


def check_keys(data: Mapping[str, Any], path: str, allowed: set[str], required: Sequence[str] = ()) -> None:
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
    for skill, level in read_table(value, path).items():
        levels[skill] = _integer(level, f"{path}.{skill}", minimum=1)
        if levels[skill] > 5:
            raise ScenarioError(f"{path}.{skill}: a skill level is 1..5, got {level!r}")
    return levels


def _per_channel(value: Any, path: str, read: Any) -> dict[Channel, Any]:
    return {_channel(name, f"{path}.{name}"): read(v, f"{path}.{name}") for name, v in read_table(value, path).items()}


def _distribution(value: Any, path: str, base: Path | None) -> Distribution:
    try:
        return distribution_from_spec(read_table(value, path), path, base=base)
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


# ------------------------------------------------------------------------------------------------ parse

TOP_KEYS = {"run", "channel", "arrivals", "agents", "policy"}
_RUN = {"horizon", "customers", "warmup_customers", "start", "interval", "drain", "date", "timezone", "wait_estimates"}
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
    "retrial_probability",
    "denied_retrial_probability",
    "retrial_delay",
    "max_retrials",
    "hours",
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
_ROUTER = {
    *("selection", "reoffer_delay", "offer_timeout", "away_on_missed_offer", "wrap_up", "retention"),
    *("queue_limits", "queue_fallback", "exception_rules"),
}
_EXCEPTION_RULE = {"name", "trigger", "threshold", "action", "within", "by", "target", "reason"}
_RULE_TARGET = {"channel", "skills", "team", "agent", "rule"}


def _exception_rules(value: Any, path: str) -> dict[str, list[ExceptionRule]]:
    """``[[policy.router.exception_rules.<rule or channel>]]`` tables, each one ``ExceptionRule``."""
    rules: dict[str, list[ExceptionRule]] = {}
    for key, listed in read_table(value, path).items():
        if not isinstance(listed, list):
            raise ScenarioError(f"{path}.{key}: expected a list of rule tables ([[{path}.{key}]]), got {listed!r}")
        rules[key] = []
        for index, entry in enumerate(listed):
            where = f"{path}.{key}[{index}]"
            fields = dict(read_table(entry, where))
            check_keys(fields, where, _EXCEPTION_RULE, required=("name", "trigger", "threshold", "action"))
            try:
                if "target" in fields:
                    target = read_table(fields["target"], f"{where}.target")
                    check_keys(target, f"{where}.target", _RULE_TARGET, required=("channel",))
                    fields["target"] = Target(**target)
                rules[key].append(ExceptionRule(**fields))
            except (ConfigError, TypeError) as error:
                raise ScenarioError(f"{where}: {error}") from None
    try:
        RouterSettings(exception_rules=rules)
    except ConfigError as error:
        raise ScenarioError(f"policy.router.{error}") from None
    return rules


def read_run(data: Any) -> RunSpec:
    run = read_table(data, "run")
    check_keys(run, "run", _RUN)
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
        epoch=_epoch(run),
        wait_estimates=_predictors(run.get("wait_estimates", [])),
    )


def _epoch(run: Mapping[str, Any]) -> float | None:
    """The UNIX time of simulated second 0: ``run.date`` (a TOML date, or ``"YYYY-MM-DD"``) at ``run.start``
    o'clock in ``run.timezone`` (counted as elapsed hours from local midnight, as the simulator's clock is)."""
    zone_name = _string(run.get("timezone", "UTC"), "run.timezone")
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScenarioError(f"run.timezone: not an IANA time-zone name, got {zone_name!r}") from None
    if "date" not in run:
        return None
    value = run["date"]
    if isinstance(value, str):
        with contextlib.suppress(ValueError):  # a bad string falls through to the error below
            value = dt.date.fromisoformat(value)
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ScenarioError(f"run.date: expected a date such as 2026-12-07, got {value!r}")
    midnight = dt.datetime(value.year, value.month, value.day, tzinfo=zone).timestamp()
    return midnight + 3600.0 * _number(run.get("start", 0.0), "run.start")


def _predictors(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or any(name not in PREDICTORS for name in value) or len(set(value)) < len(value):
        raise ScenarioError(
            f"run.wait_estimates: expected a list of distinct predictors among {', '.join(PREDICTORS)}, got {value!r}"
        )
    return tuple(value)


def read_channels(data: Any, base: Path | None) -> dict[str, ChannelSpec]:
    if not isinstance(data, list) or not data:
        raise ScenarioError("channel: expected a non-empty list of [[channel]] tables")
    channels: dict[str, ChannelSpec] = {}
    for i, entry in enumerate(data):
        path = f"channel[{i}]"
        spec = read_table(entry, path)
        check_keys(spec, path, _CHANNEL, ("name", "handle_time"))
        channel = _channel(spec["name"], f"{path}.name")
        if channel.value in channels:
            raise ScenarioError(f"{path}.name: channel {channel.value!r} is described twice")
        level = spec.get("service_level")
        optional = {
            key: _distribution(spec[key], f"{path}.{key}", base) if key in spec else None
            for key in ("patience", "turns", "reply_delay", "retrial_delay")
        }
        if optional["turns"] is not None and optional["reply_delay"] is None:
            raise ScenarioError(f"{path}.reply_delay: missing (a conversation of several turns needs it)")
        if optional["turns"] is not None and channel.synchronous:
            raise ScenarioError(f"{path}.turns: only asynchronous channels have conversations of turns")
        retrial = _probability(spec.get("retrial_probability", 0.0), f"{path}.retrial_probability")
        denied_retrial = _probability(spec.get("denied_retrial_probability", 0.0), f"{path}.denied_retrial_probability")
        if (retrial or denied_retrial) and optional["retrial_delay"] is None:
            raise ScenarioError(f"{path}.retrial_delay: missing (a customer who tries again needs it)")
        hours = None
        if "hours" in spec:
            try:
                hours = OpeningHours.from_data(read_table(spec["hours"], f"{path}.hours"))
            except ConfigError as error:
                raise ScenarioError(f"{path}.hours: {error}") from None
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
            else NO_DELAY,
            reject_probability=_probability(spec.get("reject_probability", 0.0), f"{path}.reject_probability"),
            turns=optional["turns"],
            reply_delay=optional["reply_delay"],
            retrial_probability=retrial,
            denied_retrial_probability=denied_retrial,
            retrial_delay=optional["retrial_delay"],
            max_retrials=_integer(spec.get("max_retrials", DEFAULT_MAX_RETRIALS), f"{path}.max_retrials", minimum=1),
            hours=hours,
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


def read_arrivals(data: Any, channels: Mapping[str, ChannelSpec]) -> tuple[ArrivalStream, ...]:
    if not isinstance(data, list) or not data:
        raise ScenarioError("arrivals: expected a non-empty list of [[arrivals]] tables")
    streams = []
    for i, entry in enumerate(data):
        if is_trace(entry):
            continue  # a recorded trace, read by read_traces
        path = f"arrivals[{i}]"
        spec = read_table(entry, path)
        check_keys(spec, path, _ARRIVALS, ("channel",))
        channel = _channel(spec["channel"], f"{path}.channel")
        if channel.value not in channels:
            raise ScenarioError(f"{path}.channel: no [[channel]] describes {channel.value!r}")
        shares = read_table(spec.get("tiers", {"standard": 1.0}), f"{path}.tiers")
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


def read_agents(data: Any, base: Path | None = None) -> tuple[AgentGroup, ...]:
    if not isinstance(data, list) or not data:
        raise ScenarioError("agents: expected a non-empty list of [[agents]] tables")
    groups = []
    names: set[str] = set()
    for i, entry in enumerate(data):
        path = f"agents[{i}]"
        spec = read_table(entry, path)
        check_keys(spec, path, _AGENTS, ("capacity",) if "staffing" in spec else ("count", "capacity"))
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


def is_trace(entry: Any) -> bool:
    return isinstance(entry, Mapping) and "trace" in entry


def read_traces(data: Any, channels: Mapping[str, ChannelSpec], base: Path | None) -> tuple[TraceArrivals, ...]:
    """The ``[[arrivals]]`` entries that replay a trace (``read_arrivals`` has checked the list)."""
    return tuple(_trace(entry, i, channels, base) for i, entry in enumerate(data) if is_trace(entry))


def _trace(
    spec: Mapping[str, Any], index: int, channels: Mapping[str, ChannelSpec], base: Path | None
) -> TraceArrivals:
    path = f"arrivals[{index}]"
    check_keys(spec, path, _TRACE)
    name = _string(spec["trace"], f"{path}.trace")
    file = Path(name) if base is None else base / name
    columns: dict[str, str] = {}
    for column, header in read_table(spec.get("columns", {}), f"{path}.columns").items():
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


def _skip_if(value: Any, path: str) -> str:
    if value not in SKIP_IF:
        raise ScenarioError(f"{path}: expected {SKIP_IF[0]!r} or {SKIP_IF[1]!r}, got {value!r}")
    return str(value)


def read_policy(data: Any) -> PolicySpec:
    spec = read_table(data, "policy")
    check_keys(spec, "policy", _POLICY)
    kind = _string(spec.get("kind", "skills"), "policy.kind")
    if kind not in ("skills", "mobile-support"):
        raise ScenarioError(f"policy.kind: unknown policy {kind!r}; expected 'skills' or 'mobile-support'")
    fields: dict[str, Any] = {"kind": kind}
    if "skills" in spec:
        skills = read_table(spec["skills"], "policy.skills")
        check_keys(skills, "policy.skills", {"relax", "skip_if"})
        fields["relax"] = _relax(skills.get("relax", []), "policy.skills.relax")
        if "skip_if" in skills:
            fields["skip_if"] = _skip_if(skills["skip_if"], "policy.skills.skip_if")
    if "tiers" in spec:
        tiers = read_table(spec["tiers"], "policy.tiers")
        check_keys(tiers, "policy.tiers", {"names", "gates", "fallback", "boost", "teams", "skip_if"})
        if "skip_if" in tiers:
            fields["team_skip_if"] = _skip_if(tiers["skip_if"], "policy.tiers.skip_if")
        if "names" in tiers:
            names = tiers["names"]
            if not isinstance(names, list) or not names:
                raise ScenarioError(f"policy.tiers.names: expected a list of tier names, lowest first, got {names!r}")
            fields["tiers"] = tuple(_string(n, "policy.tiers.names") for n in names)
        fields["gates"] = _per_channel(tiers.get("gates", {}), "policy.tiers.gates", _string)
        fields["fallback"] = _per_channel(tiers.get("fallback", {}), "policy.tiers.fallback", _channel)
        boost = read_table(tiers.get("boost", {}), "policy.tiers.boost")
        fields["boost"] = {t: _integer(b, f"policy.tiers.boost.{t}", minimum=None) for t, b in boost.items()}
        teams = read_table(tiers.get("teams", {}), "policy.tiers.teams")
        parsed: dict[str, tuple[str, float]] = {}
        for tier, entry in teams.items():
            where = f"policy.tiers.teams.{tier}"
            if not isinstance(entry, list) or len(entry) != 2:
                raise ScenarioError(f"{where}: expected [team, overflow seconds], got {entry!r}")
            parsed[tier] = (_string(entry[0], f"{where}[0]"), _number(entry[1], f"{where}[1]", strict=True))
        fields["teams"] = parsed
    if "sticky" in spec:
        sticky = read_table(spec["sticky"], "policy.sticky")
        check_keys(sticky, "policy.sticky", {"hold", "window", "park_ttl"})
        for key in ("hold", "window", "park_ttl"):
            if key in sticky:
                fields[key] = _number(sticky[key], f"policy.sticky.{key}")
    if "router" in spec:
        router = read_table(spec["router"], "policy.router")
        check_keys(router, "policy.router", _ROUTER)
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
        if "queue_limits" in router:
            limits = read_table(router["queue_limits"], "policy.router.queue_limits")
            settings["queue_limits"] = {
                key: _integer(limit, f"policy.router.queue_limits.{key}") for key, limit in limits.items()
            }
        if "queue_fallback" in router:
            settings["queue_fallback"] = _per_channel(
                router["queue_fallback"], "policy.router.queue_fallback", _channel
            )
            try:
                RouterSettings(queue_fallback=settings["queue_fallback"])
            except ConfigError as error:
                raise ScenarioError(f"policy.router.{error}") from None
        if "exception_rules" in router:
            settings["exception_rules"] = _exception_rules(router["exception_rules"], "policy.router.exception_rules")
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
