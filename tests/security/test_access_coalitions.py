"""Access to coalition requests and tools: requests addressed to group B (a link, a promotion,
a co-host invitation, a network request), B's own event tools and ending B's link with C refuse
anonymous visitors (to sign in), group A's organiser and member, B's plain member, an outsider
and party staff; nothing changes after a refused POST. Group B's organiser gets through. The
group that asked cannot accept its own request: no link is one-sided."""

import pytest

from groups.models import CoHostInvitation, EventPromotion, Group, GroupLink, NetworkRequest
from outbox.models import OutboxEmail
from tests.security.conftest import (
    assert_b_organiser_gets_the_page,
    assert_only_b_organisers_get_through,
    assert_posts_need_the_csrf_token,
    placeholders_add,
)
from tests.security.conftest import db_snapshot as base_snapshot
from tests.security.url_table import COALITION_URLS, LINK_END_URLS, coalition_world

ROWS = COALITION_URLS + LINK_END_URLS


def db_snapshot() -> dict:
    return {
        **base_snapshot(),
        "links": list(GroupLink.objects.order_by("pk").values_list("pk", "status")),
        "promotions": list(EventPromotion.objects.order_by("pk").values_list("pk", "status")),
        "cohosts": list(CoHostInvitation.objects.order_by("pk").values_list("pk", "status")),
        "networks": list(NetworkRequest.objects.order_by("pk").values_list("pk", "status")),
        "parents": list(Group.objects.order_by("pk").values_list("pk", "parent")),
        "emails": OutboxEmail.objects.count(),
    }


@pytest.fixture
def coalition_placeholders(world, monkeypatch):
    return placeholders_add(monkeypatch, coalition_world(world))


@pytest.mark.parametrize("row", ROWS, ids=[row[0] for row in ROWS])
def test_coalition_urls_refuse_everyone_but_group_b_organisers(
    client, world, coalition_placeholders, row
):
    assert_only_b_organisers_get_through(client, world, row, db_snapshot)


GETS = [row for row in ROWS if row[1] == "get"]


@pytest.mark.parametrize("row", GETS, ids=[row[0] for row in GETS])
def test_group_b_organiser_gets_the_pages(client, world, coalition_placeholders, row):
    assert_b_organiser_gets_the_page(client, world, row)


def test_the_asking_group_cannot_accept_its_own_requests(client, world, coalition_placeholders):
    """Group C's organiser asked B: every decide URL under C's own slug is a 404."""
    organiser_c = Group.objects.get(slug="gamma-greens").memberships.get().user
    client.force_login(organiser_c)
    before = db_snapshot()
    for kind, pk in [
        ("promotions", coalition_placeholders["promotion_b"]),
        ("cohosting", coalition_placeholders["cohosting_b"]),
        ("network/requests", coalition_placeholders["network_b"]),
    ]:
        response = client.post(f"/groups/gamma-greens/{kind}/{pk}/decide/", {"decision": "accept"})
        assert response.status_code == 404, kind
    assert db_snapshot() == before


def test_a_link_is_ended_only_through_a_group_on_it(client, world, coalition_placeholders):
    """A's organiser, not on B and C's link, cannot end it through A's own slug (404); nor
    can A's pending request to B be 'ended' from either side (it is not in force)."""
    link_cb = coalition_placeholders["link_cb"]
    before = db_snapshot()
    client.force_login(world.organiser_a)
    assert client.post(f"/groups/{world.group_a.slug}/links/{link_cb}/end/").status_code == 404
    pending = world.link_b.pk
    assert client.post(f"/groups/{world.group_a.slug}/links/{pending}/end/").status_code == 404
    client.force_login(world.organiser_b)
    assert client.post(f"/groups/{world.group_b.slug}/links/{pending}/end/").status_code == 404
    assert db_snapshot() == before


def test_every_coalition_post_needs_the_csrf_token(world, coalition_placeholders):
    assert_posts_need_the_csrf_token(world, ROWS, db_snapshot)
