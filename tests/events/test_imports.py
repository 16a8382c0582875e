from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from events import imports, services
from events.models import CalendarFeed, Event, EventStatus, Visibility
from events.tasks import calendar_feed_sync_task
from tests.events.factories import RsvpFactory

LONDON = ZoneInfo("Europe/London")
pytestmark = pytest.mark.django_db


def _ics(*vevents: str, extra: str = "") -> bytes:
    body = "\r\n".join(
        ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//EN", extra, *vevents, "END:VCALENDAR"]
    )
    return body.replace("\r\n\r\n", "\r\n").encode()


def _vevent(uid: str, start: datetime, *, hours: int = 2, summary: str = "", extra: str = ""):
    fmt = "%Y%m%dT%H%M%SZ"
    utc = ZoneInfo("UTC")
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20260101T000000Z",
        f"DTSTART:{start.astimezone(utc):{fmt}}",
        f"DTEND:{(start + timedelta(hours=hours)).astimezone(utc):{fmt}}",
        f"SUMMARY:{summary or uid}",
    ]
    if extra:
        lines.append(extra)
    lines.append("END:VEVENT")
    return "\r\n".join(lines)


def _soon(days: int = 3, hour: int = 10) -> datetime:
    local = timezone.localtime(timezone.now(), LONDON) + timedelta(days=days)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


def _upload_feed(group, data: bytes, name="upload.ics") -> CalendarFeed:
    return CalendarFeed.objects.create(
        group=group, name="Party calendar", upload_data=data, upload_name=name
    )


# --- Every real file -----------------------------------------------------------------------


def test_every_shared_ics_file_imports_or_records_a_clear_error(shared_data, group):
    files = sorted((shared_data / "ics").glob("*.ics"))
    assert len(files) == 30
    outcomes = {}
    for path in files:
        feed = _upload_feed(group, path.read_bytes(), name=path.name)
        # The task itself: it must never raise.
        calendar_feed_sync_task.apply(args=[feed.pk]).get(propagate=True)
        feed.refresh_from_db()
        imported = Event.objects.filter(feed=feed).count()
        assert feed.last_synced_at is not None, path.name
        assert imported or feed.last_error or feed.warnings, path.name
        for message in [feed.last_error, *feed.warnings]:
            assert "Traceback" not in message and len(message) < 400, (path.name, message)
        outcomes[path.name] = (imported, feed.last_error, feed.warnings)
    # Unbounded recurrences (daily since 2012) are expanded over the window, not forever.
    daily = outcomes["icaljs_daily_recur.ics"][0]
    assert 0 < daily <= 500
    # A series without DTSTART costs only itself: the file still records what went wrong.
    assert any("DTSTART" in w for w in outcomes["icalendar_calendars_broken_ical.ics"][2])
    # A BOM is not an error.
    assert not outcomes["icalendar_calendars_bom_calendar.ics"][1]
    assert all(event.is_imported for event in Event.objects.all())


# --- Upserts, cancellation, read-only -------------------------------------------------------


def test_sync_upserts_by_uid_and_cancels_events_that_vanish(group, local_http):
    first, second = _soon(3), _soon(4)
    local_http.body = _ics(_vevent("a@src", first, summary="Canvass"), _vevent("b@src", second))
    feed = CalendarFeed.objects.create(group=group, name="LD", url=local_http.url + "/cal.ics")
    result = imports.calendar_feed_sync(feed=feed)
    assert (result.created, result.updated, result.cancelled, result.error) == (2, 0, 0, "")
    event_a = Event.objects.get(feed=feed, source_uid="a@src")
    assert event_a.starts_at == first and event_a.title == "Canvass" and event_a.is_imported
    RsvpFactory(event=event_a)

    local_http.body = _ics(_vevent("a@src", first, summary="Canvass (new meeting point)"))
    result = imports.calendar_feed_sync(feed=feed)
    assert (result.created, result.updated, result.cancelled) == (0, 1, 1)
    event_a.refresh_from_db()
    assert event_a.title == "Canvass (new meeting point)" and event_a.sequence == 1
    vanished = Event.objects.get(feed=feed, source_uid="b@src")
    assert vanished.status == EventStatus.CANCELLED
    assert Event.objects.filter(feed=feed).count() == 2  # nothing duplicated
    assert feed.imported_count == 1

    with pytest.raises(Exception):  # noqa: B017 - imported events are read-only locally
        services.event_update(event=event_a, author=None, title="Local edit")


