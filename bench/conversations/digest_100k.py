"""The weekly digest for 100,000 subscribers, end to end: from the weekly trigger to the last
email accepted by an SMTP server on loopback.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/alliance_x \\
        .venv/bin/python bench/conversations/digest_100k.py [--subscribers 100000]

Uses its own database `<DATABASE_URL name>_digest_bench` (created and migrated if missing;
seeded once, every run deletes the outbox rows it wrote). Data: 500 groups, each covering one
of 500 constituencies, 200 subscribers per group (members), 2 upcoming public events and one
open petition per group, 500 conversations (one per group, 200 participants each) with an open
proposal half of the members have answered and an outcome recorded this week. Every
subscriber has something in each section, so every one gets an email.

What is timed, from one clock started before the first query:
1. the fan-out (`_subscriber_chunks`, what `digest_send_weekly_task` → `digest_fan_out`
   does to queue one task per 500 subscribers);
2. every chunk's `digest_send_range` (what `digest_send_range_task` runs), in BUILDERS
   processes, as a worker with `--concurrency=2` on 2 cores runs them;
3. at the same time, SENDERS processes running `outbox_deliver` (what `outbox_deliver_task`
   runs after each chunk commits) against the SMTP sink, until the build is over and no
   digest is due;
and the clock stops when the last sender is done. The run fails unless every digest row is
`sent` and the sink received exactly one email per subscriber. What it leaves out: Celery's
broker round trips (one message per chunk, 200 in all) and a real relay's own time (the sink
here accepts at once, but shares the two cores).

Goal: the digest for 100,000 subscribers within 10 minutes on 2 cores.
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
BUILDERS = int(os.environ.get("DIGEST_BUILDERS", "2"))  # one per core, as the worker runs
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


def _deliver(port: int, build_over) -> None:
    """One sender, as outbox_deliver_task runs: deliver what is due; when nothing is, look
    again shortly, until the build is over and nothing is left."""
    from django.conf import settings
    from django.db import connection

    from outbox.models import OutboxEmail
    from outbox.services import outbox_deliver

    connection.close()  # a fresh connection in this process
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    while True:
        over = build_over.is_set()  # read before delivering: nothing is written after it
        report = outbox_deliver(batch_size=100)
        if report.sent or report.failed:
            continue
        if over and not OutboxEmail.objects.due().exists():
            return
        time.sleep(0.2)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=100_000)
    args = parser.parse_args()
    setup_django()
    seed(args.subscribers)

    from django.db import connection
    from django.utils import timezone

    from conversations.digest import _subscriber_chunks, digest_send_weekly
    from outbox.models import OutboxEmail, OutboxStatus

    OutboxEmail.objects.filter(key__startswith="digest:").delete()
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    port, received = sink_server()
    load = os.getloadavg()
    print(f"load average at the start: {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f}", flush=True)

    build_over = multiprocessing.Event()
    connection.close()
    started = time.monotonic()
    now = timezone.now()
    senders = [
        multiprocessing.Process(target=_deliver, args=(port, build_over)) for _ in range(SENDERS)
    ]
    for sender in senders:
        sender.start()
    ranges = [(ids[0], ids[-1], now) for ids in _subscriber_chunks(500)]  # the fan-out
    connection.close()
    with multiprocessing.Pool(BUILDERS) as pool:
        written = sum(pool.starmap(_build_range, ranges))
    build = time.monotonic() - started
    build_over.set()
    print(
        f"built and enqueued: {written:,} digests in {build:.0f} s ({written / build:.0f}/s), "
        f"{len(received):,} already delivered by then",
        flush=True,
    )
    for sender in senders:
        sender.join()
    total = time.monotonic() - started
    sent = OutboxEmail.objects.filter(key__startswith="digest:", status=OutboxStatus.SENT).count()
    load = os.getloadavg()
    print(
        f"END TO END: {written:,} written, {sent:,} sent, {len(received):,} received by the sink "
        f"({len(set(received)):,} distinct recipients) in {total:.0f} s = {total / 60:.1f} min "
        f"(goal 10 min); {BUILDERS} builders, {SENDERS} senders; load average at the end: "
        f"{load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f}",
        flush=True,
    )
    started = time.monotonic()
    again = digest_send_weekly(now=timezone.now())
    print(f"run again the same week: {again} written in {time.monotonic() - started:.1f} s")
    ok = written == sent == len(received) == len(set(received)) == args.subscribers and not again
    OutboxEmail.objects.filter(key__startswith="digest:").delete()
    threading.Event().wait(0.1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
