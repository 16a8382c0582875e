"""One file with an email (an event's .ics): stored on the row, so a retry after an SMTP
error sends exactly the file that was enqueued; its name cannot add a header line."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from outbox.models import OutboxEmail
from outbox.services import Attachment, email_enqueue, outbox_deliver

pytestmark = pytest.mark.django_db

ICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"


def _enqueue(template, **attachment):
    return email_enqueue(
        key="with-file:1",
        to="pat@example.org",
        subject="Your event",
        template=template,
        context={"name": "Pat", "note": "", "link": "https://x.test/a"},
        attachment=Attachment(
            **{"filename": "event-1.ics", "mimetype": "text/calendar", "content": ICS,
               **attachment}
        ),
    )  # fmt: skip


def test_the_file_is_kept_on_the_row_and_sent_again_after_a_failure(email_template, settings):
    _enqueue(email_template)
    row = OutboxEmail.objects.get()
    assert row.attachment == {
        "filename": "event-1.ics", "mimetype": "text/calendar", "content": ICS,
    }  # fmt: skip
    settings.EMAIL_BACKEND = "tests.outbox.test_services.FailingBackend"
    assert outbox_deliver().failed == [row.pk]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    OutboxEmail.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() - timedelta(1))
    assert outbox_deliver().sent == [row.pk]
    (message,) = mail.outbox
    assert message.attachments == [("event-1.ics", ICS, "text/calendar")]
    raw = message.message().as_string()
    assert 'filename="event-1.ics"' in raw


def test_a_file_name_cannot_add_a_header_line(email_template):
    _enqueue(email_template, filename='evil.ics"\r\nBcc: victim@example.net')
    outbox_deliver()
    (message,) = mail.outbox
    raw = message.message().as_string()
    assert "\nBcc:" not in raw
    assert message.attachments[0][0].startswith("evil.ics")
