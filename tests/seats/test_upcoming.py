"""Upcoming elections: set up by site staff, the default for pacts and help, analysed from the
latest results on their boundaries (and the pages say so)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from seats import services
from seats.advice import AdviceKind
from seats.models import Election, ElectionKind
from seats.targets import seat_advice_for
from tests.factories import ConstituencyFactory, PartyStaffFactory, UserFactory
from tests.seats.factories import ElectionFactory, contest_create

pytestmark = pytest.mark.django_db

SOON = timezone.localdate() + datetime.timedelta(days=200)


@pytest.fixture
def world(parties):
    ge2024 = ElectionFactory(slug="ge2024", boundary_set="2024", date=datetime.date(2024, 7, 4))
    seat = ConstituencyFactory(name="Newtown", boundary_set="2024", ons_code="E14001001")
    other = ConstituencyFactory(name="Othertown", boundary_set="2024", ons_code="E14001002")
    for place in (seat, other):
        contest_create(
            election=ge2024,
            constituency=place,
            votes={parties["Con"]: 20000, parties["LD"]: 17000, parties["Lab"]: 6000},
        )
    admin = UserFactory(is_staff=True)
    return ge2024, seat, other, admin


def test_site_staff_set_up_a_general_election_and_a_by_election(client, world):
    _, seat, _, admin = world
    client.force_login(admin)
    response = client.post(
        reverse("seats:election_create"), {"kind": "general", "date": SOON.isoformat()}
    )
    assert response.status_code == 302
    general = Election.objects.get(kind=ElectionKind.GENERAL, date=SOON)
    assert general.boundary_set == "2024" and general.by_election_seat is None
    assert general.name == f"General election {SOON:%Y}"
    response = client.post(
        reverse("seats:election_create"),
        {"kind": "by", "date": SOON.isoformat(), "constituency": seat.pk},
    )
    assert response.status_code == 302
    by = Election.objects.get(kind=ElectionKind.BY_ELECTION)
    assert by.by_election_seat == seat and by.name == f"Newtown by-election {SOON:%Y}"
    assert "Newtown by-election" in client.get(reverse("seats:election_create")).content.decode()


def test_bad_elections_are_refused_with_the_form_kept(client, world):
    _, seat, _, admin = world
    client.force_login(admin)
    past = client.post(
        reverse("seats:election_create"), {"kind": "general", "date": "2020-01-01", "name": "Kept"}
    )
    assert past.status_code == 200
    assert "today or later" in past.content.decode() and 'value="Kept"' in past.content.decode()
    no_seat = client.post(
        reverse("seats:election_create"), {"kind": "by", "date": SOON.isoformat()}
    )
    assert "Choose the by-election" in no_seat.content.decode()
    assert not Election.objects.filter(date__gte=timezone.localdate()).exists()


def test_only_site_staff_set_up_elections(client, world, parties):
    party_staff = PartyStaffFactory(party=parties["Lab"]).user
    for user in (UserFactory(), party_staff):
        client.force_login(user)
        assert client.get(reverse("seats:election_create")).status_code == 403
        assert (
            client.post(
                reverse("seats:election_create"), {"kind": "general", "date": SOON.isoformat()}
            ).status_code
            == 403
        )
        with pytest.raises(PermissionDenied):
            services.election_create_upcoming(user=user, kind="general", date=SOON)
    client.logout()
    assert client.get(reverse("seats:election_create")).status_code == 302
    assert not Election.objects.filter(date=SOON).exists()


def test_pacts_default_to_the_next_general_election(client, world, parties):
    _, seat, other, admin = world
    general = services.election_create_upcoming(user=admin, kind="general", date=SOON)
    by = services.election_create_upcoming(
        user=admin, kind="by", date=SOON - datetime.timedelta(days=30), constituency=seat
    )
    staff = PartyStaffFactory(party=parties["LD"]).user
    client.force_login(staff)
    body = client.get(reverse("seats:agreement_create")).content.decode()
    assert f'<option value="{general.slug}" selected>' in body
    assert "Newtown" in body and "Othertown" in body
    # A by-election's form offers its one seat; the service refuses any other.
    body = client.get(f"{reverse('seats:agreement_create')}?election={by.slug}").content.decode()
    assert "Newtown" in body and "Othertown" not in body
    with pytest.raises(ValidationError, match="not held in Othertown"):
        services.agreement_propose(
            user=staff,
            election=by,
            constituency=other,
            arrangement="stand_aside",
            carries_hopes=parties["LD"],
            stands_aside=[parties["Lab"]],
        )


def test_advice_and_seat_page_for_an_upcoming_election(client, world, parties):
    ge2024, seat, _, admin = world
    general = services.election_create_upcoming(user=admin, kind="general", date=SOON)
    found = seat_advice_for(seat)
    assert found.election == general and found.results_election == ge2024
    assert found.advice.kind == AdviceKind.TACTICAL and found.advice.party == "LD"
    # A pact agreed for the upcoming election is the advice.
    lab, ld = (PartyStaffFactory(party=parties[c]).user for c in ("Lab", "LD"))
    agreement = services.agreement_propose(
        user=ld,
        election=general,
        constituency=seat,
        arrangement="stand_aside",
        carries_hopes=parties["LD"],
        stands_aside=[parties["Lab"]],
    )
    services.agreement_accept(agreement=agreement, user=ld, party=parties["LD"])
    services.agreement_accept(agreement=agreement, user=lab, party=parties["Lab"])
    assert seat_advice_for(seat).advice.headline == "Labour stands aside: vote Lib Dem"
    advice_page = client.get(reverse("seats:advice", args=[seat.ons_code])).content.decode()
    assert f"{general.name}" in advice_page
    assert f"Based on the {ge2024.name} results on these boundaries" in advice_page
    seat_page = client.get(reverse("seats:detail", args=["2024", seat.ons_code])).content.decode()
    assert f"Next: the {general.name}" in seat_page
    assert f"uses the {ge2024.name} results on these boundaries" in seat_page
    # The swap's local party follows the upcoming pact.
    party, _ = services.seat_alliance_party(constituency=seat)
    assert party == parties["LD"]


def test_activists_page_is_for_the_next_election(client, world, parties):
    ge2024, _, _, admin = world
    general = services.election_create_upcoming(user=admin, kind="general", date=SOON)
    body = client.get(reverse("seats:activists"), {"party": "LD", "constituency": ""})
    text = body.content.decode()
    assert f"For the {general.name}" in text
    assert f"from the {ge2024.name} results" in text
