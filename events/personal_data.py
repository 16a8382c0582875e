"""What the events app holds about a person (see accounts/services.py for the registry)."""

from django.core.exceptions import ValidationError
from django.utils import timezone

from events import services
from events.models import CalendarFeed, CalendarToken, Event, GuestRsvp, Rsvp, RsvpAnswer


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _addresses(user) -> list[str]:
    """The account's login and verified addresses: answers given without signing in, with
    any of them, are this person's."""
    from allauth.account.models import EmailAddress

    verified = EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    return [address for address in {user.email, *verified} if address]


def export(user) -> dict:
    token = CalendarToken.objects.filter(user=user).first()
    return {
        "answers_without_an_account": [
            {
                "event": guest.event.title,
                "event_id": guest.event_id,
                "starts_at": _iso(guest.event.starts_at),
                "name": guest.name,
                "email": guest.email,
                "postcode": guest.postcode,
                "answer": guest.answer,
                "confirmed_at": _iso(guest.confirmed_at),
                "answered_at": _iso(guest.created_at),
                "attended": guest.attended,
                "keep_me_posted_at": _iso(guest.list_consent_at),
                "keep_me_posted_source": guest.list_consent_source,
            }
            for guest in GuestRsvp.objects.for_email(_addresses(user))
            .select_related("event")
            .order_by("pk")
        ],
        "rsvps": [
            {
                "event": rsvp.event.title,
                "event_id": rsvp.event_id,
                "starts_at": _iso(rsvp.event.starts_at),
                "answer": rsvp.answer,
                "answered_at": _iso(rsvp.updated_at),
                "attended": rsvp.attended,
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
    services.calendar_changed()  # the calendars show how many are going
    services.guest_rsvps_erase(guests=GuestRsvp.objects.for_email(_addresses(user)))
    CalendarToken.objects.filter(user=user).delete()
    Event.objects.filter(created_by=user).update(created_by=None)
    CalendarFeed.objects.filter(created_by=user).update(created_by=None)
