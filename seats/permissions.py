"""Who may do what with agreements and vote swaps. Every staff view goes through these."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from groups.permissions import user_staff_party_ids
from seats.models import Agreement


def user_can_act_for_party(*, user, party) -> bool:
    """Only a party's own staff act for it (superusers too, for support)."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or party.pk in user_staff_party_ids(user)


def user_staff_parties_in(*, user, party_ids) -> set[int]:
    if not user.is_authenticated:
        return set()
    if user.is_superuser:
        return set(party_ids)
    return user_staff_party_ids(user) & set(party_ids)


def user_is_party_staff(user) -> bool:
    return user.is_authenticated and (user.is_superuser or bool(user_staff_party_ids(user)))


def agreement_get_for_staff(*, user, pk: int) -> Agreement:
    """The agreement, if `user` is staff of a party in it: 404 when missing, 403 otherwise."""
    agreement = get_object_or_404(
        Agreement.objects.select_related("election", "constituency"), pk=pk
    )
    party_ids = set(agreement.parties.values_list("party_id", flat=True))
    if not user_staff_parties_in(user=user, party_ids=party_ids):
        raise PermissionDenied("Only staff of the parties in this agreement can do that.")
    return agreement


def party_staff_required(user) -> None:
    """Raise 403 unless the user works for at least one party."""
    if not user_is_party_staff(user):
        raise PermissionDenied("Only party staff can propose agreements.")
