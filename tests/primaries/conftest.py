"""A seat with an open-primary agreement between three parties, their staff, and helpers to
set up a primary and move through its dates."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from primaries import services
from primaries.models import Primary
from seats import services as seat_services
from tests.factories import ConstituencyFactory, PartyFactory, PartyStaffFactory, UserFactory
from tests.seats.factories import ElectionFactory

SEAT_CODE = "E14009999"
INSIDE = "PR1 1AA"
INSIDE_TOO = "PR1 2BB"
OUTSIDE = "ZZ9 9ZZ"
UNKNOWN = "PR9 9XX"  # the lookup answers 500 for it (service down)


@dataclass
class PrimaryWorld:
    seat: object
    agreement: object
    parties: list
    staff: list  # staff[i] works for parties[i]
    outsider_staff: object  # staff of a party not in the agreement
    stranger: object  # a signed-in account with no role
    site_admin: object
    start: object  # registration opens at start + 1 day

    def at(self, what: str):
        """Moments of the primary set up by `set_up` below."""
        offsets = {
            "setup": 0,
            "registration": 1.5,
            "registration_closed": 3.5,
            "voting": 4.5,
            "closed": 6.5,
        }
        return self.start + timedelta(days=offsets[what])


@pytest.fixture
def pw(db) -> PrimaryWorld:
    seat = ConstituencyFactory(name="Primaryton", ons_code=SEAT_CODE)
    parties = [
        PartyFactory(name=name, short_name=short, slug=short.lower())
        for name, short in (("Labour", "Lab"), ("Liberal Democrats", "LD"), ("Green", "Green"))
    ]
    staff = [
        PartyStaffFactory(party=p, user=UserFactory(name=f"{p.short_name} staff")).user
        for p in parties
    ]
    other_party = PartyFactory(name="Another Party", short_name="AP", slug="ap")
    outsider_staff = PartyStaffFactory(party=other_party).user
    election = ElectionFactory(slug="ge2029", boundary_set="sample")
    agreement = seat_services.agreement_propose(
        user=staff[0],
        election=election,
        constituency=seat,
        arrangement="open_primary",
        carries_hopes=parties[0],
        stands_aside=parties[1:],
        terms="Local voters choose.",
    )
    for party, person in zip(parties, staff, strict=True):  # they agree to hold a primary
        agreement = seat_services.agreement_accept(agreement=agreement, user=person, party=party)
    # The pact's own emails to party staff are tested in tests/seats: these tests count the
    # primary's emails only.
    from outbox.models import OutboxEmail

    OutboxEmail.objects.filter(key__startswith="agreement:").delete()
    start = timezone.now().replace(microsecond=0)
    return PrimaryWorld(
        seat=seat,
        agreement=agreement,
        parties=parties,
        staff=staff,
        outsider_staff=outsider_staff,
        stranger=UserFactory(name="Sam Stranger"),
        site_admin=UserFactory(name="Ada Admin", is_staff=True, is_superuser=True),
        start=start,
    )


def set_up(
    pw: PrimaryWorld, *, accept=True, candidates=3, electorate="residents", method="irv"
) -> Primary:
    """Rules, one candidate per party (the first `candidates` parties), every acceptance."""
    primary = services.primary_for_agreement(agreement=pw.agreement)
    services.primary_rules_set(
        primary=primary,
        user=pw.staff[0],
        electorate=electorate,
        counting_method=method,
        registration_opens_at=pw.at("setup") + timedelta(days=1),
        registration_closes_at=pw.at("setup") + timedelta(days=3),
        voting_opens_at=pw.at("setup") + timedelta(days=4),
        voting_closes_at=pw.at("setup") + timedelta(days=6),
    )
    for party, person in list(zip(pw.parties, pw.staff, strict=True))[:candidates]:
        services.candidate_save(
            primary=primary,
            user=person,
            party=party,
            name=f"{party.short_name} Candidate",
            statement=f"I stand for {party.name}.",
            red_lines=f"{party.short_name}: no austerity.",
        )
    if accept:
        for party, person in zip(pw.parties, pw.staff, strict=True):
            services.primary_accept(primary=primary, user=person, party=party)
    primary.refresh_from_db()
    return primary


@pytest.fixture
def travel():
    """`travel(moment)`: the clock stands at `moment` (ticking) until the test ends."""
    travellers = []

    def go(moment):
        if travellers:
            travellers.pop().stop()
        traveller = time_machine.travel(moment, tick=True)
        traveller.start()
        travellers.append(traveller)

    yield go
    for traveller in travellers:
        traveller.stop()


@pytest.fixture
def lookup(postcodes_server):
    postcodes_server.answers[INSIDE.replace(" ", "")] = SEAT_CODE
    postcodes_server.answers[INSIDE_TOO.replace(" ", "")] = SEAT_CODE
    postcodes_server.answers[OUTSIDE.replace(" ", "")] = "E14000001"
    postcodes_server.answers[UNKNOWN.replace(" ", "")] = None
    return postcodes_server


def deliver() -> list:
    """Run the outbox's delivery (as its worker would) and return the locmem mailbox."""
    from django.core import mail

    from outbox.services import outbox_deliver

    outbox_deliver()
    return mail.outbox


