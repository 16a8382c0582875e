"""Petitions under load: sign + confirm on one petition, empty and with 100,000 signatures.

Through gunicorn on loopback (bench/harness.py). Each "confirmed signature" is two requests
from the load client: POST the sign form (with CSRF, as a browser does), then POST the confirm
link. The link is what the email would carry: the client reads the signature's token from the
database (the "mailbox"), outside the timed requests but inside the wall-clock time.

Also: queries per signature (in-process, CaptureQueriesContext) on the empty and the 100k
petition, the count task's duration on 100k rows, and a lost-signature check (every sign
request that got its redirect has exactly one row, every confirm is counted by the count task).

Run alone:   python bench/petitions/bench_petitions.py     (own gunicorn, own bench database)
Or with all: make bench
"""

from __future__ import annotations

import os
import secrets
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from bench.harness import Stats  # noqa: E402

SIGNATURES = int(os.environ.get("BENCH_PETITION_SIGNATURES", "600"))
CONCURRENCY = int(os.environ.get("BENCH_PETITION_CONCURRENCY", "8"))
BIG = int(os.environ.get("BENCH_PETITION_EXISTING", "100000"))
EMAIL_DOMAIN = "bench-signers.example"
SLUG_EMPTY = "bench-petition-empty"
SLUG_BIG = "bench-petition-100k"


def seed() -> dict[str, int]:
    """Two bench petitions and 50 bench constituencies. The 100k rows are kept between runs
    (only the signatures earlier runs' load clients added are deleted)."""
    from django.utils import timezone

    from groups.models import Group
    from petitions.models import Petition, PetitionStatus, Signature, SignatureStatus
    from petitions.services.counting import petition_count
    from seats.models import BoundarySet, Constituency

    group, _ = Group.objects.get_or_create(
        slug="bench-petitions-group",
        defaults={
            "name": "Bench petitions group",
            "kind": "pro_eu",
            "region": "E12000009",
            "contact_email": "bench@bench.alliance.test",
            "is_verified": True,
        },
    )
    seats = [
        Constituency.objects.get_or_create(
            ons_code=f"BENCH{n:04d}",
            boundary_set=BoundarySet.SAMPLE,
            defaults={"name": f"Bench seat {n}", "nation": "England", "region": "E12000009"},
        )[0]
        for n in range(50)
    ]
    big = Petition.objects.filter(slug=SLUG_BIG).first()
    if (
        big
        and Signature.objects.filter(petition=big).exclude(email_domain=EMAIL_DOMAIN).count() == BIG
    ):
        # Reuse the 100k rows from an earlier run; drop only what earlier runs' clients added.
        Signature.objects.filter(petition=big, email_domain=EMAIL_DOMAIN).delete()
        Signature.objects.filter(petition__slug=SLUG_EMPTY).delete()
        ids = dict(
            Petition.objects.filter(slug__in=[SLUG_EMPTY, SLUG_BIG]).values_list("slug", "pk")
        )
        for pk in ids.values():
            petition_count(petition_id=pk)
        if len(ids) == 2:
            return ids
    Petition.objects.filter(slug__in=[SLUG_EMPTY, SLUG_BIG]).delete()
    ids = {}
    for slug in (SLUG_EMPTY, SLUG_BIG):
        ids[slug] = Petition.objects.create(
            group=group,
            slug=slug,
            title=f"Benchmark petition ({slug})",
            target="the benchmark",
            body="A petition for the benchmark.",
            status=PetitionStatus.OPEN,
        ).pk
    now = timezone.now()
    batch = []
    for n in range(BIG):
        batch.append(
            Signature(
                petition_id=ids[SLUG_BIG],
                name=f"Existing {n}",
                email=f"existing{n}@big.example",
                email_normalised=f"existing{n}@big.example",
                email_domain="big.example",
                postcode="SW1A 1AA",
                constituency=seats[n % len(seats)],
                status=SignatureStatus.CONFIRMED,
                token=secrets.token_urlsafe(32),
                created_at=now,
                confirmed_at=now,
                changed_at=now,
            )
        )
        if len(batch) == 10_000:
            Signature.objects.bulk_create(batch)
            batch = []
    Signature.objects.bulk_create(batch)
    for pk in ids.values():
        petition_count(petition_id=pk)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE petitions_signature")
    return ids


