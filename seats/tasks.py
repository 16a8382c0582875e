from celery import shared_task

from seats.services import vote_swaps_expire, vote_swaps_match


@shared_task(acks_late=True)
def vote_swaps_match_task() -> int:
    """Pair whoever can be paired; safe to run twice (locked rows, status checks)."""
    return len(vote_swaps_match())


@shared_task(acks_late=True)
def vote_swaps_expire_task() -> int:
    return vote_swaps_expire()
