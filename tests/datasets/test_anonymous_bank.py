"""The Anonymous Bank loader: a small synthetic log in the real file's format, and the real log if present."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest

from routekit.datasets import (
    BankCall,
    BankLog,
    Outcome,
    PeriodFigures,
    load_anonymous_bank,
    read_trace,
    write_trace,
)
from routekit.datasets.anonymous_bank import COLUMNS
from routekit.errors import ScenarioError

REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "anonymous_bank_1999_08.csv"
needs_real = pytest.mark.skipif(not REAL.exists(), reason="the Anonymous Bank log is not in ../shared/data/")

HEADER = (
    "vru+line,call_id,customer_id,priority,type,date,vru_entry,vru_exit,vru_time,"
    "q_start,q_exit,q_time,outcome,ser_start,ser_exit,ser_time,server"
)

# One row per case; the comment gives its row number in the file (the header is row 1).
ROWS = [
    # 2: queued 30 s, then served for 120 s.
    "AA0101,101,0,0,PS,1999-08-01,7:00:00,7:00:10,10,7:00:10,7:00:40,30,AGENT,7:00:40,7:02:40,120,ANAT",
    # 3: served at once (never queued), for 30 minutes: the agent serves in two half hours.
    "AA0102,102,11,1,PE,1999-08-01,7:10:00,7:10:05,5,0:00:00,0:00:00,0,AGENT,7:10:04,7:40:05,1800,AVI",
    # 4: priority caller who hung up in the queue after 60 s.
    "AA0103,103,12,2,IN,1999-08-01,7:20:00,7:20:06,6,7:20:06,7:21:06,60,HANG,0:00:00,0:00:00,0,NO_SERVER",
    # 5: a phantom call, skipped.
    "AA0104,104,13,1,NE,1999-08-01,7:25:00,7:25:05,5,7:25:05,7:26:05,60,PHANTOM,7:26:05,7:26:08,3,NO_SERVER",
    # 6: hung up inside the IVR, skipped.
    "AA0105,105,0,0,NW,1999-08-01,7:30:00,7:30:09,9,0:00:00,0:00:00,0,HANG,0:00:00,0:00:00,0,NO_SERVER",
    # 7: priority caller queued 15 s, served.
    "AA0106,106,14,2,NE,1999-08-01,7:35:00,7:35:10,10,7:35:10,7:35:25,15,AGENT,7:35:24,7:36:10,45,ANAT",
    # 8: served at once, but the log names no agent.
    "AA0107,107,0,0,TT,1999-08-01,8:00:00,8:00:02,2,0:00:00,0:00:00,0,AGENT,8:00:01,8:01:01,60,NO_SERVER",
    # 9: served after 50 s, with no service record.
    "AA0108,108,0,0,NW,1999-08-01,8:05:00,8:05:00,0,8:05:00,8:05:50,50,AGENT,0:00:00,0:00:00,0,BASCH",
    # 10: hung up the moment it reached the queue.
    "AA0109,109,15,1,PS,1999-08-01,8:10:00,8:10:06,6,8:10:06,8:10:06,0,HANG,0:00:00,0:00:00,0,NO_SERVER",
    # 11: entered the IVR before midnight and queued after it: it belongs to 2 August.
    "AA0110,110,16,1,PS,1999-08-01,23:59:50,0:00:05,15,0:00:05,0:00:35,30,AGENT,0:00:35,0:01:35,60,AVI",
    # 12: the IVR clock stepped back (a negative vru_time, as on 19 real rows); hung up after 40 s.
    "AA0111,111,0,0,PS,1999-08-02,10:00:50,10:00:00,-50,10:00:00,10:00:40,40,HANG,0:00:00,0:00:00,0,NO_SERVER",
]

AUG1, AUG2 = dt.date(1999, 8, 1), dt.date(1999, 8, 2)


def _log(rows: list[str] = ROWS, **kwargs: float) -> BankLog:
    return load_anonymous_bank(io.StringIO("\n".join([HEADER, *rows]) + "\n"), **kwargs)


def _call(log: BankLog, row: int) -> BankCall:
    return next(call for call in log.calls if call.row == row)


def test_header_matches_the_documented_columns() -> None:
    """The synthetic header is the real file's, column for column."""
    assert HEADER.split(",") == list(COLUMNS)


