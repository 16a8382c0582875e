"""The weekly digest: one email per opted-in person, keyed "digest:<user>:<iso-week>" in the
outbox, so however often the task runs (twice, concurrently, after a crash half-way) each
subscriber gets one a week.

Built in chunks of subscribers with a fixed number of queries per chunk (never per person):
their groups, the constituencies those groups cover, allied events coming up there, open
proposals awaiting them, outcomes recorded this week, and their groups' petition counts.
A person with nothing to report that week gets no email (a quiet week is not news).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import mark_safe

from conversations.models import (
    Answer,
    DigestSubscription,
    Participant,
    PollVote,
    Proposal,
    ProposalStatus,
    RankedBallot,
)
from conversations.services import unsubscribe_links
from conversations.tasks import digest_send_range_task
from events.models import Event, EventStatus
from events.models import Visibility as EventVisibility
from groups.models import Group, Membership
from outbox.emails import email_absolute_url, email_render_parts
from outbox.models import OutboxEmail
from outbox.services import email_enqueue_many
from petitions.models import Petition, PetitionStatus

CHUNK = 500
EVENTS_PER_PERSON = 5
EVENTS_AHEAD = timedelta(days=7)


def digest_week(now: datetime) -> str:
    year, week, _ = timezone.localtime(now).isocalendar()
    return f"{year}-W{week:02d}"


def digest_key(user_id: int, week: str) -> str:
    return f"digest:{user_id}:{week}"


def _subscriber_chunks(chunk: int):
    """(first id, last id) of each run of `chunk` subscribers, in id order."""
    subscribers = DigestSubscription.objects.filter(weekly=True, user__is_active=True)
    last_id = 0
    while True:
        user_ids = list(
            subscribers.filter(user_id__gt=last_id)
            .order_by("user_id")
            .values_list("user_id", flat=True)[:chunk]
        )
        if not user_ids:
            return
        yield user_ids
        last_id = user_ids[-1]


def digest_send_weekly(*, now: datetime | None = None, chunk: int = CHUNK) -> int:
    """Write this week's digests to the outbox in this process; returns how many."""
    now = now or timezone.now()
    week = digest_week(now)
    return sum(
        _digest_chunk(user_ids=user_ids, week=week, now=now)
        for user_ids in _subscriber_chunks(chunk)
    )


def digest_fan_out(*, now: datetime | None = None, chunk: int = CHUNK) -> int:
    """Queue one task per chunk of subscribers, so every worker (every core) builds digests
    at once. Each chunk is idempotent on its keys: a chunk run twice writes nothing twice."""
    now = now or timezone.now()
    chunks = 0
    for user_ids in _subscriber_chunks(chunk):
        digest_send_range_task.delay(user_ids[0], user_ids[-1], now.isoformat())
        chunks += 1
    return chunks


def digest_send_range(*, first_user_id: int, last_user_id: int, now: datetime) -> int:
    user_ids = list(
        DigestSubscription.objects.filter(
            weekly=True, user__is_active=True, user_id__gte=first_user_id, user_id__lte=last_user_id
        )
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )
    return _digest_chunk(user_ids=user_ids, week=digest_week(now), now=now)


