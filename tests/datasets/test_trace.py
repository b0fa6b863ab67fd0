"""The trace CSV: writer and reader round trip, column mapping, and a clear error for each bad row."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from routekit.datasets import TRACE_COLUMNS, TraceRecord, read_trace, write_trace
from routekit.datasets.trace import parse_skills
from routekit.errors import ScenarioError
from routekit.models import Channel

RECORDS = (
    TraceRecord(arrival=0.0, channel=Channel.VOICE),
    TraceRecord(
        arrival=0.1,
        channel=Channel.CHAT,
        priority=2,
        head_start=90.0,
        tier="gold",
        skills={"billing": 1, "tech": 2},
        handle_time=187.25,
        patience=41.0,
        patience_censored=True,
    ),
    TraceRecord(arrival=0.1, channel=Channel.VIDEO, priority=-1, skills={"es": 5}, patience=1 / 3),
)

HEADER = ",".join(TRACE_COLUMNS)
GOOD = "5,voice,0,0,standard,PS:1,100,20,1"


def _read(*rows: str, header: str = HEADER, **kwargs: dict[str, str]) -> tuple[TraceRecord, ...]:
    return read_trace(io.StringIO("\n".join([header, *rows]) + "\n"), **kwargs)


def test_round_trip_through_a_file(tmp_path: Path) -> None:
    """Records written to a path read back equal, None and fractional values included."""
    path = tmp_path / "calls.csv"
    assert 3 == write_trace(RECORDS, path)
    assert RECORDS == read_trace(path)


def test_written_format() -> None:
    """The writer puts every column in the documented order and leaves unknown values empty."""
    out = io.StringIO()
    write_trace(RECORDS[:2], out)
    expected = (
        "arrival,channel,priority,head_start,tier,skills,handle_time,patience,patience_censored\n"
        "0,voice,0,0,standard,,,,0\n"
        "0.1,chat,2,90,gold,billing:1;tech:2,187.25,41,1\n"
    )
    assert expected == out.getvalue()


def test_empty_optional_cells_take_defaults() -> None:
    """Empty optional cells mean priority 0, no head start, the standard tier, no skills, unknown times."""
    (record,) = _read("3,Voice,,,,,,,")
    assert TraceRecord(arrival=3.0, channel=Channel.VOICE) == record


def test_bare_skill_name_means_level_one() -> None:
    """A skill written without a level requires level 1."""
    assert {"billing": 1, "tech": 3} == parse_skills(" billing ; tech:3 ;")


def test_column_mapping_reads_other_headers() -> None:
    """A mapping from trace names to the CSV's own headers loads a CSV with other names and extra columns."""
    text = "Start Time,Medium,Queue,AHT,note\n12,chat,billing:2,300,x\n15.5,voice,,,y\n"
    columns = {"arrival": "Start Time", "channel": "Medium", "skills": "Queue", "handle_time": "AHT"}
    records = read_trace(io.StringIO(text), columns=columns)
    expected = (
        TraceRecord(arrival=12.0, channel=Channel.CHAT, skills={"billing": 2}, handle_time=300.0),
        TraceRecord(arrival=15.5, channel=Channel.VOICE),
    )
    assert expected == records


def test_mapping_to_an_absent_header_is_refused() -> None:
    """A mapping that names a header the file lacks is refused at row 1."""
    with pytest.raises(ScenarioError, match=r"row 1: the column mapping reads 'patience' from 'Wait'"):
        _read(GOOD, columns={"patience": "Wait"})


def test_mapping_of_an_unknown_trace_column_is_refused() -> None:
    """A mapping key that is no trace column is refused, naming it."""
    with pytest.raises(ScenarioError, match=r"unknown trace column\(s\) 'arival'"):
        _read(GOOD, columns={"arival": "t"})


def test_missing_required_column_is_refused() -> None:
    """A header without a required column is refused at row 1, naming the column."""
    with pytest.raises(ScenarioError, match=r"row 1: missing column 'channel'"):
        _read("5", header="arrival")


