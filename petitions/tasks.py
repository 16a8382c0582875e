"""Thin, idempotent tasks: load by id, call a service. Beat entries are in settings."""

from celery import shared_task

from petitions import services


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def signature_confirmations_send_task() -> int:
    """Kicked after signing (debounced) and run by beat as a safety net: one batch per run,
    re-queued while the queue is not empty."""
    sent = services.signature_confirmations_send()
    if sent >= 200:
        signature_confirmations_send_task.delay()
    return sent


@shared_task(bind=True, max_retries=6)
def signature_lookup_task(self, signature_id: int) -> bool:
    """Retry the postcode lookup with backoff (1, 2, 4, ... minutes) until it answers."""
    if not services.signature_lookup_retry(signature_id=signature_id):
        raise self.retry(countdown=60 * 2**self.request.retries)
    return True


@shared_task
def petition_count_task(petition_id: int) -> int:
    return services.petition_count(petition_id=petition_id)


@shared_task
def petitions_count_task() -> int:
    """Beat, every few seconds: recount petitions with recent signature changes."""
    return len(services.petitions_count_recent())


@shared_task
def petitions_reconcile_task() -> int:
    """Beat, hourly: recount every petition exactly, repairing any drift."""
    return len(services.petitions_reconcile())


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def milestone_notify_task(petition_id: int) -> int:
    return services.milestones_notify(petition_id=petition_id)


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def petition_update_send_task(self, update_id: int) -> None:
    """One batch per run, then re-queue itself for the next, so no task runs for long."""
    if services.petition_update_send_batch(update_id=update_id):
        petition_update_send_task.delay(update_id)


@shared_task
def signatures_expire_task() -> int:
    return services.signatures_expire()


@shared_task
def petitions_close_due_task() -> int:
    return services.petitions_close_due()


@shared_task
def petitions_retention_task() -> int:
    return services.petitions_retention_apply()
