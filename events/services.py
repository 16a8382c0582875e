"""Writes of the events app: events, recurring series, RSVPs and the emails they cause.

Every service that creates, edits, moves, cancels or imports an event queues a clash check for
it after commit through `clash_check_queue`, the one seam to the clashes app.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.urls import reverse
from django.utils import timezone

from alliance import versioned_cache
from alliance.tasks import enqueue_after_commit
from events import ics
from events.apps import clashes_api
from events.models import (
    CalendarToken,
    Event,
    EventSeries,
    EventStatus,
    GuestRsvp,
    Rsvp,
    RsvpAnswer,
    Visibility,
    new_feed_token,
)
from events.tasks import event_attendees_notify_task, rsvp_promoted_notify_task
from outbox.emails import email_absolute_url
from outbox.services import Attachment, email_enqueue

logger = logging.getLogger(__name__)

LONDON = ZoneInfo("Europe/London")
# Fields an organiser edits; copying them makes a duplicate or the next occurrence of a series.
EDITABLE_FIELDS = (
    "title",
    "kind",
    "description",
    "starts_at",
    "ends_at",
    "all_day",
    "venue_name",
    "address",
    "postcode",
    "latitude",
    "longitude",
    "constituency",
    "capacity",
    "visibility",
)
# A change to any of these is news for people who said they are going.
TIME_AND_PLACE_FIELDS = ("starts_at", "ends_at", "venue_name", "address", "postcode")
REPEAT_RULES = {
    "weekly": "FREQ=WEEKLY",
    "fortnightly": "FREQ=WEEKLY;INTERVAL=2",
    "monthly": "FREQ=MONTHLY",
}


def horizon_days() -> int:
    return settings.EVENTS_HORIZON_DAYS


# The calendar's change counter: the month, week and agenda pages cached for signed-out
# visitors (events/views.py: _calendar_page) are kept per value of it.
CALENDAR_VERSION = "events:calendar"


def calendar_changed() -> None:
    """Events or their RSVPs changed: every cached calendar page is stale. Every service here
    that writes an event or an answer calls it, inside its transaction; the counter is bumped
    then and again after the commit (alliance/versioned_cache.py)."""
    versioned_cache.changed(CALENDAR_VERSION)


def clash_check_queue(*event_ids: int) -> None:
    """After commit, have these events checked for clashes, through the clashes app's seam
    (events/apps.py): clashes depends on events, never the reverse."""
    seam = clashes_api()
    if seam is not None:
        seam.events_clashes_check_queue(*event_ids)


def _attendees_notify_queue(event: Event) -> None:
    enqueue_after_commit(event_attendees_notify_task, event.pk)


# --- Events -------------------------------------------------------------------------------


@transaction.atomic
def event_create(
    *,
    group,
    author,
    title: str,
    kind: str,
    starts_at: datetime,
    ends_at: datetime,
    description: str = "",
    all_day: bool = False,
    venue_name: str = "",
    address: str = "",
    postcode: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    constituency=None,
    capacity: int | None = None,
    visibility: str = Visibility.PUBLIC,
    repeat: str = "",
    repeat_until: date | None = None,
) -> Event:
    """Create an event; with `repeat` it is the first occurrence of a new series."""
    event = Event(
        group=group,
        created_by=author,
        title=title,
        kind=kind,
        description=description,
        starts_at=starts_at,
        ends_at=ends_at,
        all_day=all_day,
        venue_name=venue_name,
        address=address,
        postcode=postcode,
        latitude=latitude,
        longitude=longitude,
        constituency=constituency,
        capacity=capacity,
        visibility=visibility,
    )
    event.full_clean(exclude=["span"])
    if repeat:
        if repeat not in REPEAT_RULES:
            raise ValidationError({"repeat": "Choose weekly, fortnightly or monthly."})
        rule = REPEAT_RULES[repeat]
        if repeat_until:
            if repeat_until < timezone.localtime(starts_at, LONDON).date():
                raise ValidationError({"repeat_until": "The repeats must end after they start."})
            rule += f";UNTIL={repeat_until:%Y%m%d}T235959"
        event.series = EventSeries.objects.create(
            group=group, rrule=rule, first_starts_at=starts_at, duration=ends_at - starts_at
        )
    event.save()
    calendar_changed()
    clash_check_queue(event.pk)
    if event.series_id:
        event_series_expand(series=event.series)
    return event


@transaction.atomic
def event_update(*, event: Event, author, **changes) -> Event:
    """Edit an event's details; SEQUENCE goes up; time or place changes email people going."""
    if event.is_imported:
        raise ValidationError("This event is imported from an external calendar: edit it there.")
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Not editable: {', '.join(sorted(unknown))}")
    event = Event.objects.select_for_update().get(pk=event.pk)
    moved = any(
        field in changes and changes[field] != getattr(event, field)
        for field in TIME_AND_PLACE_FIELDS
    )
    old_capacity = event.capacity
    for field, value in changes.items():
        setattr(event, field, value)
    event.full_clean(exclude=["span"])
    event.sequence += 1
    event.updated_at = timezone.now()
    event.save()
    calendar_changed()
    if event.capacity != old_capacity:
        _waiting_list_promote(event)
    clash_check_queue(event.pk)
    if moved and not event.is_cancelled:
        _attendees_notify_queue(event)
    return event


