"""The Django side of the fault run (imported only after `django.setup()` on the private
database): seed the data, create clashing events while faults happen, and count at the end.

Clashes are created through `events.services.event_create`, the service the web form calls, so
each creates its clash check task after commit exactly as in production. Every pair is placed in
its own 4-hour slot at the same spot in Bristol: each pair clashes with itself only, so the
expected clashes and recipients are known in advance.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import close_old_connections, connection

logger = logging.getLogger("bench.faults")
LONDON = ZoneInfo("Europe/London")
BRISTOL = (51.4545, -2.5879)
ORGANISERS_PER_GROUP = 2


@dataclass
class Seed:
    petition_slug: str
    petition_id: int
    branches: list  # party branch groups (one side of the default clash rule)
    pro_eu: list  # pro-EU groups (the other side)
    authors: dict  # group id -> an organiser (the event's author)
    recipients: dict  # group id -> emails of its organisers
    staff_emails: list  # party staff who opted in to clash emails (blank region: all)


def seed() -> Seed:
    from accounts.models import User
    from groups.models import Group, GroupKind, Membership, Party, PartyStaff, Role
    from petitions.services.petitions import petition_create, petition_submit
    from seats.regions import Region

    party = Party.objects.create(
        name="Liberal Democrats", short_name="LD", slug="libdem", is_progressive=True
    )

    def group(n: int, kind: str) -> Group:
        return Group.objects.create(
            name=f"Fault run {kind} {n}",
            slug=f"fault-run-{kind.replace('_', '-')}-{n}",
            kind=kind,
            party=party if kind == GroupKind.PARTY_BRANCH else None,
            region=Region.SOUTH_WEST,
            contact_email=f"{kind}-{n}@groups.faults.example.org",
            is_verified=True,
        )

    branches = [group(n, GroupKind.PARTY_BRANCH) for n in range(2)]
    pro_eu = [group(n, GroupKind.PRO_EU) for n in range(2)]
    authors, recipients = {}, {}
    for g in branches + pro_eu:
        recipients[g.pk] = []
        for k in range(ORGANISERS_PER_GROUP):
            user = User.objects.create_user(
                email=f"organiser{k}.{g.slug}@faults.example.org", name=f"Organiser {k} {g.name}"
            )
            Membership.objects.create(user=user, group=g, role=Role.ORGANISER)
            authors.setdefault(g.pk, user)
            recipients[g.pk].append(user.email)
    staff = User.objects.create_user(email="staff@faults.example.org", name="Party Staff")
    PartyStaff.objects.create(user=staff, party=party, region="", notify_clashes=True)

    petition = petition_create(
        group=branches[0],
        author=authors[branches[0].pk],
        title="Lib Dems: talk to pro-EU groups (fault run)",
        target="Liberal Democrats",
        body="A petition signed while its servers are restarted.",
    )
    petition = petition_submit(petition=petition)
    return Seed(
        petition_slug=petition.slug,
        petition_id=petition.pk,
        branches=branches,
        pro_eu=pro_eu,
        authors=authors,
        recipients=recipients,
        staff_emails=[staff.email],
    )


@dataclass
class Pair:
    index: int
    branch_id: int
    pro_eu_id: int
    event_ids: dict = field(default_factory=dict)  # "branch"/"pro_eu" -> event id
    created_at: float | None = None  # time.monotonic() when both events existed
    manual: bool = False  # created by the runner itself (the recovery probe), not by run()


class ClashMaker:
    """Creates one clashing pair of events every `interval` seconds, through the service,
    retrying a pair whose creation an outage interrupted (never creating an event twice)."""

    def __init__(self, data: Seed, *, interval: float):
        self.data = data
        self.interval = interval
        self.pairs: list[Pair] = []
        self.errors: Counter = Counter()
        self.lock = threading.Lock()
        self._stop = threading.Event()
        now = datetime.now(LONDON)
        self.base = (now + timedelta(days=2)).replace(hour=7, minute=0, second=0, microsecond=0)

    def _slot(self, index: int) -> tuple[datetime, datetime]:
        start = self.base + timedelta(days=index // 5, hours=4 * (index % 5))
        return start, start + timedelta(hours=2)

    def new_pair(self, *, manual: bool = False) -> Pair:
        with self.lock:
            index = len(self.pairs)
            pair = Pair(
                index=index,
                branch_id=self.data.branches[index % 2].pk,
                pro_eu_id=self.data.pro_eu[index % 2].pk,
                manual=manual,
            )
            self.pairs.append(pair)
        return pair

    def complete(self, pair: Pair) -> bool:
        """Create what is missing of `pair`; True once both events exist."""
        from events import services as event_services
        from events.models import Event
        from groups.models import Group

        starts_at, ends_at = self._slot(pair.index)
        for side, group_id, kind in (
            ("branch", pair.branch_id, "canvassing"),
            ("pro_eu", pair.pro_eu_id, "street_stall"),
        ):
            if side in pair.event_ids:
                continue
            title = f"Fault run pair {pair.index} {side}"
            try:
                close_old_connections()
                existing = Event.objects.filter(title=title).values_list("pk", flat=True).first()
                if existing:  # created, but the answer was lost (e.g. an outage at commit)
                    pair.event_ids[side] = existing
                    continue
                event = event_services.event_create(
                    group=Group.objects.get(pk=group_id),
                    author=self.data.authors[group_id],
                    title=title,
                    kind=kind,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    venue_name="College Green",
                    latitude=BRISTOL[0],
                    longitude=BRISTOL[1],
                )
                pair.event_ids[side] = event.pk
            except Exception as error:  # noqa: BLE001 - an outage: retried on the next tick
                name = error.__class__.__name__
                with self.lock:
                    self.errors[name] += 1
                connection.close()
                return False
        if pair.created_at is None:
            pair.created_at = time.monotonic()
        return True

    def run(self) -> None:
        try:
            while not self._stop.is_set():
                with self.lock:
                    unfinished = [p for p in self.pairs if p.created_at is None and not p.manual]
                pair = unfinished[0] if unfinished else self.new_pair()
                self.complete(pair)
                self._stop.wait(self.interval)
        finally:
            connection.close()

    def start(self) -> None:
        self.thread = threading.Thread(target=self.run, name="clashes", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=60)

    def abort(self) -> None:
        self._stop.set()

    def expected_recipients(self, pair: Pair) -> set[str]:
        r = self.data.recipients
        return {*r[pair.branch_id], *r[pair.pro_eu_id], *self.data.staff_emails}


def clash_for(pair: Pair):
    from clashes.models import Clash

    a, b = sorted(pair.event_ids.values())
    return Clash.objects.filter(event_a_id=a, event_b_id=b).first()