def test_conditional_get_sends_etag_and_skips_unchanged_feeds(group, local_http):
    local_http.body = _ics(_vevent("a@src", _soon()))
    local_http.headers = {"ETag": '"v1"', "Last-Modified": "Mon, 23 Nov 2026 07:00:00 GMT"}
    feed = CalendarFeed.objects.create(group=group, name="LD", url=local_http.url)
    imports.calendar_feed_sync(feed=feed)
    assert feed.etag == '"v1"'
    result = imports.calendar_feed_sync(feed=feed)
    assert result.not_modified
    assert local_http.requests[-1]["If-None-Match"] == '"v1"'
    assert local_http.requests[-1]["If-Modified-Since"] == "Mon, 23 Nov 2026 07:00:00 GMT"
    assert Event.objects.filter(feed=feed).count() == 1


def test_recurrence_is_expanded_over_the_horizon_in_local_time(group, settings):
    settings.EVENTS_HORIZON_DAYS = 60
    start = _soon(1, hour=10)
    data = _ics(
        "\r\n".join(
            [
                "BEGIN:VEVENT",
                "UID:stall@src",
                "DTSTAMP:20260101T000000Z",
                f"DTSTART;TZID=Europe/London:{start:%Y%m%dT%H%M%S}",
                f"DTEND;TZID=Europe/London:{start + timedelta(hours=2):%Y%m%dT%H%M%S}",
                "RRULE:FREQ=WEEKLY",
                "SUMMARY:Street stall",
                "END:VEVENT",
            ]
        )
    )
    feed = _upload_feed(group, data)
    imports.calendar_feed_sync(feed=feed)
    events = Event.objects.filter(feed=feed)
    assert 8 <= events.count() <= 10  # weekly over 60 days, unbounded at the source
    assert {timezone.localtime(e.starts_at, LONDON).hour for e in events} == {10}


# --- Bad input ----------------------------------------------------------------------------


def _sync_bytes(group, data: bytes) -> tuple[CalendarFeed, imports.SyncResult]:
    feed = _upload_feed(group, data)
    result = imports.calendar_feed_sync(feed=feed)
    feed.refresh_from_db()
    return feed, result


