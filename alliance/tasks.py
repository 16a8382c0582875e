from celery import shared_task
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.utils import timezone

BEAT_HEARTBEAT_KEY = "beat:last-run"


@shared_task
def beat_heartbeat_task() -> None:
    """Beat runs this every minute; the health endpoint reads when it last ran."""
    cache.set(BEAT_HEARTBEAT_KEY, timezone.now().isoformat(), timeout=None)


@shared_task
def sessions_clear_task() -> int:
    """Retention: delete expired sign-in sessions (the privacy notice promises it). Idempotent."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
