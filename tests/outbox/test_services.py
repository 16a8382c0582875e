"""The outbox without a worker: enqueue (idempotency, headers, escaping) and the sender's
claim, mark and retry rules, against the real PostgreSQL."""

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from outbox.emails import email_absolute_url, email_subject
from outbox.models import OutboxEmail, OutboxStatus
from outbox.services import (
    MAX_ATTEMPTS,
    email_enqueue,
    email_message_id,
    outbox_deliver,
)

pytestmark = pytest.mark.django_db


def enqueue(template, key="k:1", to="pat@example.org", **kwargs):
    defaults = {
        "subject": "Hello",
        "context": {"name": "Pat", "note": "A note", "link": "https://x.test/a"},
    }
    return email_enqueue(key=key, to=to, template=template, **{**defaults, **kwargs})


def test_the_same_key_is_enqueued_once(email_template, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        first = enqueue(email_template)
        second = enqueue(email_template, subject="Changed")
        third = enqueue(email_template, key="k:2")
    assert first is not None and first.pk
    assert second is None
    assert third is not None
    assert OutboxEmail.objects.count() == 2
    assert OutboxEmail.objects.get(key="k:1").subject == "[Alliance] Hello"
    assert len(callbacks) == 1, "one delivery run per transaction, however many emails"


def test_a_rolled_back_savepoint_still_queues_delivery_for_later_emails(
    email_template, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        try:
            with transaction.atomic():
                enqueue(email_template, key="gone")
                raise RuntimeError("the caller failed")
        except RuntimeError:
            pass
        enqueue(email_template, key="kept")
    assert list(OutboxEmail.objects.values_list("key", flat=True)) == ["kept"]
    assert len(callbacks) == 1


def test_enqueue_many_writes_each_key_once(email_template, django_capture_on_commit_callbacks):
    from outbox.services import email_enqueue_many

    def spec(key, to):
        return {
            "key": key,
            "to": to,
            "subject": "Digest",
            "template": email_template,
            "context": {"name": "<i>x</i>", "note": "n", "link": "/"},
            "unsubscribe_url": "https://x.test/u/1/",
        }

    with django_capture_on_commit_callbacks() as callbacks:
        enqueue(email_template, key="d:1")
        written = email_enqueue_many(
            emails=[spec("d:1", "a@example.org"), spec("d:2", "b@example.org")]
        )
    assert written == ["d:2"]
    assert email_enqueue_many(emails=[spec("d:2", "b@example.org")]) == []
    row = OutboxEmail.objects.get(key="d:2")
    assert row.subject == "[Alliance] Digest"
    assert "&lt;i&gt;x&lt;/i&gt;" in row.body_html
    assert row.headers["List-Unsubscribe"] == "<https://x.test/u/1/>"
    assert len(callbacks) == 1


def test_enqueue_refuses_to_run_outside_a_transaction(email_template, transactional_db):
    with pytest.raises(RuntimeError):
        enqueue(email_template)


def test_delivery_is_queued_only_after_commit(email_template, django_capture_on_commit_callbacks):
    from outbox.tasks import outbox_deliver_task

    calls = []
    original = outbox_deliver_task.delay
    outbox_deliver_task.delay = lambda *a, **k: calls.append(a)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            enqueue(email_template)
        assert calls == [], "nothing is queued before the commit"
        for callback in callbacks:
            callback()
    finally:
        outbox_deliver_task.delay = original
    assert calls == [()]


def test_html_is_escaped_and_text_is_not(email_template):
    email = enqueue(
        email_template,
        context={"name": "<b>Bob</b> & co", "note": "<script>x()</script>", "link": "/p/"},
    )
    assert "&lt;script&gt;x()&lt;/script&gt;" in email.body_html
    assert "<script>" not in email.body_html
    assert "&lt;b&gt;Bob&lt;/b&gt; &amp; co" in email.body_html
    assert "Hello <b>Bob</b> & co," in email.body_text  # plain text shows what was typed
    assert "&amp;" not in email.body_text
    assert "on Alliance (http" in email.body_text  # site_name and site_url are given


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Hello", "[Alliance] Hello"),
        ("[Alliance] Hello", "[Alliance] Hello"),
        ("Hi\r\nBcc: victim@example.org", "[Alliance] Hi Bcc: victim@example.org"),
        ("x" * 400, "[Alliance] " + "x" * 149 + "…"),
    ],
)
def test_one_subject_policy(subject, expected):
    assert email_subject(subject) == expected


def test_subject_and_recipient_cannot_add_headers(email_template):
    email = enqueue(email_template, subject="Hi\nBcc: victim@example.org")
    outbox_deliver()
    sent = mail.outbox[0].message()
    assert sent["Subject"] == "[Alliance] Hi Bcc: victim@example.org"
    assert sent["Bcc"] is None
    assert email.to_email == "pat@example.org"


