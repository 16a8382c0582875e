"""Celery tasks of clash detection. Thin: call a service; every one is safe to run twice."""

from celery import shared_task
from django.db import OperationalError

# A deadlock or a lost connection is transient: the check is idempotent, so run it again.
RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": 2, "max_retries": 5}


@shared_task(acks_late=True, **RETRY)
def event_clashes_check_task(event_id: int) -> None:
    """Check one event for clashes after it was created, edited, moved or cancelled."""
    from events import detection

    detection.event_clashes_check(event_id=event_id)


@shared_task(acks_late=True, **RETRY)
def events_clashes_check_task(event_ids: list[int]) -> None:
    """Check many events in one statement (e.g. after a calendar import)."""
    from events import detection

    detection.events_clashes_check(event_ids=event_ids)


@shared_task(acks_late=True, **RETRY)
def clashes_sweep_task() -> None:
    """Beat: re-check the coming weeks in one set-based query (a safety net)."""
    from events import detection

    detection.clashes_sweep()


@shared_task(bind=True, acks_late=True, max_retries=8)
def clash_notifications_deliver_task(self) -> None:
    """Send due outbox rows; after an SMTP error, come back when the first row is due again."""
    from events import detection

    report = detection.clash_notifications_deliver()
    if report.retry_in is not None:
        raise self.retry(countdown=report.retry_in)


@shared_task(bind=True, acks_late=True, max_retries=8)
def clash_digest_send_task(self) -> None:
    """Beat, daily: one email per digest recipient with their new clashes."""
    from events import detection

    report = detection.clash_digest_send()
    if report.retry_in is not None:
        raise self.retry(countdown=report.retry_in)
