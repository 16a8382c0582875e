"""What clash detection holds about a person (see accounts/services.py for the registry)."""

from django.db.models import Q

from clashes.models import (
    Clash,
    ClashNote,
    ClashNotification,
    JointEventProposal,
    NotificationPreference,
)


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
        "clash_notes": [
            {"clash_id": n.clash_id, "body": n.body, "created_at": _iso(n.created_at)}
            for n in ClashNote.objects.filter(author=user).order_by("pk")
        ],
        "joint_event_proposals": [
            {
                "proposal_id": p.pk,
                "clash_id": p.clash_id,
                "proposed_by_you": p.proposed_by_id == user.pk,
                "answered_by_you": p.decided_by_id == user.pk,
                "status": p.status,
                "created_at": _iso(p.created_at),
            }
            for p in JointEventProposal.objects.filter(
                Q(proposed_by=user) | Q(decided_by=user)
            ).order_by("pk")
        ],
    }


def erase(user) -> None:
    """Their clash email setting and the record of clash emails sent to them go; clashes they
    decided on stay (the groups' record), no longer pointing at them."""
    NotificationPreference.objects.filter(user=user).delete()
    ClashNotification.objects.filter(recipient=user).delete()
    Clash.objects.filter(decided_by=user).update(decided_by=None)
    ClashNote.objects.filter(author=user).delete()
    JointEventProposal.objects.filter(proposed_by=user).update(proposed_by=None)
    JointEventProposal.objects.filter(decided_by=user).update(decided_by=None)