@transaction.atomic
def event_duplicate(*, event: Event, author, **overrides) -> Event:
    """A new one-off event like `event` (same group), with any field overridden."""
    fields = {field: getattr(event, field) for field in EDITABLE_FIELDS}
    fields.update(overrides)
    return event_create(group=event.group, author=author, **fields)


@transaction.atomic
def event_cancel(*, event: Event, author) -> Event:
    """Cancel: the event stays visible as cancelled; people going (or waiting) get an email."""
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.is_imported and author is not None:
        raise ValidationError("This event is imported from an external calendar: cancel it there.")
    if event.is_cancelled:
        return event
    event.save(update_fields=event.cancel_fields_set(now=timezone.now()))
    calendar_changed()
    clash_check_queue(event.pk)
    _attendees_notify_queue(event)
    return event


# --- Recurring series ---------------------------------------------------------------------


def series_occurrence_starts(series: EventSeries, *, after: datetime, before: datetime):
    """Aware start times of the series in (after, before], expanded in Europe/London wall time
    so a 10:00 stall stays at 10:00 local across the clock changes."""
    first_local = timezone.localtime(series.first_starts_at, LONDON).replace(tzinfo=None)
    rule = rrulestr(series.rrule, dtstart=first_local)
    after_local = timezone.localtime(after, LONDON).replace(tzinfo=None)
    before_local = timezone.localtime(before, LONDON).replace(tzinfo=None)
    for local in rule.between(after_local, before_local, inc=True):
        aware = local.replace(tzinfo=LONDON)
        if aware > after:
            yield aware


@transaction.atomic
def event_series_expand(*, series: EventSeries, until: datetime | None = None) -> list[Event]:
    """Create the series' missing occurrences up to the rolling horizon. Idempotent."""
    series = EventSeries.objects.select_for_update().get(pk=series.pk)
    until = until or timezone.now() + timedelta(days=horizon_days())
    template = series.occurrences.order_by("-starts_at", "-pk").first()
    if template is None:
        return []
    start_after = series.expanded_until or series.first_starts_at
    existing = set(
        series.occurrences.filter(starts_at__gt=start_after).values_list("starts_at", flat=True)
    )
    fields = {field: getattr(template, field) for field in EDITABLE_FIELDS}
    created = []
    for starts_at in series_occurrence_starts(series, after=start_after, before=until):
        if starts_at in existing:
            continue
        created.append(
            Event(
                **{**fields, "starts_at": starts_at, "ends_at": starts_at + series.duration},
                group=series.group,
                series=series,
                created_by=template.created_by,
            )
        )
    Event.objects.bulk_create(created)
    calendar_changed()
    series.expanded_until = max(until, series.expanded_until or until)
    series.save(update_fields=["expanded_until"])
    clash_check_queue(*[event.pk for event in created])
    return created


def event_series_extend_all() -> int:
    """Beat: keep every live series expanded to the rolling horizon. Returns occurrences made."""
    until = timezone.now() + timedelta(days=horizon_days())
    made = 0
    for series in EventSeries.objects.filter(
        Q(expanded_until__isnull=True) | Q(expanded_until__lt=until)
    ).iterator():
        made += len(event_series_expand(series=series, until=until))
    return made


