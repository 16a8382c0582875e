"""The package form's election comes from the query string or the post: odd values (a NUL
byte, a long string) are simply no election, never a server error."""

import pytest

from tests.factories import PartyStaffFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["ge\x002029", "x" * 500, "'; DROP TABLE seats_election;--"])
def test_odd_election_values_are_no_election(client, parties, value):
    client.force_login(PartyStaffFactory(party=parties["Green"]).user)
    assert client.get("/seats/packages/new/", {"election": value}).status_code == 200
    response = client.post("/seats/packages/new/", {"election": value, "name": "X"})
    assert response.status_code == 200  # the form again, with its errors
