"""``routekit roster``: forecast -> staff per interval -> shifts -> simulate on the policy -> repair, then print.

The chain, one round at a time:

1. each demand of the scenario (an arrival stream's channel and skills) is staffed per interval for
   ``--target`` of contacts within its channel's threshold (Erlang A, or C without a patience), with
   the rates of ``--forecast`` where one is given;
2. ``--shift-hours`` shifts with a ``--break-minutes`` unpaid break are planned at least cost and
   rostered on named agents (``--days-off``, ``--max-hours``, ``--min-rest``);
3. the roster replaces the scenario's agents and the horizon is simulated ``--reps`` times on the
   scenario's own policy;
4. the intervals whose mean service level misses the target, among those expected to bring at least
   ``--min-contacts`` contacts, are reported; while some miss and fewer than ``--rounds`` repair rounds
   have run, one agent is added to each missed interval's largest demand on that channel and the
   round starts again from 2.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import sys
from pathlib import Path
from typing import Any

import attrs

from routekit.analytics import Roster, roster_pool, solve_shifts
from routekit.errors import RoutekitError, ScenarioError
from routekit.sim.replications import simulate
from routekit.sim.rostering import (
    Miss,
    add_staff,
    apply_forecast,
    missed_intervals,
    repeat_days,
    rostered_scenario,
    scenario_requirement,
    shift_templates,
)
from routekit.sim.scenario import Scenario, builtin_scenario, load_scenario

__all__ = ["RosterRound", "read_forecast", "register", "run", "run_rounds"]


@attrs.frozen(kw_only=True)
class RosterRound:
    """One round of the chain: the roster it made and the intervals it missed."""

    round: int
    roster: Roster
    misses: tuple[Miss, ...]


def register(subparsers: Any) -> None:  # argparse's _SubParsersAction is private, hence Any
    """Add ``roster`` to the command line."""
    parser = subparsers.add_parser(
        "roster",
        help="plan shifts and breaks for a scenario's demand, check them by simulation and repair",
        description=(
            "Staff each demand per interval, plan shifts with breaks at least cost, roster named agents, "
            "simulate on the scenario's policy, report the intervals that miss the service-level target, "
            "and add staff there for at most --rounds more rounds."
        ),
        epilog=(
            "Forecast CSV columns: start,rate[,channel]: start as HH:MM, rate in contacts per hour, one row per "
            "run.interval; channel may be left out when the scenario has arrivals on one channel only. "
            "Handle times and patience come from the scenario's channels."
        ),
    )
    parser.add_argument("scenario", nargs="?", help="a scenario TOML file (default: the built-in day)")
    parser.add_argument("--forecast", type=Path, metavar="CSV", help="rates per interval replacing the arrivals")
    parser.add_argument("--days", type=int, default=1, help="copies of the scenario's day to roster (default 1)")
    parser.add_argument(
        "--target",
        type=float,
        default=None,
        help="service-level target share for every channel (default: each channel's service_level_target)",
    )
    parser.add_argument(
        "--min-contacts", type=float, default=20.0, help="expected contacts for an interval to be judged (default 20)"
    )
    parser.add_argument("--shift-hours", type=float, default=8.0, help="length of every shift (default 8)")
    parser.add_argument("--break-minutes", type=float, default=30.0, help="unpaid break per shift (default 30)")
    parser.add_argument("--days-off", type=int, default=None, help="least days off per agent (default 2 a week)")
    parser.add_argument("--max-hours", type=float, default=40.0, help="most paid hours per agent (default 40)")
    parser.add_argument("--min-rest", type=float, default=11.0, help="least hours between shifts (default 11)")
    parser.add_argument("--rounds", type=int, default=2, help="most repair rounds after the first (default 2)")
    parser.add_argument("--reps", type=int, default=5, help="replications per round (default 5)")
    parser.add_argument("--seed", type=int, default=0, help="the root seed (default 0)")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per solve (default 60)")
    parser.add_argument("--format", choices=("table", "json", "csv"), default="table", help="output (default table)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the chain and print it; a bad scenario, forecast or argument is a message on stderr and exit 2."""
    try:
        for name in ("days", "reps"):
            if getattr(args, name) < 1:
                raise RoutekitError(f"--{name} must be at least 1, got {getattr(args, name)}")
        if args.rounds < 0:
            raise RoutekitError(f"--rounds must be at least 0, got {args.rounds}")
        if args.target is not None and not 0.0 < args.target < 1.0:
            raise RoutekitError(f"--target must be a share in (0, 1), such as 0.8, got {args.target}")
        scenario: Scenario = load_scenario(args.scenario) if args.scenario else builtin_scenario()
        if args.forecast is not None:
            scenario = apply_forecast(scenario, read_forecast(args.forecast, scenario))
        if args.days > 1:
            scenario = repeat_days(scenario, args.days)
        days_off = args.days_off if args.days_off is not None else (2 * args.days) // 7
        rounds = run_rounds(
            scenario,
            target=args.target,
            min_contacts=args.min_contacts,
            shift_hours=args.shift_hours,
            break_minutes=args.break_minutes,
            days_off=days_off,
            max_hours=args.max_hours,
            min_rest=args.min_rest,
            rounds=args.rounds,
            reps=args.reps,
            seed=args.seed,
            time_limit=args.time_limit,
        )
    except RoutekitError as error:
        print(f"routekit roster: {error}", file=sys.stderr)
        return 2
    formatter = {"table": format_table, "json": format_json, "csv": format_csv}[args.format]
    sys.stdout.write(formatter(rounds, args))
    return 0


