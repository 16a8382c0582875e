"""Who may do what with agreements and vote swaps. Every staff view goes through these."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
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


def _package_party_ids(package) -> set[int]:
    from seats.models import AgreementParty

    return set(
        AgreementParty.objects.filter(agreement__package=package).values_list("party_id", flat=True)
    )


def package_get_for_staff(*, user, pk: int):
    """The package, if `user` is staff of a party in it: 404 when missing, 403 otherwise."""
    from seats.models import AgreementPackage

    package = get_object_or_404(AgreementPackage.objects.select_related("election"), pk=pk)
    if not user_staff_parties_in(user=user, party_ids=_package_party_ids(package)):
        raise PermissionDenied("Only staff of the parties in this package can do that.")
    return package


def package_organiser_groups(*, user, package):
    """The groups `user` organises that cover a seat of the package, while it is open to
    consultation (none otherwise)."""
    from groups.models import Group, Role

    if not (user.is_authenticated and package.consultation_open):
        return Group.objects.none()
    return Group.objects.filter(
        memberships__user=user,
        memberships__role=Role.ORGANISER,
        constituencies__in=package.agreements.values("constituency_id"),
    ).distinct()


def package_get_for_reader(*, user, pk: int):
    """(package, who): "staff" of a party in it; "organiser" of a group covering one of its
    seats while it is open to consultation; "public" once agreed. 404 for anyone else, so a
    package under negotiation is not known to exist."""
    from seats.models import AgreementPackage, PackageStatus

    package = get_object_or_404(AgreementPackage.objects.select_related("election"), pk=pk)
    if user_staff_parties_in(user=user, party_ids=_package_party_ids(package)):
        return package, "staff"
    if package_organiser_groups(user=user, package=package).exists():
        return package, "organiser"
    if package.status == PackageStatus.AGREED:
        return package, "public"
    raise Http404("No such package.")
