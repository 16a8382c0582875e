from celery import shared_task


@shared_task(acks_late=True)
def vote_swaps_match_task() -> int:
    """Pair whoever can be paired; safe to run twice (locked rows, status checks)."""
    from seats.services import vote_swaps_match

    return len(vote_swaps_match())


@shared_task(acks_late=True)
def vote_swaps_expire_task() -> int:
    from seats.services import vote_swaps_expire

    return vote_swaps_expire()


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def vote_swap_notify_task(swap_id: int) -> bool:
    """Email both people about their match; notified_at makes a second run do nothing."""
    from seats.services import vote_swap_notify

    return vote_swap_notify(swap_id=swap_id)
