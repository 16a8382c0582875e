"""alliance/retry.py: the backoff every sender uses, and the write that survives a lost
database connection (proved against a real restart by bench/faults)."""

import pytest
from django.db import OperationalError

from alliance.retry import backoff_seconds, through_lost_connection


def test_backoff_doubles_from_the_base_and_stops_at_an_hour():
    assert [backoff_seconds(n, base=30) for n in (0, 1, 2, 3)] == [30, 30, 60, 120]
    assert backoff_seconds(40, base=30) == 3600


def test_a_write_is_run_again_after_a_lost_connection(monkeypatch):
    monkeypatch.setattr("alliance.retry.time.sleep", lambda seconds: None)
    attempts = []

    def write():
        attempts.append(1)
        if len(attempts) < 3:
            raise OperationalError("server closed the connection unexpectedly")
        return 2

    assert through_lost_connection(write) == 2
    assert len(attempts) == 3


def test_a_write_gives_up_after_the_deadline(monkeypatch):
    monkeypatch.setattr("alliance.retry.time.sleep", lambda seconds: None)

    def write():
        raise OperationalError("the database is gone")

    with pytest.raises(OperationalError):
        through_lost_connection(write, retry_seconds=0)
