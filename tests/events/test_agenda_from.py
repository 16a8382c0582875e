"""The agenda reads "events not ended before the chosen day" in start order from an index
(`EventQuerySet.not_ended_before`): the extra lower bound on the start never loses an event."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from events.models import Event
from tests.events.factories import EventFactory

LONDON = ZoneInfo("Europe/London")
MIDNIGHT = datetime(2030, 6, 5, tzinfo=LONDON)

pytestmark = pytest.mark.django_db


@pytest.fixture
def around_midnight():
    def make(title, start, hours):
        return EventFactory(title=title, starts_at=start, ends_at=start + timedelta(hours=hours))

    return {
        "ended": make("Ended the day before", MIDNIGHT - timedelta(hours=5), 2),
        "ends_at_midnight": make("Ends at midnight", MIDNIGHT - timedelta(hours=2), 2),
        "long": make("Three-day festival", MIDNIGHT - timedelta(days=2), 72),
        "week_long": make("Week of action", MIDNIGHT - timedelta(days=6), 24 * 7),
        "later": make("Later that day", MIDNIGHT + timedelta(hours=10), 1),
        "next_week": make("Next week", MIDNIGHT + timedelta(days=7), 1),
    }


def test_the_bound_keeps_exactly_what_ends_at_or_after_the_moment(around_midnight):
    for moment in (
        MIDNIGHT,
        MIDNIGHT + timedelta(hours=10, minutes=30),
        MIDNIGHT - timedelta(days=3),
        MIDNIGHT + timedelta(days=30),
    ):
        expected = set(Event.objects.filter(ends_at__gte=moment).values_list("pk", flat=True))
        found = set(Event.objects.not_ended_before(moment).values_list("pk", flat=True))
        assert found == expected, moment


def test_the_agenda_shows_events_still_running_in_start_order(client, around_midnight):
    response = client.get(reverse("events:agenda") + "?date=2030-06-05")
    titles = [event.title for event in response.context["events"]]
    assert titles == [
        "Week of action",
        "Three-day festival",
        "Ends at midnight",
        "Later that day",
        "Next week",
    ]
