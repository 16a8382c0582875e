"""Every email a primary sends, one function each, all written to the shared outbox
(outbox.services.email_enqueue) in the caller's transaction: the email exists if and only if
the change that causes it committed, and its key makes it exactly once.

Keys start with `primaries:<primary id>:` so that the outbox rows of a primary (which hold voter
addresses and their links) can be deleted with its roll (services.rolls_delete_due).

These are transactional emails (a link the person asked for, the ballot they registered for, a
result their party agreed to): there is no mailing list to unsubscribe from, so no
unsubscribe link.
"""

from django.utils import timezone

from outbox.services import email_enqueue


def key_prefix(primary_id: int) -> str:
    return f"primaries:{primary_id}:"


def _seat(voter) -> str:
    return voter.primary.agreement.constituency.name


def registration_confirm(*, voter, confirm_url: str, attempt: int) -> bool:
    return (
        email_enqueue(
            key=f"{key_prefix(voter.primary_id)}confirm:{voter.pk}:{attempt}",
            to=voter.email,
            subject=f"Confirm your registration for the open primary in {_seat(voter)}",
            template="primaries/email/confirm",
            context={
                "seat": _seat(voter),
                "confirm_url": confirm_url,
                "closes": timezone.localtime(voter.primary.registration_closes_at),
                "held": not voter.postcode_verified,
            },
        )
        is not None
    )


def ballot_link(*, voter, vote_url: str) -> bool:
    return (
        email_enqueue(
            key=f"{key_prefix(voter.primary_id)}ballot:{voter.pk}",
            to=voter.email,
            subject=f"Your ballot for the open primary in {_seat(voter)}",
            template="primaries/email/ballot",
            context={
                "seat": _seat(voter),
                "vote_url": vote_url,
                "closes": timezone.localtime(voter.primary.voting_closes_at),
            },
        )
        is not None
    )


def result_to_staff(*, user, party, primary, result_url: str) -> bool:
    seat = primary.agreement.constituency.name
    return (
        email_enqueue(
            key=f"{key_prefix(primary.pk)}result:{user.pk}",
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
        is not None
    )
