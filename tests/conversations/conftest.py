"""A small cast for conversations: a Lib Dem staffer, a pro-EU group (organiser, member), a
Green branch organiser, another group's organiser and member, staff of another party, and an
outsider; a seat they coordinate around."""

from dataclasses import dataclass

import pytest

from conversations import services
from tests.factories import (
    ConstituencyFactory,
    GroupFactory,
    MembershipFactory,
    PartyBranchFactory,
    PartyFactory,
    PartyStaffFactory,
    UserFactory,
)


@dataclass
class Cast:
    seat: object
    libdems: object
    staffer: object
    pro_eu: object
    pro_eu_organiser: object
    pro_eu_member: object
    other_group: object
    other_organiser: object
    other_member: object
    other_staff: object
    outsider: object


@pytest.fixture
def cast(db) -> Cast:
    seat = ConstituencyFactory(name="Marginalton")
    libdems = PartyFactory(name="Liberal Democrats", short_name="LD", slug="libdems")
    greens = PartyFactory(name="Green Party", short_name="Grn", slug="greens")
    staffer = PartyStaffFactory(party=libdems, user=UserFactory(name="Lib Dem Staffer")).user
    pro_eu_organiser = UserFactory(name="Paula Pro-EU")
    pro_eu = GroupFactory(name="Marginalton for Europe", organiser=pro_eu_organiser)
    pro_eu.constituencies.add(seat)
    pro_eu_member = UserFactory(name="Milo Member")
    MembershipFactory(user=pro_eu_member, group=pro_eu)
    other_organiser = UserFactory(name="Gina Green")
    other_group = PartyBranchFactory(
        name="Elsewhere Greens", party=greens, organiser=other_organiser
    )
    other_member = UserFactory(name="Olly Other")
    MembershipFactory(user=other_member, group=other_group)
    other_staff = PartyStaffFactory(party=greens, user=UserFactory(name="Green Staffer")).user
    outsider = UserFactory(name="Nia Nobody")
    return Cast(
        seat=seat,
        libdems=libdems,
        staffer=staffer,
        pro_eu=pro_eu,
        pro_eu_organiser=pro_eu_organiser,
        pro_eu_member=pro_eu_member,
        other_group=other_group,
        other_organiser=other_organiser,
        other_member=other_member,
        other_staff=other_staff,
        outsider=outsider,
    )


@pytest.fixture
def conversation(cast):
    """A private conversation about the seat: the staffer opened it and invited the pro-EU
    group's organisers."""
    conversation = services.conversation_open(
        author=cast.staffer,
        title="Marginalton: who canvasses where",
        scope_kind="seat",
        constituency=cast.seat,
        body="Shall we split the wards?",
    )
    services.conversation_invite(
        conversation=conversation, inviter=cast.staffer, groups=[cast.pro_eu]
    )
    return conversation


def remind_close_and_record(cast, conversation, poll, *, answered_by, outcome: str):
    """The beat path every poll kind takes, once `answered_by` has answered: a reminder to
    those who have not (and not to them), one close at the deadline (a second finds nothing),
    one outcome (a second is refused). Returns the outcome emails, one per participant."""
    from datetime import timedelta

    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from conversations.models import Participant, ProposalStatus
    from outbox.models import OutboxEmail

    services.proposals_remind(now=timezone.now() + timedelta(minutes=10))
    reminded = set(
        OutboxEmail.objects.filter(key__startswith=f"proposal-reminder:{poll.pk}:").values_list(
            "to_email", flat=True
        )
    )
    assert answered_by.email not in reminded and cast.staffer.email in reminded
    later = timezone.now() + timedelta(days=2)
    assert poll.pk in services.proposals_close_due(now=later)
    assert services.proposals_close_due(now=later) == []
    poll.refresh_from_db()
    assert poll.status == ProposalStatus.CLOSED
    services.proposal_outcome_record(proposal=poll, user=cast.staffer, outcome=outcome)
    with pytest.raises(ValidationError):
        services.proposal_outcome_record(proposal=poll, user=cast.staffer, outcome="Again")
    outcomes = OutboxEmail.objects.filter(key__startswith=f"proposal-outcome:{poll.pk}:")
    participants = Participant.objects.current().filter(conversation=conversation).count()
    assert outcomes.count() == participants
    return outcomes
