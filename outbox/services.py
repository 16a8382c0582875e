"""Building and delivering emails through the outbox.

`email_enqueue` renders an email and writes it as a row in the caller's transaction; after the
commit a task delivers it. `outbox_deliver` is the one sender (see README.md for what exactly
once means here):

1. Claim: due rows (pending and due, or 'sending' with a claim older than the reclaim delay)
   become 'sending' with a fresh claim token, FOR UPDATE SKIP LOCKED, committed before anything
   is sent. Two deliveries at once (a task delivered twice, beat plus on-commit) never claim
   the same row.
2. Send with `Message-ID` derived from the key: a re-send after a crash carries the same id.
3. Mark 'sent' in its own short transaction, only by the claim-token holder; this survives a
   lost database connection (retried for a minute) because the message is already out.
"""

from __future__ import annotations

import hashlib
import json
import logging
import smtplib
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import InterfaceError, OperationalError, connection, transaction
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone

from alliance.links import absolute_url
from alliance.mail import header_safe
from outbox.models import OutboxEmail, OutboxStatus
from outbox.tasks import outbox_deliver_task

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
SEND_ERRORS = (smtplib.SMTPException, OSError)
# How long one delivery run keeps claiming batches before it hands over to a fresh task.
RUN_BUDGET_SECONDS = 120


def _reclaim_seconds() -> int:
    """A claim older than this belongs to a dead sender. Longer than Celery's hard time limit,
    so a slow but live sender is always gone before its rows can be claimed again."""
    return getattr(settings, "OUTBOX_RECLAIM_SECONDS", 360)


def _retry_base_seconds() -> int:
    return getattr(settings, "OUTBOX_RETRY_BASE_SECONDS", 30)


def site_name() -> str:
    return getattr(settings, "SITE_NAME", "Alliance")


def email_absolute_url(path: str) -> str:
    """An absolute link for an email, from settings.SITE_URL ("/x/" → "https://site/x/")."""
    if path.startswith(("http://", "https://")):
        return path
    return absolute_url("/" + path.lstrip("/"))


def email_subject(subject: str) -> str:
    """The one subject policy: one line, capped, prefixed with the site name exactly once."""
    prefix = f"[{site_name()}]"
    text = header_safe(subject, 150)
    if text.startswith(prefix):
        return text
    return f"{prefix} {text}"


def mail_domain() -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "alliance.localhost"


def email_message_id(key: str) -> str:
    """Stable per key: every attempt to send one outbox row carries the same Message-ID."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<outbox-{digest}@{mail_domain()}>"


def _unsubscribe_headers(url: str) -> dict[str, str]:
    clean = header_safe(url, 2000)
    if clean != url or not url.startswith(("https://", "http://")) or ">" in url:
        raise ValueError("The unsubscribe link must be one absolute URL.")
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _with_footer(body: str, footer: str, *, html: bool) -> str:
    if html and "</body>" in body:
        head, _, tail = body.rpartition("</body>")
        return f"{head}{footer}</body>{tail}"
    return f"{body.rstrip()}\n\n{footer}" if not html else f"{body}{footer}"


def _render_text(name: str, context: dict) -> str:
    """A plain-text body: rendered WITHOUT autoescaping (a text email shows "&", not
    "&amp;"), so no .txt template needs its own `autoescape off`."""
    return get_template(name).template.render(Context(context, autoescape=False))


def email_render(*, template: str, context: dict, unsubscribe_url: str | None) -> tuple[str, str]:
    """(text, html) of `templates/<template>.txt` and `.html`; the HTML is autoescaped by the
    Django template engine. The footer templates add the site's name and address to both, and
    the unsubscribe link when there is one, so no email can forget them."""
    context = {
        **context,
        "site_name": site_name(),
        "site_url": settings.SITE_URL,
        "unsubscribe_url": unsubscribe_url,
    }
    text = _render_text(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", context)
    # Every email says where it comes from; the footer adds the unsubscribe link where one applies.
    text = _with_footer(text, _render_text("outbox/footer.txt", context), html=False)
    html = _with_footer(html, render_to_string("outbox/footer.html", context), html=True)
    return text, html


INSERT_SQL = """
    INSERT INTO outbox_outboxemail
        (key, to_email, subject, body_text, body_html, headers, status, attempts,
         created_at, next_attempt_at, last_error)
    VALUES (%(key)s, %(to)s, %(subject)s, %(text)s, %(html)s, %(headers)s::jsonb,
            %(status)s, 0, now(), now(), '')
    ON CONFLICT (key) DO NOTHING
    RETURNING id
