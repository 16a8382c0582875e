"""What conversations hold about a person (see accounts/services.py for the registry).

Deleting an account keeps the conversation readable for everyone else: each post stays as
"a former member" with its text removed, each answer keeps its position (the tally does not
change) with the reason removed, each time-poll answer and ranked-choice ranking keeps
counting without a name;
participations and the digest setting are deleted.
"""

from conversations.dashboard import dashboards_expire
from conversations.fragments import conversation_fragments_expire
from conversations.models import (
    Answer,
    DigestSubscription,
    Participant,
    PollVote,
    Post,
    Proposal,
    RankedBallot,
    RankedOption,
)


def _iso(value):
    return value.isoformat() if value else None


def export(user) -> dict:
    subscription = DigestSubscription.objects.filter(user=user).first()
    return {
        "weekly_digest": bool(subscription and subscription.weekly),
        "conversations": [
            {
                "conversation": p.conversation.title,
                "role": p.role,
                "email_mode": p.email_mode,
                "joined_at": _iso(p.joined_at),
                "left_at": _iso(p.left_at),
            }
            for p in Participant.objects.filter(user=user).select_related("conversation")
        ],
        "posts": [
            {
                "conversation": post.conversation.title,
                "body": post.body,
                "at": _iso(post.created_at),
            }
            for post in Post.objects.filter(author=user, is_erased=False)
            .select_related("conversation")
            .order_by("created_at", "pk")
        ],
        "proposals": [
            {"statement": p.statement, "details": p.details, "outcome": p.outcome}
            for p in Proposal.objects.filter(proposer=user).order_by("created_at", "pk")
        ],
        "answers": [
            {
                "proposal": a.proposal.statement,
                "position": a.position,
                "reason": a.reason,
                "at": _iso(a.updated_at),
            }
            for a in Answer.objects.filter(user=user).select_related("proposal")
        ],
        "time_poll_answers": [
            {
                "poll": vote.option.proposal.statement,
                "time": _iso(vote.option.starts_at),
                "answer": vote.availability,
                "at": _iso(vote.updated_at),
            }
            for vote in PollVote.objects.filter(user=user)
            .select_related("option__proposal")
            .order_by("option__proposal_id", "option__starts_at")
        ],
        "ranked_poll_rankings": _rankings(user),
    }


def _rankings(user) -> list[dict]:
    ballots = list(RankedBallot.objects.filter(user=user).select_related("proposal").order_by("pk"))
    labels = dict(
        RankedOption.objects.filter(proposal__in=[b.proposal_id for b in ballots]).values_list(
            "pk", "label"
        )
    )
    return [
        {
            "poll": ballot.proposal.statement,
            "ranking": [labels.get(pk, "") for pk in ballot.ranking],
            "at": _iso(ballot.updated_at),
        }
        for ballot in ballots
    ]


def erase(user) -> None:
    conversation_ids = set(
        Post.objects.filter(author=user).values_list("conversation_id", flat=True)
    ) | set(Participant.objects.filter(user=user).values_list("conversation_id", flat=True))
    Post.objects.filter(author=user).update(body="", body_html="", is_erased=True, author=None)
    Answer.objects.filter(user=user).update(reason="", user=None)
    PollVote.objects.filter(user=user).update(user=None)  # still counted, nobody's name on it
    RankedBallot.objects.filter(user=user).update(user=None)  # likewise
    Proposal.objects.filter(proposer=user).update(proposer=None)
    Participant.objects.filter(user=user).delete()
    DigestSubscription.objects.filter(user=user).delete()
    # After the changes (on commit): cached pages of those conversations show the text and name.
    conversation_fragments_expire(conversation_ids=conversation_ids)
    dashboards_expire(user_ids=[user.pk], conversation_ids=conversation_ids)
