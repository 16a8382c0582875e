"""SITE_URL is required in production and follows `make run`'s HOST and PORT; the postcode
lookup is on by default outside the tests."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management.utils import get_random_secret_key

from tests.conftest import subprocess_env

ROOT = Path(__file__).resolve().parents[2]
PRINT_SETTINGS = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.SITE_URL); print(settings.POSTCODES_API_URL)"
)


def _settings_in_child(module: str, **env: str | None) -> subprocess.CompletedProcess:
    child_env = {**subprocess_env(), "DJANGO_SETTINGS_MODULE": module}
    for name in ("SITE_URL", "POSTCODES_API_URL", "ALLOW_BUILD_WITHOUT_SECRET"):
        child_env.pop(name, None)
    for name, value in env.items():
        if value is not None:
            child_env[name] = value
    return subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        cwd=ROOT,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("site_url", [None, "", "alliance.example.org"])
def test_production_refuses_to_start_without_site_url(site_url):
    result = _settings_in_child(
        "alliance.settings.production", SECRET_KEY=get_random_secret_key(), SITE_URL=site_url
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "SITE_URL" in result.stderr


def test_production_takes_site_url_from_the_environment():
    result = _settings_in_child(
        "alliance.settings.production",
        SECRET_KEY=get_random_secret_key(),
        SITE_URL="https://alliance.example.org/",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "https://alliance.example.org"


def test_postcode_lookup_is_on_by_default_outside_the_tests():
    result = _settings_in_child("alliance.settings.local")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1] == "https://api.postcodes.io"
    # ... and the test settings switch it off (each test starts its own server).
    result = _settings_in_child("alliance.settings.test")
    assert result.stdout.splitlines()[1] == ""


def _run_script():
    spec = importlib.util.spec_from_file_location("alliance_run_script", ROOT / "scripts/run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("127.0.0.1", 8000, "http://127.0.0.1:8000"),
        ("localhost", 8123, "http://localhost:8123"),
        ("0.0.0.0", 9000, "http://127.0.0.1:9000"),
        ("::", 8000, "http://[::1]:8000"),
        ("::1", 8001, "http://[::1]:8001"),
    ],
)
def test_make_run_sets_site_url_from_where_it_serves(host, port, expected):
    assert _run_script().site_url_for(host, port) == expected


def test_make_run_puts_site_url_in_the_environment_of_what_it_starts():
    # main() sets SITE_URL before its first step; stop it there and read the environment.
    script = (
        "import os, runpy\n"
        "os.environ.pop('SITE_URL', None)\n"
        "os.environ['DATABASE_URL'] = os.environ.get('DATABASE_URL', 'postgres://x/y')\n"
        "os.environ['REDIS_URL'] = os.environ.get('REDIS_URL', 'redis://127.0.0.1:1/0')\n"
        "g = runpy.run_path('scripts/run.py', run_name='not_main')\n"
        "def stop(*args):\n"
        "    print(os.environ['SITE_URL'])\n"
        "    raise KeyboardInterrupt\n"
        "g['main'].__globals__['manage'] = stop\n"
        "g['main']()\n"
    )
    env = {**subprocess_env(), "HOST": "0.0.0.0", "PORT": "8765"}
    env.pop("SITE_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "http://127.0.0.1:8765" in result.stdout.splitlines(), result.stdout + result.stderr
