"""The directory's body comes from the cache until a group is created, edited, joined or left
(groups/views.py: group_list; groups/services.py: directory_changed)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from groups import services
from tests.factories import GroupFactory, UserFactory

pytestmark = pytest.mark.django_db


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _html(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("signed_in", [False, True])
def test_the_directory_again_costs_no_directory_query(client, signed_in):
    GroupFactory(name="Bristol for Europe")
    if signed_in:
        client.force_login(UserFactory())
    assert "Bristol for Europe" in _html(client, "/groups/")
    session_queries = 2 if signed_in else 0  # the session and the user, as on every page
    assert _queries(client, "/groups/") == session_queries
    assert _queries(client, "/groups/?kind=pro_eu") > session_queries  # another page


def test_created_edited_joined_and_left_groups_show_at_once(client):
    creator = UserFactory()
    assert "Bath for Europe" not in _html(client, "/groups/")
    group = services.group_create(
        creator=creator,
        name="Bath for Europe",
        kind="pro_eu",
        region="E12000009",
        contact_email="bath@example.org",
    )
    assert "Bath for Europe" in _html(client, "/groups/")
    assert "1 member<" in _html(client, "/groups/")
    services.group_update(group=group, name="Bath and Wells for Europe")
    assert "Bath and Wells for Europe" in _html(client, "/groups/")
    joiner = UserFactory()
    services.group_member_add(group=group, user=joiner)
    assert "2 members" in _html(client, "/groups/")
    services.group_member_remove(group=group, user=joiner)
    assert "1 member<" in _html(client, "/groups/")


def test_an_unknown_parameter_is_not_cached(client):
    GroupFactory()
    _html(client, "/groups/?utm_source=x")
    assert _queries(client, "/groups/?utm_source=x") > 0
