"""Pacts only between the bloc's parties, on the election's own boundaries."""

import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse

from seats import services
from seats.forms import AgreementForm
from seats.models import Agreement
from seats.party_codes import DEFAULT_BLOC, party_for_code
from tests.factories import ConstituencyFactory, PartyStaffFactory
from tests.seats.factories import ElectionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(parties):
    party_for_code("DUP")  # created on first use, as the importer does
    ge2019 = ElectionFactory(slug="ge2019", boundary_set="2010", date=datetime.date(2019, 12, 12))
    ge2024 = ElectionFactory(slug="ge2024", boundary_set="2024", date=datetime.date(2024, 7, 4))
    old = ConstituencyFactory(name="Oldtown", boundary_set="2010", ons_code="E14000001")
    new = ConstituencyFactory(name="Newtown", boundary_set="2024", ons_code="E14001001")
    staff = PartyStaffFactory(party=parties["Lab"]).user
    return ge2019, ge2024, old, new, staff


def test_only_bloc_parties_are_offered(world):
    form = AgreementForm(initial={"election": "ge2024"})
    for name in ("carries_hopes", "stands_aside", "endorses"):
        offered = set(form.fields[name].queryset.values_list("short_name", flat=True))
        assert offered == set(DEFAULT_BLOC), name
    body = str(form["carries_hopes"])
    assert "Conservative" not in body and "Reform" not in body and "Democratic Unionist" not in body


@pytest.mark.parametrize("outsider", ["Con", "RUK", "DUP"])
def test_the_service_refuses_a_party_outside_the_bloc(world, parties, outsider):
    _, ge2024, _, new, staff = world
    outside = party_for_code(outsider)
    for roles in (
        {"carries_hopes": outside, "stands_aside": [parties["Lab"]]},
        {"carries_hopes": parties["Lab"], "stands_aside": [outside]},
        {"carries_hopes": parties["Lab"], "endorses": [outside]},
    ):
        with pytest.raises(ValidationError, match="progressive bloc"):
            services.agreement_propose(
                user=staff, election=ge2024, constituency=new, arrangement="stand_aside", **roles
            )
    assert not Agreement.objects.exists()


def test_the_seat_list_follows_the_election_boundaries(world):
    ge2019, ge2024, old, new, _ = world
    assert list(AgreementForm(initial={"election": "ge2024"}).fields["constituency"].queryset) == [
        new
    ]
    assert list(AgreementForm({"election": "ge2019"}).fields["constituency"].queryset) == [old]
    rendered = str(AgreementForm(initial={"election": "ge2024"})["constituency"])
    assert "Choose a seat" in rendered and "---------" not in rendered
    assert "data-searchable" in rendered and "Oldtown" not in rendered


def test_the_form_page_refuses_a_seat_from_other_boundaries(client, world, parties):
    ge2019, ge2024, old, new, staff = world
    client.force_login(staff)
    page = client.get(reverse("seats:agreement_create"))
    body = page.content.decode()
    assert "tom-select.complete.min.js" in body and "js/searchable-select.js" in body
    assert "<script>" not in body  # no inline script: the enhancement is a static file
    response = client.post(
        reverse("seats:agreement_create"),
        {
            "election": "ge2024",
            "constituency": old.pk,
            "arrangement": "stand_aside",
            "carries_hopes": parties["LD"].pk,
            "stands_aside": [parties["Lab"].pk],
            "terms": "Kept on error",
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert "Kept on error" in response.content.decode()
    assert not Agreement.objects.exists()
    response = client.post(
        reverse("seats:agreement_create"),
        {
            "election": "ge2024",
            "constituency": new.pk,
            "arrangement": "stand_aside",
            "carries_hopes": parties["LD"].pk,
            "stands_aside": [parties["Lab"].pk],
        },
    )
    assert response.status_code == 302
    assert Agreement.objects.get().constituency == new


def test_tom_select_is_vendored_with_its_licence():
    vendor = Path(settings.BASE_DIR) / "static" / "vendor" / "tom-select" / "2.6.2"
    assert "Apache License" in (vendor / "LICENSE").read_text()
    assert (vendor / "tom-select.complete.min.js").read_text().startswith("/**\n* Tom Select v2")
