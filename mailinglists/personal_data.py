"""What the mailing lists hold about a person: their subscriptions (by any of their addresses)
and the emails they wrote to a list. See accounts/services.py for the registry."""

from allauth.account.models import EmailAddress
from django.db.models import Q

from mailinglists.models import Mailing, Subscription
from mailinglists.services import list_subscriptions_erase


def _addresses(user) -> list[str]:
    """The login address and verified ones: never an address someone merely typed in."""
    addresses = set(
        EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    )
    addresses.add(user.email)
    return sorted(a.lower() for a in addresses if a)


def _subscriptions(user):
    return Subscription.objects.filter(Q(email__in=_addresses(user)) | Q(user=user)).select_related(
        "group"
    )


def export(user) -> dict:
    return {
        "subscriptions": [
            {
                "group": s.group.name,
                "email": s.email,
                "name": s.name,
                "status": s.status,
                "source": s.source,
                "consent_at": s.consent_at.isoformat(),
                "confirmed_at": s.confirmed_at.isoformat() if s.confirmed_at else None,
                "unsubscribed_at": s.unsubscribed_at.isoformat() if s.unsubscribed_at else None,
            }
            for s in _subscriptions(user).order_by("pk")
        ],
        "emails_written": [
            {"group": m.group.name, "subject": m.subject, "created_at": m.created_at.isoformat()}
            for m in Mailing.objects.filter(author=user).select_related("group").order_by("pk")
        ],
    }


def erase(user) -> None:
    """Every subscription of theirs goes. Emails they wrote stay with the group (the author
    link is cleared when the account goes)."""
    emails = set(_subscriptions(user).values_list("email", flat=True))
    for email in sorted(emails):
        list_subscriptions_erase(email=email)
