"""The subcommands of the ``routekit`` command line, one module each.

Each module has ``register(subparsers)``, which adds its parser and sets ``func``, a callable that takes
the parsed arguments and returns the exit status.
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["add_format", "add_plot"]


def add_format(parser: argparse.ArgumentParser) -> None:
    """``--format table|json|csv``, with the same meaning on every command that prints results."""
    parser.add_argument(
        "--format", choices=("table", "json", "csv"), default="table", help="output format (default: table)"
    )


def add_plot(parser: argparse.ArgumentParser, what: str) -> None:
    """``--plot FILE.png``: also draw ``what`` (the ``plot`` extra)."""
    parser.add_argument("--plot", type=Path, default=None, metavar="FILE.png", help=f"{what} (the plot extra)")
