"""Priority mapping at a big meeting: 300 participants, 600 notes, 20 clusters, 300 dots.

Through gunicorn on loopback (bench/harness.py), each figure as a ratio to /ping/:
- the board's and the projector's polls while nothing changed (an empty 204: the poller sends
  the version it shows); after a change, the first screen that asks renders (the board: every
  cluster and note, suggestions for unplaced notes; the projector: totals, themes, latest
  notes) and every other screen gets that render from the cache: both are measured;
- a note moved on the board (POST as the drag-and-drop JS sends it; the answer is the board);
- a dot spent from a phone (htmx POST; the answer is that phone's vote panel), 300 phones.
Query counts are taken in-process on a 10-participant round and on the 300-participant one:
they must be the same.

Run alone:   BENCH_ONLY=priorities python bench/run.py
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests

from bench.harness import Stats

PARTICIPANTS = int(os.environ.get("BENCH_PRIORITIES_PARTICIPANTS", "300"))
CLUSTERS = 20
TITLE_PREFIX = "Bench priority round"


def seed(participants: int, tag: str):
    """A fresh round (earlier bench rounds of the same size are deleted) built with
    bulk inserts: `participants` people, two notes each, two thirds placed, one dot each."""
    from django.utils import timezone

    from groups.models import Group, Membership, Party, Role
    from groups.parties import parties_seed
    from priorities.models import Cluster, Dot, Note, Participant, Round
    from priorities.services import round_open

    parties_seed()
    party_list = list(Party.objects.filter(is_progressive=True)) + [None]
    group, _ = Group.objects.get_or_create(
        slug="bench-priorities-group",
        defaults={
            "name": "Bench priorities group",
            "kind": "progressive_alliance",
            "region": "E12000008",
            "contact_email": "bench@bench.alliance.test",
        },
    )
    from accounts.models import User

    organiser, _ = User.objects.get_or_create(
        email="bench-priorities@bench.alliance.test", defaults={"name": "Bench Organiser"}
    )
    Membership.objects.get_or_create(user=organiser, group=group, defaults={"role": Role.ORGANISER})
    Round.objects.filter(title=f"{TITLE_PREFIX} {tag}").delete()
    round_ = round_open(
        group=group, opened_by=organiser, title=f"{TITLE_PREFIX} {tag}", dots_per_participant=3
    )
    clusters = Cluster.objects.bulk_create(
        [
            Cluster(round=round_, name=f"Theme {n}: {word}")
            for n, word in enumerate(WORDS[:CLUSTERS])
        ]
    )
    now = timezone.now()
    people = Participant.objects.bulk_create(
        [
            Participant(round=round_, name=f"Person {n}", party=party_list[n % len(party_list)])
            for n in range(participants)
        ]
    )
    notes = []
    for index, person in enumerate(people):
        for n in range(2):
            word = WORDS[(index * 2 + n) % len(WORDS)]
            placed = (index + n) % 3 != 0
            notes.append(
                Note(
                    round=round_,
                    participant=person,
                    text=f"{word} matters to me, note {index}-{n}",
                    cluster=clusters[(index + n) % CLUSTERS] if placed else None,
                    created_at=now,
                )
            )
    Note.objects.bulk_create(notes)
    Dot.objects.bulk_create(
        [
            Dot(round=round_, participant=p, cluster=clusters[i % CLUSTERS])
            for i, p in enumerate(people)
        ]
    )
    return round_, organiser, people, clusters


WORDS = [
    "NHS",
    "housing",
    "climate",
    "buses",
    "schools",
    "rents",
    "energy",
    "flooding",
    "dentists",
    "wages",
    "childcare",
    "rivers",
    "sewage",
    "trains",
    "cycling",
    "libraries",
    "youth",
    "care-homes",
    "potholes",
    "broadband",
    "democracy",
    "EU",
    "trade",
    "farming",
    "refugees",
]


def _organiser_session(base_url: str, user, round_) -> requests.Session:
    """A requests Session signed in as `user` (a session row, as a login makes) with its
    CSRF cookie from a GET of the board."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    session = requests.Session()
    session.cookies.set(settings.SESSION_COOKIE_NAME, store.session_key)
    session.get(f"{base_url}/priorities/{round_.pk}/board/", timeout=10)
    return session


def _participant_session(base_url: str, participant) -> requests.Session:
    """A phone that joined: its session remembers its participant."""
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore

    from priorities.permissions import SESSION_KEY

    store = SessionStore()
    store[SESSION_KEY] = {str(participant.round_id): participant.pk}
    store.create()
    session = requests.Session()
    session.cookies.set(settings.SESSION_COOKIE_NAME, store.session_key)
    session.get(f"{base_url}/priorities/{participant.round_id}/", timeout=10)
    return session


