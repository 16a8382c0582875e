"""Who may do what to a group. Every organiser view goes through these."""

from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404

from groups.models import Group, GroupLink, LinkStatus, Membership, OrganiserInvitation, Role


def user_organises_any(*, user, group_ids) -> bool:
    """True when `user` organises at least one of these groups: the one rule every app asks."""
    if not user.is_authenticated:
        return False
    return Membership.objects.filter(
        user=user, group_id__in=list(group_ids), role=Role.ORGANISER
    ).exists()


def user_is_organiser(*, user, group: Group) -> bool:
    return user_organises_any(user=user, group_ids=[group.pk])


def user_is_member(*, user, group: Group) -> bool:
    """Organisers count as members."""
    if not user.is_authenticated:
        return False
    return Membership.objects.filter(user=user, group=group).exists()


def group_get_for_organiser(*, user, slug: str) -> Group:
    """The group, if `user` organises it: 404 when there is no such group, 403 otherwise."""
    group = get_object_or_404(Group, slug=slug)
    if not user_is_organiser(user=user, group=group):
        raise PermissionDenied("Only this group's organisers can do that.")
    return group


def user_staff_party_ids(user) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(user.party_staff_roles.values_list("party_id", flat=True))


def user_may_accept_invitation(*, user, invitation: OrganiserInvitation) -> bool:
    """Only the owner of the invited address: signed in, with that address verified."""
    if not user.is_authenticated:
        return False
    return EmailAddress.objects.filter(
        user=user, email__iexact=invitation.email, verified=True
    ).exists()


def invitation_get_open(*, token: str) -> OrganiserInvitation:
    """The invitation behind a link, if it can still be accepted; 404 otherwise (an unknown,
    used, revoked or expired link all look the same)."""
    return get_object_or_404(
        OrganiserInvitation.objects.open().select_related("group", "invited_by"), token=token
    )


def group_request_get_for_organiser(*, user, slug: str, model, pk: int, field: str = "group"):
    """A coalition request addressed to a group `user` organises (a link, a promotion, a
    co-host invitation, a network request): 403 for anyone else, 404 when it is another
    group's (ids are not probed through one's own group)."""
    group = group_get_for_organiser(user=user, slug=slug)
    return get_object_or_404(model, pk=pk, **{field: group})


def group_link_get_for_organiser(*, user, slug: str, link_id: int) -> tuple[Group, GroupLink]:
    """(the group, its link in force) for an organiser of either side ending a link: 403 for
    anyone else, 404 when the link is not this group's or has ended."""
    group = group_get_for_organiser(user=user, slug=slug)
    link = get_object_or_404(
        GroupLink.objects.select_related("from_group", "to_group").filter(
            Q(from_group=group) | Q(to_group=group)
        ),
        pk=link_id,
        status=LinkStatus.ACCEPTED,
    )
    return group, link


def group_event_get_for_organiser(*, user, slug: str, pk: int):
    """One of the group's own events, if `user` organises the group."""
    from events.models import Event

    group = group_get_for_organiser(user=user, slug=slug)
    return get_object_or_404(Event.objects.select_related("group"), pk=pk, group=group)
