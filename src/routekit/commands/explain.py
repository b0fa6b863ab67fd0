"""``routekit explain``: why a contact is where it is, read from a saved router snapshot."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from routekit._tables import csv_text
from routekit.errors import RoutekitError
from routekit.explanation import Explanation
from routekit.policies.skills import Skills
from routekit.router import Router

__all__ = ["AGENT_COLUMNS", "agent_rows", "register"]

AGENT_COLUMNS = ("contact_id", "state", "stage", "position", "agent_id", "eligible", "rank", "reason")
"""The columns of ``routekit explain --format csv``: one row per agent's standing for the contact."""


def agent_rows(explanation: Explanation) -> list[dict[str, Any]]:
    """One row per agent of the explanation, with :data:`AGENT_COLUMNS`; empty cells where nothing applies."""
    contact = {
        "contact_id": explanation.contact_id,
        "state": explanation.state,
        "stage": explanation.stage,
        "position": explanation.position,
    }
    return [
        contact | {"agent_id": v.agent_id, "eligible": v.eligible, "rank": v.rank, "reason": v.reason}
        for v in explanation.agents
    ]


def register(subparsers: Any) -> None:
    """Add ``explain`` to the command line."""
    parser = subparsers.add_parser(
        "explain",
        help="explain a contact's routing from a saved router snapshot",
        description="Read a snapshot (the JSON of Router.snapshot()) and explain one contact: its plan, stage, "
        "place in the queue, and why each agent is eligible or ruled out.",
    )
    parser.add_argument("snapshot", help="a JSON file written from Router.snapshot()")
    parser.add_argument("contact", help="the contact id")
    parser.add_argument(
        "--format",
        choices=("table", "text", "json", "csv"),
        default="table",
        help="output format (default: table, the plain-text report; text is another name for it)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Explain and print; 2 for an unreadable snapshot or an unknown contact."""
    try:
        data = json.loads(Path(args.snapshot).read_text())
        # Explaining reads state only: the plans are in the snapshot, so any policy restores it.
        router = Router.restore(data, Skills())
        explanation = router.explain(args.contact)
    except RoutekitError as error:
        print(f"routekit explain: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"routekit explain: cannot read {args.snapshot}: {error.strerror}", file=sys.stderr)
        return 2
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        print(f"routekit explain: {args.snapshot} is not a router snapshot ({error!r})", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(explanation.to_dict(), indent=2))
    elif args.format == "csv":
        sys.stdout.write(csv_text(AGENT_COLUMNS, agent_rows(explanation)))
    else:
        print(explanation.text())
    return 0
