"""``routekit simulate``: run a scenario (the built-in mobile-support day by default) and print its KPIs."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from typing import Any

from routekit._tables import csv_text
from routekit.commands import add_format, add_plot
from routekit.errors import RoutekitError
from routekit.sim.charts import plot
from routekit.sim.replications import KPI_NAMES, Estimate, SimulationResult, simulate
from routekit.sim.scenario import Scenario, builtin_scenario, load_scenario

__all__ = ["format_csv", "format_json", "format_table", "register", "unroutable_warnings"]


def register(subparsers: Any) -> None:
    """Add ``simulate`` to the command line."""
    parser = subparsers.add_parser(
        "simulate",
        help="simulate a day of contact-center work on a routing policy and print its KPIs",
        description="Simulate a scenario (the built-in mobile-support day when none is given) and print "
        "KPIs per channel and tier, with 95% intervals over replications.",
    )
    parser.add_argument("scenario", nargs="?", help="a scenario TOML file (default: the built-in day)")
    parser.add_argument("--reps", type=int, default=1, help="independent replications (default 1)")
    parser.add_argument("--seed", type=int, default=0, help="the root seed (default 0)")
    parser.add_argument("--customers", type=int, default=None, help="stop arrivals after N customers")
    add_format(parser)
    add_plot(parser, "also draw the day chart by interval, per channel")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Simulate and print; a bad scenario or argument is a message on stderr and exit status 2."""
    try:
        if args.reps < 1:
            raise RoutekitError(f"--reps must be at least 1, got {args.reps}")
        if args.customers is not None and args.customers < 1:
            raise RoutekitError(f"--customers must be at least 1, got {args.customers}")
        if args.plot is not None and importlib.util.find_spec("matplotlib") is None:
            raise RoutekitError("--plot needs matplotlib: pip install 'routekit[plot]'")
        scenario: Scenario = load_scenario(args.scenario) if args.scenario else builtin_scenario()
        result = _simulate(scenario, args)
    except RoutekitError as error:
        print(f"routekit simulate: {error}", file=sys.stderr)
        return 2
    for line in unroutable_warnings(result):
        print(f"routekit simulate: warning: {line}", file=sys.stderr)
    formatter = {"table": format_table, "json": format_json, "csv": format_csv}[args.format]
    sys.stdout.write(formatter(result))
    if args.plot is not None:
        try:
            plot(result, args.plot, scenario=scenario)
        except OSError as error:
            print(f"routekit simulate: cannot write {args.plot}: {error.strerror}", file=sys.stderr)
            return 2
        print(f"routekit simulate: wrote {args.plot}", file=sys.stderr)
    return 0


def unroutable_warnings(result: SimulationResult) -> list[str]:
    """One line per arrival stream with contacts that no agent on the roster can serve."""
    totals: dict[str, int] = {}
    for run in result.runs:
        for stream, count in run.unroutable.items():
            totals[stream] = totals.get(stream, 0) + count
    reps = len(result.runs)
    return [
        f"{stream}: no agent on the roster can serve these contacts; {count / reps:g} per replication "
        "were denied (reason unroutable, in the denied column)"
        for stream, count in totals.items()
    ]


def _simulate(scenario: Scenario, args: argparse.Namespace) -> SimulationResult:
    # A bar only where someone watches: stderr a terminal, and a run long enough to want one.
    if args.reps > 1 and sys.stderr.isatty():
        from tqdm import tqdm

        with tqdm(total=args.reps, desc="replications", unit="rep", file=sys.stderr, delay=2.0) as bar:
            return simulate(scenario, reps=args.reps, seed=args.seed, customers=args.customers, progress=bar.update)
    return simulate(scenario, reps=args.reps, seed=args.seed, customers=args.customers)


def _cell(estimate: Estimate, scale: float, digits: int, reps: int) -> str:
    if estimate.mean is None:
        return "-"
    text = f"{estimate.mean * scale:.{digits}f}"
    if reps > 1 and estimate.ci95 is not None:
        text += f"±{estimate.ci95 * scale:.{digits}f}"
    return text


def format_table(result: SimulationResult) -> str:
    """KPIs per channel and tier as a fixed-width table (means, with 95% half-widths over replications)."""
    reps = len(result.runs)
    columns = [
        ("offered", 1.0, 0),
        ("handled", 1.0, 0),
        ("denied", 1.0, 0),
        ("abandon_rate", 100.0, 1),
        ("service_level", 100.0, 1),
        ("asa", 1.0, 1),
        ("occupancy", 100.0, 1),
    ]
    heads = ["offered", "handled", "denied", "abandon %", "SL %", "ASA s", "occupancy %"]
    width = 13 if reps > 1 else 9
    lines = [f"{'channel':<10} {'tier':<9}" + "".join(f" {h:>{width + 2}}" for h in heads)]
    for row in result.rows:
        if row.kpis["offered"].mean == 0 and row.kpis["denied"].mean in (None, 0):
            continue
        cells = [_cell(row.kpis[name], scale, digits, reps) for name, scale, digits in columns]
        lines.append(f"{row.channel:<10} {row.tier:<9}" + "".join(f" {c:>{width + 2}}" for c in cells))
    plural = "s" if reps > 1 else ""
    lines.append(f"{reps} replication{plural}, seed {result.seed}; ± is a 95% t interval over replications")
    return "\n".join(lines) + "\n"


def format_json(result: SimulationResult) -> str:
    """``{"kpis": [...], "replications": [...]}``: every KPI as ``{"mean": x, "ci95": h}`` per row."""
    kpis = [
        {
            "channel": row.channel,
            "tier": row.tier,
            **{name: {"mean": row.kpis[name].mean, "ci95": row.kpis[name].ci95} for name in KPI_NAMES},
        }
        for row in result.rows
    ]
    replications = [
        {name: getattr(run.report.overall, name) for name in KPI_NAMES} | {"customers": run.customers}
        for run in result.runs
    ]
    return json.dumps({"seed": result.seed, "kpis": kpis, "replications": replications}, indent=2) + "\n"


def format_csv(result: SimulationResult) -> str:
    """One row per channel and tier (``result.to_rows("wide")``); each KPI as ``<kpi>_mean`` and ``<kpi>_ci95``.

    An empty cell is a value that does not exist: a KPI without contacts, or the interval of one replication.
    """
    return csv_text(result.columns("wide"), result.to_rows("wide"))
