"""Signing: sign (by email link or one click), confirm, remove, unsubscribe, resend, and the
confirmation and "you had already signed" emails.

Signing and confirming touch only the signature's own row; the shown counts are written only by
`petitions.services.counting.petition_count`.
"""

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from alliance.links import absolute_url
from alliance.ratelimit import rate_limit_exceeded
from alliance.tasks import enqueue_after_commit
from mailinglists.choices import ConsentSource
from mailinglists.services import list_subscribe_on_confirmation
from outbox.emails import email_message_build
from petitions.emails import email_domain, email_is_disposable, email_normalise
from petitions.models import (
    Petition,
    PetitionStatus,
    Signature,
    SignatureStatus,
)
from petitions.tasks import signature_confirmations_send_task, signature_lookup_retry_task
from seats.models import Constituency
from seats.postcodes import InvalidPostcode, postcode_lookup, postcode_normalise

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignOutcome:
    """What one signing attempt did. Only a signed-in verified user is told which it was (it is
    their own address); the public form answers "check your email" whatever happened."""

    signature: Signature
    created: bool  # False: this person's row already existed (and was not removed)
    confirmation_resent: bool = False  # an unconfirmed row got a fresh token and a new email
    already_confirmed: bool = False  # it was confirmed already: nothing changed


def _constituency_for(postcode: str) -> tuple[Constituency | None, bool]:
    """(constituency, lookup_failed). A failure never stops the signature being kept."""
    location = postcode_lookup(postcode)
    if location is None or not location.constituency_code:
        return None, bool(settings.POSTCODES_API_URL)
    constituency = (
        Constituency.objects.current().filter(ons_code=location.constituency_code).first()
    )
    return constituency, constituency is None


def signature_create(
    *,
    petition: Petition,
    name: str,
    email: str,
    postcode: str,
    town: str = "",
    consent_to_contact: bool = False,
    show_publicly: bool = False,
    ip: str | None = None,
    user=None,
    email_verified: bool = False,
    keep_posted: bool = False,
    at_stall: bool = False,
) -> SignOutcome:
    """Sign. Counted only once confirmed: by the emailed link, or at once for a signed-in user
    whose email is verified. A second attempt by the same person creates nothing.

    `keep_posted` ("keep me posted by <group>") records consent to the group's mailing list
    with its time and form (`at_stall`: on a device in stall mode); the list takes the
    address when the signature is confirmed, which proves it (no second email)."""
    if not petition.is_accepting_signatures:
        raise ValidationError("This petition is not open for signatures.")
    if email_is_disposable(email):
        raise ValidationError(
            {"email": "Please use a permanent email address: we need to reach you to confirm."}
        )
    try:
        postcode = postcode_normalise(postcode)
    except InvalidPostcode as error:
        raise ValidationError({"postcode": str(error)})
    constituency, lookup_failed = _constituency_for(postcode)
    now = timezone.now()
    confirmed = bool(user and email_verified)
    signature = Signature(
        petition=petition,
        name=name.strip(),
        email=email.strip(),
        email_normalised=email_normalise(email),
        email_domain=email_domain(email),
        postcode=postcode,
        town=town.strip(),
        constituency=constituency,
        consent_to_contact=consent_to_contact,
        show_publicly=show_publicly,
        user=user if user and user.is_authenticated else None,
        ip=ip or None,
        status=SignatureStatus.CONFIRMED if confirmed else SignatureStatus.PENDING,
        token=secrets.token_urlsafe(32),
        created_at=now,
        confirmed_at=now if confirmed else None,
        changed_at=now,
        list_consent_at=now if keep_posted else None,
        list_consent_source=(
            f"{'stall' if at_stall else 'petition'}:{petition.slug}" if keep_posted else ""
        ),
    )
    # The related objects are in hand: excluding them saves an existence query per signature;
    # uniqueness is the database's job (the insert below), not a racy SELECT first.
    signature.full_clean(
        exclude=["petition", "constituency", "user"],
        validate_unique=False,
        validate_constraints=False,
    )
    try:
        if connection.in_atomic_block:  # a savepoint keeps the caller's transaction usable
            with transaction.atomic():
                signature.save(force_insert=True)
        else:  # autocommit: the INSERT is its own transaction (no BEGIN/COMMIT round trips)
            signature.save(force_insert=True)
    except IntegrityError:
        outcome = _signature_again(signature, lookup=lookup_failed)
    else:
        _after_commit_of_new_signature(signature, send=not confirmed, lookup=lookup_failed)
        outcome = SignOutcome(signature=signature, created=True)
    if confirmed:  # one click: a verified address, nothing to wait for
        _keep_posted_subscribe(signature)
    return outcome


