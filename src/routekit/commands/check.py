"""``routekit check``: static checks of a scenario's policy against its roster, before anything runs."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import attrs

from routekit._tables import csv_text
from routekit.errors import RoutekitError
from routekit.sim.check import check_scenario
from routekit.sim.scenario import builtin_scenario, load_scenario

__all__ = ["FINDING_COLUMNS", "register"]

FINDING_COLUMNS = ("severity", "code", "where", "message", "suggestion")
"""The columns of ``routekit check --format csv``, one row per finding."""


def register(subparsers: Any) -> None:
    """Add ``check`` to the command line."""
    parser = subparsers.add_parser(
        "check",
        help="check a scenario's routing policy against its roster before running it",
        description="Report stages no agent can match, stages that widen nothing, late relaxations, "
        "tiers that boosts can starve, gates whose fallback nobody serves, and long sticky windows. "
        "Exit status 1 when there is an error-level finding.",
    )
    parser.add_argument("scenario", nargs="?", help="a scenario TOML file (default: the built-in day)")
    parser.add_argument(
        "--format",
        choices=("table", "text", "json", "csv"),
        default="table",
        help="output format (default: table, one line per finding; text is another name for it)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Check and print the findings; 1 with an error-level finding, 2 for a bad scenario."""
    try:
        scenario = load_scenario(args.scenario) if args.scenario else builtin_scenario()
        findings = check_scenario(scenario)
    except RoutekitError as error:
        print(f"routekit check: {error}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps([attrs.asdict(f) for f in findings], indent=2))
    elif args.format == "csv":
        sys.stdout.write(csv_text(FINDING_COLUMNS, [attrs.asdict(f) for f in findings]))
    else:
        for finding in findings:
            print(finding.text())
        words = {"error": "error", "warning": "warning", "info": "note"}
        counts = {word: sum(f.severity == severity for f in findings) for severity, word in words.items()}
        print(", ".join(f"{n} {word}{'' if n == 1 else 's'}" for word, n in counts.items()))
    return 1 if any(f.severity == "error" for f in findings) else 0
