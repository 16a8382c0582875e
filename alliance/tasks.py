from celery import shared_task
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

BEAT_HEARTBEAT_KEY = "beat:last-run"


def enqueue_after_commit(task, *args) -> None:
    """Queue `task.delay(*args)` once the current transaction commits (at once outside one).

    robust=True: when the broker is briefly away the error is logged instead of turning a
    saved change into an error page; every task queued this way has a beat job that catches
    up with what was not queued (the clash sweep, the outbox delivery, pending notices).
    """
    transaction.on_commit(lambda: task.delay(*args), robust=True)


def beat_heartbeat_record() -> None:
    cache.set(BEAT_HEARTBEAT_KEY, timezone.now().isoformat(), timeout=None)


@shared_task
def beat_heartbeat_task() -> None:
    """Beat queues this every minute and a worker runs it: the health endpoint reads when it
    last ran, so a fresh heartbeat means beat, the broker and a worker all work."""
    beat_heartbeat_record()


@shared_task
def sessions_clear_task() -> int:
    """Retention: delete expired sign-in sessions (the privacy notice promises it). Idempotent."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
