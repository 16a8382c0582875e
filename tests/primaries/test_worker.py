"""A real Celery worker and a real SMTP server: the confirmation email of a registration, the
count run by the beat task after the close, and the result emailed to every party's staff
exactly once even when the task is delivered twice, all through the shared outbox."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from primaries import services
from primaries.models import Primary, PrimaryStatus
from primaries.tasks import primaries_count_due_task
from seats.models import AgreementRole
from tests.primaries.conftest import INSIDE, link_token, set_up

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _env(sink):
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": sink.host,
        "EMAIL_PORT": str(sink.port),
    }


def _move_dates(primary, **offsets_minutes):
    now = timezone.now()
    Primary.objects.filter(pk=primary.pk).update(
        **{name: now + timedelta(minutes=m) for name, m in offsets_minutes.items()}
    )


def test_worker_confirms_counts_and_tells_every_party_once(
    pw, lookup, smtp_sink, celery_worker_factory
):
    worker = celery_worker_factory(_env(smtp_sink))
    primary = set_up(pw)
    _move_dates(  # registration open now
        primary,
        registration_opens_at=-60,
        registration_closes_at=60,
        voting_opens_at=120,
        voting_closes_at=180,
    )
    primary.refresh_from_db()
    services.voter_register(primary=primary, email="w@example.org", postcode=INSIDE)
    [message] = smtp_sink.wait_for(1)  # the outbox row, delivered by the worker
    assert message["to"] == ["w@example.org"]
    body = message["message"].get_payload()[0].get_payload(decode=True).decode()
    services.voter_confirm(token=link_token(body, "/primaries/confirm/"))

    _move_dates(  # voting open now
        primary,
        registration_opens_at=-180,
        registration_closes_at=-120,
        voting_opens_at=-60,
        voting_closes_at=60,
    )
    assert services.ballots_send_due() == 1
    messages = smtp_sink.wait_for(2)
    assert len(messages) == 2, worker.output()
    body = messages[1]["message"].get_payload()[0].get_payload(decode=True).decode()
    token = link_token(body, "/primaries/vote/")
    ld = primary.candidates.get(party=pw.parties[1]).pk
    services.ballot_cast(token=token, ranking=[ld])

    _move_dates(  # closed
        primary,
        registration_opens_at=-240,
        registration_closes_at=-180,
        voting_opens_at=-120,
        voting_closes_at=-1,
    )
    primaries_count_due_task.delay()
    messages = smtp_sink.wait_for(2 + 3)
    assert len(messages) == 5, worker.output()
    primary.refresh_from_db()
    assert primary.status == PrimaryStatus.COUNTED
    assert primary.winner.party == pw.parties[1]
    roles = dict(pw.agreement.parties.values_list("party_id", "role"))
    assert roles[pw.parties[1].pk] == AgreementRole.CARRIES_HOPES
    assert {m["to"][0] for m in messages[2:]} == {u.email for u in pw.staff}

    primaries_count_due_task.delay()  # beat again, or the task delivered twice
    primaries_count_due_task.delay()
    time.sleep(3)
    assert len(smtp_sink.messages) == 5