def queries_per_signature(slug: str, tag: str) -> tuple[int, int]:
    """(queries for one sign POST, for one confirm POST), in-process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from petitions.models import Signature

    client = Client(HTTP_HOST="127.0.0.1")
    email = f"q-{tag}-{secrets.token_hex(4)}@{EMAIL_DOMAIN}"
    form = {"name": "Query Counter", "email": email, "postcode": "SW1A 1AA"}
    with CaptureQueriesContext(connection) as sign:
        response = client.post(f"/petitions/{slug}/sign/", form)
    assert response.status_code == 302, response.status_code
    token = Signature.objects.get(petition__slug=slug, email_normalised=email).token
    with CaptureQueriesContext(connection) as confirm:
        response = client.post(f"/petitions/s/{token}/confirm/")
    assert response.status_code == 200, response.status_code
    return len(sign), len(confirm)


def sign_and_confirm(base_url: str, slug: str, tag: str, total: int, concurrency: int):
    """Each iteration: sign, read the token (the email), confirm. Returns Stats and counters."""
    from django.db import connection

    from petitions.models import Signature

    counter = iter(range(total))
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: dict = {}
    errors = 0
    accepted = 0

    def note(status) -> None:
        statuses[status] = statuses.get(status, 0) + 1

    def worker() -> None:
        nonlocal errors, accepted
        session = requests.Session()
        try:
            session.get(f"{base_url}/petitions/{slug}/", timeout=10)
            csrf = session.cookies.get("csrftoken")
            while True:
                with lock:
                    index = next(counter, None)
                if index is None:
                    return
                email = f"{tag}-{index}@{EMAIL_DOMAIN}"
                started = time.perf_counter()
                ok = False
                try:
                    signed = session.post(
                        f"{base_url}/petitions/{slug}/sign/",
                        data={
                            "csrfmiddlewaretoken": csrf,
                            "name": f"Bench Signer {index}",
                            "email": email,
                            "postcode": "SW1A 1AA",
                        },
                        timeout=10,
                        allow_redirects=False,
                    )
                    status = signed.status_code
                    if status == 302:
                        # The "mailbox": by the unique (petition, email) index, as cheap
                        # for the database as opening an email is for a person.
                        token = Signature.objects.filter(
                            petition__slug=slug, email_normalised=email
                        ).values_list("token", flat=True)[0]
                        confirmed = session.post(
                            f"{base_url}/petitions/s/{token}/confirm/",
                            data={"csrfmiddlewaretoken": csrf},
                            timeout=10,
                        )
                        status = confirmed.status_code
                        ok = status == 200
                except requests.RequestException as error:
                    status = error.__class__.__name__
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    note(status)
                    if ok:
                        accepted += 1
                    else:
                        errors += 1
        finally:
            session.close()
            connection.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for future in [pool.submit(worker) for _ in range(concurrency)]:
            future.result()
    seconds = time.perf_counter() - started
    from collections import Counter

    stats = Stats(
        requests=len(latencies),
        seconds=seconds,
        latencies_ms=latencies,
        status_counts=Counter(statuses),
        errors=errors,
    )
    return stats, accepted


TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def _cpu_ms(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) * TICK_MS  # utime + stime


def cpu_snapshot(server) -> dict[str, dict[int, float]]:
    """CPU used so far by the gunicorn workers and by this database's PostgreSQL backends."""
    from django.db import connection

    master = server.process.pid
    try:
        workers = [
            int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split()
        ]
    except OSError:
        workers = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        backends = [row[0] for row in cursor.fetchall()]
    return {
        "web": {pid: _cpu_ms(pid) for pid in workers},
        "db": {pid: _cpu_ms(pid) for pid in backends},
        "client": {0: time.process_time() * 1000},
    }


def cpu_used(before, after) -> dict[str, float]:
    return {
        kind: sum(ms - before[kind].get(pid, 0.0) for pid, ms in after[kind].items())
        for kind in after
    }


def lost_check(petition_id: int, tag: str, accepted: int) -> tuple[str, int]:
    from petitions.models import PetitionTally, Signature
    from petitions.services.counting import petition_count

    started = time.perf_counter()
    shown = petition_count(petition_id=petition_id)
    count_ms = (time.perf_counter() - started) * 1000
    rows = Signature.objects.filter(petition_id=petition_id, email__startswith=f"{tag}-")
    confirmed = rows.filter(status="confirmed").count()
    petition_confirmed = Signature.objects.filter(petition_id=petition_id, status="confirmed")
    assert shown == petition_confirmed.count(), "shown count differs from confirmed rows"
    assert PetitionTally.objects.get(petition_id=petition_id).confirmed_count == shown
    lost = accepted - confirmed
    return (
        f"{accepted} confirmed by the client, {rows.count()} rows, {confirmed} confirmed rows, "
        f"lost {lost}; shown count {shown:,} = the petition's confirmed rows (this run's plus "
        f"those seeded before it) after the count task ({count_ms:.0f} ms)"
    ), lost