def _keep_posted_subscribe(signature: Signature) -> None:
    """The ticked "keep me posted" joins the petition's group's list: the signature's address
    is proven (confirmed from its email, or a signed-in user's verified address)."""
    list_subscribe_on_confirmation(
        group=signature.petition.group, answer=signature, source=ConsentSource.PETITION
    )


def _after_commit_of_new_signature(signature: Signature, *, send: bool, lookup: bool) -> None:
    if send:
        transaction.on_commit(confirmations_kick)
    if lookup:
        enqueue_after_commit(signature_lookup_retry_task, signature.pk)


KICK_KEY = "petitions:confirmations-kick"


def confirmations_kick() -> None:
    """Wake the confirmation sender. The signature row is the queue (pending, not yet sent), so
    signing never publishes a task per signature: the first signature in a window of
    PETITIONS_CONFIRMATION_KICK_SECONDS schedules one sweep at the end of the window, and the
    ones after it in the window ride along. If Redis is down the signature is still kept and
    the beat sweep sends it."""
    seconds = settings.PETITIONS_CONFIRMATION_KICK_SECONDS
    try:
        if not seconds:
            signature_confirmations_send_task.delay()
        elif cache.add(KICK_KEY, 1, timeout=seconds):
            signature_confirmations_send_task.apply_async(countdown=seconds)
    except Exception as error:  # noqa: BLE001 - the beat sweep is the safety net
        logger.warning("Could not queue the confirmation sender: %s", error)


# What an attempt brings: these replace an unconfirmed or removed row's, never mix with them.
ATTEMPT_FIELDS = (
    "name",
    "email",
    "postcode",
    "town",
    "constituency",
    "consent_to_contact",
    "show_publicly",
    "ip",
    "user",
    "status",
    "confirmed_at",
    "list_consent_at",
    "list_consent_source",
)


def _signature_again(attempt: Signature, *, lookup: bool) -> SignOutcome:
    """The same address signs again.

    - Confirmed (or invalidated): nothing changes; an attempt through the form owes the mailbox one
      "you had already signed" email (rate-limited), so the page need not say it.
    - Unconfirmed or removed: this attempt replaces the earlier one entirely (its details, a
      fresh token), so a link from an earlier email no longer works and a confirmation always
      applies the details of the attempt whose link is used. A signed-in verified user signing
      over someone else's unconfirmed row is confirmed with their own details, never the row's.
    """
    with transaction.atomic():
        existing = Signature.objects.select_for_update().get(
            petition=attempt.petition, email_normalised=attempt.email_normalised
        )
        needs_confirmation = attempt.status == SignatureStatus.PENDING  # not one-click
        if existing.status in (SignatureStatus.CONFIRMED, SignatureStatus.INVALIDATED):
            if (
                needs_confirmation
                and existing.status == SignatureStatus.CONFIRMED
                and _resend_allowed(existing)
            ):
                existing.notice_due_at = timezone.now()
                existing.notice_claimed_at = None
                existing.save(update_fields=["notice_due_at", "notice_claimed_at"])
                transaction.on_commit(confirmations_kick)
            return SignOutcome(signature=existing, created=False, already_confirmed=True)
        was_removed = existing.status == SignatureStatus.REMOVED
        if needs_confirmation and not was_removed and not _resend_allowed(existing):
            # Over the limit: this attempt is dropped whole, so the last email's link still works.
            return SignOutcome(signature=existing, created=False)
        for field in ATTEMPT_FIELDS:
            setattr(existing, field, getattr(attempt, field))
        existing.token = secrets.token_urlsafe(32)
        existing.created_at = existing.changed_at = timezone.now()
        existing.unsubscribed_at = None
        existing.confirmation_sent_at = existing.confirmation_claimed_at = None
        existing.notice_due_at = existing.notice_claimed_at = None
        existing.save()
        _after_commit_of_new_signature(existing, send=needs_confirmation, lookup=lookup)
        return SignOutcome(
            signature=existing,
            created=was_removed,
            confirmation_resent=needs_confirmation and not was_removed,
        )


