"""Every write to petitions and signatures goes through here.

Signing and confirming touch only the signature's own row; the shown counts (PetitionTally,
ConstituencyTally) are written only by `petition_count`, which the count task runs every few
seconds for petitions with recent changes, and the reconcile task runs for all.
"""

import ipaddress
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, connection, transaction
from django.db.models import CharField, Q, QuerySet, Value
from django.db.models.fields.files import FieldFile
from django.db.models.functions import Cast, Concat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from alliance.links import absolute_url
from alliance.mail import header_safe
from alliance.ratelimit import rate_limit_exceeded
from groups.models import Group, Membership, Role
from petitions import milestones
from petitions.emails import email_domain, email_is_disposable, email_normalise
from petitions.images import image_prepare
from petitions.models import (
    ConstituencyTally,
    Milestone,
    Petition,
    PetitionStatus,
    PetitionTally,
    PetitionUpdate,
    Signature,
    SignatureStatus,
)
from seats.models import Constituency
from seats.postcodes import InvalidPostcode, postcode_lookup, postcode_normalise

logger = logging.getLogger(__name__)

COUNT_LOCK_NAMESPACE = 60_061  # pg_advisory_xact_lock(namespace, petition_id)


def _setting(name: str, default):
    return getattr(settings, name, default)


# --- Petitions -------------------------------------------------------------------------


def _unique_slug(title: str) -> str:
    base = slugify(title)[:140] or "petition"
    slug, n = base, 2
    while Petition.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def petition_create(
    *,
    group: Group,
    author,
    title: str,
    target: str,
    body: str,
    image=None,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    is_sample: bool = False,
) -> Petition:
    """A draft petition; organisers submit it when ready (see petition_submit)."""
    petition = Petition(
        group=group,
        created_by=author,
        title=title,
        slug=_unique_slug(title),
        target=target,
        body=body,
        opens_at=opens_at,
        closes_at=closes_at,
        is_sample=is_sample,
    )
    if image:
        petition.image = image_prepare(image)
    petition.full_clean()
    petition.save()
    return petition


WORDING = ("title", "target", "body")
# What the public sees: a change to any of these on a moderated petition needs moderation again.
PUBLIC_CONTENT = (*WORDING, "image")


def petition_needs_moderation(petition: Petition) -> bool:
    """Staff approve what a group publishes unless staff have verified the group."""
    return not petition.group.is_verified


def _content_changed(name: str, value, saved: Petition) -> bool:
    if name != "image":
        return value != getattr(saved, name)
    if value is None:
        return False
    if isinstance(value, FieldFile):
        return value.name != saved.image.name
    if not value:  # cleared
        return bool(saved.image)
    return True  # a new upload


@transaction.atomic
def petition_update(*, petition: Petition, **fields) -> Petition:
    """Edit a petition. Once open, its wording is frozen (people signed it); a change to the
    public content of an open petition that needed moderation sends it back to staff: it is
    hidden (status pending) until they approve it again, so nothing unmoderated is ever shown."""
    saved = Petition.objects.select_for_update().select_related("group").get(pk=petition.pk)
    if saved.status not in (PetitionStatus.DRAFT, PetitionStatus.PENDING, PetitionStatus.OPEN):
        raise ValidationError("A closed or rejected petition can no longer be edited.")
    changed = {
        name
        for name in PUBLIC_CONTENT
        if name in fields and _content_changed(name, fields[name], saved)
    }
    if saved.status == PetitionStatus.OPEN and changed & set(WORDING):
        raise ValidationError(
            "People have signed this wording: once a petition is open, its title, target "
            "and text cannot change. You can still change the image and closing date."
        )
    for name, value in fields.items():
        if name == "image" and value is None:
            continue
        if name == "image" and value is False:  # the form's "clear" box
            value = ""
        elif name == "image" and value and not isinstance(value, FieldFile):
            value = image_prepare(value)
        setattr(petition, name, value)
    petition.status = saved.status
    if changed and saved.status == PetitionStatus.OPEN and petition_needs_moderation(saved):
        petition.status = PetitionStatus.PENDING
    petition.full_clean()
    petition.save()
    return petition


