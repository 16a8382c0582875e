import secrets
import uuid

from django.conf import settings
from django.contrib.postgres.fields import DateTimeRangeField
from django.contrib.postgres.indexes import GistIndex
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from events.choices import EventKind, EventStatus, RsvpAnswer, Visibility
from events.querysets import EventQuerySet


class EventSeries(models.Model):
    """A recurring event (weekly street stall, monthly canvass): an RRULE and its template.

    Each occurrence within the rolling horizon is a concrete Event row (series=this), so RSVPs,
    feeds and clash detection treat occurrences exactly like one-off events.
    """

    group = models.ForeignKey("groups.Group", on_delete=models.CASCADE, related_name="event_series")
    rrule = models.CharField(max_length=500, help_text="RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=SA")
    first_starts_at = models.DateTimeField()
    duration = models.DurationField()
    expanded_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "event series"

    def __str__(self) -> str:
        return f"{self.rrule} from {self.first_starts_at:%Y-%m-%d}"


class Event(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    group = models.ForeignKey("groups.Group", on_delete=models.CASCADE, related_name="events")
    co_organisers = models.ManyToManyField(
        "groups.Group", blank=True, related_name="co_organised_events"
    )
    series = models.ForeignKey(
        EventSeries, null=True, blank=True, on_delete=models.CASCADE, related_name="occurrences"
    )
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    description = models.TextField(blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    # Kept in step with starts_at/ends_at by the services: range queries and clashes use it.
    span = models.GeneratedField(
        expression=models.Func(
            F("starts_at"), F("ends_at"), models.Value("[)"), function="tstzrange"
        ),
        output_field=DateTimeRangeField(),
        db_persist=True,
    )
    all_day = models.BooleanField(default=False)
    venue_name = models.CharField(max_length=200, blank=True)
    address = models.CharField(max_length=300, blank=True)
    postcode = models.CharField(max_length=8, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    constituency = models.ForeignKey(
        "seats.Constituency",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="Blank: no limit.")
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    status = models.CharField(
        max_length=10, choices=EventStatus.choices, default=EventStatus.SCHEDULED
    )
    sequence = models.PositiveIntegerField(default=0, help_text="iCalendar SEQUENCE.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Imported from an external calendar: read-only here, kept in step by the feed's sync.
    feed = models.ForeignKey(
        "events.CalendarFeed",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    is_imported = models.BooleanField(default=False)
    source_uid = models.CharField(max_length=500, blank=True)
    # The source UID plus the occurrence's start: one row per imported occurrence.
    source_key = models.CharField(max_length=600, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [
            GistIndex(fields=["span"], name="event_span_gist"),
            models.Index(fields=["starts_at"], name="event_starts_at"),
            # Calendar and feed filters by group or party and kind ("canvassing in LD branches").
            models.Index(fields=["group", "kind"], name="event_group_kind"),
            # "Near me": the bounding box prefilter (seats/distance.py) reads these.
            models.Index(fields=["latitude", "longitude"], name="event_lat_lng"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="event_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="event_lat_lng_together",
            ),
            models.UniqueConstraint(
                fields=["feed", "source_key"],
                condition=Q(feed__isnull=False),
                name="event_unique_feed_source_key",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("events:detail", kwargs={"pk": self.pk})

    @property
    def is_cancelled(self) -> bool:
        return self.status == EventStatus.CANCELLED

    # What cancelling changes, decided once: calendars see a new SEQUENCE; an imported event
    # that vanished or whose calendar was removed is also hidden from the public.
    CANCEL_FIELDS = ["status", "sequence", "updated_at"]
    CANCEL_HIDDEN_FIELDS = [*CANCEL_FIELDS, "visibility"]

    def cancel_fields_set(self, *, now, hide_from_public: bool = False) -> list[str]:
        """Set the fields of a cancellation (not saved); returns the fields to save."""
        self.status = EventStatus.CANCELLED
        self.sequence += 1
        self.updated_at = now
        if hide_from_public:
            self.visibility = Visibility.GROUP
            return self.CANCEL_HIDDEN_FIELDS
        return self.CANCEL_FIELDS


class Rsvp(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rsvps")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rsvps"
    )
    answer = models.CharField(max_length=10, choices=RsvpAnswer.choices)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    # The event SEQUENCE this person was last emailed about (changes, cancellation).
    notified_sequence = models.PositiveIntegerField(default=0)
    # Marked by an organiser after the event.
    attended = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="rsvp_unique_event_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.event}: {self.answer}"


def new_guest_token() -> str:
    return secrets.token_urlsafe(24)


class GuestRsvpQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(confirmed_at__isnull=False)

    def counted_going(self):
        """Guests holding a place: confirmed and going (an unconfirmed answer holds none)."""
        return self.confirmed().filter(answer=RsvpAnswer.GOING)

    def for_email(self, addresses):
        return self.filter(email__in=[address.lower() for address in addresses])


class GuestRsvp(models.Model):
    """An answer from someone without an account, by email. It counts (and takes a place, or
    joins the waiting list) only once they confirm from the email; until then nobody emails
    that address again for this event. Their links carry `token`, signed (events/guests.py)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="guest_rsvps")
    name = models.CharField(max_length=100)
    email = models.EmailField(max_length=254, help_text="Stored lower-cased.")
    postcode = models.CharField(max_length=8, blank=True)
    # going (asked or held), waiting, or not_going once they cancel; see confirmed_at.
    answer = models.CharField(max_length=10, choices=RsvpAnswer.choices, default=RsvpAnswer.GOING)
    token = models.CharField(max_length=64, unique=True, default=new_guest_token)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    attended = models.BooleanField(default=False)
    # "Keep me posted by <group>", ticked by the guest: when, and on which form.
    list_consent_at = models.DateTimeField(null=True, blank=True)
    list_consent_source = models.CharField(max_length=100, blank=True)

    objects = GuestRsvpQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "email"], name="guestrsvp_unique_event_email")
        ]
        indexes = [models.Index(fields=["email"], name="guestrsvp_email")]

    def __str__(self) -> str:
        return f"{self.name} (guest) – {self.event}: {self.answer}"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarToken(models.Model):
    """The secret in a user's private feed URL; revoking replaces it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_token"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Calendar token of {self.user}"


class CalendarFeed(models.Model):
    """An external calendar a group brings in: an .ics URL polled by beat, or an uploaded file."""

    group = models.ForeignKey(
        "groups.Group", on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    name = models.CharField(max_length=120)
    url = models.URLField("Calendar URL", max_length=1000, blank=True)
    # An uploaded file is kept here, in the database, never under MEDIA_ROOT: nothing the
    # public web server can reach, whatever it serves.
    upload_data = models.BinaryField("iCalendar file", null=True, blank=True, editable=False)
    upload_name = models.CharField(max_length=200, blank=True)
    kind = models.CharField(
        "Kind of the imported events",
        max_length=20,
        choices=EventKind.choices,
        default=EventKind.OTHER,
    )
    # Imported events are for the group's members unless the organiser chooses otherwise.
    visibility = models.CharField(
        "Who can see the imported events",
        max_length=10,
        choices=Visibility.choices,
        default=Visibility.GROUP,
    )
    # Where an imported event is when its LOCATION holds no postcode we can place.
    default_constituency = models.ForeignKey(
        "seats.Constituency",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="Constituency of events without a postcode",
    )
    # Added but not confirmed yet: shown to its organiser as a preview, never synced.
    is_preview = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    etag = models.CharField(max_length=300, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    warnings = models.JSONField(default=list, blank=True)
    imported_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(url="") | Q(upload_data__isnull=False),
                name="calendarfeed_url_or_upload_data",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def source(self) -> str:
        return self.url or "uploaded file"
