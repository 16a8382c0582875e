"""Conversations: the signed-in dashboard and a conversation with 1,000 posts (and 30
proposals), against /ping/. Goal: constant query counts, at least 0.15 of /ping/'s throughput.

Query counts are taken twice: on a 10-post conversation and a dashboard with little in it,
and on the 1,000-post conversation and a dashboard with 40 conversations, 40 events and
petitions, each on a first visit (cached fragments forgotten) and on the next one. The
conversation page shows its last 50 posts (paged), as a reader lands there; what every reader
sees alike is cached per conversation (conversations/fragments.py), the dashboard's lists per
person (conversations/dashboard.py), so the throughput figures are of the cached pages.
"""

from __future__ import annotations

from datetime import timedelta

GOAL = 0.15
TEXT = "Who canvasses where on Saturday? https://example.org/plan\nReply by Friday."


def _user(email: str, name: str):
    from accounts.models import User

    user, _ = User.objects.get_or_create(email=email, defaults={"name": name})
    return user


def seed():
    from django.utils import timezone

    from conversations import services
    from conversations.models import Conversation, Participant, Post, post_html
    from events.models import Event
    from groups.models import Group, Membership, Party, PartyStaff, Role
    from petitions.models import Petition

    now = timezone.now()
    party, _ = Party.objects.get_or_create(
        short_name="LD", defaults={"name": "Liberal Democrats", "slug": "libdems"}
    )
    staffer = _user("bench-conv-staff@example.org", "Bench Staffer")
    PartyStaff.objects.get_or_create(user=staffer, party=party)
    organiser = _user("bench-conv-org@example.org", "Bench Organiser")
    quiet = _user("bench-conv-quiet@example.org", "Quiet Organiser")
    busy_group, _ = Group.objects.get_or_create(
        slug="bench-conv-busy",
        defaults={"name": "Bench busy group", "kind": "pro_eu", "region": "E12000009",
                  "contact_email": "busy@example.org"},
    )  # fmt: skip
    quiet_group, _ = Group.objects.get_or_create(
        slug="bench-conv-quiet",
        defaults={"name": "Bench quiet group", "kind": "pro_eu", "region": "E12000009",
                  "contact_email": "quiet@example.org"},
    )  # fmt: skip
    Membership.objects.get_or_create(
        user=organiser, group=busy_group, defaults={"role": Role.ORGANISER}
    )
    Membership.objects.get_or_create(
        user=quiet, group=quiet_group, defaults={"role": Role.ORGANISER}
    )

    def conversation_with(title: str, posts: int, people) -> Conversation:
        existing = Conversation.objects.filter(title=title).first()
        if existing:
            return existing
        conversation = services.conversation_open(
            author=staffer, title=title, scope_kind="groups", groups=[busy_group], body="Start"
        )
        for person in people:
            Participant.objects.get_or_create(conversation=conversation, user=person)
        Post.objects.bulk_create(
            Post(conversation=conversation, author=people[i % len(people)], body=TEXT,
                 body_html=post_html(TEXT),
                 created_at=now + timedelta(seconds=i))
            for i in range(posts)
        )  # fmt: skip
        return conversation

    small = conversation_with("Bench: 10 posts", 10, [staffer, quiet])
    large = conversation_with("Bench: 1,000 posts", 1000, [staffer, organiser])
    if not large.proposals.exists():
        for i in range(30):
            services.proposal_create(
                conversation=large, proposer=staffer, statement=f"Proposal {i}", details="",
                deadline=now + timedelta(days=5),
            )  # fmt: skip
    for i in range(40):
        conversation_with(f"Bench busy {i}", 5, [staffer, organiser])
    if not Event.objects.filter(group=busy_group).exists():
        for i in range(40):
            start = now + timedelta(days=1 + i)
            Event.objects.create(
                group=busy_group, title=f"Stall {i}", kind="street_stall",
                starts_at=start, ends_at=start + timedelta(hours=2),
            )  # fmt: skip
            Petition.objects.create(
                group=busy_group, title=f"Bench petition {i}", slug=f"bench-conv-{i}",
                target="Council", body="Please", status="open",
            )  # fmt: skip
    return {"small": small, "large": large, "quiet": quiet, "busy": organiser}


def _session_factory(report, user):
    import requests
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    cookie = client.cookies["sessionid"].value

    def make():
        session = requests.Session()
        session.cookies.set("sessionid", cookie)
        return session

    return make


def run(report) -> None:
    report.section("Conversations (dashboard, a conversation with 1,000 posts)")
    data = seed()
    small_url = data["small"].get_absolute_url()
    large_url = data["large"].get_absolute_url()
    from conversations.dashboard import dashboards_expire
    from conversations.fragments import conversation_fragments_expire

    def cold_and_cached(path, user, conversation=None) -> str:
        """Queries of a first visit (cached fragments forgotten) and of the next one."""
        conversation_fragments_expire(conversation_ids=[conversation.pk] if conversation else [])
        dashboards_expire(user_ids=[user.pk])
        first = report.query_count(path, user=user)
        return f"{first} first, {report.query_count(path, user=user)} cached"

    counts = {
        "conversation page": (
            cold_and_cached(small_url, data["quiet"], data["small"]),
            cold_and_cached(large_url, data["busy"], data["large"]),
        ),
        "dashboard": (
            cold_and_cached("/", data["quiet"]),
            cold_and_cached("/", data["busy"]),
        ),
    }
    for name, (small, large) in counts.items():
        verdict = "constant" if small == large else "NOT CONSTANT"
        report.note(f"queries: {name}", f"{small} small; {large} large ({verdict})")
    for name, path, user in (
        ("conversation, 1,000 posts (last page)", large_url, data["busy"]),
        ("dashboard (organiser, busy)", "/", data["busy"]),
    ):
        stats = report.measure(name, path, session_factory=_session_factory(report, user))
        ratio = report.rows[-1].ratio
        report.rows[-1].note = f"goal >= {GOAL}: {'met' if ratio >= GOAL else 'NOT MET'}"
        assert stats.errors == 0, stats.status_counts
