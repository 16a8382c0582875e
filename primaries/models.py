"""Open primaries: one progressive candidate per seat, chosen by local voters.

Secrecy is a property of the tables, not of the code that reads them: the voter roll (`Voter`)
and the ballot box (`Ballot`) share no key and no timestamp. A roll row records only that its
voter has voted; a ballot records only its ranking and the hash of its receipt code, with a
random UUID as primary key (so its id does not say when it was cast; its physical place in the
table does, until the count re-inserts the box). See primaries/README.md for what this does and
does not protect against.
"""

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from alliance.images import image_path


def candidate_photo_path(instance, filename: str) -> str:
    return image_path("primaries", filename)


class Electorate(models.TextChoices):
    RESIDENTS = "residents", "Everyone who lives in the constituency"
    MEMBERS = "members", "Residents who are members of a party taking part (self-declared)"


class CountingMethod(models.TextChoices):
    INSTANT_RUNOFF = "irv", "Instant runoff (voters rank the candidates)"
    PLURALITY = "plurality", "Most first preferences"


class PrimaryStatus(models.TextChoices):
    SETUP = "setup", "Being set up"
    AGREED = "agreed", "Rules agreed by every party"
    COUNTED = "counted", "Counted"


class Phase(models.TextChoices):
    """Where a primary is at a given moment: its status plus the agreed dates."""

    SETUP = "setup", "Being set up by the parties"
    NOT_YET_OPEN = "not_yet_open", "Registration not yet open"
    REGISTRATION = "registration", "Registration open"
    REGISTRATION_CLOSED = "registration_closed", "Registration closed, voting not yet open"
    VOTING = "voting", "Voting open"
    CLOSED = "closed", "Voting closed, being counted"
    COUNTED = "counted", "Result declared"


class PrimaryQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status__in=[PrimaryStatus.AGREED, PrimaryStatus.COUNTED])

    def due_for_count(self, now):
        return self.filter(status=PrimaryStatus.AGREED, voting_closes_at__lte=now)

    def voting_open(self, now):
        return self.filter(
            status=PrimaryStatus.AGREED, voting_opens_at__lte=now, voting_closes_at__gt=now
        )

    def roll_due_for_deletion(self, before):
        return self.filter(
            status=PrimaryStatus.COUNTED, counted_at__lte=before, roll_deleted_at__isnull=True
        )


class Primary(models.Model):
    agreement = models.OneToOneField(
        "seats.Agreement", on_delete=models.PROTECT, related_name="primary"
    )
    electorate = models.CharField(
        max_length=12, choices=Electorate.choices, default=Electorate.RESIDENTS
    )
    counting_method = models.CharField(
        max_length=12, choices=CountingMethod.choices, default=CountingMethod.INSTANT_RUNOFF
    )
    registration_opens_at = models.DateTimeField(null=True, blank=True)
    registration_closes_at = models.DateTimeField(null=True, blank=True)
    voting_opens_at = models.DateTimeField(null=True, blank=True)
    voting_closes_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=PrimaryStatus.choices, default=PrimaryStatus.SETUP
    )
    rules_version = models.PositiveIntegerField(default=1)
    agreed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The result, kept for good (no personal data): the rounds as stored by primary_count.
    counted_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    winner = models.ForeignKey(
        "Candidate", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    registered_count = models.PositiveIntegerField(null=True, blank=True)
    ballot_count = models.PositiveIntegerField(null=True, blank=True)
    roll_deleted_at = models.DateTimeField(null=True, blank=True)

    objects = PrimaryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "primaries"
        constraints = [
            models.CheckConstraint(
                condition=Q(registration_opens_at__isnull=True)
                | (
                    Q(registration_closes_at__gt=F("registration_opens_at"))
                    & Q(voting_opens_at__gte=F("registration_closes_at"))
                    & Q(voting_closes_at__gt=F("voting_opens_at"))
                ),
                name="primary_dates_in_order",
            )
        ]

    def __str__(self) -> str:
        return f"Open primary in {self.agreement.constituency}"

    def get_absolute_url(self) -> str:
        return reverse("primaries:detail", kwargs={"pk": self.pk})

    @property
    def has_dates(self) -> bool:
        return self.registration_opens_at is not None

    def phase(self, now=None) -> Phase:
        now = now or timezone.now()
        if self.status == PrimaryStatus.COUNTED:
            return Phase.COUNTED
        if self.status == PrimaryStatus.SETUP or not self.has_dates:
            return Phase.SETUP
        if now < self.registration_opens_at:
            return Phase.NOT_YET_OPEN
        if now < self.registration_closes_at:
            return Phase.REGISTRATION
        if now < self.voting_opens_at:
            return Phase.REGISTRATION_CLOSED
        if now < self.voting_closes_at:
            return Phase.VOTING
        return Phase.CLOSED


class Candidate(models.Model):
    """One party's candidate, with that party's red lines (public)."""

    primary = models.ForeignKey(Primary, on_delete=models.CASCADE, related_name="candidates")
    party = models.ForeignKey("groups.Party", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=120)
    statement = models.TextField(max_length=3000)
    red_lines = models.TextField(
        max_length=3000, blank=True, help_text="What your party will not accept. Public."
    )
    # Optional. Checked and re-encoded by alliance/images.py, stored under a random name, and
    # served only through primaries:candidate_photo, to those who may see the candidate.
    photo = models.FileField(upload_to=candidate_photo_path, blank=True)
    # Ballot order, drawn by lot at nomination; also the last step of the tie-break.
    draw = models.BigIntegerField()
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["draw", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["primary", "party"], name="candidate_one_per_party")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.party})"

    @property
    def photo_url(self) -> str:
        """Served by primaries:candidate_photo; the stored name is in it, so a new photo is a
        new address."""
        if not self.photo:
            return ""
        return reverse(
            "primaries:candidate_photo",
            kwargs={"pk": self.pk, "name": PurePosixPath(self.photo.name).name},
        )


