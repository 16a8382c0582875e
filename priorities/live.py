"""Change counters for the live views, kept in Redis, and the renders cached against them.

Every write to a round bumps its counter; the board, the projector and the phones poll with
the counter they have (`?v=`) and get an empty 204 while nothing changed, so a room of phones
polling every few seconds costs a cache read each. After a change the board and the projector
are rendered once per version (`cached_render`) and every other open board or projector gets
that render from the cache: a room with three boards and a projector open computes the 600
notes once per change, not four times.

Why a cached render is never older than its version: the counter is bumped twice, once in the
writing transaction and once after it commits. A render reads the version *before* it reads
the rows, so what it caches is at least as new as its key; a render that ran between the two
bumps (it may have read the rows as they were before the commit) is keyed by the first bump's
number, which the second bump leaves behind. Where on-commit hooks never run (a rolled-back
transaction, a test inside one) the first bump alone invalidates.

A lost counter (Redis restarted or the key expired) starts again from a fresh number taken
from the clock, never from one a cached render may still carry. Cluster changes have a
counter of their own: phones only need to redraw their dot buttons when the clusters change.
"""

import logging
import time
from collections.abc import Callable

from django.core.cache import cache
from django.db import transaction

TIMEOUT = 60 * 60 * 24
RENDER_TIMEOUT = 60 * 10  # well under TIMEOUT: a cached render never outlives its counter

logger = logging.getLogger(__name__)


def _fresh() -> int:
    return time.time_ns() // 1000  # microseconds: no counter restarts on a number used before


def _bump(key: str) -> None:
    cache.add(key, _fresh(), timeout=TIMEOUT)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, _fresh(), timeout=TIMEOUT)


def _version(key: str) -> str:
    value = cache.get(key)
    if value is None:
        cache.add(key, _fresh(), timeout=TIMEOUT)
        value = cache.get(key, 0)
    return str(value)


def round_changed(round_id: int, *, clusters: bool = False) -> None:
    def bump() -> None:
        _bump(f"priorities:v:{round_id}")
        if clusters:
            _bump(f"priorities:cv:{round_id}")

    try:
        bump()
    except Exception:  # Redis down: the write goes ahead; pollers may redraw late
        logger.warning("Could not bump the live version of round %s", round_id, exc_info=True)
    transaction.on_commit(bump, robust=True)


def round_version(round_id: int) -> str:
    return _version(f"priorities:v:{round_id}")


def clusters_version(round_id: int) -> str:
    return _version(f"priorities:cv:{round_id}")


def cached_render(key: str, version: str, render: Callable[[], str]) -> str:
    """`render()` once per (`key`, `version`); the version must be read before the rows the
    render reads (see the module docstring)."""
    cache_key = f"priorities:render:{key}:{version}"
    html = cache.get(cache_key)
    if html is None:
        html = render()
        cache.set(cache_key, html, timeout=RENDER_TIMEOUT)
    return html
