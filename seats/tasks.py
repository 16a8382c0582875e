from celery import shared_task

from seats.services import vote_swap_notify, vote_swaps_expire, vote_swaps_match


@shared_task(acks_late=True)
def vote_swaps_match_task() -> int:
    """Pair whoever can be paired; safe to run twice (locked rows, status checks)."""
    return len(vote_swaps_match())


@shared_task(acks_late=True)
def vote_swaps_expire_task() -> int:
    return vote_swaps_expire()


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def vote_swap_notify_task(swap_id: int) -> bool:
    """Email both people about their match; notified_at makes a second run do nothing."""
    return vote_swap_notify(swap_id=swap_id)
