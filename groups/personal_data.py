"""What the groups app holds about a person (see accounts/services.py for the registry)."""

from allauth.account.models import EmailAddress
from django.db.models import Exists, F, OuterRef, Q

from groups.models import (
    CoHostInvitation,
    EventPromotion,
    Group,
    GroupLink,
    Membership,
    MembershipRequest,
    NetworkRequest,
    OrganiserInvitation,
    PartyStaff,
)

# Coalition requests a person made: (kind, model, who-asked field, asked group field). The
# request stays with the groups when the account goes; it no longer points at the person.
_COALITION_REQUESTS = [
    ("promotion", EventPromotion, "requested_by", "group"),
    ("co-host", CoHostInvitation, "invited_by", "group"),
    ("network", NetworkRequest, "requested_by", "child"),
]

# Every kind of request between groups (groups.models.GroupRequest): who decided it.
_DECIDABLE = [("link", GroupLink), *((kind, model) for kind, model, _, _ in _COALITION_REQUESTS)]


def _addressed_to(user) -> Q:
    """Invitations sent to any address of the user's (verified or not)."""
    addresses = {
        user.email,
        *EmailAddress.objects.filter(user=user).values_list("email", flat=True),
    }
    condition = Q(pk__in=[])
    for address in filter(None, addresses):
        condition |= Q(email__iexact=address)
    return condition


def _invitation(invitation) -> dict:
    return {
        "group": invitation.group.name,
        "email": invitation.email,
        "status": invitation.status,
        "created_at": invitation.created_at.isoformat(),
        "expires_at": invitation.expires_at.isoformat(),
    }


def export(user) -> dict:
    return {
        "memberships": [
            {
                "group": membership.group.name,
                "group_slug": membership.group.slug,
                "role": membership.role,
                "joined_at": membership.joined_at.isoformat(),
            }
            for membership in Membership.objects.filter(user=user)
            .select_related("group")
            .order_by("joined_at")
        ],
        "party_staff_roles": [
            {
                "party": staff.party.name,
                "region": staff.region or "whole UK",
                "notify_clashes": staff.notify_clashes,
            }
            for staff in PartyStaff.objects.filter(user=user).select_related("party")
        ],
        "groups_created": [
            {
                "group": group.name,
                "group_slug": group.slug,
                "created_at": group.created_at.isoformat(),
            }
            for group in Group.objects.filter(created_by=user).order_by("created_at")
        ],
        "link_requests_made": [
            {
                "from_group": link.from_group.name,
                "to_group": link.to_group.name,
                "status": link.status,
                "message": link.message,
                "created_at": link.created_at.isoformat(),
            }
            for link in GroupLink.objects.filter(requested_by=user).select_related(
                "from_group", "to_group"
            )
        ],
        "coalition_requests_made": [
            {
                "kind": kind,
                "to_group": request.group_name,
                "status": request.status,
                "created_at": request.created_at.isoformat(),
            }
            for kind, model, field, target in _COALITION_REQUESTS
            for request in model.objects.filter(**{field: user})
            .annotate(group_name=F(f"{target}__name"))
            .order_by("created_at")
        ],
        # Requests between groups they accepted or declined for a group they organise.
        "coalition_requests_decided": [
            {
                "kind": kind,
                "status": request.status,
                "decided_at": request.decided_at.isoformat() if request.decided_at else None,
            }
            for kind, model in _DECIDABLE
            for request in model.objects.filter(decided_by=user).order_by("decided_at", "pk")
        ],
        "requests_to_join": [
            {"group": request.group.name, "created_at": request.created_at.isoformat()}
            for request in MembershipRequest.objects.filter(user=user).select_related("group")
        ],
        "organiser_invitations_received": [
            _invitation(invitation)
            for invitation in OrganiserInvitation.objects.filter(_addressed_to(user))
            .select_related("group")
            .order_by("created_at")
        ],
        "organiser_invitations_sent": [
            _invitation(invitation)
            for invitation in OrganiserInvitation.objects.filter(invited_by=user)
            .select_related("group")
            .order_by("created_at")
        ],
    }


def erase(user) -> None:
    """Memberships, requests to join, staff roles and invitations sent to their addresses go;
    groups they created stay (they belong to the group) but no longer point at them, and
    neither do link requests or invitations they made (the invitee's address is the invitee's,
    and the group still needs to see who it invited)."""
    OrganiserInvitation.objects.filter(_addressed_to(user)).delete()
    OrganiserInvitation.objects.filter(invited_by=user).update(invited_by=None)
    OrganiserInvitation.objects.filter(accepted_by=user).update(accepted_by=None)
    MembershipRequest.objects.filter(user=user).delete()
    Membership.objects.filter(user=user).delete()
    PartyStaff.objects.filter(user=user).delete()
    Group.objects.filter(created_by=user).update(created_by=None)
    GroupLink.objects.filter(requested_by=user).update(requested_by=None)
    for _kind, model, field, _target in _COALITION_REQUESTS:
        model.objects.filter(**{field: user}).update(**{field: None})
    for _kind, model in _DECIDABLE:
        model.objects.filter(decided_by=user).update(decided_by=None)


def groups_left_without_organiser(user):
    """Groups whose only organiser is `user` (shown before they delete their account)."""
    others = Membership.objects.filter(group=OuterRef("pk"), role="organiser").exclude(user=user)
    return Group.objects.filter(memberships__user=user, memberships__role="organiser").exclude(
        Exists(others)
    )
