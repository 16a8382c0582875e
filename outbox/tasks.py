"""Celery tasks of the outbox. Thin: call the service; safe to run twice or at once."""

from celery import shared_task
from django.db import OperationalError


@shared_task(
    bind=True, acks_late=True, max_retries=8, autoretry_for=(OperationalError,), retry_backoff=2
)
def outbox_deliver_task(self, batch_size: int = 50) -> None:
    """Send every due email. After an SMTP error, come back when the first row is due again;
    if the run's time budget ran out, hand over to a fresh run. Beat also runs it every minute
    as a safety net (a lost on-commit message, a broker outage)."""
    from outbox import services

    report = services.outbox_deliver(batch_size=batch_size)
    if report.more:
        outbox_deliver_task.delay(batch_size)
    elif report.retry_in is not None:
        raise self.retry(countdown=report.retry_in)
