"""A sample conversation for `make run` (labelled as sample): the demo organiser talks with the
groups they organise, and has put a proposal and a ranked-choice poll to them. Idempotent;
demo_load calls `load` after the groups sample."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from conversations import services
from conversations.models import Conversation, ScopeKind
from groups.demo import DEMO_DOMAIN
from groups.models import Group, Membership, Role

TITLE = "Sharing out the summer street stalls (sample)"


@transaction.atomic
def load(stdout=None) -> Conversation | None:
    existing = Conversation.objects.filter(title=TITLE).first()
    if existing is not None:
        return existing
    membership = (
        Membership.objects.filter(user__email=f"organiser@{DEMO_DOMAIN}", role=Role.ORGANISER)
        .select_related("user")
        .first()
    )
    if membership is None:
        return None
    groups = list(
        Group.objects.filter(memberships__user=membership.user, memberships__role=Role.ORGANISER)
    )
    conversation = services.conversation_open(
        author=membership.user,
        title=TITLE,
        scope_kind=ScopeKind.GROUPS,
        groups=groups,
        body="Sample conversation (fictional). Shall we take turns on the market square so we "
        "never run two stalls on the same Saturday?",
    )
    services.proposal_create(
        conversation=conversation,
        proposer=membership.user,
        statement="Each group takes one Saturday a month on the market square (sample).",
        details="A fictional proposal for the demo: agree, stand aside or block.",
        deadline=timezone.now() + timedelta(days=5),
    )
    poll = services.proposal_create(
        conversation=conversation,
        proposer=membership.user,
        statement="What shall we do first this summer? (sample)",
        details="A fictional ranked-choice poll for the demo: rank the options.",
        deadline=timezone.now() + timedelta(days=5),
        ranked_options=["Street stalls", "Door-to-door canvassing", "A phone bank"],
    )
    services.ranked_ballot_set(
        proposal=poll,
        user=membership.user,
        ranking=list(poll.ranked_options.values_list("pk", flat=True)),
    )
    if stdout is not None:
        stdout.write("conversations: a sample conversation with a proposal and a ranked poll.")
    return conversation
