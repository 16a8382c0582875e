"""The outbox and its delivery: exactly-once claims, retries with backoff, reclaiming rows of
dead workers, preferences and the daily digest, and what the emails say."""

import socket
import threading
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connections
from django.utils import timezone

from clashes import delivery, services
from clashes.models import (
    Clash,
    ClashNotification,
    NotificationMode,
    NotificationPreference,
    NotificationStatus,
)
from clashes.suggestions import clash_suggestions
from tests.clashes.clash_support import at, make_event, two_sides
from tests.factories import ConstituencyFactory

pytestmark = pytest.mark.django_db


def make_clash(title_a="Saturday stall", title_b="Stop Brexit rally", day=0):
    branch, pro_eu, branch_org, pro_eu_org = two_sides()
    seat = ConstituencyFactory(name="Bristol Central")
    make_event(branch, start=at(day, 10), constituency=seat, title=title_a)
    b = make_event(pro_eu, start=at(day, 11), constituency=seat, title=title_b)
    services.event_clashes_check(event_id=b.pk)
    return Clash.objects.get(event_b=b), branch_org, pro_eu_org


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_delivery_sends_each_row_once_and_marks_it_sent():
    clash, branch_org, pro_eu_org = make_clash()
    report = delivery.clash_notifications_deliver()
    assert len(report.sent) == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([branch_org.email, pro_eu_org.email])
    rows = ClashNotification.objects.filter(clash=clash)
    assert {row.status for row in rows} == {NotificationStatus.SENT}
    assert all(row.sent_at and row.attempts == 1 and row.claim_token is None for row in rows)
    assert {m.extra_headers["Message-ID"] for m in mail.outbox} == {
        delivery.notification_message_id(row.pk) for row in rows
    }
    # Running it again sends nothing.
    assert delivery.clash_notifications_deliver().sent == []
    assert len(mail.outbox) == 2


@time_machine.travel(at(-2), tick=True)  # suggestions look at the next 14 days
def test_email_shows_both_events_link_suggestions_and_unsubscribe(settings):
    settings.SITE_URL = "https://alliance.example"
    clash, branch_org, _ = make_clash(
        title_a="Stall <script>alert(1)</script>", title_b="Rally\r\nBcc: evil@example.org"
    )
    delivery.clash_notifications_deliver()
    message = next(m for m in mail.outbox if m.to == [branch_org.email])
    # Header-safe subject: no CR/LF from the title, even though the title had them.
    assert "\n" not in message.subject and "\r" not in message.subject
    assert "Rally Bcc: evil@example.org" in message.subject
    assert message.to == [branch_org.email] and message.bcc == []
    text = message.body
    html = message.alternatives[0][0]
    assert message.alternatives[0][1] == "text/html"
    clash_url = f"https://alliance.example/events/clashes/{clash.pk}/"
    for body in (text, html):
        assert clash_url in body
        assert "https://alliance.example/events/clashes/unsubscribe/" in body
        assert "Free slots for" in body
        assert "Bristol Central" in body
    assert "Stall <script>alert(1)</script>" in text
    assert "<script>" not in html and "Stall &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert message.extra_headers["List-Unsubscribe"].startswith(
        "<https://alliance.example/events/clashes/unsubscribe/"
    )
    # The three suggestions are real: none of them clashes with anything.
    suggestions = clash_suggestions(clash=clash)
    assert 1 <= len(suggestions) <= 3


def test_suggestions_skip_slots_that_would_clash():
    clash, *_ = make_clash(day=0)
    now = at(-1)
    moved = clash.event_b  # created last
    first = clash_suggestions(clash=clash, now=now)
    assert first and first[0].starts_at - moved.starts_at in (
        timedelta(hours=-3),
        timedelta(hours=3),
    )
    # Fill every first suggestion's slot with another branch event in the same seat.
    for slot in first:
        make_event(
            clash.event_a.group,
            start=slot.starts_at,
            hours=(slot.ends_at - slot.starts_at).total_seconds() / 3600,
            constituency=clash.event_a.constituency,
        )
    second = clash_suggestions(clash=clash, now=now)
    assert not {s.starts_at for s in first} & {s.starts_at for s in second}
    assert len(second) == 3
    assert all(now < slot.starts_at <= now + timedelta(days=14) for slot in second)


def test_smtp_failure_gives_rows_back_with_backoff_then_they_go(settings, smtp_sink):
    make_clash()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = closed_port()
    report = delivery.clash_notifications_deliver()
    assert report.sent == [] and len(report.failed) == 2
    assert report.retry_in == settings.CLASH_OUTBOX_RETRY_BASE_SECONDS
    rows = list(ClashNotification.objects.all())
    assert all(r.status == NotificationStatus.PENDING and r.attempts == 1 for r in rows)
    assert all(r.next_attempt_at > timezone.now() and r.last_error for r in rows)
    # Not due yet: nothing is claimed.
    settings.EMAIL_PORT = smtp_sink.port
    assert delivery.clash_notifications_deliver().sent == []
    ClashNotification.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert len(delivery.clash_notifications_deliver().sent) == 2
    assert len(smtp_sink.wait_for(2)) == 2
    assert all(r.attempts == 2 for r in ClashNotification.objects.all())


def test_backoff_doubles_and_rows_fail_after_the_last_attempt(settings):
    make_clash()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = closed_port()
    delays = []
    for _ in range(delivery.MAX_ATTEMPTS):
        ClashNotification.objects.filter(status="pending").update(next_attempt_at=None)
        delays.append(delivery.clash_notifications_deliver().retry_in)
    base = settings.CLASH_OUTBOX_RETRY_BASE_SECONDS
    assert delays[:3] == [base, base * 2, base * 4]
    assert delays[-1] is None
    assert set(ClashNotification.objects.values_list("status", flat=True)) == {"failed"}


