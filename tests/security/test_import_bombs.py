"""Calendars built to make the worker expand, parse or sync forever: refused from their shape
before the expensive part runs, with a clear line in the import report; one sync per feed at
a time; "Sync now" rationed per group."""

import threading

import psycopg
import pytest
import recurring_ical_events
from django.conf import settings as django_settings

from events import imports
from events.models import CalendarFeed, Event
from events.tasks import FEED_SYNC_SOFT_TIME_LIMIT, FEED_SYNC_TIME_LIMIT, calendar_feed_sync_task
from tests.events.conftest import local_http as events_local_http
from tests.events.test_imports import _ics, _soon, _sync_bytes, _vevent

pytestmark = pytest.mark.django_db

calendar_server = events_local_http

EVERY_MINUTE = ",".join(str(n) for n in range(60))
EVERY_HOUR = ",".join(str(n) for n in range(24))

# (name, RRULE, what the import report says about it)
REFUSED_RULES = [
    (
        "BYSECOND on an hourly rule (the 400-byte bomb)",
        f"FREQ=HOURLY;BYMINUTE={EVERY_MINUTE};BYSECOND={EVERY_MINUTE}",
        "more often than every hour",
    ),
    ("SECONDLY", "FREQ=SECONDLY", "more often than every hour"),
    ("MINUTELY", "FREQ=MINUTELY;INTERVAL=30", "more often than every hour"),
    ("BYSECOND on a weekly rule", "FREQ=WEEKLY;BYSECOND=0,30", "more often than every hour"),
    ("hourly at two minutes", "FREQ=HOURLY;BYMINUTE=0,30", "48 times a day"),
    (
        "daily at every quarter hour",
        f"FREQ=DAILY;BYHOUR={EVERY_HOUR};BYMINUTE=0,15,30,45",
        "96 times a day",
    ),
    ("weekly, every minute of the day", f"FREQ=WEEKLY;BYMINUTE={EVERY_MINUTE}", "60 times a day"),
]


@pytest.mark.parametrize(
    ("name", "rule", "reported"), REFUSED_RULES, ids=[row[0] for row in REFUSED_RULES]
)
def test_sub_hourly_series_are_refused_before_expansion(name, rule, reported, group, monkeypatch):
    expanded = []
    real_of = recurring_ical_events.of

    def spy(calendar, *args, **kwargs):
        expanded.append([str(c.get("UID")) for c in calendar.walk("VEVENT")])
        return real_of(calendar, *args, **kwargs)

    monkeypatch.setattr(recurring_ical_events, "of", spy)
    start = _soon(1)
    feed, _ = _sync_bytes(
        group,
        _ics(
            _vevent("bomb@src", start, hours=1, extra=f"RRULE:{rule}"),
            _vevent("fine@src", start, hours=1, extra="RRULE:FREQ=DAILY;BYHOUR=9,18"),
        ),
    )
    assert any("bomb@src" in w and reported in w for w in feed.warnings), feed.warnings
    assert ["bomb@src"] not in expanded  # refused from the rule's parts, never expanded
    assert not Event.objects.filter(feed=feed, source_uid="bomb@src").exists()
    assert Event.objects.filter(feed=feed, source_uid="fine@src").count() > 2  # the rest imports


def test_an_exrule_is_held_to_the_same_bound(group):
    start = _soon(1)
    feed, _ = _sync_bytes(
        group,
        _ics(
            _vevent("ex@src", start, extra="RRULE:FREQ=DAILY\r\nEXRULE:FREQ=SECONDLY;BYSECOND=0,1"),
        ),
    )
    assert any("ex@src" in w and "every hour" in w for w in feed.warnings)


def test_hourly_series_still_import(group, settings):
    settings.EVENTS_HORIZON_DAYS = 3
    feed, _ = _sync_bytes(
        group, _ics(_vevent("hourly@src", _soon(1), hours=1, extra="RRULE:FREQ=HOURLY"))
    )
    assert 24 <= Event.objects.filter(feed=feed).count() <= 24 * 4
    assert not feed.last_error


def test_the_total_occurrences_of_a_sync_are_capped(group, settings):
    settings.EVENTS_FEED_MAX_EVENTS = 300
    start = _soon(1)
    series = [
        _vevent(f"hourly-{n}@src", start, hours=1, extra="RRULE:FREQ=HOURLY") for n in range(50)
    ]
    feed, _ = _sync_bytes(group, _ics(*series))
    assert Event.objects.filter(feed=feed).count() == 300
    assert any("were skipped" in w for w in feed.warnings)


def _nested(depth: int, *, uid: str = "nest") -> str:
    opening = "".join(f"BEGIN:VEVENT\r\nUID:{uid}-{n}\r\n" for n in range(depth))
    return opening + "END:VEVENT\r\n" * depth


def test_three_thousand_nested_events_are_refused_before_parsing(group, monkeypatch):
    def parse_called(*args, **kwargs):
        raise AssertionError("the parser must not see this file")

    monkeypatch.setattr(imports.icalendar.Calendar, "from_ical", parse_called)
    data = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{_nested(3000)}END:VCALENDAR\r\n".encode()
    feed, _ = _sync_bytes(group, data)
    assert "nests components" in feed.last_error
    assert not Event.objects.exists()


