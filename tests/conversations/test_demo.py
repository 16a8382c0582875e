import pytest

from conversations import demo
from conversations.models import Proposal

pytestmark = pytest.mark.django_db


def test_the_sample_conversation_has_a_proposal_and_is_labelled(client):
    from groups import demo as groups_demo

    groups_demo.load()
    conversation = demo.load()
    assert "(sample)" in conversation.title
    assert conversation.groups_involved.count() >= 2
    assert Proposal.objects.filter(conversation=conversation).count() == 1
    assert demo.load() == conversation  # once only