def _resend_allowed(signature: Signature) -> bool:
    """At most one email per PETITIONS_RESEND_SECONDS for a row someone keeps signing."""
    return not rate_limit_exceeded(
        scope="petition-resend",
        key=str(signature.pk),
        limit=1,
        period_seconds=settings.PETITIONS_RESEND_SECONDS,
    )


@transaction.atomic
def signature_confirm(*, token: str) -> Signature | None:
    """POST only. Idempotent: one UPDATE of the signature's own row, no petition row written.
    A petition that has closed (or was taken down) takes no more confirmations. The click
    that confirms it also subscribes a signer who ticked "keep me posted" (once: a second
    click confirms nothing, so an address that left the list since is not put back)."""
    now = timezone.now()
    confirmed = Signature.objects.filter(
        Q(petition__closes_at__isnull=True) | Q(petition__closes_at__gt=now),
        token=token,
        status=SignatureStatus.PENDING,
        petition__status=PetitionStatus.OPEN,
    ).update(status=SignatureStatus.CONFIRMED, confirmed_at=now, changed_at=now)
    signature = Signature.objects.select_related("petition").filter(token=token).first()
    if confirmed:
        _keep_posted_subscribe(signature)
    return signature


def signature_remove(*, token: str) -> Signature | None:
    now = timezone.now()
    Signature.objects.filter(
        token=token, status__in=[SignatureStatus.PENDING, SignatureStatus.CONFIRMED]
    ).update(status=SignatureStatus.REMOVED, changed_at=now, consent_to_contact=False)
    return Signature.objects.select_related("petition").filter(token=token).first()


def signature_unsubscribe(*, token: str) -> Signature | None:
    Signature.objects.filter(token=token, unsubscribed_at__isnull=True).update(
        unsubscribed_at=timezone.now()
    )
    return Signature.objects.select_related("petition").filter(token=token).first()


def signature_link(name: str, token: str) -> str:
    return absolute_url(reverse(f"petitions:{name}", kwargs={"token": token}))


def _confirmation_message(signature: Signature) -> EmailMultiAlternatives:
    return email_message_build(
        to=signature.email,
        subject=f"Please confirm your signature: {signature.petition.title}",
        template="petitions/email/confirm",
        context={
            "signature": signature,
            "petition": signature.petition,
            "confirm_url": signature_link("confirm", signature.token),
            "remove_url": signature_link("remove", signature.token),
            "expiry_hours": settings.PETITIONS_UNCONFIRMED_EXPIRY_HOURS,
        },
    )


def _already_signed_message(signature: Signature) -> EmailMultiAlternatives:
    return email_message_build(
        to=signature.email,
        subject=f"You had already signed: {signature.petition.title}",
        template="petitions/email/already_signed",
        context={
            "signature": signature,
            "petition": signature.petition,
            "petition_url": absolute_url(signature.petition),
            "remove_url": signature_link("remove", signature.token),
        },
    )


