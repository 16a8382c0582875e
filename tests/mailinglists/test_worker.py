"""A list email to 5,000 subscribers through real Celery workers (Redis broker) and a real SMTP
server on loopback, with the worker SIGKILLed in the middle of the send: every subscriber gets
exactly one email (one Message-ID, one delivery each)."""

import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from mailinglists import services
from mailinglists.choices import Audience, ConsentSource, MailingStatus, SubscriptionStatus
from mailinglists.models import Mailing, Subscription
from mailinglists.tasks import mailings_send_queued_task
from outbox.models import OutboxEmail, OutboxStatus
from outbox.services import email_message_id
from outbox.tasks import outbox_deliver_task
from tests.factories import GroupFactory
from tests.outbox.test_worker import HoldingSink, wait_until, worker_env

pytestmark = [pytest.mark.worker, pytest.mark.slow]

COUNT = 5000
HOLD_AT = 1200  # the sink holds this message until the worker that sent it is dead


@pytest.fixture
def holding_sink():
    sink = HoldingSink(hold_at=HOLD_AT)
    yield sink
    sink.stop()


def test_a_list_email_reaches_5000_subscribers_once_through_a_killed_worker(
    celery_worker_factory, holding_sink
):
    group = GroupFactory(name="Sussex Progressives", is_verified=True)
    Subscription.objects.bulk_create(
        Subscription(
            group=group,
            email=f"subscriber{i}@example.org",
            source=ConsentSource.GROUP_PAGE,
            status=SubscriptionStatus.CONFIRMED,
            confirmed_at=timezone.now(),
            token=f"worker-test-{i}",
        )
        for i in range(COUNT)
    )
    # Smaller batches than the default, so the kill can also fall between two of them.
    env = {**worker_env(holding_sink.port), "MAILINGLISTS_BATCH_SIZE": "400"}
    worker = celery_worker_factory(env)
    with transaction.atomic():  # the commit queues the send
        mailing = services.mailing_create(
            group=group,
            author=None,
            subject="Stall on Saturday",
            body="Come and help.",
            audience=Audience.LIST,
        )

    assert holding_sink.in_flight.wait(300), worker.output()[-3000:]
    worker.kill()  # SIGKILL in the middle of an SMTP conversation
    holding_sink.release.set()
    arrived_before_kill = len(holding_sink.messages)
    assert arrived_before_kill == HOLD_AT - 1

    # A new worker: beat's two safety nets (carry on the mailing, deliver the outbox).
    worker = celery_worker_factory(env)
    mailings_send_queued_task.delay()
    outbox_deliver_task.delay()

    def settled():
        statuses = set(OutboxEmail.objects.values_list("status", flat=True))
        return (
            Mailing.objects.get(pk=mailing.pk).status == MailingStatus.ENQUEUED
            and OutboxEmail.objects.count() == COUNT
            and statuses <= {OutboxStatus.SENT, OutboxStatus.SENDING}
        )

    assert wait_until(settled, timeout=600, interval=1), worker.output()[-3000:]
    # The dead worker's claims are left alone until the reclaim delay has passed.
    OutboxEmail.objects.filter(status=OutboxStatus.SENDING).update(
        claimed_at=timezone.now() - timedelta(minutes=10)
    )
    outbox_deliver_task.delay()
    assert wait_until(
        lambda: set(OutboxEmail.objects.values_list("status", flat=True)) == {OutboxStatus.SENT},
        timeout=300,
        interval=1,
    ), worker.output()[-3000:]
    time.sleep(1)

    recipients = Counter(message["To"] for message in holding_sink.messages)
    assert len(recipients) == COUNT
    assert set(recipients.values()) == {1}, "exactly one email each"
    message_ids = Counter(message["Message-ID"] for message in holding_sink.messages)
    assert len(message_ids) == COUNT and set(message_ids.values()) == {1}
    first = Subscription.objects.get(email="subscriber0@example.org")
    by_recipient = {message["To"]: message for message in holding_sink.messages}
    message = by_recipient["subscriber0@example.org"]
    assert message["Message-ID"] == email_message_id(f"mailing:{mailing.pk}:s{first.pk}")
    assert message["List-Unsubscribe"].strip().startswith("<http")  # folded: a long URL
    assert message["Subject"] == "[Alliance] Stall on Saturday"
    counted = Mailing.objects.with_counts().get(pk=mailing.pk)
    assert (counted.recipient_count, counted.sent_count, counted.bounced_count) == (COUNT, COUNT, 0)
