"""The event form's live clash check: how long the organiser waits for "this overlaps ..."
and the free slots, over 100,000 events.

    CLASH_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/<own>_clash_bench \\
        .venv/bin/python bench/clashes/form_check.py [--events 100000] [--samples 500]

Same database and data generator as `clash_sweep.py` (650 seats, 2,600 groups, N events over
one year). Drafts are random: a random group, a time in that year, its home seat and a point
near it (as the postcode lookup would give), so most probe busy places.

Figures (p50 / p95 over --samples drafts, after 20 warm-up calls):
- query path: `clashes.api.event_draft_warning` (the clash query, the visibility rule and the
  free-slot query), what both the htmx endpoint and the no-JS submit call;
- endpoint: GET /events/new/<slug>/clash-check/ through Django's test client, signed in as the
  group's organiser (session, access check, form, query path, template), with the constituency
  given (no postcode lookup: an external service, not ours);
- /ping/ through the same client in the same run: the endpoint's ratio to a bare view.
Goal: the live check under 50 ms at p95.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.clashes.clash_sweep import (  # noqa: E402  (sets the environment first)
    YEAR_START,
    seed_events,
    seed_reference,
    setup_django,
)

LONDON = ZoneInfo("Europe/London")


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered))) - 1)]
    return statistics.median(ordered) * 1000, p95 * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=500)
    args = parser.parse_args()
    setup_django()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from clashes import api
    from events.models import Event
    from groups.models import Membership, Role
    from tests.factories import UserFactory

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    rng = random.Random(20261129)
    groups, homes, centroids = seed_reference(rng)
    started = time.perf_counter()
    seed_events(args.events, random.Random(args.events), groups, homes, centroids)
    print(f"seeded {Event.objects.count()} events in {time.perf_counter() - started:.0f} s")

    def draft():
        group = rng.choice(groups)
        seat = homes[group.pk]
        lat, lon = centroids[seat]
        start = YEAR_START + timedelta(days=rng.randrange(365), hours=rng.randrange(8, 20))
        return group, seat, lat + rng.uniform(-0.03, 0.03), lon + rng.uniform(-0.05, 0.05), start

    # A second run on the same database: the organiser of the last one goes first.
    UserFactory._meta.model.objects.filter(email="bench-organiser@example.org").delete()
    organiser = UserFactory(email="bench-organiser@example.org")
    drafts = [draft() for _ in range(args.samples + 20)]
    for group in {d[0] for d in drafts}:
        Membership.objects.get_or_create(user=organiser, group=group, role=Role.ORGANISER)

    def query_path(d):
        group, seat, lat, lon, start = d
        return api.event_draft_warning(
            viewer=organiser,
            group_id=group.pk,
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            constituency_id=seat,
            latitude=lat,
            longitude=lon,
        )

    timings, warned = [], 0
    for i, d in enumerate(drafts):
        t0 = time.perf_counter()
        result = query_path(d)
        if i >= 20:
            timings.append(time.perf_counter() - t0)
            warned += bool(result)
    p50, p95 = percentiles(timings)
    print(f"query path: p50 {p50:.1f} ms, p95 {p95:.1f} ms ({warned}/{len(timings)} warned)")

    client = Client()
    client.force_login(organiser)
    endpoint, ping = [], []
    for i, (group, seat, _lat, _lon, start) in enumerate(drafts):
        local = start.astimezone(LONDON)  # the form's fields are UK time
        url = (
            f"/events/new/{group.slug}/clash-check/?starts_at={local:%Y-%m-%dT%H:%M}"
            f"&ends_at={local + timedelta(hours=2):%Y-%m-%dT%H:%M}&constituency={seat}"
        )
        t0 = time.perf_counter()
        response = client.get(url)
        t1 = time.perf_counter()
        assert response.status_code == 200, response.status_code
        client.get("/ping/")
        t2 = time.perf_counter()
        if i >= 20:
            endpoint.append(t1 - t0)
            ping.append(t2 - t1)
    e50, e95 = percentiles(endpoint)
    g50, g95 = percentiles(ping)
    print(f"endpoint:   p50 {e50:.1f} ms, p95 {e95:.1f} ms")
    print(f"/ping/:     p50 {g50:.1f} ms, p95 {g95:.1f} ms")
    print(f"ratio of /ping/ to the endpoint (median): {g50 / e50:.3f}")
    print(f"goal p95 < 50 ms: {'met' if e95 < 50 else 'NOT met'} ({connection.vendor})")


if __name__ == "__main__":
    main()
