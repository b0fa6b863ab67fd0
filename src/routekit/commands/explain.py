"""``routekit explain``: why a contact is where it is, read from a saved router snapshot."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from routekit.errors import RoutekitError
from routekit.policies.skills import Skills
from routekit.router import Router

__all__ = ["register"]


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
    parser.add_argument("--format", choices=("text", "json"), default="text")
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
    else:
        print(explanation.text())
    return 0
