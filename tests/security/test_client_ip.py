"""Per-IP limits count the person, not the proxy, and never an address the person chose.

Behind deploy/nginx.conf every request reaches gunicorn from 127.0.0.1 with nginx's
X-Forwarded-For appended. One function, alliance.ratelimit.client_ip, decides the address for
allauth's limits and ours, from one setting, TRUSTED_PROXY_COUNT.
"""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from alliance.ratelimit import client_ip
from tests.factories import PASSWORD, UserFactory

NGINX = "127.0.0.1"
LOCKED = b"Too many failed login attempts"


def _login(client, email, password, **meta):
    return client.post(reverse("account_login"), {"login": email, "password": password}, **meta)


@pytest.mark.django_db
def test_eleven_failed_logins_behind_the_proxy_do_not_lock_out_another_person(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    victim = UserFactory(email="victim@example.org")
    for n in range(11):
        response = _login(
            client,
            f"guess{n}@example.org",
            "wrong-password",
            REMOTE_ADDR=NGINX,
            HTTP_X_FORWARDED_FOR="198.51.100.23",
        )
    assert LOCKED in response.content  # the attacker is stopped ...

    # ... but someone else, arriving through the same nginx, signs in.
    response = _login(
        client, victim.email, PASSWORD, REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR="203.0.113.5"
    )
    assert response.status_code == 302, response.content[:500]
    assert client.session.get("_auth_user_id") == str(victim.pk)


@pytest.mark.django_db
def test_without_a_trusted_proxy_a_forged_header_does_not_dodge_the_login_limit(client):
    locked = [
        LOCKED
        in _login(
            client,
            f"guess{n}@example.org",
            "wrong-password",
            REMOTE_ADDR="198.51.100.23",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        ).content
        for n in range(12)
    ]
    assert locked == [False] * 10 + [True, True]


@pytest.mark.django_db
def test_behind_the_proxy_a_forged_leftmost_entry_is_ignored(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    locked = [
        LOCKED
        in _login(
            client,
            f"guess{n}@example.org",
            "wrong-password",
            REMOTE_ADDR=NGINX,
            # The client wrote the first entry; nginx appended the real one.
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 198.51.100.23",
        ).content
        for n in range(12)
    ]
    assert locked == [False] * 10 + [True, True]


@pytest.mark.parametrize(
    ("trusted", "forwarded", "expected"),
    [
        (0, None, "10.1.1.1"),
        (0, "192.0.2.9", "10.1.1.1"),  # spoofed, nobody trusted: ignored
        (0, "192.0.2.9, 198.51.100.1", "10.1.1.1"),
        (1, None, "10.1.1.1"),
        (1, "198.51.100.1", "198.51.100.1"),
        (1, "192.0.2.9, 198.51.100.1", "198.51.100.1"),
        (1, "192.0.2.9,198.51.100.1 ", "198.51.100.1"),
        (2, "192.0.2.9, 198.51.100.1, 10.0.0.2", "198.51.100.1"),
        (2, "198.51.100.1", "198.51.100.1"),
        (1, "2001:db8::1", "2001:db8::1"),
        (1, "not-an-address", "10.1.1.1"),
        (1, "192.0.2.9, \x00", "10.1.1.1"),
        (1, " , ", "10.1.1.1"),
    ],
)
def test_client_ip(settings, trusted, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = trusted
    meta = {"REMOTE_ADDR": "10.1.1.1"}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    assert client_ip(RequestFactory().get("/", **meta)) == expected


def test_the_deployed_nginx_appends_the_header_the_app_trusts():
    from pathlib import Path

    conf = (Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in conf
