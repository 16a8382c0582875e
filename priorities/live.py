"""Change counters for the live views, kept in Redis.

Every write to a round bumps its counter once the transaction commits; the board, the
projector and the phones poll with the counter they have (`?v=`) and get an empty 204 while
nothing changed, so a room of phones polling every few seconds costs a cache read each, and
the full board is rendered only after a change. A lost counter (Redis restart) only means one
extra full render. Cluster changes have a counter of their own: phones only need to redraw
their dot buttons when the clusters change.
"""

from django.core.cache import cache
from django.db import transaction

TIMEOUT = 60 * 60 * 24


def _bump(key: str) -> None:
    cache.add(key, 0, timeout=TIMEOUT)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=TIMEOUT)


def round_changed(round_id: int, *, clusters: bool = False) -> None:
    def bump() -> None:
        _bump(f"priorities:v:{round_id}")
        if clusters:
            _bump(f"priorities:cv:{round_id}")

    transaction.on_commit(bump, robust=True)


def round_version(round_id: int) -> str:
    return str(cache.get(f"priorities:v:{round_id}", 0))


def clusters_version(round_id: int) -> str:
    return str(cache.get(f"priorities:cv:{round_id}", 0))