def test_malformed_file_records_an_error(group):
    feed, result = _sync_bytes(group, b"this is not a calendar at all")
    assert "not an iCalendar file" in feed.last_error
    feed, _ = _sync_bytes(group, b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n:::\x00broken")
    assert feed.last_error or feed.warnings


def test_unknown_tzid_is_read_as_uk_time_with_a_warning_and_others_still_import(group):
    start = _soon()
    bad = "\r\n".join(
        [
            "BEGIN:VEVENT",
            "UID:mars@src",
            "DTSTAMP:20260101T000000Z",
            f"DTSTART;TZID=Mars/Olympus_Mons:{start:%Y%m%dT%H%M%S}",
            f"DTEND;TZID=Mars/Olympus_Mons:{start + timedelta(hours=1):%Y%m%dT%H%M%S}",
            "SUMMARY:Somewhere else",
            "END:VEVENT",
        ]
    )
    feed, _ = _sync_bytes(group, _ics(bad, _vevent("good@src", start)))
    assert Event.objects.filter(feed=feed, source_uid="good@src").exists()
    assert feed.last_error == ""
    mars = Event.objects.filter(feed=feed, source_uid="mars@src").first()
    if mars is not None:
        assert any("timezone" in w for w in feed.warnings)
    else:
        assert any("mars@src" in w for w in feed.warnings)


def test_dtend_before_dtstart_is_skipped_with_a_warning(group):
    start = _soon()
    backwards = _vevent("backwards@src", start, hours=-2)
    feed, _ = _sync_bytes(group, _ics(backwards, _vevent("good@src", start)))
    assert list(Event.objects.filter(feed=feed).values_list("source_uid", flat=True)) == [
        "good@src"
    ]
    assert any("backwards@src" in w and "before" in w for w in feed.warnings)


def test_non_utf8_bytes_are_replaced_with_a_warning(group):
    data = _ics(_vevent("latin@src", _soon(), summary="Caf\xe9 meeting")).replace(
        "Café".encode(), "Caf\xe9".encode("latin-1")
    )
    data = data.replace(b"Caf\xc3\xa9", b"Caf\xe9")
    feed, _ = _sync_bytes(group, data)
    event = Event.objects.get(feed=feed)
    assert event.title.startswith("Caf")
    assert any("UTF-8" in w for w in feed.warnings)


def test_unbounded_rrule_is_cut_at_the_horizon(group, settings):
    settings.EVENTS_HORIZON_DAYS = 30
    start = _soon(1)
    feed, _ = _sync_bytes(
        group,
        _ics(
            _vevent("forever@src", start, hours=1, extra="RRULE:FREQ=HOURLY"),
            _vevent("every-second@src", start, hours=1, extra="RRULE:FREQ=SECONDLY"),
        ),
    )
    assert any("every-second@src" in w and "every hour" in w for w in feed.warnings)
    count = Event.objects.filter(feed=feed).count()
    assert 0 < count <= settings.EVENTS_FEED_MAX_EVENTS
    assert Event.objects.filter(feed=feed).order_by("-starts_at")[0].starts_at <= (
        timezone.now() + timedelta(days=31)
    )


def test_a_10_mb_file_is_refused_with_a_clear_error(group, local_http):
    padding = "X-PADDING:" + "x" * 70 + "\r\n"
    data = _ics(_vevent("big@src", _soon())) + (padding * (10 * 1024 * 1024 // 82)).encode()
    assert len(data) > 10 * 1024 * 1024
    feed, _ = _sync_bytes(group, data)
    assert "too large" in feed.last_error
    local_http.body = data
    url_feed = CalendarFeed.objects.create(group=group, name="Big", url=local_http.url)
    imports.calendar_feed_sync(feed=url_feed)
    assert "too large" in url_feed.last_error
    assert not Event.objects.exists()


def test_100k_vevents_are_capped_with_a_warning(group, settings):
    settings.EVENTS_FEED_MAX_BYTES = 40 * 1024 * 1024
    settings.EVENTS_FEED_MAX_EVENTS = 2000
    start = _soon()
    vevent = _vevent("UIDX", start, hours=1)
    body = "\r\n".join(vevent.replace("UIDX", f"bulk-{n}@src") for n in range(100_000))
    feed, _ = _sync_bytes(group, _ics(body))
    assert Event.objects.filter(feed=feed).count() == 2000
    assert any("100,000 events" in w for w in feed.warnings)


def test_timeouts_and_http_errors_are_recorded(group, local_http, settings):
    settings.EVENTS_FEED_TIMEOUT = 0.3
    local_http.delay = 1.0
    local_http.body = _ics(_vevent("slow@src", _soon()))
    feed = CalendarFeed.objects.create(group=group, name="Slow", url=local_http.url)
    imports.calendar_feed_sync(feed=feed)
    assert "did not answer" in feed.last_error
    local_http.delay = 0
    local_http.status = 404
    imports.calendar_feed_sync(feed=feed)
    assert "HTTP 404" in feed.last_error
    settings.EVENTS_FEED_TIMEOUT = 5  # one total deadline: leave room for a loaded machine
    unreachable = CalendarFeed.objects.create(group=group, name="Gone", url="http://127.0.0.1:9/")
    settings.EVENTS_FEED_ALLOW_PRIVATE_HOSTS = True
    calendar_feed_sync_task.apply(args=[unreachable.pk]).get(propagate=True)
    unreachable.refresh_from_db()
    assert "could not be downloaded" in unreachable.last_error


def test_the_task_never_raises_even_on_unexpected_errors(group, monkeypatch):
    feed = _upload_feed(group, _ics(_vevent("a@src", _soon())))

    def explode(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(imports, "_apply", lambda *a, **k: explode())
    calendar_feed_sync_task.apply(args=[feed.pk]).get(propagate=True)
    feed.refresh_from_db()
    assert "unexpectedly" in feed.last_error
    calendar_feed_sync_task.apply(args=[999_999]).get(propagate=True)  # a deleted feed


def test_removing_a_feed_deletes_unanswered_events_and_cancels_answered_ones(group):
    feed = _upload_feed(group, _ics(_vevent("a@src", _soon()), _vevent("b@src", _soon(4))))
    imports.calendar_feed_sync(feed=feed)
    answered = Event.objects.get(source_uid="b@src")
    RsvpFactory(event=answered)
    assert imports.calendar_feed_delete(feed=feed) == (1, 1)
    assert list(Event.objects.all()) == [answered]
    answered.refresh_from_db()
    assert answered.status == EventStatus.CANCELLED
    assert answered.visibility == Visibility.GROUP  # no longer shown to the public
    assert not Event.objects.visible_to(AnonymousUser()).exists()


def test_private_addresses_and_odd_schemes_are_refused(group, settings, local_http):
    settings.EVENTS_FEED_ALLOW_PRIVATE_HOSTS = False
    for url in ("http://127.0.0.1:9/cal.ics", "http://10.0.0.1/cal.ics", "http://[::1]/x.ics"):
        feed = CalendarFeed.objects.create(group=group, name="Inside", url=url)
        imports.calendar_feed_sync(feed=feed)
        assert "private network" in feed.last_error, url
    ftp = CalendarFeed.objects.create(group=group, name="FTP", url="ftp://example.org/cal.ics")
    imports.calendar_feed_sync(feed=ftp)
    assert "http://" in ftp.last_error
    assert local_http.requests == []  # nothing was fetched


def test_redirects_are_followed_a_few_times_and_checked(group, local_http):
    local_http.body = _ics(_vevent("moved@src", _soon()))
    feed = CalendarFeed.objects.create(group=group, name="Moved", url=local_http.url + "/old")
    local_http.redirect_to = "/old"  # a loop
    imports.calendar_feed_sync(feed=feed)
    assert "redirects too many times" in feed.last_error
