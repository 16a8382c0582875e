"""What the seats app holds about a person (see accounts/services.py for the registry)."""

from allauth.account.models import EmailAddress
from django.db.models import Q

from seats import services
from seats.models import (
    AdviceAlert,
    Agreement,
    AgreementAcceptance,
    AgreementHistory,
    AgreementPackage,
    PackageAcceptance,
    PackageComment,
    PackageHistory,
    VoteSwap,
    VoteSwapRegistration,
)


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _addresses(user) -> list[str]:
    """The login address and verified ones: never an address someone merely typed in."""
    addresses = set(
        EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    )
    addresses.add(user.email)
    return [a for a in addresses if a]


def _advice_alerts(user):
    """Advice alerts are asked for without an account: they are the person's if they were
    made for one of the account's addresses (compared without regard to case)."""
    match = Q(pk__in=[])
    for address in _addresses(user):
        match |= Q(email__iexact=address)
    return AdviceAlert.objects.filter(match)


def export(user) -> dict:
    registration = (
        VoteSwapRegistration.objects.filter(user=user)
        .select_related("preferred_party", "local_party", "constituency")
        .first()
    )
    swaps = []
    if registration is not None:
        for swap in (
            VoteSwap.objects.filter(Q(a=registration) | Q(b=registration))
            .select_related("a__constituency", "b__constituency")
            .order_by("created_at", "pk")
        ):
            partner = swap.partner_of(registration)
            mine = "a" if swap.a_id == registration.pk else "b"
            swaps.append(
                {
                    "state": swap.state,
                    "created_at": _iso(swap.created_at),
                    "expires_at": _iso(swap.expires_at),
                    "you_confirmed_at": _iso(getattr(swap, f"{mine}_confirmed_at")),
                    # About the partner only what the match showed: their seat, not who they are.
                    "partner_constituency": partner.constituency.name,
                }
            )
    return {
        "vote_swap_registration": {
            "preferred_party": registration.preferred_party.name,
            "postcode": registration.postcode,
            "constituency": registration.constituency.name,
            "local_party": registration.local_party.name if registration.local_party else None,
            "status": registration.status,
            "created_at": _iso(registration.created_at),
        }
        if registration
        else None,
        "vote_swaps": swaps,
        "advice_alerts": [
            {
                "email": alert.email,
                "constituency": alert.constituency.name,
                "created_at": _iso(alert.created_at),
                "confirmed_at": _iso(alert.confirmed_at),
                "last_advice": alert.advice_text,
            }
            for alert in _advice_alerts(user).select_related("constituency")
        ],
        "agreements_proposed": [
            {"agreement_id": a.pk, "constituency": a.constituency.name, "status": a.status}
            for a in Agreement.objects.filter(proposed_by=user).select_related("constituency")
        ],
        "agreements_accepted": [
            {"agreement_id": a.agreement_id, "party": a.party.name, "at": _iso(a.at)}
            for a in AgreementAcceptance.objects.filter(accepted_by=user).select_related("party")
        ],
        "agreement_actions": [
            {"agreement_id": h.agreement_id, "action": h.action, "at": _iso(h.at)}
            for h in AgreementHistory.objects.filter(actor=user).order_by("at", "pk")
        ],
        "packages_proposed": [
            {"package_id": p.pk, "name": p.name, "status": p.status}
            for p in AgreementPackage.objects.filter(proposed_by=user)
        ],
        "packages_accepted": [
            {"package_id": a.package_id, "party": a.party.name, "at": _iso(a.at)}
            for a in PackageAcceptance.objects.filter(accepted_by=user).select_related("party")
        ],
        "package_actions": [
            {"package_id": h.package_id, "action": h.action, "at": _iso(h.at)}
            for h in PackageHistory.objects.filter(actor=user).order_by("at", "pk")
        ],
        "package_comments": [
            {
                "package_id": c.package_id,
                "group": c.group.name,
                "body": c.body,
                "endorses": c.endorses,
                "created_at": _iso(c.created_at),
            }
            for c in PackageComment.objects.filter(author=user).select_related("group")
        ],
    }


def erase(user) -> None:
    """An active swap is cancelled first (the partner goes back to the queue, keeping their
    place), then the registration and its swap records go. Agreements and packages are the
    parties' records: they stay, no longer pointing at the person; consultation comments go."""
    services.vote_swap_cancel(user=user)
    registration = VoteSwapRegistration.objects.filter(user=user).first()
    if registration is not None:
        VoteSwap.objects.filter(Q(a=registration) | Q(b=registration)).delete()
        registration.delete()
    _advice_alerts(user).delete()
    Agreement.objects.filter(proposed_by=user).update(proposed_by=None)
    AgreementAcceptance.objects.filter(accepted_by=user).update(accepted_by=None)
    AgreementHistory.objects.filter(actor=user).update(actor=None)
    AgreementPackage.objects.filter(proposed_by=user).update(proposed_by=None)
    PackageAcceptance.objects.filter(accepted_by=user).update(accepted_by=None)
    PackageHistory.objects.filter(actor=user).update(actor=None)
    # A comment is the person's own words: it goes with them.
    PackageComment.objects.filter(author=user).delete()
