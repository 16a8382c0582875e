"""What clash detection holds about a person (see accounts/services.py for the registry)."""

from clashes.models import Clash, ClashNotification, NotificationPreference


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def export(user) -> dict:
    preference = NotificationPreference.objects.filter(user=user).first()
    return {
        "clash_email_setting": preference.clash_emails if preference else None,
        "clash_emails": [
            {"clash_id": n.clash_id, "status": n.status, "sent_at": _iso(n.sent_at)}
            for n in ClashNotification.objects.filter(recipient=user).order_by("pk")
        ],
    }


def erase(user) -> None:
    """Their clash email setting and the record of clash emails sent to them go; clashes they
    decided on stay (the groups' record), no longer pointing at them."""
    NotificationPreference.objects.filter(user=user).delete()
    ClashNotification.objects.filter(recipient=user).delete()
    Clash.objects.filter(decided_by=user).update(decided_by=None)
