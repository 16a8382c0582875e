"""Access to coalition requests and tools: requests addressed to group B (a link, a promotion,
a co-host invitation, a network request) and B's own event tools refuse anonymous visitors (to
sign in), group A's organiser and member, B's plain member, an outsider and party staff;
nothing changes after a refused POST. Group B's organiser gets through. The group that asked
cannot accept its own request: no link is one-sided."""

import pytest

from groups.models import CoHostInvitation, EventPromotion, Group, GroupLink, NetworkRequest
from outbox.models import OutboxEmail
from tests.security.conftest import db_snapshot as base_snapshot
from tests.security.url_table import COALITION_URLS, coalition_world, fill


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
    from tests.security import url_table as urls

    extra = coalition_world(world)
    original = urls.placeholders
    monkeypatch.setattr(urls, "placeholders", lambda w: {**original(w), **extra})
    return extra


def _request(client, world, method, path, data):
    url, payload = fill(world, path, data)
    return getattr(client, method)(url, payload or {})


@pytest.mark.parametrize(
    "name, method, path, data", COALITION_URLS, ids=[row[0] for row in COALITION_URLS]
)
def test_coalition_urls_refuse_everyone_but_group_b_organisers(
    client, world, coalition_placeholders, name, method, path, data
):
    before = db_snapshot()
    response = _request(client, world, method, path, data)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    for who in ["organiser_a", "member_a", "member_b", "outsider", "staff_p1"]:
        client.force_login(getattr(world, who))
        response = _request(client, world, method, path, data)
        assert response.status_code in {403, 404}, (who, response.status_code)
        assert db_snapshot() == before, who


GETS = [row for row in COALITION_URLS if row[1] == "get"]


@pytest.mark.parametrize("name, method, path, data", GETS, ids=[row[0] for row in GETS])
def test_group_b_organiser_gets_the_pages(
    client, world, coalition_placeholders, name, method, path, data
):
    client.force_login(world.organiser_b)
    assert _request(client, world, method, path, data).status_code == 200


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


def test_every_coalition_post_needs_the_csrf_token(world, coalition_placeholders):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.organiser_b)
    before = db_snapshot()
    for _name, method, path, data in COALITION_URLS:
        if method == "post":
            assert _request(client, world, method, path, data).status_code == 403
    assert db_snapshot() == before
