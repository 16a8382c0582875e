"""Events: the month view, the agenda and filtered iCalendar feeds over 100,000 events in a year.

Seeds (once) 100k events spread over the coming 365 days across 120 groups (party branches of
five parties, pro-EU and Progressive Alliance groups) and 650 sample constituencies, with a few
thousand RSVPs. Then measures, as ratios to /ping/: the month view (anonymous and filtered),
the week and agenda views, the month and agenda for a signed-in party staffer, a filtered
feed per constituency and per party+kind, and the same feed answered 304 from its ETag. Query
counts of the month view and the agenda are compared between a bench calendar with 10
events and the full 100k.

Run alone:  BENCH_ONLY=events .venv/bin/python bench/run.py
"""

from __future__ import annotations

import random
import time
from datetime import timedelta

TOTAL = 100_000
TAG = "Bench event v2"
OLD_TAG = "Bench event "  # an earlier seed whose kinds and visibility were correlated


def seed() -> dict:
    from django.utils import timezone

    from events.models import Event, EventKind, Rsvp
    from groups.models import Group, GroupKind, Party
    from groups.parties import parties_seed
    from seats.models import BoundarySet, Constituency
    from seats.regions import Region

    rng = random.Random(2026)
    parties_seed()
    parties = list(Party.objects.filter(short_name__in=["LD", "Lab", "Green", "SNP", "PC"]))
    regions = [value for value, _ in Region.choices]
    seats = []
    for n in range(650):
        seat, _ = Constituency.objects.get_or_create(
            ons_code=f"B{n:08d}",
            boundary_set=BoundarySet.SAMPLE,
            defaults={"name": f"Benchton {n}", "nation": "england", "region": regions[n % 9]},
        )
        seats.append(seat)
    groups = []
    for n in range(120):
        kind = [GroupKind.PARTY_BRANCH, GroupKind.PRO_EU, GroupKind.PROGRESSIVE_ALLIANCE][n % 3]
        group, _ = Group.objects.get_or_create(
            slug=f"bench-events-group-{n}",  # not the core section's bench-group-N
            defaults={
                "name": f"Bench group {n}",
                "kind": kind,
                "party": parties[n % len(parties)] if kind == GroupKind.PARTY_BRANCH else None,
                "region": regions[n % 9],
                "contact_email": f"bench{n}@example.org",
            },
        )
        groups.append(group)
    Event.objects.filter(title__startswith=OLD_TAG).exclude(title__startswith=TAG).delete()
    existing = Event.objects.filter(title__startswith=TAG).count()
    started = time.monotonic()
    if existing < TOTAL:
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        kinds = [value for value, _ in EventKind.choices]
        batch = []
        for n in range(existing, TOTAL):
            starts_at = now + timedelta(minutes=rng.randrange(0, 365 * 24 * 4) * 15)
            batch.append(
                Event(
                    group=groups[n % len(groups)],
                    title=f"{TAG} {n}",
                    kind=kinds[(n // 7) % len(kinds)],
                    starts_at=starts_at,
                    ends_at=starts_at + timedelta(hours=rng.choice([1, 2, 3])),
                    constituency=seats[rng.randrange(len(seats))],
                    visibility="public" if n % 9 else "alliance",
                    capacity=rng.choice([None, None, 20, 50]),
                )
            )
            if len(batch) == 5000:
                Event.objects.bulk_create(batch)
                batch = []
        Event.objects.bulk_create(batch)
        from accounts.models import User

        users = [
            User.objects.get_or_create(
                email=f"bench-rsvp-{n}@example.org", defaults={"name": f"R{n}"}
            )[0]
            for n in range(20)
        ]
        sample = list(
            Event.objects.filter(title__startswith=TAG).values_list("pk", flat=True)[
                :: TOTAL // 2000
            ]
        )
        Rsvp.objects.bulk_create(
            [Rsvp(event_id=pk, user=users[i % 20], answer="going") for i, pk in enumerate(sample)],
            ignore_conflicts=True,
        )
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE events_event")
    # The small calendar: 10 events of one group in a month nobody else uses (10 years out).
    small_group, _ = Group.objects.get_or_create(
        slug="bench-small",
        defaults={
            "name": "Bench small",
            "kind": GroupKind.PRO_EU,
            "region": regions[0],
            "contact_email": "small@example.org",
        },
    )
    far = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=3650)
    far = far.replace(day=1)
    if not Event.objects.filter(group=small_group).exists():
        Event.objects.bulk_create(
            [
                Event(
                    group=small_group,
                    title=f"Small {n}",
                    kind="social",
                    starts_at=far + timedelta(days=n),
                    ends_at=far + timedelta(days=n, hours=1),
                )
                for n in range(10)
            ]
        )
    from events.services import calendar_changed

    calendar_changed()  # seeded past the services: no cached calendar page may outlive it
    return {
        "seconds": time.monotonic() - started,
        "seeded": TOTAL - existing,
        "seat": seats[7],
        # The party of a branch the seeded events belong to, so filtered feeds list events.
        "party": next(group.party for group in groups if group.party),
        "far": far,
    }


def _signed_in_cookie(party, info) -> str:
    """A session cookie for the bench's staffer (created once), as a browser sends it."""
    from django.conf import settings
    from django.test import Client

    from accounts.models import User
    from groups.models import Group, Membership, PartyStaff

    user, _ = User.objects.get_or_create(
        email="bench-staff@example.org", defaults={"name": "Bench Staffer"}
    )
    PartyStaff.objects.get_or_create(user=user, party=party)
    for group in Group.objects.filter(slug__in=["bench-events-group-1", "bench-events-group-2"]):
        Membership.objects.get_or_create(user=user, group=group)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def run(report) -> None:
    import requests
    from django.utils import timezone

    from events.models import Event

    report.section("Events (calendar and feeds over 100k events in a year)")
    info = seed()
    total = Event.objects.count()
    report.note(
        "seed",
        f"{total:,} events in the bench database ({info['seeded']:,} seeded now in "
        f"{info['seconds']:.0f} s)",
    )
    next_month = (timezone.localdate() + timedelta(days=32)).replace(day=1)
    month = f"{next_month:%Y-%m}"
    in_month = Event.objects.filter(
        starts_at__date__gte=next_month,
        starts_at__date__lt=(next_month + timedelta(days=32)).replace(day=1),
    ).count()
    far = info["far"]
    for name, small, large in [
        ("month view", f"/events/month/?month={far:%Y-%m}", f"/events/month/?month={month}"),
        ("agenda", f"/events/agenda/?date={far:%Y-%m-%d}", f"/events/agenda/?date={next_month}"),
    ]:
        n_small, n_large = report.query_count(small), report.query_count(large)
        verdict = "same" if n_small == n_large else "GROWS"
        report.note(
            f"queries: {name}",
            f"{n_small} with 10 events, {n_large} with {in_month:,} in the month ({verdict})",
        )
    seat, party = info["seat"], info["party"]
    pages = {
        f"month view ({in_month:,} events in the month)": f"/events/month/?month={month}",
        "month view, filtered (party + kind)": (
            f"/events/month/?month={month}&party={party.slug}&kind=canvassing"
        ),
        "week view": f"/events/week/?week={next_month:%Y-%m-%d}",
        "agenda (page 1 of the year)": f"/events/agenda/?date={next_month}",
        "feed: one constituency": f"/events/feed.ics?constituency={seat.pk}",
        "feed: party + kind": f"/events/feed.ics?party={party.slug}&kind=canvassing",
    }
    for name, path in pages.items():
        report.measure(name, path, requests=150)
    # Party staff checking the shared calendar: signed in (a Lib Dem staffer, a member of two
    # groups), served from the cache of their viewer class after the first request.
    cookie = _signed_in_cookie(party, info)
    for name, path in [
        ("month view, signed in (party staff)", f"/events/month/?month={month}"),
        ("agenda, signed in (party staff)", f"/events/agenda/?date={next_month}"),
    ]:
        report.measure(name, path, requests=150, headers={"Cookie": cookie})
    feed_path = f"/events/feed.ics?party={party.slug}&kind=canvassing"
    first = requests.get(report.url + feed_path, timeout=30)
    vevents = first.text.count("BEGIN:VEVENT")
    report.note(
        "feed: party + kind size", f"{vevents:,} VEVENTs, {len(first.content) / 1024:.0f} KB"
    )
    # Cold: forget every cached VEVENT of the bench (its own cache prefix only), then time
    # the first request of a feed.
    from django.conf import settings
    from django.core.cache import cache

    client = cache._cache.get_client()
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    stale = list(client.scan_iter(match=f"{prefix}:*:ics:v1:*", count=1000))
    if stale:
        client.delete(*stale)
    cold_path = f"/events/feed.ics?party={party.slug}&kind=rally&run={time.time_ns()}"
    started = time.monotonic()
    cold = requests.get(report.url + cold_path, timeout=60)
    report.note(
        "feed: party + rally, cold cache",
        f"{(time.monotonic() - started) * 1000:.0f} ms for "
        f"{cold.text.count('BEGIN:VEVENT'):,} VEVENTs (first request, nothing cached)",
    )
    report.measure(
        "feed: party + kind, 304 (If-None-Match)",
        feed_path,
        requests=300,
        headers={"If-None-Match": first.headers["ETag"]},
    )
