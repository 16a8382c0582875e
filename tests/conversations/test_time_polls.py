"""Time polls ("when shall we meet?"): the best-slot rule, votes changeable until the deadline,
the same reminder, close and outcome machinery as proposals (each email once), the page for
participants and nobody else, and the answers in the account's export and erase."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.services import user_data_export, user_delete
from conversations import services
from conversations.models import PollVote
from conversations.polls import slots_tally
from outbox.models import OutboxEmail
from tests.conversations.conftest import remind_close_and_record

T1 = datetime(2030, 5, 1, 18, 0, tzinfo=UTC)
T2 = datetime(2030, 5, 2, 18, 0, tzinfo=UTC)
T3 = datetime(2030, 5, 3, 18, 0, tzinfo=UTC)


def test_the_best_slot_has_most_yes_then_most_if_need_be_then_fewest_no():
    options = [(1, T1), (2, T2), (3, T3)]
    votes = [
        (1, "yes", "Ann"), (1, "no", "Bob"), (1, "no", "Cy"),
        (2, "yes", "Ann"), (2, "maybe", "Bob"), (2, "no", "Cy"),
        (3, "yes", "Ann"), (3, "maybe", "Bob"), (3, "maybe", "Cy"),
    ]  # fmt: skip
    rows = slots_tally(options, votes)
    assert [row.option_id for row in rows] == [1, 2, 3], "in time order"
    assert [row.best for row in rows] == [False, False, True]
    assert rows[2].if_need_be == ["Bob", "Cy"] and rows[0].no == ["Bob", "Cy"]


def test_equal_slots_are_all_best_and_nobody_available_means_no_best():
    tied = slots_tally([(1, T1), (2, T2)], [(1, "yes", "Ann"), (2, "yes", "Bob")])
    assert [row.best for row in tied] == [True, True]
    nobody = slots_tally([(1, T1), (2, T2)], [(1, "no", "Ann"), (2, "no", "Ann")])
    assert not any(row.best for row in nobody)
    assert not any(row.best for row in slots_tally([(1, T1)], []))


def _poll(cast, conversation, *, days=2):
    now = timezone.now()
    return services.proposal_create(
        conversation=conversation,
        proposer=cast.staffer,
        statement="When shall we meet?",
        details="",
        deadline=now + timedelta(days=days),
        options=[now + timedelta(days=5), now + timedelta(days=6)],
    )


def _votes(poll, *values):
    return dict(zip(poll.options.values_list("pk", flat=True), values, strict=True))


def test_a_poll_offers_two_to_twelve_future_times(cast, conversation):
    now = timezone.now()
    for options in ([now + timedelta(days=1)], [now - timedelta(days=1), now + timedelta(days=2)]):
        with pytest.raises(ValidationError):
            services.proposal_create(
                conversation=conversation, proposer=cast.staffer, statement="When?",
                details="", deadline=now + timedelta(days=1), options=options,
            )  # fmt: skip
    poll = _poll(cast, conversation)
    assert poll.is_time_poll and poll.options.count() == 2
    assert OutboxEmail.objects.filter(key=f"proposal-new:{poll.pk}:{cast.pro_eu_organiser.pk}")


def test_votes_change_until_the_deadline_and_cover_every_time(cast, conversation):
    poll = _poll(cast, conversation)
    organiser = cast.pro_eu_organiser
    services.poll_votes_set(proposal=poll, user=organiser, votes=_votes(poll, "yes", "no"))
    services.poll_votes_set(proposal=poll, user=organiser, votes=_votes(poll, "no", "maybe"))
    assert sorted(PollVote.objects.values_list("availability", flat=True)) == ["maybe", "no"]
    with pytest.raises(ValidationError):
        services.poll_votes_set(
            proposal=poll, user=organiser, votes=dict([*_votes(poll, "yes", "yes").items()][:1])
        )
    with pytest.raises(ValidationError):
        services.poll_votes_set(proposal=poll, user=organiser, votes=_votes(poll, "yes", "perhaps"))
    with pytest.raises(ValidationError):
        services.answer_set(proposal=poll, user=organiser, position="agree", reason="x")
    poll.deadline = timezone.now() - timedelta(minutes=1)
    poll.save()
    with pytest.raises(ValidationError):
        services.poll_votes_set(proposal=poll, user=organiser, votes=_votes(poll, "yes", "yes"))


def test_reminder_to_those_who_have_not_voted_then_close_and_one_outcome_each(cast, conversation):
    poll = _poll(cast, conversation, days=1)
    services.poll_votes_set(
        proposal=poll, user=cast.pro_eu_organiser, votes=_votes(poll, "maybe", "yes")
    )
    outcomes = remind_close_and_record(
        cast, conversation, poll, answered_by=cast.pro_eu_organiser, outcome="We meet then."
    )
    best = timezone.localtime(poll.options.order_by("starts_at")[1].starts_at)
    assert f"Best time: {best:%a} {best.day} {best:%b %Y, %H:%M}" in outcomes.first().body_text


def test_a_participant_puts_and_answers_a_poll_over_http(client, cast, conversation):
    client.force_login(cast.pro_eu_organiser)
    url = f"/conversations/{conversation.pk}/polls/new/"
    assert client.get(url).status_code == 200
    when = timezone.localtime(timezone.now() + timedelta(days=4))
    fields = {
        "statement": "Canvass planning <b>meeting</b>",
        "deadline": (when - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        "option_1": when.strftime("%Y-%m-%dT%H:%M"),
    }
    assert client.post(url, fields).status_code == 400, "two times at least"
    fields["option_2"] = (when + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, fields)
    assert response.status_code == 302
    page_url = response["Location"]
    page = client.get(page_url).content.decode()
    assert "Which times can you make?" in page and "&lt;b&gt;meeting" in page
    poll_pk = int(page_url.rstrip("/").rsplit("/", 1)[1])
    option_1, option_2 = (
        PollVote._meta.get_field("option")
        .related_model.objects.filter(proposal_id=poll_pk)
        .values_list("pk", flat=True)
    )
    vote_url = f"/conversations/proposals/{poll_pk}/vote/"
    assert client.post(vote_url, {f"option-{option_1}": "yes"}).status_code == 400
    response = client.post(vote_url, {f"option-{option_1}": "no", f"option-{option_2}": "yes"})
    assert response.status_code == 302
    page = client.get(page_url).content.decode()
    assert "best so far" in page and "Paula Pro-EU" in page
    assert "time poll" in client.get(conversation.get_absolute_url()).content.decode()


def test_a_proposal_is_not_a_poll_to_vote_in(client, cast, conversation):
    proposal = services.proposal_create(
        conversation=conversation, proposer=cast.staffer, statement="Merge", details="",
        deadline=timezone.now() + timedelta(days=2),
    )  # fmt: skip
    client.force_login(cast.pro_eu_organiser)
    assert client.post(f"/conversations/proposals/{proposal.pk}/vote/", {}).status_code == 404


def test_poll_answers_are_exported_and_kept_without_a_name_on_erase(cast, conversation):
    poll = _poll(cast, conversation)
    organiser = cast.pro_eu_organiser
    services.poll_votes_set(proposal=poll, user=organiser, votes=_votes(poll, "yes", "no"))
    exported = user_data_export(user=organiser)["conversations"]["time_poll_answers"]
    assert [row["answer"] for row in exported] == ["yes", "no"]
    assert exported[0]["poll"] == "When shall we meet?"
    user_delete(user=organiser)
    assert PollVote.objects.count() == 2
    assert not PollVote.objects.filter(user__isnull=False).exists()
    rows = services.poll_tally(poll)
    assert [len(row.yes) for row in rows] == [1, 0]
