"""Postcode to constituency, behind one function, with a postcodes.io-compatible client."""

import logging
import re
from dataclasses import dataclass

import requests
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

# The shape of a UK postcode (outward code, space, inward code); BFPO and GIR 0AA included.
POSTCODE_RE = re.compile(r"^(GIR ?0AA|[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}|BFPO ?[0-9]{1,4})$")
CACHE_SECONDS = 60 * 60 * 24 * 30


class InvalidPostcode(ValueError):
    pass


class PostcodeLookupUnavailable(Exception):
    """The lookup service failed, timed out or answered nonsense (it did not say "unknown")."""


@dataclass(frozen=True)
class PostcodeLocation:
    postcode: str
    constituency_code: str | None
    latitude: float | None
    longitude: float | None


def postcode_normalise(raw: str) -> str:
    """'sw1a1aa ' -> 'SW1A 1AA'; raises InvalidPostcode for anything that is not a UK postcode."""
    compact = re.sub(r"\s+", "", (raw or "").upper())
    if not compact or len(compact) > 8 or not POSTCODE_RE.match(compact):
        raise InvalidPostcode("Enter a UK postcode, like SW1A 1AA.")
    return f"{compact[:-3]} {compact[-3:]}"


def postcode_lookup(raw: str) -> PostcodeLocation | None:
    """Where a postcode is, or None when the lookup is not configured, fails or knows nothing.

    Callers must treat None as "ask the person" and never lose what they were saving.
    """
    try:
        return postcode_locate(raw)
    except PostcodeLookupUnavailable:
        return None


def postcode_locate(raw: str) -> PostcodeLocation | None:
    """As postcode_lookup, but a failing service raises PostcodeLookupUnavailable, for callers
    that save without a place when the service is down and ask only when it said "unknown"."""
    postcode = postcode_normalise(raw)
    base_url = settings.POSTCODES_API_URL
    if not base_url:
        return None
    cache_key = f"postcode:{postcode.replace(' ', '')}"
    cached = cache.get(cache_key)
    if cached is not None:
        return PostcodeLocation(**cached) if cached else None
    try:
        response = requests.get(
            f"{base_url.rstrip('/')}/postcodes/{postcode.replace(' ', '')}",
            timeout=settings.POSTCODES_API_TIMEOUT,
        )
    except requests.RequestException as error:
        logger.warning("Postcode lookup failed for %s: %s", postcode, error)
        raise PostcodeLookupUnavailable from error
    if response.status_code == 404:
        cache.set(cache_key, {}, CACHE_SECONDS)
        return None
    if response.status_code != 200:
        logger.warning("Postcode lookup for %s answered %s", postcode, response.status_code)
        raise PostcodeLookupUnavailable(response.status_code)
    try:
        result = response.json()["result"]
        codes = result.get("codes") or {}
        location = PostcodeLocation(
            postcode=postcode,
            constituency_code=codes.get("parliamentary_constituency_2024")
            or codes.get("parliamentary_constituency"),
            latitude=result.get("latitude"),
            longitude=result.get("longitude"),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        logger.warning("Postcode lookup for %s gave an unreadable answer: %s", postcode, error)
        raise PostcodeLookupUnavailable from error
    cache.set(cache_key, location.__dict__, CACHE_SECONDS)
    return location
