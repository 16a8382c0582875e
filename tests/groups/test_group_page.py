"""The group page brings a group's calendar and petitions together, within visibility rules."""

import pytest
from django.urls import reverse

from events.models import Visibility
from petitions.models import PetitionStatus
from tests.events.factories import EventFactory
from tests.factories import MembershipFactory, PartyBranchFactory, UserFactory
from tests.petitions.factories import PetitionFactory

pytestmark = pytest.mark.django_db


def test_group_page_lists_upcoming_events_and_public_petitions(client, group):
    EventFactory(group=group, title="Saturday street stall")
    PetitionFactory(group=group, title="Rejoin Erasmus+ now")
    PetitionFactory(group=group, title="Secret draft", status=PetitionStatus.DRAFT)

    page = client.get(group.get_absolute_url()).content.decode()

    assert "Saturday street stall" in page
    assert "Rejoin Erasmus+ now" in page
    assert "Secret draft" not in page


def test_group_only_events_show_to_members_but_not_to_outsiders(client, group):
    EventFactory(group=group, title="Members-only planning meeting", visibility=Visibility.GROUP)

    client.force_login(UserFactory())
    assert (
        "Members-only planning meeting" not in client.get(group.get_absolute_url()).content.decode()
    )

    member = MembershipFactory(group=group).user
    client.force_login(member)
    assert "Members-only planning meeting" in client.get(group.get_absolute_url()).content.decode()


def test_organiser_tools_link_to_events_imports_and_petitions(client, group, organiser):
    client.force_login(organiser)
    page = client.get(group.get_absolute_url()).content.decode()
    assert reverse("events:create", args=[group.slug]) in page
    assert reverse("events:feed_list", args=[group.slug]) in page
    assert reverse("petitions:create", args=[group.slug]) in page


def test_party_branch_links_to_where_activists_help_most(client):
    branch = PartyBranchFactory()
    assert reverse("seats:activists") in client.get(branch.get_absolute_url()).content.decode()
