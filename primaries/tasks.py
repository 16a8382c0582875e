"""Thin tasks: load by id (or sweep), call a service. Each is safe to run twice."""

from celery import shared_task


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def voter_confirmation_send_task(voter_id: int) -> bool:
    from primaries.services import voter_confirmation_send

    return voter_confirmation_send(voter_id=voter_id)


@shared_task(acks_late=True)
def voter_confirmations_sweep_task() -> int:
    from primaries.services import voter_confirmations_sweep

    return voter_confirmations_sweep()


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def primaries_ballots_send_task() -> int:
    from primaries.services import ballots_send_due

    return ballots_send_due()


@shared_task(acks_late=True)
def primaries_count_due_task() -> int:
    from primaries.services import primaries_count_due

    return primaries_count_due()


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def primary_result_notify_task(primary_id: int) -> int:
    from primaries.services import primary_result_notify

    return primary_result_notify(primary_id=primary_id)


@shared_task(acks_late=True)
def primaries_rolls_delete_task() -> int:
    from primaries.services import rolls_delete_due

    return rolls_delete_due()
