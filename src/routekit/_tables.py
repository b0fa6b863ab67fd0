"""Tables of plain rows as CSV, as HTML for Jupyter, and as pandas data frames when pandas is installed.

Every result that an analyst reads (a simulated day, a replay, a staffing table) is first a list of plain
rows, dicts of column name to a number, a string or ``None`` (no value). This module turns such rows into
the forms each consumer wants, with one meaning everywhere: ``None`` is an empty CSV cell, JSON ``null``,
an empty HTML cell, and a missing value (``NaN`` or ``None``) in a frame.

>>> rows = [{"channel": "voice", "service_level": 0.8}, {"channel": "chat", "service_level": None}]
>>> print(csv_text(["channel", "service_level"], rows), end="")
channel,service_level
voice,0.8
chat,
>>> print(html_table(["channel", "service_level"], rows[:1]))
<table><thead><tr><th>channel</th><th>service_level</th></tr></thead><tbody><tr><td>voice</td><td>0.8</td></tr></tbody></table>
"""

from __future__ import annotations

import csv
import html
import importlib
import io
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["FRAMES_EXTRA", "csv_text", "data_frame", "html_table", "pandas"]

FRAMES_EXTRA = "routekit[frames]"
"""The extra that installs pandas, named in the error raised without it."""

Row = Mapping[str, Any]


def pandas(what: str) -> Any:
    """The pandas module, imported only when a frame is asked for.

    Args:
        what: The method that needs it, named in the error (``"SimulationResult.to_dataframe"``).

    Raises:
        ImportError: pandas is not installed; the message names the extra that installs it.
    """
    try:
        return importlib.import_module("pandas")
    except ImportError:
        raise ImportError(f"{what} needs pandas: pip install '{FRAMES_EXTRA}'") from None


def data_frame(what: str, columns: Sequence[str], rows: Sequence[Row]) -> Any:
    """The rows as a ``pandas.DataFrame`` with exactly these columns, in this order."""
    return pandas(what).DataFrame([[row.get(c) for c in columns] for row in rows], columns=list(columns))


def csv_text(columns: Sequence[str], rows: Sequence[Row]) -> str:
    """The rows as CSV text with a header; ``None`` is an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else _plain(row.get(c)) for c in columns])
    return out.getvalue()


def html_table(columns: Sequence[str], rows: Sequence[Row], *, caption: str | None = None) -> str:
    """The rows as one HTML ``<table>`` (what Jupyter shows for ``_repr_html_``); floats to 4 significant digits."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(row.get(c)))}</td>" for c in columns) + "</tr>" for row in rows
    )
    title = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{title}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return ";".join(str(v) for v in value)
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(_plain(value))
