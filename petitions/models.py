"""Petitions, one row per signature, and the tallies the count task keeps (see bench/README.md,
"petitions: counting design")."""

from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from petitions.images import petition_image_path
from petitions.querysets import PetitionQuerySet, SignatureQuerySet

# The goal ladder: 100, 250, 500, 1,000, 2,500, 5,000, 10,000, 25,000, ... (see milestones.py).


class PetitionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PENDING = "pending", "Awaiting moderation"
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"
    REJECTED = "rejected", "Rejected"


class Petition(models.Model):
    group = models.ForeignKey("groups.Group", on_delete=models.PROTECT, related_name="petitions")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=150)
    slug = models.SlugField(max_length=160, unique=True)
    target = models.CharField(
        "addressed to", max_length=150, help_text="The party or body the petition is addressed to."
    )
    target_party = models.ForeignKey(
        "groups.Party",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="petitions_addressed",
        verbose_name="addressed to the party",
        help_text="If it is addressed to a party, that party's staff can answer it here.",
    )
    body = models.TextField(
        max_length=10_000,
        help_text="Plain text. Blank lines start paragraphs, **bold** and lines starting with "
        "“- ” make lists. Links are made clickable. No HTML.",
    )
    # Stored under a generated name with the extension of the decoded format (alliance/images.py)
    # and served only through the petitions:image view, never straight from the storage.
    image = models.FileField(upload_to=petition_image_path, blank=True)
    status = models.CharField(
        max_length=10, choices=PetitionStatus.choices, default=PetitionStatus.DRAFT
    )
    rejection_reason = models.TextField(blank=True, max_length=2000)
    opens_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateField(null=True, blank=True)
    delivery_note = models.CharField(max_length=300, blank=True)
    personal_data_deleted_at = models.DateTimeField(null=True, blank=True)
    is_sample = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = PetitionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__isnull=True)
                | Q(opens_at__isnull=True)
                | Q(closes_at__gt=models.F("opens_at")),
                name="petition_closes_after_opening",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("petitions:detail", kwargs={"slug": self.slug})

    @property
    def is_accepting_signatures(self) -> bool:
        now = timezone.now()
        return (
            self.status == PetitionStatus.OPEN
            and (self.opens_at is None or self.opens_at <= now)
            and (self.closes_at is None or self.closes_at > now)
        )

    @property
    def is_public(self) -> bool:
        return self.status in (PetitionStatus.OPEN, PetitionStatus.CLOSED)

    @property
    def image_url(self) -> str:
        """The image's address: served by petitions:image, never straight from the storage. The
        stored name is part of it, so a new image is a new address (caches never go stale)."""
        if not self.image:
            return ""
        return reverse(
            "petitions:image",
            kwargs={"slug": self.slug, "name": PurePosixPath(self.image.name).name},
        )


class SignatureStatus(models.TextChoices):
    PENDING = "pending", "Awaiting confirmation"
    CONFIRMED = "confirmed", "Confirmed"
    REMOVED = "removed", "Removed by the signer"
    INVALIDATED = "invalidated", "Invalidated by staff"


