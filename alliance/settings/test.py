"""Tests run against the real PostgreSQL and Redis; only speed and outside keys change."""

from .base import *  # noqa: F403
from .base import CACHES, env

# Tests use Redis database 1 by default so a local run never touches the app's own data.
REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/1")
CACHES["default"]["LOCATION"] = REDIS_URL
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The real-worker tests point this at an SMTP sink on loopback.
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
POSTCODES_API_URL = ""
SECRET_KEY = "test-only-secret-key-not-used-anywhere-else-0123456789"
DEBUG = False
ALLOWED_HOSTS = ["*"]
# A prefix per run keeps parallel test runs on one Redis from seeing each other's counters.
CACHES["default"]["KEY_PREFIX"] = env("CACHE_KEY_PREFIX", "alliance-test")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CELERY_TASK_ALWAYS_EAGER = False
