"""Clusters of seats: a package of agreements is accepted or rejected as a whole; changing it
resets every acceptance; each step emails the parties' staff once; its balance and the
reciprocity ledger (per package, region and election, endorsements beside stand-asides)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from groups.models import Role
from outbox.models import OutboxEmail
from seats import packages, services
from seats.models import AgreementStatus, PackageStatus
from tests.factories import (
    ConstituencyFactory,
    GroupFactory,
    MembershipFactory,
    PartyStaffFactory,
    UserFactory,
)
from tests.seats.factories import ElectionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal(parties):
    """Greens and Lib Dems, three seats for the next election: Greens carry one, Lib Dems two."""
    green, ld = parties["Green"], parties["LD"]
    staff = {"Green": PartyStaffFactory(party=green).user, "LD": PartyStaffFactory(party=ld).user}
    election = ElectionFactory(slug="ge2029", name="General election 2029")
    seats = [
        ConstituencyFactory(name=name, region="E12000009")
        for name in ("Bristol Central", "Taunton", "Wells")
    ]

    def propose(seat, carrier, aside, **extra):
        return services.agreement_propose(
            user=staff[carrier.short_name],
            election=election,
            constituency=seat,
            arrangement="stand_aside",
            carries_hopes=carrier,
            stands_aside=[aside],
            **extra,
        )

    agreements = [
        propose(seats[0], green, ld, red_lines="Green red line"),
        propose(seats[1], ld, green),
        propose(seats[2], ld, green),
    ]
    return staff, election, seats, agreements


def _package(deal, agreements=None, by="Green"):
    staff, election, _, all_agreements = deal
    return packages.package_propose(
        user=staff[by],
        election=election,
        name="Severn deal",
        agreements=agreements or all_agreements[:2],
    )


def test_each_party_accepts_the_whole_package_and_every_pact_in_it(deal, parties):
    staff, _, _, agreements = deal
    package = _package(deal)
    assert package.status == PackageStatus.NEGOTIATING
    assert set(package.acceptances.values_list("party__short_name", flat=True)) == {"Green"}
    packages.package_accept(package=package, user=staff["LD"], party=parties["LD"])
    package.refresh_from_db()
    assert package.status == PackageStatus.AGREED
    for agreement in agreements[:2]:
        agreement.refresh_from_db()
        assert agreement.status == AgreementStatus.AGREED
    agreements[2].refresh_from_db()
    assert agreements[2].package_id is None  # not in the package: untouched


def test_only_a_partys_own_staff_accept_for_it(deal, parties):
    staff, _, _, _ = deal
    package = _package(deal)
    lab_staff = PartyStaffFactory(party=parties["Lab"]).user
    for user, party in ((staff["Green"], parties["LD"]), (lab_staff, parties["LD"])):
        with pytest.raises(PermissionDenied):
            packages.package_accept(package=package, user=user, party=party)
    with pytest.raises(ValidationError):  # Labour is not in it
        packages.package_accept(package=package, user=lab_staff, party=parties["Lab"])
    assert package.acceptances.count() == 1


def test_proposing_needs_two_live_agreements_of_the_election_your_party_is_in(deal, parties):
    staff, election, seats, agreements = deal
    with pytest.raises(ValidationError):
        _package(deal, agreements=agreements[:1])
    lab_staff = PartyStaffFactory(party=parties["Lab"]).user
    with pytest.raises(PermissionDenied):
        packages.package_propose(
            user=lab_staff, election=election, name="X", agreements=agreements[:2]
        )
    other = ElectionFactory(slug="by2028")
    with pytest.raises(ValidationError):
        packages.package_propose(
            user=staff["Green"], election=other, name="X", agreements=agreements[:2]
        )
    _package(deal)
    with pytest.raises(ValidationError):  # already in a package
        _package(deal, agreements=agreements[1:])


def test_changing_the_package_resets_every_acceptance(deal, parties):
    staff, _, _, agreements = deal
    package = _package(deal)
    packages.package_accept(package=package, user=staff["LD"], party=parties["LD"])
    packages.package_agreement_add(package=package, user=staff["LD"], agreement=agreements[2])
    package.refresh_from_db()
    assert package.status == PackageStatus.NEGOTIATING
    assert package.acceptances.count() == 0
    assert {a.status for a in package.agreements.all()} == {AgreementStatus.NEGOTIATING}
    assert not any(a.acceptances.exists() for a in package.agreements.all())
    packages.package_accept(package=package, user=staff["LD"], party=parties["LD"])
    packages.package_accept(package=package, user=staff["Green"], party=parties["Green"])
    package.refresh_from_db()
    assert package.status == PackageStatus.AGREED
    assert package.agreements.filter(status=AgreementStatus.AGREED).count() == 3
    # Changing the terms in one seat resets the package too.
    services.agreement_update_terms(
        agreement=agreements[1], user=staff["Green"], terms="New", red_lines=""
    )
    package.refresh_from_db()
    assert package.status == PackageStatus.NEGOTIATING and not package.acceptances.exists()
    packages.package_agreement_remove(package=package, user=staff["Green"], agreement=agreements[2])
    assert package.agreements.count() == 2
    with pytest.raises(ValidationError):
        packages.package_agreement_remove(
            package=package, user=staff["Green"], agreement=agreements[1]
        )


def test_rejecting_the_package_withdraws_every_agreement_in_it(deal, parties):
    staff, _, _, agreements = deal
    package = _package(deal)
    packages.package_reject(package=package, user=staff["LD"], party=parties["LD"], reason="No")
    package.refresh_from_db()
    assert package.status == PackageStatus.REJECTED
    assert {a.status for a in package.agreements.all()} == {AgreementStatus.WITHDRAWN}
    with pytest.raises(ValidationError):
        packages.package_accept(package=package, user=staff["LD"], party=parties["LD"])


def test_every_step_emails_the_other_partys_staff_once_with_a_link(deal, parties):
    staff, _, _, _ = deal
    OutboxEmail.objects.all().delete()  # the agreements' own emails
    package = _package(deal)
    proposed = OutboxEmail.objects.filter(key__startswith=f"package:{package.pk}:")
    assert [e.to_email for e in proposed] == [staff["LD"].email]
    email = proposed.get()
    assert "Package of seats proposed: Severn deal" in email.subject
    assert f"/seats/packages/{package.pk}/" in email.body_text
    assert "Green Party stand aside in 1, Liberal Democrats in 1." in email.body_text
    packages.package_accept(package=package, user=staff["LD"], party=parties["LD"])
    packages.package_accept(package=package, user=staff["LD"], party=parties["LD"])  # again
    agreed = OutboxEmail.objects.filter(key__startswith=f"package:{package.pk}:").exclude(
        pk=email.pk
    )
    assert [e.to_email for e in agreed] == [staff["Green"].email]
    assert "Package agreed" in agreed.get().subject
    # One email per package step, not one per seat.
    assert not OutboxEmail.objects.filter(key__startswith="agreement:").exists()


def test_the_balance_says_who_stands_aside_where(deal, parties):
    _, _, _, agreements = deal
    package = _package(deal, agreements=agreements)
    balance = packages.package_balance(package.agreements.prefetch_related("parties__party").all())
    assert packages.package_balance_sentence(balance) == (
        "Green Party stand aside in 2, Liberal Democrats in 1."
    )
    green = next(row for row in balance if row.party == "Green Party")
    assert (green.carries, green.stands_aside, green.endorses) == (1, 2, 0)


def test_reciprocity_per_package_region_and_election_counts_endorsements(deal, parties):
    staff, election, seats, agreements = deal
    package = _package(deal)
    packages.package_accept(package=package, user=staff["LD"], party=parties["LD"])
    services.agreement_accept(agreement=agreements[2], user=staff["Green"], party=parties["Green"])
    elsewhere = ConstituencyFactory(name="Leeds", region="E12000003")
    endorse = services.agreement_propose(
        user=staff["Green"],
        election=election,
        constituency=elsewhere,
        arrangement="endorse",
        carries_hopes=parties["LD"],
        endorses=[parties["Green"]],
    )
    services.agreement_accept(agreement=endorse, user=staff["LD"], party=parties["LD"])

    def ledger(**filters):
        (row,) = services.reciprocity_rows(**filters)
        assert (row.party_a, row.party_b) == ("Green", "LD")
        return row.a_for_b, row.b_for_a, row.a_endorsed_b, row.b_endorsed_a

    assert ledger() == (2, 1, 1, 0)
    assert ledger(package=package) == (1, 1, 0, 0)
    assert ledger(region="E12000003") == (0, 0, 1, 0)
    assert ledger(election=election) == (2, 1, 1, 0)
    assert services.reciprocity_rows(election=ElectionFactory(slug="ge2034")) == []


def test_reciprocity_page_filters_and_hides_packages_not_agreed(client, deal, parties):
    staff, election, _, _ = deal
    package = _package(deal)
    page = client.get("/seats/pacts/reciprocity/").content.decode()
    assert "Severn deal" not in page  # still negotiating: not public
    packages.package_accept(package=package, user=staff["LD"], party=parties["LD"])
    page = client.get(f"/seats/pacts/reciprocity/?package={package.pk}").content.decode()
    assert "Severn deal" in page
    assert "<td>Green</td><td>LD</td><td>1</td><td>1</td>" in page
    page = client.get("/seats/pacts/reciprocity/?region=E12000001").content.decode()
    assert "No agreed stand-asides or endorsements here yet." in page


@pytest.fixture
def consulted(deal):
    """A group covering Bristol Central, with its organiser; another group's organiser."""
    _, _, seats, _ = deal
    organiser, other = UserFactory(name="Olu Organiser"), UserFactory(name="Ola Other")
    group = GroupFactory(name="Bristol for Europe")
    group.constituencies.add(seats[0])
    MembershipFactory(user=organiser, group=group, role=Role.ORGANISER)
    elsewhere = GroupFactory(name="Leeds Greens")
    elsewhere.constituencies.add(ConstituencyFactory(name="Leeds"))
    MembershipFactory(user=other, group=elsewhere, role=Role.ORGANISER)
    return organiser, group, other, elsewhere


