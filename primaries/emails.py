"""Every email a primary sends, one function each, all through `_send`.

`_send(key=...)` has the shape of the shared outbox's `email_enqueue` (idempotent on `key`,
rendering templates/<template>.txt and .html), so switching to the outbox is a change to this
module only. Until then the key is recorded (PrimaryEmail, unique) in the same transaction that
sends the message: a second run with the same key sends nothing, and a failed send rolls the
key back so the task's retry sends it. The one residual case, SMTP accepting the message and the
process dying before the commit, costs at most a second copy of the same email.

These are transactional emails (a link the person asked for, the ballot they registered for,
a result their party agreed to): there is no mailing list to unsubscribe from.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from alliance.mail import header_safe
from primaries.models import PrimaryEmail


def _send(*, key: str, to: str, subject: str, template: str, context: dict) -> bool:
    with transaction.atomic():
        try:
            with transaction.atomic():
                PrimaryEmail.objects.create(key=key)
        except IntegrityError:
            return False
        context = {**context, "SITE_URL": settings.SITE_URL}
        message = EmailMultiAlternatives(
            subject=header_safe(subject),
            body=render_to_string(f"{template}.txt", context),
            to=[to],
        )
        message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
        message.send()
    return True


def _seat(voter) -> str:
    return voter.primary.agreement.constituency.name


def registration_confirm(*, key: str, voter, confirm_url: str) -> bool:
    closes = timezone.localtime(voter.primary.registration_closes_at)
    return _send(
        key=key,
        to=voter.email,
        subject=f"Confirm your registration for the open primary in {_seat(voter)}",
        template="primaries/email/confirm",
        context={
            "seat": _seat(voter),
            "confirm_url": confirm_url,
            "closes": closes,
            "held": not voter.postcode_verified,
        },
    )


def ballot_link(*, key: str, voter, vote_url: str) -> bool:
    closes = timezone.localtime(voter.primary.voting_closes_at)
    return _send(
        key=key,
        to=voter.email,
        subject=f"Your ballot for the open primary in {_seat(voter)}",
        template="primaries/email/ballot",
        context={"seat": _seat(voter), "vote_url": vote_url, "closes": closes},
    )


def result_to_staff(*, key: str, user, party, primary, result_url: str) -> bool:
    seat = primary.agreement.constituency.name
    return _send(
        key=key,
        to=user.email,
        subject=f"Open primary result in {seat}",
        template="primaries/email/result",
        context={
            "name": user.display_name,
            "party": party,
            "seat": seat,
            "primary": primary,
            "winner": primary.winner,
            "result_url": result_url,
        },
    )
