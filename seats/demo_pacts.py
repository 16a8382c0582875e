"""The pacts part of `make run`'s sample (labelled as sample, fictional seats): an agreed pact, a
proposed agreement waiting for the other party, and a vote swap between two sample supporters.
Idempotent; demo_load calls `load` after the groups sample (which creates the sample seats)."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from groups.demo import demo_user
from groups.models import Party, PartyStaff
from seats import services
from seats.models import (
    Agreement,
    BoundarySet,
    Constituency,
    Election,
    SwapStatus,
    VoteSwap,
    VoteSwapRegistration,
)

PACT_SEAT = "Castleford Cross (sample)"
PROPOSED_SEAT = "Eastwick Heath (sample)"
SWAP_SEATS = ("Ashbourne Vale (sample)", "Brindlecombe (sample)")


@transaction.atomic
def load(stdout=None) -> bool:
    seats = {
        seat.name: seat
        for seat in Constituency.objects.filter(
            boundary_set=BoundarySet.SAMPLE, name__in=[PACT_SEAT, PROPOSED_SEAT, *SWAP_SEATS]
        )
    }
    parties = {p.short_name: p for p in Party.objects.filter(short_name__in=["Lab", "LD", "Green"])}
    if len(seats) < 4 or len(parties) < 3:
        return False
    staff = {}
    for short, party in parties.items():
        user = demo_user(f"{short.lower()}.pacts", f"{party.name} pacts officer (sample)")
        PartyStaff.objects.get_or_create(user=user, party=party)
        staff[short] = user
    election, _ = Election.objects.get_or_create(
        slug="sample-next-ge",
        defaults={
            "name": "Next general election (sample)",
            "date": timezone.localdate() + timedelta(days=365),
            "boundary_set": BoundarySet.SAMPLE,
        },
    )
    if not Agreement.objects.filter(election=election, constituency=seats[PACT_SEAT]).exists():
        pact = services.agreement_propose(
            user=staff["LD"],
            election=election,
            constituency=seats[PACT_SEAT],
            arrangement="stand_aside",
            carries_hopes=parties["LD"],
            stands_aside=[parties["Lab"], parties["Green"]],
            terms="Sample pact (fictional): Labour and the Greens stand aside for the Lib Dems.",
        )
        for short in ("Lab", "Green"):  # the proposer's party accepted by proposing
            pact = services.agreement_accept(
                agreement=pact, user=staff[short], party=parties[short]
            )
    if not Agreement.objects.filter(election=election, constituency=seats[PROPOSED_SEAT]).exists():
        services.agreement_propose(
            user=staff["Lab"],
            election=election,
            constituency=seats[PROPOSED_SEAT],
            arrangement="stand_aside",
            carries_hopes=parties["Lab"],
            stands_aside=[parties["Green"]],
            terms="Sample proposal (fictional): the Greens stand aside for Labour here.",
        )
    first = demo_user("swapper.one", "Sam Swapper (sample)")
    second = demo_user("swapper.two", "Tess Swapper (sample)")
    if not VoteSwap.objects.filter(a__user=first).exists():
        one = VoteSwapRegistration.objects.create(
            user=first,
            preferred_party=parties["Green"],
            local_party=parties["Lab"],
            constituency=seats[SWAP_SEATS[0]],
            status=SwapStatus.MATCHED,
        )
        two = VoteSwapRegistration.objects.create(
            user=second,
            preferred_party=parties["Lab"],
            local_party=parties["Green"],
            constituency=seats[SWAP_SEATS[1]],
            status=SwapStatus.MATCHED,
        )
        VoteSwap.objects.create(a=one, b=two, expires_at=timezone.now() + timedelta(days=7))
    if stdout is not None:
        stdout.write("seats: a sample pact, a proposed agreement and a vote swap.")
    return True
