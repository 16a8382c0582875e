"""What the groups app holds about a person (see accounts/services.py for the registry)."""

from django.db.models import Exists, OuterRef

from groups.models import Group, GroupLink, Membership, PartyStaff


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
    }


def erase(user) -> None:
    """Memberships and staff roles go; groups they created stay (they belong to the group) but
    no longer point at them, and neither do link requests they made."""
    Membership.objects.filter(user=user).delete()
    PartyStaff.objects.filter(user=user).delete()
    Group.objects.filter(created_by=user).update(created_by=None)
    GroupLink.objects.filter(requested_by=user).update(requested_by=None)


def groups_left_without_organiser(user):
    """Groups whose only organiser is `user` (shown before they delete their account)."""
    others = Membership.objects.filter(group=OuterRef("pk"), role="organiser").exclude(user=user)
    return Group.objects.filter(memberships__user=user, memberships__role="organiser").exclude(
        Exists(others)
    )