@transaction.atomic
def petition_submit(*, petition: Petition) -> Petition:
    """Draft -> open when the group is verified, otherwise -> awaiting moderation by staff."""
    petition = Petition.objects.select_for_update().select_related("group").get(pk=petition.pk)
    if petition.status != PetitionStatus.DRAFT:
        raise ValidationError("Only a draft can be submitted.")
    petition.status = (
        PetitionStatus.PENDING if petition_needs_moderation(petition) else PetitionStatus.OPEN
    )
    petition.save(update_fields=["status"])
    return petition


@transaction.atomic
def petition_moderate(*, petition: Petition, staff, approve: bool, reason: str = "") -> Petition:
    petition = Petition.objects.select_for_update().get(pk=petition.pk)
    if petition.status != PetitionStatus.PENDING:
        raise ValidationError("This petition is not awaiting moderation.")
    if not approve and not reason.strip():
        raise ValidationError({"reason": "Give the organisers a reason."})
    petition.status = PetitionStatus.OPEN if approve else PetitionStatus.REJECTED
    petition.rejection_reason = "" if approve else reason.strip()
    petition.moderated_by = staff
    petition.moderated_at = timezone.now()
    petition.save()
    return petition


@transaction.atomic
def petition_close(*, petition: Petition, now: datetime | None = None) -> Petition:
    """Close early (organisers) or on its closing date (beat). Idempotent."""
    petition = Petition.objects.select_for_update().get(pk=petition.pk)
    if petition.status == PetitionStatus.CLOSED:
        return petition
    if petition.status != PetitionStatus.OPEN:
        raise ValidationError("Only an open petition can be closed.")
    petition.status = PetitionStatus.CLOSED
    petition.closed_at = now or timezone.now()
    petition.save(update_fields=["status", "closed_at"])
    transaction.on_commit(lambda: _count_after_commit(petition.pk))
    return petition


def _count_after_commit(petition_id: int) -> None:
    from petitions.tasks import petition_count_task

    petition_count_task.delay(petition_id)


@transaction.atomic
def petition_deliver(*, petition: Petition, delivered_on: date, note: str = "") -> Petition:
    petition = Petition.objects.select_for_update().get(pk=petition.pk)
    if petition.status not in (PetitionStatus.OPEN, PetitionStatus.CLOSED):
        raise ValidationError("Only a published petition can be delivered.")
    if delivered_on > timezone.localdate():
        raise ValidationError({"delivered_on": "The hand-over date cannot be in the future."})
    petition.delivered_at = delivered_on
    petition.delivery_note = note.strip()
    petition.save(update_fields=["delivered_at", "delivery_note"])
    return petition


def petitions_close_due(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    closed = 0
    for petition in Petition.objects.due_to_close(now):
        petition_close(petition=petition, now=petition.closes_at)
        closed += 1
    return closed


# --- Signing ---------------------------------------------------------------------------


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
) -> SignOutcome:
    """Sign. Counted only once confirmed: by the emailed link, or at once for a signed-in user
    whose email is verified. A second attempt by the same person creates nothing."""
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
        return _signature_again(signature, lookup=lookup_failed)
    _after_commit_of_new_signature(signature, send=not confirmed, lookup=lookup_failed)
    return SignOutcome(signature=signature, created=True)


def _after_commit_of_new_signature(signature: Signature, *, send: bool, lookup: bool) -> None:
    from petitions.tasks import signature_lookup_task

    if send:
        transaction.on_commit(confirmations_kick)
    if lookup:
        pk = signature.pk
        transaction.on_commit(lambda: signature_lookup_task.delay(pk))


KICK_KEY = "petitions:confirmations-kick"


def confirmations_kick() -> None:
    """Wake the confirmation sender. The signature row is the queue (pending, not yet sent), so
    signing never publishes a task per signature: the first signature in a window of
    PETITIONS_CONFIRMATION_KICK_SECONDS schedules one sweep at the end of the window, and the
    ones after it in the window ride along. If Redis is down the signature is still kept and
    the beat sweep sends it."""
    from petitions.tasks import signature_confirmations_send_task

    seconds = _setting("PETITIONS_CONFIRMATION_KICK_SECONDS", 1)
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
        period_seconds=_setting("PETITIONS_RESEND_SECONDS", 600),
    )


