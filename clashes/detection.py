"""Clash detection: the SQL. Set-based, never a Python loop over events.

- `event_clashes_record(event_id=...)`: one statement finds the candidates of one event with
  the range overlap `e.span && tstzrange(start - margin, end + margin)` in index probes, one
  per area branch: GiST (constituency_id, span) for the same constituency, GiST (point,
  span) with a bounding box for the radius (then the exact haversine distance), and for an
  event without a place, its group's area (the constituencies the group covers); then the
  rules; it inserts new pairs with ON CONFLICT DO NOTHING, re-opens auto-resolved pairs that
  clash again and resolves this event's pairs that no longer clash.
- `clashes_sweep_record(...)`: the same statement as one self-join over every event in a window.

The predicate is written once (`clash_condition_sql`) and mirrors `clashes.rules.events_clash`.
Writing the outbox for new clashes is the services' job (clashes/services.py), in the same
transaction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from clashes.rules import EARTH_RADIUS_KM

RAD = math.pi / 180  # both SQL and clashes.rules multiply by this very double
BBOX_EPSILON_DEG = 1e-6  # widens the prefilter box by ~0.1 m so rounding never loses a pair


# --- The predicate, once ------------------------------------------------------------------


def _haversine_sql(a: str, b: str) -> str:
    return (
        f"%(two_r)s * asin(least(1.0::float8, sqrt("
        f"power(sin(({b}.latitude - {a}.latitude) * %(rad)s / 2), 2)"
        f" + cos({a}.latitude * %(rad)s) * cos({b}.latitude * %(rad)s)"
        f" * power(sin(({b}.longitude - {a}.longitude) * %(rad)s / 2), 2))))"
    )


# The area branches of `clash_condition_sql`, each probed on its own and merged.
AREA_BRANCHES = ("seat", "near", "e_area", "m_area")


def _seats_sql(x: str) -> str:
    """SQL: the constituencies event `x` may be in (clashes.rules.EventInfo.seat_ids): its own,
    or with no place at all its group's area."""
    return f"""(CASE
        WHEN {x}.constituency_id IS NOT NULL THEN ARRAY[{x}.constituency_id::bigint]
        WHEN {x}.latitude IS NULL THEN ARRAY(
            SELECT c.constituency_id::bigint FROM groups_group_constituencies c
            WHERE c.group_id = {x}.group_id)
        ELSE '{{}}'::bigint[]
    END)"""


