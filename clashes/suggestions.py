"""Free slots for a clashing event: the same predicate as detection, for hypothetical times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.utils import timezone

from clashes.detection import clash_condition_sql, sql_params
from clashes.models import Clash
from clashes.rules import candidate_slots


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    ends_at: datetime


def clash_suggestions(*, clash: Clash, limit: int = 3, now: datetime | None = None) -> list[Slot]:
    """Up to `limit` slots in the next 14 days for the later-created event of the pair, each
    with no clash in that area. One SQL query checks every candidate slot."""
    now = now or timezone.now()
    event = max((clash.event_a, clash.event_b), key=lambda e: (e.created_at, e.pk))
    slots = candidate_slots(event.starts_at, event.ends_at, now=now, days=14)
    if not slots:
        return []
    sql = f"""
        WITH m AS (
            SELECT s.i, x.id, 'scheduled'::varchar AS status, x.group_id, s.starts_at,
                   s.ends_at, x.constituency_id, x.latitude, x.longitude
            FROM events_event x,
                 unnest(%(starts)s::timestamptz[], %(ends)s::timestamptz[])
                    WITH ORDINALITY AS s(starts_at, ends_at, i)
            WHERE x.id = %(event_id)s
        )
        SELECT m.i FROM m JOIN groups_group gm ON gm.id = m.group_id
        WHERE NOT EXISTS (
            SELECT 1 FROM events_event e JOIN groups_group ge ON ge.id = e.group_id
            WHERE {clash_condition_sql("m", "gm", "e", "ge", area="seat")}
        ) AND NOT EXISTS (
            SELECT 1 FROM events_event e JOIN groups_group ge ON ge.id = e.group_id
            WHERE {clash_condition_sql("m", "gm", "e", "ge", area="near")}
        )
        ORDER BY m.i LIMIT %(limit)s
    """
    params = {
        **sql_params(),
        "event_id": event.pk,
        "starts": [s for s, _ in slots],
        "ends": [e for _, e in slots],
        "limit": limit,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        free = [row[0] for row in cursor.fetchall()]
    return [Slot(*slots[i - 1]) for i in free]