def test_empty_file_is_refused() -> None:
    """A file with no header row is refused."""
    with pytest.raises(ScenarioError, match="the file is empty"):
        read_trace(io.StringIO(""))


@pytest.mark.parametrize(
    ("bad", "column", "message"),
    [
        (
            "soon,voice,0,0,standard,PS:1,100,20,1",
            "arrival",
            "expected a finite number of seconds >= 0, got 'soon'",
        ),
        ("-1,voice,0,0,standard,PS:1,100,20,1", "arrival", "got '-1'"),
        ("nan,voice,0,0,standard,PS:1,100,20,1", "arrival", "got 'nan'"),
        ("4,voice,0,0,standard,PS:1,100,20,1", "arrival", "4 is earlier than the previous row's 5"),
        ("5,fax,0,0,standard,PS:1,100,20,1", "channel", "unknown channel 'fax'"),
        ("5,voice,1.5,0,standard,PS:1,100,20,1", "priority", "expected an integer, got '1.5'"),
        ("5,voice,0,-90,standard,PS:1,100,20,1", "head_start", "got '-90'"),
        ("5,voice,0,0,standard,PS:9,100,20,1", "skills", "level must be an integer 1..5, got 9"),
        ("5,voice,0,0,standard,PS:x,100,20,1", "skills", "bad level 'x' for skill 'PS'"),
        ("5,voice,0,0,standard,PS;PS:2,100,20,1", "skills", "skill 'PS' is named twice"),
        ("5,voice,0,0,standard,PS:1,inf,20,1", "handle_time", "got 'inf'"),
        ("5,voice,0,0,standard,PS:1,100,-3,1", "patience", "got '-3'"),
        ("5,voice,0,0,standard,PS:1,100,20,yes", "patience_censored", "expected 0 or 1, got 'yes'"),
        ("5,voice,0,0,standard,PS:1,100,,1", "patience_censored", "1 needs a patience value"),
    ],
)
def test_malformed_row_names_row_and_column(bad: str, column: str, message: str) -> None:
    """A malformed cell is refused with its row number, its column and the problem."""
    with pytest.raises(ScenarioError) as err:
        _read(GOOD, bad)
    assert f"<stream> row 3, column {column!r}: " in str(err.value)
    assert message in str(err.value)


def test_mapped_column_is_named_as_the_file_names_it() -> None:
    """An error in a mapped column names the CSV's own header, so the user finds it."""
    with pytest.raises(ScenarioError, match=r"row 2, column 'Start Time': expected a finite number"):
        _read("x,voice", header="Start Time,channel", columns={"arrival": "Start Time"})


def test_wrong_field_count_is_refused() -> None:
    """A row with fewer fields than the header is refused with its row number."""
    with pytest.raises(ScenarioError, match=r"<stream> row 3: 8 fields, but the header has 9"):
        _read(GOOD, GOOD.rsplit(",", 1)[0])


def test_writer_refuses_unsorted_records() -> None:
    """The writer refuses a record that arrives before the one before it, naming the record."""
    with pytest.raises(
        ScenarioError, match=r"trace record 1: arrival 1 is earlier than the previous record's 2"
    ):
        write_trace(
            [TraceRecord(arrival=2.0, channel="voice"), TraceRecord(arrival=1.0, channel="voice")],
            io.StringIO(),
        )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"arrival": -1.0}, "TraceRecord.arrival must be a finite number >= 0"),
        ({"channel": "fax"}, "unknown channel 'fax'"),
        ({"priority": 1.5}, "TraceRecord.priority must be an integer"),
        ({"tier": ""}, "TraceRecord.tier must be a non-empty string"),
        ({"skills": {"a;b": 1}}, "bad skill name 'a;b'"),
        ({"patience_censored": True}, "patience_censored is True but patience is None"),
    ],
)
def test_record_validates_its_fields(fields: dict[str, object], message: str) -> None:
    """A record built in code is checked as a row is, so a bad one cannot be written."""
    values: dict[str, object] = {"arrival": 0.0, "channel": "voice", **fields}
    with pytest.raises(ScenarioError, match=message):
        TraceRecord(**values)  # type: ignore[arg-type]  # deliberately wrong values
