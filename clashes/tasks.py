"""Celery tasks of clash detection. Thin: call a service; every one is safe to run twice.

Each task keeps the name it had when clash detection lived in events/clash_tasks.py: messages
already queued in the broker, and beat schedules, carry that name.
"""

from celery import shared_task
from django.db import OperationalError

# A deadlock or a lost connection is transient: the check is idempotent, so run it again.
RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": 2, "max_retries": 5}
OLD_PREFIX = "events.clash_tasks."


@shared_task(name=OLD_PREFIX + "event_clashes_check_task", acks_late=True, **RETRY)
def event_clashes_check_task(event_id: int) -> None:
    """Check one event for clashes after it was created, edited, moved or cancelled."""
    from clashes.services import event_clashes_check

    event_clashes_check(event_id=event_id)


@shared_task(name=OLD_PREFIX + "events_clashes_check_task", acks_late=True, **RETRY)
def events_clashes_check_task(event_ids: list[int]) -> None:
    """Check many events in one statement (e.g. after a calendar import)."""
    from clashes.services import events_clashes_check

    events_clashes_check(event_ids=event_ids)


@shared_task(name=OLD_PREFIX + "clashes_sweep_task", acks_late=True, **RETRY)
def clashes_sweep_task() -> None:
    """Beat: re-check the coming weeks in one set-based query (a safety net)."""
    from clashes.services import clashes_sweep

    clashes_sweep()


@shared_task(
    name=OLD_PREFIX + "clash_notifications_deliver_task", bind=True, acks_late=True, max_retries=8
)
def clash_notifications_deliver_task(self) -> None:
    """Send due outbox rows; after an SMTP error, come back when the first row is due again."""
    from clashes.delivery import clash_notifications_deliver

    report = clash_notifications_deliver()
    if report.retry_in is not None:
        raise self.retry(countdown=report.retry_in)


@shared_task(name=OLD_PREFIX + "clash_digest_send_task", bind=True, acks_late=True, max_retries=8)
def clash_digest_send_task(self) -> None:
    """Beat, daily: one email per digest recipient with their new clashes."""
    from clashes.delivery import clash_digest_send

    report = clash_digest_send()
    if report.retry_in is not None:
        raise self.retry(countdown=report.retry_in)
