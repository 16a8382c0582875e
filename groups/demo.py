"""Demo data for the run command: a labelled, fictional sample. Real results come via seats."""

from allauth.account.models import EmailAddress
from django.db import transaction

from accounts.models import User
from groups.models import Group, GroupKind, PartyStaff, Role
from groups.parties import parties_seed
from groups.services import group_create, group_link_request, group_member_add
from seats.models import BoundarySet, Constituency
from seats.regions import Region, nation_of_region

DEMO_PASSWORD = "alliance-demo"
DEMO_DOMAIN = "demo.alliance.test"
SAMPLE_NOTE = "Sample data: this group is fictional and exists to show how Alliance works."

# Fictional places, each in a real region so filters have something to show.
PLACES: list[tuple[str, str]] = [
    ("Ashbourne Vale", Region.SOUTH_WEST),
    ("Brindlecombe", Region.SOUTH_WEST),
    ("Castleford Cross", Region.SOUTH_EAST),
    ("Dunmere", Region.SOUTH_EAST),
    ("Eastwick Heath", Region.LONDON),
    ("Fenwick Park", Region.LONDON),
    ("Glenmorran", Region.SCOTLAND),
    ("Harrowgate Bridge", Region.NORTH_WEST),
    ("Inglewood", Region.NORTH_EAST),
    ("Jarrowfield", Region.YORKSHIRE),
    ("Kilbarry", Region.WALES),
    ("Lindenholme", Region.EAST),
]


def demo_user(local_part: str, name: str) -> User:
    email = f"{local_part}@{DEMO_DOMAIN}"
    user, created = User.objects.get_or_create(email=email, defaults={"name": name})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


@transaction.atomic
def load(stdout=None) -> dict[str, str]:
    """Create the sample (idempotent: running it again changes nothing); returns the logins."""
    parties = {party.short_name: party for party in parties_seed()}
    constituencies = {}
    for index, (place, region) in enumerate(PLACES, start=1):
        constituencies[place], _ = Constituency.objects.get_or_create(
            ons_code=f"SAMPLE{index:03d}",
            boundary_set=BoundarySet.SAMPLE,
            defaults={
                "name": f"{place} (sample)",
                "region": region,
                "nation": nation_of_region(region),
                "electorate": 70_000 + index * 1_113,
            },
        )

    admin = demo_user("admin", "Ada Admin")
    if not admin.is_superuser:
        admin.is_staff = admin.is_superuser = True
        admin.save(update_fields=["is_staff", "is_superuser"])
    organiser = demo_user("organiser", "Olive Organiser")
    libdem_staff = demo_user("libdem.staff", "Liam Staffer")
    PartyStaff.objects.get_or_create(
        user=libdem_staff, party=parties["LD"], defaults={"notify_clashes": True}
    )
    supporter = demo_user("supporter", "Sam Supporter")

    branch_parties = [
        "LD",
        "Lab",
        "Green",
        "LD",
        "Lab",
        "Green",
        "SNP",
        "LD",
        "Lab",
        "LD",
        "PC",
        "Green",
    ]
    created_groups = []
    for index, (place, region) in enumerate(PLACES):
        party = parties[branch_parties[index]]
        specs = [
            (f"{place} {party.name}", GroupKind.PARTY_BRANCH, party),
            (f"{place} for Europe", GroupKind.PRO_EU, None),
            (f"{place} Progressive Alliance", GroupKind.PROGRESSIVE_ALLIANCE, None),
        ]
        if index % 4 == 0:
            specs.append((f"{place} Climate Action", GroupKind.OTHER, None))
        for name, kind, group_party in specs:
            owner = (
                organiser
                if index < 2
                else demo_user(
                    f"organiser{len(created_groups) + 1}", f"Organiser {len(created_groups) + 1}"
                )
            )
            existing = Group.objects.filter(name=name, contact_email__endswith=DEMO_DOMAIN).first()
            group = existing or group_create(
                creator=owner,
                constituencies=[constituencies[place]],
                name=name,
                kind=kind,
                party=group_party,
                region=region,
                description=f"{SAMPLE_NOTE}\n\nCampaigning in and around {place}.",
                contact_email=f"contact+{len(created_groups)}@{DEMO_DOMAIN}",
                is_verified=index % 3 != 2,
            )
            created_groups.append(group)
            group_member_add(group=group, user=supporter, role=Role.MEMBER)
        # Each place's pro-EU group has linked up with its party branch.
        group_link_request(
            from_group=created_groups[-len(specs) + 1],
            to_group=created_groups[-len(specs)],
            user=owner,
        )
        link_back = created_groups[-len(specs)]
        group_link_request(
            from_group=link_back, to_group=created_groups[-len(specs) + 1], user=owner
        )
    return {
        "Site admin": admin.email,
        "Organiser (several groups)": organiser.email,
        "Liberal Democrats staff": libdem_staff.email,
        "Supporter": supporter.email,
    }
