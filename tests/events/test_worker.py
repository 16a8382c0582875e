"""The events tasks on a real Celery worker process (Redis broker) with a real SMTP sink:
cancelling an event emails each person going exactly once; a feed syncs on the worker."""

import time
from collections import Counter
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from events.models import CalendarFeed, Event, EventStatus
from events.tasks import calendar_feed_sync_task, event_attendees_notify_task
from tests.events.factories import EventFactory, RsvpFactory
from tests.factories import GroupFactory, UserFactory

pytestmark = [pytest.mark.worker, pytest.mark.slow]


def _worker_env(port: int) -> dict[str, str]:
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "EVENTS_FEED_ALLOW_PRIVATE_HOSTS": "true",  # the test's calendar server is on loopback
    }


def test_cancel_through_the_web_emails_people_going_once(client, celery_worker_factory, smtp_sink):
    organiser = UserFactory()
    group = GroupFactory(organiser=organiser)
    event = EventFactory(group=group, title="Hustings")
    going = [RsvpFactory(event=event).user for _ in range(3)]
    RsvpFactory(event=event, answer="maybe")
    worker = celery_worker_factory(_worker_env(smtp_sink.port))

    client.force_login(organiser)
    response = client.post(reverse("events:cancel", args=[event.pk]))
    assert response.status_code == 302
    messages = smtp_sink.wait_for(3, timeout=30)
    assert Counter(to for m in messages for to in m["to"]) == {u.email: 1 for u in going}
    email = messages[0]["message"]
    assert "Cancelled: Hustings" in email["Subject"]
    assert {part.get_content_type() for part in email.walk()} >= {"text/plain", "text/html"}

    # A duplicated delivery of the task sends nothing more.
    event_attendees_notify_task.delay(event.pk)
    event_attendees_notify_task.delay(event.pk)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and worker.output().count("succeeded") < 4:
        time.sleep(0.1)
    time.sleep(0.5)
    assert len(smtp_sink.messages) == 3
    assert Event.objects.get(pk=event.pk).status == EventStatus.CANCELLED


def test_feed_sync_runs_on_the_worker(celery_worker_factory, smtp_sink, local_http):
    group = GroupFactory()
    start = timezone.now() + timedelta(days=2)
    local_http.body = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:w1\r\n"
        f"DTSTAMP:20260101T000000Z\r\nDTSTART:{start:%Y%m%dT%H%M%SZ}\r\n"
        f"DTEND:{start + timedelta(hours=1):%Y%m%dT%H%M%SZ}\r\nSUMMARY:Synced\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()
    feed = CalendarFeed.objects.create(group=group, name="Remote", url=local_http.url)
    celery_worker_factory(_worker_env(smtp_sink.port))
    calendar_feed_sync_task.delay(feed.pk)
    deadline = time.monotonic() + 30
    # The feed's success is recorded after its events: wait for it, not only for the events.
    while time.monotonic() < deadline:
        feed.refresh_from_db()
        if feed.last_success_at is not None:
            break
        time.sleep(0.1)
    assert Event.objects.get(feed=feed).title == "Synced"
    assert feed.last_success_at is not None and feed.last_error == ""
