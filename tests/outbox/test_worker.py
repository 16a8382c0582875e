"""The outbox with real Celery workers (Redis broker) and a real SMTP server on loopback:
200 emails, the delivery task delivered twice, a worker SIGKILLed in the middle of an SMTP
conversation; every recipient gets exactly one email."""

import asyncio
import socket
import threading
import time
from collections import Counter
from datetime import timedelta
from email import message_from_bytes

import pytest
from django.db import transaction
from django.utils import timezone

from outbox.models import OutboxEmail, OutboxStatus
from outbox.services import email_enqueue, email_message_id
from outbox.tasks import outbox_deliver_task

pytestmark = [pytest.mark.worker, pytest.mark.slow]

COUNT = 200
HOLD_AT = 60  # the sink holds this message until the worker that sent it is dead


def wait_until(predicate, timeout=60.0, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def worker_env(port: int) -> dict[str, str]:
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
    }


class HoldingSink:
    """An SMTP sink (like tests/conftest.py's smtp_sink) that holds message number `hold_at`
    before answering DATA, then refuses it: the sender never got its 250, nothing was
    delivered. Every other message is kept."""

    def __init__(self, hold_at: int):
        from aiosmtpd.controller import Controller

        self.messages: list = []
        self.in_flight = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()
        self._seen = 0
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                with sink._lock:
                    sink._seen += 1
                    held = sink._seen == hold_at
                if held:
                    sink.in_flight.set()
                    while not sink.release.is_set():
                        await asyncio.sleep(0.05)
                    return "451 Aborted"
                with sink._lock:
                    sink.messages.append(message_from_bytes(envelope.original_content))
                return "250 OK"

        with socket.socket() as probe:  # aiosmtpd probes the port it is given: pick a free one
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        self.release.set()
        self.controller.stop()


@pytest.fixture
def holding_sink():
    sink = HoldingSink(hold_at=HOLD_AT)
    yield sink
    sink.stop()


def enqueue_all(template) -> None:
    with transaction.atomic():
        for i in range(COUNT):
            email_enqueue(
                key=f"worker-test:{i}",
                to=f"person{i}@example.org",
                subject=f"Hello {i}",
                template=template,
                context={"name": f"Person {i}", "note": "n", "link": "https://x.test/"},
                unsubscribe_url=f"https://x.test/unsubscribe/{i}/",
            )


def test_200_emails_a_duplicated_task_and_a_killed_worker_give_one_email_each(
    celery_worker_factory, holding_sink, email_template
):
    worker = celery_worker_factory(worker_env(holding_sink.port))
    enqueue_all(email_template)  # the commit queues one delivery run
    outbox_deliver_task.apply_async(task_id="same-task")  # and a task delivered twice
    outbox_deliver_task.apply_async(task_id="same-task")

    assert holding_sink.in_flight.wait(60), worker.output()[-3000:]
    worker.kill()  # SIGKILL in the middle of an SMTP conversation
    holding_sink.release.set()
    assert len(holding_sink.messages) == HOLD_AT - 1
    sending = set(OutboxEmail.objects.filter(status=OutboxStatus.SENDING).values_list("key"))
    assert sending, "the dead worker's claims were committed before it sent"

    # Two new workers and the task delivered twice more: every pending row goes out; the dead
    # worker's claims are left alone while they are fresh (their sender might be alive).
    workers = [celery_worker_factory(worker_env(holding_sink.port)) for _ in range(2)]
    outbox_deliver_task.apply_async(task_id="again")
    outbox_deliver_task.apply_async(task_id="again")
    expected_first = COUNT - len(sending)
    assert wait_until(lambda: len(holding_sink.messages) >= expected_first), workers[0].output()[
        -3000:
    ]
    time.sleep(1)
    assert len(holding_sink.messages) == expected_first
    assert set(OutboxEmail.objects.filter(status=OutboxStatus.SENDING).values_list("key")) == (
        sending
    )

    # Minutes later (the reclaim delay, longer than the task time limit) beat's run takes them.
    OutboxEmail.objects.filter(status=OutboxStatus.SENDING).update(
        claimed_at=timezone.now() - timedelta(minutes=10)
    )
    outbox_deliver_task.delay()
    outbox_deliver_task.delay()
    assert wait_until(
        lambda: set(OutboxEmail.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}
    ), workers[0].output()[-3000:]
    time.sleep(1)

    recipients = Counter(message["To"] for message in holding_sink.messages)
    assert len(recipients) == COUNT
    assert set(recipients.values()) == {1}, "exactly one email each"
    ids = {message["To"]: message["Message-ID"] for message in holding_sink.messages}
    assert ids["person7@example.org"] == email_message_id("worker-test:7")
    message = holding_sink.messages[0]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Subject"].startswith("[Alliance] Hello ")
    held = OutboxEmail.objects.filter(attempts=2)
    assert held.count() == len(sending), "only the dead worker's claims were tried twice"
