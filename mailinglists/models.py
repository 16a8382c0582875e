"""A group's mailing list: people (with or without an account) who asked, and confirmed, to
hear from the group; and the emails organisers send to the list or an event's attendees."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from mailinglists.choices import Audience, ConsentSource, MailingStatus, SubscriptionStatus
from outbox.models import OutboxEmail, OutboxStatus


def subscription_token() -> str:
    """256 random bits: the confirmation link in the email is the only way to it."""
    return secrets.token_urlsafe(32)


class SubscriptionQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(status=SubscriptionStatus.CONFIRMED)

    def for_addresses(self, addresses):
        return self.filter(email__in=[a.strip().lower() for a in addresses if a])


class Subscription(models.Model):
    group = models.ForeignKey(
        "groups.Group", on_delete=models.CASCADE, related_name="list_subscriptions"
    )
    # Stored lower-case: one subscription per mailbox and group.
    email = models.EmailField()
    name = models.CharField(max_length=100, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="list_subscriptions",
    )
    status = models.CharField(
        max_length=12, choices=SubscriptionStatus.choices, default=SubscriptionStatus.PENDING
    )
    # Consent: where and when the person asked, and when they confirmed it from the email.
    source = models.CharField(max_length=12, choices=ConsentSource.choices)
    consent_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    token = models.CharField(max_length=64, unique=True, default=subscription_token)
    # The day of the last confirmation email: at most one a day (no list bombing).
    confirmation_sent_on = models.DateField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_from = models.ForeignKey(
        "Mailing", null=True, blank=True, on_delete=models.SET_NULL, related_name="unsubscribes"
    )

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["group", "email"], name="subscription_unique_email")
        ]
        indexes = [models.Index(fields=["email"], name="subscription_email_idx")]

    def __str__(self) -> str:
        return f"{self.email} on {self.group} ({self.status})"


class MailingQuerySet(models.QuerySet):
    def with_counts(self):
        """sent, bounced (the mail server refused it for good) and unsubscribed (through
        this email's link), each a subquery: one query for any number of mailings."""
        keys = MailingRecipient.objects.filter(mailing=OuterRef(OuterRef("pk"))).values("key")

        def outbox_count(status):
            return Coalesce(
                Subquery(
                    OutboxEmail.objects.filter(key__in=keys, status=status)
                    .order_by()
                    .values("status")
                    .annotate(n=Count("pk"))
                    .values("n")[:1]
                ),
                0,
            )

        return self.annotate(
            sent_count=outbox_count(OutboxStatus.SENT),
            bounced_count=outbox_count(OutboxStatus.FAILED),
            unsubscribed_count=Count("unsubscribes", distinct=True),
        )


class Mailing(models.Model):
    """One email an organiser wrote, to the list or to an event's attendees."""

    group = models.ForeignKey("groups.Group", on_delete=models.CASCADE, related_name="mailings")
    audience = models.CharField(max_length=8, choices=Audience.choices, default=Audience.LIST)
    event = models.ForeignKey(
        "events.Event", null=True, blank=True, on_delete=models.CASCADE, related_name="mailings"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject = models.CharField(max_length=150)
    body = models.TextField(max_length=20_000)
    status = models.CharField(
        max_length=10, choices=MailingStatus.choices, default=MailingStatus.QUEUED
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The worker's place: recipients are written in order of this id, a batch per transaction.
    cursor = models.BigIntegerField(default=0)
    # An event email: the place among the event's guests, written after its members.
    guest_cursor = models.BigIntegerField(default=0)
    recipient_count = models.PositiveIntegerField(default=0)

    objects = MailingQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(audience=Audience.LIST, event__isnull=True)
                | Q(audience=Audience.EVENT, event__isnull=False),
                name="mailing_event_iff_event_audience",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.group})"

    def get_absolute_url(self) -> str:
        return reverse("mailinglists:mailing", args=[self.group.slug, self.pk])


class MailingRecipient(models.Model):
    """Who one mailing was written to, and the outbox key of their email (for the counts).
    Unique per mailing and address: each recipient is written once."""

    mailing = models.ForeignKey(Mailing, on_delete=models.CASCADE, related_name="recipients")
    email = models.EmailField()
    key = models.CharField(max_length=200, unique=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mailing", "email"], name="mailingrecipient_once")
        ]
        indexes = [models.Index(fields=["email"], name="mailingrecipient_email_idx")]

    def __str__(self) -> str:
        return f"{self.email} ← {self.mailing}"
