"""What the primaries app holds about a person (see accounts/services.py for the registry).

Registrations are made by email link, without an account, so they are found by the account's
email addresses (normalised as at registration). Ballots are never personal data here: nothing
links a ballot to anyone, so there is nothing to export or erase.
"""

from allauth.account.models import EmailAddress
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat

from petitions.emails import email_normalise
from primaries.models import PrimaryAcceptance, PrimaryHistory, Voter


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _registrations(user):
    addresses = {
        user.email,
        *EmailAddress.objects.filter(user=user).values_list("email", flat=True),
    }
    normalised = {email_normalise(a) for a in addresses if a}
    return Voter.objects.filter(email_normalised__in=normalised)


def export(user) -> dict:
    return {
        "registrations": [
            {
                "primary_id": v.primary_id,
                "constituency": v.primary.agreement.constituency.name,
                "email": v.email,
                "postcode": v.postcode,
                "declared_member": v.declared_member,
                "status": v.status,
                "voted": v.voted,  # that you voted, never how: the ballot is not linked to you
                "registered_at": _iso(v.created_at),
                "confirmed_at": _iso(v.confirmed_at),
                "review_reason": v.review_reason,
            }
            for v in _registrations(user).select_related("primary__agreement__constituency")
        ],
        "rules_accepted": [
            {"primary_id": a.primary_id, "party": a.party.name, "at": _iso(a.at)}
            for a in PrimaryAcceptance.objects.filter(accepted_by=user).select_related("party")
        ],
        "primary_actions": [
            {"primary_id": h.primary_id, "action": h.action, "at": _iso(h.at)}
            for h in PrimaryHistory.objects.filter(actor=user).order_by("at", "pk")
        ],
    }


def erase(user) -> None:
    """Registrations are anonymised, not deleted, so the roll's counts (registered, voted) stay
    right; a ballot link already emailed still works for whoever holds it."""
    _registrations(user).update(
        email="",
        email_normalised=Concat(Value("erased-"), Cast("pk", CharField())),
        postcode="",
        confirm_token_hash="",
        review_reason="",
    )
    PrimaryAcceptance.objects.filter(accepted_by=user).update(accepted_by=None)
    PrimaryHistory.objects.filter(actor=user).update(actor=None)
    Voter.objects.filter(reviewed_by=user).update(reviewed_by=None)
