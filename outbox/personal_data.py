"""What the outbox holds about a person: the emails sent (or to be sent) to their addresses.
Erasing the account deletes them (see accounts/services.py for the registry)."""

from allauth.account.models import EmailAddress

from outbox.models import OutboxEmail
from outbox.services import outbox_emails_erase


def _addresses(user) -> list[str]:
    """The login address and verified ones: never an address someone merely typed in."""
    addresses = set(
        EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    )
    addresses.add(user.email)
    return sorted(a for a in addresses if a)


def export(user) -> list[dict]:
    return [
        {
            "to": email.to_email,
            "subject": email.subject,
            "status": email.status,
            "created_at": email.created_at.isoformat(),
            "sent_at": email.sent_at.isoformat() if email.sent_at else None,
        }
        for email in OutboxEmail.objects.to_addresses(_addresses(user)).order_by("created_at")
    ]


def erase(user) -> None:
    outbox_emails_erase(addresses=_addresses(user))
