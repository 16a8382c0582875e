"""Time: events across the BST change keep their local wall-clock times (one-off and weekly);
times that do not exist or happen twice on change night are handled; zero-length ranges and
far-future (year 9999) dates are refused with a clear message or handled, never a 500;
DTEND before DTSTART in an imported calendar is reported, not raised."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.test import Client
from django.utils import timezone

from events import imports
from events.models import CalendarFeed, Event
from tests.security.url_table import _event_form

LONDON = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")
# 2027: clocks go forward on Sunday 28 March (01:00 GMT -> 02:00 BST), back on 31 October.
SPRING = ("2027-03-27T10:00", "2027-03-28T10:00")
AUTUMN = ("2027-10-30T10:00", "2027-10-31T10:00")


@pytest.fixture
def signed_in(organiser, group):
    client = Client(raise_request_exception=False)
    client.force_login(organiser)
    return client


def _create(client, group, title, starts, ends, **extra):
    data = {**_event_form(title), "starts_at": starts, "ends_at": ends, **extra}
    return client.post(f"/events/new/{group.slug}/", data)


@pytest.mark.parametrize("before, after", [SPRING, AUTUMN], ids=["spring forward", "fall back"])
def test_one_off_events_either_side_of_the_change_keep_ten_oclock(signed_in, group, before, after):
    for title, start in [("Before", before), ("After", after)]:
        end = start.replace("T10:00", "T12:00")
        assert _create(signed_in, group, title, start, end).status_code == 302
    events = {e.title: e for e in Event.objects.all()}
    for event in events.values():
        local = timezone.localtime(event.starts_at, LONDON)
        assert (local.hour, local.minute) == (10, 0)
        assert event.ends_at - event.starts_at == timedelta(hours=2)
    # Exactly one day apart on the wall clock, 23 or 25 real hours apart.
    real = events["After"].starts_at - events["Before"].starts_at
    assert real == (timedelta(hours=23) if before == SPRING[0] else timedelta(hours=25))
    # The page and the feed both say 10:00 UK time.
    page = signed_in.get(f"/events/{events['After'].pk}/").content.decode()
    assert "10:00" in page or "10am" in page
    feed = icalendar.Calendar.from_ical(signed_in.get("/events/feed.ics").content)
    starts = {str(v["SUMMARY"]).split(" (")[0]: v["DTSTART"].dt for v in feed.walk("VEVENT")}
    for title in ("Before", "After"):
        assert starts[title].astimezone(LONDON).hour == 10


def test_a_weekly_series_across_both_changes_stays_at_ten(signed_in, group, settings):
    settings.EVENTS_HORIZON_DAYS = 800
    response = _create(
        signed_in, group, "Weekly stall", "2027-03-13T10:00", "2027-03-13T11:00",
        repeat="weekly", repeat_until="2027-11-13",
    )  # fmt: skip
    assert response.status_code == 302
    occurrences = list(Event.objects.filter(title="Weekly stall").order_by("starts_at"))
    assert len(occurrences) == financial_weeks("2027-03-13", "2027-11-13")
    for event in occurrences:
        local = timezone.localtime(event.starts_at, LONDON)
        assert (local.weekday(), local.hour, local.minute) == (5, 10, 0), local
        assert event.ends_at - event.starts_at == timedelta(hours=1)
    offsets = {timezone.localtime(e.starts_at, LONDON).utcoffset() for e in occurrences}
    assert offsets == {timedelta(0), timedelta(hours=1)}  # really crossed both changes


def financial_weeks(first: str, last: str) -> int:
    days = (datetime.fromisoformat(last) - datetime.fromisoformat(first)).days
    return days // 7 + 1


def test_times_that_do_not_exist_or_happen_twice_are_handled(signed_in, group):
    # 01:30 on spring-forward night never happens; 01:30 on fall-back night happens twice.
    for title, start, end in [
        ("Gap", "2027-03-28T01:30", "2027-03-28T03:00"),
        ("Fold", "2027-10-31T01:30", "2027-10-31T02:30"),
        ("Overnight", "2027-03-27T23:00", "2027-03-28T03:00"),
    ]:
        response = _create(signed_in, group, title, start, end)
        assert response.status_code in {200, 302}, title
    for event in Event.objects.all():
        assert event.ends_at > event.starts_at
        assert signed_in.get(f"/events/{event.pk}/").status_code == 200
    overnight = Event.objects.get(title="Overnight")
    assert overnight.ends_at - overnight.starts_at == timedelta(hours=3)  # 4 on the clock


@pytest.mark.parametrize(
    "starts, ends",
    [("2027-05-01T10:00", "2027-05-01T10:00"), ("2027-05-01T10:00", "2027-05-01T09:00")],
    ids=["zero length", "backwards"],
)
def test_zero_length_and_backwards_events_are_refused(signed_in, group, starts, ends):
    response = _create(signed_in, group, "Bad range", starts, ends)
    assert response.status_code == 200
    assert b"The event must end after it starts." in response.content
    assert b'value="Bad range"' in response.content  # nothing the organiser typed is lost
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    "starts, ends",
    [
        ("9999-12-31T10:00", "9999-12-31T11:00"),
        ("9999-12-31T22:00", "9999-12-31T23:59"),
        ("2027-05-01T10:00", "9999-12-31T23:59"),
        ("0001-01-01T10:00", "0001-01-01T11:00"),
    ],
    ids=["year 9999", "last minute of 9999", "until 9999", "year 1"],
)
def test_far_dates_are_refused_or_handled(signed_in, group, starts, ends):
    response = _create(signed_in, group, "Far away", starts, ends)
    assert response.status_code in {200, 302}
    if response.status_code == 200:
        assert b"Choose a date between 2000 and" in response.content
        assert b'value="Far away"' in response.content
        assert not Event.objects.exists()
        return
    event = Event.objects.get()
    for url in [
        f"/events/{event.pk}/",
        f"/events/{event.pk}/event.ics",
        f"/events/{event.pk}/edit/",
        f"/events/{event.pk}/duplicate/",
        f"/events/{event.pk}/attendees/",
        "/events/feed.ics",
        f"/events/?month={starts[:7]}",
        f"/events/agenda/?date={starts[:10]}",
    ]:
        assert signed_in.get(url).status_code == 200, url


@pytest.mark.parametrize("value", ["9999-12-31T23:59", "0001-01-01T00:00", "2027-13-45T25:61"])
def test_petition_dates_far_away_are_handled(signed_in, group, value):
    response = signed_in.post(
        f"/petitions/new/{group.slug}/",
        {"title": "Far", "target": "T", "body": "B", "opens_at": "", "closes_at": value},
    )
    assert response.status_code in {200, 302}
    if response.status_code == 302:
        assert signed_in.get(response["Location"]).status_code == 200


def test_deliver_date_in_year_9999_is_refused(signed_in, group):
    from tests.petitions.factories import PetitionFactory

    petition = PetitionFactory(group=group, slug="deliver-me")
    response = signed_in.post(
        f"/petitions/{petition.slug}/deliver/", {"delivered_on": "9999-12-31"}, follow=True
    )
    assert response.status_code == 200
    petition.refresh_from_db()
    assert petition.delivered_at is None


def test_dtend_before_dtstart_is_reported_and_the_rest_imports(group):
    start = timezone.now() + timedelta(days=4)
    fmt = "%Y%m%dT%H%M%SZ"
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"
        f"BEGIN:VEVENT\r\nUID:backwards@x\r\nDTSTART:{start:{fmt}}\r\n"
        f"DTEND:{start - timedelta(hours=2):{fmt}}\r\nSUMMARY:Backwards\r\nEND:VEVENT\r\n"
        f"BEGIN:VEVENT\r\nUID:zero@x\r\nDTSTART:{start:{fmt}}\r\n"
        f"DTEND:{start:{fmt}}\r\nSUMMARY:Zero\r\nEND:VEVENT\r\n"
        f"BEGIN:VEVENT\r\nUID:fine@x\r\nDTSTART:{start:{fmt}}\r\n"
        f"DTEND:{start + timedelta(hours=1):{fmt}}\r\nSUMMARY:Fine\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:far@x\r\nDTSTART:99991231T230000Z\r\n"
        "DTEND:99991231T235900Z\r\nSUMMARY:Far\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )
    feed = CalendarFeed(group=group, name="Mixed")
    feed.upload_data = ics.encode()
    feed.save()
    result = imports.calendar_feed_sync(feed=feed)
    assert result.error == ""
    assert any("backwards@x" in w and "ends (DTEND) before it starts" in w for w in result.warnings)
    titles = set(Event.objects.filter(feed=feed).values_list("title", flat=True))
    assert titles == {"Fine", "Zero"}  # a zero-length import becomes one minute; 9999 is outside
    zero = Event.objects.get(feed=feed, title="Zero")
    assert zero.ends_at - zero.starts_at == timedelta(minutes=1)
    feed.refresh_from_db()
    assert feed.warnings == result.warnings and feed.last_error == ""


def test_pages_of_an_event_already_dated_9999_do_not_break(signed_in, group):
    """The form refuses such dates, but the admin or old data may hold one."""
    from tests.events.factories import EventFactory

    event = EventFactory(
        group=group,
        starts_at=datetime(9999, 12, 31, 10, tzinfo=LONDON),
        ends_at=datetime(9999, 12, 31, 11, tzinfo=LONDON),
    )
    for url in [
        f"/events/{event.pk}/",
        f"/events/{event.pk}/event.ics",
        f"/events/{event.pk}/edit/",
        f"/events/{event.pk}/duplicate/",
        f"/events/{event.pk}/attendees/",
        "/events/feed.ics",
        "/events/?month=9999-12",
        "/events/week/?week=9999-12-31",
        "/events/agenda/?date=9999-12-31",
    ]:
        assert signed_in.get(url).status_code == 200, url


@pytest.mark.parametrize("until", ["9999-12-31", "2027-05-01", "2000-01-01"])
def test_a_series_repeating_until_far_away_or_before_it_starts_is_handled(signed_in, group, until):
    response = _create(
        signed_in, group, "Series", "2027-05-01T10:00", "2027-05-01T11:00",
        repeat="weekly", repeat_until=until,
    )  # fmt: skip
    assert response.status_code in {200, 302}
    if response.status_code == 200:
        assert b"field-error" in response.content or b"form-errors" in response.content
        assert not Event.objects.exists()
    else:
        # Occurrences are created only up to the rolling horizon, whatever the end date.
        last = Event.objects.order_by("-starts_at").first()
        assert last.starts_at <= timezone.now() + timedelta(days=400)
        assert signed_in.get(f"/events/{last.pk}/duplicate/").status_code == 200