def test_unsubscribe_headers_and_links_in_both_bodies(email_template, settings):
    settings.SITE_URL = "https://alliance.example"
    email = enqueue(email_template, unsubscribe_url="/conversations/unsubscribe/abc/")
    url = "https://alliance.example/conversations/unsubscribe/abc/"
    assert email.headers == {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    assert url in email.body_text
    assert f'href="{url}"' in email.body_html
    assert email.body_html.index(url) < email.body_html.index("</body>")
    outbox_deliver()
    sent = mail.outbox[0].message()
    assert sent["List-Unsubscribe"] == f"<{url}>"
    assert sent["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_without_unsubscribe_url_there_is_no_header(email_template):
    email = enqueue(email_template)
    assert email.headers == {}
    assert "Unsubscribe" not in email.body_text


def test_an_unsubscribe_url_with_a_line_break_is_refused(email_template):
    with pytest.raises(ValueError):
        enqueue(email_template, unsubscribe_url="https://x.test/u/\r\nBcc: a@b.c")
    assert not OutboxEmail.objects.exists()


def test_absolute_url(settings):
    settings.SITE_URL = "https://alliance.example"
    assert email_absolute_url("/seats/x/") == "https://alliance.example/seats/x/"
    assert email_absolute_url("seats/x/") == "https://alliance.example/seats/x/"
    assert email_absolute_url("https://other.test/") == "https://other.test/"


def test_delivery_sends_once_with_a_stable_message_id(email_template):
    enqueue(email_template, key="a")
    enqueue(email_template, key="b", to="sam@example.org")
    report = outbox_deliver()
    assert len(report.sent) == 2
    assert [m.to for m in mail.outbox] == [["pat@example.org"], ["sam@example.org"]]
    assert mail.outbox[0].extra_headers["Message-ID"] == email_message_id("a")
    assert email_message_id("a") == email_message_id("a") != email_message_id("b")
    assert set(OutboxEmail.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}
    assert outbox_deliver().sent == []
    assert len(mail.outbox) == 2


def test_a_fresh_claim_is_left_alone_and_a_stale_one_is_sent(email_template):
    enqueue(email_template, key="a")
    OutboxEmail.objects.update(status=OutboxStatus.SENDING, claimed_at=timezone.now(), attempts=1)
    assert outbox_deliver().sent == [], "another sender may still be sending it"
    OutboxEmail.objects.update(claimed_at=timezone.now() - timedelta(minutes=7))
    assert len(outbox_deliver().sent) == 1
    row = OutboxEmail.objects.get()
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)
    assert len(mail.outbox) == 1


def test_only_the_claim_holder_marks_sent(email_template, monkeypatch):
    """A sender whose claim was taken over (it was presumed dead) does not mark the row."""
    from outbox import services

    enqueue(email_template, key="a")
    original = services._send_batch

    def stolen(ids, token, report):
        OutboxEmail.objects.filter(pk__in=ids).update(claim_token=None)
        original(ids, token, report)

    monkeypatch.setattr(services, "_send_batch", stolen)
    assert outbox_deliver().sent == []
    assert OutboxEmail.objects.get().status == OutboxStatus.SENDING


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        return True

    def close(self):
        pass

    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("gone")


def test_smtp_errors_back_off_then_fail(email_template, settings):
    enqueue(email_template, key="a")
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    report = outbox_deliver()
    row = OutboxEmail.objects.get()
    assert report.failed == [row.pk]
    assert report.retry_in == 30
    assert row.status == OutboxStatus.PENDING
    assert row.next_attempt_at > timezone.now() + timedelta(seconds=25)
    assert "gone" in row.last_error
    assert outbox_deliver().failed == [], "not due again before the backoff"
    for _attempt in range(2, MAX_ATTEMPTS + 1):
        OutboxEmail.objects.update(next_attempt_at=timezone.now() - timedelta(hours=1))
        report = outbox_deliver()
        assert report.failed == [row.pk]
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, MAX_ATTEMPTS)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    OutboxEmail.objects.update(next_attempt_at=timezone.now() - timedelta(hours=1))
    assert outbox_deliver().sent == []
    assert mail.outbox == []


def test_personal_data_export_and_erase(email_template):
    from accounts.services import user_data_export, user_delete
    from tests.factories import UserFactory

    pat = UserFactory(email="pat@example.org")
    enqueue(email_template, key="a")
    enqueue(email_template, key="b", to="someone@example.org")
    data = user_data_export(user=pat)
    assert [e["subject"] for e in data["outbox"]] == ["[Alliance] Hello"]
    assert "someone@example.org" not in str(data["outbox"])
    user_delete(user=pat)
    assert list(OutboxEmail.objects.values_list("key", flat=True)) == ["b"]


def test_every_email_names_the_site_with_or_without_an_unsubscribe_link(email_template, settings):
    plain = enqueue(email_template, key="plain")
    listed = enqueue(email_template, key="listed", unsubscribe_url="https://x.test/unsubscribe/t")
    for email in (plain, listed):
        assert f"You get this email from Alliance ({settings.SITE_URL})." in email.body_text
        assert f'<a href="{settings.SITE_URL}">Alliance</a>' in email.body_html
    assert "Unsubscribe" not in plain.body_text and "Unsubscribe" not in plain.body_html
    assert "Unsubscribe in one click: https://x.test/unsubscribe/t" in listed.body_text
