"""Background work for groups: thin wrappers that load by id and call a service."""

from smtplib import SMTPException

from celery import shared_task


@shared_task(
    acks_late=True,
    autoretry_for=(SMTPException, OSError),
    retry_backoff=True,
    max_retries=5,
)
def organiser_invitation_send_task(invitation_id: int) -> bool:
    from groups.services import organiser_invitation_send

    return organiser_invitation_send(invitation_id=invitation_id)


@shared_task(acks_late=True)
def organiser_invitations_housekeep_task() -> tuple[int, int]:
    """Beat: send invitations whose task was lost; delete old closed ones. Idempotent."""
    from groups.services import organiser_invitations_housekeep

    return organiser_invitations_housekeep()