def run_rounds(
    scenario: Scenario,
    *,
    target: float | None = None,
    min_contacts: float = 20.0,
    shift_hours: float = 8.0,
    break_minutes: float = 30.0,
    days_off: int = 0,
    max_hours: float = 40.0,
    min_rest: float = 11.0,
    rounds: int = 2,
    reps: int = 5,
    seed: int = 0,
    time_limit: float = 60.0,
) -> list[RosterRound]:
    """The chain of the module docstring: the first round, then at most ``rounds`` repair rounds.

    Every round simulates with the same ``seed``, so a repair is judged on the same arrivals.

    Returns:
        Every round run, the last one with no misses unless ``rounds`` ran out.
    """
    done: list[RosterRound] = []
    extra: dict[str, dict[int, int]] = {}
    for number in range(rounds + 1):
        requirement, groups = scenario_requirement(scenario, target=target, extra=extra)
        templates = shift_templates(requirement, hours=shift_hours, break_minutes=break_minutes)
        plan = solve_shifts(requirement, templates, groups=groups, time_limit=time_limit)
        result = roster_pool(plan, days_off=days_off, max_hours=max_hours, min_rest=min_rest, time_limit=time_limit)
        simulated = simulate(rostered_scenario(scenario, result), reps=reps, seed=seed)
        misses = tuple(missed_intervals(scenario, simulated, target=target, min_contacts=min_contacts))
        done.append(RosterRound(round=number, roster=result, misses=misses))
        if not misses:
            break
        extra = add_staff(requirement, misses, extra)
    return done


def read_forecast(path: Path, scenario: Scenario) -> dict[str, list[tuple[float, float]]]:
    """Read ``start,rate[,channel]`` rows into rates per channel, as ``(hour of day, per hour)``.

    Raises:
        ScenarioError: An unreadable file, a missing or unknown column, a bad cell (naming the line), or
            no channel column when the scenario has arrivals on several channels.
    """
    channels = sorted({str(stream.channel) for stream in scenario.arrivals})
    forecast: dict[str, list[tuple[float, float]]] = {}
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            columns = [name.strip() for name in reader.fieldnames or ()]
            unknown = sorted(set(columns) - {"start", "rate", "channel"})
            if unknown:
                raise ScenarioError(f"{path}: unknown column(s) {unknown}; the columns are start, rate, channel")
            for needed in ("start", "rate"):
                if needed not in columns:
                    raise ScenarioError(f"{path}: missing column {needed!r}; the header has {columns}")
            if "channel" not in columns and len(channels) != 1:
                raise ScenarioError(f"{path}: no 'channel' column, and the scenario has arrivals on {channels}")
            for row in reader:
                cells = {(key or "").strip(): (value or "").strip() for key, value in row.items()}
                line = reader.line_num
                channel = cells.get("channel") or channels[0]
                forecast.setdefault(channel, []).append((_hour(path, line, cells["start"]), _rate(path, line, cells)))
    except OSError as err:
        raise ScenarioError(f"cannot read forecast {path}: {err.strerror or err}") from None
    except (csv.Error, UnicodeDecodeError) as err:
        raise ScenarioError(f"{path}: not a readable CSV file: {err}") from None
    if not forecast:
        raise ScenarioError(f"{path}: no intervals after the header")
    return forecast