def register_and_confirm(primary, email: str, postcode: str = INSIDE):
    """Register by the service and confirm through the emailed link."""
    before = len(deliver())
    services.voter_register(primary=primary, email=email, postcode=postcode)
    messages = deliver()
    assert len(messages) == before + 1
    assert messages[-1].to == [email]
    token = link_token(messages[-1].body, "/primaries/confirm/")
    return services.voter_confirm(token=token)


def link_token(body: str, prefix: str) -> str:
    start = body.index(prefix) + len(prefix)
    return body[start:].split("/", 1)[0]


@pytest.fixture
def hostile(pw, lookup, travel):
    """Two published primaries at one moment: A taking registrations (a confirmed voter, an
    unconfirmed one with its emailed link), B open for voting (a plurality ballot link).
    Returns (placeholders for tests/security/url_table.py rows, users by name)."""
    from django.core import mail

    from primaries.models import Voter

    primary = set_up(pw)
    # B: another seat, dates 3.5 days earlier than A's, so B votes while A registers.
    seat_b = ConstituencyFactory(name="Otherton", ons_code="E14008888")
    agreement_b = seat_services.agreement_propose(
        user=pw.staff[0],
        election=pw.agreement.election,
        constituency=seat_b,
        arrangement="open_primary",
        carries_hopes=pw.parties[0],
        stands_aside=pw.parties[1:2],
    )
    primary_b = services.primary_for_agreement(agreement=agreement_b)
    shift = timedelta(days=3.5)
    services.primary_rules_set(
        primary=primary_b,
        user=pw.staff[0],
        electorate="residents",
        counting_method="plurality",
        registration_opens_at=primary.registration_opens_at - shift,
        registration_closes_at=primary.registration_closes_at - shift,
        voting_opens_at=primary.voting_opens_at - shift,
        voting_closes_at=primary.voting_closes_at - shift,
    )
    for party, person in zip(pw.parties[:2], pw.staff[:2], strict=True):
        services.candidate_save(
            primary=primary_b,
            user=person,
            party=party,
            name=f"B {party.short_name}",
            statement="B",
            red_lines="",
        )
    for party, person in zip(pw.parties[:2], pw.staff[:2], strict=True):
        services.primary_accept(primary=primary_b, user=person, party=party)
    Voter.objects.create(
        primary=primary_b,
        email="b@example.org",
        email_normalised="b@example.org",
        postcode="PR1 1AA",
        postcode_verified=True,
        status="registered",
    )
    # C: a third seat whose primary is still being set up (rules and candidates can change).
    agreement_c = seat_services.agreement_propose(
        user=pw.staff[0],
        election=pw.agreement.election,
        constituency=ConstituencyFactory(name="Thirdton", ons_code="E14007777"),
        arrangement="open_primary",
        carries_hopes=pw.parties[0],
        stands_aside=pw.parties[1:],
    )
    services.primary_for_agreement(agreement=agreement_c)
    travel(pw.at("registration"))
    voter = register_and_confirm(primary, "confirmed@example.org")
    mail.outbox.clear()
    services.voter_register(primary=primary, email="pending@example.org", postcode=INSIDE)
    confirm_token = link_token(deliver()[-1].body, "/primaries/confirm/")
    mail.outbox.clear()
    assert services.ballots_send_due() == 1
    vote_token = link_token(deliver()[-1].body, "/primaries/vote/")
    placeholders = {
        "primary_agreement": pw.agreement.pk,
        "setup_agreement": agreement_c.pk,
        "primary": primary.pk,
        "voter": voter.pk,
        "p1_pk": pw.parties[0].pk,
        "confirm_token": confirm_token,
        "vote_token": vote_token,
        "candidate": primary_b.candidates.first().pk,
    }
    users = {
        "staff_p1": pw.staff[0],
        "staff_p2": pw.staff[1],
        "outsider_staff": pw.outsider_staff,
        "stranger": pw.stranger,
    }
    return placeholders, users


def fill(placeholders: dict, path: str, data_factory):
    data = None
    if data_factory is not None:
        data = {k: str(v).format(**placeholders) for k, v in data_factory().items()}
    return path.format(**placeholders), data


def roll_snapshot() -> dict:
    """What a refused request must not have changed."""
    from primaries.models import Ballot, Candidate, Primary, PrimaryAcceptance, Voter

    return {
        "primaries": list(
            Primary.objects.order_by("pk").values_list(
                "pk",
                "status",
                "electorate",
                "counting_method",
                "rules_version",
                "voting_opens_at",
            )
        ),
        "candidates": list(Candidate.objects.order_by("pk").values_list("pk", "name", "statement")),
        "acceptances": list(PrimaryAcceptance.objects.order_by("pk").values_list("pk")),
        "roll": list(Voter.objects.order_by("pk").values_list("pk", "status", "voted")),
        "ballots": Ballot.objects.count(),
    }
