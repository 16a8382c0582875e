"""Where a party's activists help most: its target seats, nearest first, with events."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from events.models import Event
from seats import services
from seats.regions import Region
from tests.factories import PartyBranchFactory, PartyStaffFactory
from tests.seats.factories import ElectionFactory, contest_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(parties):
    election = ElectionFactory(slug="test2029")
    con, lab, ld = parties["Con"], parties["Lab"], parties["LD"]

    def seat(name, q, r, votes, region=Region.SOUTH_WEST):
        return contest_create(
            election=election, votes=votes, name=name, hex_q=q, hex_r=r, region=region
        ).constituency

    home = seat("Home Town", 0, 0, {lab: 30000, con: 10000})  # held by the bloc
    return {
        "election": election,
        "home": home,
        "near": seat("Near LD Target", 1, 0, {con: 20000, ld: 15000, lab: 6000}),
        "far": seat("Far LD Target", 6, 0, {con: 20000, ld: 18000, lab: 3000}),
        "elsewhere": seat(
            "Northern LD Target", 0, 1, {con: 20000, ld: 19000, lab: 2000}, region=Region.NORTH_EAST
        ),
        "labs": seat("Lab Target", 2, 0, {con: 20000, lab: 15000, ld: 3000}),
        "held": seat("LD Held", 1, 1, {ld: 20000, con: 15000}),
        "hopeless": seat("Hopeless", 1, 2, {con: 30000, ld: 5000, lab: 1000}),
    }


def test_branch_sees_its_targets_nearest_first_with_events(client, world, parties):
    branch = PartyBranchFactory(party=parties["LD"], name="Home Town Lib Dems")
    branch.constituencies.add(world["home"])
    now = timezone.now()
    Event.objects.create(
        group=branch,
        title="Canvass the far seat",
        kind="canvassing",
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=1, hours=2),
        constituency=world["far"],
    )
    response = client.get(reverse("seats:activists"), {"group": branch.slug})
    names = [t.row.constituency.name for t, _ in response.context["targets"]]
    # Same region first (near, then far by hex distance), then other regions.
    assert names == ["Near LD Target", "Far LD Target", "Northern LD Target"]
    assert "Canvass the far seat" in response.content.decode()


def test_agreed_pact_makes_a_seat_a_target_for_the_carrier(client, world, parties):
    lab_staff = PartyStaffFactory(party=parties["Lab"]).user
    ld_staff = PartyStaffFactory(party=parties["LD"]).user
    agreement = services.agreement_propose(
        user=lab_staff,
        election=world["election"],
        constituency=world["labs"],
        arrangement="stand_aside",
        carries_hopes=parties["LD"],
        stands_aside=[parties["Lab"]],
    )
    services.agreement_accept(agreement=agreement, user=lab_staff, party=parties["Lab"])
    services.agreement_accept(agreement=agreement, user=ld_staff, party=parties["LD"])
    response = client.get(
        reverse("seats:activists"), {"party": "LD", "constituency": world["home"].pk}
    )
    names = [t.row.constituency.name for t, _ in response.context["targets"]]
    assert names[:2] == ["Near LD Target", "Lab Target"]


def test_member_without_a_place_gets_a_message_not_an_error(client, world):
    assert client.get(reverse("seats:activists"), {"party": "nope"}).status_code == 200
    response = client.get(reverse("seats:activists"), {"party": "LD", "postcode": "SW1A 1AA"})
    assert response.status_code == 200  # lookup not configured in tests: asks for the seat
    assert "choose a constituency" in response.content.decode()
