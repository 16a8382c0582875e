"""Celery tasks of clash detection. Owned by the clash-detection work (issue 5)."""

from celery import shared_task


@shared_task(acks_late=True)
def event_clashes_check_task(event_id: int) -> None:
    """Check one event for clashes after it was created, edited, moved or cancelled."""
    from events import detection

    detection.event_clashes_check(event_id=event_id)
