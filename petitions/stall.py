"""Stall mode: one device at a street stall takes many signatures from one network.

An organiser switches it on for one petition, on the device in their hand, for a set number of
hours: the device gets a cookie signed with the site's key (its salt names the petition, and
the value holds the petition and the end time), so it cannot be made, moved to another
petition or stretched. While it holds, signatures from that device are not refused by the
per-IP limit (the stall's mobile network is one address); everything else stays: the
per-domain limit, the honeypot, and the email confirmation each signer must click. The form
is always the public one, so nobody signs as the organiser signed in on the device.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

SALT = "petitions.stall"
MAX_HOURS = 12


def _cookie_name(petition) -> str:
    return f"stall-{petition.pk}"


def stall_until(request, petition) -> datetime | None:
    """When stall mode ends on this device for this petition, or None when it is off."""
    value = request.get_signed_cookie(
        _cookie_name(petition), default=None, salt=SALT, max_age=MAX_HOURS * 3600
    )
    if not value:
        return None
    petition_id, _, until = value.partition(":")
    if petition_id != str(petition.pk) or not until.isdigit():
        return None
    ends = datetime.fromtimestamp(int(until), tz=timezone.get_current_timezone())
    return ends if ends > timezone.now() else None


def stall_switch_on(response, *, petition, hours: int) -> datetime:
    """Set the device's cookie on `response`; returns when stall mode ends."""
    if not 1 <= hours <= MAX_HOURS:
        raise ValueError(f"Stall mode lasts 1 to {MAX_HOURS} hours.")
    ends = timezone.now() + timedelta(hours=hours)
    response.set_signed_cookie(
        _cookie_name(petition),
        f"{petition.pk}:{int(ends.timestamp())}",
        salt=SALT,
        max_age=hours * 3600,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return ends


def stall_switch_off(response, *, petition) -> None:
    response.delete_cookie(_cookie_name(petition), samesite="Lax")
