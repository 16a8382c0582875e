"""Fuzzing the two importers with hypothesis, from the real files in ../shared/data.

ICS importer: mutated real calendars and generated garbage never raise out of the sync; a
rejected file writes no events; calendars composed of good and broken events import exactly
the good ones. Results importer: mutated rows of the real HoC results CSVs never raise; a
rejected file leaves the database unchanged; a file with some bad rows imports exactly the
good ones (counted by an oracle that knows which mutations break a row).

Each example runs in a savepoint that is rolled back, so examples do not see each other.
Examples are derandomised (the same inputs every run: a failure is reproducible, never flaky).
"""

import csv
import io
from datetime import timedelta
from pathlib import Path

import icalendar
import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

from events import imports
from events.models import CalendarFeed, Event
from seats.importers import SCHEMA_2019, ImportFileError, results_import
from seats.models import Constituency, Contest, Election, Result
from seats.regions import Region
from tests.conftest import SHARED_DATA

FUZZ = settings(
    max_examples=800,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Strategies are built at import, so they read the real files from the same place the
# `shared_data` fixture points at (the fixtures below also check it is there).
SHARED = SHARED_DATA


class Rollback(Exception):
    pass


def rolled_back(check):
    """Run `check()` in a savepoint and undo whatever it wrote."""
    try:
        with transaction.atomic():
            check()
            raise Rollback
    except Rollback:
        pass


# --- ICS -----------------------------------------------------------------------------------


def _real_calendars(shared_data: Path) -> list[bytes]:
    return [path.read_bytes() for path in sorted((shared_data / "ics").glob("*.ics"))]


ICS_FILES = sorted((SHARED / "ics").glob("*.ics"))
GARBAGE_LINES = st.sampled_from(
    [
        "BEGIN:VEVENT",
        "END:VEVENT",
        "END:VCALENDAR",
        "BEGIN:VTIMEZONE",
        "DTSTART:20270101T100000Z",
        "DTSTART;TZID=Nowhere/Else:20270101T100000",
        "DTSTART;VALUE=DATE:99991231",
        "DTEND:19000101T000000Z",
        "DTSTART:not-a-date",
        "RRULE:FREQ=SECONDLY",
        "RRULE:FREQ=DAILY;COUNT=999999999",
        "RRULE:FREQ=YEARLY;BYMONTH=13",
        "RRULE:garbage",
        "DURATION:P-1D",
        "DURATION:PXYZ",
        "EXDATE:;;;",
        "RDATE;VALUE=PERIOD:20270101T100000Z/20260101T100000Z",
        "UID:",
        "SUMMARY:<script>alert(1)</script>",
        "SUMMARY;LANGUAGE=en:\x00\x01\x02",
        "STATUS:CANCELLED",
        " folded continuation",
        "X-WR-TIMEZONE:Mars/Olympus",
        ":::",
        "",
    ]
)


@st.composite
def mutated_calendar(draw) -> bytes:
    data = draw(st.sampled_from([path.read_bytes() for path in ICS_FILES]))
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["cut", "dup", "insert", "line", "bytes", "truncate"]))
        size = max(len(data), 1)
        at = draw(st.integers(0, size))
        if kind == "cut":
            data = data[:at] + data[at + draw(st.integers(1, 200)) :]
        elif kind == "dup":
            data = data[:at] + data[at : at + draw(st.integers(1, 300))] * 2 + data[at:]
        elif kind == "insert":
            text = draw(st.text(max_size=40))
            data = data[:at] + text.encode("utf-8", "surrogatepass") + data[at:]
        elif kind == "line":
            line = draw(GARBAGE_LINES)
            position = data.find(b"\n", at)
            position = len(data) if position < 0 else position + 1
            data = data[:position] + line.encode() + b"\r\n" + data[position:]
        elif kind == "bytes":
            data = data[:at] + draw(st.binary(max_size=20)) + data[at:]
        else:
            data = data[:at]
    return data


GARBAGE_CALENDARS = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda t: ("BEGIN:VCALENDAR\r\n" + t).encode("utf-8", "replace")),
    st.lists(GARBAGE_LINES, max_size=30).map(
        lambda lines: ("BEGIN:VCALENDAR\r\n" + "\r\n".join(lines)).encode()
    ),
)


@pytest.fixture
def feed_group(group, shared_data):
    assert len(_real_calendars(shared_data)) >= 25  # the real files are there, read in place
    return group


def _sync(group, data: bytes):
    feed = CalendarFeed(group=group, name="Fuzzed")
    feed.upload_data = data
    feed.save()
    result = imports.calendar_feed_sync(feed=feed)  # must never raise
    events = Event.objects.filter(feed=feed)
    if result.error:
        assert not events.exists(), "a rejected calendar wrote events"
    else:
        assert events.count() == result.created
        assert result.updated == result.cancelled == 0  # a first sync only creates
        for starts_at, ends_at, title in events.values_list("starts_at", "ends_at", "title"):
            assert ends_at > starts_at
            assert 0 < len(title) <= 200
    feed.refresh_from_db()
    assert feed.last_error == result.error
    return result


