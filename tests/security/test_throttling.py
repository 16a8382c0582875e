"""Abuse: repeated failed logins (site and admin) and password-reset floods are throttled
without a 500; throttled counters live in Redis, shared by every web process."""

import pytest

from tests.factories import PASSWORD, UserFactory


@pytest.fixture
def victim(db):
    return UserFactory(email="victim@example.org")


def _login(client, email, password, next_url=""):
    url = "/accounts/login/" + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"login": email, "password": password})


def test_repeated_failed_logins_lock_the_account_out(client, victim):
    statuses = [_login(client, victim.email, f"guess-{n}").status_code for n in range(12)]
    assert 500 not in statuses
    assert set(statuses) <= {200, 429}
    last = _login(client, victim.email, "guess-final")
    assert b"Too many failed login attempts" in last.content or last.status_code == 429
    # Even the right password is refused while the lock holds: guessing cannot win.
    response = _login(client, victim.email, PASSWORD)
    assert response.status_code in {200, 429}
    assert "_auth_user_id" not in client.session


def test_a_flood_of_logins_from_one_ip_gets_429(client, db):
    statuses = [_login(client, f"user{n}@example.org", "wrong").status_code for n in range(40)]
    assert 500 not in statuses
    assert 429 in statuses
    assert statuses[0] == 200


def test_admin_login_goes_through_the_throttled_login(client, victim):
    victim.is_staff = True
    victim.save()
    # The admin's own login form never checks a password: it sends everyone to allauth.
    for _ in range(20):
        response = client.post("/admin/login/", {"username": victim.email, "password": "guess"})
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    response = client.post("/admin/login/", {"username": victim.email, "password": PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    # ... where failed attempts are counted and locked out like any other login.
    statuses = [
        _login(client, victim.email, f"guess-{n}", next_url="/admin/").status_code for n in range(8)
    ]
    assert 500 not in statuses
    response = _login(client, victim.email, PASSWORD, next_url="/admin/")
    assert "_auth_user_id" not in client.session
    assert b"Too many failed login attempts" in response.content or response.status_code == 429


def test_staff_can_still_reach_the_admin_after_signing_in(client, victim):
    victim.is_staff = True
    victim.save()
    response = _login(client, victim.email, PASSWORD, next_url="/admin/")
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_admin_refuses_signed_in_non_staff(client, user):
    client.force_login(user)
    assert client.get("/admin/").status_code in {302, 403}
    assert client.get("/admin/login/").status_code == 403


def test_password_reset_flood_is_throttled(client, victim, mailoutbox):
    statuses = [
        client.post("/accounts/password/reset/", {"email": victim.email}).status_code
        for _ in range(30)
    ]
    assert 500 not in statuses
    assert 429 in statuses
    assert len(mailoutbox) <= 5
    assert client.get("/accounts/password/reset/").status_code in {200, 429}
