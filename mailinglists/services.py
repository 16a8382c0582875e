"""Writes of the mailing lists: subscribing (double opt-in), confirming, unsubscribing, erasing,
and sending an organiser's email to the list or to an event's attendees through the outbox.

Exactly once per recipient: a mailing's emails are written to the outbox batch by batch, each
batch in one transaction with the mailing's cursor, under a row lock on the mailing; the outbox
key names the mailing and the recipient, so a batch written twice (a redelivered task, beat
resuming a mailing whose worker died) writes nothing twice; the outbox sends each row once.
"""

from __future__ import annotations

from typing import NamedTuple

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from alliance.links import absolute_url
from alliance.mail import header_safe
from alliance.tasks import enqueue_after_commit
from events.choices import RsvpAnswer
from events.models import GuestRsvp, Rsvp
from events.services import guest_rsvp_url
from mailinglists.choices import Audience, ConsentSource, MailingStatus, SubscriptionStatus
from mailinglists.models import Mailing, MailingRecipient, Subscription
from mailinglists.tasks import mailing_send_task
from outbox.models import OutboxEmail, OutboxStatus
from outbox.services import email_enqueue, email_enqueue_many

UNSUBSCRIBE_SALT = "mailinglists.unsubscribe"
# Key prefixes of this app's outbox rows (the erase finds them by these). An event email to
# a guest is keyed under the guest ("guest-rsvp:<guest>:mailing<id>"), so forgetting the
# guest (events.services.guest_rsvps_erase) forgets it too.
MAILING_KEY = "mailing"
CONFIRM_KEY = "list-confirm"
GUEST_KEY = "guest-rsvp"


def normalise_email(email: str) -> str:
    return header_safe(email, 254).strip().lower()


def _user_owns_address(user, email: str) -> bool:
    """Signed in with this address verified: consent needs no second confirmation."""
    if user is None or not user.is_authenticated:
        return False
    return user.emailaddress_set.filter(email__iexact=email, verified=True).exists()


def list_subscribe(
    *,
    group,
    email: str,
    name: str,
    source: str,
    user=None,
    address_proven: bool = False,
    consent_at=None,
) -> Subscription:
    """Ask to join `group`'s mailing list: the one service every "keep me posted" calls.

    Records consent (source, and time: `consent_at` when the box was ticked on a form whose
    address is proven later, a guest's RSVP or a petition signature; otherwise now).
    Someone signed in with this address verified, or whose address the caller has just
    proven by an emailed link (`address_proven`: a guest confirming their RSVP, a signer
    confirming their signature), is subscribed at once; anyone else gets one confirmation email
    and nothing more until they confirm from it (at most one confirmation a day per address
    and group, however often the form is sent: no list bombing). A confirmed subscriber
    asking again changes nothing.
    """
    if source not in ConsentSource.values:
        raise ValueError(f"Unknown consent source {source!r}.")
    email = normalise_email(email)
    if "@" not in email:
        raise ValidationError("Enter an email address.")
    name = header_safe(name, 100)
    with transaction.atomic():
        subscription = _subscription_locked(group=group, email=email, name=name, source=source)
        if subscription.status == SubscriptionStatus.CONFIRMED:
            return subscription
        now = timezone.now()
        subscription.source, subscription.consent_at = source, consent_at or now
        subscription.name = name or subscription.name
        if user is not None and user.is_authenticated:
            subscription.user = user
        if address_proven or _user_owns_address(user, email):
            subscription.status, subscription.confirmed_at = SubscriptionStatus.CONFIRMED, now
            subscription.unsubscribed_at = None
            subscription.save()
            return subscription
        subscription.status = SubscriptionStatus.PENDING
        today = timezone.localdate()
        if subscription.confirmation_sent_on != today:
            subscription.confirmation_sent_on = today
            _confirmation_enqueue(subscription, day=today)
        subscription.save()
        return subscription


def list_subscribe_on_confirmation(*, group, answer, source: str) -> Subscription | None:
    """`answer` (a guest's RSVP, a petition signature) was just confirmed from the link in
    its email, or given by a signed-in user with that address verified: if its "keep me
    posted" was ticked (`answer.list_consent_at`), the address is proven, so it joins
    `group`'s list at once, consent dated when the box was ticked. None if it was not."""
    if answer.list_consent_at is None:
        return None
    return list_subscribe(
        group=group,
        email=answer.email,
        name=answer.name,
        source=source,
        address_proven=True,
        consent_at=answer.list_consent_at,
    )


def _subscription_locked(*, group, email: str, name: str, source: str) -> Subscription:
    locked = Subscription.objects.select_for_update()
    subscription = locked.filter(group=group, email=email).first()
    if subscription is not None:
        return subscription
    try:
        with transaction.atomic():
            return Subscription.objects.create(group=group, email=email, name=name, source=source)
    except IntegrityError:  # the same address a moment ago, in another request
        return locked.get(group=group, email=email)


