"""Clash detection services (issue 5): SQL over the indexed span, the outbox, delivery,
suggestions, the digest and the organisers' actions on a clash.

Detection is set-based SQL, never a Python loop over events:

- `event_clashes_check(event_id=...)`: one statement finds the candidates of one event with the
  range overlap `e.span && tstzrange(start - margin, end + margin)` in two index probes, one per
  area branch: GiST (constituency_id, span) for the same constituency, GiST (point, span) with a
  bounding box for the radius (then the exact haversine distance); then the rules;
  it inserts new pairs with ON CONFLICT DO NOTHING, re-opens auto-resolved pairs that clash
  again and resolves this event's pairs that no longer clash. The outbox rows of new clashes are
  written in the same transaction.
- `clashes_sweep(...)`: the same statement as one self-join over every event in a window.

The predicate is written once (`_clash_condition`) and mirrors `events.clashes.events_clash`.

Delivery is exactly-once for every failure except one documented window (see
`clash_notifications_deliver`).
"""

from __future__ import annotations

import logging
import math
import smtplib
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from alliance.mail import header_safe
from events.clash_models import (
    Clash,
    ClashNotification,
    ClashStatus,
    NotificationMode,
    NotificationPreference,
    NotificationStatus,
)
from events.clashes import EARTH_RADIUS_KM, candidate_slots, overlap_minutes
from events.models import Event, EventStatus

logger = logging.getLogger(__name__)

RAD = math.pi / 180  # both SQL and events.clashes multiply by this very double
BBOX_EPSILON_DEG = 1e-6  # widens the prefilter box by ~0.1 m so rounding never loses a pair
UNSUBSCRIBE_SALT = "events.clash-notifications"
MAX_ATTEMPTS = 6


# --- The predicate, once ------------------------------------------------------------------


def _haversine_sql(a: str, b: str) -> str:
    return (
        f"%(two_r)s * asin(least(1.0::float8, sqrt("
        f"power(sin(({b}.latitude - {a}.latitude) * %(rad)s / 2), 2)"
        f" + cos({a}.latitude * %(rad)s) * cos({b}.latitude * %(rad)s)"
        f" * power(sin(({b}.longitude - {a}.longitude) * %(rad)s / 2), 2))))"
    )


def _clash_condition(m: str, gm: str, e: str, ge: str, *, area: str = "any") -> str:
    """SQL: event alias `e` (group `ge`) clashes with `m` (group `gm`). `m` may be a real event
    row or a hypothetical one (suggestions). `area` picks the branch: "seat" (same
    constituency), "near" (both points within the radius) or "any" (either). Each branch has a
    GiST index of its own (migration 0005): (constituency_id, span) and (point, span), so a
    probe only reads events that are both at that time and in that place."""
    dlon = f"(degrees(asin(least(1.0::float8, %(sin_r)s / cos({m}.latitude * %(rad)s)))) + %(eps)s)"
    seat = f"{e}.constituency_id = {m}.constituency_id"
    near = f"""(
        {m}.latitude IS NOT NULL AND {e}.latitude IS NOT NULL
        AND point({e}.longitude, {e}.latitude) <@ box(
            point({m}.longitude - {dlon}, {m}.latitude - %(dlat)s),
            point({m}.longitude + {dlon}, {m}.latitude + %(dlat)s))
        AND {_haversine_sql(m, e)} <= %(radius)s
    )"""
    where = {"seat": seat, "near": near, "any": f"({seat} OR {near})"}[area]
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


def _params(margin: timedelta | None = None, radius_km: float | None = None) -> dict:
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
    """Pairs (a_id < b_id) of `m` rows chosen by `where` with every event they clash with: the
    same-constituency branch and the within-radius branch, each probing its own index, merged
    (a pair may be in both)."""

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
                AND {_clash_condition("m", "gm", "e", "ge", area=area)}
        """

    return f"""
        SELECT DISTINCT ON (a_id, b_id) a_id, b_id, distance_km, same_constituency
        FROM ({branch("seat")} UNION ALL {branch("near")}) both_branches
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
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for what, clash_id in cursor.fetchall():
                getattr(result, what).append(clash_id)
        if result.new:
            notifications_outbox_write(clash_ids=result.new)
    return result


