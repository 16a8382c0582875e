"""Priority mapping: rounds of post-it notes, clusters of shared concerns, dot votes, and the
statements of shared priorities that groups and parties endorse afterwards."""

from django.conf import settings
from django.db import models
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

NOTE_MAX_LENGTH = 140
CLUSTER_NAME_MAX_LENGTH = 80


class RoundStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class RoundQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=RoundStatus.OPEN)

    def closed(self):
        return self.filter(status=RoundStatus.CLOSED)

    def by_code(self, code: str):
        """The open round whose join code this is, if the code has not expired."""
        return self.open().filter(code=code.strip().upper(), code_expires_at__gt=timezone.now())

    def organised_by(self, user):
        if not user.is_authenticated:
            return self.none()
        from groups.models import Role

        return self.filter(
            group__memberships__user=user, group__memberships__role=Role.ORGANISER
        ).distinct()

    def in_region(self, region: str):
        """Rounds of a group in `region`, or with a linked group there."""
        return self.filter(Q(group__region=region) | Q(linked_groups__region=region)).distinct()


class Round(models.Model):
    """One priority-mapping session: opened by an organiser of `group`, at an event or not,
    optionally with linked groups taking part."""

    title = models.CharField(max_length=120)
    group = models.ForeignKey("groups.Group", on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(
        "events.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_groups = models.ManyToManyField(
        "groups.Group", blank=True, related_name="+", help_text="Linked groups taking part."
    )
    code = models.CharField(max_length=12, unique=True)
    code_expires_at = models.DateTimeField()
    notes_per_participant = models.PositiveSmallIntegerField(default=2)
    dots_per_participant = models.PositiveSmallIntegerField(default=3)
    participants_may_cluster = models.BooleanField(default=False)
    status = models.CharField(max_length=8, choices=RoundStatus.choices, default=RoundStatus.OPEN)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = RoundQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(notes_per_participant__gte=1, notes_per_participant__lte=10),
                name="round_notes_per_participant_1_to_10",
            ),
            models.CheckConstraint(
                condition=Q(dots_per_participant__gte=1, dots_per_participant__lte=20),
                name="round_dots_per_participant_1_to_20",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("priorities:round", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.status == RoundStatus.OPEN

    @property
    def code_is_live(self) -> bool:
        return self.is_open and self.code_expires_at > timezone.now()


class Participant(models.Model):
    """Someone taking part in one round: signed in, or known only by this browser's session."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="priority_participations",
    )
    name = models.CharField(max_length=60)
    party = models.ForeignKey(
        "groups.Party", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    agreed_to_be_named = models.BooleanField(default=False)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["joined_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "user"],
                condition=Q(user__isnull=False),
                name="participant_unique_user_per_round",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Cluster(models.Model):
    """A named pile of notes that share a theme. Dots are spent on clusters."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="clusters")
    name = models.CharField(max_length=CLUSTER_NAME_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.name


class NoteQuerySet(models.QuerySet):
    def visible(self):
        """Notes that count in results: hidden (abusive) notes are kept but left out."""
        return self.filter(is_hidden=False)


class Note(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="notes")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="notes")
    text = models.CharField(max_length=NOTE_MAX_LENGTH)
    cluster = models.ForeignKey(
        Cluster, null=True, blank=True, on_delete=models.SET_NULL, related_name="notes"
    )
    is_hidden = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = NoteQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["round", "cluster"], name="note_round_cluster")]

    def __str__(self) -> str:
        return self.text


class Dot(models.Model):
    """One dot of a participant's, on one cluster (several dots there: several rows)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="dots")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="dots")
    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="dots")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"dot on {self.cluster_id}"


class StatementQuerySet(models.QuerySet):
    def endorsed_by_group(self, group):
        return self.filter(endorsements__group=group).distinct()

    def covering_seat(self, seat):
        return self.filter(constituencies=seat).distinct()

    def with_endorsement_count(self):
        return self.select_related("round", "round__group").annotate(
            endorsement_count=Count("endorsements", distinct=True)
        )


class Statement(models.Model):
    """A closed round's clusters, published as shared priorities for groups and parties to
    endorse. The seats it covers are those of the round's groups when it was published."""

    round = models.OneToOneField(Round, on_delete=models.CASCADE, related_name="statement")
    title = models.CharField(max_length=160)
    introduction = models.TextField(blank=True, max_length=2000)
    constituencies = models.ManyToManyField("seats.Constituency", blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = StatementQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("priorities:statement", kwargs={"pk": self.pk})


class Endorsement(models.Model):
    """A group (by one of its organisers) or a party (by its staff) endorses a statement."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="endorsements")
    group = models.ForeignKey(
        "groups.Group", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    party = models.ForeignKey(
        "groups.Party", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    endorsed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(group__isnull=False, party__isnull=True)
                | Q(group__isnull=True, party__isnull=False),
                name="endorsement_group_xor_party",
            ),
            models.UniqueConstraint(
                fields=["statement", "group"],
                condition=Q(group__isnull=False),
                name="endorsement_unique_group",
            ),
            models.UniqueConstraint(
                fields=["statement", "party"],
                condition=Q(party__isnull=False),
                name="endorsement_unique_party",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group or self.party} endorses {self.statement_id}"