# --- RSVPs --------------------------------------------------------------------------------


def _going_count(event: Event, *, excluding_user=None, excluding_guest=None) -> int:
    """Places taken: members going, and guests going who confirmed their email. The one
    count every capacity decision uses (members' answers, guests' confirmations, promotions)."""
    rsvps = event.rsvps.filter(answer=RsvpAnswer.GOING)
    if excluding_user is not None:
        rsvps = rsvps.exclude(user=excluding_user)
    guests = GuestRsvp.objects.filter(event=event).counted_going()
    if excluding_guest is not None:
        guests = guests.exclude(pk=excluding_guest.pk)
    return rsvps.count() + guests.count()


def _has_room(event: Event, **excluding) -> bool:
    return event.capacity is None or _going_count(event, **excluding) < event.capacity


def _first_waiting(event: Event) -> Rsvp | GuestRsvp | None:
    """The person waiting longest, member or confirmed guest (rows locked)."""
    member = (
        event.rsvps.select_for_update()
        .filter(answer=RsvpAnswer.WAITING)
        .order_by("updated_at", "pk")
        .first()
    )
    guest = (
        GuestRsvp.objects.select_for_update()
        .filter(event=event, answer=RsvpAnswer.WAITING)
        .confirmed()
        .order_by("updated_at", "pk")
        .first()
    )
    if member is None or guest is None:
        return member or guest
    return guest if guest.updated_at < member.updated_at else member


def _waiting_list_promote(event: Event) -> list[Rsvp | GuestRsvp]:
    """Move people from the waiting list to going while there is room (event row locked)."""
    promoted = []
    while _has_room(event):
        waiting = _first_waiting(event)
        if waiting is None:
            break
        waiting.answer = RsvpAnswer.GOING
        waiting.updated_at = timezone.now()
        waiting.save(update_fields=["answer", "updated_at"])
        promoted.append(waiting)
    for rsvp in promoted:
        if isinstance(rsvp, GuestRsvp):
            _guest_email(rsvp, "promoted", f"A place came up: {event.title}")
        else:
            enqueue_after_commit(rsvp_promoted_notify_task, rsvp.pk)
    return promoted


@transaction.atomic
def rsvp_set(*, event: Event, user, answer: str) -> Rsvp:
    """Say going / maybe / not going. A full event puts "going" on the waiting list; someone
    leaving "going" promotes the first person waiting."""
    if answer not in {RsvpAnswer.GOING, RsvpAnswer.MAYBE, RsvpAnswer.NOT_GOING}:
        raise ValidationError("Choose going, maybe or not going.")
    event = Event.objects.select_for_update().get(pk=event.pk)
    if event.is_cancelled:
        raise ValidationError("This event is cancelled.")
    if event.ends_at < timezone.now():
        raise ValidationError("This event is over.")
    rsvp = Rsvp.objects.filter(event=event, user=user).first()
    previous = rsvp.answer if rsvp else None
    if (
        answer == RsvpAnswer.GOING
        and previous != RsvpAnswer.GOING
        and not _has_room(event, excluding_user=user)
    ):
        answer = RsvpAnswer.WAITING
    if rsvp is None:
        rsvp = Rsvp(event=event, user=user, notified_sequence=event.sequence)
    if previous == answer:
        return rsvp  # a waiting person asking again keeps their place in the queue
    rsvp.answer = answer
    rsvp.updated_at = timezone.now()
    rsvp.save()
    calendar_changed()  # the calendars show how many are going
    if previous == RsvpAnswer.GOING:
        _waiting_list_promote(event)
    return rsvp


# --- RSVPs without an account ---------------------------------------------------------------

GUEST_LINK_SALT = "events.guest-rsvp"
OPEN_ANSWERS = (RsvpAnswer.GOING, RsvpAnswer.WAITING)


def guest_rsvp_link_token(guest: GuestRsvp) -> str:
    """What a guest's links carry: their secret token, signed with the site's key."""
    return signing.Signer(salt=GUEST_LINK_SALT).sign(guest.token)


