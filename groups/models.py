from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from groups.querysets import (
    GroupLinkQuerySet,
    GroupQuerySet,
    MembershipQuerySet,
    PartyQuerySet,
)
from seats.regions import Region


class Party(models.Model):
    """A political party. `is_progressive` puts it in the default progressive bloc."""

    name = models.CharField(max_length=100, unique=True)
    short_name = models.CharField(max_length=20, unique=True, help_text="E.g. Lab, LD, Green.")
    slug = models.SlugField(unique=True)
    colour = models.CharField(
        max_length=7, default="#777777", help_text="Hex colour, e.g. #FAA61A."
    )
    is_progressive = models.BooleanField(default=False)

    objects = PartyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "parties"

    def __str__(self) -> str:
        return self.name


class GroupKind(models.TextChoices):
    PARTY_BRANCH = "party_branch", "Party branch"
    PRO_EU = "pro_eu", "Pro-EU group"
    PROGRESSIVE_ALLIANCE = "progressive_alliance", "Progressive Alliance group"
    OTHER = "other", "Other campaign"


class Group(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    kind = models.CharField(max_length=24, choices=GroupKind.choices)
    party = models.ForeignKey(
        Party, null=True, blank=True, on_delete=models.PROTECT, related_name="branches"
    )
    description = models.TextField(blank=True)
    region = models.CharField(max_length=9, choices=Region.choices)
    constituencies = models.ManyToManyField(
        "seats.Constituency", blank=True, related_name="covering_groups"
    )
    website = models.URLField(blank=True)
    social_x = models.URLField("X / Twitter", blank=True)
    social_facebook = models.URLField("Facebook", blank=True)
    social_instagram = models.URLField("Instagram", blank=True)
    social_bluesky = models.URLField("Bluesky", blank=True)
    social_mastodon = models.URLField("Mastodon", blank=True)
    contact_email = models.EmailField(
        help_text="Private: messages from the contact form are relayed here, never shown."
    )
    is_verified = models.BooleanField(
        default=False, help_text="Verified by site staff; its petitions open without moderation."
    )
    # Blank once the creator's account is deleted; the group lives on with its organisers.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = GroupQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="party_branch", party__isnull=False) | ~Q(kind="party_branch"),
                name="group_party_branch_has_party",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("groups:detail", kwargs={"slug": self.slug})

    @property
    def is_party_branch(self) -> bool:
        return self.kind == GroupKind.PARTY_BRANCH


class Role(models.TextChoices):
    MEMBER = "member", "Member"
    ORGANISER = "organiser", "Organiser"


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(default=timezone.now)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["joined_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "group"], name="membership_unique_user_group")
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.group} ({self.role})"


class PartyStaff(models.Model):
    """A user who works for a party: sees that party's whole picture, accepts agreements."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="party_staff_roles"
    )
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="staff")
    region = models.CharField(
        max_length=9, choices=Region.choices, blank=True, help_text="Blank: the whole UK."
    )
    notify_clashes = models.BooleanField(
        default=False, help_text="Email me about clashes involving this party in my region."
    )

    class Meta:
        verbose_name_plural = "party staff"
        constraints = [
            models.UniqueConstraint(fields=["user", "party"], name="partystaff_unique_user_party")
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.party} staff"


class LinkStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"


class GroupLink(models.Model):
    """One group asks to link up with another; the other side's organisers accept or decline."""

    from_group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="outgoing_links")
    to_group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="incoming_links")
    status = models.CharField(
        max_length=10, choices=LinkStatus.choices, default=LinkStatus.REQUESTED
    )
    message = models.TextField(blank=True, max_length=2000)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = GroupLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["from_group", "to_group"], name="grouplink_unique_pair"
            ),
            models.CheckConstraint(
                condition=~Q(from_group=F("to_group")), name="grouplink_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_group} → {self.to_group} ({self.status})"
