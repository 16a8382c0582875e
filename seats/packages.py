"""Clusters of seats: writes for agreement packages, and the balance a package strikes.

A package bundles several agreements for one election; every party in any of them accepts or
rejects the package as a whole. Accepting it accepts each of its agreements for that party, so
the package is agreed exactly when every one of its agreements is. Changing the package (a seat
added or removed, the terms in one of its seats changed) resets every acceptance, as changing
an agreement's terms does. Every step is written to the package's history and emails the staff
of every party in it (one email per package, history event and recipient, through the outbox).
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from groups.models import Group, Party, Role
from outbox.emails import email_absolute_url
from outbox.services import email_enqueue
from seats import services
from seats.models import (
    Agreement,
    AgreementAcceptance,
    AgreementPackage,
    AgreementParty,
    AgreementRole,
    AgreementStatus,
    Election,
    PackageAcceptance,
    PackageComment,
    PackageHistory,
    PackageStatus,
)
from seats.permissions import user_can_act_for_party, user_staff_parties_in

PACKAGE_EMAIL_SUBJECTS = {
    "proposed": "Package of seats proposed: {name}",
    "accepted": "Package {name}: {detail}",
    "agreed": "Package agreed: {name}",
    "changed": "Package {name} changed, please accept again",
    "rejected": "Package {name} rejected",
    "consultation": "Package {name} is open to local consultation",
}


# --- Reads --------------------------------------------------------------------------------------


def package_party_ids(package: AgreementPackage) -> set[int]:
    return set(
        AgreementParty.objects.filter(agreement__package=package).values_list("party_id", flat=True)
    )


@dataclass(frozen=True)
class PartyBalance:
    party: str
    carries: int  # seats where the party carries the alliance's hopes
    stands_aside: int
    endorses: int


def package_balance(agreements) -> list[PartyBalance]:
    """Per party, in how many of these agreements it carries the hopes, stands aside or
    endorses (agreements with their `parties__party` prefetched: no queries)."""
    counts: dict[str, dict[str, int]] = {}
    for agreement in agreements:
        for link in agreement.parties.all():
            row = counts.setdefault(link.party.name, dict.fromkeys(AgreementRole.values, 0))
            row[link.role] += 1
    return [
        PartyBalance(
            party=name,
            carries=row[AgreementRole.CARRIES_HOPES],
            stands_aside=row[AgreementRole.STANDS_ASIDE],
            endorses=row[AgreementRole.ENDORSES],
        )
        for name, row in sorted(
            counts.items(), key=lambda item: (-item[1]["stands_aside"], item[0])
        )
    ]


def package_balance_sentence(balance: list[PartyBalance]) -> str:
    """ "Green Party stand aside in 3, Liberal Democrats in 2" (the parties that stand aside
    anywhere in the package, most first)."""
    asides = [row for row in balance if row.stands_aside]
    if not asides:
        return "No party stands aside in this package."
    first, *rest = asides
    parts = [f"{first.party} stand aside in {first.stands_aside}"]
    parts += [f"{row.party} in {row.stands_aside}" for row in rest]
    return ", ".join(parts) + "."


# --- Emails ---------------------------------------------------------------------------------------


def package_staff_recipients(package: AgreementPackage):
    """Staff of every party in the package who cover one of its seats (UK-wide, or its
    region)."""
    from django.contrib.auth import get_user_model

    regions = set(package.agreements.values_list("constituency__region", flat=True))
    return (
        get_user_model()
        .objects.filter(party_staff_roles__party_id__in=package_party_ids(package), is_active=True)
        .filter(Q(party_staff_roles__region="") | Q(party_staff_roles__region__in=regions))
        .distinct()
        .order_by("pk")
    )


def _history(package: AgreementPackage, *, actor, action: str, detail: str = ""):
    return PackageHistory.objects.create(package=package, actor=actor, action=action, detail=detail)


def _notify(package: AgreementPackage, event: PackageHistory) -> int:
    subject = PACKAGE_EMAIL_SUBJECTS[event.action].format(name=package.name, detail=event.detail)
    agreements = list(
        package.agreements.select_related("constituency").prefetch_related("parties__party")
    )
    balance = package_balance_sentence(package_balance(agreements))
    url = email_absolute_url(package.get_absolute_url())
    sent = 0
    for user in package_staff_recipients(package):
        if event.actor_id == user.pk or not user.email:
            continue
        created = email_enqueue(
            key=f"package:{package.pk}:{event.pk}:{user.pk}",
            to=user.email,
            subject=subject,
            template="seats/email/package_event",
            context={
                "package": package,
                "event": event,
                "agreements": agreements,
                "balance": balance,
                "url": url,
            },
        )
        sent += created is not None
    return sent


# --- Writes ---------------------------------------------------------------------------------------


def _locked(package: AgreementPackage) -> AgreementPackage:
    return AgreementPackage.objects.select_for_update().get(pk=package.pk)


def _accept_for(package: AgreementPackage, *, user, party: Party) -> bool:
    """Record `party`'s acceptance of the package and of each of its agreements (quietly: the
    package emails once). True if the package is now agreed."""
    PackageAcceptance.objects.get_or_create(
        package=package, party=party, defaults={"accepted_by": user}
    )
    for agreement in package.agreements.filter(parties__party=party).exclude(
        status=AgreementStatus.AGREED
    ):
        services.agreement_accept(agreement=agreement, user=user, party=party, notify=False)
    accepted = set(package.acceptances.values_list("party_id", flat=True))
    return accepted >= package_party_ids(package)


@transaction.atomic
def package_propose(
    *, user, election: Election, name: str, agreements: list[Agreement]
) -> AgreementPackage:
    """Bundle live agreements of one election into a package. The proposer must be staff of a
    party in every one of them; their own parties accept on proposing."""
    if len(agreements) < 2:
        raise ValidationError("A package bundles at least two seats.")
    agreements = list(
        Agreement.objects.select_for_update()
        .filter(pk__in=[a.pk for a in agreements])
        .select_related("constituency")
    )
    for agreement in agreements:
        if agreement.election_id != election.pk:
            raise ValidationError(f"{agreement.constituency.name} is for another election.")
        if agreement.status == AgreementStatus.WITHDRAWN:
            raise ValidationError(f"The agreement in {agreement.constituency.name} is withdrawn.")
        if agreement.package_id is not None:
            raise ValidationError(f"{agreement.constituency.name} is already in a package.")
        party_ids = set(agreement.parties.values_list("party_id", flat=True))
        if not user_staff_parties_in(user=user, party_ids=party_ids):
            raise PermissionDenied("You can only bundle agreements your own party is in.")
    package = AgreementPackage(election=election, name=name.strip(), proposed_by=user)
    package.full_clean()
    package.save()
    Agreement.objects.filter(pk__in=[a.pk for a in agreements]).update(
        package=package, updated_at=timezone.now()
    )
    proposed = _history(package, actor=user, action="proposed")
    own = Party.objects.filter(
        pk__in=user_staff_parties_in(user=user, party_ids=package_party_ids(package))
    )
    agreed = False
    for party in own:
        agreed = _accept_for(package, user=user, party=party)
    if own:
        _history(
            package,
            actor=user,
            action="accepted",
            detail="Accepted for " + ", ".join(p.name for p in own),
        )
    if agreed:  # one person is staff of every party in it
        package.status = PackageStatus.AGREED
        package.save(update_fields=["status"])
        _history(package, actor=user, action="agreed", detail="Every party has accepted.")
    _notify(package, proposed)
    return package


@transaction.atomic
def package_accept(*, package: AgreementPackage, user, party: Party) -> AgreementPackage:
    """`party` accepts the whole package, by one of its own staff: each of its seats too."""
    if not user_can_act_for_party(user=user, party=party):
        raise PermissionDenied(f"Only {party.name} staff can accept for {party.name}.")
    package = _locked(package)
    if package.acceptances.filter(party=party).exists():  # a second click changes nothing
        return package
    if package.status != PackageStatus.NEGOTIATING:
        raise ValidationError(f"This package is {package.get_status_display().lower()}.")
    if party.pk not in package_party_ids(package):
        raise ValidationError(f"{party.name} is not part of this package.")
    if package.agreements.filter(status=AgreementStatus.WITHDRAWN).exists():
        raise ValidationError("A seat in this package was withdrawn: remove it first.")
    agreed = _accept_for(package, user=user, party=party)
    event = _history(package, actor=user, action="accepted", detail=f"Accepted for {party.name}")
    if agreed:
        package.status = PackageStatus.AGREED
        event = _history(package, actor=user, action="agreed", detail="Every party has accepted.")
    package.updated_at = timezone.now()
    package.save(update_fields=["status", "updated_at"])
    _notify(package, event)
    return package


@transaction.atomic
def package_reject(
    *, package: AgreementPackage, user, party: Party, reason: str = ""
) -> AgreementPackage:
    """`party` rejects the whole package: every agreement in it is withdrawn with it."""
    if not user_can_act_for_party(user=user, party=party):
        raise PermissionDenied(f"Only {party.name} staff can reject for {party.name}.")
    package = _locked(package)
    if party.pk not in package_party_ids(package):
        raise ValidationError(f"{party.name} is not part of this package.")
    if package.status == PackageStatus.REJECTED:
        return package
    detail = f"{party.name}: {reason}".strip(": ")
    for agreement in package.agreements.exclude(status=AgreementStatus.WITHDRAWN):
        if agreement.parties.filter(party=party).exists():
            services.agreement_withdraw(
                agreement=agreement, user=user, party=party, reason=reason, notify=False
            )
        else:  # a seat the party is not in goes with the package it was traded in
            agreement.status = AgreementStatus.WITHDRAWN
            agreement.updated_at = timezone.now()
            agreement.save(update_fields=["status", "updated_at"])
            services.advice_alerts_queue(agreement.constituency_id)
    package.status = PackageStatus.REJECTED
    package.updated_at = timezone.now()
    package.save(update_fields=["status", "updated_at"])
    _notify(package, _history(package, actor=user, action="rejected", detail=detail))
    return package


def package_acceptances_reset(*, package_id: int, user, detail: str) -> None:
    """The package changed: no acceptance stands, for the package or any of its seats."""
    package = AgreementPackage.objects.select_for_update().get(pk=package_id)
    if package.status == PackageStatus.REJECTED:
        return
    was_agreed = package.status == PackageStatus.AGREED
    package.acceptances.all().delete()
    AgreementAcceptance.objects.filter(agreement__package=package).delete()
    changed = list(package.agreements.filter(status=AgreementStatus.AGREED))
    package.agreements.exclude(status=AgreementStatus.WITHDRAWN).update(
        status=AgreementStatus.NEGOTIATING, updated_at=timezone.now()
    )
    for agreement in changed:
        services.advice_alerts_queue(agreement.constituency_id)
    package.status = PackageStatus.NEGOTIATING
    package.updated_at = timezone.now()
    package.save(update_fields=["status", "updated_at"])
    event = _history(
        package,
        actor=user,
        action="changed",
        detail=f"{detail} Acceptances reset." + (" It was agreed." if was_agreed else ""),
    )
    _notify(package, event)


@transaction.atomic
def package_agreement_add(*, package: AgreementPackage, user, agreement: Agreement) -> None:
    """Add a seat's live agreement to the package (its proposer's staff must be in it too)."""
    package = _locked(package)
    _staff_check(package, user)
    agreement = (
        Agreement.objects.select_for_update().select_related("constituency").get(pk=agreement.pk)
    )
    if package.status == PackageStatus.REJECTED:
        raise ValidationError("This package was rejected.")
    if agreement.election_id != package.election_id:
        raise ValidationError(f"{agreement.constituency.name} is for another election.")
    if agreement.status == AgreementStatus.WITHDRAWN or agreement.package_id is not None:
        raise ValidationError(f"{agreement.constituency.name} cannot be added.")
    party_ids = set(agreement.parties.values_list("party_id", flat=True))
    if not user_staff_parties_in(user=user, party_ids=party_ids):
        raise PermissionDenied("You can only add agreements your own party is in.")
    agreement.package = package
    agreement.save(update_fields=["package"])
    package_acceptances_reset(
        package_id=package.pk, user=user, detail=f"{agreement.constituency.name} was added."
    )


@transaction.atomic
def package_agreement_remove(*, package: AgreementPackage, user, agreement: Agreement) -> None:
    package = _locked(package)
    _staff_check(package, user)
    if package.status == PackageStatus.REJECTED:
        raise ValidationError("This package was rejected.")
    agreement = Agreement.objects.select_related("constituency").get(pk=agreement.pk)
    if agreement.package_id != package.pk:
        raise ValidationError("That seat is not in this package.")
    if package.agreements.count() <= 2:
        raise ValidationError("A package bundles at least two seats: reject it instead.")
    # Reset first, so the seat leaving takes no acceptance given for the package with it.
    package_acceptances_reset(
        package_id=package.pk, user=user, detail=f"{agreement.constituency.name} was removed."
    )
    Agreement.objects.filter(pk=agreement.pk).update(package=None, updated_at=timezone.now())


@transaction.atomic
def package_consultation_open(*, package: AgreementPackage, user) -> AgreementPackage:
    """Organisers of the groups covering its seats may now read it (never the red lines) and
    comment or endorse."""
    package = _locked(package)
    _staff_check(package, user)
    if package.consultation_open:
        return package
    package.consultation_open = True
    package.save(update_fields=["consultation_open"])
    _notify(package, _history(package, actor=user, action="consultation"))
    _consultation_invite(package)
    return package


def _consultation_invite(package: AgreementPackage) -> int:
    """Email the organisers of the groups covering its seats, once per package and person."""
    from django.contrib.auth import get_user_model

    seats = package.agreements.select_related("constituency")
    organisers = (
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__role=Role.ORGANISER,
            memberships__group__in=package_consulted_groups(package),
        )
        .distinct()
        .order_by("pk")
    )
    url = email_absolute_url(package.get_absolute_url())
    sent = 0
    for user in organisers:
        created = email_enqueue(
            key=f"package-consultation:{package.pk}:{user.pk}",
            to=user.email,
            subject=f"Your view on a pact in your area: {package.name}",
            template="seats/email/package_consultation",
            context={"package": package, "seats": [a.constituency for a in seats], "url": url},
        )
        sent += created is not None
    return sent


def _staff_check(package: AgreementPackage, user) -> None:
    if not user_staff_parties_in(user=user, party_ids=package_party_ids(package)):
        raise PermissionDenied("Only staff of the parties in this package can change it.")


def package_consulted_groups(package: AgreementPackage):
    """Verified or not, the groups covering one of the package's seats."""
    seat_ids = package.agreements.values("constituency_id")
    return Group.objects.filter(constituencies__in=seat_ids).distinct()


@transaction.atomic
def package_comment_add(
    *, package: AgreementPackage, user, group: Group, body: str, endorses: bool = False
) -> PackageComment:
    """An organiser of a group covering one of its seats comments on (or endorses) a package
    open to consultation."""
    if not package.consultation_open:
        raise PermissionDenied("This package is not open to local consultation.")
    if not group.memberships.filter(user=user, role=Role.ORGANISER).exists():
        raise PermissionDenied("Only the group's organisers comment for it.")
    if not package_consulted_groups(package).filter(pk=group.pk).exists():
        raise PermissionDenied("That group does not cover a seat in this package.")
    comment = PackageComment(
        package=package, author=user, group=group, body=body.strip(), endorses=endorses
    )
    comment.full_clean()
    comment.save()
    return comment
