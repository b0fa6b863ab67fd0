"""A generic arrival trace: one CSV row per recorded contact, which the simulator replays.

Any recorded log (the Anonymous Bank's, or a platform's own export) is turned into this one format, so
that every trace is replayed the same way. The columns, in the order :func:`write_trace` writes them:

- ``arrival`` (required): seconds since the trace start, a finite number >= 0; rows are non-decreasing.
- ``channel`` (required): a :class:`~routekit.models.Channel` value (``voice``, ``chat``, ...), any case.
- ``priority``: an integer, higher is served first; default 0.
- ``head_start``: seconds the contact is ordered ahead of its arrival in its queue; default 0.
- ``tier``: the customer's loyalty tier name; default ``standard``.
- ``skills``: ``name:level`` entries joined by ``;`` (``billing:1;tech:2``); a bare ``name`` means
  level 1; levels are 1..5; default none (any agent on the channel).
- ``handle_time``: seconds of service; empty when unknown.
- ``patience``: seconds the customer would wait; empty when unknown.
- ``patience_censored``: ``1`` when the patience is only known to exceed ``patience`` (the contact was
  served first), ``0`` when the customer gave up then; default 0.

An empty cell in an optional column means its default.
A CSV with other header names loads through a column mapping, from these names to its own headers.
Row numbers in errors count the header as row 1, as a spreadsheet does.

>>> import io
>>> rows = read_trace(io.StringIO("t,medium,needs\\n0,voice,billing\\n12.5,chat,billing:2;es:3\\n"),
...                   columns={"arrival": "t", "channel": "medium", "skills": "needs"})
>>> [(r.arrival, r.channel.value, r.skills) for r in rows]
[(0.0, 'voice', {'billing': 1}), (12.5, 'chat', {'billing': 2, 'es': 3})]
"""

from __future__ import annotations

import contextlib
import csv
import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import IO, Any

import attrs

from routekit.errors import ScenarioError
from routekit.models import Channel

__all__ = [
    "DEFAULT_TIER",
    "REQUIRED_COLUMNS",
    "TRACE_COLUMNS",
    "TraceRecord",
    "TraceSource",
    "format_skills",
    "parse_skills",
    "read_trace",
    "source_name",
    "write_trace",
]

TRACE_COLUMNS = (
    "arrival",
    "channel",
    "priority",
    "head_start",
    "tier",
    "skills",
    "handle_time",
    "patience",
    "patience_censored",
)
REQUIRED_COLUMNS = frozenset({"arrival", "channel"})
DEFAULT_TIER = "standard"

# The proficiency range of routekit.models (Contact.skills), so that every trace row can be submitted.
_MIN_LEVEL = 1
_MAX_LEVEL = 5

TraceSource = str | os.PathLike[str] | IO[str]
"""A path, or an open text stream (anything with ``read`` or ``write``)."""


def _check_duration(instance: Any, attribute: Any, value: Any) -> None:
    if value is None and attribute.name in ("handle_time", "patience"):
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ScenarioError(f"TraceRecord.{attribute.name} must be a finite number >= 0, got {value!r}")


