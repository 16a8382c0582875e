"""A sample priority-mapping round for the demo, labelled as a sample: a closed round of a
demo Progressive Alliance group with its linked pro-EU group taking part, published as a
statement and endorsed by both. Idempotent; demo_load calls `load`."""

from django.db import transaction

from groups.demo import DEMO_DOMAIN
from groups.models import Group, GroupKind, Party
from priorities import services
from priorities.models import Round

TITLE = "Sample round: what should we campaign on together? (sample)"
STATEMENT_TITLE = "Sample shared priorities (fictional, for the demo)"

# (name, party short name or "", notes), clusters by keyword below
PEOPLE = [
    ("Sample participant A", "Lab", ["Cut NHS waiting lists", "Council homes for young families"]),
    ("Sample participant B", "LD", ["NHS dentists in every town", "Rejoin the single market"]),
    ("Sample participant C", "Green", ["Clean up our rivers", "Insulate every home"]),
    ("Sample participant D", "Lab", ["Affordable housing", "Rivers full of sewage"]),
    ("Sample participant E", "", ["Mental health services (NHS)", "Closer ties with the EU"]),
    ("Sample participant F", "Green", ["Stop sewage in the sea", "Proportional representation"]),
    ("Sample participant G", "LD", ["Fair votes: PR now", "Social housing"]),
]
CLUSTERS = {
    "NHS": ["NHS"],
    "Housing": ["hous", "homes for"],
    "Clean rivers and seas": ["river", "sewage"],
    "Europe": ["EU", "single market"],
    "Fair votes": ["PR", "Proportional"],
    "Warm homes": ["Insulate"],
}


@transaction.atomic
def load(stdout=None) -> Round | None:
    existing = Round.objects.filter(title=TITLE).first()
    if existing:
        return existing
    group = (
        Group.objects.filter(
            kind=GroupKind.PROGRESSIVE_ALLIANCE, contact_email__endswith=f"@{DEMO_DOMAIN}"
        )
        .order_by("pk")
        .first()
    )
    if group is None:
        if stdout:
            stdout.write("priorities demo: no demo group yet, skipped")
        return None
    organiser = group.memberships.filter(role="organiser").first().user
    parties = {p.short_name: p for p in Party.objects.all()}
    round_ = services.round_open(group=group, opened_by=organiser, title=TITLE)
    notes = []
    for name, party, texts in PEOPLE:
        person = services.participant_join(
            round_=round_, name=name, party=parties.get(party), agreed_to_be_named=False
        )
        notes += [services.note_add(participant=person, text=text) for text in texts]
    clusters = {}
    for cluster_name, keywords in CLUSTERS.items():
        ids = [n.pk for n in notes if any(k in n.text for k in keywords) and n.pk not in {
            m for c in clusters.values() for m in c[1]
        }]  # fmt: skip
        clusters[cluster_name] = (
            services.cluster_create(round_=round_, name=cluster_name, note_ids=ids),
            ids,
        )
    ordered = [c for c, _ids in clusters.values()]
    for index, participant in enumerate(round_.participants.order_by("pk")):
        for step in range(3):
            services.dot_add(participant=participant, cluster=ordered[(index + step * 2) % 4])
    services.round_close(round_=round_)
    statement = services.statement_create(
        round_=round_,
        created_by=organiser,
        title=STATEMENT_TITLE,
        introduction="Sample data: this statement and the round behind it are fictional.",
    )
    services.statement_endorse(statement=statement, user=organiser, group=group)
    linked = (
        Group.objects.linked_to(group).first()
        or Group.objects.filter(region=group.region, contact_email__endswith=f"@{DEMO_DOMAIN}")
        .exclude(pk=group.pk)
        .first()
    )
    if linked:
        services.statement_endorse(statement=statement, user=organiser, group=linked)
    if stdout:
        stdout.write(f"priorities demo: {TITLE}")
    return round_
