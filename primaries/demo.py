"""A sample open primary for the demo (labelled as sample: a fictional seat, fictional
candidates), taking registrations, between Labour, the Lib Dems and the Greens. Idempotent;
groups' demo_load calls `load` after the groups and seats samples."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from groups.demo import demo_user
from groups.models import Party, PartyStaff
from primaries import services
from primaries.models import Primary
from seats import services as seat_services
from seats.models import Agreement, AgreementStatus, BoundarySet, Constituency, Election

SEAT = "Dunmere (sample)"
CANDIDATES = {
    "Lab": (
        "Dana Okafor",
        "Sample candidate (fictional). Buses that run, homes people can afford.",
    ),
    "LD": ("Rhys Pennington", "Sample candidate (fictional). Rejoin the single market."),
    "Green": ("Ivy Marsh", "Sample candidate (fictional). Warm homes and clean rivers."),
}
RED_LINES = {
    "Lab": "No cuts to local NHS services.",
    "LD": "Proportional representation in the first term.",
    "Green": "No new fossil-fuel licences.",
}


@transaction.atomic
def load(stdout=None) -> Primary | None:
    seat = Constituency.objects.filter(name=SEAT, boundary_set=BoundarySet.SAMPLE).first()
    if seat is None:
        return None
    existing = Primary.objects.filter(agreement__constituency=seat).first()
    if existing is not None:
        return existing
    parties = {p.short_name: p for p in Party.objects.filter(short_name__in=list(CANDIDATES))}
    staff = {}
    for short, party in parties.items():
        user = demo_user(f"{short.lower()}.primary", f"{party.name} primaries officer (sample)")
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
    if (
        Agreement.objects.filter(election=election, constituency=seat)
        .exclude(status=AgreementStatus.WITHDRAWN)
        .exists()
    ):
        return None
    agreement = seat_services.agreement_propose(
        user=staff["Lab"],
        election=election,
        constituency=seat,
        arrangement="open_primary",
        carries_hopes=parties["Lab"],
        stands_aside=[parties["LD"], parties["Green"]],
        terms="Sample agreement (fictional): local voters choose one candidate in an open primary.",
    )
    for short, party in parties.items():
        agreement = seat_services.agreement_accept(
            agreement=agreement, user=staff[short], party=party
        )
    primary = services.primary_for_agreement(agreement=agreement)
    now = timezone.now().replace(second=0, microsecond=0)
    services.primary_rules_set(
        primary=primary,
        user=staff["Lab"],
        electorate="residents",
        counting_method="irv",
        registration_opens_at=now - timedelta(hours=1),
        registration_closes_at=now + timedelta(days=14),
        voting_opens_at=now + timedelta(days=15),
        voting_closes_at=now + timedelta(days=22),
    )
    for short, (name, statement) in CANDIDATES.items():
        services.candidate_save(
            primary=primary,
            user=staff[short],
            party=parties[short],
            name=name,
            statement=statement,
            red_lines=RED_LINES[short],
        )
    for short, party in parties.items():
        services.primary_accept(primary=primary, user=staff[short], party=party)
    primary.refresh_from_db()
    if stdout is not None:
        stdout.write(f"primaries: sample open primary in {SEAT}, taking registrations.")
    return primary