def signature_confirm(*, token: str) -> Signature | None:
    """POST only. Idempotent: one UPDATE of the signature's own row, no petition row written.
    A petition that has closed (or was taken down) takes no more confirmations."""
    now = timezone.now()
    Signature.objects.filter(
        Q(petition__closes_at__isnull=True) | Q(petition__closes_at__gt=now),
        token=token,
        status=SignatureStatus.PENDING,
        petition__status=PetitionStatus.OPEN,
    ).update(status=SignatureStatus.CONFIRMED, confirmed_at=now, changed_at=now)
    return Signature.objects.select_related("petition").filter(token=token).first()


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
    context = {
        "signature": signature,
        "petition": signature.petition,
        "confirm_url": signature_link("confirm", signature.token),
        "remove_url": signature_link("remove", signature.token),
        "expiry_hours": _setting("PETITIONS_UNCONFIRMED_EXPIRY_HOURS", 72),
        "SITE_URL": settings.SITE_URL,
    }
    message = EmailMultiAlternatives(
        subject=header_safe(f"Please confirm your signature: {signature.petition.title}"),
        body=render_to_string("petitions/email/confirm.txt", context),
        to=[signature.email],
    )
    message.attach_alternative(
        render_to_string("petitions/email/confirm.html", context), "text/html"
    )
    return message


def _already_signed_message(signature: Signature) -> EmailMultiAlternatives:
    context = {
        "signature": signature,
        "petition": signature.petition,
        "petition_url": absolute_url(signature.petition),
        "remove_url": signature_link("remove", signature.token),
        "SITE_URL": settings.SITE_URL,
    }
    message = EmailMultiAlternatives(
        subject=header_safe(f"You had already signed: {signature.petition.title}"),
        body=render_to_string("petitions/email/already_signed.txt", context),
        to=[signature.email],
    )
    message.attach_alternative(
        render_to_string("petitions/email/already_signed.html", context), "text/html"
    )
    return message


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
    stale = now - timedelta(seconds=_setting("PETITIONS_CONFIRMATION_RECLAIM_SECONDS", 360))
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


def signatures_expire(*, now: datetime | None = None) -> int:
    hours = _setting("PETITIONS_UNCONFIRMED_EXPIRY_HOURS", 72)
    cutoff = (now or timezone.now()) - timedelta(hours=hours)
    deleted, _ = Signature.objects.expired(cutoff).delete()
    return deleted


# --- Counting --------------------------------------------------------------------------


def petition_count(*, petition_id: int) -> int:
    """Recount one petition exactly from its signature rows and upsert its tallies.

    An advisory lock per petition serialises concurrent counts, so a slower, older count can
    never overwrite a newer one. Milestones reached are recorded once (unique constraint).
    """
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [COUNT_LOCK_NAMESPACE, petition_id]
            )
        rows = list(Signature.objects.counted_by_constituency(petition_id))
        total = sum(n for _, n in rows)
        now = timezone.now()
        PetitionTally.objects.bulk_create(
            [PetitionTally(petition_id=petition_id, confirmed_count=total, counted_at=now)],
            update_conflicts=True,
            unique_fields=["petition"],
            update_fields=["confirmed_count", "counted_at"],
        )
        by_constituency = {cid: n for cid, n in rows if cid is not None}
        if by_constituency:
            ConstituencyTally.objects.bulk_create(
                [
                    ConstituencyTally(
                        petition_id=petition_id, constituency_id=cid, confirmed_count=n
                    )
                    for cid, n in by_constituency.items()
                ],
                update_conflicts=True,
                unique_fields=["petition", "constituency"],
                update_fields=["confirmed_count"],
            )
        ConstituencyTally.objects.filter(petition_id=petition_id).exclude(
            constituency_id__in=list(by_constituency)
        ).delete()
        _milestones_record(petition_id=petition_id, total=total, now=now)
    return total


