"""Core pages: the home page, the groups directory (plain, filtered, searched), a group page.

Seeds bench-only parties and groups (slugs starting "bench-"), first 10 then 1,000, and records
the query count of each page at both sizes: it must not grow with the data.
"""

from __future__ import annotations

from itertools import cycle

PAGES = {
    "home page": "/",
    "groups directory": "/groups/",
    "directory, filtered by region": "/groups/?region=E12000007",
    "directory, text search": "/groups/?q=bench+group+7",
}


def seed(total: int) -> None:
    """Exactly `total` bench groups (party branches and campaigns), each with members."""
    from accounts.models import User
    from groups.models import Group, GroupKind, Membership, Party, Role
    from groups.services import directory_changed
    from seats.regions import Region

    parties = [
        Party.objects.get_or_create(
            slug=f"bench-party-{n}",
            defaults={
                "name": f"Bench Party {n}",
                "short_name": f"BP{n}",
                "colour": "#336699",
                "is_progressive": True,
            },
        )[0]
        for n in range(4)
    ]
    members = [
        User.objects.get_or_create(email=f"bench-member-{n}@bench.alliance.test")[0]
        for n in range(5)
    ]
    existing = Group.objects.filter(slug__startswith="bench-group-").count()
    kinds, regions, party_cycle = cycle(GroupKind.values), cycle(Region.values), cycle(parties)
    groups = []
    for n in range(existing, total):
        kind = next(kinds)
        groups.append(
            Group(
                name=f"Bench group {n}",
                slug=f"bench-group-{n}",
                kind=kind,
                party=next(party_cycle) if kind == GroupKind.PARTY_BRANCH else None,
                region=next(regions),
                description=f"A benchmark group, number {n}. " * 5,
                contact_email=f"bench-group-{n}@bench.alliance.test",
            )
        )
    created = Group.objects.bulk_create(groups, batch_size=500)
    Membership.objects.bulk_create(
        [
            Membership(user=member, group=group, role=Role.ORGANISER if i == 0 else Role.MEMBER)
            for group in created
            for i, member in enumerate(members[: 1 + group.pk % 5])
        ],
        batch_size=2000,
    )
    directory_changed()  # seeded past the services: no cached directory page may outlive it


def reset() -> None:
    from groups.models import Group
    from groups.services import directory_changed

    Group.objects.filter(slug__startswith="bench-group-").delete()
    directory_changed()


def run(report) -> None:
    report.section("Core pages (home, groups directory, group page)")
    reset()
    seed(10)
    small = {name: report.query_count(path) for name, path in PAGES.items()}
    small["group page"] = report.query_count("/groups/bench-group-3/")
    seed(1000)
    large = {name: report.query_count(path) for name, path in PAGES.items()}
    large["group page"] = report.query_count("/groups/bench-group-3/")
    for name in small:
        verdict = "same" if small[name] == large[name] else "GROWS"
        report.note(
            f"queries: {name}",
            f"{small[name]} with 10 groups, {large[name]} with 1,000 ({verdict})",
        )
    for name, path in PAGES.items():
        report.measure(name, path)
    report.measure("group page", "/groups/bench-group-3/")