def test_real_nesting_three_deep_is_fine(group):
    alarm = "BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT15M\r\nEND:VALARM"
    feed, _ = _sync_bytes(group, _ics(_vevent("alarm@src", _soon(), extra=alarm)))
    assert feed.last_error == ""
    assert Event.objects.filter(feed=feed).count() == 1


def test_a_flood_of_components_is_refused(group, settings):
    settings.EVENTS_FEED_MAX_EVENTS = 100
    alarms = "\r\n".join(["BEGIN:VALARM\r\nEND:VALARM"] * 1000)
    feed, _ = _sync_bytes(group, _ics(_vevent("alarms@src", _soon(), extra=alarms)))
    assert "components" in feed.last_error
    assert not Event.objects.exists()


# --- One sync per feed at a time ----------------------------------------------------------


def test_sync_time_limits_are_below_the_broker_visibility_timeout():
    visibility = django_settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert FEED_SYNC_SOFT_TIME_LIMIT < FEED_SYNC_TIME_LIMIT < visibility
    assert calendar_feed_sync_task.time_limit == FEED_SYNC_TIME_LIMIT
    assert calendar_feed_sync_task.soft_time_limit == FEED_SYNC_SOFT_TIME_LIMIT


def _other_connection():
    db = django_settings.DATABASES["default"]
    return psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or "127.0.0.1",
        port=db.get("PORT") or 5432,
        autocommit=True,
    )


def test_a_redelivered_sync_does_nothing_while_one_runs(group, calendar_server):
    """Another process (the first delivery of the task) holds the feed's sync: the second
    delivery neither downloads nor writes anything, and the next one after it runs."""
    calendar_server.body = _ics(_vevent("once@src", _soon()))
    feed = CalendarFeed.objects.create(group=group, name="Locked", url=calendar_server.url)
    with _other_connection() as other:
        other.execute("SELECT pg_advisory_lock(%s, %s)", [imports.SYNC_LOCK_NAMESPACE, feed.pk])
        calendar_feed_sync_task.apply(args=[feed.pk]).get(propagate=True)
        assert calendar_server.requests == []
        assert not Event.objects.filter(feed=feed).exists()
        # Unlock before closing: a closed session's backend lets go of its locks a moment
        # later, which a busy machine makes visible.
        other.execute("SELECT pg_advisory_unlock(%s, %s)", [imports.SYNC_LOCK_NAMESPACE, feed.pk])
    calendar_feed_sync_task.apply(args=[feed.pk]).get(propagate=True)
    assert len(calendar_server.requests) == 1
    assert Event.objects.filter(feed=feed).count() == 1


def test_two_syncs_of_one_feed_at_once_download_it_once(transactional_db, group, calendar_server):
    calendar_server.body = _ics(_vevent("race@src", _soon()))
    calendar_server.delay = 1.0
    feed = CalendarFeed.objects.create(group=group, name="Race", url=calendar_server.url)
    first = threading.Thread(target=lambda: calendar_feed_sync_task.apply(args=[feed.pk]))
    first.start()
    try:
        # The first sync holds the lock while the server is slow to answer.
        for _ in range(50):
            if calendar_server.requests:
                break
            threading.Event().wait(0.05)
        calendar_feed_sync_task.apply(args=[feed.pk]).get(propagate=True)
    finally:
        first.join(timeout=30)
    assert len(calendar_server.requests) == 1


# --- "Sync now" -----------------------------------------------------------------------------


def _queued_imports() -> int:
    from alliance.celery import app

    with app.connection_for_write() as connection:
        return connection.default_channel.client.llen("imports")


def test_sync_now_is_rationed_per_group(
    client, organiser, group, django_capture_on_commit_callbacks
):
    from alliance.celery import app

    app.control.purge()
    feeds = [
        CalendarFeed.objects.create(group=group, name=f"Feed {n}", url="http://127.0.0.1:9/")
        for n in range(2)
    ]
    client.force_login(organiser)
    for n in range(imports.SYNC_NOW_PER_GROUP_PER_HOUR + 3):
        with django_capture_on_commit_callbacks(execute=True):  # syncs are queued on commit
            response = client.post(f"/events/imports/feed/{feeds[n % 2].pk}/sync/", follow=True)
        assert response.status_code == 200
    assert _queued_imports() == imports.SYNC_NOW_PER_GROUP_PER_HOUR
    assert "Try again later" in response.content.decode()
    app.control.purge()


def test_a_rule_that_never_matches_ends(group):
    """31 February: an open-ended search would look for it forever; the window ends it."""
    feed, _ = _sync_bytes(
        group,
        _ics(_vevent("never@src", _soon(), extra="RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=31")),
    )
    assert feed.last_synced_at is not None
    assert Event.objects.filter(feed=feed, source_uid="never@src").count() <= 1  # DTSTART only
