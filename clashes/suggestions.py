"""Free slots for a clashing event: the same predicate as detection, for hypothetical times
(`clashes.drafts`, which the event form's live check uses too)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from clashes.drafts import Draft, Slot, draft_free_slots
from clashes.models import Clash
from clashes.rules import candidate_slots

__all__ = ["Slot", "clash_suggestions", "draft_suggestions"]

DRAFT_DAYS = 14


def draft_suggestions(draft: Draft, *, limit: int = 3, now: datetime | None = None) -> list[Slot]:
    """Up to `limit` free slots nearest the draft's time (same wall-clock time on nearby days,
    or three hours earlier/later), within 14 days either side of it and never in the past."""
    now = now or timezone.now()
    earliest = max(now, draft.starts_at - timedelta(days=DRAFT_DAYS))
    candidates = candidate_slots(draft.starts_at, draft.ends_at, now=earliest, days=2 * DRAFT_DAYS)
    return draft_free_slots(draft, candidates, limit=limit)


def clash_suggestions(*, clash: Clash, limit: int = 3, now: datetime | None = None) -> list[Slot]:
    """Up to `limit` slots in the next 14 days for the later-created event of the pair, each
    with no clash in that area. One SQL query checks every candidate slot."""
    now = now or timezone.now()
    event = max((clash.event_a, clash.event_b), key=lambda e: (e.created_at, e.pk))
    draft = Draft(
        group_id=event.group_id,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        constituency_id=event.constituency_id,
        latitude=event.latitude,
        longitude=event.longitude,
        event_id=event.pk,
    )
    candidates = candidate_slots(event.starts_at, event.ends_at, now=now, days=14)
    return draft_free_slots(draft, candidates, limit=limit)