def test_local_consultation_organisers_read_comment_and_endorse(client, deal, consulted):
    staff, _, _, _ = deal
    organiser, group, other, elsewhere = consulted
    package = _package(deal)
    url = package.get_absolute_url()
    client.force_login(organiser)
    assert client.get(url).status_code == 404  # not open to consultation yet
    packages.package_consultation_open(package=package, user=staff["Green"])
    packages.package_consultation_open(package=package, user=staff["LD"])  # again: no more
    invited = OutboxEmail.objects.filter(key__startswith=f"package-consultation:{package.pk}:")
    assert [e.to_email for e in invited] == [organiser.email]  # not the group elsewhere
    assert url in invited.get().body_text
    page = client.get(url)
    assert page.status_code == 200
    assert "Green red line" not in page.content.decode()  # never the red lines
    response = client.post(
        f"{url}comment/", {"group": group.pk, "body": "Our members back this.", "endorses": "on"}
    )
    assert response.status_code == 302
    client.force_login(staff["LD"])
    page = client.get(url).content.decode()
    assert "Our members back this." in page and "Endorses" in page and "Green red line" in page
    # An organiser of a group elsewhere, and for another group, is refused.
    client.force_login(other)
    assert client.get(url).status_code == 404
    assert client.post(f"{url}comment/", {"group": elsewhere.pk, "body": "x"}).status_code == 404
    with pytest.raises(PermissionDenied):
        packages.package_comment_add(package=package, user=other, group=elsewhere, body="x")
    with pytest.raises(PermissionDenied):
        packages.package_comment_add(package=package, user=other, group=group, body="x")
    assert package.comments.count() == 1


