"""The groups app's enums, apart so querysets can use them (models import the querysets)."""

from django.db import models


class GroupKind(models.TextChoices):
    PARTY_BRANCH = "party_branch", "Party branch"
    PRO_EU = "pro_eu", "Pro-EU group"
    PROGRESSIVE_ALLIANCE = "progressive_alliance", "Progressive Alliance group"
    OTHER = "other", "Other campaign"


class JoinPolicy(models.TextChoices):
    OPEN = "open", "Open: anyone who joins is a member at once"
    APPROVAL = "approval", "Approval: organisers approve each request to join"


class Role(models.TextChoices):
    MEMBER = "member", "Member"
    ORGANISER = "organiser", "Organiser"


class LinkStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"
