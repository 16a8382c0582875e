"""What the petitions app holds about a person (see accounts/services.py for the registry),
and forgetting one signer, with or without an account.

Forgetting a signature anonymises it: name, email, postcode, town, IP and the link to the
account go; the constituency and the status stay, so every count (total and by constituency)
is unchanged. A signature still waiting for confirmation is not counted, so it is deleted.
"""

from allauth.account.models import EmailAddress
from django.db.models import Q, QuerySet

from petitions.emails import email_normalise
from petitions.models import Petition, PetitionResponse, PetitionUpdate, Signature
from petitions.services.retention import signatures_anonymise


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def signature_data(signature: Signature) -> dict:
    """One signature as the signer may download it."""
    return {
        "petition": signature.petition.title,
        "petition_slug": signature.petition.slug,
        "name": signature.name,
        "email": signature.email,
        "postcode": signature.postcode,
        "town": signature.town,
        "constituency": signature.constituency.name if signature.constituency else None,
        "status": signature.status,
        "consent_to_contact": signature.consent_to_contact,
        "show_publicly": signature.show_publicly,
        "ip_address": signature.ip,
        "signed_at": _iso(signature.created_at),
        "confirmed_at": _iso(signature.confirmed_at),
        "confirmation_email_sent_at": _iso(signature.confirmation_sent_at),
        "unsubscribed_at": _iso(signature.unsubscribed_at),
        "keep_me_posted_ticked_at": _iso(signature.list_consent_at),
        "keep_me_posted_form": signature.list_consent_source,
    }


def signatures_of(user) -> QuerySet:
    """Signatures made while signed in, or with the account's address or another address
    they have proved is theirs (verified)."""
    emails = set(
        EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    )
    if user.email:
        emails.add(user.email)
    return Signature.objects.filter(
        Q(user=user) | Q(email_normalised__in=sorted({email_normalise(e) for e in emails}))
    )


def export(user) -> dict:
    return {
        "signatures": [
            signature_data(signature)
            for signature in signatures_of(user)
            .select_related("petition", "constituency")
            .order_by("created_at", "pk")
        ],
        "petitions_created": [
            {
                "petition": petition.title,
                "petition_slug": petition.slug,
                "group": petition.group.name,
                "status": petition.status,
                "created_at": _iso(petition.created_at),
            }
            for petition in Petition.objects.filter(created_by=user).select_related("group")
        ],
        "updates_sent": [
            {"petition": update.petition.title, "subject": update.subject}
            for update in PetitionUpdate.objects.filter(sent_by=user).select_related("petition")
        ],
        "answers_written_for_a_party": [
            {
                "petition": response.petition.title,
                "party": response.party.name,
                "created_at": _iso(response.created_at),
            }
            for response in PetitionResponse.objects.filter(responded_by=user).select_related(
                "petition", "party"
            )
        ],
    }


def erase(user) -> None:
    """Signatures are anonymised (counts stay); petitions and updates they wrote belong to
    the group, and a party's answer to its party: they stay, no longer pointing at them."""
    signatures_anonymise(signatures=signatures_of(user))
    Petition.objects.filter(created_by=user).update(created_by=None)
    Petition.objects.filter(moderated_by=user).update(moderated_by=None)
    PetitionUpdate.objects.filter(sent_by=user).update(sent_by=None)
    PetitionResponse.objects.filter(responded_by=user).update(responded_by=None)