class PrimaryAcceptance(models.Model):
    """A party accepts the rules and candidates as they stand; any change deletes these."""

    primary = models.ForeignKey(Primary, on_delete=models.CASCADE, related_name="acceptances")
    party = models.ForeignKey("groups.Party", on_delete=models.PROTECT, related_name="+")
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    rules_version = models.PositiveIntegerField()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["primary", "party"], name="primaryacceptance_unique")
        ]

    def __str__(self) -> str:
        return f"{self.party} accepted primary {self.primary_id}"


class PrimaryHistory(models.Model):
    """Append-only: every change to the rules, acceptances, reviews of the roll, the count."""

    primary = models.ForeignKey(Primary, on_delete=models.CASCADE, related_name="history")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=30)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name_plural = "primary history"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"


class VoterStatus(models.TextChoices):
    UNCONFIRMED = "unconfirmed", "Email address not yet confirmed"
    HELD = "held", "Held for review (postcode could not be checked)"
    REGISTERED = "registered", "Registered"
    STRUCK = "struck", "Struck off"


class VoterQuerySet(models.QuerySet):
    def registered(self):
        return self.filter(status=VoterStatus.REGISTERED)

    def awaiting_ballot(self):
        return self.filter(status=VoterStatus.REGISTERED, ballot_sent_at__isnull=True)

    def for_review(self):
        return self.filter(status__in=[VoterStatus.HELD, VoterStatus.REGISTERED])


class Voter(models.Model):
    """The roll: one row per person per primary. Deleted a set time after the result."""

    primary = models.ForeignKey(Primary, on_delete=models.CASCADE, related_name="roll")
    email = models.EmailField()
    email_normalised = models.CharField(max_length=254)
    postcode = models.CharField(max_length=8)
    postcode_verified = models.BooleanField(default=False)
    declared_member = models.BooleanField(default=False)
    status = models.CharField(
        max_length=12, choices=VoterStatus.choices, default=VoterStatus.UNCONFIRMED
    )
    # Links are emailed; only their SHA-256 is stored, so a copy of the database cannot vote.
    confirm_token_hash = models.CharField(max_length=64, blank=True)
    confirmations_sent = models.PositiveIntegerField(default=0)
    ballot_token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    ballot_sent_at = models.DateTimeField(null=True, blank=True)
    voted = models.BooleanField(default=False)  # never when: see the module docstring
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_reason = models.CharField(max_length=500, blank=True)

    objects = VoterQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["primary", "email_normalised"], name="voter_one_per_person"
            )
        ]
        indexes = [models.Index(fields=["confirm_token_hash"], name="voter_confirm_token")]

    def __str__(self) -> str:
        return f"Voter {self.pk} in primary {self.primary_id}"

    @property
    def email_masked(self) -> str:
        """'j…@example.org': enough for staff reviewing the roll, no more."""
        local, _, domain = self.email.rpartition("@")
        return f"{local[:1]}…@{domain}"


class Ballot(models.Model):
    """The ballot box. No voter, no time: a random id, the ranking, the receipt's hash."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Indexed by the constraint below (primary first), not on its own.
    primary = models.ForeignKey(
        Primary, on_delete=models.PROTECT, related_name="ballots", db_index=False
    )
    ranking = ArrayField(models.IntegerField())  # candidate ids, most preferred first
    receipt_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["id"]  # random: the published file is in no meaningful order
        # Two indexes in all (this and the id): the count re-inserts the whole box, and every
        # index is written once per ballot. A receipt is looked up within its primary, which
        # this serves, as it serves "the box of this primary"; `unique=True` on the field
        # would have added a second index on the hash and a third for LIKE queries.
        constraints = [
            models.UniqueConstraint(
                fields=["primary", "receipt_hash"], name="ballot_receipt_unique_in_primary"
            )
        ]

    def __str__(self) -> str:
        return f"Ballot in primary {self.primary_id}"
