import pytest

from conversations import demo
from conversations.models import Proposal

pytestmark = pytest.mark.django_db


def test_the_sample_conversation_has_a_proposal_and_a_ranked_poll_labelled(client):
    from groups import demo as groups_demo

    groups_demo.load()
    conversation = demo.load()
    assert "(sample)" in conversation.title
    assert conversation.groups_involved.count() >= 2
    proposals = Proposal.objects.filter(conversation=conversation)
    assert sorted(proposals.values_list("kind", flat=True)) == ["decision", "ranked"]
    assert all(
        "(sample)" in statement for statement in proposals.values_list("statement", flat=True)
    )
    assert proposals.get(kind="ranked").ballots.count() == 1
    assert demo.load() == conversation  # once only
