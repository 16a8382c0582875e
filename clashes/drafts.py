"""Clash checks for an event that is not saved yet (the event form, as the organiser types),
and free slots for it. One query path for both: hypothetical rows `m` built from arrays,
checked with the detection predicate (`detection.clash_condition_sql`), each area branch
probing its own GiST index. Read only: nothing is recorded until the event is saved, when
the normal detection runs and tells both sides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection

from clashes.detection import AREA_BRANCHES, clash_condition_sql, sql_params


@dataclass(frozen=True)
class Draft:
    """The time and place of an event being written. `event_id` is the event being edited
    (0 for a new one): an event never clashes with its own saved version."""

    group_id: int
    starts_at: datetime
    ends_at: datetime
    constituency_id: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    event_id: int = 0


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    ends_at: datetime


# One hypothetical event row per (starts, ends) pair, numbered from 1.
DRAFT_ROWS_SQL = """
    SELECT s.i, %(event_id)s::bigint AS id, 'scheduled'::varchar AS status,
           %(group_id)s::bigint AS group_id, s.starts_at, s.ends_at,
           %(constituency_id)s::bigint AS constituency_id,
           %(latitude)s::float8 AS latitude, %(longitude)s::float8 AS longitude
    FROM unnest(%(starts)s::timestamptz[], %(ends)s::timestamptz[])
         WITH ORDINALITY AS s(starts_at, ends_at, i)
"""


def _params(draft: Draft, slots: list[tuple[datetime, datetime]], **extra) -> dict:
    return {
        **sql_params(),
        "event_id": draft.event_id,
        "group_id": draft.group_id,
        "constituency_id": draft.constituency_id,
        "latitude": draft.latitude,
        "longitude": draft.longitude,
        "starts": [s for s, _ in slots],
        "ends": [e for _, e in slots],
        **extra,
    }


def _areas(draft: Draft) -> tuple[str, ...]:
    """The area branches that can be true for this draft, the others being left out of the
    SQL (each costs planning time, the live check's main cost): "seat" needs its
    constituency, "near" its point, "e_area" some constituency it may be in (its own, or its
    group's area when it has no place), "m_area" no place at all."""
    unplaced = draft.constituency_id is None and draft.latitude is None
    possible = {
        "seat": draft.constituency_id is not None,
        "near": draft.latitude is not None,
        "e_area": draft.constituency_id is not None or unplaced,
        "m_area": unplaced,
    }
    return tuple(area for area in AREA_BRANCHES if possible[area])


def draft_clashing_event_ids(draft: Draft, *, limit: int = 3) -> list[int]:
    """The saved events the draft would clash with, soonest first (at most `limit`)."""
    areas = _areas(draft)
    if not areas:
        return []
    branches = " UNION ".join(
        f"""SELECT e.id, e.starts_at
            FROM m JOIN groups_group gm ON gm.id = m.group_id,
                 events_event e JOIN groups_group ge ON ge.id = e.group_id
            WHERE {clash_condition_sql("m", "gm", "e", "ge", area=area)}"""
        for area in areas
    )
    sql = f"""
        WITH m AS ({DRAFT_ROWS_SQL})
        SELECT id FROM ({branches}) found ORDER BY starts_at, id LIMIT %(limit)s
    """
    params = _params(draft, [(draft.starts_at, draft.ends_at)], limit=limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def draft_free_slots(
    draft: Draft, candidates: list[tuple[datetime, datetime]], *, limit: int = 3
) -> list[Slot]:
    """The first `limit` candidate slots in which the draft would clash with nothing. One
    query checks every candidate."""
    if not candidates:
        return []
    areas = _areas(draft)
    if not areas:
        return [Slot(*slot) for slot in candidates[:limit]]
    free = " AND ".join(
        f"""NOT EXISTS (
            SELECT 1 FROM events_event e JOIN groups_group ge ON ge.id = e.group_id
            WHERE {clash_condition_sql("m", "gm", "e", "ge", area=area)}
        )"""
        for area in areas
    )
    sql = f"""
        WITH m AS ({DRAFT_ROWS_SQL})
        SELECT m.i FROM m JOIN groups_group gm ON gm.id = m.group_id
        WHERE {free}
        ORDER BY m.i LIMIT %(limit)s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, _params(draft, candidates, limit=limit))
        free = [row[0] for row in cursor.fetchall()]
    return [Slot(*candidates[i - 1]) for i in free]