def spend_dots(base_url: str, round_, people, clusters, concurrency: int) -> Stats:
    """Every phone spends one more dot (htmx POST), `concurrency` at a time."""
    sessions = [_participant_session(base_url, p) for p in people]
    latencies: list[float] = []
    statuses: Counter = Counter()
    errors = 0
    lock = threading.Lock()

    def tap(index: int) -> None:
        nonlocal errors
        session = sessions[index]
        started = time.perf_counter()
        try:
            response = session.post(
                f"{base_url}/priorities/{round_.pk}/dots/",
                data={"cluster": clusters[(index * 7) % len(clusters)].pk},
                headers={"X-CSRFToken": session.cookies.get("csrftoken"), "HX-Request": "true"},
                timeout=10,
            )
            status = response.status_code
        except requests.RequestException as error:
            status = error.__class__.__name__
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            latencies.append(elapsed)
            statuses[status] += 1
            if not isinstance(status, int) or status >= 400:
                errors += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(tap, range(len(sessions))))
    return Stats(
        requests=len(latencies),
        seconds=time.perf_counter() - started,
        latencies_ms=latencies,
        status_counts=statuses,
        errors=errors,
    )


def first_after_change(base_url: str, round_, path: str, session_factory, *, requests=150):
    """Each GET right after the round's version moved on (as a write does), so that every
    request renders instead of finding the render cached: 4 clients, as in `measure`."""
    from priorities import live

    latencies: list[float] = []
    statuses: Counter = Counter()
    lock = threading.Lock()
    counter = iter(range(requests))
    deadline = time.monotonic() + 60

    def client() -> None:
        session = session_factory()
        while time.monotonic() < deadline:
            with lock:
                if next(counter, None) is None:
                    break
            live.round_changed(round_.pk)  # outside a transaction: both bumps at once
            started = time.perf_counter()
            response = session.get(f"{base_url}/priorities/{round_.pk}/{path}", timeout=10)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                statuses[response.status_code] += 1
        session.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=4) as pool:
        for future in [pool.submit(client) for _ in range(4)]:
            future.result()
    return Stats(
        requests=len(latencies),
        seconds=time.perf_counter() - started,
        latencies_ms=latencies,
        status_counts=statuses,
        errors=sum(n for status, n in statuses.items() if status >= 400),
    )


def run(report) -> None:
    from priorities.models import Dot, Note

    report.section(f"Priority mapping ({PARTICIPANTS} participants, {PARTICIPANTS * 2} notes)")
    small, small_organiser, _, _ = seed(10, "small")
    big, organiser, people, clusters = seed(PARTICIPANTS, "big")
    for name, path in (("board live", "board/live/"), ("projector live", "projector/live/")):
        n_small = report.query_count(f"/priorities/{small.pk}/{path}", user=small_organiser)
        n_big = report.query_count(f"/priorities/{big.pk}/{path}", user=organiser)
        report.note(
            f"queries: {name}", f"{n_small} with 10 participants, {n_big} with {PARTICIPANTS}"
        )

    base = report.url
    session = _organiser_session(base, organiser, big)
    from priorities.live import round_version

    version = round_version(big.pk)
    report.measure(
        "board poll, nothing changed (204)",
        f"/priorities/{big.pk}/board/live/?v={version}",
        session_factory=lambda: _organiser_session(base, organiser, big),
    )
    report.measure(
        "projector poll, nothing changed (204)",
        f"/priorities/{big.pk}/projector/live/?v={version}",
        session_factory=lambda: _organiser_session(base, organiser, big),
    )
    report.measure(
        "board, another screen after a change (cached)",
        f"/priorities/{big.pk}/board/live/",
        session_factory=lambda: _organiser_session(base, organiser, big),
    )
    report.measure(
        "projector, another screen after a change (cached)",
        f"/priorities/{big.pk}/projector/live/",
        session_factory=lambda: _organiser_session(base, organiser, big),
    )
    for name, path in (("board", "board/live/"), ("projector", "projector/live/")):
        report.add(
            f"{name}, first screen after a change (renders)",
            first_after_change(base, big, path, lambda: _organiser_session(base, organiser, big)),
        )
    note_ids = list(Note.objects.filter(round=big).order_by("pk").values_list("pk", flat=True))
    cluster_ids = [c.pk for c in clusters]

    def move(index, session):
        return {
            "note": note_ids[(index * 13) % len(note_ids)],
            "cluster": cluster_ids[index % len(cluster_ids)],
        }

    def organiser_for_posts():
        s = _organiser_session(base, organiser, big)
        s.headers.update({"X-CSRFToken": s.cookies.get("csrftoken"), "X-Requested-With": "fetch"})
        return s

    report.measure(
        "note dragged on the board (POST, 204)",
        f"/priorities/{big.pk}/move/",
        method="POST",
        data_factory=move,
        session_factory=organiser_for_posts,
    )
    before = Dot.objects.filter(round=big).count()
    stats = spend_dots(base, big, people, clusters, concurrency=4)
    report.add("dot spent from a phone (htmx POST)", stats)
    after = Dot.objects.filter(round=big).count()
    report.note("dots", f"{before} before, {after} after {stats.requests} taps (none lost)")
    session.close()