def clash_condition_sql(m: str, gm: str, e: str, ge: str, *, area: str = "any") -> str:
    """SQL: event alias `e` (group `ge`) clashes with `m` (group `gm`). `m` may be a real event
    row or a hypothetical one (suggestions). `area` picks the branch (`AREA_BRANCHES`):
    "seat" (same constituency), "near" (both points within the radius), "e_area" (`e` has no
    place and its group covers a constituency `m` may be in), "m_area" (`m` has no place and
    its group covers `e`'s constituency), or "any" (one of them). "seat" and "near" have a GiST
    index of their own (events migration 0006): (constituency_id, span) and (point, span), so a
    probe only reads events that are both at that time and in that place; the group-area
    branches read the few events without a place at that time (span index) or the events in
    the area's constituencies at that time (the constituency index)."""
    dlon = f"(degrees(asin(least(1.0::float8, %(sin_r)s / cos({m}.latitude * %(rad)s)))) + %(eps)s)"
    seat = f"{e}.constituency_id = {m}.constituency_id"
    near = f"""(
        {m}.latitude IS NOT NULL AND {e}.latitude IS NOT NULL
        AND point({e}.longitude, {e}.latitude) <@ box(
            point({m}.longitude - {dlon}, {m}.latitude - %(dlat)s),
            point({m}.longitude + {dlon}, {m}.latitude + %(dlat)s))
        AND {_haversine_sql(m, e)} <= %(radius)s
    )"""
    # An array overlap rather than EXISTS: a semi-join would let the planner hash every
    # group's coverage on each call; this reads the coverage of the few events at that time
    # without a place, one index probe each.
    e_area = f"""(
        {e}.constituency_id IS NULL AND {e}.latitude IS NULL
        AND ARRAY(
            SELECT ce.constituency_id::bigint FROM groups_group_constituencies ce
            WHERE ce.group_id = {e}.group_id
        ) && {_seats_sql(m)}
    )"""
    m_area = f"""(
        {m}.constituency_id IS NULL AND {m}.latitude IS NULL
        AND {e}.constituency_id IN (
            SELECT cm.constituency_id FROM groups_group_constituencies cm
            WHERE cm.group_id = {m}.group_id
        )
    )"""
    branches = {"seat": seat, "near": near, "e_area": e_area, "m_area": m_area}
    where = f"({' OR '.join(branches.values())})" if area == "any" else branches[area]
    return f"""
        {e}.id <> {m}.id
        AND {m}.status = 'scheduled' AND {e}.status = 'scheduled'
        AND {e}.group_id <> {m}.group_id
        AND {e}.span && tstzrange({m}.starts_at - %(margin)s, {m}.ends_at + %(margin)s, '[)')
        AND {where}
        AND EXISTS (
            SELECT 1 FROM events_clashrule r
            WHERE r.is_active AND (
                ({gm}.kind = ANY(r.side_a_kinds)
                 AND (r.party_id IS NULL OR {gm}.party_id = r.party_id)
                 AND {ge}.kind = ANY(r.side_b_kinds))
                OR ({ge}.kind = ANY(r.side_a_kinds)
                 AND (r.party_id IS NULL OR {ge}.party_id = r.party_id)
                 AND {gm}.kind = ANY(r.side_b_kinds))
            )
        )
    """


def sql_params(margin: timedelta | None = None, radius_km: float | None = None) -> dict:
    margin = settings.CLASH_TRAVEL_MARGIN if margin is None else margin
    radius_km = settings.CLASH_RADIUS_KM if radius_km is None else radius_km
    angle = radius_km / EARTH_RADIUS_KM
    return {
        "margin": margin,
        "radius": float(radius_km),
        "rad": RAD,
        "two_r": 2 * EARTH_RADIUS_KM,
        "dlat": math.degrees(angle) + BBOX_EPSILON_DEG,
        "sin_r": math.sin(min(angle, math.pi / 2)),
        "eps": BBOX_EPSILON_DEG,
    }


def _candidates_sql(where: str) -> str:
    """Pairs (a_id < b_id) of `m` rows chosen by `where` with every event they clash with: each
    area branch (`AREA_BRANCHES`) probing its own index, merged (a pair may be in several)."""

    def branch(area: str) -> str:
        return f"""
            SELECT least(m.id, e.id) AS a_id,
                greatest(m.id, e.id) AS b_id,
                CASE WHEN m.latitude IS NOT NULL AND e.latitude IS NOT NULL
                     THEN {_haversine_sql("m", "e")}
                END AS distance_km,
                coalesce(m.constituency_id = e.constituency_id, false) AS same_constituency
            FROM events_event m, groups_group gm, events_event e, groups_group ge
            WHERE gm.id = m.group_id AND ge.id = e.group_id AND ({where})
                AND {clash_condition_sql("m", "gm", "e", "ge", area=area)}
        """

    return f"""
        SELECT DISTINCT ON (a_id, b_id) a_id, b_id, distance_km, same_constituency
        FROM ({" UNION ALL ".join(branch(area) for area in AREA_BRANCHES)}) branches
    """


