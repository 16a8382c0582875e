"""End to end with a real Celery worker process (Redis broker) and a real SMTP server on
loopback (aiosmtpd): the web form, the worker, the outbox, exactly one email each; and the
worker SIGKILLed in the middle of sending."""

import asyncio
import socket
import threading
import time
from collections import Counter
from datetime import timedelta
from email import message_from_bytes

import pytest
from django.urls import reverse
from django.utils import timezone

from clashes.delivery import notification_message_id
from clashes.models import Clash, ClashNotification
from clashes.services import event_clashes_check
from clashes.tasks import (
    clash_notifications_deliver_task,
    clashes_sweep_task,
    event_clashes_check_task,
)
from events.models import Event
from groups.models import Membership, Role
from tests.clashes.clash_support import make_event, two_sides
from tests.factories import ConstituencyFactory, UserFactory

pytestmark = [pytest.mark.worker, pytest.mark.slow]


def wait_until(predicate, timeout=30.0, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def succeeded(worker, task_name: str) -> int:
    return sum(
        1
        for line in worker.output().splitlines()
        if f"{task_name}[" in line and "succeeded" in line
    )


def worker_env(port: int, **extra) -> dict[str, str]:
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        **extra,
    }


def local_slot(days: int, hour: int):
    day = timezone.localtime() + timedelta(days=days)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


