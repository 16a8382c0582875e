"""One row per email to send. The unique `key` is what makes an email exactly-once: whoever
enqueues it names it (`"digest:<user>:<iso-week>"`), and a second enqueue of the same key is a
no-op."""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class OutboxEmailQuerySet(models.QuerySet):
    def due(self, *, now=None):
        return self.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now or timezone.now())

    def stale_claims(self, *, before):
        return self.filter(status=OutboxStatus.SENDING, claimed_at__lt=before)

    def to_addresses(self, addresses):
        return self.filter(to_email__in=list(addresses))


class OutboxEmail(models.Model):
    key = models.CharField(max_length=200, unique=True)
    to_email = models.EmailField(max_length=254)
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField()
    headers = models.JSONField(default=dict, blank=True)
    # At most one file sent with the email (an event's .ics): {"filename", "mimetype",
    # "content"}, text only. Kept on the row so a retry sends exactly what was enqueued.
    attachment = models.JSONField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True, default="")

    objects = OutboxEmailQuerySet.as_manager()

    class Meta:
        indexes = [
            # The claim reads only these two small slices of the table.
            models.Index(
                fields=["next_attempt_at", "id"],
                name="outbox_due_idx",
                condition=Q(status=OutboxStatus.PENDING),
            ),
            models.Index(
                fields=["claimed_at"],
                name="outbox_sending_idx",
                condition=Q(status=OutboxStatus.SENDING),
            ),
            models.Index(fields=["to_email"], name="outbox_to_email_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.to_email} ({self.status})"
