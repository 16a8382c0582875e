"""Agreement workflow: services and the staff views' "no"s."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from seats import services
from seats.models import AgreementHistory, AgreementStatus
from tests.factories import ConstituencyFactory, PartyStaffFactory, UserFactory
from tests.seats.factories import ElectionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(parties):
    election = ElectionFactory(slug="test2029")
    seat = ConstituencyFactory(name="Marginalton")
    lab_staff = PartyStaffFactory(party=parties["Lab"]).user
    ld_staff = PartyStaffFactory(party=parties["LD"]).user
    green_staff = PartyStaffFactory(party=parties["Green"]).user
    return election, seat, lab_staff, ld_staff, green_staff


def propose(setup, parties, **extra):
    election, seat, lab_staff, *_ = setup
    return services.agreement_propose(
        user=lab_staff,
        election=election,
        constituency=seat,
        arrangement="stand_aside",
        carries_hopes=parties["LD"],
        stands_aside=[parties["Lab"]],
        terms="Lab does not stand; LD campaigns on the NHS.",
        **extra,
    )


def test_agreed_only_when_every_party_has_accepted(setup, parties):
    _, _, lab_staff, ld_staff, _ = setup
    agreement = propose(setup, parties)
    # Lab staff proposed: Lab accepts on proposing; LD has not yet.
    assert agreement.status == AgreementStatus.NEGOTIATING
    assert list(agreement.acceptances.values_list("party__short_name", flat=True)) == ["Lab"]
    agreement = services.agreement_accept(agreement=agreement, user=lab_staff, party=parties["Lab"])
    assert agreement.status == AgreementStatus.NEGOTIATING  # accepting again changes nothing
    agreement = services.agreement_accept(agreement=agreement, user=ld_staff, party=parties["LD"])
    assert agreement.status == AgreementStatus.AGREED
    actions = list(
        AgreementHistory.objects.filter(agreement=agreement).values_list("action", flat=True)
    )
    assert actions == ["proposed", "accepted", "accepted", "agreed"]
    assert AgreementHistory.objects.filter(agreement=agreement, actor=ld_staff).exists()


def test_party_staff_cannot_accept_for_another_party(setup, parties):
    _, _, lab_staff, _, green_staff = setup
    agreement = propose(setup, parties)
    with pytest.raises(PermissionDenied):
        services.agreement_accept(agreement=agreement, user=lab_staff, party=parties["LD"])
    with pytest.raises(PermissionDenied):
        services.agreement_accept(agreement=agreement, user=UserFactory(), party=parties["LD"])
    # Green staff act for Green, but Green is not in this agreement.
    with pytest.raises(ValidationError):
        services.agreement_accept(agreement=agreement, user=green_staff, party=parties["Green"])
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.NEGOTIATING  # only the proposer's Lab accepted
    assert list(agreement.acceptances.values_list("party__short_name", flat=True)) == ["Lab"]


def test_withdrawal_ends_it_and_is_kept_in_history(setup, parties):
    _, _, lab_staff, ld_staff, green_staff = setup
    agreement = propose(setup, parties)
    services.agreement_accept(agreement=agreement, user=lab_staff, party=parties["Lab"])
    services.agreement_accept(agreement=agreement, user=ld_staff, party=parties["LD"])
    with pytest.raises(PermissionDenied):
        services.agreement_withdraw(agreement=agreement, user=green_staff, party=parties["LD"])
    agreement = services.agreement_withdraw(
        agreement=agreement, user=lab_staff, party=parties["Lab"], reason="Candidate selected"
    )
    assert agreement.status == AgreementStatus.WITHDRAWN
    assert agreement.history.last().detail == "Labour: Candidate selected"
    with pytest.raises(ValidationError):
        services.agreement_accept(agreement=agreement, user=ld_staff, party=parties["LD"])
    # A withdrawn agreement frees the seat for a new one.
    assert propose(setup, parties).pk != agreement.pk


def test_changing_terms_resets_acceptances(setup, parties):
    _, _, lab_staff, ld_staff, _ = setup
    agreement = propose(setup, parties)
    services.agreement_accept(agreement=agreement, user=lab_staff, party=parties["Lab"])
    agreement = services.agreement_update_terms(
        agreement=agreement, user=ld_staff, terms="New terms", red_lines="No leaflets"
    )
    assert agreement.status == AgreementStatus.NEGOTIATING
    assert not agreement.acceptances.exists()
    assert agreement.history.last().snapshot["terms"] == "New terms"


def test_proposal_rules(setup, parties):
    election, seat, lab_staff, _, green_staff = setup
    with pytest.raises(PermissionDenied):
        services.agreement_propose(
            user=green_staff,
            election=election,
            constituency=seat,
            arrangement="endorse",
            carries_hopes=parties["LD"],
            endorses=[parties["Lab"]],
        )
    with pytest.raises(ValidationError):
        services.agreement_propose(
            user=lab_staff,
            election=election,
            constituency=seat,
            arrangement="endorse",
            carries_hopes=parties["Lab"],
        )
    propose(setup, parties)
    with pytest.raises(ValidationError, match="already a live agreement"):
        propose(setup, parties)


def test_reciprocity_ledger_counts_agreed_stand_asides(setup, parties):
    election, _, lab_staff, ld_staff, _ = setup
    for _ in range(3):
        agreement = services.agreement_propose(
            user=lab_staff,
            election=election,
            constituency=ConstituencyFactory(),
            arrangement="stand_aside",
            carries_hopes=parties["LD"],
            stands_aside=[parties["Lab"]],
        )
        services.agreement_accept(agreement=agreement, user=lab_staff, party=parties["Lab"])
        services.agreement_accept(agreement=agreement, user=ld_staff, party=parties["LD"])
    rows = services.reciprocity_rows()
    assert [(r.party_a, r.party_b, r.a_for_b, r.b_for_a, r.lopsided) for r in rows] == [
        ("LD", "Lab", 0, 3, True)
    ]


def test_views_refuse_anonymous_and_outsiders(client, setup, parties):
    _, _, lab_staff, ld_staff, green_staff = setup
    agreement = propose(setup, parties)
    detail = reverse("seats:agreement_detail", args=[agreement.pk])
    accept = reverse("seats:agreement_accept", args=[agreement.pk])
    # Not agreed yet: hidden from the public and from other parties' staff.
    assert client.get(detail).status_code == 404
    assert client.post(accept, {"accept-party": parties["LD"].pk}).status_code == 302  # to login
    assert client.get(reverse("seats:agreement_create")).status_code == 302
    client.force_login(UserFactory())
    assert client.get(reverse("seats:agreement_create")).status_code == 403
    assert client.get(reverse("seats:agreement_list")).status_code == 403
    client.force_login(green_staff)
    assert client.get(detail).status_code == 404
    assert client.post(accept, {"accept-party": parties["Green"].pk}).status_code == 403
    # Lab staff posting "accept for LD": the form only offers the agreement's parties, and the
    # service refuses to act for a party the user does not work for.
    client.force_login(lab_staff)
    assert client.post(accept, {"accept-party": parties["LD"].pk}).status_code == 403
    assert not agreement.acceptances.filter(party=parties["LD"]).exists()
    assert client.post(accept, {"accept-party": parties["Lab"].pk}).status_code == 302
    client.force_login(ld_staff)
    client.post(accept, {"accept-party": parties["LD"].pk})
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.AGREED
    client.logout()
    assert client.get(detail).status_code == 200
    body = client.get(reverse("seats:pacts")).content.decode()
    assert "Marginalton" in body


def test_staff_propose_through_the_form(client, setup, parties):
    election, seat, lab_staff, *_ = setup
    client.force_login(lab_staff)
    response = client.post(
        reverse("seats:agreement_create"),
        {
            "election": election.slug,
            "constituency": seat.pk,
            "arrangement": "stand_aside",
            "carries_hopes": parties["LD"].pk,
            "stands_aside": [parties["Lab"].pk],
            "terms": "<script>x</script>",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    body = client.get(response["Location"]).content.decode()
    assert "&lt;script&gt;x&lt;/script&gt;" in body
    # Bad input re-renders with a message, keeping what was typed.
    response = client.post(
        reverse("seats:agreement_create"),
        {
            "election": election.slug,
            "constituency": seat.pk,
            "arrangement": "endorse",
            "carries_hopes": parties["LD"].pk,
            "terms": "kept text",
        },
    )
    assert response.status_code == 200
    assert "Name at least one party" in response.content.decode()
    assert "kept text" in response.content.decode()


def test_withdraw_through_the_view_needs_the_partys_own_staff(client, setup, parties):
    _, _, lab_staff, ld_staff, green_staff = setup
    agreement = propose(setup, parties)
    url = reverse("seats:agreement_withdraw", args=[agreement.pk])
    assert client.post(url, {"withdraw-party": parties["LD"].pk}).status_code == 302  # login
    client.force_login(green_staff)
    assert client.post(url, {"withdraw-party": parties["LD"].pk}).status_code == 403
    client.force_login(lab_staff)
    assert client.post(url, {"withdraw-party": parties["LD"].pk}).status_code == 403
    response = client.post(url, {"withdraw-party": parties["Lab"].pk, "withdraw-reason": "No"})
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.WITHDRAWN
    client.force_login(ld_staff)
    page = client.get(reverse("seats:agreement_detail", args=[agreement.pk])).content.decode()
    assert "withdrawn" in page and "Labour: No" in page


def test_seat_page_shows_only_agreed_pacts(client, setup, parties):
    _, seat, lab_staff, ld_staff, _ = setup
    agreement = propose(setup, parties)
    url = reverse("seats:detail", args=[seat.boundary_set, seat.ons_code])
    assert "No pact agreed" in client.get(url).content.decode()
    services.agreement_accept(agreement=agreement, user=lab_staff, party=parties["Lab"])
    services.agreement_accept(agreement=agreement, user=ld_staff, party=parties["LD"])
    body = client.get(url).content.decode()
    assert "Liberal Democrats: carries the alliance&#x27;s hopes" in body


def test_red_lines_stay_with_the_parties(client, setup, parties):
    _, _, lab_staff, ld_staff, _ = setup
    agreement = propose(setup, parties, red_lines="Secret: no joint leaflets")
    services.agreement_accept(agreement=agreement, user=lab_staff, party=parties["Lab"])
    services.agreement_accept(agreement=agreement, user=ld_staff, party=parties["LD"])
    url = reverse("seats:agreement_detail", args=[agreement.pk])
    public = client.get(url).content.decode()
    assert "Lab does not stand" in public and "Secret" not in public
    client.force_login(ld_staff)
    assert "Secret: no joint leaflets" in client.get(url).content.decode()
