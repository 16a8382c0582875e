"""The mailing lists' enums, apart so querysets can use them (models import the querysets)."""

from django.db import models


class SubscriptionStatus(models.TextChoices):
    # Asked, not confirmed: gets the one confirmation email and nothing else.
    PENDING = "pending", "Waiting for confirmation"
    CONFIRMED = "confirmed", "Subscribed"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"


class ConsentSource(models.TextChoices):
    """Where the person ticked "keep me posted": recorded with the time, as consent."""

    GROUP_PAGE = "group_page", "Group page"
    JOINED_GROUP = "joined_group", "Joined group"
    EVENT_RSVP = "event_rsvp", "Event RSVP"
    PETITION = "petition", "Petition"


class Audience(models.TextChoices):
    LIST = "list", "The group's mailing list"
    EVENT = "event", "The people going to an event"


class MailingStatus(models.TextChoices):
    # The worker is writing its recipients' emails into the outbox, batch by batch.
    QUEUED = "queued", "Being sent"
    # Every recipient's email is in the outbox (the outbox delivers them).
    ENQUEUED = "enqueued", "Sent to the outbox"
