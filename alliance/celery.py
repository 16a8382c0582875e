import os

from celery import Celery
from celery.signals import beat_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliance.settings.local")

app = Celery("alliance")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@beat_init.connect
def _beat_started(**kwargs) -> None:
    """Beat's first scheduled heartbeat comes a minute after it starts; until then /health/
    would call a beat that has just started "stale"."""
    from alliance.tasks import beat_heartbeat_record

    beat_heartbeat_record()