def guest_rsvp_from_link(signed: str) -> GuestRsvp | None:
    try:
        token = signing.Signer(salt=GUEST_LINK_SALT).unsign(signed)
    except signing.BadSignature:
        return None
    return GuestRsvp.objects.select_related("event", "event__group").filter(token=token).first()


def guest_rsvp_url(guest: GuestRsvp) -> str:
    return email_absolute_url(
        reverse("events:guest_rsvp_manage", kwargs={"signed": guest_rsvp_link_token(guest)})
    )


def _event_ics_attachment(event: Event) -> Attachment:
    return Attachment(
        filename=f"event-{event.pk}.ics",
        mimetype="text/calendar",
        content=ics.calendar_build([event], name=event.title).decode(),
    )


def _guest_email(guest: GuestRsvp, kind: str, subject: str, *, key_suffix: str = "") -> bool:
    """One email to a guest through the outbox; the key `guest-rsvp:<pk>:<kind>...` makes it
    exactly once, and lets erasing a guest forget every email sent to them."""
    event = guest.event
    return (
        email_enqueue(
            key=f"guest-rsvp:{guest.pk}:{kind}{key_suffix}",
            to=guest.email,
            subject=subject,
            template=f"events/email/guest_{kind}",
            context={
                "event": event,
                "guest": guest,
                "event_url": email_absolute_url(event.get_absolute_url()),
                "manage_url": guest_rsvp_url(guest),
            },
            attachment=_event_ics_attachment(event) if kind == "confirm" else None,
        )
        is not None
    )


def _event_open_for_answers(event: Event) -> None:
    if event.is_cancelled:
        raise ValidationError("This event is cancelled.")
    if event.ends_at < timezone.now():
        raise ValidationError("This event is over.")


@transaction.atomic
def guest_rsvp_request(
    *, event: Event, name: str, email: str, postcode: str = "", keep_posted: bool = False
) -> GuestRsvp:
    """Someone without an account says they are going. One email asks them to confirm (the
    .ics attached); until they do, the answer holds no place and counts nowhere. Asking again
    with the same address changes nothing and sends nothing (no list bombing; and a stranger
    cannot overwrite or reveal someone's answer)."""
    if event.visibility != Visibility.PUBLIC:
        raise ValidationError("Only public events take answers without an account.")
    _event_open_for_answers(event)
    now = timezone.now()
    guest, created = GuestRsvp.objects.get_or_create(
        event=event,
        email=email.strip().lower(),
        defaults={
            "name": name.strip(),
            "postcode": postcode,
            "list_consent_at": now if keep_posted else None,
            "list_consent_source": f"guest RSVP to event {event.pk}" if keep_posted else "",
        },
    )
    if created:
        guest.full_clean()
        _guest_email(guest, "confirm", f"Please confirm: {event.title}")
    return guest


@transaction.atomic
def guest_rsvp_confirm(*, guest: GuestRsvp) -> GuestRsvp:
    """The guest confirms from their email (or comes back after cancelling): they take a
    place if there is room, or join the waiting list: the same rule as members' answers."""
    event = Event.objects.select_for_update().get(pk=guest.event_id)
    _event_open_for_answers(event)
    guest = GuestRsvp.objects.select_for_update().get(pk=guest.pk)
    if guest.is_confirmed and guest.answer in OPEN_ANSWERS:
        return guest
    guest.answer = (
        RsvpAnswer.GOING if _has_room(event, excluding_guest=guest) else RsvpAnswer.WAITING
    )
    now = timezone.now()
    guest.confirmed_at = guest.confirmed_at or now
    guest.updated_at = now
    guest.save(update_fields=["answer", "confirmed_at", "updated_at"])
    calendar_changed()
    return guest


@transaction.atomic
def guest_rsvp_cancel(*, guest: GuestRsvp) -> GuestRsvp:
    """Not going after all: a place they held goes to the first person waiting."""
    event = Event.objects.select_for_update().get(pk=guest.event_id)
    guest = GuestRsvp.objects.select_for_update().get(pk=guest.pk)
    if guest.answer == RsvpAnswer.NOT_GOING:
        return guest
    held_place = guest.is_confirmed and guest.answer == RsvpAnswer.GOING
    guest.answer = RsvpAnswer.NOT_GOING
    guest.updated_at = timezone.now()
    guest.save(update_fields=["answer", "updated_at"])
    calendar_changed()
    if held_place and not event.is_cancelled and event.ends_at >= timezone.now():
        _waiting_list_promote(event)
    return guest


