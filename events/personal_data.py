"""What the events app holds about a person (see accounts/services.py for the registry)."""

from django.core.exceptions import ValidationError
from django.utils import timezone

from events import services
from events.models import CalendarFeed, CalendarToken, Event, Rsvp, RsvpAnswer


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def export(user) -> dict:
    token = CalendarToken.objects.filter(user=user).first()
    return {
        "rsvps": [
            {
                "event": rsvp.event.title,
                "event_id": rsvp.event_id,
                "starts_at": _iso(rsvp.event.starts_at),
                "answer": rsvp.answer,
                "answered_at": _iso(rsvp.updated_at),
            }
            for rsvp in Rsvp.objects.filter(user=user).select_related("event").order_by("pk")
        ],
        # Only that a private feed address exists: the secret itself is on "My calendar".
        "private_calendar_feed": {"created_at": _iso(token.created_at)} if token else None,
        "events_created": [
            {
                "event": event.title,
                "event_id": event.pk,
                "group": event.group.name,
                "starts_at": _iso(event.starts_at),
                "created_at": _iso(event.created_at),
            }
            for event in Event.objects.filter(created_by=user).select_related("group")
        ],
        "calendar_feeds_added": [
            {"name": feed.name, "group": feed.group.name, "created_at": _iso(feed.created_at)}
            for feed in CalendarFeed.objects.filter(created_by=user).select_related("group")
        ],
    }


def erase(user) -> None:
    """RSVPs go (a place they held on an upcoming event goes to the first person waiting, via
    the RSVP service), so does the private feed token. Events and feeds they created belong
    to the group and stay, no longer pointing at them. (Clash emails: clashes/personal_data.py.)"""
    now = timezone.now()
    going = Rsvp.objects.filter(
        user=user, answer=RsvpAnswer.GOING, event__ends_at__gte=now, event__status="scheduled"
    ).select_related("event")
    for rsvp in going:
        try:
            services.rsvp_set(event=rsvp.event, user=user, answer=RsvpAnswer.NOT_GOING)
        except ValidationError:  # cancelled or over in the meantime: nobody to promote
            pass
    Rsvp.objects.filter(user=user).delete()
    CalendarToken.objects.filter(user=user).delete()
    Event.objects.filter(created_by=user).update(created_by=None)
    CalendarFeed.objects.filter(created_by=user).update(created_by=None)
