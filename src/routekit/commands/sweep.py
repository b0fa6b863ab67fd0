"""``routekit sweep``: run a scenario over a grid of overrides x replications, serially, on a pool or on Dask.

::

    routekit sweep SCENARIO.toml --grid 'policy.sticky.window=120,300,600' \\
        --grid 'agents[0].count=30..50' --reps 20 --executor local --out results.csv --plot sweep.png

Each ``--grid KEY=VALUES`` names a dotted key path of the scenario (as in ``docs/reference/scenario.md``)
and its values, separated by commas: each parses as an integer, else a float, else a string, and
``a..b`` (or ``a..b..step``) is an inclusive range of integers. The grid points are the cartesian
product of every ``--grid``. ``--executor`` is ``local`` (a process pool, the default), ``serial`` (in
this process) or ``dask://HOST:PORT`` (a running Dask scheduler, the ``dask`` extra). Bad input, a key
path the scenario refuses or a scheduler that cannot be reached prints ``routekit sweep: error: ...``
and exits with status 2 before any task runs; a task that raises is reported on stderr with its grid
point and seed, the others still finish, and the exit status is 1.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import importlib.util
import math
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from routekit.errors import RoutekitError
from routekit.sim.replications import Estimate
from routekit.sim.scenario import Scenario, builtin_scenario, load_scenario
from routekit.sim.sweep import SerialExecutor, SweepResult, sweep

__all__ = ["CONNECT_TIMEOUT", "format_table", "parse_executor", "parse_grid", "register", "run"]

CONNECT_TIMEOUT = "5s"  # how long to try a Dask scheduler before calling it unreachable

_FORMATS = {".csv": "csv", ".json": "json"}


def register(subparsers: Any) -> None:  # argparse's _SubParsersAction is private, hence Any
    """Add the ``sweep`` subcommand to the ``routekit`` parser.

    Args:
        subparsers: What ``ArgumentParser.add_subparsers`` returned.
    """
    parser = subparsers.add_parser(
        "sweep",
        help="simulate a scenario over a grid of settings x replications, on a process pool or Dask",
        description=(
            "Simulate every point of a grid of scenario overrides, each with the same replication "
            "seeds (common random numbers), and print KPI means with 95% intervals per grid point."
        ),
        epilog=(
            "Grid values: 120,300,600 (integers, floats or strings), 30..50 (inclusive), 30..50..5 "
            "(with a step). Executors: local (a process pool, default), serial, dask://HOST:PORT."
        ),
    )
    parser.add_argument("scenario", nargs="?", help="a scenario TOML file (default: the built-in day)")
    parser.add_argument(
        "--grid",
        type=parse_grid,
        action="append",
        required=True,
        metavar="KEY=VALUES",
        help="a key path and its values, e.g. 'agents[0].count=30..50'; repeat for more parameters",
    )
    parser.add_argument("--reps", type=int, default=10, help="replications per grid point (default 10)")
    parser.add_argument("--seed", type=int, default=0, help="the root seed (default 0)")
    parser.add_argument("--customers", type=int, default=None, help="stop each run after N customers")
    parser.add_argument(
        "--executor",
        type=parse_executor,
        default="local",
        metavar="local|serial|dask://HOST:PORT",
        help="where tasks run (default local: a process pool)",
    )
    parser.add_argument("--workers", type=int, default=None, help="local pool size (default: CPU count)")
    parser.add_argument(
        "--format",
        choices=("table", "json", "csv"),
        default=None,
        help="output format (default: from --out's suffix, else table)",
    )
    parser.add_argument("--out", type=Path, default=None, metavar="FILE", help="write the results here")
    parser.add_argument("--plot", type=Path, default=None, metavar="FILE.png", help="plot the KPIs (the plot extra)")
    parser.set_defaults(func=run)


# -------------------------------------------------------------------------------------------- parsing


def _value(text: str) -> Any:
    for kind in (int, float):
        try:
            value = kind(text)
        except ValueError:
            continue
        if isinstance(value, float) and not math.isfinite(value):
            break
        return value
    return text


def _range(text: str, spec: str) -> list[int]:
    parts = [part.strip() for part in text.split("..")]
    try:
        numbers = [int(part) for part in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{spec!r}: {text!r} is not a range of integers (a..b or a..b..step)"
        ) from None
    if len(numbers) not in (2, 3):
        raise argparse.ArgumentTypeError(f"{spec!r}: {text!r} is not a range (a..b or a..b..step)")
    start, stop = numbers[0], numbers[1]
    step = numbers[2] if len(numbers) == 3 else (1 if stop >= start else -1)
    if step == 0 or (stop - start) * step < 0:
        raise argparse.ArgumentTypeError(f"{spec!r}: the step {step} never goes from {start} to {stop}")
    return list(range(start, stop + (1 if step > 0 else -1), step))


def parse_grid(spec: str) -> tuple[str, list[Any]]:
    """Read one ``--grid KEY=VALUES`` into its key path and its list of values.

    >>> parse_grid("policy.sticky.window=120,300,600")
    ('policy.sticky.window', [120, 300, 600])
    >>> parse_grid("agents[0].count=30..40..5")
    ('agents[0].count', [30, 35, 40])
    >>> parse_grid("policy.kind=skills, mobile-support")
    ('policy.kind', ['skills', 'mobile-support'])
    >>> parse_grid("run.interval=900.5,1800")
    ('run.interval', [900.5, 1800])

    Raises:
        argparse.ArgumentTypeError: No ``=``, no key, an empty value, or a bad range; it names the spec.
    """
    key, sep, text = spec.partition("=")
    key = key.strip()
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{spec!r}: expected KEY=VALUES, e.g. policy.sticky.window=120,300")
    values: list[Any] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            raise argparse.ArgumentTypeError(f"{spec!r}: an empty value (values are separated by commas)")
        if ".." in item:
            values.extend(_range(item, spec))
        else:
            values.append(_value(item))
    return key, values


def parse_executor(spec: str) -> str:
    """Check ``--executor``: ``local``, ``serial`` or ``dask://HOST:PORT``; return the spec.

    Raises:
        argparse.ArgumentTypeError: Anything else.
    """
    if spec in ("local", "serial") or (spec.startswith("dask://") and len(spec) > len("dask://")):
        return spec
    raise argparse.ArgumentTypeError(f"{spec!r}: expected local, serial or dask://HOST:PORT")


def _scheduler(spec: str) -> str:
    address = spec.removeprefix("dask://")
    return address if "://" in address else f"tcp://{address}"


# ------------------------------------------------------------------------------------------------ run


@contextlib.contextmanager
def _executor(spec: str, workers: int | None) -> Iterator[concurrent.futures.Executor]:
    if spec == "serial":
        yield SerialExecutor()
    elif spec == "local":
        with concurrent.futures.ProcessPoolExecutor(max_workers=workers or os.cpu_count()) as pool:
            yield pool
    else:
        address = _scheduler(spec)
        try:
            from dask.distributed import Client
        except ImportError:
            raise RoutekitError(f"--executor {spec} needs dask.distributed: pip install 'routekit[dask]'") from None
        # distributed's Client, get_executor and close carry no annotations, hence the ignores.
        try:
            client = Client(address, timeout=CONNECT_TIMEOUT)  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError, ValueError) as error:
            raise RoutekitError(f"cannot reach the Dask scheduler at {address}: {error}") from None
        try:
            executor: concurrent.futures.Executor = client.get_executor()  # type: ignore[no-untyped-call]
            yield executor
        finally:
            client.close()  # type: ignore[no-untyped-call]


def run(args: argparse.Namespace) -> int:
    """Sweep and print; bad input or an unreachable cluster exits with status 2, failed tasks with 1."""
    try:
        grid: dict[str, list[Any]] = {}
        for key, values in args.grid:
            if key in grid:
                raise RoutekitError(f"--grid {key}: the key path is given twice")
            grid[key] = values
        if args.reps < 1:
            raise RoutekitError(f"--reps must be at least 1, got {args.reps}")
        if args.seed < 0:
            raise RoutekitError(f"--seed must be >= 0, got {args.seed}")
        if args.customers is not None and args.customers < 1:
            raise RoutekitError(f"--customers must be at least 1, got {args.customers}")
        if args.workers is not None and (args.workers < 1 or args.executor != "local"):
            raise RoutekitError(f"--workers must be >= 1 and goes with --executor local, got {args.workers}")
        if args.plot is not None and importlib.util.find_spec("matplotlib") is None:
            raise RoutekitError("--plot needs matplotlib: pip install 'routekit[plot]'")
        fmt = args.format or _FORMATS.get(args.out.suffix.lower() if args.out else "", "table")
        scenario: Scenario = load_scenario(args.scenario) if args.scenario else builtin_scenario()
        with _executor(args.executor, args.workers) as executor:
            result = _sweep(scenario, grid, args, executor)
    except RoutekitError as error:
        print(f"routekit sweep: error: {error}", file=sys.stderr)
        return 2
    text = {"table": format_table, "json": SweepResult.to_json, "csv": SweepResult.to_csv}[fmt](result)
    try:
        if args.out is not None:
            args.out.write_text(text, encoding="utf-8")
            print(f"routekit sweep: wrote {args.out}", file=sys.stderr)
        else:
            sys.stdout.write(text)
        if args.plot is not None:
            result.plot(args.plot)
            print(f"routekit sweep: wrote {args.plot}", file=sys.stderr)
    except OSError as error:
        print(f"routekit sweep: error: cannot write {error.filename}: {error.strerror}", file=sys.stderr)
        return 2
    for failure in result.failures:
        print(f"routekit sweep: failed: {failure.describe()}", file=sys.stderr)
    if result.failures:
        print(f"routekit sweep: {len(result.failures)} of {len(result.runs)} tasks failed", file=sys.stderr)
        return 1
    return 0


def _sweep(
    scenario: Scenario,
    grid: dict[str, list[Any]],
    args: argparse.Namespace,
    executor: concurrent.futures.Executor,
) -> SweepResult:
    options: dict[str, Any] = {"customers": args.customers}
    # A bar only where someone watches it.
    if sys.stderr.isatty():
        from tqdm import tqdm

        total = math.prod(len(values) for values in grid.values()) * args.reps
        with tqdm(total=total, desc="sweep", unit="task", file=sys.stderr, delay=1.0) as bar:
            return sweep(scenario, grid, args.reps, args.seed, executor, progress=bar.update, **options)
    return sweep(scenario, grid, args.reps, args.seed, executor, **options)


# ------------------------------------------------------------------------------------------ the table


def _cell(value: Estimate, scale: float, digits: int) -> str:
    if value.mean is None:
        return "-"
    text = f"{value.mean * scale:.{digits}f}"
    if value.n > 1 and value.ci95 is not None:
        text += f"±{value.ci95 * scale:.{digits}f}"
    return text


def format_table(result: SweepResult) -> str:
    """One line per grid point: the swept values, then overall KPI means ± 95% half-widths."""
    kpis = [
        ("service_level", "SL %", 100.0, 1),
        ("abandon_rate", "abandon %", 100.0, 1),
        ("asa", "ASA s", 1.0, 1),
        ("occupancy", "occupancy %", 100.0, 1),
        ("offered", "offered", 1.0, 0),
    ]
    lines: list[list[str]] = [[*result.parameters, "runs", *(head for _, head, _, _ in kpis)]]
    for point in result.points:
        cells = [str(point.overrides[p]) for p in result.parameters] + [str(point.runs)]
        summary = point.rows[0] if point.rows else None
        for name, _, scale, digits in kpis:
            cells.append("-" if summary is None else _cell(summary.kpis[name], scale, digits))
        lines.append(cells)
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    text = ["  ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True)) for line in lines]
    text.append(
        f"{len(result.points)} grid points x {result.reps} replications, seed {result.seed}, the same "
        "replication seeds at every point; ± is a 95% t interval over replications"
    )
    return "\n".join(text) + "\n"
