"""Near me: the distance search over 10,000 groups and 100,000 events.

Places 10,000 bench groups ("bench-near-N") and the events section's 100,000 bench events at
random points over Great Britain (latitude 50-55.5, longitude -5 to 1.5), plus 10 groups and 10
events on a remote point (Lerwick) for the small size. The postcodes searched are put in the
cache the postcode lookup reads, so no request leaves the machine. Measures, as ratios to
/ping/: the groups directory and the agenda searched by postcode (25 and 10 miles), and
compares their query counts between Lerwick (10 rows) and the crowded south (thousands).
The same two pages without a postcode are measured on the same data, for comparison. The
10,000 groups are deleted at the end (the other sections count on their own groups only).

Run alone:  BENCH_ONLY=near .venv/bin/python bench/run.py  (seeds the events section's rows
if they are not there yet)
"""

from __future__ import annotations

import random
from datetime import timedelta

GROUPS = 10_000
SOUTH = ("BN7 2AA", 50.8736, 0.0088)  # Lewes: the crowded case
NORTH = ("ZE1 0AA", 60.1530, -1.1493)  # Lerwick: the ten-row case


def _cache_postcodes() -> None:
    from django.core.cache import cache

    from seats.postcodes import CACHE_SECONDS

    for postcode, latitude, longitude in (SOUTH, NORTH):
        cache.set(
            f"postcode:{postcode.replace(' ', '')}",
            {
                "postcode": postcode,
                "constituency_code": None,
                "latitude": latitude,
                "longitude": longitude,
            },
            CACHE_SECONDS,
        )


def seed() -> None:
    from django.db import connection
    from django.utils import timezone

    from events.models import Event
    from groups.models import Group, GroupKind

    rng = random.Random(16)
    existing = Group.objects.filter(slug__startswith="bench-near-").count()
    if existing < GROUPS + 10:
        batch = []
        for n in range(existing, GROUPS + 10):
            remote = n >= GROUPS
            batch.append(
                Group(
                    name=f"Bench near {n}",
                    slug=f"bench-near-{n}",
                    kind=GroupKind.PRO_EU,
                    region="E12000008",
                    contact_email=f"near{n}@example.org",
                    latitude=NORTH[1] + n / 100_000 if remote else rng.uniform(50, 55.5),
                    longitude=NORTH[2] if remote else rng.uniform(-5, 1.5),
                )
            )
        Group.objects.bulk_create(batch, batch_size=5000)
    from bench.events.bench_events import TAG
    from bench.events.bench_events import seed as events_seed

    if Event.objects.filter(title__startswith=TAG).count() < 100_000:
        events_seed()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE events_event SET latitude = 50 + random() * 5.5, "
            "longitude = -5 + random() * 6.5 WHERE title LIKE %s AND latitude IS NULL",
            [f"{TAG}%"],
        )
    group = Group.objects.get(slug=f"bench-near-{GROUPS}")
    if not Event.objects.filter(group=group).exists():
        start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
        Event.objects.bulk_create(
            Event(
                group=group,
                title=f"Bench near remote {n}",
                kind="street_stall",
                starts_at=start + timedelta(days=n),
                ends_at=start + timedelta(days=n, hours=2),
                latitude=NORTH[1],
                longitude=NORTH[2],
            )
            for n in range(10)
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE groups_group")
        cursor.execute("ANALYZE events_event")
    from events.services import calendar_changed
    from groups.services import directory_changed

    # Placed past the services: no cached calendar or directory page may outlive it.
    calendar_changed()
    directory_changed()


def run(report):
    from events.models import Event
    from events.services import calendar_changed
    from groups.models import Group
    from groups.services import directory_changed
    from seats.distance import Point

    report.section("Near me (10,000 groups, 100,000 events placed)")
    seed()
    _cache_postcodes()
    south = Point(SOUTH[1], SOUTH[2])
    in_25 = Group.objects.near(south, 25).count()
    events_10 = Event.objects.near(south, 10).count()
    pages = {
        "groups near a postcode (25 miles)": ("/groups/?postcode={}&distance=25", in_25),
        "agenda near a postcode (10 miles)": ("/events/agenda/?postcode={}&distance=10", events_10),
    }
    for name, (path, rows) in pages.items():
        small = report.query_count(path.format(NORTH[0].replace(" ", "+")))
        big = report.query_count(path.format(SOUTH[0].replace(" ", "+")))
        report.note(
            f"queries: {name}", f"{small} with 10 rows (Lerwick), {big} with {rows:,} (Lewes)"
        )
        if small != big:
            raise RuntimeError(f"{name}: {small} queries with 10 rows, {big} with {rows}")
        report.measure(name, path.format(SOUTH[0].replace(" ", "+")))
    # The same pages without a postcode, on the same data: what the search itself adds.
    report.measure("groups directory, no postcode (same data)", "/groups/")
    report.measure("agenda, no postcode (same data)", "/events/agenda/")
    # The other sections (core's directory, the calendar's group filter) count on their own
    # groups only: the 10,000 go again (seeding them takes seconds).
    Group.objects.filter(slug__startswith="bench-near-").delete()
    calendar_changed()
    directory_changed()
