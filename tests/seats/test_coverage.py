"""Coverage: target seats by region with no live agreement (party staff only)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from seats import services
from tests.factories import ConstituencyFactory, PartyStaffFactory, UserFactory
from tests.seats.factories import ElectionFactory, contest_create

pytestmark = pytest.mark.django_db


def _targets(election, parties, n, start=0):
    seats = []
    for i in range(start, start + n):
        seat = ConstituencyFactory(name=f"Target {i:03d}", region="E12000008")
        contest_create(
            election=election,
            constituency=seat,
            votes={parties["Con"]: 20000, parties["LD"]: 15000, parties["Lab"]: 9000},
        )
        seats.append(seat)
    safe = ConstituencyFactory(name="Safe Tory", region="E12000001")
    contest_create(
        election=election, constituency=safe, votes={parties["Con"]: 30000, parties["Lab"]: 5000}
    )
    return seats


def test_targets_without_a_live_pact_by_region(client, parties):
    election = ElectionFactory(slug="cov2029")
    seats = _targets(election, parties, 3)
    lab, ld = (PartyStaffFactory(party=parties[c]).user for c in ("Lab", "LD"))
    agreement = services.agreement_propose(
        user=ld,
        election=election,
        constituency=seats[0],
        arrangement="stand_aside",
        carries_hopes=parties["LD"],
        stands_aside=[parties["Lab"]],
    )
    client.force_login(lab)
    body = client.get(reverse("seats:coverage")).content.decode()
    assert "South East" in body and "2 target seats" in body
    assert "Target 000" not in body and "Target 001" in body and "Safe Tory" not in body
    services.agreement_withdraw(agreement=agreement, user=ld, party=parties["LD"])
    assert "Target 000" in client.get(reverse("seats:coverage")).content.decode()


def test_only_party_staff(client, parties):
    assert client.get(reverse("seats:coverage")).status_code == 302
    client.force_login(UserFactory())
    assert client.get(reverse("seats:coverage")).status_code == 403


def test_constant_query_count(client, parties):
    election = ElectionFactory(slug="cov2029")
    client.force_login(PartyStaffFactory(party=parties["Lab"]).user)
    counts = []
    for start, n in ((0, 5), (5, 60)):
        _targets(election, parties, n, start=start)
        client.get(reverse("seats:coverage"))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("seats:coverage"))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
