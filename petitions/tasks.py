"""Thin, idempotent tasks: load by id, call a service (imported inside the body, so services can
import their tasks at the top). Beat entries are in settings.

A task renamed to match its service keeps its old registered name, so messages already queued
(retries with a countdown, work queued after a commit) still find it. Beat tasks keep their names:
the schedule and the privacy notice's retention table name them.
"""

from celery import shared_task


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def signature_confirmations_send_task() -> int:
    """Kicked after signing (debounced) and run by beat as a safety net: one batch per run,
    re-queued while the queue is not empty."""
    from petitions.services.signing import signature_confirmations_send

    sent = signature_confirmations_send()
    if sent >= 200:
        signature_confirmations_send_task.delay()
    return sent


@shared_task(bind=True, max_retries=6, name="petitions.tasks.signature_lookup_task")
def signature_lookup_retry_task(self, signature_id: int) -> bool:
    """Retry the postcode lookup with backoff (1, 2, 4, ... minutes) until it answers."""
    from petitions.services.signing import signature_lookup_retry

    if not signature_lookup_retry(signature_id=signature_id):
        raise self.retry(countdown=60 * 2**self.request.retries)
    return True


@shared_task
def petition_count_task(petition_id: int) -> int:
    from petitions.services.counting import petition_count

    return petition_count(petition_id=petition_id)


@shared_task
def petitions_count_task() -> int:
    """Beat, every few seconds: recount petitions with recent signature changes."""
    from petitions.services.counting import petitions_count_recent

    return len(petitions_count_recent())


@shared_task
def petitions_reconcile_task() -> int:
    """Beat, hourly: recount every petition exactly, repairing any drift."""
    from petitions.services.counting import petitions_reconcile

    return len(petitions_reconcile())


@shared_task(
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    name="petitions.tasks.milestone_notify_task",
)
def milestones_notify_task(petition_id: int) -> int:
    from petitions.services.updates import milestones_notify

    return milestones_notify(petition_id=petition_id)


@shared_task(
    bind=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    name="petitions.tasks.petition_update_send_task",
)
def petition_update_send_batch_task(self, update_id: int) -> None:
    """One batch per run, then re-queue itself for the next, so no task runs for long."""
    from petitions.services.updates import petition_update_send_batch

    if petition_update_send_batch(update_id=update_id):
        petition_update_send_batch_task.delay(update_id)


@shared_task
def signatures_expire_task() -> int:
    from petitions.services.retention import signatures_expire

    return signatures_expire()


@shared_task
def petitions_close_due_task() -> int:
    from petitions.services.petitions import petitions_close_due

    return petitions_close_due()


@shared_task
def petitions_retention_task() -> int:
    from petitions.services.retention import petitions_retention_apply

    return petitions_retention_apply()


@shared_task(acks_late=True)
def petition_response_emails_queue_task(response_id: int) -> int:
    """Queue one batch of a party's answer to the petition's consenting signers; the service
    queues this task again until none remain (each email once: outbox keys)."""
    from petitions.services.responses import petition_response_emails_queue

    return petition_response_emails_queue(response_id=response_id)


@shared_task
def petition_responses_emails_sweep_task() -> int:
    """Beat's safety net: carry on with any answer whose emails were not all queued (a lost
    task, a broker outage)."""
    from petitions.models import PetitionResponse
    from petitions.services.responses import petition_response_emails_queue

    pending = PetitionResponse.objects.filter(emails_finished_at__isnull=True)
    return sum(
        petition_response_emails_queue(response_id=pk)
        for pk in pending.values_list("pk", flat=True)
    )