def _milestones_record(*, petition_id: int, total: int, now: datetime) -> None:
    reached = milestones.goals_reached(total)
    if not reached:
        return
    known = set(Milestone.objects.filter(petition_id=petition_id).values_list("goal", flat=True))
    new = [goal for goal in reached if goal not in known]
    if not new:
        return
    Milestone.objects.bulk_create(
        [Milestone(petition_id=petition_id, goal=goal, reached_at=now) for goal in new],
        ignore_conflicts=True,
    )
    from petitions.tasks import milestone_notify_task

    transaction.on_commit(lambda: milestone_notify_task.delay(petition_id))


def petitions_count_recent(*, now: datetime | None = None) -> dict[int, int]:
    """Recount every petition with a signature changed in the look-back window.

    The window (default 2 minutes) is far longer than the beat interval, so a transaction that
    committed late is still seen; anything older is repaired by the reconcile task.
    """
    lookback = timedelta(seconds=_setting("PETITIONS_COUNT_LOOKBACK_SECONDS", 120))
    since = (now or timezone.now()) - lookback
    ids = (
        Signature.objects.changed_since(since)
        .order_by()
        .values_list("petition_id", flat=True)
        .distinct()
    )
    return {pid: petition_count(petition_id=pid) for pid in list(ids)}


def petitions_reconcile() -> dict[int, int]:
    """Recount every petition that has signatures or a tally; returns {petition id: count}."""
    ids = set(Signature.objects.order_by().values_list("petition_id", flat=True).distinct())
    ids |= set(PetitionTally.objects.values_list("petition_id", flat=True))
    return {pid: petition_count(petition_id=pid) for pid in sorted(ids)}


def petition_shown_count(petition: Petition) -> int:
    tally = getattr(petition, "tally", None)
    return tally.confirmed_count if tally else 0


# --- Abuse -----------------------------------------------------------------------------


@dataclass(frozen=True)
class InvalidationCriteria:
    petition: Petition | None = None
    domain: str = ""
    ip_network: str = ""
    start: datetime | None = None
    end: datetime | None = None

    def queryset(self):
        if not (self.domain or self.ip_network or self.start or self.end):
            raise ValidationError("Choose at least a domain, an IP range or a time window.")
        signatures = Signature.objects.filter(
            status__in=[SignatureStatus.PENDING, SignatureStatus.CONFIRMED]
        )
        if self.petition is not None:
            signatures = signatures.filter(petition=self.petition)
        if self.domain:
            domain = email_domain("x@" + self.domain.strip().lstrip("@"))
            signatures = signatures.filter(
                Q(email_domain=domain) | Q(email_domain__endswith="." + domain)
            )
        if self.ip_network:
            try:
                network = ipaddress.ip_network(self.ip_network.strip(), strict=False)
            except ValueError:
                raise ValidationError({"ip_network": "Enter an IP address or range (CIDR)."})
            signatures = signatures.filter(ip__net_contained_or_equal=str(network))
        if self.start:
            signatures = signatures.filter(created_at__gte=self.start)
        if self.end:
            signatures = signatures.filter(created_at__lt=self.end)
        return signatures


def signatures_invalidate(*, criteria: InvalidationCriteria) -> int:
    """Invalidate matching signatures, then recount the petitions touched at once."""
    with transaction.atomic():
        matching = criteria.queryset()
        petition_ids = set(matching.values_list("petition_id", flat=True).distinct())
        changed = matching.update(status=SignatureStatus.INVALIDATED, changed_at=timezone.now())
    for petition_id in petition_ids:
        petition_count(petition_id=petition_id)
    return changed


# --- Organiser tools -------------------------------------------------------------------


def petition_update_create(*, petition: Petition, subject: str, body: str, by) -> PetitionUpdate:
    from petitions.tasks import petition_update_send_task

    update = PetitionUpdate(petition=petition, subject=header_safe(subject), body=body, sent_by=by)
    update.full_clean()
    with transaction.atomic():
        update.save()
        transaction.on_commit(lambda: petition_update_send_task.delay(update.pk))
    return update


