"""Models of clash detection: the rules site staff edit, the clashes found, the email outbox
and each person's email preference. The tables keep the names they had when these models
lived in the events app (events_clash, ...), so no data moved."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from events.models import Event
from events.querysets import in_region_q
from groups.models import GroupKind, Role

KM_PER_MILE = 1.609344


class ClashRule(models.Model):
    """Which sides are compared: events of groups of `side_a_kinds` (only of `party`, if set)
    against events of groups of `side_b_kinds`. Site staff edit these in the admin."""

    name = models.CharField(max_length=120)
    side_a_kinds = ArrayField(
        models.CharField(max_length=24, choices=GroupKind.choices),
        help_text="Group kinds on one side.",
    )
    side_b_kinds = ArrayField(
        models.CharField(max_length=24, choices=GroupKind.choices),
        help_text="Group kinds on the other side.",
    )
    party = models.ForeignKey(
        "groups.Party",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Blank: any party. Set: only this party's groups are on the first side.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "events_clashrule"
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class ClashStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    DISMISSED = "dismissed", "Dismissed (not a problem)"
    RESOLVED = "resolved", "Resolved"
    MERGED = "merged", "Merged into a joint event"


class ClashQuerySet(models.QuerySet):
    def for_list(self):
        return self.select_related(
            "event_a__group__party",
            "event_b__group__party",
            "event_a__constituency",
            "event_b__constituency",
        )

    def open(self):
        return self.filter(status=ClashStatus.OPEN)

    def visible_to(self, user):
        """Clashes the user may see: of events their groups organise or co-organise, and, for
        party staff, those involving their party in their region (blank region: all)."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        organised = user.memberships.filter(role=Role.ORGANISER).values("group_id")
        events = Event.objects.filter(
            Q(group_id__in=organised) | Q(co_organisers__in=organised)
        ).values("pk")
        condition = Q(event_a_id__in=events) | Q(event_b_id__in=events)
        return self.filter(condition | self._staff_q(user))

    def staff_of(self, user):
        """Clashes `user` sees as party staff: of their party, in their region (blank: all)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(self._staff_q(user))

    def _staff_q(self, user) -> Q:
        condition = Q(pk__in=[])
        for staff in user.party_staff_roles.all():
            party = Q(event_a__group__party_id=staff.party_id) | Q(
                event_b__group__party_id=staff.party_id
            )
            condition |= party & self.in_region_q(staff.region) if staff.region else party
        return condition

    @staticmethod
    def in_region_q(region: str) -> Q:
        """A clash is in a region when either of its events is (the events app's rule)."""
        return in_region_q(region, "event_a__") | in_region_q(region, "event_b__")

    def in_region(self, region: str):
        return self.filter(self.in_region_q(region))

    def of_party(self, party_id: int):
        return self.filter(
            Q(event_a__group__party_id=party_id) | Q(event_b__group__party_id=party_id)
        )


class Clash(models.Model):
    """One row per unordered pair of clashing events (event_a_id < event_b_id)."""

    event_a = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    event_b = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=12, choices=ClashStatus.choices, default=ClashStatus.OPEN)
    distance_km = models.FloatField(null=True, blank=True)
    same_constituency = models.BooleanField(default=False)
    detected_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ClashQuerySet.as_manager()

    class Meta:
        db_table = "events_clash"
        ordering = ["-detected_at", "-pk"]
        verbose_name_plural = "clashes"
        constraints = [
            models.UniqueConstraint(fields=["event_a", "event_b"], name="clash_unique_pair"),
            models.CheckConstraint(
                condition=Q(event_a__lt=F("event_b")), name="clash_pair_ordered"
            ),
        ]
        indexes = [
            models.Index(fields=["event_b"], name="clash_event_b"),
            models.Index(fields=["status"], name="clash_status"),
        ]

    def __str__(self) -> str:
        return f"Clash {self.event_a_id} × {self.event_b_id} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("clashes:detail", kwargs={"pk": self.pk})

    @property
    def distance_miles(self) -> float | None:
        """How far apart the two events are, in miles, as British organisers measure it
        (stored in km, as the detection computes it)."""
        return None if self.distance_km is None else self.distance_km / KM_PER_MILE

    @property
    def is_actionable(self) -> bool:
        return self.status in {ClashStatus.OPEN, ClashStatus.ACKNOWLEDGED}


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending (claimed)"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped (notifications off)"


