"""conversations/permissions.py: the "no" for every actor, and the "yes"."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from conversations import permissions, services
from conversations.models import Visibility

NOBODY = ["outsider", "other_organiser", "other_member", "other_staff", "pro_eu_member"]


def refused(call) -> bool:
    try:
        call()
    except (Http404, PermissionDenied):
        return True
    return False


@pytest.mark.parametrize("who", NOBODY)
def test_a_private_conversation_is_hidden_from_everyone_not_in_it(cast, conversation, who):
    user = getattr(cast, who)
    for check in (
        permissions.conversation_get_for_viewer,
        permissions.conversation_get_for_participant,
        permissions.conversation_get_for_organiser,
    ):
        with pytest.raises(Http404):  # not even its existence is revealed
            check(user=user, pk=conversation.pk)


def test_anonymous_visitors_see_nothing(cast, conversation):
    conversation.visibility = Visibility.PUBLIC
    conversation.save()
    with pytest.raises(Http404):
        permissions.conversation_get_for_viewer(user=AnonymousUser(), pk=conversation.pk)
    assert not permissions.user_can_open_conversations(AnonymousUser())


@pytest.mark.parametrize("who", NOBODY)
def test_a_public_conversation_is_read_but_not_written_by_others(cast, conversation, who):
    conversation.visibility = Visibility.PUBLIC
    conversation.save()
    user = getattr(cast, who)
    _, participant = permissions.conversation_get_for_viewer(user=user, pk=conversation.pk)
    assert participant is None
    with pytest.raises(PermissionDenied):
        permissions.conversation_get_for_participant(user=user, pk=conversation.pk)
    with pytest.raises(PermissionDenied):
        permissions.conversation_get_for_organiser(user=user, pk=conversation.pk)


def test_invited_organiser_takes_part_but_does_not_organise(cast, conversation):
    user = cast.pro_eu_organiser
    _, participant = permissions.conversation_get_for_participant(user=user, pk=conversation.pk)
    assert participant.user == user
    with pytest.raises(PermissionDenied):
        permissions.conversation_get_for_organiser(user=user, pk=conversation.pk)
    _, organiser = permissions.conversation_get_for_organiser(user=cast.staffer, pk=conversation.pk)
    assert organiser.is_organiser


def test_someone_who_left_loses_a_private_conversation(cast, conversation):
    _, participant = permissions.conversation_get_for_participant(
        user=cast.pro_eu_organiser, pk=conversation.pk
    )
    services.participant_leave(participant=participant)
    with pytest.raises(Http404):
        permissions.conversation_get_for_viewer(user=cast.pro_eu_organiser, pk=conversation.pk)


@pytest.mark.parametrize("who", ["outsider", "pro_eu_member", "other_member"])
def test_only_organisers_and_party_staff_open_conversations(cast, who):
    assert not permissions.user_can_open_conversations(getattr(cast, who))
    with pytest.raises(PermissionDenied):
        permissions.conversation_opener_required(getattr(cast, who))


@pytest.mark.parametrize("who", ["staffer", "pro_eu_organiser", "other_organiser", "other_staff"])
def test_organisers_and_staff_may_open(cast, who):
    assert permissions.user_can_open_conversations(getattr(cast, who))


@pytest.fixture
def proposal(cast, conversation):
    from datetime import timedelta

    from django.utils import timezone

    return services.proposal_create(
        conversation=conversation,
        proposer=cast.staffer,
        statement="We canvass the north wards, you the south.",
        details="",
        deadline=timezone.now() + timedelta(days=3),
    )


@pytest.mark.parametrize("who", NOBODY)
def test_proposals_of_a_private_conversation_are_hidden(cast, proposal, who):
    user = getattr(cast, who)
    for check in (
        permissions.proposal_get_for_viewer,
        permissions.proposal_get_for_answer,
        permissions.proposal_get_for_outcome,
    ):
        with pytest.raises(Http404):
            check(user=user, pk=proposal.pk)


def test_participants_answer_and_only_the_proposer_or_organisers_record_outcomes(cast, proposal):
    assert permissions.proposal_get_for_answer(user=cast.pro_eu_organiser, pk=proposal.pk)
    with pytest.raises(PermissionDenied):
        permissions.proposal_get_for_outcome(user=cast.pro_eu_organiser, pk=proposal.pk)
    assert permissions.proposal_get_for_outcome(user=cast.staffer, pk=proposal.pk)


@pytest.fixture
def clash(cast):
    from datetime import timedelta

    from django.apps import apps
    from django.utils import timezone

    from tests.events.factories import EventFactory

    start = timezone.now() + timedelta(days=4)
    a = EventFactory(group=cast.pro_eu, title="EU stall", starts_at=start)
    b = EventFactory(group=cast.other_group, title="Green canvass", starts_at=start)
    model = apps.get_model("events", "Clash")
    return model.objects.create(
        event_a=min(a, b, key=lambda e: e.pk), event_b=max(a, b, key=lambda e: e.pk)
    )


@pytest.mark.parametrize("who", ["outsider", "pro_eu_member", "other_member", "staffer"])
def test_a_clash_is_talked_about_only_by_its_sides(cast, clash, who):
    with pytest.raises(Http404):
        permissions.clash_get_for_opener(user=getattr(cast, who), clash_id=clash.pk)


@pytest.mark.parametrize("who", ["pro_eu_organiser", "other_organiser", "other_staff"])
def test_either_side_of_a_clash_may_talk(cast, clash, who):
    assert permissions.clash_get_for_opener(user=getattr(cast, who), clash_id=clash.pk) == clash


def test_a_missing_clash_is_404(cast):
    with pytest.raises(Http404):
        permissions.clash_get_for_opener(user=cast.pro_eu_organiser, clash_id=987654)
