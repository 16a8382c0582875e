"""Real Celery workers: calendar imports run on their own queue, so a slow calendar does not
hold up clash checks and petition counts on the default queue."""

import time

import pytest

from clashes.tasks import clashes_sweep_task
from events.models import CalendarFeed, Event
from events.tasks import calendar_feed_sync_task
from petitions.tasks import petitions_count_task
from tests.events.test_imports import _ics, _soon, _vevent

pytestmark = [pytest.mark.worker, pytest.mark.slow]


def _succeeded(worker, task_name: str) -> int:
    return sum(
        1
        for line in worker.output().splitlines()
        if f"{task_name}[" in line and "succeeded" in line
    )


def _wait(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_a_slow_import_does_not_delay_default_queue_tasks(celery_worker_factory, local_http, group):
    env = {"EVENTS_FEED_ALLOW_PRIVATE_HOSTS": "1", "EVENTS_FEED_TIMEOUT": "20"}
    importer = celery_worker_factory(env, queues="imports")
    worker = celery_worker_factory(env, queues="celery")
    local_http.body = _ics(_vevent("slow@src", _soon()))
    local_http.delay = 6.0  # the calendar server takes 6 s to answer
    feed = CalendarFeed.objects.create(group=group, name="Slow", url=local_http.url)

    calendar_feed_sync_task.delay(feed.pk)
    assert _wait(lambda: local_http.requests, timeout=20), importer.output()
    queued_at = time.monotonic()
    clashes_sweep_task.delay()
    petitions_count_task.delay()
    assert _wait(
        lambda: (
            _succeeded(worker, "clashes_sweep_task") and _succeeded(worker, "petitions_count_task")
        ),
        timeout=20,
    ), worker.output()
    waited = time.monotonic() - queued_at
    # Both finished while the import was still waiting for its calendar.
    feed.refresh_from_db()
    assert feed.last_synced_at is None, waited
    assert waited < 6.0

    assert _wait(lambda: _succeeded(importer, "calendar_feed_sync_task"), timeout=30)
    assert Event.objects.filter(feed=feed, source_uid="slow@src").exists()
    assert "calendar_feed_sync_task[" not in worker.output()
    assert "clashes_sweep_task[" not in importer.output()
