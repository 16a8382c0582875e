"""With a real Celery worker (Redis broker) and a real SMTP server on loopback: proposals, time
polls and ranked-choice polls close at their deadline and each participant gets exactly one
outcome email; the weekly digest
sends each subscriber exactly one email, however often its task is delivered."""

import time
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from conversations import services
from conversations.models import Proposal, ProposalStatus
from conversations.tasks import digest_send_weekly_task, proposals_close_due_task
from outbox.tasks import outbox_deliver_task
from tests.factories import GroupFactory, MembershipFactory, UserFactory
from tests.petitions.factories import PetitionFactory

pytestmark = [pytest.mark.worker, pytest.mark.slow]


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


def _seat_conversation(cast, *, title: str, body: str, include_members: bool = True):
    """A Lib Dem staffer's conversation about the seat, the pro-EU group (and its members) in."""
    conversation = services.conversation_open(
        author=cast.staffer,
        title=title,
        scope_kind="seat",
        constituency=cast.seat,
        body=body,
    )
    services.conversation_invite(
        conversation=conversation,
        inviter=cast.staffer,
        groups=[cast.pro_eu],
        include_members=include_members,
    )
    return conversation


def _close_and_deliver_outcome(cast, worker, smtp_sink, proposal, *, outcome: str, people: set):
    """At the deadline the beat task closes the proposal (delivered twice), the proposer
    records `outcome`, and the outbox sends it (asked twice, and once more later): each of
    `people` gets exactly one outcome email. Returns one of them."""
    proposals_close_due_task.delay()
    proposals_close_due_task.delay()  # beat runs twice (or a message is delivered twice)
    assert wait_until(
        lambda: Proposal.objects.get(pk=proposal.pk).status == ProposalStatus.CLOSED
    ), worker.output()[-3000:]
    services.proposal_outcome_record(proposal=proposal, user=cast.staffer, outcome=outcome)
    outbox_deliver_task.delay()
    outbox_deliver_task.delay()
    assert wait_until(lambda: set(received(smtp_sink, "[Alliance] Outcome:")) == people), (
        worker.output()[-3000:]
    )
    proposals_close_due_task.delay()
    outbox_deliver_task.delay()
    time.sleep(2)
    assert received(smtp_sink, "[Alliance] Outcome:") == Counter(dict.fromkeys(people, 1))
    return next(
        m["message"]
        for m in smtp_sink.messages
        if m["message"]["Subject"].startswith("[Alliance] Outcome")
    )


def received(sink, subject_start: str) -> Counter:
    return Counter(
        m["to"][0] for m in sink.messages if m["message"]["Subject"].startswith(subject_start)
    )


