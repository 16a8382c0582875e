"""With a real Celery worker process: the confirmation email goes out through SMTP, and the
beat task's count (run by the worker) makes the shown count converge."""

import re
import time

import pytest
from django.urls import reverse

from petitions.models import Milestone, PetitionTally
from petitions.tasks import petitions_count_task
from tests.factories import GroupFactory, UserFactory
from tests.petitions.factories import PetitionFactory, SignatureFactory


def wait_until(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.worker
def test_worker_emails_confirmation_and_counts(client, celery_worker_factory, smtp_sink):
    worker = celery_worker_factory(
        {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": smtp_sink.host,
            "EMAIL_PORT": str(smtp_sink.port),
        }
    )
    petition = PetitionFactory(group=GroupFactory())
    response = client.post(
        reverse("petitions:sign", args=[petition.slug]),
        {"name": "Ada Lovelace", "email": "ada@example.org", "postcode": "SW1A 1AA"},
    )
    assert response.status_code == 302
    messages = smtp_sink.wait_for(1)
    assert messages, worker.output()
    message = messages[0]["message"]
    assert messages[0]["to"] == ["ada@example.org"]
    assert message.is_multipart()  # plain text + HTML
    text = message.get_payload(0).get_payload(decode=True).decode()
    path = re.search(r"https?://[^/\s]+(/petitions/s/[^/\s]+/confirm/)", text).group(1)
    client.post(path)
    petitions_count_task.delay()
    assert wait_until(
        lambda: PetitionTally.objects.filter(petition=petition, confirmed_count=1).exists()
    ), worker.output()


@pytest.mark.worker
def test_worker_tells_organisers_about_a_milestone_once(celery_worker_factory, smtp_sink):
    organiser = UserFactory()
    petition = PetitionFactory(group=GroupFactory(organiser=organiser))
    SignatureFactory.create_batch(100, petition=petition, confirmed=True)
    worker = celery_worker_factory(
        {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": smtp_sink.host,
            "EMAIL_PORT": str(smtp_sink.port),
        }
    )
    petitions_count_task.delay()
    petitions_count_task.delay()
    assert smtp_sink.wait_for(1), worker.output()
    assert wait_until(
        lambda: Milestone.objects.filter(petition=petition, notified_at__isnull=False).exists()
    )
    time.sleep(1)
    assert len(smtp_sink.messages) == 1
    assert smtp_sink.messages[0]["to"] == [organiser.email]


@pytest.mark.worker
def test_worker_tells_a_signer_who_signs_again_by_email_once(
    client, celery_worker_factory, smtp_sink
):
    from petitions.tasks import signature_confirmations_send_task

    worker = celery_worker_factory(
        {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": smtp_sink.host,
            "EMAIL_PORT": str(smtp_sink.port),
        }
    )
    petition = PetitionFactory(group=GroupFactory())
    SignatureFactory(petition=petition, email="ada@example.org", confirmed=True)
    response = client.post(
        reverse("petitions:sign", args=[petition.slug]),
        {"name": "Ada Lovelace", "email": "Ada+again@example.org", "postcode": "SW1A 1AA"},
    )
    assert "state=check-email" in response["Location"]
    messages = smtp_sink.wait_for(1)
    assert messages, worker.output()
    assert messages[0]["to"] == ["ada@example.org"]
    assert "already signed" in messages[0]["message"]["Subject"]
    signature_confirmations_send_task.delay()  # delivered again: nothing more is owed
    signature_confirmations_send_task.delay()
    time.sleep(2)
    assert len(smtp_sink.messages) == 1, worker.output()
