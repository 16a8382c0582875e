"""Fixed-window rate limits kept in Redis, shared by every web process."""

from django.conf import settings
from django.core.cache import cache


def rate_limit_exceeded(*, scope: str, key: str, limit: int, period_seconds: int) -> bool:
    """Count one hit for (scope, key); True once more than `limit` hits fall in the window."""
    limit *= getattr(settings, "RATE_LIMIT_MULTIPLIER", 1)  # raised only by the bench settings
    cache_key = f"ratelimit:{scope}:{key}"
    cache.add(cache_key, 0, timeout=period_seconds)
    try:
        hits = cache.incr(cache_key)
    except ValueError:  # the key expired between add and incr
        cache.set(cache_key, 1, timeout=period_seconds)
        hits = 1
    return hits > limit


def client_ip(request) -> str:
    """The client's address; behind a trusted proxy, the last hop the proxy appended."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and settings.TRUST_X_FORWARDED_FOR:
        return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")
