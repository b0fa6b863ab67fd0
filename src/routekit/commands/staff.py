"""``routekit staff``: the fewest agents meeting service targets, for one interval or a day's forecast.

One interval::

    routekit staff --rate 570 --aht 60 --patience 120 --target 0.8@20 --shrinkage 0.3

A day, from a CSV forecast with a header row and one row per interval::

    start,rate,aht,patience
    08:00,420,240,120
    08:30,510,235,

Columns: ``start`` (a label, required), ``rate`` (arrivals in contacts **per hour** during the interval,
required), ``aht`` (mean handle time in seconds; may be left out when ``--aht`` is given) and
``patience`` (mean patience in seconds; an empty cell or a missing column falls back to ``--patience``,
and with neither the interval uses Erlang C). Other columns are refused, so a misspelt header is caught.

Bad input prints ``routekit staff: error: ...`` and exits with status 2.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import math
import sys
from pathlib import Path
from typing import Any

import attrs

from routekit._tables import csv_text
from routekit.analytics import (
    DEFAULT_AGENTS_MAX,
    STAFFING_COLUMNS,
    DayStaffing,
    Interval,
    IntervalStaffing,
    Staffing,
    Targets,
    staff,
    staff_day,
    staffing_row,
)
from routekit.commands import add_format, add_plot
from routekit.errors import ConfigError, ScenarioError

__all__ = ["read_forecast", "register", "run"]

_COLUMNS = ("start", "rate", "aht", "patience")


def register(subparsers: Any) -> None:  # argparse's _SubParsersAction is private, hence Any
    """Add the ``staff`` subcommand to the ``routekit`` parser.

    Args:
        subparsers: What ``ArgumentParser.add_subparsers`` returned.
    """
    parser = subparsers.add_parser(
        "staff",
        help="size staff for service targets with Erlang C or Erlang A",
        description=(
            "The fewest agents meeting every target given, with Erlang A when a patience is known and "
            "Erlang C otherwise. Rates are contacts per hour, times are seconds."
        ),
        epilog=(
            "Forecast CSV columns: start,rate[,aht][,patience] with rate in contacts per hour; an empty "
            "patience falls back to --patience, and with neither the interval uses Erlang C."
        ),
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--rate", type=float, metavar="PER_HOUR", help="arrivals in contacts per hour")
    source.add_argument("--forecast", type=Path, metavar="CSV", help="a day's forecast, one row per interval")
    parser.add_argument(
        "--aht",
        type=_handle_times,
        metavar="SECONDS",
        help="mean handle time; for chat, one per concurrency as 240,300,420",
    )
    parser.add_argument("--patience", type=float, metavar="SECONDS", help="mean patience: use Erlang A")
    parser.add_argument(
        "--target",
        type=_service_target,
        metavar="LEVEL@SECONDS",
        help="service level target such as 0.8@20 or 80%%@20 (80%% answered within 20 s)",
    )
    parser.add_argument("--max-asa", type=float, metavar="SECONDS", help="largest average speed of answer")
    parser.add_argument("--max-abandon", type=_share, metavar="SHARE", help="largest abandonment, 0.05 or 5%%")
    parser.add_argument("--max-occupancy", type=_share, metavar="SHARE", help="largest occupancy, 0.85 or 85%%")
    parser.add_argument("--concurrency", type=int, default=1, metavar="K", help="chats per agent (default 1)")
    parser.add_argument(
        "--shrinkage",
        type=_share,
        default=0.0,
        metavar="SHARE",
        help="share of scheduled time lost, 0.3 or 30%%",
    )
    parser.add_argument(
        "--agents-max",
        type=int,
        default=DEFAULT_AGENTS_MAX,
        metavar="N",
        help=f"most agents to consider (default {DEFAULT_AGENTS_MAX})",
    )
    add_format(parser)
    add_plot(parser, "with --forecast, also draw the agents needed by interval")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Staff one interval or a forecast and print the result.

    Args:
        args: The parsed arguments of ``routekit staff``.

    Returns:
        0 on success, 2 for input that cannot be staffed (the reason goes to stderr).
    """
    try:
        level, threshold = args.target if args.target is not None else (None, 20.0)
        targets = Targets(
            service_level=level,
            threshold=threshold,
            max_asa=args.max_asa,
            max_abandon=args.max_abandon,
            max_occupancy=args.max_occupancy,
        )
        options = {
            "concurrency": args.concurrency,
            "shrinkage": args.shrinkage,
            "agents_max": args.agents_max,
        }
        if args.plot is not None and args.forecast is None:
            raise ConfigError("--plot draws a day's staffing: give --forecast")
        if args.plot is not None and importlib.util.find_spec("matplotlib") is None:
            raise ConfigError("--plot needs matplotlib: pip install 'routekit[plot]'")
        day = None
        if args.forecast is not None:
            intervals = read_forecast(args.forecast, aht=args.aht, patience=args.patience)
            day = DayStaffing(rows=staff_day(intervals, targets, **options), targets=targets)
            text = {
                "json": lambda: _day_json(day.rows, targets, args),
                "csv": lambda: csv_text(STAFFING_COLUMNS, day.to_rows()).rstrip("\n"),
                "table": lambda: _day_table(day.rows, targets, args),
            }[args.format]()
        else:
            if args.aht is None:
                raise ConfigError("--aht is required with --rate")
            result = staff(args.rate, args.aht, targets, patience=args.patience, **options)
            text = {
                "json": lambda: _one_json(result, targets, args),
                "csv": lambda: _one_csv(result, args),
                "table": lambda: _one_table(result, targets, args),
            }[args.format]()
    except (ConfigError, ScenarioError) as err:
        print(f"routekit staff: error: {err}", file=sys.stderr)
        return 2
    print(text)
    if day is not None and args.plot is not None:
        try:
            day.plot(args.plot)
        except OSError as error:
            print(f"routekit staff: error: cannot write {args.plot}: {error.strerror}", file=sys.stderr)
            return 2
        print(f"routekit staff: wrote {args.plot}", file=sys.stderr)
    return 0