# Inputs that crashed the sync before they were fixed (found by this fuzzer).
FOUND = [
    b"BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\nDTSTART;VALUE=DATE:20270110\n"
    b"RRULE:FREQ=DAILY;INTERVAL=;COUNT=1\nEND:VEVENT\nEND:VCALENDAR\n",
    b"BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:y\nDTSTART;TZID=Pacific/Fiji:20270829T080000\n"
    b"DTSTART;TZID=Pacific/Fiji:20270829T100000\nSUMMARY:two starts\nEND:VEVENT\nEND:VCALENDAR\n",
    b"BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20270101T100000Z\r\n"
    b"DTSTART;TZID=America/New_York:20270829T080000\nEND:VEVENT\nEND:VCALENDAR\n",
    b"BEGIN:VCALENDAR\n\x00",
    b"BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;TZID=America/New_York:20270829T080000\n"
    b"RDATE;VALUE=,PERIOD;TZID=Europe/Berlin:20270913T120000/PT2H\nEND:VEVENT\nEND:VCALENDAR\n",
]


@settings(FUZZ, max_examples=1200)
@given(data=st.one_of(mutated_calendar(), GARBAGE_CALENDARS))
def test_ics_importer_survives_mutated_and_garbage_calendars(feed_group, data):
    rolled_back(lambda: _sync(feed_group, data))


@pytest.mark.parametrize("data", FOUND)
def test_calendars_that_once_crashed_the_sync(feed_group, data):
    rolled_back(lambda: _sync(feed_group, data))


SUMMARIES = st.text(
    alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=250
).filter(lambda s: s.strip())


def _good_vevent(uid: str, title: str, start, hours: int) -> bytes:
    event = icalendar.Event()
    event.add("UID", uid)
    event.add("DTSTAMP", start)
    event.add("DTSTART", start)
    event.add("DTEND", start + timedelta(hours=hours))
    event.add("SUMMARY", title)
    return event.to_ical()


BAD_VEVENTS = {
    "ends before it starts": "DTSTART:{s}\r\nDTEND:{e_before}\r\n",
    "no start": "DTEND:{e}\r\n",
    "repeats every second": "DTSTART:{s}\r\nDTEND:{e}\r\nRRULE:FREQ=SECONDLY\r\n",
    "repeats every minute": "DTSTART:{s}\r\nDTEND:{e}\r\nRRULE:FREQ=MINUTELY;INTERVAL=5\r\n",
}


@settings(FUZZ, max_examples=400)
@given(
    good=st.lists(st.tuples(SUMMARIES, st.integers(1, 100), st.integers(1, 8)), max_size=6),
    bad=st.lists(st.sampled_from(sorted(BAD_VEVENTS)), max_size=4),
    order=st.randoms(use_true_random=False),
)
def test_ics_with_some_bad_events_imports_exactly_the_good_ones(feed_group, good, bad, order):
    now = timezone.now().replace(microsecond=0)
    blocks = []
    expected = set()
    for n, (title, day, hours) in enumerate(good):
        start = now + timedelta(days=day, minutes=n)
        blocks.append(_good_vevent(f"good-{n}@fuzz", title, start, hours))
        expected.add((" ".join(title.split())[:200], start))
    fmt = "%Y%m%dT%H%M%SZ"
    start = now + timedelta(days=3)
    for n, kind in enumerate(bad):
        body = BAD_VEVENTS[kind].format(
            s=f"{start:{fmt}}",
            e=f"{start + timedelta(hours=1):{fmt}}",
            e_before=f"{start - timedelta(hours=1):{fmt}}",
        )
        blocks.append(f"BEGIN:VEVENT\r\nUID:bad-{n}@fuzz\r\n{body}END:VEVENT\r\n".encode())
    order.shuffle(blocks)
    data = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//fuzz//EN\r\n"
    data += b"".join(blocks) + b"END:VCALENDAR\r\n"

    def check():
        result = _sync(feed_group, data)
        assert result.error == ""
        imported = set(Event.objects.filter(feed__name="Fuzzed").values_list("title", "starts_at"))
        assert imported == expected
        # Every broken event is reported by its UID.
        for n in range(len(bad)):
            assert any(f"bad-{n}@fuzz" in warning for warning in result.warnings), result.warnings

    rolled_back(check)


# --- Results CSV ---------------------------------------------------------------------------


def _real_results() -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO((SHARED / "ge2019_results.csv").read_text("utf-8-sig"))))
    return rows[0], rows[1:]


HEADER, ROWS = _real_results()
COLUMN = {name: index for index, name in enumerate(HEADER)}
PARTY_COLUMNS = [c for c in SCHEMA_2019.party_columns if c in COLUMN]
UNUSED = ["County name", "Declaration time", "Member first name", "Member surname", "Result"]
# A letter makes any text not a whole number ("+0", "0_0" and "-0" are numbers to int()).
NOT_A_NUMBER = st.builds(lambda a, b: f"{a}x{b}", st.text(max_size=6), st.text(max_size=6))
NOT_A_CODE = st.text(max_size=12).filter(
    lambda t: not (len(t.strip()) == 9 and t.strip()[0] in "ESWN" and t.strip()[1:].isdigit())
)
NOT_A_REGION = st.text(max_size=12).filter(lambda t: t.strip() not in Region.values)
ANY_TEXT = st.text(max_size=60)


