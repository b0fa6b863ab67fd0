"""The ``routekit`` command line: ``routekit --version``, ``routekit --help`` and the subcommands."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from types import ModuleType

from routekit import __version__
from routekit.commands import check, explain, replay, roster, simulate, staff, sweep

COMMANDS: tuple[ModuleType, ...] = (simulate, staff, check, explain, replay, sweep, roster)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="routekit",
        description="Contact-center routing: simulate a day on a routing policy, size staff with Erlang A.",
    )
    parser.add_argument("--version", action="version", version=f"routekit {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        status: int = args.func(args)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader left (``routekit check | head -1``): end quietly, as other Unix tools do, with the
        # status of a process ended by SIGPIPE; stdout goes to devnull so that the exit flush is silent.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + 13
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