def _confirmation_enqueue(subscription: Subscription, *, day) -> None:
    group = subscription.group
    email_enqueue(
        key=f"{CONFIRM_KEY}:{subscription.pk}:{day.isoformat()}",
        to=subscription.email,
        subject=f"Confirm: emails from {group.name}",
        template="mailinglists/email/confirm",
        context={
            "group": group,
            "name": subscription.name,
            "url": absolute_url(reverse("mailinglists:confirm", args=[subscription.token])),
        },
    )


def list_subscription_confirm(*, token: str) -> Subscription | None:
    """The link in the confirmation email: a pending subscription becomes confirmed. None
    for an unknown token; an unsubscribed address is not resubscribed by an old link."""
    with transaction.atomic():
        subscription = (
            Subscription.objects.select_for_update().select_related("group").filter(token=token)
        ).first()
        if subscription is None or subscription.status == SubscriptionStatus.UNSUBSCRIBED:
            return None
        if subscription.status == SubscriptionStatus.PENDING:
            subscription.status = SubscriptionStatus.CONFIRMED
            subscription.confirmed_at = timezone.now()
            subscription.save(update_fields=["status", "confirmed_at"])
        return subscription


# --- Unsubscribe links (signed: no sign-in, no lookup table) --------------------------------


def unsubscribe_token(*, subscription_id: int, mailing_id: int | None) -> str:
    return signing.dumps({"s": subscription_id, "m": mailing_id}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_token_read(token: str) -> tuple[int, int | None] | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        return int(data["s"]), (int(data["m"]) if data.get("m") is not None else None)
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def unsubscribe_url(*, subscription_id: int, mailing_id: int | None) -> str:
    token = unsubscribe_token(subscription_id=subscription_id, mailing_id=mailing_id)
    return absolute_url(reverse("mailinglists:unsubscribe", args=[token]))


@transaction.atomic
def list_unsubscribe(*, subscription: Subscription, mailing_id: int | None = None) -> bool:
    """Leave the list at once: no later mailing includes the address, and its emails of
    mailings not yet delivered are withdrawn from the outbox. False if already out."""
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if subscription.status == SubscriptionStatus.UNSUBSCRIBED:
        return False
    subscription.status = SubscriptionStatus.UNSUBSCRIBED
    subscription.unsubscribed_at = timezone.now()
    subscription.unsubscribed_from = Mailing.objects.filter(
        pk=mailing_id, group_id=subscription.group_id
    ).first()
    subscription.save(update_fields=["status", "unsubscribed_at", "unsubscribed_from"])
    OutboxEmail.objects.filter(
        status=OutboxStatus.PENDING,
        key__in=MailingRecipient.objects.filter(
            email=subscription.email, mailing__group_id=subscription.group_id
        ).values("key"),
    ).delete()
    return True


@transaction.atomic
def list_subscriptions_erase(*, email: str) -> int:
    """Forget an address on every list (the erase link, account deletion): subscriptions,
    who it was sent to, and this app's emails to it in the outbox. Returns subscriptions."""
    email = normalise_email(email)
    MailingRecipient.objects.filter(email=email).delete()
    OutboxEmail.objects.to_addresses([email]).filter(
        key__regex=rf"^({MAILING_KEY}|{CONFIRM_KEY}):"
    ).delete()
    deleted, _ = Subscription.objects.filter(email=email).delete()
    return deleted


# --- Sending ----------------------------------------------------------------------------------


def _event_audience(event_id: int):
    """(members, guests) going to the event: members answering "going", and guests who
    confirmed from their email and hold a place (not cancelled, not waiting). Each address
    once: a guest whose address is a going member's is left to the member's email."""
    members = Rsvp.objects.filter(event_id=event_id, answer=RsvpAnswer.GOING)
    guests = (
        GuestRsvp.objects.filter(event_id=event_id)
        .counted_going()
        .exclude(email__in=members.annotate(address=Lower("user__email")).values("address"))
    )
    return members, guests


def mailing_audience_count(*, group, audience: str, event=None) -> int:
    if audience == Audience.EVENT:
        members, guests = _event_audience(event.pk)
        return members.count() + guests.count()
    return Subscription.objects.confirmed().filter(group=group).count()


def unverified_limit() -> int:
    return settings.MAILINGLISTS_UNVERIFIED_MAX_RECIPIENTS


@transaction.atomic
def mailing_create(*, group, author, subject: str, body: str, audience: str, event=None) -> Mailing:
    """An organiser's email to the list or an event's attendees; the worker sends it. Only a
    verified group may send to more than MAILINGLISTS_UNVERIFIED_MAX_RECIPIENTS people."""
    if "\n" in subject or "\r" in subject:
        raise ValidationError("The subject is one line.")
    if audience == Audience.EVENT and (
        event is None
        or not (event.group_id == group.pk or event.co_organisers.filter(pk=group.pk).exists())
    ):
        raise ValidationError("Choose one of this group's events.")
    if audience == Audience.LIST:
        event = None
    count = mailing_audience_count(group=group, audience=audience, event=event)
    if count == 0:
        raise ValidationError("Nobody would get this email yet.")
    if not group.is_verified and count > unverified_limit():
        raise ValidationError(
            f"Only verified groups can email more than {unverified_limit()} people "
            f"(this would go to {count}). Ask the site's staff to verify your group."
        )
    mailing = Mailing(
        group=group, author=author, subject=subject, body=body, audience=audience, event=event
    )
    mailing.full_clean()
    mailing.save()
    enqueue_after_commit(mailing_send_task, mailing.pk)
    return mailing


class Recipient(NamedTuple):
    kind: str  # "s" a list subscriber, "r" a member going, "g" a guest going
    pk: int  # of the subscription, the member's RSVP or the guest's: the worker's place
    email: str
    name: str
    guest: GuestRsvp | None = None


def _next_recipients(mailing: Mailing, batch_size: int) -> list[Recipient]:
    """The next batch, in id order: the list's subscribers; or an event's members going,
    then (once every member has theirs) its guests going, each kind after its own cursor."""
    if mailing.audience == Audience.LIST:
        subscriptions = (
            Subscription.objects.confirmed()
            .filter(group_id=mailing.group_id, pk__gt=mailing.cursor)
            .order_by("pk")
            .values_list("pk", "email", "name")[:batch_size]
        )
        return [Recipient("s", *row) for row in subscriptions]
    members, guests = _event_audience(mailing.event_id)
    rsvps = (
        members.filter(pk__gt=mailing.cursor)
        .order_by("pk")
        .values_list("pk", "user__email", "user__name")[:batch_size]
    )
    if rsvps:
        return [Recipient("r", *row) for row in rsvps]
    guests = guests.filter(pk__gt=mailing.guest_cursor).order_by("pk")[:batch_size]
    return [Recipient("g", guest.pk, guest.email, guest.name, guest) for guest in guests]


def _mailing_email(mailing: Mailing, recipient: Recipient) -> dict:
    context = {
        "mailing": mailing,
        "group": mailing.group,
        "event": mailing.event,
        "name": recipient.name,
        "group_url": absolute_url(mailing.group),
        "event_url": absolute_url(mailing.event) if mailing.event else "",
        # A guest has no account: their own page (signed link) cancels their place.
        "manage_url": guest_rsvp_url(recipient.guest) if recipient.guest else "",
    }
    key = (
        f"{GUEST_KEY}:{recipient.pk}:{MAILING_KEY}{mailing.pk}"
        if recipient.kind == "g"
        else f"{MAILING_KEY}:{mailing.pk}:{recipient.kind}{recipient.pk}"
    )
    return {
        "key": key,
        "to": recipient.email,
        "subject": mailing.subject,
        "template": "mailinglists/email/mailing",
        "context": context,
        "unsubscribe_url": (
            unsubscribe_url(subscription_id=recipient.pk, mailing_id=mailing.pk)
            if recipient.kind == "s"
            else None
        ),
    }


def mailing_send(*, mailing_id: int, batch_size: int | None = None) -> int:
    """Write the mailing's emails into the outbox, one batch per transaction, until every
    recipient has one; returns how many this run wrote. Holding the mailing's row lock per
    batch, two runs never write the same batch; a run that dies mid-batch wrote nothing of
    it (the transaction rolls back) and the next run starts from the committed cursor."""
    batch_size = batch_size or settings.MAILINGLISTS_BATCH_SIZE
    written = 0
    while True:
        with transaction.atomic():
            mailing = (
                Mailing.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("group", "event")
                .filter(pk=mailing_id, status=MailingStatus.QUEUED)
                .first()
            )
            if mailing is None:  # done, or another run holds it
                return written
            batch = _next_recipients(mailing, batch_size)
            if not batch:
                mailing.status = MailingStatus.ENQUEUED
                mailing.save(update_fields=["status"])
                return written
            emails = [_mailing_email(mailing, recipient) for recipient in batch]
            MailingRecipient.objects.bulk_create(
                [
                    MailingRecipient(mailing=mailing, email=email["to"].lower(), key=email["key"])
                    for email in emails
                ],
                ignore_conflicts=True,
            )
            written += len(email_enqueue_many(emails=emails))
            if batch[-1].kind == "g":
                mailing.guest_cursor = batch[-1].pk
            else:
                mailing.cursor = batch[-1].pk
            mailing.recipient_count += len(batch)
            mailing.save(update_fields=["cursor", "guest_cursor", "recipient_count"])


def mailings_send_queued() -> int:
    """Beat: carry on every mailing whose run died or was never queued (broker outage)."""
    ids = list(Mailing.objects.filter(status=MailingStatus.QUEUED).values_list("pk", flat=True))
    return sum(mailing_send(mailing_id=pk) for pk in ids)
