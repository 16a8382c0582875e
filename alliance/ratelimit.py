"""Fixed-window rate limits kept in Redis, shared by every web process, and the one rule for
which address a limit counts (`client_ip`)."""

import ipaddress

from django.conf import settings
from django.core.cache import cache


def rate_limit_exceeded(*, scope: str, key: str, limit: int, period_seconds: int) -> bool:
    """Count one hit for (scope, key); True once more than `limit` hits fall in the window."""
    limit *= settings.RATE_LIMIT_MULTIPLIER  # raised only by the bench settings
    cache_key = f"ratelimit:{scope}:{key}"
    cache.add(cache_key, 0, timeout=period_seconds)
    try:
        hits = cache.incr(cache_key)
    except ValueError:  # the key expired between add and incr
        cache.set(cache_key, 1, timeout=period_seconds)
        hits = 1
    return hits > limit


def _clean_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request) -> str:
    """The address of the person making the request, for every per-IP limit (ours and allauth's).

    With no proxy trusted (TRUSTED_PROXY_COUNT = 0, the default) it is REMOTE_ADDR and any
    X-Forwarded-For the client sent is ignored. Behind N proxies we control, each appends the
    address it saw to X-Forwarded-For, so the client is the N-th entry from the right: entries
    further left were written by the client and are never believed.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if not hops:
        return remote
    # Fewer hops than trusted proxies: the leftmost was still written by one of ours.
    return _clean_ip(hops[-min(trusted, len(hops))]) or remote
