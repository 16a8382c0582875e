"""Change counters for the live views, kept in Redis, and the renders cached against them.

Every write to a round bumps its counter; the board, the projector and the phones poll with
the counter they have (`?v=`) and get an empty 204 while nothing changed, so a room of phones
polling every few seconds costs a cache read each. After a change the board and the projector
are rendered once per version (`cached_render`) and every other open board or projector gets
that render from the cache: a room with three boards and a projector open computes the 600
notes once per change, not four times.

The counters and the cached renders are `alliance/versioned_cache.py`'s (why a cached render
is never older than its version is told there). Cluster changes have a counter of their own:
phones only need to redraw their dot buttons when the clusters change.
"""

import time
from collections.abc import Callable

from alliance import versioned_cache


def _version(name: str) -> str:
    """The counter, or with Redis down a number never seen before: pollers redraw."""
    value = versioned_cache.version(name)
    return value if value is not None else f"down-{time.time_ns()}"


def round_changed(round_id: int, *, clusters: bool = False) -> None:
    names = [f"priorities:v:{round_id}"]
    if clusters:
        names.append(f"priorities:cv:{round_id}")
    versioned_cache.changed(*names)


def round_version(round_id: int) -> str:
    return _version(f"priorities:v:{round_id}")


def clusters_version(round_id: int) -> str:
    return _version(f"priorities:cv:{round_id}")


def cached_render(key: str, version: str, render: Callable[[], str]) -> str:
    """`render()` once per (`key`, `version`); the version must be read before the rows the
    render reads (alliance/versioned_cache.py)."""
    if version.startswith("down-"):
        return render()
    return versioned_cache.cached_render(f"priorities:{key}", version, render)