def test_counts_every_kind_of_row(tmp_path: Path) -> None:
    """A file on disk is read and each row kind is counted, phantoms and IVR hang-ups skipped."""
    path = tmp_path / "bank.csv"
    path.write_text("\n".join([HEADER, *ROWS]) + "\n")
    log = load_anonymous_bank(path)
    expected = {"records": 11, "served": 6, "hang_ups": 4, "abandoned": 3, "ivr_hang_ups": 1, "phantom": 1}
    actual = {name: getattr(log, name) for name in expected}
    assert expected == actual
    assert 9 == log.offered == len(log.calls)
    assert [2, 3, 4, 7, 8, 9, 10, 11, 12] == [call.row for call in log.calls]


def test_queued_served_call() -> None:
    """A queued, served call arrives at its queue entry, waits q_time and is handled for ser_time."""
    call = _call(_log(), 2)
    expected = (AUG1, 25210.0, 30.0, Outcome.SERVED, 120.0, 0, 0.0, "PS", "ANAT", True)
    actual = (
        call.day,
        call.arrival,
        call.wait,
        call.outcome,
        call.handle_time,
        call.priority,
        call.head_start,
        call.skill,
        call.agent,
        call.patience_censored,
    )
    assert expected == actual


def test_served_at_once_arrives_at_ivr_exit() -> None:
    """A call served without queueing arrives when it left the IVR and waits nothing."""
    call = _call(_log(), 3)
    assert (7 * 3600 + 10 * 60 + 5.0, 0.0, 1800.0, 1, "PE") == (
        call.arrival,
        call.wait,
        call.handle_time,
        call.priority,
        call.call_type,
    )


def test_abandoned_priority_call() -> None:
    """A priority-2 hang-up in the queue is abandoned, with a 90 s head start and an uncensored wait."""
    call = _call(_log(), 4)
    assert (Outcome.ABANDONED, 60.0, None, 2, 90.0, "IN", None, False) == (
        call.outcome,
        call.wait,
        call.handle_time,
        call.priority,
        call.head_start,
        call.skill,
        call.agent,
        call.patience_censored,
    )


def test_head_start_can_be_changed() -> None:
    """The head start given to priority 2 is a loader setting."""
    log = _log(head_start=0.0)
    assert [0.0] * 9 == [call.head_start for call in log.calls]


def test_every_call_type_is_a_skill() -> None:
    """Each of the six call types in the data becomes the skill of its call."""
    log = _log(
        [row.replace(",PS,", f",{t},") for row in ROWS[:1] for t in ("PS", "PE", "IN", "NE", "NW", "TT")]
    )
    assert ["PS", "PE", "IN", "NE", "NW", "TT"] == [call.skill for call in log.calls]


def test_served_without_agent_or_service_record() -> None:
    """NO_SERVER on a served call gives no agent; a missing service record gives no handle time."""
    log = _log()
    no_agent, no_record = _call(log, 8), _call(log, 9)
    assert (None, 60.0) == (no_agent.agent, no_agent.handle_time)
    assert ("BASCH", None, 50.0) == (no_record.agent, no_record.handle_time, no_record.wait)


def test_zero_wait_hang_up_is_offered() -> None:
    """A caller who hung up the moment they reached the queue is an abandoned offered call."""
    call = _call(_log(), 10)
    assert (Outcome.ABANDONED, 0.0) == (call.outcome, call.wait)


def test_queue_entry_after_midnight_moves_to_the_next_day() -> None:
    """A call that reached the queue after midnight belongs to the next day, at its clock time."""
    call = _call(_log(), 11)
    assert (AUG2, 5.0, 30.0) == (call.day, call.arrival, call.wait)


def test_negative_ivr_time_is_accepted() -> None:
    """A negative vru_time, an IVR clock glitch in the real data, does not refuse the row."""
    call = _call(_log(), 12)
    assert (AUG2, 36000.0, Outcome.ABANDONED) == (call.day, call.arrival, call.outcome)


def test_daily_figures() -> None:
    """Daily figures are stated over the offered calls, with ASA over the served ones."""
    first = _log().daily()[0]
    expected = PeriodFigures(
        day=AUG1,
        start=0.0,
        length=86400.0,
        offered=7,
        served=5,
        abandoned=2,
        abandonment_rate=2 / 7,
        asa=19.0,
        service_level=3 / 7,
        aht=(120 + 1800 + 45 + 60) / 4,
        agents=3,
    )
    assert expected == first
    assert [AUG1, AUG2] == [f.day for f in _log().daily()]


