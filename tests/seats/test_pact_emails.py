"""Pacts reach people: every step emails the staff of every party in it, exactly once."""

import pytest
from django.urls import reverse

from outbox.models import OutboxEmail
from outbox.services import outbox_deliver
from seats import services
from seats.models import AgreementStatus
from tests.factories import ConstituencyFactory, PartyStaffFactory, UserFactory
from tests.seats.factories import ElectionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(parties):
    staff = {code: PartyStaffFactory(party=parties[code]).user for code in ("Lab", "LD", "Green")}
    # Region staff elsewhere, and staff of a party outside the pact, hear nothing.
    elsewhere = PartyStaffFactory(party=parties["LD"], region="E12000001").user
    snp = PartyStaffFactory(party=parties["SNP"]).user
    seat = ConstituencyFactory(name="Marginalton", region="E12000008")
    return staff, elsewhere, snp, seat, ElectionFactory(slug="next2029")


def _to(prefix: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for email in OutboxEmail.objects.filter(key__startswith=prefix):
        counts[email.to_email] = counts.get(email.to_email, 0) + 1
    return counts


def test_every_step_emails_the_other_parties_staff_once(people, parties):
    staff, elsewhere, snp, seat, election = people
    agreement = services.agreement_propose(
        user=staff["Lab"],
        election=election,
        constituency=seat,
        arrangement="stand_aside",
        carries_hopes=parties["LD"],
        stands_aside=[parties["Lab"], parties["Green"]],
    )
    assert agreement.status == AgreementStatus.NEGOTIATING  # Lab accepted on proposing
    prefix = f"agreement:{agreement.pk}:"
    assert _to(prefix) == {staff["LD"].email: 1, staff["Green"].email: 1}
    proposed = OutboxEmail.objects.get(to_email=staff["LD"].email)
    assert "Pact proposed in Marginalton" in proposed.subject
    assert reverse("seats:agreement_detail", args=[agreement.pk]) in proposed.body_text
    assert "Liberal Democrats: carries the alliance" in proposed.body_text

    services.agreement_accept(agreement=agreement, user=staff["LD"], party=parties["LD"])
    services.agreement_accept(agreement=agreement, user=staff["LD"], party=parties["LD"])  # again
    assert OutboxEmail.objects.filter(key__startswith=prefix).count() == 4  # to Lab and Green
    services.agreement_update_terms(
        agreement=agreement, user=staff["Green"], terms="New terms", red_lines=""
    )
    changed = OutboxEmail.objects.filter(subject__contains="terms changed")
    assert {e.to_email for e in changed} == {staff["Lab"].email, staff["LD"].email}
    services.agreement_withdraw(
        agreement=agreement, user=staff["LD"], party=parties["LD"], reason="Local objections"
    )
    services.agreement_withdraw(agreement=agreement, user=staff["LD"], party=parties["LD"])
    withdrawn = OutboxEmail.objects.filter(subject__contains="withdrawn")
    assert {e.to_email for e in withdrawn} == {staff["Lab"].email, staff["Green"].email}
    assert "Local objections" in withdrawn.first().body_text
    for outsider in (elsewhere, snp):
        assert not OutboxEmail.objects.filter(to_email=outsider.email).exists()


def test_agreed_email_and_delivery(people, parties, mailoutbox):
    staff, _, _, seat, election = people
    agreement = services.agreement_propose(
        user=staff["Green"],
        election=election,
        constituency=seat,
        arrangement="stand_aside",
        carries_hopes=parties["Green"],
        stands_aside=[parties["Lab"]],
    )
    services.agreement_accept(agreement=agreement, user=staff["Lab"], party=parties["Lab"])
    agreed = OutboxEmail.objects.get(subject__contains="Pact agreed in Marginalton")
    assert agreed.to_email == staff["Green"].email
    report = outbox_deliver()
    assert len(report.sent) == OutboxEmail.objects.count() == 2
    assert {m.to[0] for m in mailoutbox} == {staff["Lab"].email, staff["Green"].email}
    outbox_deliver()
    assert len(mailoutbox) == 2


def test_a_superuser_proposing_accepts_for_nobody(people, parties):
    staff, _, _, seat, election = people
    admin = UserFactory(is_superuser=True)
    agreement = services.agreement_propose(
        user=admin,
        election=election,
        constituency=seat,
        arrangement="stand_aside",
        carries_hopes=parties["LD"],
        stands_aside=[parties["Lab"]],
    )
    assert agreement.status == AgreementStatus.PROPOSED
    assert not agreement.acceptances.exists()
    assert set(_to(f"agreement:{agreement.pk}:")) == {staff["Lab"].email, staff["LD"].email}


def test_seat_page_offers_party_staff_a_pact_here(client, people):
    staff, _, _, seat, _ = people
    url = reverse("seats:detail", args=[seat.boundary_set, seat.ons_code])
    assert "Propose a pact here" not in client.get(url).content.decode()
    client.force_login(UserFactory())
    assert "Propose a pact here" not in client.get(url).content.decode()
    client.force_login(staff["Lab"])
    body = client.get(url).content.decode()
    assert f"/seats/agreements/new/?seat={seat.pk}" in body
    form = client.get(f"/seats/agreements/new/?seat={seat.pk}&election=next2029").content.decode()
    assert f'<option value="{seat.pk}" selected>' in form