def _record_sql(candidates: str, resolve_scope: str) -> str:
    """One statement: insert new pairs, re-open auto-resolved ones, resolve stale ones."""
    return f"""
        WITH cand AS MATERIALIZED ({candidates}),
        inserted AS (
            INSERT INTO events_clash
                (event_a_id, event_b_id, status, distance_km, same_constituency,
                 detected_at, updated_at)
            SELECT a_id, b_id, 'open', distance_km, same_constituency, now(), now() FROM cand
            ORDER BY a_id, b_id  -- one lock order for concurrent runs: fewer deadlocks
            ON CONFLICT (event_a_id, event_b_id) DO NOTHING
            RETURNING id
        ),
        reopened AS (
            UPDATE events_clash c SET status = 'open', updated_at = now()
            FROM cand WHERE c.event_a_id = cand.a_id AND c.event_b_id = cand.b_id
                AND c.status = 'resolved'
            RETURNING c.id
        ),
        resolved AS (
            UPDATE events_clash c SET status = 'resolved', updated_at = now()
            WHERE c.status IN ('open', 'acknowledged') AND ({resolve_scope})
                AND NOT EXISTS (
                    SELECT 1 FROM cand WHERE cand.a_id = c.event_a_id AND cand.b_id = c.event_b_id
                )
            RETURNING c.id
        )
        SELECT 'new', id FROM inserted
        UNION ALL SELECT 'reopened', id FROM reopened
        UNION ALL SELECT 'resolved', id FROM resolved
    """


@dataclass
class DetectionResult:
    new: list[int] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)


def _record(sql: str, params: dict) -> DetectionResult:
    result = DetectionResult()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        for what, clash_id in cursor.fetchall():
            getattr(result, what).append(clash_id)
    return result


def event_clashes_record(*, event_id: int) -> DetectionResult:
    """Find, record and resolve the clashes of one event (after create/edit/move/cancel)."""
    params = {**sql_params(), "event_id": event_id}
    sql = _record_sql(
        _candidates_sql("m.id = %(event_id)s"),
        "c.event_a_id = %(event_id)s OR c.event_b_id = %(event_id)s",
    )
    return _record(sql, params)


def events_clashes_record(*, event_ids: list[int]) -> DetectionResult:
    """The incremental check for many events at once (a calendar import): one statement."""
    params = {**sql_params(), "event_ids": list(event_ids)}
    sql = _record_sql(
        _candidates_sql("m.id = ANY(%(event_ids)s)"),
        "c.event_a_id = ANY(%(event_ids)s) OR c.event_b_id = ANY(%(event_ids)s)",
    )
    return _record(sql, params)


def clashes_sweep_record(
    *, start: datetime | None = None, end: datetime | None = None, weeks: int | None = None
) -> DetectionResult:
    """Re-check every event overlapping [start, end) (default: now to the coming weeks) in one
    set-based self-join; pairs with at least one event in the window are found."""
    start = start or timezone.now()
    end = end or start + timedelta(weeks=weeks or settings.CLASH_SWEEP_WEEKS)
    params = {**sql_params(), "w_start": start, "w_end": end}
    in_window = "span && tstzrange(%(w_start)s, %(w_end)s, '[)')"
    sql = _record_sql(
        _candidates_sql(f"m.{in_window}"),
        f"""EXISTS (SELECT 1 FROM events_event w WHERE w.id IN (c.event_a_id, c.event_b_id)
                AND w.{in_window})""",
    )
    return _record(sql, params)


def clash_pairs_in_window(*, start: datetime, end: datetime) -> set[tuple[int, int]]:
    """The clashing pairs with an event in [start, end), found by the sweep's self-join, without
    writing anything (tests and the benchmark compare it with the brute-force reference)."""
    params = {**sql_params(), "w_start": start, "w_end": end}
    sql = _candidates_sql("m.span && tstzrange(%(w_start)s, %(w_end)s, '[)')")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT a_id, b_id FROM ({sql}) pairs", params)
        return {(a, b) for a, b in cursor.fetchall()}


def event_clash_candidates(*, event_id: int) -> set[tuple[int, int]]:
    """The pairs one event is in, by the incremental check's query (read only)."""
    params = {**sql_params(), "event_id": event_id}
    sql = _candidates_sql("m.id = %(event_id)s")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT a_id, b_id FROM ({sql}) pairs", params)
        return {(a, b) for a, b in cursor.fetchall()}
