"""Run the ``routekit`` command line in-process for the CLI tests."""

from __future__ import annotations

import pytest

from routekit.cli import main


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the command line in-process, turning argparse's exit into a status."""
    try:
        status = main(argv)
    except SystemExit as exit_:
        status = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return status, out, err