def event_clashes_check(*, event_id: int) -> DetectionResult:
    """Find, record and resolve the clashes of one event (after create/edit/move/cancel)."""
    params = {**_params(), "event_id": event_id}
    sql = _record_sql(
        _candidates_sql("m.id = %(event_id)s"),
        "c.event_a_id = %(event_id)s OR c.event_b_id = %(event_id)s",
    )
    return _record(sql, params)


def events_clashes_check(*, event_ids: list[int]) -> DetectionResult:
    """The incremental check for many events at once (a calendar import): one statement."""
    params = {**_params(), "event_ids": list(event_ids)}
    sql = _record_sql(
        _candidates_sql("m.id = ANY(%(event_ids)s)"),
        "c.event_a_id = ANY(%(event_ids)s) OR c.event_b_id = ANY(%(event_ids)s)",
    )
    return _record(sql, params)


def clashes_sweep(
    *, start: datetime | None = None, end: datetime | None = None, weeks: int | None = None
) -> DetectionResult:
    """Re-check every event overlapping [start, end) (default: now to the coming weeks) in one
    set-based self-join; pairs with at least one event in the window are found."""
    start = start or timezone.now()
    end = end or start + timedelta(weeks=weeks or settings.CLASH_SWEEP_WEEKS)
    params = {**_params(), "w_start": start, "w_end": end}
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
    params = {**_params(), "w_start": start, "w_end": end}
    sql = _candidates_sql("m.span && tstzrange(%(w_start)s, %(w_end)s, '[)')")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT a_id, b_id FROM ({sql}) pairs", params)
        return {(a, b) for a, b in cursor.fetchall()}


def event_clash_candidates(*, event_id: int) -> set[tuple[int, int]]:
    """The pairs one event is in, by the incremental check's query (read only)."""
    params = {**_params(), "event_id": event_id}
    sql = _candidates_sql("m.id = %(event_id)s")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT a_id, b_id FROM ({sql}) pairs", params)
        return {(a, b) for a, b in cursor.fetchall()}


# --- The outbox ---------------------------------------------------------------------------

OUTBOX_SQL = """
    INSERT INTO events_clashnotification
        (clash_id, recipient_id, status, created_at, attempts, via_digest, last_error)
    SELECT DISTINCT c.id, r.user_id, 'pending', now(), 0, false, ''
    FROM events_clash c
    JOIN events_event ea ON ea.id = c.event_a_id
    JOIN events_event eb ON eb.id = c.event_b_id
    JOIN groups_group ga ON ga.id = ea.group_id
    JOIN groups_group gb ON gb.id = eb.group_id
    LEFT JOIN seats_constituency ca ON ca.id = ea.constituency_id
    LEFT JOIN seats_constituency cb ON cb.id = eb.constituency_id
    JOIN LATERAL (
        SELECT m.user_id FROM groups_membership m
        WHERE m.role = 'organiser' AND (
            m.group_id IN (ea.group_id, eb.group_id)
            OR m.group_id IN (
                SELECT co.group_id FROM events_event_co_organisers co
                WHERE co.event_id IN (ea.id, eb.id)
            )
        )
        UNION
        SELECT ps.user_id FROM groups_partystaff ps
        WHERE ps.notify_clashes AND ps.party_id IN (ga.party_id, gb.party_id)
            AND (ps.region = '' OR ps.region IN (
                coalesce(ca.region, ga.region), coalesce(cb.region, gb.region)))
    ) r ON true
    JOIN accounts_user u ON u.id = r.user_id AND u.is_active
    WHERE c.id = ANY(%(ids)s)
    ON CONFLICT (clash_id, recipient_id) DO NOTHING
    RETURNING id
"""