"""


def _email_row(
    *,
    key: str,
    to: str,
    subject: str,
    template: str,
    context: dict,
    unsubscribe_url: str | None = None,
) -> dict:
    """A rendered outbox row, checked: what email_enqueue and email_enqueue_many insert."""
    if not key or len(key) > 200:
        raise ValueError("An outbox key is 1 to 200 characters.")
    to = header_safe(to, 254)
    if not to or "@" not in to:
        raise ValueError("An outbox email needs a recipient address.")
    headers: dict[str, str] = {}
    if unsubscribe_url:
        unsubscribe_url = email_absolute_url(unsubscribe_url)
        headers.update(_unsubscribe_headers(unsubscribe_url))
    text, html = email_render(template=template, context=context, unsubscribe_url=unsubscribe_url)
    return {
        "key": key,
        "to": to,
        "subject": email_subject(subject),
        "text": text,
        "html": html,
        "headers": headers,
    }


def _require_transaction() -> None:
    if not connection.in_atomic_block:
        raise RuntimeError("Emails are enqueued inside the caller's transaction.")


def email_enqueue(
    *,
    key: str,
    to: str,
    subject: str,
    template: str,
    context: dict,
    unsubscribe_url: str | None = None,
) -> OutboxEmail | None:
    """Write one email to the outbox in the caller's transaction; deliver it after commit.

    Idempotent on `key`: if an email with this key was ever enqueued, nothing happens and None
    is returned (INSERT ... ON CONFLICT DO NOTHING, so two concurrent callers cannot both win).
    """
    _require_transaction()
    row = _email_row(
        key=key,
        to=to,
        subject=subject,
        template=template,
        context=context,
        unsubscribe_url=unsubscribe_url,
    )
    with connection.cursor() as cursor:
        cursor.execute(INSERT_SQL, {**row, "headers": json.dumps(row["headers"]),
                                    "status": OutboxStatus.PENDING.value})  # fmt: skip
        inserted = cursor.fetchone()
    if inserted is None:
        return None
    outbox_deliver_queue()
    return OutboxEmail(
        pk=inserted[0],
        key=key,
        to_email=row["to"],
        subject=row["subject"],
        body_text=row["text"],
        body_html=row["html"],
        headers=row["headers"],
        status=OutboxStatus.PENDING,
    )


INSERT_MANY_SQL = """
    INSERT INTO outbox_outboxemail
        (key, to_email, subject, body_text, body_html, headers, status, attempts,
         created_at, next_attempt_at, last_error)
    SELECT k, t, s, bt, bh, h::jsonb, %(status)s, 0, now(), now(), ''
    FROM unnest(%(keys)s::text[], %(tos)s::text[], %(subjects)s::text[], %(texts)s::text[],
                %(htmls)s::text[], %(headers)s::text[]) AS x(k, t, s, bt, bh, h)
    ON CONFLICT (key) DO NOTHING
    RETURNING key
"""


def email_enqueue_many(*, emails: list[dict]) -> list[str]:
    """`email_enqueue` for many emails in one statement (digests): each dict holds
    email_enqueue's arguments. Idempotent per key the same way; returns the keys written."""
    _require_transaction()
    rows = [_email_row(**email) for email in emails]
    if not rows:
        return []
    params = {
        "status": OutboxStatus.PENDING.value,
        "keys": [r["key"] for r in rows],
        "tos": [r["to"] for r in rows],
        "subjects": [r["subject"] for r in rows],
        "texts": [r["text"] for r in rows],
        "htmls": [r["html"] for r in rows],
        "headers": [json.dumps(r["headers"]) for r in rows],
    }
    with connection.cursor() as cursor:
        cursor.execute(INSERT_MANY_SQL, params)
        written = [key for (key,) in cursor.fetchall()]
    if written:
        outbox_deliver_queue()
    return written


def outbox_deliver_queue() -> None:
    """Queue one delivery run after the current transaction commits (once per transaction,
    however many emails it enqueued). If the broker is away, beat's run a minute later sends."""
    pending = connection.run_on_commit if connection.in_atomic_block else []
    if any(func is _deliver_after_commit for _, func, _ in pending):
        return
    transaction.on_commit(_deliver_after_commit, robust=True)


def _deliver_after_commit() -> None:
    outbox_deliver_task.delay()


# --- Delivery -----------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    retry_in: float | None = None
    more: bool = False


CLAIM_SQL = """
    WITH due AS (
        SELECT d.id FROM outbox_outboxemail d
        WHERE d.status = %(pending)s AND d.next_attempt_at <= now()
        ORDER BY d.next_attempt_at, d.id
        LIMIT %(limit)s
        FOR UPDATE SKIP LOCKED
    ), stale AS (
        SELECT s.id FROM outbox_outboxemail s
        WHERE s.status = %(sending)s
          AND s.claimed_at < now() - %(reclaim)s * interval '1 second'
        ORDER BY s.claimed_at
        LIMIT %(limit)s
        FOR UPDATE SKIP LOCKED
    )
    UPDATE outbox_outboxemail o
    SET status = %(sending)s, claim_token = %(token)s, claimed_at = now(),
        attempts = o.attempts + 1
    WHERE o.id IN (SELECT id FROM due UNION ALL SELECT id FROM stale)
    RETURNING o.id
"""


