"""/health/: 200 only when the database, the broker and beat are all fine."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from alliance.celery import app as celery_app
from alliance.tasks import BEAT_HEARTBEAT_KEY, beat_heartbeat_task


@pytest.fixture
def beat_ran():
    beat_heartbeat_task()  # what beat runs every minute
    yield
    cache.delete(BEAT_HEARTBEAT_KEY)


def test_healthy_with_a_recent_beat_heartbeat(client, db, beat_ran):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok", "beat": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_stale_without_a_beat_heartbeat(client, db):
    cache.delete(BEAT_HEARTBEAT_KEY)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["beat"] == "stale"
    assert response.json()["database"] == "ok"


def test_stale_when_beat_last_ran_ten_minutes_ago(client, db):
    cache.set(BEAT_HEARTBEAT_KEY, (timezone.now() - timezone.timedelta(minutes=10)).isoformat())
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["beat"] == "stale"


def test_broker_unreachable_is_503(client, db, beat_ran, closed_port, monkeypatch):
    monkeypatch.setitem(celery_app.conf, "broker_url", f"redis://127.0.0.1:{closed_port}/0")
    response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["broker"].startswith("error")
    assert body["database"] == "ok"


@pytest.mark.django_db(transaction=True)
def test_database_unreachable_is_503(client, beat_ran, closed_port, monkeypatch):
    connection.close()
    monkeypatch.setitem(connection.settings_dict, "PORT", str(closed_port))
    monkeypatch.setitem(connection.settings_dict, "HOST", "127.0.0.1")
    try:
        response = client.get("/health/")
    finally:
        connection.close()
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "error: OperationalError"
    assert body["broker"] == "ok"


def test_a_beat_that_just_started_is_healthy_at_once(client, db, tmp_path):
    """A real `celery beat` process records its heartbeat when it starts, not a minute later."""
    import subprocess
    import sys
    import time

    from django.conf import settings

    from tests.conftest import ROOT, subprocess_env

    cache.delete(BEAT_HEARTBEAT_KEY)
    env = {
        **subprocess_env(),
        "DJANGO_SETTINGS_MODULE": "alliance.settings.test",
        "REDIS_URL": settings.REDIS_URL,
        "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
    }
    beat = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "alliance",
            "beat",
            "--loglevel=WARNING",
            "--schedule",
            str(tmp_path / "schedule"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while cache.get(BEAT_HEARTBEAT_KEY) is None and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        beat.terminate()
        beat.wait(timeout=15)
    assert client.get("/health/").json()["beat"] == "ok"