@transaction.atomic
def guest_rsvps_erase(*, guests) -> int:
    """Forget these guests: places they held go to the waiting list, then their rows,
    every email the outbox keeps for them and who an organiser's email went to."""
    from mailinglists.models import MailingRecipient
    from outbox.models import OutboxEmail

    erased = 0
    for guest in list(guests):
        guest_rsvp_cancel(guest=guest)
        # Their emails, organisers' event emails included (keyed under the guest too).
        OutboxEmail.objects.filter(key__startswith=f"guest-rsvp:{guest.pk}:").delete()
        MailingRecipient.objects.filter(key__startswith=f"guest-rsvp:{guest.pk}:").delete()
        guest.delete()
        erased += 1
    return erased


def guest_rsvp_reminders_send(*, now: datetime | None = None) -> int:
    """Beat (hourly, with the members' reminders): confirmed guests going to an event that
    starts tomorrow (London date) get one reminder with their confirm and cancel links. The
    claim and the email are one transaction, and the outbox key is the guest's: once."""
    now = now or timezone.now()
    tomorrow = timezone.localtime(now, LONDON).date() + timedelta(days=1)
    day_start = datetime.combine(tomorrow, datetime.min.time(), tzinfo=LONDON)
    day_end = datetime.combine(tomorrow + timedelta(days=1), datetime.min.time(), tzinfo=LONDON)
    due = GuestRsvp.objects.counted_going().filter(
        reminder_sent_at__isnull=True,
        event__status=EventStatus.SCHEDULED,
        event__starts_at__gte=day_start,
        event__starts_at__lt=day_end,
    )
    sent = 0
    for guest in due.select_related("event", "event__group"):
        with transaction.atomic():
            if not GuestRsvp.objects.filter(pk=guest.pk, reminder_sent_at__isnull=True).update(
                reminder_sent_at=now
            ):
                continue
            sent += _guest_email(guest, "reminder", f"Tomorrow: {guest.event.title}")
    return sent


@transaction.atomic
def event_attendance_set(*, event: Event, rsvp_ids, guest_ids) -> int:
    """After the event has started, organisers tick who came (members and guests); everyone
    else answering is marked as not come. Returns how many came."""
    if event.starts_at > timezone.now():
        raise ValidationError("You can mark who came once the event has started.")
    rsvp_ids, guest_ids = set(rsvp_ids), set(guest_ids)
    for model, ids in ((Rsvp, rsvp_ids), (GuestRsvp, guest_ids)):
        model.objects.filter(event=event).update(
            attended=Case(When(pk__in=ids, then=Value(True)), default=Value(False))
        )
    return (
        Rsvp.objects.filter(event=event, attended=True).count()
        + GuestRsvp.objects.filter(event=event, attended=True).count()
    )


# --- Private feed token -------------------------------------------------------------------


def calendar_token_get_or_create(*, user) -> CalendarToken:
    token, _ = CalendarToken.objects.get_or_create(user=user)
    return token


def calendar_token_revoke(*, user) -> CalendarToken:
    """A new secret: the old private feed URL stops working at once."""
    token, created = CalendarToken.objects.get_or_create(user=user)
    if not created:
        token.token = new_feed_token()
        token.created_at = timezone.now()
        token.save(update_fields=["token", "created_at"])
    return token


# --- Emails -------------------------------------------------------------------------------