def _claim(*, limit: int, token: uuid.UUID) -> list[int]:
    """Claim up to 2 × `limit` rows (due ones and stale claims) and commit at once."""
    params = {
        "token": token,
        "limit": limit,
        "reclaim": _reclaim_seconds(),
        "pending": OutboxStatus.PENDING.value,
        "sending": OutboxStatus.SENDING.value,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(CLAIM_SQL, params)
        return sorted(row[0] for row in cursor.fetchall())


def _mark_sent(email_id: int, token: uuid.UUID, *, retry_seconds: float = 60) -> int:
    """The message is out: record it, surviving a database restart (reconnect and retry for up
    to a minute rather than leave the row to be reclaimed and sent again)."""
    deadline = time.monotonic() + retry_seconds
    delay = 0.5
    while True:
        try:
            with transaction.atomic():
                return OutboxEmail.objects.filter(
                    pk=email_id, claim_token=token, status=OutboxStatus.SENDING
                ).update(
                    status=OutboxStatus.SENT,
                    sent_at=timezone.now(),
                    claim_token=None,
                    last_error="",
                )
        except (OperationalError, InterfaceError):
            if time.monotonic() > deadline:
                raise
            connection.close()
            time.sleep(delay)
            delay = min(delay * 2, 5)


def _backoff_seconds(attempts: int) -> float:
    return min(_retry_base_seconds() * 2 ** max(0, attempts - 1), 3600)


def _mark_retry(email: OutboxEmail, token: uuid.UUID, error: Exception) -> float | None:
    """Give the row back for a later attempt with exponential backoff, or fail it for good."""
    retry_in = None
    values = {"claim_token": None, "last_error": header_safe(repr(error), 500)}
    if email.attempts >= MAX_ATTEMPTS:
        values["status"] = OutboxStatus.FAILED
    else:
        retry_in = _backoff_seconds(email.attempts)
        values["status"] = OutboxStatus.PENDING
        values["next_attempt_at"] = timezone.now() + timedelta(seconds=retry_in)
    with transaction.atomic():
        OutboxEmail.objects.filter(pk=email.pk, claim_token=token).update(**values)
    return retry_in


def outbox_message(email: OutboxEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=header_safe(email.subject, 255),
        body=email.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to_email],
        headers={
            **{name: header_safe(value, 2000) for name, value in email.headers.items()},
            "Message-ID": email_message_id(email.key),
        },
    )
    message.attach_alternative(email.body_html, "text/html")
    return message


def _send_batch(ids: list[int], token: uuid.UUID, report: DeliveryReport) -> None:
    emails = OutboxEmail.objects.in_bulk(ids)
    mail = get_connection(fail_silently=False)
    try:
        for email_id in ids:
            email = emails[email_id]
            try:
                # Opened by us, the connection stays open for the whole batch (a backend that
                # opens its own connection closes it after every message: a TCP and EHLO each).
                if getattr(mail, "connection", True) is None:
                    mail.open()
                message = outbox_message(email)
                message.connection = mail
                message.send()
            except SEND_ERRORS as error:
                logger.warning("Outbox email %s (%s) not sent: %r", email.pk, email.key, error)
                retry_in = _mark_retry(email, token, error)
                report.failed.append(email_id)
                if retry_in is not None:
                    report.retry_in = min(report.retry_in or retry_in, retry_in)
                mail.close()  # the connection may be broken: the next send opens a new one
                continue
            if _mark_sent(email_id, token):
                report.sent.append(email_id)
    finally:
        mail.close()


def outbox_deliver(*, batch_size: int = 50) -> DeliveryReport:
    """Send every due row, batch by batch, for up to RUN_BUDGET_SECONDS; `report.more` says
    rows were left for the next run."""
    report = DeliveryReport()
    started = time.monotonic()
    while True:
        token = uuid.uuid4()
        ids = _claim(limit=batch_size, token=token)
        if not ids:
            return report
        _send_batch(ids, token, report)
        if time.monotonic() - started > RUN_BUDGET_SECONDS:
            report.more = OutboxEmail.objects.due().exists()
            return report


def outbox_emails_erase(*, addresses: list[str]) -> int:
    """Forget every email to these addresses (account deletion)."""
    deleted, _ = OutboxEmail.objects.to_addresses(addresses).delete()
    return deleted


__all__ = [
    "DeliveryReport",
    "email_absolute_url",
    "email_enqueue",
    "email_enqueue_many",
    "email_message_id",
    "email_subject",
    "outbox_deliver",
    "outbox_deliver_queue",
]
