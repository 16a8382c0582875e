"""Clash detection benchmark: the set-based SQL sweep against a naive Python nested loop, and
the incremental check of one event.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/alliance_clash_bench \\
        .venv/bin/python bench/clashes/clash_sweep.py [--sizes 10000,20000,50000,100000]

Uses its own database (created and migrated if missing; every run TRUNCATEs its events).
Data: 650 constituencies with centroids over Great Britain, 2,600 groups (party branches of
five parties, pro-EU, Progressive Alliance and other groups, each at home in one constituency
that it covers, one in five covering two more), N events over one year, 08:00-21:00 starts on
the quarter hour, 1-3 hours long, 90% in the home seat, 70% with coordinates (home centroid
+- ~3 km; so 3% with no place: anywhere in the group's area), 5% cancelled. Margin 30 min,
radius 5 km, default rule.

Figures:
- SQL sweep: `detection.clash_pairs_in_window` over the whole year (the beat sweep's
  self-join, read only) and `services.clashes_sweep` (the same plus inserting clash rows).
- Naive: `clashes.rules.clash_pairs_bruteforce` (every pair, in Python) on 1k..5k events,
  checked to give exactly the SQL pair set, fitted to a*n^2 and extrapolated.
- One event: the incremental check's candidate query and the full check, on 200 events.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/alliance_clash_bench"
os.environ["DATABASE_URL"] = os.environ.get("CLASH_BENCH_DATABASE_URL", DEFAULT_URL)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliance.settings.test")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/4")
os.environ.setdefault("CACHE_KEY_PREFIX", "clash-bench")

YEAR_START = datetime(2031, 1, 1, tzinfo=UTC)
SEATS = 650
GROUPS = 2600


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django() -> None:
    ensure_database(os.environ["DATABASE_URL"])
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def seed_reference(rng: random.Random):
    """650 constituencies and 2,600 groups (kept between sizes)."""
    from events.models import Event
    from groups.models import Group, GroupKind, Party
    from seats.models import Constituency

    Event.objects.all().delete()
    Group.objects.filter(slug__startswith="bench-").delete()
    Constituency.objects.filter(ons_code__startswith="B").delete()
    seats = Constituency.objects.bulk_create(
        Constituency(
            ons_code=f"B{i:08d}",
            name=f"Bench seat {i}",
            boundary_set="sample",
            nation="england",
            region="E12000009",
        )
        for i in range(SEATS)
    )
    centroids = {s.pk: (rng.uniform(50.5, 55.5), rng.uniform(-4.5, 1.0)) for s in seats}
    parties = [
        Party.objects.get_or_create(
            short_name=f"BP{i}", defaults={"name": f"Bench party {i}", "slug": f"bench-party-{i}"}
        )[0]
        for i in range(5)
    ]
    kinds = (
        [GroupKind.PARTY_BRANCH] * 5
        + [GroupKind.PRO_EU] * 3
        + [GroupKind.PROGRESSIVE_ALLIANCE] * 1
        + [GroupKind.OTHER]
    )
    groups = Group.objects.bulk_create(
        Group(
            name=f"Bench group {i}",
            slug=f"bench-{i}",
            kind=(kind := rng.choice(kinds)),
            party=rng.choice(parties) if kind == GroupKind.PARTY_BRANCH else None,
            region="E12000009",
            contact_email=f"bench{i}@example.org",
        )
        for i in range(GROUPS)
    )
    homes = {g.pk: rng.choice(seats).pk for g in groups}
    # Every group covers its home seat; one in five covers two more (its events without a
    # place are then anywhere in those three seats for clash purposes).
    covers = Group.constituencies.through
    covers.objects.bulk_create(
        covers(group_id=g.pk, constituency_id=seat_id)
        for g in groups
        for seat_id in {homes[g.pk]}
        | ({rng.choice(seats).pk, rng.choice(seats).pk} if rng.random() < 0.2 else set())
    )
    return groups, homes, centroids


def seed_events(n: int, rng: random.Random, groups, homes, centroids) -> None:
    from django.db import connection

    from events.models import Event

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE events_event CASCADE")
    batch = []
    for i in range(n):
        group = rng.choice(groups)
        seat = homes[group.pk]
        day = rng.randrange(365)
        start = YEAR_START + timedelta(days=day, minutes=rng.randrange(8 * 4, 21 * 4) * 15)
        has_point = rng.random() < 0.7
        lat, lon = centroids[seat]
        batch.append(
            Event(
                group_id=group.pk,
                title=f"Bench event {i}",
                kind="canvassing",
                starts_at=start,
                ends_at=start + timedelta(minutes=rng.choice([60, 90, 120, 180])),
                constituency_id=seat if rng.random() < 0.9 else None,
                latitude=lat + rng.uniform(-0.03, 0.03) if has_point else None,
                longitude=lon + rng.uniform(-0.05, 0.05) if has_point else None,
                status="cancelled" if rng.random() < 0.05 else "scheduled",
            )
        )
    Event.objects.bulk_create(batch, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE events_event")
        cursor.execute("ANALYZE groups_group")


def timed(fn, repeat: int = 1) -> tuple[float, object]:
    best, result = None, None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    return best, result


def infos():
    from clashes.rules import EventInfo
    from events.models import Event
    from groups.models import Group

    areas: dict[int, frozenset] = {}
    for group_id, seat_id in Group.constituencies.through.objects.values_list(
        "group_id", "constituency_id"
    ):
        areas[group_id] = areas.get(group_id, frozenset()) | {seat_id}

    return [
        EventInfo(
            id=e.pk,
            group_id=e.group_id,
            group_kind=e.group.kind,
            party_id=e.group.party_id,
            starts_at=e.starts_at,
            ends_at=e.ends_at,
            constituency_id=e.constituency_id,
            latitude=e.latitude,
            longitude=e.longitude,
            status=e.status,
            area_ids=areas.get(e.group_id, frozenset()),
        )
        for e in Event.objects.select_related("group").order_by("pk")
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,20000,50000,100000")
    parser.add_argument("--naive-sizes", default="1000,2000,3000,4000,5000")
    parser.add_argument("--one-event-samples", type=int, default=200)
    parser.add_argument("--verify-at", type=int, default=10000, help="also run the naive loop")
    args = parser.parse_args()
    setup_django()
    from django.conf import settings
    from django.db import connection, transaction

    from clashes import detection, services
    from clashes.models import Clash, ClashRule
    from clashes.rules import ClashSettings, RuleInfo, clash_pairs_bruteforce
    from events.models import Event

    rules = [
        RuleInfo(frozenset(r.side_a_kinds), frozenset(r.side_b_kinds), r.party_id)
        for r in ClashRule.objects.filter(is_active=True)
    ]
    clash_settings = ClashSettings(
        margin=settings.CLASH_TRAVEL_MARGIN, radius_km=settings.CLASH_RADIUS_KM, rules=rules
    )
    rng = random.Random(20261123)
    groups, homes, centroids = seed_reference(rng)
    window = {"start": YEAR_START - timedelta(days=1), "end": YEAR_START + timedelta(days=367)}
    results: dict = {"naive": [], "sql": [], "one_event": {}}

    print("naive nested loop vs SQL on the same data (pair sets compared):")
    for n in [int(s) for s in args.naive_sizes.split(",")]:
        seed_events(n, random.Random(n), groups, homes, centroids)
        data = infos()
        naive_s, naive_pairs = timed(lambda data=data: clash_pairs_bruteforce(data, clash_settings))
        sql_s, sql_pairs = timed(lambda: detection.clash_pairs_in_window(**window), repeat=3)
        assert naive_pairs == sql_pairs, f"pair sets differ at {n}"
        results["naive"].append(
            {"n": n, "naive_s": naive_s, "sql_s": sql_s, "pairs": len(sql_pairs)}
        )
        print(
            f"  n={n:>6}: naive {naive_s:8.3f} s, SQL {sql_s * 1000:8.1f} ms, "
            f"{len(sql_pairs)} pairs (identical)"
        )

    # Naive time = a * n^2 (the loop is n(n-1)/2 pair checks). Least squares is pulled by one
    # slow point on a shared machine; the median of time/n^2 over the sizes is robust to that:
    # the estimate uses the smaller of the two, so the naive side is never overstated.
    xs = [r["n"] ** 2 for r in results["naive"]]
    ys = [r["naive_s"] for r in results["naive"]]
    a_lsq = sum(x * y for x, y in zip(xs, ys, strict=True)) / sum(x * x for x in xs)
    a_median = statistics.median(y / x for x, y in zip(xs, ys, strict=True))
    a = min(a_lsq, a_median)
    results["fit_a"] = {"least_squares": a_lsq, "median": a_median, "used": a}
    print(f"  fit: naive = a*n^2, a = {a:.3e} s (least squares {a_lsq:.3e}, median {a_median:.3e})")

    print("SQL sweep over one year:")
    for n in [int(s) for s in args.sizes.split(",")]:
        seed_events(n, random.Random(n), groups, homes, centroids)
        pairs_s, pairs = timed(lambda: detection.clash_pairs_in_window(**window), repeat=3)

        def _sweep_timed():
            started = time.perf_counter()
            result = services.clashes_sweep(**window)
            return time.perf_counter() - started, result

        runs = []
        for _ in range(2):  # best of two, each from an empty clash table
            Clash.objects.all().delete()
            runs.append(_sweep_timed())
        sweep_s, recorded = min(runs, key=lambda run: run[0])
        again_s, again = timed(lambda: services.clashes_sweep(**window))
        assert len(recorded.new) == len(pairs) and again.new == []
        naive_est = a * n * n
        measured_naive = None
        if n == args.verify_at:
            # Check the fit and the pair set at a size beyond the fitted range.
            data = infos()
            measured_naive, naive_pairs = timed(
                lambda data=data: clash_pairs_bruteforce(data, clash_settings)
            )
            assert naive_pairs == pairs, f"pair sets differ at {n}"
            print(
                f"  n={n:>6}: naive measured {measured_naive:.1f} s (fit said "
                f"{naive_est:.1f} s), {len(naive_pairs)} pairs identical to SQL"
            )
        row = {
            "n": n,
            "pairs_s": pairs_s,
            "sweep_insert_s": sweep_s,
            "sweep_again_s": again_s,
            "pairs": len(pairs),
            "naive_est_s": naive_est,
            "ratio": naive_est / pairs_s,
            "naive_measured_s": measured_naive,
        }
        results["sql"].append(row)
        print(
            f"  n={n:>6}: find {pairs_s:7.3f} s, sweep+insert {sweep_s:7.3f} s, "
            f"re-sweep {again_s:7.3f} s, {len(pairs)} pairs; naive ~{naive_est:9.1f} s "
            f"-> {row['ratio']:,.0f}x"
        )

    # One event at the largest size.
    ids = list(Event.objects.values_list("pk", flat=True))
    sample = random.Random(1).sample(ids, min(args.one_event_samples, len(ids)))
    candidate_ms, check_ms = [], []
    for event_id in sample:
        started = time.perf_counter()
        detection.event_clash_candidates(event_id=event_id)
        candidate_ms.append((time.perf_counter() - started) * 1000)
    for event_id in sample:
        started = time.perf_counter()
        with transaction.atomic():
            services.event_clashes_check(event_id=event_id)
        check_ms.append((time.perf_counter() - started) * 1000)

    def pct(values, q):
        values = sorted(values)
        return values[min(len(values) - 1, int(q * len(values)))]

    results["one_event"] = {
        "n": len(ids),
        "candidates_p50_ms": statistics.median(candidate_ms),
        "candidates_p95_ms": pct(candidate_ms, 0.95),
        "check_p50_ms": statistics.median(check_ms),
        "check_p95_ms": pct(check_ms, 0.95),
    }
    print(
        f"one event at n={len(ids)}: candidates p50 {results['one_event']['candidates_p50_ms']:.2f}"
        f" ms p95 {results['one_event']['candidates_p95_ms']:.2f} ms; full check p50 "
        f"{results['one_event']['check_p50_ms']:.2f} ms p95 "
        f"{results['one_event']['check_p95_ms']:.2f} ms"
    )

    with connection.cursor() as cursor:
        sql = detection._candidates_sql("m.span && tstzrange(%(w_start)s, %(w_end)s, '[)')")
        params = {**detection.sql_params(), "w_start": window["start"], "w_end": window["end"]}
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    results["plan"] = plan
    print("plan of the sweep's self-join:\n" + plan)
    first, last = results["sql"][0], results["sql"][-1]
    print(
        f"growth {first['n']} -> {last['n']}: x{last['pairs_s'] / first['pairs_s']:.1f} "
        f"for x{last['n'] / first['n']:.0f} events"
    )
    out = ROOT / "bench" / "results" / f"clashes-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