def test_rows_of_a_dead_worker_are_reclaimed_only_when_stale(settings):
    make_clash()
    # A worker claimed both rows and died before sending.
    ClashNotification.objects.update(
        status=NotificationStatus.SENDING,
        claim_token="00000000-0000-0000-0000-000000000001",
        claimed_at=timezone.now() - timedelta(seconds=10),
        attempts=1,
    )
    settings.CLASH_OUTBOX_RECLAIM_SECONDS = 60
    assert delivery.clash_notifications_deliver().sent == []
    assert mail.outbox == []
    settings.CLASH_OUTBOX_RECLAIM_SECONDS = 5
    assert len(delivery.clash_notifications_deliver().sent) == 2
    assert len(mail.outbox) == 2
    assert all(r.attempts == 2 for r in ClashNotification.objects.all())


def test_an_old_claim_holder_cannot_mark_a_reclaimed_row_sent():
    make_clash()
    import uuid

    old, new = uuid.uuid4(), uuid.uuid4()
    claimed = delivery._claim(mode="immediate", limit=10, token=old)
    ids = [i for i, _ in claimed]
    ClashNotification.objects.update(claim_token=new)  # reclaimed by another worker
    assert delivery._mark_sent(ids, old) == 0
    assert delivery._mark_sent(ids, new) == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_never_send_a_row_twice():
    for day in range(4):
        make_clash(day=day * 3)
    assert ClashNotification.objects.count() == 8
    barrier = threading.Barrier(3)

    def run():
        try:
            barrier.wait()
            delivery.clash_notifications_deliver(batch_size=3)
            delivery.clash_notifications_deliver(batch_size=3)
            delivery.clash_notifications_deliver(batch_size=3)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [m.extra_headers["Message-ID"] for m in mail.outbox]
    assert len(ids) == 8 and len(set(ids)) == 8
    assert set(ClashNotification.objects.values_list("status", flat=True)) == {"sent"}


def test_off_also_settles_rows_a_dead_worker_left_sending(settings):
    clash, branch_org, _ = make_clash()
    ClashNotification.objects.update(
        status=NotificationStatus.SENDING,
        claim_token="00000000-0000-0000-0000-000000000002",
        claimed_at=timezone.now() - timedelta(seconds=settings.CLASH_OUTBOX_RECLAIM_SECONDS + 1),
    )
    NotificationPreference.objects.create(user=branch_org, clash_emails=NotificationMode.OFF)
    report = delivery.clash_notifications_deliver()
    assert report.skipped == 1 and len(report.sent) == 1
    assert ClashNotification.objects.get(recipient=branch_org).status == "skipped"


def test_off_skips_and_digest_waits_for_the_daily_email():
    clash, branch_org, pro_eu_org = make_clash()
    NotificationPreference.objects.create(user=branch_org, clash_emails=NotificationMode.OFF)
    NotificationPreference.objects.create(user=pro_eu_org, clash_emails=NotificationMode.DIGEST)
    report = delivery.clash_notifications_deliver()
    assert report.sent == [] and report.skipped == 1
    assert mail.outbox == []
    assert ClashNotification.objects.get(recipient=branch_org).status == "skipped"

    # A second clash for the digest reader: one digest covers both.
    second = make_event(
        clash.event_a.group, start=clash.event_b.starts_at, constituency=clash.event_b.constituency
    )
    services.event_clashes_check(event_id=second.pk)
    digest = delivery.clash_digest_send()
    assert len(digest.sent) == 2
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [pro_eu_org.email]
    assert message.subject == "[Alliance] 2 new event clashes"
    assert message.extra_headers["Message-ID"].startswith("<clash-digest-")
    assert f"/events/clashes/{clash.pk}/" in message.body
    rows = ClashNotification.objects.filter(recipient=pro_eu_org)
    assert all(r.status == "sent" and r.via_digest for r in rows)
    assert delivery.clash_digest_send().sent == []
    assert len(mail.outbox) == 1


def test_unsubscribe_token_round_trip_and_tampering():
    token = delivery.unsubscribe_token(42)
    assert delivery.unsubscribe_user_id(token) == 42
    assert delivery.unsubscribe_user_id(token[:-2] + "xx") is None
    assert delivery.unsubscribe_user_id("nonsense") is None


@pytest.mark.django_db(transaction=True)  # reconnecting must not be inside a test transaction
def test_a_database_restart_after_the_send_does_not_send_the_row_again(monkeypatch):
    """The SMTP server took the message, then PostgreSQL restarted while the row was being
    marked sent (found by bench/faults). Marking is retried, so no reclaim re-sends it."""
    from django.db import OperationalError
    from django.db.models import QuerySet

    clash, _, _ = make_clash()
    real_update = QuerySet.update
    failures = {"left": 1}

    def update_failing_once(queryset, **values):
        if values.get("status") == NotificationStatus.SENT and failures["left"]:
            failures["left"] -= 1
            raise OperationalError("terminating connection due to administrator command")
        return real_update(queryset, **values)

    monkeypatch.setattr(QuerySet, "update", update_failing_once)
    monkeypatch.setattr("alliance.retry.time.sleep", lambda seconds: None)

    report = delivery.clash_notifications_deliver()

    assert failures["left"] == 0
    assert len(report.sent) == 2
    assert len(mail.outbox) == 2
    assert set(ClashNotification.objects.filter(clash=clash).values_list("status", flat=True)) == {
        NotificationStatus.SENT
    }
