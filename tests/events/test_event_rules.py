"""Rules about events decided once and used by every app: which events are in a region, and
what cancelling an event changes."""

import pytest
from django.utils import timezone

from events.models import Event, EventStatus, Visibility
from seats.regions import Region
from tests.events.factories import EventFactory
from tests.factories import ConstituencyFactory, GroupFactory

pytestmark = pytest.mark.django_db


def test_an_event_is_in_the_region_of_its_seat_or_else_of_its_group():
    london_group = GroupFactory(region=Region.LONDON)
    in_seat = EventFactory(group=london_group, constituency=ConstituencyFactory())  # South West
    no_seat = EventFactory(group=london_group, constituency=None)
    assert set(Event.objects.in_region(Region.SOUTH_WEST)) == {in_seat}
    assert set(Event.objects.in_region(Region.LONDON)) == {no_seat}


def test_cancelling_bumps_the_sequence_and_hiding_takes_it_from_the_public():
    event = EventFactory(visibility=Visibility.PUBLIC)
    sequence = event.sequence
    fields = event.cancel_fields_set(now=timezone.now())
    assert event.status == EventStatus.CANCELLED and event.sequence == sequence + 1
    assert "visibility" not in fields and event.visibility == Visibility.PUBLIC
    fields = event.cancel_fields_set(now=timezone.now(), hide_from_public=True)
    assert event.visibility == Visibility.GROUP and "visibility" in fields