class Signature(models.Model):
    """One person's signature. Only `confirmed` rows are counted (by the count task)."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="signatures")
    name = models.CharField(max_length=100)
    email = models.EmailField(max_length=254)
    # Unique per petition: see petitions.emails.email_normalise for the rules.
    email_normalised = models.CharField(max_length=254)
    email_domain = models.CharField(max_length=254, db_index=True)
    postcode = models.CharField(max_length=8)
    town = models.CharField(max_length=80, blank=True)
    constituency = models.ForeignKey(
        "seats.Constituency", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    consent_to_contact = models.BooleanField(default=False)
    show_publicly = models.BooleanField(default=False)
    # "Keep me posted by <group>", ticked by the signer: when, and on which form
    # ("petition:<slug>" or "stall:<slug>"). The group's mailing list takes the address
    # only once the signature is confirmed from the email (that proves the address).
    list_consent_at = models.DateTimeField(null=True, blank=True)
    list_consent_source = models.CharField(max_length=200, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    status = models.CharField(
        max_length=12, choices=SignatureStatus.choices, default=SignatureStatus.PENDING
    )
    # 256 random bits, URL-safe: the confirm / remove / unsubscribe links carry it. Every signing
    # attempt that asks for a confirmation gets a fresh one, so earlier links stop working.
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # Every state change sets this: the count task recounts petitions with recent changes.
    changed_at = models.DateTimeField(default=timezone.now, db_index=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmation_claimed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    # Someone signed again with the address of a confirmed signature: the mailbox is told "you
    # had already signed" (the page says "check your email" either way). Set when owed, cleared
    # once sent; claimed like the confirmation email so it goes out once.
    notice_due_at = models.DateTimeField(null=True, blank=True)
    notice_claimed_at = models.DateTimeField(null=True, blank=True)

    objects = SignatureQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["petition", "email_normalised"], name="signature_unique_person"
            )
        ]
        indexes = [
            # The count task's GROUP BY reads only this index (index-only scan).
            models.Index(fields=["petition", "status", "constituency"], name="signature_count_idx"),
            models.Index(fields=["status", "created_at"], name="signature_expiry_idx"),
            # The confirmation-email queue: waiting signatures not yet mailed (a small index).
            models.Index(
                fields=["id"],
                condition=Q(status="pending", confirmation_sent_at__isnull=True),
                name="signature_unsent_idx",
            ),
            models.Index(
                fields=["id"],
                condition=Q(notice_due_at__isnull=False),
                name="signature_notice_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} on {self.petition_id} ({self.status})"

    @property
    def first_name(self) -> str:
        return (self.name or "").split(" ")[0][:40]


class PetitionTally(models.Model):
    """The shown count: written only by the count / reconcile tasks, never by signing."""

    petition = models.OneToOneField(
        Petition, primary_key=True, on_delete=models.CASCADE, related_name="tally"
    )
    confirmed_count = models.PositiveIntegerField(default=0)
    counted_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.petition_id}: {self.confirmed_count}"


class ConstituencyTally(models.Model):
    petition = models.ForeignKey(
        Petition, on_delete=models.CASCADE, related_name="constituency_tallies"
    )
    constituency = models.ForeignKey(
        "seats.Constituency", on_delete=models.CASCADE, related_name="+"
    )
    confirmed_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-confirmed_count"]
        constraints = [
            models.UniqueConstraint(
                fields=["petition", "constituency"], name="constituencytally_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.petition_id}/{self.constituency_id}: {self.confirmed_count}"


class Milestone(models.Model):
    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="milestones")
    goal = models.PositiveIntegerField()
    reached_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["goal"]
        constraints = [
            models.UniqueConstraint(fields=["petition", "goal"], name="milestone_unique_goal")
        ]

    def __str__(self) -> str:
        return f"{self.petition_id} reached {self.goal}"


class PetitionUpdate(models.Model):
    """An update email from the organisers to signers who consented; sent in batches."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="updates")
    subject = models.CharField(max_length=150)
    body = models.TextField(max_length=10_000)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Batches resume after this signature id, so a re-run task never re-sends a finished batch.
    last_signature_id = models.BigIntegerField(default=0)
    sent_count = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject


class PetitionResponse(models.Model):
    """The answer of the party a petition is addressed to, by that party's staff: shown on the
    petition page and emailed once to the signers who agreed to hear more."""

    petition = models.OneToOneField(Petition, on_delete=models.CASCADE, related_name="response")
    party = models.ForeignKey("groups.Party", on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=10_000)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Emails are queued in batches through the outbox (one key per signature): resume after.
    last_signature_id = models.BigIntegerField(default=0)
    emails_queued = models.PositiveIntegerField(default=0)
    emails_finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.party} answered {self.petition_id}"
