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


def register_and_confirm(primary, email: str, postcode: str = INSIDE):
    """Register by the service and confirm through the emailed link (read from the outbox)."""
    from django.core import mail

    before = len(mail.outbox)
    services.voter_register(primary=primary, email=email, postcode=postcode)
    voter = primary.roll.get(email=email)
    services.voter_confirmation_send(voter_id=voter.pk)
    assert len(mail.outbox) == before + 1
    token = link_token(mail.outbox[-1].body, "/primaries/confirm/")
    return services.voter_confirm(token=token)


def link_token(body: str, prefix: str) -> str:
    start = body.index(prefix) + len(prefix)
    return body[start:].split("/", 1)[0]
