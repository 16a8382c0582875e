"""Access to the mailing list pages: group B's list, its emails and the form to write one
refuse anonymous visitors (to sign in), group A's organiser and member, group B's plain member
and an outsider; nothing is written after a refused POST. Group B's organiser gets through.
The links in emails only work with their token."""

import pytest

from mailinglists.models import Mailing, Subscription
from outbox.models import OutboxEmail
from tests.security.conftest import (
    assert_b_organiser_gets_the_page,
    assert_only_b_organisers_get_through,
    assert_posts_need_the_csrf_token,
    placeholders_add,
)
from tests.security.conftest import db_snapshot as base_snapshot
from tests.security.url_table import MAILINGLIST_URLS, fill, mailinglist_world


def db_snapshot() -> dict:
    return {
        **base_snapshot(),
        "mailings": list(Mailing.objects.order_by("pk").values_list("pk", "subject", "status")),
        "subscriptions": list(
            Subscription.objects.order_by("pk").values_list("pk", "email", "status")
        ),
        "emails": OutboxEmail.objects.count(),
    }


@pytest.fixture
def list_placeholders(world, monkeypatch):
    return placeholders_add(monkeypatch, mailinglist_world(world))


@pytest.mark.parametrize("row", MAILINGLIST_URLS, ids=[row[0] for row in MAILINGLIST_URLS])
def test_list_pages_refuse_everyone_but_group_b_organisers(client, world, list_placeholders, row):
    hidden = ["Beta&#x27;s private plans", world.member_b.email]
    assert_only_b_organisers_get_through(client, world, row, db_snapshot, hidden=hidden)


GETS = [row for row in MAILINGLIST_URLS if row[1] == "get"]


@pytest.mark.parametrize("row", GETS, ids=[row[0] for row in GETS])
def test_group_b_organiser_gets_the_pages(client, world, list_placeholders, row):
    assert_b_organiser_gets_the_page(client, world, row)


def test_group_a_organiser_cannot_read_b_mailing_through_a_own_list(
    client, world, list_placeholders
):
    client.force_login(world.organiser_a)
    response = client.get(f"/lists/{world.group_a.slug}/mailings/{list_placeholders['mailing_b']}/")
    assert response.status_code == 404


def test_every_mailinglists_url_is_in_the_table_or_carries_a_token(world, list_placeholders):
    from django.urls import resolve

    import mailinglists.urls

    # Public: subscribing (a form on every group page); the links in emails (a token each,
    # tests/mailinglists/test_views.py proves a forged one is refused).
    for_everyone = {"subscribe", "confirm", "unsubscribe", "forget"}
    in_table = {
        resolve(fill(world, path, data)[0].split("?")[0]).url_name
        for _name, _method, path, data in MAILINGLIST_URLS
    }
    names = {pattern.name for pattern in mailinglists.urls.urlpatterns}
    assert not names - for_everyone - in_table, "add them to MAILINGLIST_URLS"


def test_list_posts_need_the_csrf_token(world, list_placeholders):
    assert_posts_need_the_csrf_token(world, MAILINGLIST_URLS, db_snapshot)


@pytest.mark.parametrize(
    "path", ["/lists/{group_b}/subscribe/", "/lists/email/unsubscribe/{token}/"]
)
def test_public_list_posts_need_the_csrf_token_too(world, list_placeholders, path):
    from django.test import Client

    from mailinglists.services import unsubscribe_token

    subscription = Subscription.objects.get()
    token = unsubscribe_token(subscription_id=subscription.pk, mailing_id=None)
    client = Client(enforce_csrf_checks=True)
    before = db_snapshot()
    url = path.format(group_b=world.group_b.slug, token=token)
    assert client.post(url, {"email": "x@example.org"}).status_code == 403
    assert db_snapshot() == before