def test_proposal_closes_at_the_deadline_and_each_participant_gets_one_outcome(
    cast, celery_worker_factory, smtp_sink
):
    worker = celery_worker_factory(worker_env(smtp_sink.port))
    conversation = _seat_conversation(
        cast, title="Marginalton wards", body="Shall we split the wards?"
    )
    proposal = services.proposal_create(
        conversation=conversation,
        proposer=cast.staffer,
        statement="North wards for us, south for you",
        details="",
        deadline=timezone.now() + timedelta(days=1),
    )
    services.answer_set(
        proposal=proposal, user=cast.pro_eu_organiser, position="agree", reason="Ok"
    )
    Proposal.objects.filter(pk=proposal.pk).update(deadline=timezone.now())  # time passes

    people = {cast.staffer.email, cast.pro_eu_organiser.email, cast.pro_eu_member.email}
    outcome = _close_and_deliver_outcome(
        cast, worker, smtp_sink, proposal, outcome="Agreed: we split the wards.", people=people
    )
    assert received(smtp_sink, "[Alliance] Closed, record the outcome") == Counter(
        {cast.staffer.email: 1}
    )
    assert outcome["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = outcome.get_payload()[0].get_payload(decode=True).decode()
    assert "Agreed: we split the wards." in text and "Ok" in text


def test_weekly_digest_one_email_per_subscriber(db, celery_worker_factory, smtp_sink):
    group = GroupFactory(name="Digest Town for Europe")
    PetitionFactory(group=group, title="Save the library", status="open")
    subscribers = []
    for i in range(30):
        user = UserFactory(email=f"digest{i}@example.org")
        MembershipFactory(user=user, group=group)
        services.digest_subscription_set(user=user, weekly=True)
        subscribers.append(user.email)
    quiet = UserFactory(email="quiet@example.org")
    MembershipFactory(user=quiet, group=group)  # not subscribed
    worker = celery_worker_factory(worker_env(smtp_sink.port))

    digest_send_weekly_task.delay()
    digest_send_weekly_task.delay()  # delivered twice
    assert wait_until(lambda: len(smtp_sink.messages) >= 30), worker.output()[-3000:]
    digest_send_weekly_task.delay()  # and beat's rerun an hour later
    time.sleep(3)
    counts = received(smtp_sink, "[Alliance] Your week in the alliance")
    assert counts == Counter(dict.fromkeys(subscribers, 1))
    message = smtp_sink.messages[0]["message"]
    assert "".join(message["List-Unsubscribe"].split()).startswith("<http")  # folded header
    assert "Save the library" in message.get_payload()[0].get_payload(decode=True).decode()


def test_a_time_poll_closes_at_the_deadline_and_each_participant_gets_one_outcome(
    cast, celery_worker_factory, smtp_sink
):
    worker = celery_worker_factory(worker_env(smtp_sink.port))
    conversation = _seat_conversation(
        cast, title="Marginalton planning", body="When can we all meet?", include_members=False
    )
    now = timezone.now()
    poll = services.proposal_create(
        conversation=conversation,
        proposer=cast.staffer,
        statement="Planning meeting",
        details="",
        deadline=now + timedelta(days=1),
        options=[now + timedelta(days=3), now + timedelta(days=4)],
    )
    first, second = poll.options.values_list("pk", flat=True)
    services.poll_votes_set(
        proposal=poll, user=cast.pro_eu_organiser, votes={first: "no", second: "yes"}
    )
    Proposal.objects.filter(pk=poll.pk).update(deadline=timezone.now())  # time passes

    people = {cast.staffer.email, cast.pro_eu_organiser.email}
    outcome = _close_and_deliver_outcome(
        cast, worker, smtp_sink, poll, outcome="The 2nd it is.", people=people
    )
    text = outcome.get_payload()[0].get_payload(decode=True).decode()
    assert "The 2nd it is." in text and "Best time:" in text


def test_a_ranked_poll_closes_at_the_deadline_and_each_participant_gets_one_outcome(
    cast, celery_worker_factory, smtp_sink
):
    worker = celery_worker_factory(worker_env(smtp_sink.port))
    conversation = _seat_conversation(
        cast, title="Marginalton priorities", body="What do we do first?"
    )
    poll = services.proposal_create(
        conversation=conversation,
        proposer=cast.staffer,
        statement="What first?",
        details="",
        deadline=timezone.now() + timedelta(days=1),
        ranked_options=["Leaflets", "Canvassing", "Phone bank"],
    )
    leaflets, canvassing, phones = poll.ranked_options.values_list("pk", flat=True)
    rankings = {
        cast.staffer: [leaflets, phones, canvassing],
        cast.pro_eu_organiser: [canvassing, phones, leaflets],
        cast.pro_eu_member: [phones, canvassing, leaflets],
    }  # leaflets 1, canvassing 1, phone bank 1: phone bank goes (listed last), then canvassing
    for user, ranking in rankings.items():
        services.ranked_ballot_set(proposal=poll, user=user, ranking=ranking)
    Proposal.objects.filter(pk=poll.pk).update(deadline=timezone.now())  # time passes

    people = {user.email for user in rankings}
    outcome = _close_and_deliver_outcome(
        cast, worker, smtp_sink, poll, outcome="Canvassing first.", people=people
    )
    text = outcome.get_payload()[0].get_payload(decode=True).decode()
    assert "Canvassing first." in text
    assert "Winner (instant run-off, 3 rankings): Canvassing" in text
    assert "First preferences: Leaflets 1; Canvassing 1; Phone bank 1" in text