def run(report, *, seeded: dict[str, int] | None = None, label: str = "") -> None:
    report.section(f"Petitions: sign + confirm on one petition{label}")
    ids = seeded
    if ids is None:
        started = time.perf_counter()
        ids = seed()
        report.note(
            "seed", f"{BIG:,} confirmed signatures in {time.perf_counter() - started:.0f} s"
        )
        q_empty = queries_per_signature(SLUG_EMPTY, "q0")
        q_big = queries_per_signature(SLUG_BIG, "q1")
        report.note(
            "queries per signature (sign, confirm)",
            f"empty petition {q_empty}, 100k petition {q_big}"
            + (" (same)" if q_empty == q_big else " (DIFFERENT)"),
        )
        page_empty = report.query_count(f"/petitions/{SLUG_EMPTY}/")
        page_big = report.query_count(f"/petitions/{SLUG_BIG}/")
        report.note(
            "queries: petition page",
            f"empty petition {page_empty}, {BIG:,} signatures {page_big}"
            + (" (same)" if page_empty == page_big else " (GROWS)"),
        )
    for slug, name in ((SLUG_EMPTY, "empty petition"), (SLUG_BIG, f"{BIG:,} signatures")):
        report.measure(f"petition page, {name}", f"/petitions/{slug}/", requests=150)
    for slug, name in ((SLUG_EMPTY, "empty petition"), (SLUG_BIG, f"{BIG:,} existing")):
        tag = f"run{secrets.token_hex(3)}"
        before = cpu_snapshot(report.server)
        stats, accepted = sign_and_confirm(report.url, slug, tag, SIGNATURES, CONCURRENCY)
        cpu = cpu_used(before, cpu_snapshot(report.server))
        text, lost = lost_check(ids[slug], tag, accepted)
        report.add(f"sign+confirm, {name}", stats, note=f"{stats.rps:.1f} confirmed/s; {text}")
        report.note(f"lost signatures, {name}", f"{lost} ({text})")
        per = {kind: ms / max(accepted, 1) for kind, ms in cpu.items()}
        capacity = 2000 / (per["web"] + per["db"]) if per["web"] + per["db"] else 0
        report.note(
            f"CPU per confirmed signature, {name}",
            f"web {per['web']:.1f} ms + PostgreSQL {per['db']:.1f} ms (load client "
            f"{per['client']:.1f} ms): two idle cores would serve ~{capacity:.0f}/s",
        )
    report.seeded = ids


def main() -> int:
    """Just this section, on its own servers: once per gunicorn shape in BENCH_PETITION_WORKERS
    (default "2,4,2x4": the shared harness's 2 sync workers, 4 sync workers, 2 workers x 4
    threads), each with its own /ping/ baseline."""
    from bench import run as bench_run
    from bench.harness import Server, measure

    database_url = bench_run.bench_database_url()
    bench_run.ensure_database(database_url)
    env = {
        "DATABASE_URL": database_url,
        "CACHE_KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "alliance") + "-bench",
    }
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "alliance.settings.bench"
    import django

    seeded = None
    for shape in os.environ.get("BENCH_PETITION_WORKERS", "2,4,2x4").split(","):
        workers, _, threads = shape.partition("x")
        workers, threads = int(workers), int(threads or 1)
        with Server(env, workers=workers, threads=threads) as server:
            django.setup()
            print(
                f"\n# gunicorn {workers} workers x {threads} threads, {CONCURRENCY} client "
                f"threads, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
            )
            baseline = measure(server.url + "/ping/", requests=900, concurrency=CONCURRENCY)
            print(f"  {'/ping/':40} {baseline}")
            report = bench_run.Report(server, baseline)
            run(report, seeded=seeded, label=f" ({workers} workers x {threads} threads)")
            seeded = report.seeded
            closing = measure(server.url + "/ping/", requests=900, concurrency=CONCURRENCY)
            print(f"  {'/ping/ again at the end':40} {closing}")
            print(f"  load average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
