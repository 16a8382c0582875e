"""Sample petitions for the demo (labelled as sample): one at 0, one with confirmed signatures
across the sample constituencies. Idempotent; the lead's demo_load calls `load`."""

import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from groups.models import Group
from petitions.models import Petition, PetitionStatus, Signature, SignatureStatus
from petitions.services.counting import petition_count
from petitions.services.petitions import petition_create
from seats.models import BoundarySet, Constituency

SAMPLE_FIRST_NAMES = [
    "Alex",
    "Sam",
    "Priya",
    "Tom",
    "Aisha",
    "Niamh",
    "Gareth",
    "Mei",
    "Jo",
    "Femi",
]

SAMPLES = [
    {
        "title": "Lib Dems: communicate more with pro-EU groups and Progressive Alliance groups "
        "to win seats",
        "target": "the Liberal Democrats",
        "body": "Sample petition (fictional, for the demo).\n\n"
        "Local pro-EU groups and Progressive Alliance groups knock doors in the same seats "
        "as Lib Dem branches. We ask the party to:\n\n"
        "- share its campaign calendar with local groups\n"
        "- tell groups early where it is **not** standing a strong campaign\n"
        "- meet groups in every target seat before the next election",
        "signatures": 137,
    },
    {
        "title": "Rejoin Erasmus+ for every school in our towns",
        "target": "the Secretary of State for Education",
        "body": "Sample petition (fictional, for the demo).\n\nStudents in our towns lost "
        "the chance to study abroad. Bring back full participation in Erasmus+.",
        "signatures": 0,
    },
]


@transaction.atomic
def load(stdout=None) -> list[Petition]:
    group = Group.objects.order_by("-is_verified", "pk").first()
    if group is None:
        if stdout:
            stdout.write("petitions demo: no group yet, skipped")
        return []
    constituencies = list(Constituency.objects.filter(boundary_set=BoundarySet.SAMPLE))
    created = []
    for sample in SAMPLES:
        if Petition.objects.filter(title=sample["title"], is_sample=True).exists():
            continue
        petition = petition_create(
            group=group,
            author=None,
            title=sample["title"],
            target=sample["target"],
            body=sample["body"],
            is_sample=True,
        )
        petition.status = PetitionStatus.OPEN  # a sample: published without moderation
        petition.save(update_fields=["status"])
        now = timezone.now()
        rows = []
        for n in range(sample["signatures"]):
            when = now - timedelta(hours=sample["signatures"] - n)
            first = SAMPLE_FIRST_NAMES[n % len(SAMPLE_FIRST_NAMES)]
            constituency = constituencies[n % len(constituencies)] if constituencies else None
            rows.append(
                Signature(
                    petition=petition,
                    name=f"{first} Sample{n}",
                    email=f"sample{n}@demo.alliance.test",
                    email_normalised=f"sample{n}@demo.alliance.test",
                    email_domain="demo.alliance.test",
                    postcode="ZZ9 9ZZ",
                    constituency=constituency,
                    show_publicly=n % 3 == 0,
                    status=SignatureStatus.CONFIRMED,
                    token=secrets.token_urlsafe(32),
                    created_at=when,
                    confirmed_at=when,
                    changed_at=when,
                )
            )
        Signature.objects.bulk_create(rows)
        petition_count(petition_id=petition.pk)
        created.append(petition)
    if stdout:
        stdout.write(f"petitions demo: {len(created)} sample petitions")
    return created
