"""The admin works for every accounts/groups model."""

import pytest
from django.urls import reverse

from groups.models import GroupLink
from tests.factories import GroupFactory, MembershipFactory, PartyStaffFactory, UserFactory

ADMIN_MODELS = [
    "accounts_user",
    "groups_party",
    "groups_group",
    "groups_membership",
    "groups_partystaff",
    "groups_grouplink",
]


@pytest.fixture
def admin_client_with_data(client, db):
    admin = UserFactory(is_staff=True, is_superuser=True)
    organiser = UserFactory()
    group = GroupFactory(name="Searchable Group", organiser=organiser)
    MembershipFactory(group=group)
    PartyStaffFactory(user=organiser)
    GroupLink.objects.create(from_group=GroupFactory(), to_group=group)
    client.force_login(admin)
    return client


@pytest.mark.parametrize("model", ADMIN_MODELS)
def test_admin_changelist_search_filters_and_add(admin_client_with_data, model):
    client = admin_client_with_data
    changelist = reverse(f"admin:{model}_changelist")
    response = client.get(changelist, {"q": "searchable"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="searchbar"' in page  # search is configured
    assert 'id="changelist-filter"' in page  # filters are configured
    assert client.get(reverse(f"admin:{model}_add")).status_code == 200


def test_admin_change_pages_show_roles(admin_client_with_data):
    client = admin_client_with_data
    from accounts.models import User
    from groups.models import Group

    organiser = User.objects.filter(memberships__role="organiser").first()
    page = client.get(reverse("admin:accounts_user_change", args=[organiser.pk])).content.decode()
    assert "group memberships (member / organiser)" in page.lower()
    assert "party staff roles" in page.lower()
    group = Group.objects.get(name="Searchable Group")
    assert client.get(reverse("admin:groups_group_change", args=[group.pk])).status_code == 200


def test_admin_is_refused_to_non_staff(client, db):
    client.force_login(UserFactory())
    response = client.get(reverse("admin:groups_group_changelist"))
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert "login" in response["Location"]
