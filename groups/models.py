import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from groups.choices import GroupKind, InvitationStatus, JoinPolicy, LinkStatus, Role
from groups.querysets import (
    EventPromotionQuerySet,
    GroupLinkQuerySet,
    GroupQuerySet,
    MembershipQuerySet,
    MembershipRequestQuerySet,
    OrganiserInvitationQuerySet,
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
    # Where the group meets or campaigns, for "near me": the postcode the organiser gives,
    # placed by the postcode lookup (left blank when the lookup is down or does not know it).
    postcode = models.CharField(
        "Postcode where you meet or campaign",
        max_length=8,
        blank=True,
        help_text="Optional: people searching by postcode find you by distance from it.",
    )
    latitude = models.FloatField(null=True, blank=True, editable=False)
    longitude = models.FloatField(null=True, blank=True, editable=False)
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
        default=False,
        help_text="Verified by site staff: its petitions open without moderation, and its "
        "organisers and members see alliance-wide events.",
    )
    join_policy = models.CharField(
        max_length=10,
        choices=JoinPolicy.choices,
        default=JoinPolicy.APPROVAL,
        help_text="Members see the group's members-only events: with an open group, that is "
        "anyone who clicks Join.",
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
    # A network over local groups (a county network): it sees their events, clashes and member
    # counts in one view. Set when the local group's organisers accept the network's request.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )

    objects = GroupQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="party_branch", party__isnull=False) | ~Q(kind="party_branch"),
                name="group_party_branch_has_party",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="group_lat_lng_together",
            ),
        ]
        # "Near me": the bounding box prefilter (seats/distance.py) reads these.
        indexes = [models.Index(fields=["latitude", "longitude"], name="group_lat_lng")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("groups:detail", kwargs={"slug": self.slug})

    @property
    def is_party_branch(self) -> bool:
        return self.kind == GroupKind.PARTY_BRANCH

    @property
    def is_open_to_join(self) -> bool:
        return self.join_policy == JoinPolicy.OPEN


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


class GroupRequest(models.Model):
    """A request between groups: asked by one group, decided once by the other group's
    organisers (a link, a promotion, a co-host invitation, a network request). Each kind
    names who asked and which group decides; `groups.coalitions.request_decide` decides."""

    status = models.CharField(
        max_length=10, choices=LinkStatus.choices, default=LinkStatus.REQUESTED
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        abstract = True

    @property
    def is_open(self) -> bool:
        return self.status == LinkStatus.REQUESTED


class GroupLink(GroupRequest):
    """One group asks to link up with another; the other side's organisers accept or decline."""

    from_group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="outgoing_links")
    to_group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="incoming_links")
    message = models.TextField(blank=True, max_length=2000)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

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


class MembershipRequest(models.Model):
    """Someone asked to join a group whose organisers approve members. Until an organiser
    approves it there is no Membership, so a pending request grants nothing anywhere."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership_requests"
    )
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="membership_requests")
    created_at = models.DateTimeField(default=timezone.now)

    objects = MembershipRequestQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "group"], name="membershiprequest_unique_user_group"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} asks to join {self.group}"


INVITATION_LIFETIME = timedelta(days=14)


def invitation_token() -> str:
    """256 random bits: the link in the email is the only way to the invitation."""
    return secrets.token_urlsafe(32)


def invitation_expiry():
    return timezone.now() + INVITATION_LIFETIME


class OrganiserInvitation(models.Model):
    """An organiser asked someone, by email address, to become an organiser too. Nothing
    changes until the person who owns that (verified) address accepts."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="organiser_invitations")
    email = models.EmailField()
    token = models.CharField(max_length=64, unique=True, default=invitation_token, editable=False)
    status = models.CharField(
        max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=invitation_expiry)
    # Claimed (set) just before the email goes: a second run of the task finds it set.
    sent_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = OrganiserInvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One live invitation per address and group: inviting again never emails twice.
            models.UniqueConstraint(
                Lower("email"),
                "group",
                condition=Q(status=InvitationStatus.PENDING),
                name="organiserinvitation_one_pending_per_email",
            )
        ]

    def __str__(self) -> str:
        return f"Invitation to {self.email} for {self.group} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("groups:invitation", kwargs={"token": self.token})

    @property
    def is_open(self) -> bool:
        return self.status == InvitationStatus.PENDING and self.expires_at > timezone.now()


# --- Coalitions: linked groups promote each other's events and co-host them ------------------


class EventPromotion(GroupRequest):
    """The event's organisers asked a linked group to promote it. Accepted, the event shows in
    that group's calendar and feeds, marked "promoted by <group>". The group's organisers
    decide: nothing shows on their side before they accept."""

    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="promotions")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="event_promotions")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = EventPromotionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "group"], name="eventpromotion_once")
        ]

    def __str__(self) -> str:
        return f"{self.group} promotes {self.event} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("groups:promotion", kwargs={"slug": self.group.slug, "pk": self.pk})


class CoHostInvitation(GroupRequest):
    """The event's organisers invited another group to co-host it. Accepted, the group joins
    `Event.co_organisers`: its organisers edit the event, see its RSVPs and get its clash
    notices (the same relation a merged joint event uses)."""

    event = models.ForeignKey(
        "events.Event", on_delete=models.CASCADE, related_name="cohost_invitations"
    )
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="cohost_invitations")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "group"], name="cohostinvitation_once")
        ]

    def __str__(self) -> str:
        return f"{self.group} invited to co-host {self.event} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("groups:cohosting", kwargs={"slug": self.group.slug, "pk": self.pk})


class NetworkRequest(GroupRequest):
    """A network (a county network) asked a local group to join it. Accepted by the local
    group's organisers, the local group's `parent` becomes the network."""

    parent = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="network_requests")
    child = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="network_invitations")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "child"], name="networkrequest_once"),
            models.CheckConstraint(condition=~Q(parent=F("child")), name="networkrequest_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.parent} asks {self.child} into its network ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("groups:network_request", kwargs={"slug": self.child.slug, "pk": self.pk})