class ClashNotification(models.Model):
    """The outbox: one row per (clash, recipient), written in the clash's own transaction."""

    clash = models.ForeignKey(Clash, on_delete=models.CASCADE, related_name="notifications")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clash_notifications"
    )
    status = models.CharField(
        max_length=8, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    via_digest = models.BooleanField(default=False)
    last_error = models.TextField(blank=True)

    class Meta:
        db_table = "events_clashnotification"
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["clash", "recipient"], name="clashnotification_unique_recipient"
            )
        ]
        indexes = [
            models.Index(
                fields=["status", "next_attempt_at"],
                name="clashnotif_due",
                condition=Q(status__in=[NotificationStatus.PENDING, NotificationStatus.SENDING]),
            )
        ]

    def __str__(self) -> str:
        return f"Clash {self.clash_id} → user {self.recipient_id} ({self.status})"


class NotificationMode(models.TextChoices):
    IMMEDIATE = "immediate", "Email me about each clash straight away"
    DIGEST = "digest", "One email a day with the day's clashes"
    OFF = "off", "No clash emails"


class NotificationPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clash_preference"
    )
    clash_emails = models.CharField(
        "Clash emails",
        max_length=10,
        choices=NotificationMode.choices,
        default=NotificationMode.IMMEDIATE,
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "events_notificationpreference"

    def __str__(self) -> str:
        return f"{self.user}: {self.clash_emails}"


class ProposalStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the other group"
    ACCEPTED = "accepted", "Accepted: one joint event"
    DECLINED = "declined", "Declined"
    LAPSED = "lapsed", "Lapsed (an event changed or the clash was settled)"


class JointEventProposalQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=ProposalStatus.PENDING)

    def for_page(self):
        return self.select_related(
            "clash",
            "keep_event__group__party",
            "drop_event__group__party",
            "responding_event__group",
            "proposed_by",
        )


class JointEventProposal(models.Model):
    """An organiser of one side asks the other side to make their clash one joint event.
    Nothing changes until an organiser of `responding_event` accepts; the sequences of both
    events are kept so an answer given about events that have since changed is refused."""

    clash = models.ForeignKey(Clash, on_delete=models.CASCADE, related_name="joint_proposals")
    keep_event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    drop_event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    responding_event = models.ForeignKey(
        Event,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The event whose organisers must consent (the side that did not propose).",
    )
    keep_sequence = models.PositiveIntegerField()
    drop_sequence = models.PositiveIntegerField()
    status = models.CharField(
        max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.PENDING
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = JointEventProposalQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["clash"],
                condition=Q(status=ProposalStatus.PENDING),
                name="jointproposal_one_pending_per_clash",
            ),
            models.CheckConstraint(
                condition=~Q(keep_event=F("drop_event")), name="jointproposal_two_events"
            ),
        ]

    def __str__(self) -> str:
        return f"Joint event proposal {self.pk} for clash {self.clash_id} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("clashes:proposal", kwargs={"pk": self.pk})

    @property
    def proposing_event_id(self) -> int:
        return (
            self.keep_event_id
            if self.drop_event_id == self.responding_event_id
            else (self.drop_event_id)
        )


class ClashNote(models.Model):
    """A note party staff leave on a clash: both sides' organisers (and staff) see it on the
    clash page; with `emailed`, the organisers of both events were also emailed it."""

    clash = models.ForeignKey(Clash, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=2000)
    emailed = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Note {self.pk} on clash {self.clash_id}"