def event_attendees_notify(*, event_id: int) -> int:
    """Email everyone going or waiting who has not heard about the event's latest SEQUENCE
    (a change of time or place, or the cancellation), through the outbox: each person's
    claim and their email commit together, so each is told exactly once."""
    event = Event.objects.select_related("group").filter(pk=event_id).first()
    if event is None:
        return 0
    template = "event_cancelled" if event.is_cancelled else "event_changed"
    subject = f"Cancelled: {event.title}" if event.is_cancelled else f"Changed: {event.title}"
    sent = 0
    rsvps = event.rsvps.filter(
        answer__in=[RsvpAnswer.GOING, RsvpAnswer.WAITING], notified_sequence__lt=event.sequence
    ).select_related("user")
    for rsvp in rsvps:
        with transaction.atomic():
            claimed = Rsvp.objects.filter(pk=rsvp.pk, notified_sequence__lt=event.sequence).update(
                notified_sequence=event.sequence
            )
            if not claimed:
                continue  # another run of this task told them already
            email_enqueue(
                key=f"event-notice:{rsvp.pk}:{event.sequence}",
                to=rsvp.user.email,
                subject=subject,
                template=f"events/email/{template}",
                context={"event": event, "user": rsvp.user},
            )
        sent += 1
    return sent + _guests_notify(event, subject=subject)


def _guests_notify(event: Event, *, subject: str) -> int:
    """Confirmed guests going or waiting hear of the change once per SEQUENCE: the outbox
    key `guest-rsvp:<pk>:changed:<sequence>` is the claim."""
    sent = 0
    guests = GuestRsvp.objects.confirmed().filter(event=event, answer__in=OPEN_ANSWERS)
    for guest in guests.select_related("event", "event__group"):
        with transaction.atomic():
            sent += _guest_email(guest, "changed", subject, key_suffix=f":{event.sequence}")
    return sent


def event_attendees_notify_pending() -> int:
    """Beat safety net: tell people about changes whose task was never queued or was lost.
    The same idempotent send as the task, for upcoming events with someone not yet told."""
    event_ids = (
        Rsvp.objects.filter(
            answer__in=[RsvpAnswer.GOING, RsvpAnswer.WAITING],
            notified_sequence__lt=F("event__sequence"),
            event__ends_at__gte=timezone.now(),
        )
        .values_list("event_id", flat=True)
        .distinct()
    )
    return sum(event_attendees_notify(event_id=event_id) for event_id in list(event_ids))


@transaction.atomic
def rsvp_promoted_notify(*, rsvp_id: int) -> bool:
    """Tell someone a place came up, through the outbox: the key names this promotion (the
    RSVP's last change), so a task delivered twice sends one email and a later promotion
    sends its own."""
    rsvp = Rsvp.objects.select_related("event", "user").filter(pk=rsvp_id).first()
    if rsvp is None or rsvp.answer != RsvpAnswer.GOING:
        return False
    email_enqueue(
        key=f"rsvp-promoted:{rsvp.pk}:{rsvp.updated_at.isoformat()}",
        to=rsvp.user.email,
        subject=f"A place came up: {rsvp.event.title}",
        template="events/email/rsvp_promoted",
        context={"event": rsvp.event, "user": rsvp.user},
    )
    return True


def event_reminders_send(*, now: datetime | None = None) -> int:
    """Beat (hourly): remind people going to events that start tomorrow (London date).
    Each reminder's claim and its email (through the outbox) commit together: exactly once."""
    now = now or timezone.now()
    tomorrow = timezone.localtime(now, LONDON).date() + timedelta(days=1)
    day_start = datetime.combine(tomorrow, datetime.min.time(), tzinfo=LONDON)
    day_end = datetime.combine(tomorrow + timedelta(days=1), datetime.min.time(), tzinfo=LONDON)
    rsvps = Rsvp.objects.filter(
        answer=RsvpAnswer.GOING,
        reminder_sent_at__isnull=True,
        event__status=EventStatus.SCHEDULED,
        event__starts_at__gte=day_start,
        event__starts_at__lt=day_end,
    ).select_related("event", "event__group", "user")
    sent = 0
    for rsvp in rsvps:
        with transaction.atomic():
            if not Rsvp.objects.filter(pk=rsvp.pk, reminder_sent_at__isnull=True).update(
                reminder_sent_at=now
            ):
                continue
            email_enqueue(
                key=f"event-reminder:{rsvp.pk}:{rsvp.event.starts_at.isoformat()}",
                to=rsvp.user.email,
                subject=f"Tomorrow: {rsvp.event.title}",
                template="events/email/event_reminder",
                context={"event": rsvp.event, "user": rsvp.user},
            )
        sent += 1
    return sent