@st.composite
def mutated_row(draw) -> tuple[list[str], bool]:
    """(row, whether the importer must accept it)."""
    row = list(draw(st.sampled_from(ROWS)))
    good = True
    for _ in range(draw(st.integers(0, 2))):
        kind = draw(
            st.sampled_from(
                ["name", "unused", "commas", "code", "region", "valid", "party", "first",
                 "truncate", "huge", "nul name"]
            )
        )  # fmt: skip
        note(f"mutation {kind}")
        if kind == "name":
            name = draw(ANY_TEXT.filter(lambda t: t.strip() and "\x00" not in t))
            row[COLUMN["Constituency name"]] = name
        elif kind == "unused":
            row[COLUMN[draw(st.sampled_from(UNUSED))]] = draw(ANY_TEXT)
        elif kind == "commas":
            column = COLUMN[draw(st.sampled_from(["Valid votes", "Electorate", "Con"]))]
            if row[column].strip().isdigit():
                row[column] = f"{int(row[column]):,}"
        elif kind == "code":
            row[COLUMN["ONS ID"]], good = draw(NOT_A_CODE), False
        elif kind == "region":
            row[COLUMN["ONS region ID"]], good = draw(NOT_A_REGION), False
        elif kind == "valid":
            valid = int(row[COLUMN["Valid votes"]].replace(",", ""))
            row[COLUMN["Valid votes"]] = str(valid + draw(st.integers(1, 10**6)))
            good = False
        elif kind == "party":
            row[COLUMN[draw(st.sampled_from(PARTY_COLUMNS))]] = draw(NOT_A_NUMBER)
            good = False
        elif kind == "first":
            row[COLUMN["First party"]], good = draw(st.sampled_from(["", "  "])), False
        elif kind == "truncate":
            row, good = row[: draw(st.integers(1, COLUMN["Valid votes"]))], False
        elif kind == "huge":
            # Adds up, but no election has 3 billion voters (and it would not fit a column).
            valid = int(row[COLUMN["Valid votes"]].replace(",", ""))
            extra = draw(st.integers(3 * 10**9, 10**30))
            row[COLUMN["Valid votes"]] = str(valid + extra)
            con = int(row[COLUMN["Con"]].replace(",", ""))
            row[COLUMN["Con"]] = str(con + extra)
            good = False
        else:
            row[COLUMN["Constituency name"]] = draw(ANY_TEXT) + "\x00"
            good = False
        if not good:
            break  # a later mutation must not undo the breaking one
    if any("\x00" in cell for cell in row):
        good = False  # a row with a NUL anywhere is corrupt (and PostgreSQL cannot store it)
    return row, good


def _csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


@pytest.fixture
def election(db, shared_data):
    assert (shared_data / "ge2019_results.csv").exists()
    return Election.objects.create(
        slug="fuzz", name="Fuzz election", date="2029-05-03", boundary_set="2010"
    )


def _counts():
    return (Constituency.objects.count(), Contest.objects.count(), Result.objects.count())


@FUZZ
@given(rows=st.lists(mutated_row(), min_size=1, max_size=8))
def test_results_importer_imports_exactly_the_good_rows(election, rows):
    rows = [(row, good) for row, good in rows if any(cell.strip() for cell in row)]
    assume(rows)  # blank lines are skipped, not rows
    expected: dict[str, list[str]] = {}
    for row, good in rows:
        if good and row[COLUMN["ONS ID"]] not in expected:
            expected[row[COLUMN["ONS ID"]]] = row

    def check():
        before = _counts()
        report = results_import(text=_csv(HEADER, [row for row, _ in rows]), election=election)
        assert report.rows_read == len(rows)
        assert report.imported == len(expected)
        assert len(report.errors) == len(rows) - len(expected)
        contests = dict(
            Contest.objects.filter(election=election).values_list(
                "constituency__ons_code", "valid_votes"
            )
        )
        assert contests == {
            code: int(row[COLUMN["Valid votes"]].replace(",", "")) for code, row in expected.items()
        }
        if not expected:
            assert _counts() == before, "a file with no good row wrote something"

    rolled_back(check)


@FUZZ
@given(
    text=st.one_of(
        st.text(max_size=400),
        st.lists(st.lists(st.text(max_size=15), max_size=12), max_size=6).map(
            lambda rows: _csv(rows[0] if rows else [], rows[1:])
        ),
        st.lists(st.sampled_from(ROWS), max_size=3).map(
            lambda rows: _csv([h.upper() for h in HEADER], rows)  # wrong header spelling
        ),
    )
)
def test_a_rejected_results_file_leaves_the_database_unchanged(election, text):
    def check():
        before = _counts()
        try:
            report = results_import(text=text, election=election)
        except ImportFileError:
            assert _counts() == before
            return
        if report.imported == 0:
            assert _counts() == before

    rolled_back(check)