def notifications_outbox_write(*, clash_ids: list[int]) -> int:
    """Outbox rows for new clashes: organisers of both groups (and co-organising groups), and
    opted-in party staff of the parties involved whose region matches (or is blank). Runs in
    the caller's transaction; delivery is queued once that commits."""
    with connection.cursor() as cursor:
        cursor.execute(OUTBOX_SQL, {"ids": list(clash_ids)})
        written = cursor.rowcount
    if written:
        transaction.on_commit(_deliver_queue)
    return written


def _deliver_queue() -> None:
    from events.clash_tasks import clash_notifications_deliver_task

    clash_notifications_deliver_task.delay()


# --- Suggestions --------------------------------------------------------------------------


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
            WHERE {_clash_condition("m", "gm", "e", "ge", area="seat")}
        ) AND NOT EXISTS (
            SELECT 1 FROM events_event e JOIN groups_group ge ON ge.id = e.group_id
            WHERE {_clash_condition("m", "gm", "e", "ge", area="near")}
        )
        ORDER BY m.i LIMIT %(limit)s
    """
    params = {
        **_params(),
        "event_id": event.pk,
        "starts": [s for s, _ in slots],
        "ends": [e for _, e in slots],
        "limit": limit,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        free = [row[0] for row in cursor.fetchall()]
    return [Slot(*slots[i - 1]) for i in free]


# --- Emails -------------------------------------------------------------------------------


def _mail_domain() -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "alliance.localhost"


def notification_message_id(notification_id: int) -> str:
    """Stable per outbox row: a re-send after a crash carries the same Message-ID."""
    return f"<clash-notification-{notification_id}@{_mail_domain()}>"


def unsubscribe_token(user_id: int) -> str:
    return signing.dumps({"u": user_id}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_user_id(token: str) -> int | None:
    """The user id in a signed token, or None if it was tampered with."""
    try:
        return int(signing.loads(token, salt=UNSUBSCRIBE_SALT)["u"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def clash_context(clash: Clash, *, viewer, now: datetime | None = None) -> dict:
    """What a clash page or email shows `viewer`: an event they may not see is a stand-in
    without title or place (and no free slots are offered for it)."""
    from events.clash_permissions import clash_sides_show

    a, b = clash.event_a, clash.event_b
    clash_sides_show(user=viewer, clashes=[clash])
    moved = max((a, b), key=lambda e: (e.created_at, e.pk))
    moved_shown = clash.shown_a if moved is a else clash.shown_b
    hidden = getattr(moved_shown, "is_hidden", False)
    return {
        "clash": clash,
        "event_a": clash.shown_a,
        "event_b": clash.shown_b,
        "overlap_minutes": overlap_minutes(_info(a), _info(b)),
        "suggestions": [] if hidden else clash_suggestions(clash=clash, now=now),
        "moved_event": moved_shown,
    }


def _info(event: Event):
    from events.clashes import EventInfo

    return EventInfo(
        id=event.pk,
        group_id=event.group_id,
        group_kind="",
        starts_at=event.starts_at,
        ends_at=event.ends_at,
    )


def _clash_queryset():
    return Clash.objects.select_related(
        "event_a__group__party",
        "event_b__group__party",
        "event_a__constituency",
        "event_b__constituency",
    )


def clash_email_build(notification: ClashNotification) -> EmailMultiAlternatives:
    clash = notification.clash
    recipient = notification.recipient
    context = {
        **clash_context(clash, viewer=recipient),
        "recipient": recipient,
        "clash_url": _absolute(clash.get_absolute_url()),
        "unsubscribe_url": _absolute(
            reverse("events:clash_unsubscribe", kwargs={"token": unsubscribe_token(recipient.pk)})
        ),
    }
    subject = header_safe(
        f"Clash: {context['event_a'].title} and {context['event_b'].title} on "
        f"{timezone.localtime(clash.event_b.starts_at):%a %-d %b}",
        150,
    )
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("events/email/clash_notification.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        headers={
            "Message-ID": notification_message_id(notification.pk),
            "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
            "X-Alliance-Clash": str(clash.pk),
        },
    )
    message.attach_alternative(
        render_to_string("events/email/clash_notification.html", context), "text/html"
    )
    return message


@dataclass
class DeliveryReport:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    retry_in: float | None = None
    skipped: int = 0


def _claim(*, mode: str, limit: int, token: uuid.UUID) -> list[tuple[int, int]]:
    """Claim due rows of recipients whose preference is `mode` and commit at once:
    status 'sending' with our token. Rows another worker holds are skipped (SKIP LOCKED); a row
    left 'sending' by a dead worker is due again after CLASH_OUTBOX_RECLAIM_SECONDS."""
    sql = """
        UPDATE events_clashnotification n
        SET status = 'sending', claim_token = %(token)s, claimed_at = now(),
            attempts = n.attempts + 1
        WHERE n.id IN (
            SELECT n2.id FROM events_clashnotification n2
            LEFT JOIN events_notificationpreference p ON p.user_id = n2.recipient_id
            WHERE coalesce(p.clash_emails, 'immediate') = %(mode)s
              AND ((n2.status = 'pending'
                    AND (n2.next_attempt_at IS NULL OR n2.next_attempt_at <= now()))
                   OR (n2.status = 'sending'
                       AND n2.claimed_at < now() - %(reclaim)s * interval '1 second'))
            ORDER BY n2.id
            LIMIT %(limit)s
            FOR UPDATE OF n2 SKIP LOCKED
        )
        RETURNING n.id, n.recipient_id
    """
    params = {
        "token": token,
        "mode": mode,
        "limit": limit,
        "reclaim": settings.CLASH_OUTBOX_RECLAIM_SECONDS,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(cursor.fetchall())


def _mark_sent(
    ids: list[int], token: uuid.UUID, *, via_digest: bool = False, retry_seconds: float = 60
) -> int:
    """Mark claimed rows sent. The messages are already out, so this must survive a database
    restart (found by bench/faults): on a lost connection, reconnect and retry for up to a
    minute rather than fail and leave the row to be reclaimed and sent a second time."""
    deadline = time.monotonic() + retry_seconds
    delay = 0.5
    while True:
        try:
            return ClashNotification.objects.filter(
                pk__in=ids, claim_token=token, status=NotificationStatus.SENDING
            ).update(
                status=NotificationStatus.SENT,
                sent_at=timezone.now(),
                claim_token=None,
                via_digest=via_digest,
                last_error="",
            )
        except (OperationalError, InterfaceError):
            if time.monotonic() > deadline:
                raise
            connection.close()
            time.sleep(delay)
            delay = min(delay * 2, 5)


def _backoff_seconds(attempts: int) -> float:
    return min(settings.CLASH_OUTBOX_RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1), 3600)


def _mark_retry(ids: list[int], token: uuid.UUID, error: Exception) -> float | None:
    """Give the rows back for a later attempt with exponential backoff, or fail them."""
    retry_in = None
    now = timezone.now()
    for notification in ClashNotification.objects.filter(pk__in=ids, claim_token=token):
        if notification.attempts >= MAX_ATTEMPTS:
            notification.status = NotificationStatus.FAILED
            notification.next_attempt_at = None
        else:
            delay = _backoff_seconds(notification.attempts)
            retry_in = delay if retry_in is None else min(retry_in, delay)
            notification.status = NotificationStatus.PENDING
            notification.next_attempt_at = now + timedelta(seconds=delay)
        notification.claim_token = None
        notification.last_error = header_safe(repr(error), 500)
        notification.save(update_fields=["status", "next_attempt_at", "claim_token", "last_error"])
    return retry_in


SEND_ERRORS = (smtplib.SMTPException, OSError)


def clash_notifications_deliver(*, batch_size: int = 50) -> DeliveryReport:
    """Send due outbox rows of 'immediate' recipients; mark recipients who turned emails off.

    Semantics (what the tests check):
    1. A row is claimed (status 'sending', a fresh claim token, claimed_at) and that is
       COMMITTED before anything is sent. Two deliveries running at once (a duplicated Celery
       message, beat plus an on-commit trigger) never claim the same row: FOR UPDATE SKIP LOCKED
       and the status change make the claim exclusive.
    2. The email is sent with `Message-ID: <clash-notification-<row id>@domain>`.
    3. The row is marked 'sent' only by the claim-token holder.
    If the worker dies between 1 and 2 (or SMTP fails) nothing was sent: the row is re-sent
    once it is stale (SMTP errors: straight away given back as 'pending' with backoff). The one
    residual window is between the SMTP server accepting the message and step 3 committing
    (a few milliseconds): after the reclaim delay the message is sent AGAIN with the SAME
    Message-ID, so a receiving system (or a person) can drop the duplicate by it. The reclaim
    delay is longer than Celery's hard task time limit, so a slow but live sender is always
    dead before its row can be reclaimed: no duplicate comes from mere slowness.
    """
    report = DeliveryReport()
    report.skipped = _skip_unsubscribed()
    token = uuid.uuid4()
    claimed = _claim(mode=NotificationMode.IMMEDIATE, limit=batch_size, token=token)
    if not claimed:
        return report
    notifications = ClashNotification.objects.select_related("recipient").in_bulk(
        [notification_id for notification_id, _ in claimed]
    )
    clashes = _clash_queryset().in_bulk({n.clash_id for n in notifications.values()})
    mail = get_connection(fail_silently=False)
    for notification_id, _ in claimed:
        notification = notifications[notification_id]
        notification.clash = clashes[notification.clash_id]
        try:
            message = clash_email_build(notification)
            message.connection = mail
            message.send()
        except SEND_ERRORS as error:
            logger.warning("Clash email %s not sent: %r", notification_id, error)
            retry_in = _mark_retry([notification_id], token, error)
            report.failed.append(notification_id)
            if retry_in is not None:
                report.retry_in = min(report.retry_in or retry_in, retry_in)
            continue
        if _mark_sent([notification_id], token):
            report.sent.append(notification_id)
    mail.close()
    return report


def _skip_unsubscribed() -> int:
    """Rows of people who turned clash emails off: pending ones, and ones a dead worker left
    'sending' (no other claim will ever pick those up)."""
    stale = timezone.now() - timedelta(seconds=settings.CLASH_OUTBOX_RECLAIM_SECONDS)
    return (
        ClashNotification.objects.filter(
            recipient__clash_preference__clash_emails=NotificationMode.OFF
        )
        .filter(
            Q(status=NotificationStatus.PENDING)
            | Q(status=NotificationStatus.SENDING, claimed_at__lt=stale)
        )
        .update(status=NotificationStatus.SKIPPED, claim_token=None)
    )


def clash_digest_send(*, batch_size: int = 500) -> DeliveryReport:
    """One email per 'daily digest' recipient listing their pending clashes. Claimed, sent
    and marked exactly as immediate delivery; the Message-ID names the rows it covers."""
    report = DeliveryReport()
    token = uuid.uuid4()
    claimed = _claim(mode=NotificationMode.DIGEST, limit=batch_size, token=token)
    by_user: dict[int, list[int]] = {}
    for notification_id, recipient_id in claimed:
        by_user.setdefault(recipient_id, []).append(notification_id)
    if not by_user:
        return report
    notifications = ClashNotification.objects.select_related("recipient").in_bulk(
        [notification_id for notification_id, _ in claimed]
    )
    clashes = _clash_queryset().in_bulk({n.clash_id for n in notifications.values()})
    mail = get_connection(fail_silently=False)
    for ids in by_user.values():
        recipient = notifications[ids[0]].recipient
        items = [clashes[notifications[i].clash_id] for i in ids]
        context = {
            "recipient": recipient,
            "clashes": [
                {
                    "clash": c,
                    "url": _absolute(c.get_absolute_url()),
                    **clash_context(c, viewer=recipient),
                }
                for c in items
            ],
            "unsubscribe_url": _absolute(
                reverse(
                    "events:clash_unsubscribe", kwargs={"token": unsubscribe_token(recipient.pk)}
                )
            ),
        }
        message = EmailMultiAlternatives(
            subject=f"Alliance: {len(items)} new event clash{'es' if len(items) > 1 else ''}",
            body=render_to_string("events/email/clash_digest.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[recipient.email],
            headers={
                "Message-ID": f"<clash-digest-{ids[0]}-{ids[-1]}@{_mail_domain()}>",
                "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
            },
            connection=mail,
        )
        message.attach_alternative(
            render_to_string("events/email/clash_digest.html", context), "text/html"
        )
        try:
            message.send()
        except SEND_ERRORS as error:
            retry_in = _mark_retry(ids, token, error)
            report.failed.extend(ids)
            if retry_in is not None:
                report.retry_in = min(report.retry_in or retry_in, retry_in)
            continue
        _mark_sent(ids, token, via_digest=True)
        report.sent.extend(ids)
    mail.close()
    return report


def notification_preference_set(*, user, clash_emails: str) -> NotificationPreference:
    if clash_emails not in NotificationMode.values:
        raise ValidationError({"clash_emails": "Choose one of the options."})
    preference, _ = NotificationPreference.objects.update_or_create(
        user=user, defaults={"clash_emails": clash_emails, "updated_at": timezone.now()}
    )
    return preference


# --- What organisers do with a clash ------------------------------------------------------


def _clash_set_status(*, clash: Clash, user, status: str) -> Clash:
    with transaction.atomic():
        clash = Clash.objects.select_for_update().get(pk=clash.pk)
        if not clash.is_actionable:
            raise ValidationError("This clash is already settled.")
        clash.status = status
        clash.decided_by = user
        clash.updated_at = timezone.now()
        clash.save(update_fields=["status", "decided_by", "updated_at"])
    return clash


def clash_acknowledge(*, clash: Clash, user) -> Clash:
    return _clash_set_status(clash=clash, user=user, status=ClashStatus.ACKNOWLEDGED)


def clash_dismiss(*, clash: Clash, user) -> Clash:
    return _clash_set_status(clash=clash, user=user, status=ClashStatus.DISMISSED)


def clash_merge(*, clash: Clash, user, keep_event_id: int) -> Event:
    """Turn the clash into a joint event: both groups (and their co-organisers) co-organise the
    kept event; the other is cancelled through the events service (attendees are emailed).
    Only for someone who organises both events (`user_may_merge_clash`)."""
    from events import services as event_services
    from events.clash_permissions import user_may_merge_clash

    if keep_event_id not in (clash.event_a_id, clash.event_b_id):
        raise ValidationError({"keep": "Choose one of the two events."})
    with transaction.atomic():
        clash = Clash.objects.select_for_update().get(pk=clash.pk)
        if not clash.is_actionable:
            raise ValidationError("This clash is already settled.")
        drop_id = clash.event_b_id if keep_event_id == clash.event_a_id else clash.event_a_id
        keep = Event.objects.select_for_update().get(pk=keep_event_id)
        drop = Event.objects.select_for_update().get(pk=drop_id)
        if not user_may_merge_clash(user=user, clash=clash):
            raise PermissionDenied(
                "Only someone who organises both events can make them one joint event."
            )
        if keep.status != EventStatus.SCHEDULED or drop.status != EventStatus.SCHEDULED:
            raise ValidationError("Both events must still be scheduled to merge them.")
        if drop.is_imported:
            raise ValidationError(
                {"keep": "The other event is imported from an external calendar: keep that one."}
            )
        partners = {drop.group_id, *drop.co_organisers.values_list("pk", flat=True)}
        partners.discard(keep.group_id)
        keep.co_organisers.add(*partners)
        keep.sequence += 1
        keep.updated_at = timezone.now()
        keep.save(update_fields=["sequence", "updated_at"])
        event_services.event_cancel(event=drop, author=user)
        clash.status = ClashStatus.MERGED
        clash.decided_by = user
        clash.updated_at = timezone.now()
        clash.save(update_fields=["status", "decided_by", "updated_at"])
    return keep