def _one_csv(result: Staffing, args: argparse.Namespace) -> str:
    row = staffing_row(result) | {"rate": args.rate, "aht": args.aht, "patience": args.patience}
    return csv_text(STAFFING_COLUMNS, [row]).rstrip("\n")


def read_forecast(
    path: Path, *, aht: float | tuple[float, ...] | None = None, patience: float | None = None
) -> list[Interval]:
    """Read a day's forecast from a CSV file (columns in this module's docstring).

    Args:
        path: The CSV file.
        aht: The handle time for a file without an ``aht`` column.
        patience: The patience for rows without one; None leaves them on Erlang C.

    Returns:
        One interval per row, in file order.

    Raises:
        ScenarioError: The file cannot be read, lacks a column, has an unknown one, or a cell that is
            not a number; the message names the file, line and column.
    """
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            columns = [name.strip() for name in reader.fieldnames or ()]
            unknown = sorted(set(columns) - set(_COLUMNS))
            if unknown:
                raise ScenarioError(f"{path}: unknown column(s) {unknown}; the columns are {list(_COLUMNS)}")
            for needed in ("start", "rate") + (() if aht is not None else ("aht",)):
                if needed not in columns:
                    raise ScenarioError(f"{path}: missing column {needed!r}; the header has {columns}")
            intervals = []
            for row in reader:
                cells = {(key or "").strip(): (value or "").strip() for key, value in row.items()}
                line = reader.line_num
                start = cells.get("start", "")
                if not start:
                    raise ScenarioError(f"{path} line {line}: empty 'start'")
                row_aht: float | tuple[float, ...] | None = aht
                if cells.get("aht"):
                    row_aht = _cell(path, line, "aht", cells["aht"])
                if row_aht is None:
                    raise ScenarioError(f"{path} line {line}: empty 'aht' and no --aht given")
                row_patience = patience
                if cells.get("patience"):
                    row_patience = _cell(path, line, "patience", cells["patience"])
                rate = _cell(path, line, "rate", cells.get("rate", ""))
                intervals.append(Interval(start=start, rate=rate, aht=row_aht, patience=row_patience))
    except OSError as err:
        raise ScenarioError(f"cannot read forecast {path}: {err.strerror or err}") from None
    except (csv.Error, UnicodeDecodeError) as err:
        raise ScenarioError(f"{path}: not a readable CSV file: {err}") from None
    if not intervals:
        raise ScenarioError(f"{path}: no intervals after the header")
    return intervals