def test_web_form_to_worker_to_one_email_per_organiser(client, celery_worker_factory, smtp_sink):
    branch, pro_eu, branch_org, pro_eu_org = two_sides()
    second_branch_org = UserFactory()
    Membership.objects.create(user=second_branch_org, group=branch, role=Role.ORGANISER)
    seat = ConstituencyFactory(name="Bristol West")
    start = local_slot(2, 11)
    rally = make_event(pro_eu, start=start, constituency=seat, title="EU flag rally")
    worker = celery_worker_factory(worker_env(smtp_sink.port))

    client.force_login(branch_org)
    form = {
        "title": "Saturday street stall",
        "kind": "street_stall",
        "description": "",
        "starts_at": (start - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "venue_name": "Broadmead",
        "address": "",
        "postcode": "",
        "constituency": seat.pk,
        "capacity": "",
        "visibility": "public",
        "repeat": "",
        "repeat_until": "",
    }
    started = time.monotonic()
    # The form warns before a clash: this organiser publishes anyway (both sides are told).
    form = {**form, "clash_warned": "True", "publish_anyway": "on"}
    response = client.post(reverse("events:create", kwargs={"slug": branch.slug}), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    stall = Event.objects.get(title="Saturday street stall")

    organisers = {branch_org.email, second_branch_org.email, pro_eu_org.email}
    messages = smtp_sink.wait_for(len(organisers), timeout=30)
    elapsed = time.monotonic() - started
    assert Counter(to for m in messages for to in m["to"]) == dict.fromkeys(organisers, 1)
    assert elapsed < 20, f"emails took {elapsed:.1f}s"
    clash = Clash.objects.get()
    assert (clash.event_a_id, clash.event_b_id) == (rally.pk, stall.pk)
    email = messages[0]["message"]
    assert email["Message-ID"].startswith("<clash-notification-")
    assert email.is_multipart()
    assert {part.get_content_type() for part in email.walk()} >= {"text/plain", "text/html"}

    # The same situation again: the organiser saves the event unchanged (a new check is
    # queued), the check is delivered twice more, the sweep runs, delivery runs twice.
    edit = {k: v for k, v in form.items() if k not in ("repeat", "repeat_until")}
    response = client.post(reverse("events:edit", kwargs={"pk": stall.pk}), edit)
    assert response.status_code == 302
    event_clashes_check_task.delay(stall.pk)
    event_clashes_check_task.delay(rally.pk)
    clashes_sweep_task.delay()
    clash_notifications_deliver_task.delay()
    clash_notifications_deliver_task.delay()
    assert wait_until(
        lambda: (
            succeeded(worker, "clash_notifications_deliver_task") >= 3
            and succeeded(worker, "event_clashes_check_task") >= 4
            and succeeded(worker, "clashes_sweep_task") >= 1
        )
    ), worker.output()[-3000:]
    time.sleep(0.5)
    assert len(smtp_sink.messages) == len(organisers)
    assert Clash.objects.count() == 1
    assert set(ClashNotification.objects.values_list("status", flat=True)) == {"sent"}


class BlockingSink:
    """An SMTP server that holds the first message: before accepting it (`record_first=False`:
    the client never got its 250, nothing was delivered) or after taking it in
    (`record_first=True`: the residual window, delivered but never confirmed)."""

    def __init__(self, record_first: bool):
        from aiosmtpd.controller import Controller

        self.record_first = record_first
        self.messages: list = []
        self.in_flight = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()
        self._first = True
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                with sink._lock:
                    first, sink._first = sink._first, False
                if first:
                    if sink.record_first:
                        sink._keep(envelope)
                    sink.in_flight.set()
                    while not sink.release.is_set():
                        await asyncio.sleep(0.05)
                    return "451 Aborted"
                sink._keep(envelope)
                return "250 OK"

        # aiosmtpd's start() connects to the port it was given: pick a free one first.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def _keep(self, envelope):
        with self._lock:
            self.messages.append(message_from_bytes(envelope.original_content))

    def stop(self):
        self.release.set()
        self.controller.stop()


@pytest.fixture
def blocking_sink(request):
    sink = BlockingSink(record_first=request.param)
    yield sink
    sink.stop()


@pytest.mark.parametrize(
    "blocking_sink", [False, True], ids=["before-250", "after-data"], indirect=True
)
def test_worker_killed_mid_send_delivers_every_row_once(celery_worker_factory, blocking_sink):
    branch, pro_eu, branch_org, pro_eu_org = two_sides()
    Membership.objects.create(user=UserFactory(), group=pro_eu, role=Role.ORGANISER)
    seat = ConstituencyFactory()
    make_event(branch, start=local_slot(3, 10), constituency=seat)
    env = worker_env(blocking_sink.port, CLASH_OUTBOX_RECLAIM_SECONDS="2")
    worker = celery_worker_factory(env)

    # Detection commits the clash and its 3 outbox rows and queues delivery.
    other = make_event(pro_eu, start=local_slot(3, 10), constituency=seat)
    event_clashes_check(event_id=other.pk)
    rows = list(ClashNotification.objects.order_by("pk"))
    assert len(rows) == 3

    assert blocking_sink.in_flight.wait(20), worker.output()[-3000:]
    worker.kill()  # SIGKILL in the middle of the SMTP conversation
    blocking_sink.release.set()
    statuses = set(ClashNotification.objects.values_list("status", flat=True))
    assert statuses == {"sending"}, "claimed and committed before sending"

    # A new worker; once the claims are stale (2 s here, longer than the task time limit in
    # production) the next delivery run (beat, every minute) sends every row.
    worker = celery_worker_factory(env)
    time.sleep(2.5)
    clash_notifications_deliver_task.delay()
    assert wait_until(
        lambda: set(ClashNotification.objects.values_list("status", flat=True)) == {"sent"}
    ), worker.output()[-3000:]
    clash_notifications_deliver_task.delay()  # and once more: nothing new
    assert wait_until(lambda: succeeded(worker, "clash_notifications_deliver_task") >= 2)

    expected = {notification_message_id(row.pk) for row in rows}
    counts = Counter(message["Message-ID"] for message in blocking_sink.messages)
    assert set(counts) == expected, "every row delivered"
    if blocking_sink.record_first:
        # The residual window: the server had the first message when the worker died. It is
        # sent again with the SAME Message-ID, so it is recognisable as a duplicate.
        assert sorted(counts.values()) == [1, 1, 2]
        assert counts[notification_message_id(rows[0].pk)] == 2
    else:
        assert sorted(counts.values()) == [1, 1, 1], "exactly once"
    assert all(row.attempts == 2 for row in ClashNotification.objects.filter(pk=rows[0].pk))
