"""Signing limits per IP and per email domain (settings PETITIONS_SIGN_LIMIT_*), in Redis."""

from django.conf import settings

from alliance.ratelimit import rate_limit_exceeded
from petitions.emails import SHARED_PROVIDERS, email_domain

REFUSAL = (
    "So many signatures have come from your {what} in the last few minutes that we have paused "
    "signing from it. Nothing is lost: please try again in {minutes} minutes."
)


def signing_refusal(*, ip: str, email: str, at_stall: bool = False) -> str | None:
    """None when this attempt may go ahead; otherwise the message to show (with a 429).
    A device in stall mode (petitions/stall.py) is not held to the per-IP limit."""
    period = settings.PETITIONS_SIGN_LIMIT_PERIOD_SECONDS
    minutes = max(1, period // 60)
    if not at_stall and rate_limit_exceeded(
        scope="petition-sign-ip",
        key=ip or "unknown",
        limit=settings.PETITIONS_SIGN_LIMIT_PER_IP,
        period_seconds=period,
    ):
        return REFUSAL.format(what="network", minutes=minutes)
    domain = email_domain(email)
    if domain not in SHARED_PROVIDERS and rate_limit_exceeded(
        scope="petition-sign-domain",
        key=domain,
        limit=settings.PETITIONS_SIGN_LIMIT_PER_DOMAIN,
        period_seconds=period,
    ):
        return REFUSAL.format(what="email domain", minutes=minutes)
    return None
