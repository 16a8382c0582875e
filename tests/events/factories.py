from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from events.models import Event, EventKind, Rsvp, RsvpAnswer, Visibility
from tests.factories import GroupFactory, UserFactory


class EventFactory(DjangoModelFactory):
    """A public one-hour canvassing session starting tomorrow (plus n hours)."""

    class Meta:
        model = Event

    group = factory.SubFactory(GroupFactory)
    title = factory.Sequence(lambda n: f"Event {n}")
    kind = EventKind.CANVASSING
    starts_at = factory.Sequence(
        lambda n: (timezone.now() + timedelta(days=1, hours=n % 48)).replace(
            minute=0, second=0, microsecond=0
        )
    )
    ends_at = factory.LazyAttribute(lambda event: event.starts_at + timedelta(hours=1))
    visibility = Visibility.PUBLIC


class RsvpFactory(DjangoModelFactory):
    class Meta:
        model = Rsvp

    event = factory.SubFactory(EventFactory)
    user = factory.SubFactory(UserFactory)
    answer = RsvpAnswer.GOING
