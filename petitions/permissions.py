"""Who may do what to a petition. Every organiser and staff view goes through these."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from groups.permissions import user_is_organiser
from petitions.models import Petition


def user_can_organise(*, user, petition: Petition) -> bool:
    return user_is_organiser(user=user, group=petition.group)


def petition_get_for_organiser(*, user, slug: str) -> Petition:
    """The petition, if `user` organises its group: 404 when there is none, 403 otherwise."""
    petition = get_object_or_404(Petition.objects.select_related("group", "tally"), slug=slug)
    if not user_can_organise(user=user, petition=petition):
        raise PermissionDenied("Only the organisers of this petition's group can do that.")
    return petition


def petition_get_for_viewer(*, user, slug: str) -> Petition:
    """Open and closed petitions for everyone; drafts and the rest for organisers and staff."""
    petition = get_object_or_404(
        Petition.objects.select_related("group", "tally", "target_party"), slug=slug
    )
    if petition.is_public:
        return petition
    if user.is_authenticated and (user.is_staff or user_can_organise(user=user, petition=petition)):
        return petition
    raise Http404("No such petition.")


def staff_check(*, user) -> None:
    """Moderation and bulk invalidation are for site staff only."""
    if not (user.is_authenticated and user.is_staff):
        raise PermissionDenied("Only site staff can do that.")


def user_may_respond(*, user, petition: Petition) -> bool:
    """The staff of the party a public petition is addressed to (superusers for support)."""
    from groups.permissions import user_staff_party_ids

    if not (user.is_authenticated and petition.target_party_id and petition.is_public):
        return False
    return user.is_superuser or petition.target_party_id in user_staff_party_ids(user)


def petition_get_for_responder(*, user, slug: str) -> Petition:
    """The petition, if `user` may answer it for its party: 404 when it is not public or not
    addressed to a party, 403 for everyone but that party's staff."""
    petition = get_object_or_404(
        Petition.objects.select_related("group", "target_party"), slug=slug
    )
    if not (petition.is_public and petition.target_party_id):
        raise Http404("No such petition to answer.")
    if not user_may_respond(user=user, petition=petition):
        raise PermissionDenied("Only the staff of the party it is addressed to can answer it.")
    return petition
