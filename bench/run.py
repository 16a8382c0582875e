"""`make bench`: every benchmark section, one gunicorn server, figures as ratios to /ping/.

Discovers `bench/<topic>/bench_*.py` modules that define `run(report)` and calls them in name
order. A section seeds what it needs through the ORM (Django is set up here with the bench
settings, on the bench database) and measures pages through `report`:

    def run(report):
        report.section("Calendar")
        ...seed with the ORM...
        report.query_counts("month view", "/events/2026/11/", small=..., large=...)
        report.measure("month view", "/events/2026/11/")

The bench database is `<DATABASE_URL's name>_bench` (created and migrated if missing) unless
BENCH_DATABASE_URL is set, so benchmarks never touch the data `make run` uses.
Bounded: each `measure` stops after its request count or BENCH_MAX_SECONDS (default 20 s).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import Server, Stats, measure, ratio  # noqa: E402

RESULTS = ROOT / "bench" / "results"
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "300"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "4"))
MAX_SECONDS = float(os.environ.get("BENCH_MAX_SECONDS", "20"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))


def bench_database_url() -> str:
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/alliance")
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "alliance"
    return urlunsplit(parts._replace(path=f"/{name}_bench"))


def ensure_database(url: str) -> None:
    """CREATE DATABASE if it does not exist (connecting to the server's `postgres` database)."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


@dataclass
class Row:
    section: str
    name: str
    stats: Stats | None
    ratio: float | None
    note: str = ""


class Report:
    """What a section gets: the running server, the /ping/ baseline and ways to record figures."""

    def __init__(self, server: Server, baseline: Stats):
        self.server = server
        self.url = server.url
        self.baseline = baseline
        self.rows: list[Row] = []
        self.current = "General"

    def section(self, title: str) -> None:
        self.current = title
        print(f"\n## {title}", flush=True)

    def measure(
        self,
        name: str,
        path: str,
        *,
        requests: int = REQUESTS,
        concurrency: int = CONCURRENCY,
        **kwargs,
    ) -> Stats:
        """Measure `path` on the server and record it as a ratio to /ping/."""
        kwargs.setdefault("max_seconds", MAX_SECONDS)
        stats = measure(self.url + path, requests=requests, concurrency=concurrency, **kwargs)
        return self.add(name, stats)

    def add(self, name: str, stats: Stats, note: str = "") -> Stats:
        """Record figures measured some other way (e.g. a custom sign-then-confirm loop)."""
        row = Row(self.current, name, stats, ratio(stats, self.baseline), note)
        self.rows.append(row)
        statuses = dict(sorted(stats.status_counts.items(), key=str))
        print(f"  {name:40} {stats}  ratio {row.ratio:.3f}  {statuses}", flush=True)
        return stats

    def note(self, name: str, text: str) -> None:
        """A figure that is not a throughput (e.g. query counts)."""
        self.rows.append(Row(self.current, name, None, None, text))
        print(f"  {name:40} {text}", flush=True)

    def query_count(self, path: str, *, user=None) -> int:
        """Queries one in-process GET of `path` makes (Django test client, bench database)."""
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        client = Client(HTTP_HOST="127.0.0.1")
        if user is not None:
            client.force_login(user)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}")
        return len(captured)


def discover() -> list[str]:
    """Every bench/<topic>/bench_*.py; BENCH_ONLY=core,petitions keeps only those topics."""
    only = {name.strip() for name in os.environ.get("BENCH_ONLY", "").split(",") if name.strip()}
    modules = []
    for path in sorted((ROOT / "bench").glob("*/bench_*.py")):
        if path.parent.name in {"results", "faults"}:
            continue
        if only and path.parent.name not in only:
            continue
        modules.append(f"bench.{path.parent.name}.{path.stem}")
    return modules


def main() -> int:
    started = time.monotonic()
    database_url = bench_database_url()
    ensure_database(database_url)
    prefix = os.environ.get("CACHE_KEY_PREFIX", "alliance") + "-bench"
    env = {"DATABASE_URL": database_url, "CACHE_KEY_PREFIX": prefix}
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "alliance.settings.bench"

    import django

    with Server(env, workers=WORKERS) as server:  # migrates and collects static first
        django.setup()
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(
            f"Alliance benchmark {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {os.cpu_count()} CPUs "
            f"(load average {load}: other processes share them) · "
            f"gunicorn {WORKERS} sync workers · {CONCURRENCY} client threads · "
            f"{REQUESTS} requests per figure",
            flush=True,
        )
        print("\n## Baseline", flush=True)
        baseline = measure(
            server.url + "/ping/",
            requests=REQUESTS * 3,
            concurrency=CONCURRENCY,
            max_seconds=MAX_SECONDS,
        )
        print(f"  {'/ping/ (bare Django view)':40} {baseline}", flush=True)
        report = Report(server, baseline)
        failed = []
        for module_name in discover():
            try:
                module = importlib.import_module(module_name)
                if not hasattr(module, "run"):
                    continue
                report.current = module_name
                section_started = time.monotonic()
                module.run(report)
                print(
                    f"  ({module_name} took {time.monotonic() - section_started:.0f} s)",
                    flush=True,
                )
            except Exception:  # noqa: BLE001 - one broken section must not hide the others
                failed.append(module_name)
                print(f"\n!! {module_name} failed:\n{traceback.format_exc()}", flush=True)
        closing = measure(server.url + "/ping/", requests=REQUESTS * 3, concurrency=CONCURRENCY)
        print(f"\n  {'/ping/ again at the end':40} {closing}", flush=True)

    elapsed = time.monotonic() - started
    print_markdown(report, closing, elapsed)
    save(report, closing, elapsed)
    if failed:
        print(f"\nFailed sections: {', '.join(failed)}")
        return 1
    return 0


def print_markdown(report: Report, closing: Stats, elapsed: float) -> None:
    print("\n| section | figure | req/s | ratio to /ping/ | p50 ms | p95 ms | errors | note |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")
    base = report.baseline
    print(
        f"| baseline | /ping/ | {base.rps:.0f} | 1.000 | {base.p50_ms:.1f} | {base.p95_ms:.1f} "
        f"| {base.errors} | at the start; {closing.rps:.0f} req/s at the end |"
    )
    for row in report.rows:
        if row.stats is None:
            print(f"| {row.section} | {row.name} | | | | | | {row.note} |")
        else:
            s = row.stats
            print(
                f"| {row.section} | {row.name} | {s.rps:.0f} | {row.ratio:.3f} | {s.p50_ms:.1f} "
                f"| {s.p95_ms:.1f} | {s.errors} | {row.note} |"
            )
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"\nTotal time: {elapsed:.0f} s · load average at the end {load}")
    if elapsed > 300:
        print("Over the five-minute budget: see each section's time above.")


def save(report: Report, closing: Stats, elapsed: float) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    payload = {
        "when": stamp,
        "cpus": os.cpu_count(),
        "seconds": round(elapsed, 1),
        "baseline_rps": report.baseline.rps,
        "closing_baseline_rps": closing.rps,
        "rows": [
            {
                "section": row.section,
                "name": row.name,
                "rps": row.stats.rps if row.stats else None,
                "ratio": row.ratio,
                "p50_ms": row.stats.p50_ms if row.stats else None,
                "p95_ms": row.stats.p95_ms if row.stats else None,
                "errors": row.stats.errors if row.stats else None,
                "note": row.note,
            }
            for row in report.rows
        ],
    }
    (RESULTS / f"bench-{stamp}.json").write_text(json.dumps(payload, indent=2))


if __name__ == "__main__":
    sys.exit(main())
