"""The whole-page cache for anonymous visitors (target list, advice page): a warm page costs no
query, a pact change shows at once, signed-in visitors and unusual query strings bypass it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from seats import services
from tests.factories import PartyStaffFactory, UserFactory
from tests.seats.factories import ElectionFactory, contest_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def seat(parties):
    election = ElectionFactory(slug="ge2024", boundary_set="2024", date="2024-07-04")
    con, lab, ld = parties["Con"], parties["Lab"], parties["LD"]
    return contest_create(
        election=election,
        votes={con: 20000, ld: 18000, lab: 9000},
        name="Cachebury",
        boundary_set="2024",
        ons_code="E14009999",
    ).constituency


def _queries(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def test_advice_page_warm_costs_no_query_and_follows_a_pact_at_once(
    client, seat, parties, django_capture_on_commit_callbacks
):
    url = "/seats/advice/E14009999/"
    cold, page = _queries(client, url)
    assert cold > 0 and "Vote Lib Dem" in page
    warm, again = _queries(client, url)
    assert warm == 0
    assert 'name="csrfmiddlewaretoken"' in again  # the alert form's token is always fresh
    lab_staff = PartyStaffFactory(party=parties["Lab"]).user
    ld_staff = PartyStaffFactory(party=parties["LD"]).user
    election = ElectionFactory(slug="ge2029", boundary_set="2024", date="2099-05-03")
    with django_capture_on_commit_callbacks(execute=True):
        agreement = services.agreement_propose(
            user=lab_staff,
            election=election,
            constituency=seat,
            arrangement="stand_aside",
            carries_hopes=parties["Lab"],
            stands_aside=[parties["LD"]],
        )
        services.agreement_accept(agreement=agreement, user=ld_staff, party=parties["LD"])
    _, after = _queries(client, url)
    assert "Lib Dems stand aside: vote Labour" in after  # the pact's advice, at once
    assert "Vote Lib Dem" not in after


def test_signed_in_visitors_get_a_fresh_page(client, seat):
    client.get("/seats/advice/E14009999/")
    client.force_login(UserFactory())
    count, _ = _queries(client, "/seats/advice/E14009999/")
    assert count > 0


def test_target_list_warm_costs_no_query_and_odd_queries_bypass(client, seat):
    url = "/seats/?election=ge2024"
    cold, page = _queries(client, url)
    assert "Cachebury" in page
    warm, again = _queries(client, url)
    assert warm == 0 and "Cachebury" in again
    odd, _ = _queries(client, url + "&utm_source=x")
    assert odd > 0
    bad, _ = _queries(client, "/seats/?election=nonsense")
    bad_again, _ = _queries(client, "/seats/?election=nonsense")
    assert bad_again > 0  # an invalid filter is never stored
