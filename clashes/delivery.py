"""Clash emails: the outbox (one row per clash and recipient), and one loop that claims due
rows, sends and marks them, for immediate emails and the daily digest alike.

Delivery is exactly-once for every failure except one documented window (see
`clash_notifications_deliver`).
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from alliance.links import absolute_url
from alliance.mail import header_safe
from alliance.retry import backoff_seconds, through_lost_connection
from alliance.tasks import enqueue_after_commit
from clashes.models import Clash, ClashNotification, NotificationMode, NotificationStatus
from clashes.presentation import clash_context
from clashes.tasks import clash_notifications_deliver_task
from outbox.emails import email_message_build, mail_domain

logger = logging.getLogger(__name__)

# Kept from when clashes lived in the events app: links in emails already sent carry it.
UNSUBSCRIBE_SALT = "events.clash-notifications"
MAX_ATTEMPTS = 6
SEND_ERRORS = (smtplib.SMTPException, OSError)


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
        enqueue_after_commit(clash_notifications_deliver_task)
    return written


# --- Building the emails ------------------------------------------------------------------


def notification_message_id(notification_id: int) -> str:
    """Stable per outbox row: a re-send after a crash carries the same Message-ID."""
    return f"<clash-notification-{notification_id}@{mail_domain()}>"


def unsubscribe_token(user_id: int) -> str:
    return signing.dumps({"u": user_id}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_user_id(token: str) -> int | None:
    """The user id in a signed token, or None if it was tampered with."""
    try:
        return int(signing.loads(token, salt=UNSUBSCRIBE_SALT)["u"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def unsubscribe_url(user_id: int) -> str:
    return absolute_url(
        reverse("clashes:unsubscribe", kwargs={"token": unsubscribe_token(user_id)})
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
        "clash_url": absolute_url(clash.get_absolute_url()),
    }
    return email_message_build(
        to=recipient.email,
        subject=(
            f"Clash: {context['event_a'].title} and {context['event_b'].title} on "
            f"{timezone.localtime(clash.event_b.starts_at):%a %-d %b}"
        ),
        template="clashes/email/clash_notification",
        context=context,
        unsubscribe_url=unsubscribe_url(recipient.pk),
        headers={
            "Message-ID": notification_message_id(notification.pk),
            "X-Alliance-Clash": str(clash.pk),
        },
    )


def clash_digest_build(recipient, notifications: list[ClashNotification]) -> EmailMultiAlternatives:
    """One email listing the clashes of `notifications` (all for `recipient`); the Message-ID
    names the rows it covers."""
    ids = [n.pk for n in notifications]
    items = [n.clash for n in notifications]
    context = {
        "recipient": recipient,
        "clashes": [
            {
                "clash": c,
                "url": absolute_url(c.get_absolute_url()),
                **clash_context(c, viewer=recipient),
            }
            for c in items
        ],
    }
    return email_message_build(
        to=recipient.email,
        subject=f"{len(items)} new event clash{'es' if len(items) > 1 else ''}",
        template="clashes/email/clash_digest",
        context=context,
        unsubscribe_url=unsubscribe_url(recipient.pk),
        headers={"Message-ID": f"<clash-digest-{ids[0]}-{ids[-1]}@{mail_domain()}>"},
    )


# --- Claim, send, mark --------------------------------------------------------------------


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
    return through_lost_connection(
        lambda: ClashNotification.objects.filter(
            pk__in=ids, claim_token=token, status=NotificationStatus.SENDING
        ).update(
            status=NotificationStatus.SENT,
            sent_at=timezone.now(),
            claim_token=None,
            via_digest=via_digest,
            last_error="",
        ),
        retry_seconds=retry_seconds,
    )


def _mark_retry(ids: list[int], token: uuid.UUID, error: Exception) -> float | None:
    """Give the rows back for a later attempt with exponential backoff, or fail them."""
    retry_in = None
    now = timezone.now()
    for notification in ClashNotification.objects.filter(pk__in=ids, claim_token=token):
        if notification.attempts >= MAX_ATTEMPTS:
            notification.status = NotificationStatus.FAILED
            notification.next_attempt_at = None
        else:
            delay = backoff_seconds(
                notification.attempts, base=settings.CLASH_OUTBOX_RETRY_BASE_SECONDS
            )
            retry_in = delay if retry_in is None else min(retry_in, delay)
            notification.status = NotificationStatus.PENDING
            notification.next_attempt_at = now + timedelta(seconds=delay)
        notification.claim_token = None
        notification.last_error = header_safe(repr(error), 500)
        notification.save(update_fields=["status", "next_attempt_at", "claim_token", "last_error"])
    return retry_in


def _send_claimed(
    *,
    mode: str,
    batch_size: int,
    messages: Callable[[list[ClashNotification]], Iterator[tuple[list[int], Callable]]],
) -> DeliveryReport:
    """The one delivery loop: claim due rows of `mode` recipients (committed before anything
    is sent), build each email (`messages` yields the row ids it covers and a builder), send
    it, and mark its rows sent, or give them back for a retry with backoff."""
    report = DeliveryReport()
    token = uuid.uuid4()
    claimed = _claim(mode=mode, limit=batch_size, token=token)
    if not claimed:
        return report
    notifications = ClashNotification.objects.select_related("recipient").in_bulk(
        [notification_id for notification_id, _ in claimed]
    )
    clashes = _clash_queryset().in_bulk({n.clash_id for n in notifications.values()})
    for notification in notifications.values():
        notification.clash = clashes[notification.clash_id]
    ordered = [notifications[notification_id] for notification_id, _ in claimed]
    mail = get_connection(fail_silently=False)
    for ids, build in messages(ordered):
        try:
            message = build()
            message.connection = mail
            message.send()
        except SEND_ERRORS as error:
            logger.warning("Clash email for rows %s not sent: %r", ids, error)
            retry_in = _mark_retry(ids, token, error)
            report.failed.extend(ids)
            if retry_in is not None:
                report.retry_in = min(report.retry_in or retry_in, retry_in)
            continue
        if _mark_sent(ids, token, via_digest=mode == NotificationMode.DIGEST):
            report.sent.extend(ids)
    mail.close()
    return report


def _one_email_per_row(notifications):
    for notification in notifications:
        yield [notification.pk], lambda n=notification: clash_email_build(n)


def _one_email_per_recipient(notifications):
    by_recipient: dict[int, list[ClashNotification]] = {}
    for notification in notifications:
        by_recipient.setdefault(notification.recipient_id, []).append(notification)
    for rows in by_recipient.values():
        yield [n.pk for n in rows], lambda rows=rows: clash_digest_build(rows[0].recipient, rows)


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
    skipped = _skip_unsubscribed()
    report = _send_claimed(
        mode=NotificationMode.IMMEDIATE, batch_size=batch_size, messages=_one_email_per_row
    )
    report.skipped = skipped
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
    and marked exactly as immediate delivery (the same loop)."""
    return _send_claimed(
        mode=NotificationMode.DIGEST, batch_size=batch_size, messages=_one_email_per_recipient
    )