def test_package_pages_for_staff(client, deal, parties):
    staff, election, _, agreements = deal
    client.force_login(staff["Green"])
    page = client.get("/seats/packages/new/")
    assert page.status_code == 200
    assert "Bristol Central" in page.content.decode()
    response = client.post(
        "/seats/packages/new/",
        {
            "election": election.slug,
            "name": "Severn deal",
            "agreements": [agreements[0].pk, agreements[1].pk],
        },
    )
    assert response.status_code == 302
    url = response["Location"]
    page = client.get(url).content.decode()
    assert "Green Party stand aside in 1, Liberal Democrats in 1." in page
    assert "Severn deal" in client.get("/seats/packages/").content.decode()
    client.force_login(staff["LD"])
    assert client.post(f"{url}accept/", {"accept-party": parties["LD"].pk}).status_code == 302
    client.logout()
    pacts = client.get("/seats/pacts/").content.decode()
    assert f'part of the package <a href="{url}">Severn deal</a>' in pacts
    page = client.get(url)  # agreed: public, without red lines or history
    assert page.status_code == 200
    assert "Green red line" not in page.content.decode()
    assert "History" not in page.content.decode()


def test_package_list_has_a_constant_query_count(client, deal, parties, django_assert_num_queries):
    staff, election, _, _ = deal
    _package(deal)
    client.force_login(staff["Green"])

    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get("/seats/packages/").status_code == 200
        return len(captured)

    first = count()
    more = [
        services.agreement_propose(
            user=staff["Green"],
            election=election,
            constituency=ConstituencyFactory(),
            arrangement="stand_aside",
            carries_hopes=parties["Green"],
            stands_aside=[parties["LD"]],
        )
        for _ in range(4)
    ]
    packages.package_propose(user=staff["Green"], election=election, name="B", agreements=more[:2])
    packages.package_propose(user=staff["Green"], election=election, name="C", agreements=more[2:])
    with django_assert_num_queries(first):
        client.get("/seats/packages/")
