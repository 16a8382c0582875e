from celery import shared_task
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.utils import timezone

BEAT_HEARTBEAT_KEY = "beat:last-run"


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
