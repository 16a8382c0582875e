"""Abuse of signing: a flood of 1,000 signatures from one IP within a minute is throttled with a
429 and a clear message (no 500, the rest not created); spoofed X-Forwarded-For does not get
round it; a burst from a disposable domain is refused; a burst from one domain is throttled.
(Login and password-reset floods are covered in tests/security/test_throttling.py.)"""

import pytest

from petitions.models import Signature
from tests.petitions.factories import PetitionFactory

REFUSAL = b"So many signatures have come from your"


@pytest.fixture
def petition(group):
    return PetitionFactory(group=group, slug="viral")


def _sign(client, petition, n: int, *, domain: str = "example.net", **extra):
    return client.post(
        f"/petitions/{petition.slug}/sign/",
        {"name": f"Signer {n}", "email": f"signer{n}@{domain}", "postcode": "SW1A 1AA"},
        **extra,
    )


def test_a_thousand_signatures_from_one_ip_in_a_minute_are_throttled(client, petition, settings):
    limit = settings.PETITIONS_SIGN_LIMIT_PER_IP
    # The window is PETITIONS_SIGN_LIMIT_PERIOD_SECONDS (10 minutes): the flood fits in it however
    # busy the machine is, so this test asserts the throttle, not the speed (that is bench/).
    statuses = []
    for n in range(1000):
        # A bot rotating a forged X-Forwarded-For: not trusted unless behind our proxy.
        response = _sign(client, petition, n, REMOTE_ADDR="203.0.113.7",
                         HTTP_X_FORWARDED_FOR=f"198.51.100.{n % 250}")  # fmt: skip
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert response["Retry-After"] == "60"
            if n == limit:
                assert REFUSAL in response.content and b"your network" in response.content
                assert b"Nothing is lost: please try again in" in response.content
    assert 500 not in statuses
    assert statuses[:limit] == [302] * limit
    assert set(statuses[limit:]) == {429}
    assert Signature.objects.filter(petition=petition).count() == limit
    # Another address is not caught by this one's limit.
    assert _sign(client, petition, 5000, REMOTE_ADDR="203.0.113.8").status_code == 302


def test_behind_the_trusted_proxy_the_last_hop_is_counted(client, petition, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.PETITIONS_SIGN_LIMIT_PER_IP = 3
    statuses = [
        _sign(client, petition, n, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 192.0.2.50").status_code
        for n in range(6)
    ]
    assert statuses == [302, 302, 302, 429, 429, 429]
    assert Signature.objects.filter(ip="192.0.2.50").count() == 3


@pytest.mark.parametrize("domain", ["mailinator.com", "eu.mailinator.com", "guerrillamail.com"])
def test_a_burst_from_a_disposable_domain_is_refused(client, petition, domain):
    for n in range(30):
        response = _sign(client, petition, n, domain=domain, REMOTE_ADDR=f"192.0.2.{n}")
        assert response.status_code == 400
        assert b"Please use a permanent email address" in response.content
    assert not Signature.objects.exists()


def test_a_burst_from_one_domain_across_many_ips_is_throttled(client, petition, settings):
    settings.PETITIONS_SIGN_LIMIT_PER_DOMAIN = 10
    statuses = [
        _sign(client, petition, n, domain="bulk.example", REMOTE_ADDR=f"192.0.2.{n}").status_code
        for n in range(25)
    ]
    assert 500 not in statuses
    assert statuses[:10] == [302] * 10 and set(statuses[10:]) == {429}
    assert Signature.objects.filter(email_domain="bulk.example").count() == 10
    response = _sign(client, petition, 99, domain="bulk.example", REMOTE_ADDR="192.0.2.200")
    assert b"your email domain" in response.content
    # Big shared providers are limited per IP only: a town's worth of gmail users still sign.
    statuses = [
        _sign(client, petition, n, domain="gmail.com", REMOTE_ADDR=f"198.51.100.{n}").status_code
        for n in range(15)
    ]
    assert statuses == [302] * 15


def test_one_mailbox_signing_with_many_plus_tags_counts_once(client, petition):
    for n in range(20):
        response = client.post(
            f"/petitions/{petition.slug}/sign/",
            {"name": f"Sock {n}", "email": f"puppet+{n}@campaign.example", "postcode": "SW1A 1AA"},
            REMOTE_ADDR=f"192.0.2.{n}",
        )
        assert response.status_code == 302
    assert Signature.objects.filter(petition=petition).count() == 1


def test_signing_again_does_not_tell_whether_an_address_has_signed(client, petition):
    from tests.petitions.factories import SignatureFactory

    SignatureFactory(petition=petition, email="known@example.org", confirmed=True)
    answers = set()
    for email in ("known@example.org", "unknown@example.org"):
        response = client.post(
            f"/petitions/{petition.slug}/sign/",
            {"name": "Prober", "email": email, "postcode": "SW1A 1AA"},
        )
        answers.add((response.status_code, response["Location"]))
    assert answers == {(302, f"/petitions/{petition.slug}/signed/?state=check-email")}
