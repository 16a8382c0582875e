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
    petition = get_object_or_404(Petition.objects.select_related("group", "tally"), slug=slug)
    if petition.is_public:
        return petition
    if user.is_authenticated and (user.is_staff or user_can_organise(user=user, petition=petition)):
        return petition
    raise Http404("No such petition.")


def staff_check(*, user) -> None:
    """Moderation and bulk invalidation are for site staff only."""
    if not (user.is_authenticated and user.is_staff):
        raise PermissionDenied("Only site staff can do that.")