def _digest_chunk(*, user_ids: list[int], week: str, now: datetime) -> int:
    keys = {digest_key(user_id, week): user_id for user_id in user_ids}
    done = set(OutboxEmail.objects.filter(key__in=list(keys)).values_list("key", flat=True))
    user_ids = [user_id for key, user_id in keys.items() if key not in done]
    if not user_ids:
        return 0
    users = get_user_model().objects.in_bulk(user_ids)

    groups_of: dict[int, set[int]] = defaultdict(set)
    for user_id, group_id in Membership.objects.filter(user_id__in=user_ids).values_list(
        "user_id", "group_id"
    ):
        groups_of[user_id].add(group_id)
    all_groups = set().union(*groups_of.values()) if groups_of else set()
    seats_of_group: dict[int, set[int]] = defaultdict(set)
    for group_id, seat_id in Group.constituencies.through.objects.filter(
        group_id__in=all_groups
    ).values_list("group_id", "constituency_id"):
        seats_of_group[group_id].add(seat_id)
    all_seats = set().union(*seats_of_group.values()) if seats_of_group else set()
    events = list(
        Event.objects.filter(
            constituency_id__in=all_seats,
            status=EventStatus.SCHEDULED,
            visibility__in=[EventVisibility.PUBLIC, EventVisibility.ALLIANCE],
            starts_at__gte=now,
            starts_at__lt=now + EVENTS_AHEAD,
        )
        .select_related("group", "constituency")
        .order_by("starts_at", "pk")[:2000]
    )

    events_in: dict[int, list[Event]] = defaultdict(list)
    for event in events:
        events_in[event.constituency_id].append(event)

    awaiting: dict[int, list[Proposal]] = defaultdict(list)
    outcomes: dict[int, list[Proposal]] = defaultdict(list)
    rows = list(
        Participant.objects.current()
        .filter(user_id__in=user_ids, conversation__proposals__isnull=False)
        .values_list("user_id", "conversation__proposals")
        .order_by()
    )
    week_ago = now - timedelta(days=7)
    proposals = Proposal.objects.in_bulk(
        list(
            Proposal.objects.filter(pk__in={proposal_id for _, proposal_id in rows})
            .filter(Q(status=ProposalStatus.OPEN) | Q(outcome_at__gte=week_ago))
            .values_list("pk", flat=True)
        )
    )
    done_answers = (
        set(
            Answer.objects.filter(
                user_id__in=user_ids, proposal_id__in=list(proposals)
            ).values_list("user_id", "proposal_id")
        )
        | set(  # a time poll is answered by its votes
            PollVote.objects.filter(user_id__in=user_ids, option__proposal_id__in=list(proposals))
            .values_list("user_id", "option__proposal_id")
            .distinct()
        )
        | set(  # a ranked-choice poll by a ranking
            RankedBallot.objects.filter(
                user_id__in=user_ids, proposal_id__in=list(proposals)
            ).values_list("user_id", "proposal_id")
        )
    )
    for user_id, proposal_id in rows:
        proposal = proposals.get(proposal_id)
        if proposal is None:
            continue
        if proposal.is_open and (user_id, proposal_id) not in done_answers:
            awaiting[user_id].append(proposal)
        elif proposal.outcome_at and proposal.outcome_at >= week_ago:
            outcomes[user_id].append(proposal)

    petitions_of_group: dict[int, list[Petition]] = defaultdict(list)
    for petition in Petition.objects.filter(
        group_id__in=all_groups, status=PetitionStatus.OPEN
    ).select_related("tally"):
        petitions_of_group[petition.group_id].append(petition)

    # Each event, proposal and petition as the emails show it, made once per chunk (links and
    # dates are the same for everyone; hundreds of subscribers share them).
    event_items = {
        e.pk: {
            "when": date_format(timezone.localtime(e.starts_at), "D j M, H:i"),
            "title": e.title,
            "group": e.group.name,
            "url": email_absolute_url(e.get_absolute_url()),
        }
        for e in events
    }
    proposal_items = {
        p.pk: {
            "statement": p.statement,
            "until": date_format(timezone.localtime(p.deadline), "j M, H:i"),
            "outcome": p.outcome,
            "url": email_absolute_url(p.get_absolute_url()),
        }
        for p in proposals.values()
    }
    petition_items = {
        g: [
            {
                "title": p.title,
                "count": getattr(getattr(p, "tally", None), "confirmed_count", 0),
                "url": email_absolute_url(p.get_absolute_url()),
            }
            for p in group_petitions
        ]
        for g, group_petitions in petitions_of_group.items()
    }

    # The sections (everything but the greeting) rendered once per distinct content: the
    # subscribers of one group mostly share theirs, and rendering them was most of the build.
    sections: dict[tuple, dict] = {}
    emails = []
    for user_id in user_ids:
        user = users[user_id]
        own = groups_of.get(user_id, set())
        area = set().union(*(seats_of_group[g] for g in own)) if own else set()
        nearby = sorted(
            (e for seat in area for e in events_in.get(seat, ()) if e.group_id not in own),
            key=lambda e: (e.starts_at, e.pk),
        )
        shown = (
            tuple(e.pk for e in nearby[:EVENTS_PER_PERSON]),
            tuple(p.pk for p in awaiting.get(user_id, [])),
            tuple(p.pk for p in outcomes.get(user_id, [])),
            tuple(sorted(own)),
        )
        events_pks, awaiting_pks, outcome_pks, group_ids = shown
        petitions = [item for g in group_ids for item in petition_items.get(g, [])]
        if not (events_pks or awaiting_pks or outcome_pks or petitions):
            continue
        if shown not in sections:
            text, html = email_render_parts(
                template="conversations/email/_digest_sections",
                context={
                    "events": [event_items[pk] for pk in events_pks],
                    "awaiting": [proposal_items[pk] for pk in awaiting_pks],
                    "outcomes": [proposal_items[pk] for pk in outcome_pks],
                    "petitions": petitions,
                },
            )
            # Autoescaped by the .html template just now.
            sections[shown] = {"sections_text": text, "sections_html": mark_safe(html)}  # noqa: S308
        emails.append(
            {
                "key": digest_key(user_id, week),
                "to": user.email,
                "subject": f"Your week in the alliance ({week})",
                "template": "conversations/email/digest",
                "context": {"recipient": user, "week": week, **sections[shown]},
                **unsubscribe_links(user_id=user_id, what="digest"),
            }
        )
    with transaction.atomic():
        return len(email_enqueue_many(emails=emails))
