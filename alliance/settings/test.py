"""Tests run against the real PostgreSQL and Redis; only speed and outside keys change."""

import os
import re

from .base import *  # noqa: F403
from .base import CACHES, env

# Tests use Redis database 1 by default so a local run never touches the app's own data.
REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/1")

# Under pytest-xdist each process gets its own Redis database (gw0 -> base + 1, gw1 -> base + 2):
# a real Celery worker started by one process must never take tasks queued by another, and one
# process's purge must not empty another's queue. PostgreSQL is already split by pytest-django
# (test_<name>_gw0, ...).
_xdist_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _xdist_worker:
    _index = int(re.sub(r"\D", "", _xdist_worker) or 0)
    _base, _, _db = REDIS_URL.rpartition("/")
    REDIS_URL = f"{_base}/{(int(_db or 0) + 1 + _index) % 16}"

CACHES["default"]["LOCATION"] = REDIS_URL
CELERY_BROKER_URL = REDIS_URL if _xdist_worker else env("CELERY_BROKER_URL", REDIS_URL)

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The real-worker tests point this at an SMTP sink on loopback.
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
# No internet: only a test's own postcodes.io-compatible server on loopback (the real-worker
# tests hand its address to the worker here; the web side sets the setting directly).
POSTCODES_API_URL = env("ALLIANCE_TEST_POSTCODES_API_URL", "")
SECRET_KEY = "test-only-secret-key-not-used-anywhere-else-0123456789"
DEBUG = False
ALLOWED_HOSTS = ["*"]
# A prefix per run (and per xdist process) keeps parallel test runs on one Redis from seeing
# each other's counters.
CACHES["default"]["KEY_PREFIX"] = env("CACHE_KEY_PREFIX", "alliance-test") + (
    f"-{_xdist_worker}" if _xdist_worker else ""
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CELERY_TASK_ALWAYS_EAGER = False
