"""Change counters kept in Redis, and renders cached against them: the one way an app says
"cache this until that changes" (seats' whole pages, the priorities boards, the calendar).

A counter has a name (`"events:calendar"`, `"priorities:v:12"`). Every write to what it covers
calls `changed(name)`; a reader takes `version(name)` **before** it reads any row, renders, and
stores the render under that version (`cached_render`, or `parts_get`/`parts_set` for a page
made of several rendered parts). A reader that finds a render for the current version uses it.

Why a cached render is never older than its version: `changed` bumps the counter twice, once in
the writing transaction and once after it commits. A render reads the version before it reads
the rows, so what it caches is at least as new as its key; a render that ran between the two
bumps (it may have read the rows as they were before the commit) is keyed by the first bump's
number, which the second bump leaves behind. Where on-commit hooks never run (a rolled-back
transaction, a test inside one) the first bump alone invalidates.

A lost counter (Redis restarted, the key expired, the cache emptied) starts again from a fresh
number taken from the clock, never from one a cached render may still carry.

Redis down: `changed` logs and lets the write go ahead; `version` returns None, and a None
version caches nothing (the page is rendered as if there were no cache).

Process memory: `parts_get` keeps what it read from Redis in this process too, and a counter
read with `memo_seconds` is read from Redis at most that often per process (at once in the
process that made the change): a hit then costs nothing, and another process shows a change
within `memo_seconds`. Leave it 0 where a change must show at once everywhere.
"""

import hashlib
import logging
import time
from collections.abc import Callable

from django.core.cache import cache
from django.db import transaction

COUNTER_TIMEOUT = 60 * 60 * 24 * 7
# Kept below COUNTER_TIMEOUT: a cached render never outlives its counter.
RENDER_TIMEOUT = 60 * 10

logger = logging.getLogger(__name__)

_MEMO: dict[str, tuple[str, float]] = {}  # counter name -> (version, read at, monotonic)
_PARTS: dict[str, tuple[str, float, dict]] = {}  # key -> (version, expires at, parts)
_PARTS_MAX = 256


def _fresh() -> int:
    return time.time_ns() // 1000  # microseconds: no counter restarts on a number used before


def _counter_key(name: str) -> str:
    return f"version:{name}"


def _bump(names: tuple[str, ...]) -> None:
    for name in names:
        _MEMO.pop(name, None)
        key = _counter_key(name)
        cache.add(key, _fresh(), timeout=COUNTER_TIMEOUT)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, _fresh(), timeout=COUNTER_TIMEOUT)


def changed(*names: str) -> None:
    """What these counters cover has changed (or is changing in the current transaction)."""

    def bump() -> None:
        try:
            _bump(names)
        except Exception:  # Redis down: the write goes ahead; readers may cache nothing
            logger.warning("Could not bump the versions %s", names, exc_info=True)

    bump()
    transaction.on_commit(bump, robust=True)


def version(name: str, *, memo_seconds: float = 0.0) -> str | None:
    """The counter's current value (a fresh one if it was lost); None if Redis is down."""
    now = time.monotonic()
    memo = _MEMO.get(name)
    if memo is not None and now - memo[1] <= memo_seconds:
        return memo[0]
    key = _counter_key(name)
    try:
        value = cache.get(key)
        if value is None:
            cache.add(key, _fresh(), timeout=COUNTER_TIMEOUT)
            value = cache.get(key, 0)
    except Exception:
        logger.warning("Could not read the version %s", name, exc_info=True)
        return None
    if memo_seconds:
        _MEMO[name] = (str(value), now)
    return str(value)


def cached_render(
    key: str, version: str | None, render: Callable[[], str], *, timeout: int = RENDER_TIMEOUT
) -> str:
    """`render()` once per (`key`, `version`), shared through Redis; the version must have been
    read before the rows the render reads (see the module docstring)."""
    if version is None:
        return render()
    cache_key = f"render:{key}:{version}"
    try:
        html = cache.get(cache_key)
    except Exception:
        logger.warning("Could not read the cached render %s", key, exc_info=True)
        return render()
    if html is None:
        html = render()
        try:
            cache.set(cache_key, html, timeout=timeout)
        except Exception:
            logger.warning("Could not cache the render %s", key, exc_info=True)
    return html


def page_key(request, name: str, parameters, *extra) -> str | None:
    """A page's cache key from its query string (plus `extra`: the date a page shows, ...), or
    None for a query string with another parameter or a long value, which is not cached."""
    if not set(request.GET) <= set(parameters):
        return None
    items = sorted((key, request.GET.getlist(key)) for key in request.GET)
    if any(len(values) > 4 or any(len(value) > 60 for value in values) for _, values in items):
        return None
    raw = f"{request.get_host()}|{request.path}|{extra}|{items}"
    return f"{name}:{hashlib.sha256(raw.encode()).hexdigest()[:32]}"


def parts_get(key: str, version: str | None) -> dict | None:
    """A page's rendered parts stored by `parts_set` under this version, or None; from this
    process's memory when it has them (no Redis round trip)."""
    if version is None:
        return None
    local = _PARTS.get(key)
    if local is not None and local[0] == version and local[1] > time.monotonic():
        return local[2]
    try:
        entry = cache.get(f"parts:{key}")
    except Exception:
        logger.warning("Could not read the cached page %s", key, exc_info=True)
        return None
    if entry is None or entry.get("version") != version:
        return None
    _remember(key, version, entry["parts"], timeout=entry["timeout"])
    return entry["parts"]


def parts_set(key: str, version: str | None, *, timeout: int = RENDER_TIMEOUT, **parts) -> None:
    """Store a page's rendered parts under the version read before rendering them."""
    if version is None:
        return
    entry = {"version": version, "timeout": timeout, "parts": parts}
    try:
        cache.set(f"parts:{key}", entry, timeout)
    except Exception:
        logger.warning("Could not cache the page %s", key, exc_info=True)
        return
    _remember(key, version, parts, timeout=timeout)


def _remember(key: str, version: str, parts: dict, *, timeout: int) -> None:
    if len(_PARTS) >= _PARTS_MAX:
        _PARTS.clear()
    _PARTS[key] = (version, time.monotonic() + timeout, parts)


def forget_local() -> None:
    """This process's memory of counters and pages (tests start each from an empty cache)."""
    _MEMO.clear()
    _PARTS.clear()