@dataclass(frozen=True)
class _MailQueue:
    """Signature rows owing one email: which rows, the claim column, the message, and how a
    row is marked sent (only if it still owes that same email)."""

    owed: Q
    claimed_field: str
    message: Callable[[Signature], EmailMultiAlternatives]
    still_owed: Callable[[Signature], Q]  # the row has not changed since it was read
    mark_sent: Callable[[], dict]


CONFIRMATIONS = _MailQueue(
    owed=Q(status=SignatureStatus.PENDING, confirmation_sent_at__isnull=True),
    claimed_field="confirmation_claimed_at",
    message=_confirmation_message,
    # A newer attempt gave the row a fresh token while this email was being sent: the new
    # token still needs its own email, so this one does not count as it.
    still_owed=lambda signature: Q(token=signature.token),
    mark_sent=lambda: {"confirmation_sent_at": timezone.now()},
)
ALREADY_SIGNED_NOTICES = _MailQueue(
    owed=Q(status=SignatureStatus.CONFIRMED, notice_due_at__isnull=False),
    claimed_field="notice_claimed_at",
    message=_already_signed_message,
    still_owed=lambda signature: Q(notice_due_at=signature.notice_due_at),
    mark_sent=lambda: {"notice_due_at": None},
)


def signature_confirmations_send(*, limit: int = 200) -> int:
    """Send the confirmation email of up to `limit` waiting signatures, and up to `limit`
    "you had already signed" notices; returns how many emails went out.

    Rows are claimed first (a short transaction, SKIP LOCKED, so two senders never take the
    same row and a confirm click is never blocked by a slow SMTP server), then mailed outside
    any transaction. If sending fails, the rows not sent go back in the queue and the error is
    raised for the task to retry. A sender killed mid-batch never runs its `finally`: its claims
    go stale and are taken again after PETITIONS_CONFIRMATION_RECLAIM_SECONDS (longer than the
    task time limit), so no confirmation email is lost. Confirming twice is harmless, so the
    one residual case (accepted by SMTP, killed before `confirmation_sent_at`) costs at most a
    second copy of the same link.
    """
    return _mail_queue_send(CONFIRMATIONS, limit=limit) + _mail_queue_send(
        ALREADY_SIGNED_NOTICES, limit=limit
    )


def _mail_queue_send(queue: _MailQueue, *, limit: int) -> int:
    now = timezone.now()
    stale = now - timedelta(seconds=settings.PETITIONS_CONFIRMATION_RECLAIM_SECONDS)
    claimed = queue.claimed_field
    with transaction.atomic():
        ids = list(
            Signature.objects.select_for_update(skip_locked=True)
            .filter(queue.owed)
            .filter(Q(**{f"{claimed}__isnull": True}) | Q(**{f"{claimed}__lt": stale}))
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
        Signature.objects.filter(pk__in=ids).update(**{claimed: now})
    if not ids:
        return 0
    batch = list(
        Signature.objects.select_related("petition", "petition__group")
        .filter(pk__in=ids)
        .filter(queue.owed)
        .order_by("pk")
    )
    sent: list[int] = []
    mail_connection = get_connection()
    try:
        mail_connection.open()
        for signature in batch:
            mail_connection.send_messages([queue.message(signature)])
            sent.append(signature.pk)
            Signature.objects.filter(queue.still_owed(signature), pk=signature.pk).update(
                **queue.mark_sent()
            )
    finally:
        mail_connection.close()
        unsent = [pk for pk in ids if pk not in set(sent)]
        if unsent:
            Signature.objects.filter(pk__in=unsent).update(**{claimed: None})
    return len(sent)


def signature_lookup_retry(*, signature_id: int) -> bool:
    """Try the postcode lookup again for a signature kept without a constituency."""
    signature = Signature.objects.filter(pk=signature_id, constituency__isnull=True).first()
    if signature is None or not signature.postcode:
        return True
    constituency, failed = _constituency_for(signature.postcode)
    if constituency is None:
        return not failed
    Signature.objects.filter(pk=signature.pk).update(
        constituency=constituency, changed_at=timezone.now()
    )
    return True