def _hour(path: Path, line: int, text: str) -> float:
    hours, colon, minutes = text.partition(":")
    try:
        value = int(hours) + (int(minutes) / 60.0 if colon else 0.0)
    except ValueError:
        raise ScenarioError(f"{path} line {line}, column 'start': {text!r} is not a time such as 08:30") from None
    return value


def _rate(path: Path, line: int, cells: dict[str, str]) -> float:
    text = cells.get("rate", "")
    try:
        value = float(text)
    except ValueError:
        raise ScenarioError(f"{path} line {line}, column 'rate': {text!r} is not a number") from None
    if not (math.isfinite(value) and value >= 0):
        raise ScenarioError(f"{path} line {line}, column 'rate': {text!r} is not a rate >= 0")
    return value


# --- output ---------------------------------------------------------------------------------------------


def _clock(t: int, interval: float) -> str:
    minutes = round(t * interval / 60.0)
    return f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"


def _summary(done: RosterRound) -> dict[str, Any]:
    result = done.roster
    return {
        "round": done.round,
        "agents": len(result.agents),
        "shifts": len(result.assignments),
        "paid_hours": round(sum(result.hours(a) for a in result.agents), 6),
        "cost": result.plan.value,
        "missed": len(done.misses),
    }


def _target_words(target: float | None) -> str:
    if target is None:
        return "each channel's service_level_target within its threshold"
    return f"target {100 * target:g}% within each channel's threshold"


def format_table(rounds: list[RosterRound], args: argparse.Namespace) -> str:
    """The rounds, the last round's shifts per group, and its missed intervals, as fixed-width text."""
    last = rounds[-1]
    plan = last.roster.plan
    interval = plan.requirement.interval
    lines = [
        f"{_target_words(args.target)}; intervals with >= {args.min_contacts:g} "
        f"expected contacts judged on the mean of {args.reps} replications; at most {args.rounds} repair "
        f"round{'' if args.rounds == 1 else 's'}",
        f"{'round':>5} {'agents':>6} {'shifts':>6} {'paid h':>7} {'missed':>6}",
    ]
    for done in rounds:
        row = _summary(done)
        lines.append(
            f"{row['round']:>5} {row['agents']:>6} {row['shifts']:>6} {row['paid_hours']:>7g} {row['missed']:>6}"
        )
    lines += ["", f"shifts of round {last.round}:", f"{'day':>3} {'start':>5} {'end':>5} {'agents':>6}  group"]
    per_shift: dict[tuple[int, int, int, str], int] = {}
    for a in last.roster.assignments:
        key = (a.day, a.start, a.end, a.group)
        per_shift[key] = per_shift.get(key, 0) + 1
    for (day, start, end, group), count in sorted(per_shift.items()):
        lines.append(f"{day + 1:>3} {_clock(start, interval):>5} {_clock(end, interval):>5} {count:>6}  {group}")
    lines += ["", f"missed intervals of round {last.round}: {len(last.misses)}"]
    for miss in last.misses:
        lines.append(
            f"  {miss.channel:<10} {miss.label}  service level {100 * miss.service_level:.1f}%  "
            f"expected {miss.expected:.1f} contacts"
        )
    return "\n".join(lines) + "\n"


def format_json(rounds: list[RosterRound], args: argparse.Namespace) -> str:
    """Every round's summary and misses, and the last round's assignments, as JSON."""
    interval = rounds[-1].roster.plan.requirement.interval
    document = {
        "target": args.target,
        "min_contacts": args.min_contacts,
        "reps": args.reps,
        "seed": args.seed,
        "rounds": [{**_summary(done), "misses": [attrs.asdict(m) for m in done.misses]} for done in rounds],
        "assignments": [_assignment(a, interval) for a in rounds[-1].roster.assignments],
    }
    return json.dumps(document, indent=2) + "\n"


def format_csv(rounds: list[RosterRound], args: argparse.Namespace) -> str:
    """The last round's assignments, one row per agent and shift."""
    interval = rounds[-1].roster.plan.requirement.interval
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["agent", "group", "day", "template", "start", "end", "breaks"])
    writer.writeheader()
    for a in rounds[-1].roster.assignments:
        writer.writerow(_assignment(a, interval))
    return out.getvalue()


def _assignment(a: Any, interval: float) -> dict[str, Any]:
    return {
        "agent": a.agent,
        "group": a.group,
        "day": a.day + 1,
        "template": a.template,
        "start": _clock(a.start, interval),
        "end": _clock(a.end, interval),
        "breaks": " ".join(_clock(b, interval) for b in a.breaks),
    }
