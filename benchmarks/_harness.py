"""A small harness shared by the benchmark scripts: common flags, the machine header, min/median timing.

Every script takes ``--seed``, ``--size``, ``--repeat`` and ``--json`` (STYLE.md, section 9), warms up
before it measures, and reports the minimum and the median of its repeats under a header that names the
Python version and the machine. Import it from a script run as ``python benchmarks/<name>.py``: the
script's own folder is first on ``sys.path``.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["Timing", "checkout", "fmt_seconds", "header", "machine", "measure", "measure_side_by_side", "parser"]


def parser(description: str, *, size: int, repeat: int, seed: int = 20260824) -> argparse.ArgumentParser:
    """An argument parser with the flags every benchmark takes; add the script's own flags to it."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--seed", type=int, default=seed, help=f"random seed (default {seed})")
    p.add_argument("--size", type=int, default=size, help=f"problem size (default {size:,})")
    p.add_argument("--repeat", type=int, default=repeat, help=f"timed repeats per case (default {repeat})")
    p.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    return p


def _processor() -> str:
    """The CPU model name from /proc/cpuinfo (Linux), else what :mod:`platform` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    """The Python version and the machine the figures were taken on."""
    return {
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "processor": _processor(),
        "cpus": os.cpu_count(),
    }


def header(name: str, info: dict[str, Any], args: argparse.Namespace) -> list[str]:
    """The comment lines a table starts with: script, Python, machine and the common flags."""
    return [
        f"# {name}: {info['python']} on {info['platform']}",
        f"# processor {info['processor']}, {info['cpus']} CPUs; "
        f"seed {args.seed}, size {args.size:,}, repeat {args.repeat}",
    ]


@dataclass(frozen=True)
class Timing:
    """Seconds per unit of work: the minimum and the median over the repeats, and every sample."""

    min_s: float
    median_s: float
    samples: tuple[float, ...]

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        data = asdict(self)
        data["samples"] = list(self.samples)
        return data


def measure(run: Callable[[], float], *, repeat: int, warmup: int = 1) -> Timing:
    """Call ``run`` ``warmup`` times untimed, then ``repeat`` times; each call returns seconds per unit.

    ``run`` does its own set-up and times only the work (with :func:`time.perf_counter`), so that
    building inputs never counts. The garbage collector stays on, as in a service, but a full collection
    runs before each repeat so that one repeat does not pay for another's garbage.
    """
    return measure_side_by_side([run], repeat=repeat, warmup=warmup)[0]


def measure_side_by_side(runs: list[Callable[[], float]], *, repeat: int, warmup: int = 1) -> list[Timing]:
    """As :func:`measure` for several cases, interleaved: repeat i of every case runs before repeat i + 1.

    On a shared, noisy machine a burst of load then falls on every case alike, so ratios between the
    cases hold better than when each case runs its repeats in one block.
    """
    for _ in range(warmup):
        for run in runs:
            run()
    samples: list[list[float]] = [[] for _ in runs]
    for _ in range(max(1, repeat)):
        for run, mine in zip(runs, samples, strict=True):
            gc.collect()
            mine.append(run())
    return [Timing(min(s), statistics.median(s), tuple(s)) for s in samples]


def fmt_seconds(seconds: float) -> str:
    """A duration in the unit that suits it: ns, µs, ms or s, with four significant digits."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.4g} {unit}"
    return f"{seconds / 1e-9:.4g} ns"


@contextmanager
def checkout(revision: str) -> Iterator[Path]:
    """The project at ``revision``, checked out into a temporary git worktree that is removed afterwards."""
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        worktree = Path(tmp) / "base"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(worktree), revision], cwd=root, check=True, capture_output=True
        )
        try:
            yield worktree
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=root, check=True)
