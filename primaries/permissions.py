"""Who may do what with a primary, and when. Every view and service goes through these.

One function per entity. Each raises Http404 (it does not exist, or is not yours to see) or
PermissionDenied with a sentence that can be shown to the person (not now, not you).
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from groups.permissions import user_staff_party_ids
from primaries.models import Candidate, Phase, Primary, PrimaryStatus, Voter, VoterStatus
from seats.models import Agreement, AgreementStatus, Arrangement
from seats.permissions import user_staff_parties_in

SETUP_PHASES = {Phase.SETUP, Phase.NOT_YET_OPEN}
BEFORE_VOTING = {Phase.SETUP, Phase.NOT_YET_OPEN, Phase.REGISTRATION, Phase.REGISTRATION_CLOSED}


def agreement_get_for_primary_staff(*, user, agreement_pk: int) -> tuple[Agreement, set[int]]:
    """An open-primary agreement and the ids of the parties in it that `user` works for.
    404 if there is no such open-primary agreement; 403 for anyone not staff of a party in it."""
    agreement = get_object_or_404(
        Agreement.objects.select_related("election", "constituency").exclude(
            status=AgreementStatus.WITHDRAWN
        ),
        pk=agreement_pk,
        arrangement=Arrangement.OPEN_PRIMARY,
    )
    party_ids = set(agreement.parties.values_list("party_id", flat=True))
    mine = user_staff_parties_in(user=user, party_ids=party_ids)
    if not mine:
        raise PermissionDenied(
            "Only staff of the parties in this agreement can set up its primary."
        )
    return agreement, mine


def rules_check_editable(*, primary: Primary, now=None) -> None:
    """The rules (who votes, dates, method) are fixed once registration has opened."""
    if primary.phase(now) not in SETUP_PHASES:
        raise PermissionDenied("Registration has opened: the rules can no longer change.")


def candidate_check_editable(*, primary: Primary, user, party, now=None) -> None:
    """A party's own staff nominate its candidate, until voting opens."""
    if not user.is_authenticated or not (
        user.is_superuser or party.pk in user_staff_party_ids(user)
    ):
        raise PermissionDenied(f"Only {party.name} staff can nominate {party.name}'s candidate.")
    if not primary.agreement.parties.filter(party=party).exists():
        raise PermissionDenied(f"{party.name} is not part of this agreement.")
    if primary.phase(now) not in BEFORE_VOTING:
        raise PermissionDenied("Voting has opened: candidates can no longer change.")


def acceptance_check_allowed(*, primary: Primary, user, party, now=None) -> None:
    if not user.is_authenticated or not (
        user.is_superuser or party.pk in user_staff_party_ids(user)
    ):
        raise PermissionDenied(f"Only {party.name} staff can accept for {party.name}.")
    if not primary.agreement.parties.filter(party=party).exists():
        raise PermissionDenied(f"{party.name} is not part of this agreement.")
    if primary.phase(now) not in BEFORE_VOTING:
        raise PermissionDenied("Voting has opened: the rules are settled.")


def primaries_public():
    """Every primary the public may see (published), with its seat, election and winner."""
    return Primary.objects.published().select_related(
        "agreement__constituency", "agreement__election", "winner__party"
    )


def primary_get_public(*, pk: int) -> Primary:
    """A primary the public may see: only once every party has agreed its rules."""
    return get_object_or_404(
        Primary.objects.published().select_related(
            "agreement__constituency", "agreement__election", "winner__party"
        ),
        pk=pk,
    )


def registration_check_open(*, primary: Primary, now=None) -> None:
    if primary.status != PrimaryStatus.AGREED:
        raise PermissionDenied("This primary is not taking registrations.")
    phase = primary.phase(now)
    if phase == Phase.NOT_YET_OPEN:
        opens = timezone.localtime(primary.registration_opens_at)
        raise PermissionDenied(f"Registration opens on {opens:%-d %B %Y at %H:%M}.")
    if phase != Phase.REGISTRATION:
        raise PermissionDenied("Registration for this primary has closed.")


def voter_check_reviewable(*, primary: Primary, voter: Voter, user, now=None) -> None:
    """Staff of a party in the agreement review the roll, before voting opens only."""
    party_ids = set(primary.agreement.parties.values_list("party_id", flat=True))
    if not user_staff_parties_in(user=user, party_ids=party_ids):
        raise PermissionDenied("Only staff of the parties in this agreement can review the roll.")
    if voter.primary_id != primary.pk:
        raise Http404("No such registration.")
    if primary.phase(now) not in BEFORE_VOTING:
        raise PermissionDenied("Voting has opened: the roll can no longer change.")
    if voter.status not in (VoterStatus.HELD, VoterStatus.REGISTERED):
        raise PermissionDenied("Only confirmed registrations can be reviewed.")


def ballot_check_castable(
    *, status: str, voting_opens_at, voting_closes_at, voter_status: str, voted: bool, now
) -> None:
    """The one rule for casting, on values read under lock (see services.ballot_cast)."""
    if voter_status != VoterStatus.REGISTERED:
        raise PermissionDenied("This ballot link is not on the roll.")
    if voted:
        raise PermissionDenied("A ballot has already been cast with this link.")
    if status != PrimaryStatus.AGREED or voting_opens_at is None or now < voting_opens_at:
        raise PermissionDenied("Voting has not opened yet.")
    if now >= voting_closes_at:
        raise PermissionDenied("Voting has closed.")


def result_check_visible(*, primary: Primary) -> None:
    """Nothing of the result (not even a running total) before the count after the close."""
    if primary.status != PrimaryStatus.COUNTED:
        raise PermissionDenied("The result is published once voting has closed and been counted.")


def candidate_get_for_photo(*, user, pk: int) -> Candidate:
    """A candidate whose photo `user` may see: anyone once the primary is published, before
    that only staff of the parties in its agreement (who see the set-up page). 404 otherwise,
    so unpublished candidates cannot be probed."""
    candidate = get_object_or_404(Candidate.objects.select_related("primary__agreement"), pk=pk)
    if Primary.objects.published().filter(pk=candidate.primary_id).exists():
        return candidate
    party_ids = set(candidate.primary.agreement.parties.values_list("party_id", flat=True))
    if user.is_authenticated and user_staff_parties_in(user=user, party_ids=party_ids):
        return candidate
    raise Http404("No such photo.")
