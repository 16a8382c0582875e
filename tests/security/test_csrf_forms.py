"""CSRF: a POST without a token, with another session's token, or from a foreign Origin is
refused with a 403 on every form that changes something. A control POST (same session, right
token) shows each endpoint really is reachable, so the 403s are CSRF and nothing else."""

import pytest
from django.test import Client

from tests.factories import PASSWORD, GroupFactory, UserFactory


def _csrf_token(client: Client) -> str:
    """What a browser would have: the token from a form the site served to this session."""
    response = client.get("/accounts/password/reset/")
    assert response.status_code == 200
    return client.cookies["csrftoken"].value


@pytest.fixture
def target(db):
    return GroupFactory(contact_email="organisers@example.org")


def _endpoints(group):
    """(name, url, needs a signed-in user, valid form data)."""
    return {
        "login": ("/accounts/login/", False, {"login": "nobody@example.org", "password": "x"}),
        "signup": (
            "/accounts/signup/",
            False,
            {"email": "new@example.org", "password1": PASSWORD, "password2": PASSWORD},
        ),
        "group create": (
            "/groups/new/",
            True,
            {
                "name": "Riverside for Europe",
                "kind": "pro_eu",
                "region": "E12000009",
                "contact_email": "riverside@example.org",
            },
        ),
        "group contact": (
            f"/groups/{group.slug}/contact/",
            False,
            {"name": "Ann", "email": "ann@example.org", "message": "Hello", "website": ""},
        ),
        "group join": (f"/groups/{group.slug}/join/", True, {}),
    }


ENDPOINTS = ["login", "signup", "group create", "group contact", "group join"]


def _client(signed_in: bool) -> Client:
    client = Client(enforce_csrf_checks=True)
    if signed_in:
        client.force_login(UserFactory())
    return client


@pytest.mark.parametrize("name", ENDPOINTS)
def test_post_without_a_token_is_refused(name, target):
    url, signed_in, data = _endpoints(target)[name]
    client = _client(signed_in)
    _csrf_token(client)  # the session has a cookie, the form just does not carry the token
    response = client.post(url, data)
    assert response.status_code == 403


@pytest.mark.parametrize("name", ENDPOINTS)
def test_post_with_another_sessions_token_is_refused(name, target):
    url, signed_in, data = _endpoints(target)[name]
    attacker = _client(signed_in=False)
    stolen = _csrf_token(attacker)
    victim = _client(signed_in)
    own = _csrf_token(victim)
    assert stolen != own
    response = victim.post(url, {**data, "csrfmiddlewaretoken": stolen})
    assert response.status_code == 403


@pytest.mark.parametrize("name", ENDPOINTS)
def test_post_from_a_foreign_origin_is_refused(name, target):
    url, signed_in, data = _endpoints(target)[name]
    client = _client(signed_in)
    token = _csrf_token(client)
    response = client.post(
        url, {**data, "csrfmiddlewaretoken": token}, HTTP_ORIGIN="https://evil.example.net"
    )
    assert response.status_code == 403


@pytest.mark.parametrize("name", ENDPOINTS)
def test_control_the_same_post_with_the_right_token_is_accepted(name, target):
    url, signed_in, data = _endpoints(target)[name]
    client = _client(signed_in)
    token = _csrf_token(client)
    response = client.post(
        url, {**data, "csrfmiddlewaretoken": token}, HTTP_ORIGIN="http://testserver"
    )
    assert response.status_code in {200, 302}
