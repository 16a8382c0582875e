"""Access to a party's answer to a petition (rows: tests/security/url_table.py
PETITION_RESPONSE_URLS): group B's petition is addressed to P1. Anonymous visitors are sent to
sign in; P3's staff (another party), group B's organisers (who wrote it), site staff and
outsiders are refused and change nothing; P1's staff get through. Posting needs the session's
CSRF token."""

import pytest
from django.test import Client

from petitions.models import PetitionResponse
from tests.security.url_table import PETITION_RESPONSE_URLS, placeholders


@pytest.fixture
def addressed(world):
    party_1 = world.staff_p1.party_staff_roles.get().party
    world.petition_b.target_party = party_1
    world.petition_b.save(update_fields=["target_party"])
    return placeholders(world)


def _request(client, values, method, path, data_factory):
    data = {k: str(v).format(**values) for k, v in (data_factory or dict)().items()}
    return getattr(client, method)(path.format(**values), data)


def _ids(rows):
    return [row[0] for row in rows]


@pytest.mark.parametrize(
    "name, method, path, data", PETITION_RESPONSE_URLS, ids=_ids(PETITION_RESPONSE_URLS)
)
def test_only_the_addressed_partys_staff_answer(client, world, addressed, name, method, path, data):
    response = _request(client, addressed, method, path, data)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    for who in ("staff_p3", "organiser_b", "organiser_a", "site_staff", "outsider"):
        client.force_login(getattr(world, who))
        assert _request(client, addressed, method, path, data).status_code == 403, who
    assert not PetitionResponse.objects.exists()
    client.force_login(world.staff_p1)
    assert _request(client, addressed, method, path, data).status_code in {200, 302}


def test_a_petition_not_addressed_to_a_party_has_no_answer_page(client, world):
    client.force_login(world.staff_p1)
    assert client.get(f"/petitions/{world.petition_b.slug}/respond/").status_code == 404
    assert client.get(f"/petitions/{world.draft_b.slug}/respond/").status_code == 404


def test_answering_needs_this_sessions_csrf_token(world, addressed):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.staff_p1)
    url = f"/petitions/{world.petition_b.slug}/respond/"
    assert client.post(url, {"body": "No token"}).status_code == 403
    assert not PetitionResponse.objects.exists()
    assert client.get("/accounts/password/reset/").status_code == 200
    token = client.cookies["csrftoken"].value
    foreign = client.post(
        url, {"body": "Evil", "csrfmiddlewaretoken": token}, HTTP_ORIGIN="https://evil.example.net"
    )
    assert foreign.status_code == 403 and not PetitionResponse.objects.exists()
    response = client.post(url, {"body": "With token", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert PetitionResponse.objects.get().body == "With token"