def _check_priority(instance: Any, attribute: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(f"TraceRecord.priority must be an integer, got {value!r}")


def _check_tier(instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ScenarioError(f"TraceRecord.tier must be a non-empty string, got {value!r}")


def _check_skills(instance: Any, attribute: Any, value: dict[str, int]) -> None:
    for name, level in value.items():
        problem = _skill_problem(name, level)
        if problem:
            raise ScenarioError(f"TraceRecord.skills: {problem}")


def _check_censored(instance: TraceRecord, attribute: Any, value: Any) -> None:
    if not isinstance(value, bool):
        raise ScenarioError(f"TraceRecord.patience_censored must be a bool, got {value!r}")
    if value and instance.patience is None:
        raise ScenarioError("TraceRecord.patience_censored is True but patience is None")


def _skills(value: Mapping[str, int] | None) -> dict[str, int]:
    return dict(value or {})


def _to_channel(value: Channel | str) -> Channel:
    try:
        return Channel(value)
    except ValueError:
        raise ScenarioError(f"TraceRecord.channel: unknown channel {value!r}; expected one of {_CHANNELS}") from None


def _skill_problem(name: object, level: object) -> str | None:
    if not isinstance(name, str) or not name or name != name.strip() or ":" in name or ";" in name:
        return f"bad skill name {name!r} (non-empty, no ':' or ';', no surrounding spaces)"
    if isinstance(level, bool) or not isinstance(level, int) or not _MIN_LEVEL <= level <= _MAX_LEVEL:
        return f"skill {name!r}: level must be an integer {_MIN_LEVEL}..{_MAX_LEVEL}, got {level!r}"
    return None


_CHANNELS = ", ".join(c.value for c in Channel)


@attrs.frozen(kw_only=True)
class TraceRecord:
    """One recorded contact, as the simulator replays it.

    Args:
        arrival: Seconds since the trace start.
        channel: The channel it arrived on.
        priority: Higher is served first.
        head_start: Seconds it is ordered ahead of its arrival in its queue.
        tier: The customer's loyalty tier.
        skills: Skill name to the minimum proficiency required (1..5); empty means any agent.
        handle_time: Seconds of service, ``None`` when unknown.
        patience: Seconds the customer would wait, ``None`` when unknown.
        patience_censored: ``True`` when the patience is only known to exceed ``patience``.

    Raises:
        ScenarioError: A negative or non-finite time, an unknown channel, a bad skill, or a censored
            patience with no value.

    >>> TraceRecord(arrival=3.0, channel="voice", skills={"PS": 1}, patience=40.0, patience_censored=True)
    TraceRecord(arrival=3.0, channel=<Channel.VOICE: 'voice'>, priority=0, head_start=0.0, tier='standard', skills={'PS': 1}, handle_time=None, patience=40.0, patience_censored=True)
    """  # noqa: E501 - a doctest's expected output cannot be wrapped

    arrival: float = attrs.field(validator=_check_duration)
    channel: Channel = attrs.field(converter=_to_channel)
    priority: int = attrs.field(default=0, validator=_check_priority)
    head_start: float = attrs.field(default=0.0, validator=_check_duration)
    tier: str = attrs.field(default=DEFAULT_TIER, validator=_check_tier)
    skills: dict[str, int] = attrs.field(factory=dict, converter=_skills, validator=_check_skills, hash=False)
    handle_time: float | None = attrs.field(default=None, validator=_check_duration)
    patience: float | None = attrs.field(default=None, validator=_check_duration)
    patience_censored: bool = attrs.field(default=False, validator=_check_censored)


def parse_skills(text: str) -> dict[str, int]:
    """Parse a ``skills`` cell: ``name:level`` entries joined by ``;``, a bare name meaning level 1.

    Args:
        text: The cell; spaces around entries, names and levels are ignored.

    Returns:
        Skill name to level, in the order written.

    Raises:
        ValueError: A bad entry, a level outside 1..5, or a skill named twice.

    >>> parse_skills("billing:2; tech"), parse_skills("")
    ({'billing': 2, 'tech': 1}, {})
    """
    skills: dict[str, int] = {}
    for entry in text.split(";"):
        if not entry.strip():
            continue
        name, sep, level_text = entry.partition(":")
        name = name.strip()
        try:
            level = int(level_text) if sep else _MIN_LEVEL
        except ValueError:
            raise ValueError(f"bad level {level_text.strip()!r} for skill {name!r}") from None
        problem = _skill_problem(name, level)
        if problem:
            raise ValueError(problem)
        if name in skills:
            raise ValueError(f"skill {name!r} is named twice")
        skills[name] = level
    return skills


def format_skills(skills: Mapping[str, int]) -> str:
    """Write a skill map as a ``skills`` cell, always with levels.

    >>> format_skills({"billing": 2, "tech": 1})
    'billing:2;tech:1'
    """
    return ";".join(f"{name}:{level}" for name, level in skills.items())


@contextlib.contextmanager
def _opened(source: TraceSource, mode: str) -> Iterator[IO[str]]:
    if hasattr(source, "read" if mode == "r" else "write"):
        yield source  # type: ignore[misc]  # a stream passes through, and the caller keeps it open
        return
    # utf-8-sig drops the byte-order mark spreadsheets put in front of the first header name.
    encoding = "utf-8-sig" if mode == "r" else "utf-8"
    with open(source, mode, newline="", encoding=encoding) as stream:  # type: ignore[arg-type]  # a path
        yield stream


def source_name(source: TraceSource) -> str:
    """The name errors give a source: a path's file name, a stream's ``name``, else ``<stream>``."""
    if isinstance(source, str | os.PathLike):
        return os.path.basename(os.fspath(source))
    name = getattr(source, "name", None)
    return os.path.basename(name) if isinstance(name, str) else "<stream>"


def _positions(header: list[str], columns: Mapping[str, str], name: str) -> dict[str, int | None]:
    unknown = sorted(set(columns) - set(TRACE_COLUMNS))
    if unknown:
        raise ScenarioError(
            f"{name}: the column mapping names unknown trace column(s) {', '.join(map(repr, unknown))}; "
            f"expected some of {', '.join(TRACE_COLUMNS)}"
        )
    cleaned = [h.strip() for h in header]
    positions: dict[str, int | None] = {}
    for column in TRACE_COLUMNS:
        wanted = columns.get(column, column)
        hits = [i for i, h in enumerate(cleaned) if h == wanted]
        if len(hits) > 1:
            raise ScenarioError(f"{name} row 1: column {wanted!r} appears {len(hits)} times in the header")
        if hits:
            positions[column] = hits[0]
        elif column in columns:
            raise ScenarioError(
                f"{name} row 1: the column mapping reads {column!r} from {wanted!r}, "
                f"which is not in the header {cleaned}"
            )
        elif column in REQUIRED_COLUMNS:
            raise ScenarioError(f"{name} row 1: missing column {column!r} (header {cleaned})")
        else:
            positions[column] = None
    return positions


def _number(text: str, where: str, *, optional: bool) -> float | None:
    text = text.strip()
    if not text and optional:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise ScenarioError(f"{where}: expected a finite number of seconds >= 0, got {text!r}")
    return value


def read_trace(source: TraceSource, *, columns: Mapping[str, str] | None = None) -> tuple[TraceRecord, ...]:
    """Read a trace CSV, checking every row.

    Args:
        source: A path or an open text stream.
        columns: Trace column name to the CSV's own header name, for the columns whose names differ.
            A column left out of the mapping is read from its own name; an optional column absent from
            the header takes its default.

    Returns:
        The records, in file order.

    Raises:
        ScenarioError: A missing required column, a mapping to a header that is not there, or a bad
            cell, naming the row (the header is row 1) and the CSV column; or arrivals that go back.

    >>> import io
    >>> read_trace(io.StringIO("arrival,channel,patience,patience_censored\\n4,voice,,1\\n"))
    Traceback (most recent call last):
    ...
    routekit.errors.ScenarioError: <stream> row 2, column 'patience_censored': 1 needs a patience value
    """
    mapping = dict(columns or {})
    name = source_name(source)
    records: list[TraceRecord] = []
    with _opened(source, "r") as stream:
        reader = csv.reader(stream)
        header = next(reader, None)
        if header is None:
            raise ScenarioError(f"{name}: the file is empty; expected a header row")
        pos = _positions(header, mapping, name)
        headers = {column: header[i].strip() for column, i in pos.items() if i is not None}
        previous = 0.0
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue  # blank lines, such as a trailing one, carry no contact
            n = reader.line_num
            if len(row) != len(header):
                raise ScenarioError(f"{name} row {n}: {len(row)} fields, but the header has {len(header)}")
            cells = {column: ("" if i is None else row[i].strip()) for column, i in pos.items()}

            def where(column: str, n: int = n) -> str:
                return f"{name} row {n}, column {headers.get(column, column)!r}"

            records.append(_record(cells, where, previous))
            previous = records[-1].arrival
    return tuple(records)


def _record(cells: dict[str, str], where: Callable[[str], str], previous: float) -> TraceRecord:
    arrival = _number(cells["arrival"], where("arrival"), optional=False)
    assert arrival is not None  # not optional, so _number raised on an empty cell
    if arrival < previous:
        raise ScenarioError(
            f"{where('arrival')}: {arrival:g} is earlier than the previous row's {previous:g}; "
            "a trace is sorted by arrival"
        )
    try:
        channel = Channel(cells["channel"].lower())
    except ValueError:
        raise ScenarioError(
            f"{where('channel')}: unknown channel {cells['channel']!r}; expected one of {_CHANNELS}"
        ) from None
    try:
        priority = int(cells["priority"]) if cells["priority"] else 0
    except ValueError:
        raise ScenarioError(f"{where('priority')}: expected an integer, got {cells['priority']!r}") from None
    try:
        skills = parse_skills(cells["skills"])
    except ValueError as err:
        raise ScenarioError(f"{where('skills')}: {err}") from None
    patience = _number(cells["patience"], where("patience"), optional=True)
    censored = cells["patience_censored"]
    if censored not in ("", "0", "1"):
        raise ScenarioError(f"{where('patience_censored')}: expected 0 or 1, got {censored!r}")
    if censored == "1" and patience is None:
        raise ScenarioError(f"{where('patience_censored')}: 1 needs a patience value")
    return TraceRecord(
        arrival=arrival,
        channel=channel,
        priority=priority,
        head_start=_number(cells["head_start"], where("head_start"), optional=True) or 0.0,
        tier=cells["tier"] or DEFAULT_TIER,
        skills=skills,
        handle_time=_number(cells["handle_time"], where("handle_time"), optional=True),
        patience=patience,
        patience_censored=censored == "1",
    )


def _format(value: float | None) -> str:
    if value is None:
        return ""
    # Whole seconds are written bare; other values with repr, which reads back to the same float.
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def write_trace(records: Iterable[TraceRecord], dest: TraceSource) -> int:
    """Write records as a trace CSV with every column, in :data:`TRACE_COLUMNS` order.

    Reading the file back with :func:`read_trace` gives equal records.

    Args:
        records: The contacts, sorted by arrival.
        dest: A path (overwritten) or an open text stream.

    Returns:
        The number of rows written, not counting the header.

    Raises:
        ScenarioError: A record that arrives before the one written before it (nothing is written to a
            path then; a stream may hold the rows before it).

    >>> import io
    >>> out = io.StringIO()
    >>> write_trace([TraceRecord(arrival=1.5, channel="chat", skills={"tech": 2}, handle_time=60.0)], out)
    1
    >>> print(out.getvalue(), end="")
    arrival,channel,priority,head_start,tier,skills,handle_time,patience,patience_censored
    1.5,chat,0,0,standard,tech:2,60,,0
    """
    rows: list[list[str]] = []
    previous = 0.0
    for i, record in enumerate(records):
        if record.arrival < previous:
            raise ScenarioError(
                f"trace record {i}: arrival {record.arrival:g} is earlier than the previous record's "
                f"{previous:g}; a trace is sorted by arrival"
            )
        previous = record.arrival
        rows.append(
            [
                _format(record.arrival),
                record.channel.value,
                str(record.priority),
                _format(record.head_start),
                record.tier,
                format_skills(record.skills),
                _format(record.handle_time),
                _format(record.patience),
                "1" if record.patience_censored else "0",
            ]
        )
    with _opened(dest, "w") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(TRACE_COLUMNS)
        writer.writerows(rows)
    return len(rows)