def petition_update_send_batch(*, update_id: int, batch_size: int = 200) -> bool:
    """Send the next batch; True when more remain. Resumes after the last finished batch."""
    with transaction.atomic():
        update = (
            PetitionUpdate.objects.select_for_update(skip_locked=True)
            .select_related("petition")
            .filter(pk=update_id, finished_at__isnull=True)
            .first()
        )
        if update is None:
            return False
        batch = list(
            Signature.objects.consenting()
            .filter(petition=update.petition, pk__gt=update.last_signature_id)
            .order_by("pk")[:batch_size]
        )
        if not batch:
            update.finished_at = timezone.now()
            update.save(update_fields=["finished_at"])
            return False
        messages = []
        for signature in batch:
            context = {
                "update": update,
                "petition": update.petition,
                "signature": signature,
                "unsubscribe_url": signature_link("unsubscribe", signature.token),
                "petition_url": settings.SITE_URL + update.petition.get_absolute_url(),
            }
            message = EmailMultiAlternatives(
                subject=header_safe(f"{update.petition.title}: {update.subject}"),
                body=render_to_string("petitions/email/update.txt", context),
                to=[signature.email],
                headers={"List-Unsubscribe": f"<{context['unsubscribe_url']}>"},
            )
            message.attach_alternative(
                render_to_string("petitions/email/update.html", context), "text/html"
            )
            messages.append(message)
        get_connection().send_messages(messages)
        update.last_signature_id = batch[-1].pk
        update.sent_count += len(batch)
        update.save(update_fields=["last_signature_id", "sent_count"])
    return len(batch) == batch_size


def milestones_notify(*, petition_id: int) -> int:
    """Tell the organisers about milestones not yet announced; each is announced once."""
    with transaction.atomic():
        pending = list(
            Milestone.objects.select_for_update(skip_locked=True)
            .select_related("petition", "petition__group")
            .filter(petition_id=petition_id, notified_at__isnull=True)
        )
        if not pending:
            return 0
        petition = pending[0].petition
        recipients = list(
            Membership.objects.filter(group=petition.group, role=Role.ORGANISER).values_list(
                "user__email", flat=True
            )
        ) or [petition.group.contact_email]
        goal = max(m.goal for m in pending)
        context = {
            "petition": petition,
            "goal": goal,
            "petition_url": settings.SITE_URL + petition.get_absolute_url(),
            "dashboard_url": settings.SITE_URL
            + reverse("petitions:dashboard", kwargs={"slug": petition.slug}),
            "next_goal": milestones.next_goal(goal),
        }
        message = EmailMultiAlternatives(
            subject=header_safe(f"{goal:,} have signed “{petition.title}”"),
            body=render_to_string("petitions/email/milestone.txt", context),
            to=recipients,
        )
        message.attach_alternative(
            render_to_string("petitions/email/milestone.html", context), "text/html"
        )
        message.send()
        Milestone.objects.filter(pk__in=[m.pk for m in pending]).update(notified_at=timezone.now())
    return len(pending)


@transaction.atomic
def signatures_anonymise(*, signatures: QuerySet) -> int:
    """Forget who signed; keep what is counted. Returns how many signatures were touched."""
    now = timezone.now()
    pending = signatures.filter(status=SignatureStatus.PENDING)
    deleted, _ = pending.delete()
    kept = signatures.exclude(status=SignatureStatus.PENDING).update(
        name="",
        email="",
        # Unique per petition: a placeholder no real address can equal.
        email_normalised=Concat(Value("deleted-"), Cast("pk", CharField())),
        email_domain="",
        postcode="",
        town="",
        ip=None,
        user=None,
        consent_to_contact=False,
        show_publicly=False,
        unsubscribed_at=now,
        changed_at=now,
    )
    return deleted + kept


def petition_personal_data_delete(*, petition: Petition) -> int:
    """Retention: wipe who signed, keep how many and where (constituency) so counts stay."""
    with transaction.atomic():
        wiped = signatures_anonymise(signatures=Signature.objects.filter(petition=petition))
        Petition.objects.filter(pk=petition.pk).update(personal_data_deleted_at=timezone.now())
    return wiped


def petitions_retention_apply(*, now: datetime | None = None) -> int:
    months = _setting("PETITIONS_RETENTION_MONTHS", 12)
    cutoff = (now or timezone.now()) - timedelta(days=round(months * 30.44))
    done = 0
    for petition in Petition.objects.past_retention(cutoff):
        petition_personal_data_delete(petition=petition)
        done += 1
    return done
