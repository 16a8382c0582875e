"""Thin beat tasks: each sweeps with one service and is safe to run twice."""

from celery import shared_task


@shared_task(acks_late=True)
def primaries_ballots_send_task() -> int:
    """Ballot links for voters of primaries whose voting is open (each once: keyed)."""
    from primaries.services import ballots_send_due

    return ballots_send_due()


@shared_task(acks_late=True)
def primaries_count_due_task() -> int:
    from primaries.services import primaries_count_due

    return primaries_count_due()


@shared_task(acks_late=True)
def primaries_rolls_delete_task() -> int:
    from primaries.services import rolls_delete_due

    return rolls_delete_due()


@shared_task(acks_late=True)
def ballots_vacuum_task() -> None:
    """After a count: clear the box's dead row versions (see services.ballots_vacuum)."""
    from primaries.services import ballots_vacuum

    ballots_vacuum()
