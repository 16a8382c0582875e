"""What every sender does when something fails: back off exponentially before the next
attempt, and keep a write that records a sent email going through a lost database connection.
"""

import time
from collections.abc import Callable
from typing import TypeVar

from django.db import InterfaceError, OperationalError, connection

T = TypeVar("T")

BACKOFF_CAP_SECONDS = 3600


def backoff_seconds(attempts: int, *, base: float) -> float:
    """base, 2 × base, 4 × base, ... after the 1st, 2nd, 3rd attempt; capped at an hour."""
    return min(base * 2 ** max(0, attempts - 1), BACKOFF_CAP_SECONDS)


def through_lost_connection(write: Callable[[], T], *, retry_seconds: float = 60) -> T:
    """Run `write`; if the database connection is lost (a restart, found by bench/faults),
    reconnect and run it again, for up to `retry_seconds`. For the write that records an
    email as sent: the message is already out, so giving up would leave the row to be
    claimed and sent a second time."""
    deadline = time.monotonic() + retry_seconds
    delay = 0.5
    while True:
        try:
            return write()
        except (OperationalError, InterfaceError):
            if time.monotonic() > deadline:
                raise
            connection.close()
            time.sleep(delay)
            delay = min(delay * 2, 5)
