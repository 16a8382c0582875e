"""The weekly digest for 100,000 subscribers: how long writing every digest to the outbox
takes, and how fast the outbox then delivers them to an SMTP server on loopback.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/alliance_x \\
        .venv/bin/python bench/conversations/digest_100k.py [--subscribers 100000] [--send 10000]

Uses its own database `<DATABASE_URL name>_digest_bench` (created and migrated if missing;
seeded once, every run deletes the outbox rows it wrote). Data: 500 groups, each covering one
of 500 constituencies, 200 subscribers per group (members), 2 upcoming public events and one
open petition per group, 500 conversations (one per group, 200 participants each) with an open
proposal half of the members have answered and an outcome recorded this week. Every
subscriber has something in each section, so every one gets an email.

Goal: the digest for 100,000 subscribers within 10 minutes on 2 cores. `digest_send_weekly`
builds and enqueues (rendering text + HTML, one INSERT per email); delivery is measured on
`--send` emails through `outbox_deliver` with 2 processes and extrapolated to 100,000.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import socket
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
_base = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/alliance"))
_name = (_base.path.lstrip("/") or "alliance") + "_digest_bench"
os.environ["DATABASE_URL"] = os.environ.get(
    "DIGEST_BENCH_DATABASE_URL", urlunsplit(_base._replace(path=f"/{_name}"))
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliance.settings.test")
os.environ.setdefault("CACHE_KEY_PREFIX", "digest-bench")

GROUPS = 500
SENDERS = int(os.environ.get("DIGEST_SENDERS", "4"))  # SMTP waits: more senders than cores


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


def seed(subscribers: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from conversations.models import (
        Answer,
        Conversation,
        DigestSubscription,
        Participant,
        Proposal,
        ProposalStatus,
    )
    from events.models import Event
    from groups.models import Group, Membership
    from petitions.models import Petition
    from seats.models import Constituency

    existing = DigestSubscription.objects.count()
    if existing == subscribers:
        return
    if existing:
        raise SystemExit(f"The bench database holds {existing:,} subscribers: drop it to reseed.")
    started = time.monotonic()
    now = timezone.now()
    per_group = subscribers // GROUPS
    with transaction.atomic():
        seats = Constituency.objects.bulk_create(
            Constituency(ons_code=f"D{n:08d}", name=f"Digest seat {n}", boundary_set="sample",
                         nation="england", region="E12000009")
            for n in range(GROUPS)
        )  # fmt: skip
        groups = Group.objects.bulk_create(
            Group(name=f"Digest group {n}", slug=f"digest-group-{n}", kind="pro_eu",
                  region="E12000009", contact_email=f"g{n}@example.org")
            for n in range(GROUPS)
        )  # fmt: skip
        Group.constituencies.through.objects.bulk_create(
            Group.constituencies.through(group_id=g.pk, constituency_id=s.pk)
            for g, s in zip(groups, seats, strict=True)
        )
        users = User.objects.bulk_create(
            (User(email=f"digest{n}@example.org", name=f"Subscriber {n}", password="!")
             for n in range(subscribers)),
            batch_size=5000,
        )  # fmt: skip
        Membership.objects.bulk_create(
            (Membership(user_id=u.pk, group_id=groups[i // per_group % GROUPS].pk)
             for i, u in enumerate(users)),
            batch_size=5000,
        )  # fmt: skip
        DigestSubscription.objects.bulk_create(
            (DigestSubscription(user_id=u.pk, weekly=True) for u in users), batch_size=5000
        )
        # Events of a neighbouring group in each seat: "allied events in your area".
        Event.objects.bulk_create(
            Event(group=groups[(n + 1) % GROUPS], constituency=seats[n], title=f"Stall {n}-{k}",
                  kind="street_stall", starts_at=now + timedelta(days=1 + k, hours=n % 8),
                  ends_at=now + timedelta(days=1 + k, hours=2 + n % 8), visibility="public")
            for n in range(GROUPS)
            for k in range(2)
        )  # fmt: skip
        Petition.objects.bulk_create(
            Petition(group=g, title=f"Petition of group {n}", slug=f"digest-petition-{n}",
                     target="Council", body="Please", status="open")
            for n, g in enumerate(groups)
        )  # fmt: skip
        conversations = Conversation.objects.bulk_create(
            Conversation(title=f"Talk {n}", scope_kind="groups") for n in range(GROUPS)
        )
        Participant.objects.bulk_create(
            (Participant(conversation_id=conversations[i // per_group % GROUPS].pk,
                         user_id=u.pk) for i, u in enumerate(users)),
            batch_size=5000,
        )  # fmt: skip
        open_proposals = Proposal.objects.bulk_create(
            Proposal(conversation=c, statement=f"Proposal {n}", deadline=now + timedelta(days=3))
            for n, c in enumerate(conversations)
        )
        Proposal.objects.bulk_create(
            Proposal(conversation=c, statement=f"Decided {n}", deadline=now - timedelta(days=1),
                     status=ProposalStatus.CLOSED, outcome="Agreed.", outcome_at=now)
            for n, c in enumerate(conversations)
        )  # fmt: skip
        Answer.objects.bulk_create(
            (Answer(proposal_id=open_proposals[i // per_group % GROUPS].pk, user_id=u.pk,
                    position="agree", reason="Yes")
             for i, u in enumerate(users) if i % 2),
            batch_size=5000,
        )  # fmt: skip
    print(f"seeded {subscribers:,} subscribers in {time.monotonic() - started:.0f} s", flush=True)


def sink_server() -> tuple[int, list]:
    from aiosmtpd.controller import Controller

    received: list = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope.rcpt_tos[0])
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    Controller(Handler(), hostname="127.0.0.1", port=port).start()
    return port, received


def _build_range(first: int, last: int, now) -> int:
    from django.db import connection

    from conversations.digest import digest_send_range

    connection.close()
    return digest_send_range(first_user_id=first, last_user_id=last, now=now)


def _deliver(port: int) -> None:
    from django.conf import settings
    from django.db import connection

    from outbox.services import outbox_deliver

    connection.close()  # a fresh connection in this process
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port

    outbox_deliver(batch_size=100)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--send", type=int, default=10_000)
    args = parser.parse_args()
    setup_django()
    seed(args.subscribers)

    from django.utils import timezone

    from conversations.digest import digest_send_weekly
    from outbox.models import OutboxEmail, OutboxStatus

    OutboxEmail.objects.filter(key__startswith="digest:").delete()
    load = os.getloadavg()[0]
    import cProfile
    import pstats

    profile = cProfile.Profile() if os.environ.get("DIGEST_PROFILE") else None
    if profile:
        profile.enable()
    started = time.monotonic()
    now = timezone.now()
    if profile:
        written = digest_send_weekly(now=now)
    else:  # as the workers do it: one task per chunk, two processes (two cores)
        from django.db import connection

        from conversations.digest import _subscriber_chunks

        ranges = [(ids[0], ids[-1], now) for ids in _subscriber_chunks(500)]
        connection.close()
        with multiprocessing.Pool(2) as pool:
            written = sum(pool.starmap(_build_range, ranges))
    if profile:
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
    build = time.monotonic() - started
    print(
        f"digest_send_weekly: {written:,} emails written in {build:.0f} s "
        f"({written / build:.0f}/s; load average {load:.1f} at the start)",
        flush=True,
    )
    started = time.monotonic()
    again = digest_send_weekly(now=timezone.now())
    print(f"run again the same week: {again} written in {time.monotonic() - started:.1f} s")

    # Delivery: keep --send rows due, park the rest, 2 sender processes against the sink.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    port, received = sink_server()
    due = list(
        OutboxEmail.objects.filter(key__startswith="digest:")
        .order_by("pk")
        .values_list("pk", flat=True)[: args.send]
    )
    OutboxEmail.objects.exclude(pk__in=due).update(status=OutboxStatus.FAILED)
    from django.db import connection

    connection.close()
    started = time.monotonic()
    senders = [multiprocessing.Process(target=_deliver, args=(port,)) for _ in range(SENDERS)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    send = time.monotonic() - started
    sent = OutboxEmail.objects.filter(pk__in=due, status=OutboxStatus.SENT).count()
    rate = sent / send
    print(
        f"delivery, {SENDERS} processes: {sent:,} sent in {send:.0f} s ({rate:.0f}/s); "
        f"{len(received):,} received by the sink, {len(set(received)):,} distinct recipients; "
        f"100,000 would take {100_000 / rate / 60:.1f} min",
        flush=True,
    )
    total = build + 100_000 / rate
    print(f"build + delivery for 100,000: {total / 60:.1f} min (goal: 10 min)")
    OutboxEmail.objects.filter(key__startswith="digest:").delete()
    threading.Event().wait(0.1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
