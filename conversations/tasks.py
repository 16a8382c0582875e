"""Beat tasks of conversations. Thin: each calls a service that is safe to run twice or at
once (claimed rows and keyed outbox emails)."""

from celery import shared_task
from django.db import OperationalError

RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": 2, "max_retries": 5}


@shared_task(acks_late=True, **RETRY)
def proposals_close_due_task() -> None:
    """Every minute: close proposals past their deadline."""
    from conversations import services

    services.proposals_close_due()


@shared_task(acks_late=True, **RETRY)
def proposals_remind_task() -> None:
    """Every 15 minutes: the one reminder, a day before the deadline."""
    from conversations import services

    services.proposals_remind()


@shared_task(acks_late=True, **RETRY)
def daily_summaries_send_task() -> None:
    from conversations import services

    services.daily_summaries_send()


@shared_task(acks_late=True, **RETRY)
def digest_send_weekly_task() -> None:
    """Beat, Mondays: one task per chunk of subscribers (see conversations/digest.py)."""
    from conversations import digest

    digest.digest_fan_out()


@shared_task(acks_late=True, **RETRY)
def digest_send_range_task(first_user_id: int, last_user_id: int, now: str) -> None:
    from datetime import datetime

    from conversations import digest

    digest.digest_send_range(
        first_user_id=first_user_id,
        last_user_id=last_user_id,
        now=datetime.fromisoformat(now),
    )
