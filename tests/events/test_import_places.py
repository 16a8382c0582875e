"""Imported events get a place: the postcode in LOCATION, looked up like the event form does
(a postcodes.io-compatible server on loopback), else the feed's default constituency."""

import importlib

import pytest

from events import imports
from events.models import CalendarFeed, Event
from tests.events.test_imports import _ics, _soon, _vevent
from tests.factories import ConstituencyFactory, GroupFactory

pytestmark = pytest.mark.django_db


def _located(uid: str, location: str, days: int = 3) -> str:
    return _vevent(uid, _soon(days), extra=f"LOCATION:{location}")


@pytest.fixture
def seats():
    return {
        "town": ConstituencyFactory(name="Townsville", ons_code="E14001001"),
        "home": ConstituencyFactory(name="Home Seat", ons_code="E14009999"),
    }


def _feed(group, data: bytes, **fields) -> CalendarFeed:
    return CalendarFeed.objects.create(
        group=group, name="Party calendar", upload_data=data, **fields
    )


def test_a_postcode_in_location_places_the_event(group, seats, postcodes_server):
    postcodes_server.answers["SW1A1AA"] = "E14001001"
    feed = _feed(
        group,
        _ics(
            _located("hall@src", r"Village Hall\, 1 High St\, London sw1a 1aa"),
            _located("pub@src", "The Crown", days=4),
        ),
        default_constituency=seats["home"],
    )
    imports.calendar_feed_sync(feed=feed)
    hall = Event.objects.get(feed=feed, source_uid="hall@src")
    assert hall.constituency == seats["town"]
    assert hall.postcode == "SW1A 1AA"
    assert hall.latitude == 51.5 and hall.longitude == -0.1
    pub = Event.objects.get(feed=feed, source_uid="pub@src")
    assert pub.constituency == seats["home"]  # no postcode: the feed's default


def test_each_postcode_is_looked_up_once_per_sync(group, seats, postcodes_server):
    postcodes_server.answers["SW1A1AA"] = "E14001001"
    weekly = _vevent("stall@src", _soon(1), extra="LOCATION:Market SW1A 1AA\r\nRRULE:FREQ=WEEKLY")
    feed = _feed(group, _ics(weekly, _located("other@src", "Hall, SW1A1AA")))
    imports.calendar_feed_sync(feed=feed)
    assert Event.objects.filter(feed=feed, constituency=seats["town"]).count() > 5
    assert postcodes_server.hits == ["SW1A1AA"]


@pytest.mark.parametrize("answer", [None, "unknown"], ids=["service down", "not found"])
def test_a_failed_lookup_never_loses_the_event(answer, group, seats, postcodes_server):
    if answer is None:
        postcodes_server.answers["M1 1AE".replace(" ", "")] = None  # HTTP 500
    feed = _feed(
        group, _ics(_located("m@src", "Somewhere, M1 1AE")), default_constituency=seats["home"]
    )
    result = imports.calendar_feed_sync(feed=feed)
    event = Event.objects.get(feed=feed)
    assert event.constituency == seats["home"]
    assert event.postcode == "M1 1AE"
    assert result.error == ""
    assert any("could not be placed" in w for w in feed.warnings)


def test_without_a_lookup_service_the_default_applies(group, seats, settings):
    settings.POSTCODES_API_URL = ""
    feed = _feed(
        group, _ics(_located("x@src", "Hall, SW1A 1AA")), default_constituency=seats["home"]
    )
    imports.calendar_feed_sync(feed=feed)
    assert Event.objects.get(feed=feed).constituency == seats["home"]


def test_a_later_lookup_moves_the_event_without_telling_attendees(
    group, seats, postcodes_server, django_capture_on_commit_callbacks
):
    """The place follows the lookup quietly: it is not news for the people going."""
    postcodes_server.answers["SW1A1AA"] = None
    feed = _feed(
        group, _ics(_located("x@src", "Hall SW1A 1AA")), default_constituency=seats["home"]
    )
    imports.calendar_feed_sync(feed=feed)
    event = Event.objects.get(feed=feed)
    assert event.constituency == seats["home"]
    postcodes_server.answers["SW1A1AA"] = "E14001001"
    result = imports.calendar_feed_sync(feed=feed)
    event.refresh_from_db()
    assert event.constituency == seats["town"] and event.sequence == 0
    assert result.updated == 0


def test_existing_feeds_get_the_group_s_only_constituency(db):
    migration = importlib.import_module("events.migrations.0008_calendar_feed_upload_in_database")
    from django.apps import apps

    seat = ConstituencyFactory()
    one = GroupFactory()
    one.constituencies.set([seat])
    many = GroupFactory()
    many.constituencies.set([seat, ConstituencyFactory()])
    feed_one = CalendarFeed.objects.create(group=one, name="One", url="https://example.org/a")
    feed_many = CalendarFeed.objects.create(group=many, name="Many", url="https://example.org/b")
    migration.default_constituencies(apps, None)
    feed_one.refresh_from_db()
    feed_many.refresh_from_db()
    assert feed_one.default_constituency == seat
    assert feed_many.default_constituency is None
