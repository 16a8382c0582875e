"""Conversation and proposal services against the real PostgreSQL: who is emailed what,
through the outbox, exactly once."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.services import user_data_export, user_delete
from conversations import services
from conversations.digest import digest_key, digest_send_weekly, digest_week
from conversations.models import (
    Answer,
    ConversationStatus,
    DigestSubscription,
    EmailMode,
    Participant,
    Position,
    Post,
    ProposalStatus,
)
from outbox.models import OutboxEmail


def keys(prefix: str) -> set[str]:
    return set(OutboxEmail.objects.filter(key__startswith=prefix).values_list("key", flat=True))


def emails_to(user, prefix: str = "") -> list[OutboxEmail]:
    return list(OutboxEmail.objects.filter(to_email=user.email, key__startswith=prefix))


def test_invitation_emails_each_invitee_once_with_a_link(cast, conversation):
    invited = emails_to(cast.pro_eu_organiser, "conversation-invite:")
    assert len(invited) == 1
    assert conversation.get_absolute_url() in invited[0].body_text
    assert "List-Unsubscribe" in invited[0].headers
    assert emails_to(cast.pro_eu_member) == [], "members only when the organiser chooses"
    # Inviting the same group again adds and emails nobody.
    services.conversation_invite(
        conversation=conversation, inviter=cast.staffer, groups=[cast.pro_eu]
    )
    assert len(emails_to(cast.pro_eu_organiser, "conversation-invite:")) == 1


def test_inviting_members_and_party_staff(cast, conversation):
    added = services.conversation_invite(
        conversation=conversation,
        inviter=cast.staffer,
        groups=[cast.pro_eu],
        parties=[cast.other_staff.party_staff_roles.get().party],
        include_members=True,
    )
    assert {p.user for p in added} == {cast.pro_eu_member, cast.other_staff}


def test_a_reply_emails_instant_participants_but_not_the_author(cast, conversation):
    post = services.post_create(
        conversation=conversation, author=cast.pro_eu_organiser, body="Yes!"
    )
    assert keys("post:") == {f"post:{post.pk}:{cast.staffer.pk}"}
    Participant.objects.filter(user=cast.staffer).update(email_mode=EmailMode.NONE)
    services.post_create(conversation=conversation, author=cast.pro_eu_organiser, body="Again")
    assert len(keys("post:")) == 1


def test_replies_are_escaped_in_the_email_html(cast, conversation):
    services.post_create(
        conversation=conversation, author=cast.pro_eu_organiser, body="<script>alert(1)</script>"
    )
    email = emails_to(cast.staffer, "post:")[0]
    assert "<script>" not in email.body_html
    assert "&lt;script&gt;" in email.body_html
    assert "<script>alert(1)</script>" in email.body_text


@pytest.mark.parametrize("body", ["", "   ", "x" * 5001])
def test_empty_or_huge_replies_are_refused(cast, conversation, body):
    with pytest.raises(ValidationError):
        services.post_create(conversation=conversation, author=cast.staffer, body=body)


def test_a_closed_conversation_keeps_everything_and_takes_no_replies(cast, conversation):
    services.conversation_close(conversation=conversation, user=cast.staffer)
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.CLOSED
    with pytest.raises(ValidationError):
        services.post_create(conversation=conversation, author=cast.staffer, body="Late")
    assert Post.objects.filter(conversation=conversation).count() == 1


def test_the_only_organiser_cannot_leave_but_others_can(cast, conversation):
    staffer = Participant.objects.get(user=cast.staffer)
    with pytest.raises(ValidationError):
        services.participant_leave(participant=staffer)
    guest = Participant.objects.get(user=cast.pro_eu_organiser)
    services.participant_leave(participant=guest)
    services.post_create(conversation=conversation, author=cast.staffer, body="Still here?")
    assert keys("post:") == set(), "someone who left gets no emails"


def _proposal(cast, conversation, days=3):
    return services.proposal_create(
        conversation=conversation,
        proposer=cast.staffer,
        statement="North wards for us, south for you",
        details="",
        deadline=timezone.now() + timedelta(days=days),
    )


def test_answers_change_until_the_deadline_then_not(cast, conversation):
    proposal = _proposal(cast, conversation)
    services.answer_set(
        proposal=proposal, user=cast.pro_eu_organiser, position="agree", reason="Fine"
    )
    services.answer_set(
        proposal=proposal, user=cast.pro_eu_organiser, position="block", reason="Wait, no"
    )
    answer = Answer.objects.get()
    assert (answer.position, answer.reason) == (Position.BLOCK, "Wait, no")
    services.proposals_close_due(now=proposal.deadline + timedelta(seconds=1))
    with pytest.raises(ValidationError):
        services.answer_set(
            proposal=proposal, user=cast.pro_eu_organiser, position="agree", reason="Late"
        )


@pytest.mark.parametrize("reason", ["", "x" * 1001])
def test_an_answer_needs_a_reason_of_sensible_size(cast, conversation, reason):
    proposal = _proposal(cast, conversation)
    with pytest.raises(ValidationError):
        services.answer_set(
            proposal=proposal, user=cast.pro_eu_organiser, position="agree", reason=reason
        )


def test_one_reminder_a_day_before_to_those_who_have_not_answered(cast, conversation):
    services.conversation_invite(
        conversation=conversation, inviter=cast.staffer, groups=[cast.pro_eu], include_members=True
    )
    proposal = _proposal(cast, conversation, days=2)
    services.answer_set(proposal=proposal, user=cast.pro_eu_member, position="agree", reason="Ok")
    assert services.proposals_remind() == 0, "not yet: two days to go"
    later = proposal.deadline - timedelta(hours=20)
    assert services.proposals_remind(now=later) == 2  # the staffer and the pro-EU organiser
    assert services.proposals_remind(now=later) == 0
    assert services.proposals_remind(now=later + timedelta(hours=1)) == 0
    assert keys("proposal-reminder:") == {
        f"proposal-reminder:{proposal.pk}:{cast.staffer.pk}",
        f"proposal-reminder:{proposal.pk}:{cast.pro_eu_organiser.pk}",
    }


def test_closing_at_the_deadline_then_one_outcome_email_each(cast, conversation):
    proposal = _proposal(cast, conversation)
    with pytest.raises(ValidationError):
        services.proposal_outcome_record(proposal=proposal, user=cast.staffer, outcome="Early")
    assert services.proposals_close_due() == []
    closed = services.proposals_close_due(now=proposal.deadline)
    assert closed == [proposal.pk]
    assert services.proposals_close_due(now=proposal.deadline) == []
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.CLOSED
    assert keys("proposal-closed:") == {f"proposal-closed:{proposal.pk}"}
    services.proposal_outcome_record(proposal=proposal, user=cast.staffer, outcome="Agreed: split")
    with pytest.raises(ValidationError):
        services.proposal_outcome_record(proposal=proposal, user=cast.staffer, outcome="Again")
    assert keys("proposal-outcome:") == {
        f"proposal-outcome:{proposal.pk}:{cast.staffer.pk}",
        f"proposal-outcome:{proposal.pk}:{cast.pro_eu_organiser.pk}",
    }


def test_deadlines_must_be_in_the_future_and_not_too_far(cast, conversation):
    for deadline in (timezone.now() - timedelta(hours=1), timezone.now() + timedelta(days=400)):
        with pytest.raises(ValidationError):
            services.proposal_create(
                conversation=conversation,
                proposer=cast.staffer,
                statement="x",
                details="",
                deadline=deadline,
            )


def test_daily_summary_once_a_day_with_new_posts(cast, conversation):
    participant = Participant.objects.get(user=cast.staffer)
    services.participant_email_mode_set(participant=participant, email_mode=EmailMode.DAILY)
    services.post_create(conversation=conversation, author=cast.pro_eu_organiser, body="News")
    assert keys("post:") == set(), "daily, not instant"
    now = timezone.now() + timedelta(minutes=1)
    assert services.daily_summaries_send(now=now) == 1
    assert services.daily_summaries_send(now=now) == 0
    email = emails_to(cast.staffer, "daily:")[0]
    assert "News" in email.body_text


def test_unsubscribe_links_are_signed_and_turn_emails_off(cast, conversation):
    token = services.unsubscribe_token(
        user_id=cast.pro_eu_organiser.pk, what=f"conversation:{conversation.pk}"
    )
    assert services.unsubscribe_token_read(token + "x") is None
    assert services.unsubscribe_apply(token=token)
    assert Participant.objects.get(user=cast.pro_eu_organiser).email_mode == EmailMode.NONE
    DigestSubscription.objects.create(user=cast.staffer, weekly=True)
    services.unsubscribe_apply(
        token=services.unsubscribe_token(user_id=cast.staffer.pk, what="digest")
    )
    assert not DigestSubscription.objects.get(user=cast.staffer).weekly


def test_weekly_digest_once_per_subscriber_per_week(cast, conversation):
    proposal = _proposal(cast, conversation)
    for user in (cast.staffer, cast.pro_eu_organiser, cast.outsider):
        services.digest_subscription_set(user=user, weekly=True)
    now = timezone.now()
    assert digest_send_weekly(now=now) == 2, "the outsider has nothing to hear about"
    assert digest_send_weekly(now=now) == 0
    week = digest_week(now)
    email = OutboxEmail.objects.get(key=digest_key(cast.pro_eu_organiser.pk, week))
    assert proposal.statement in email.body_text
    assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert digest_send_weekly(now=now + timedelta(days=7)) == 2, "next week, a new one"


def test_deleting_an_account_keeps_posts_as_a_former_member(cast, conversation):
    proposal = _proposal(cast, conversation)
    services.post_create(
        conversation=conversation, author=cast.pro_eu_organiser, body="Secret plan"
    )
    services.answer_set(
        proposal=proposal, user=cast.pro_eu_organiser, position="agree", reason="Mine"
    )
    data = user_data_export(user=cast.pro_eu_organiser)["conversations"]
    assert [p["body"] for p in data["posts"]] == ["Secret plan"]
    assert data["answers"][0]["reason"] == "Mine"
    user_delete(user=cast.pro_eu_organiser)
    post = Post.objects.get(body="", is_erased=True)
    assert post.author is None
    assert not Post.objects.filter(body="Secret plan").exists()
    answer = Answer.objects.get()
    assert (answer.user, answer.reason, answer.position) == (None, "", Position.AGREE)