def test_half_hourly_figures_and_staffing() -> None:
    """Half-hour figures count arrivals; staffing counts every agent whose service overlaps the half hour."""
    log = _log()
    halves = log.half_hourly(AUG1)
    assert 48 == len(halves)
    seven = halves[14]
    assert (25200.0, 3, 2, 1, 1 / 3, 15.0, 1 / 3, 2) == (
        seven.start,
        seven.offered,
        seven.served,
        seven.abandoned,
        seven.abandonment_rate,
        seven.asa,
        seven.service_level,
        seven.agents,
    )
    assert (1, 2) == (halves[15].offered, halves[15].agents)
    assert (3, 1) == (halves[16].offered, halves[16].agents)
    assert (0, None, None, None) == (
        halves[0].offered,
        halves[0].abandonment_rate,
        halves[0].asa,
        halves[0].aht,
    )
    expected = [0] * 48
    expected[14:17] = [2, 2, 1]
    assert expected == list(log.staffing(AUG1))
    assert 96 == len(log.half_hourly())


def test_patience_data() -> None:
    """Every offered call gives its wait, censored when it was served."""
    waits, censored = _log().patience_data()
    assert [30.0, 0.0, 60.0, 15.0, 0.0, 50.0, 0.0, 30.0, 40.0] == waits.tolist()
    assert [True, True, False, True, True, True, False, True, False] == censored.tolist()


def test_trace_round_trip() -> None:
    """The calls become trace records timed from the first day's midnight, and survive a write and a read."""
    log = _log()
    records = log.to_trace()
    out = io.StringIO()
    assert 9 == write_trace(records, out)
    out.seek(0)
    assert records == read_trace(out)
    abandoned = records[2]
    assert (26406.0, 0, 90.0, {"IN": 1}, None, 60.0, False) == (
        abandoned.arrival,
        abandoned.priority,
        abandoned.head_start,
        abandoned.skills,
        abandoned.handle_time,
        abandoned.patience,
        abandoned.patience_censored,
    )
    assert [86405.0, 122400.0] == [r.arrival for r in records[-2:]]
    assert [5.0, 36000.0] == [r.arrival for r in log.to_trace([AUG2])]


@pytest.mark.parametrize(
    ("bad", "column", "message"),
    [
        (ROWS[0].replace("7:00:10,7:00:40", "7:0:10,7:00:40"), "q_start", "bad clock time '7:0:10'"),
        (ROWS[0].replace("7:00:00", "24:00:00"), "vru_entry", "bad clock time '24:00:00'"),
        (ROWS[0].replace(",AGENT,", ",SERVED,"), "outcome", "unknown outcome 'SERVED'"),
        (ROWS[0].replace(",0,PS,", ",3,PS,"), "priority", "unknown priority '3'"),
        (ROWS[0].replace(",PS,", ",XX,"), "type", "unknown call type 'XX'"),
        (ROWS[0].replace("1999-08-01", "1999-08-32"), "date", "bad date '1999-08-32'"),
        (ROWS[0].replace(",30,AGENT", ",-30,AGENT"), "q_time", "expected a whole number of seconds >= 0"),
        (ROWS[0].replace(",120,ANAT", ",2 min,ANAT"), "ser_time", "got '2 min'"),
        (ROWS[0].replace(",ANAT", ","), "server", "empty"),
    ],
)
def test_malformed_cell_names_row_and_column(bad: str, column: str, message: str) -> None:
    """A malformed cell is refused with its row number, its column and the bad value."""
    with pytest.raises(ScenarioError) as err:
        _log([ROWS[0], bad])
    assert f"row 3, column {column!r}" in str(err.value)
    assert message in str(err.value)


def test_missing_field_names_row_and_column() -> None:
    """A row cut short is refused with its row number and the first missing column."""
    message = r"<stream> row 3: 16 fields, but the header has 17; missing column 'server'"
    with pytest.raises(ScenarioError, match=message):
        _log([ROWS[0], ROWS[0].rsplit(",", 1)[0]])


def test_extra_field_is_refused() -> None:
    """A row with more fields than the header is refused with its row number."""
    with pytest.raises(ScenarioError, match=r"row 2: 18 fields"):
        _log([ROWS[0] + ",EXTRA"])


def test_header_without_a_column_is_refused(tmp_path: Path) -> None:
    """A header lacking a documented column is refused, naming the file, row 1 and the column."""
    path = tmp_path / "short.csv"
    path.write_text(HEADER.replace(",q_time", "") + "\n")
    with pytest.raises(ScenarioError, match=r"short.csv row 1: the header lacks column\(s\) 'q_time'"):
        load_anonymous_bank(path)


@needs_real
def test_real_log_counts() -> None:
    """The August 1999 log has 42,078 records: 31,402 served, 10,366 hung up, 310 phantom."""
    log = load_anonymous_bank(REAL)
    assert (42_078, 31_402, 10_366, 310) == (log.records, log.served, log.hang_ups, log.phantom)
    assert (38_711, 7_309, 3_057) == (log.offered, log.abandoned, log.ivr_hang_ups)
    assert 31 == len(log.daily())
