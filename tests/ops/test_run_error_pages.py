"""`make run` (scripts/run.py: runserver with alliance.settings.local) shows the designed error
pages, not Django's debug pages, and still serves the stylesheets they use."""

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import subprocess_env

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run_server(db):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    database = settings.DATABASES["default"]
    env = {
        **subprocess_env(),
        "DJANGO_SETTINGS_MODULE": "alliance.settings.local",
        "DATABASE_URL": (
            f"postgres://{database['USER']}:{database.get('PASSWORD') or ''}"
            f"@{database.get('HOST') or '127.0.0.1'}:{database.get('PORT') or 5432}"
            f"/{database['NAME']}"
        ),
    }
    env.pop("DEBUG", None)
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.2)
    yield base
    server.terminate()
    server.wait(timeout=15)


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_make_run_shows_the_designed_404_and_serves_static_files(run_server):
    status, body = _get(run_server + "/no-such-page/")
    assert status == 404
    assert "<h1>Page not found</h1>" in body
    assert "Using the URLconf" not in body  # Django's debug page
    status, css = _get(run_server + "/static/css/alliance.css")
    assert status == 200 and ".skip-link" in css