def _cell(path: Path, line: int, column: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ScenarioError(f"{path} line {line}, column {column!r}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise ScenarioError(f"{path} line {line}, column {column!r}: {text!r} is not a finite number")
    return value


def _share(text: str) -> float:
    """A share written as 0.3 or 30%."""
    body = text.strip()
    scale = 100.0 if body.endswith("%") else 1.0
    try:
        value = float(body.rstrip("%")) / scale
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a share such as 0.3 or 30%") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a share between 0 and 1 (or 0% and 100%)")
    return value


def _service_target(text: str) -> tuple[float, float]:
    """A service-level target written LEVEL@SECONDS: 0.8@20 or 80%@20."""
    level, at, seconds = text.partition("@")
    if not at:
        raise argparse.ArgumentTypeError(f"{text!r} is not LEVEL@SECONDS, such as 0.8@20 or 80%@20")
    body = level.strip()
    try:
        share = float(body.rstrip("%")) / (100.0 if body.endswith("%") else 1.0)
        threshold = float(seconds)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not LEVEL@SECONDS, such as 0.8@20 or 80%@20") from None
    if not 0.0 < share < 1.0:
        raise argparse.ArgumentTypeError(
            f"service level in {text!r} must be a share in (0, 1), such as 0.8, or a percentage such as 80%"
        )
    if not (math.isfinite(threshold) and threshold >= 0.0):
        raise argparse.ArgumentTypeError(f"threshold in {text!r} must be a number of seconds >= 0")
    return share, threshold


def _handle_times(text: str) -> float | tuple[float, ...]:
    """One handle time in seconds, or a comma-separated list of them (one per chat concurrency)."""
    try:
        values = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (or a list like 240,300)") from None
    return values[0] if len(values) == 1 else values


# --- output ---------------------------------------------------------------------------------------------


def _model(patience: float | None, concurrency: int) -> str:
    name = "Erlang C" if patience is None else "Erlang A"
    return name if concurrency == 1 else f"{name}, chat at concurrency {concurrency}"


def _targets_text(targets: Targets) -> str:
    names = [
        name
        for name in ("service_level", "max_asa", "max_abandon", "max_occupancy")
        if getattr(targets, name) is not None
    ]
    return "; ".join(targets.describe(name) for name in names)


def _binding_text(staffing: Staffing, targets: Targets) -> str:
    if staffing.binding == ("capacity",):
        return "capacity (Erlang C needs more agents than the load)"
    return "; ".join(targets.describe(name) for name in staffing.binding) or "-"


def _aht_text(aht: float | tuple[float, ...]) -> str:
    return ",".join(f"{v:g}" for v in aht) if isinstance(aht, tuple) else f"{aht:g}"


def _one_table(result: Staffing, targets: Targets, args: argparse.Namespace) -> str:
    f = result.figures
    rows = [
        ("model", _model(args.patience, args.concurrency)),
        ("targets", _targets_text(targets)),
        ("rate", f"{args.rate:g} contacts/h"),
        ("aht", f"{_aht_text(args.aht)} s"),
        ("patience", "-" if args.patience is None else f"{args.patience:g} s"),
        ("load", f"{f.load:.2f} Erlangs"),
        ("agents", f"{result.agents}"),
        ("scheduled", f"{result.scheduled} (shrinkage {100 * result.shrinkage:g}%)"),
        ("binding", _binding_text(result, targets)),
        ("service level", f"{100 * f.service_level:.1f}% within {f.threshold:g} s"),
        ("ASA", f"{f.asa:.1f} s"),
        ("mean wait", f"{f.mean_wait:.1f} s"),
        ("P(wait)", f"{100 * f.p_wait:.1f}%"),
        ("abandonment", f"{100 * f.p_abandon:.1f}%"),
        ("occupancy", f"{100 * f.occupancy:.1f}%"),
    ]
    return "\n".join(f"{key:<14} {value}" for key, value in rows)


def _day_table(rows: tuple[IntervalStaffing, ...], targets: Targets, args: argparse.Namespace) -> str:
    head = (
        f"{'start':<8} {'rate/h':>8} {'aht s':>8} {'patience':>8} {'load':>8} {'agents':>6} {'sched':>6} "
        f"{'SL':>6} {'ASA s':>7} {'aband':>6} {'occ':>6}  binding"
    )
    lines = [
        f"targets: {_targets_text(targets)}; shrinkage {100 * args.shrinkage:g}%; "
        f"{'chat at concurrency ' + str(args.concurrency) + '; ' if args.concurrency > 1 else ''}"
        "Erlang A where a patience is given, Erlang C elsewhere",
        head,
    ]
    for row in rows:
        i, s, f = row.interval, row.staffing, row.staffing.figures
        patience = "-" if i.patience is None else f"{i.patience:g}"
        lines.append(
            f"{i.start:<8} {i.rate:>8g} {_aht_text(i.aht):>8} {patience:>8} {f.load:>8.2f} {s.agents:>6} "
            f"{s.scheduled:>6} {100 * f.service_level:>5.1f}% {f.asa:>7.1f} {100 * f.p_abandon:>5.1f}% "
            f"{100 * f.occupancy:>5.1f}%  {','.join(s.binding) or '-'}"
        )
    lines.append(
        f"{'total':<8} {'':>8} {'':>8} {'':>8} {'':>8} {sum(r.staffing.agents for r in rows):>6} "
        f"{sum(r.staffing.scheduled for r in rows):>6}"
    )
    return "\n".join(lines)


def _one_json(result: Staffing, targets: Targets, args: argparse.Namespace) -> str:
    document = {
        "rate": args.rate,
        "aht": args.aht,
        "patience": args.patience,
        "concurrency": args.concurrency,
        "targets": attrs.asdict(targets),
        **_staffing_dict(result),
    }
    return json.dumps(document, indent=2)


def _day_json(rows: tuple[IntervalStaffing, ...], targets: Targets, args: argparse.Namespace) -> str:
    document = {
        "targets": attrs.asdict(targets),
        "shrinkage": args.shrinkage,
        "concurrency": args.concurrency,
        "intervals": [{**attrs.asdict(row.interval), **_staffing_dict(row.staffing)} for row in rows],
    }
    return json.dumps(document, indent=2)


def _staffing_dict(result: Staffing) -> dict[str, Any]:
    return {
        "agents": result.agents,
        "scheduled": result.scheduled,
        "shrinkage": result.shrinkage,
        "binding": list(result.binding),
        "figures": attrs.asdict(result.figures),
    }
