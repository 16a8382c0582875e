"""Production: strict, everything from the environment. `manage.py check --deploy` is clean."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import LOGGING, env, env_bool, env_int

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if len(SECRET_KEY) < 50 and not env_bool("ALLOW_BUILD_WITHOUT_SECRET"):
    raise ImproperlyConfigured("Set SECRET_KEY to a random string of 50 or more characters.")

# Links in emails and feeds are built from SITE_URL alone: a default would send people to
# 127.0.0.1. A build step (collectstatic) that sends no email may skip it, as for SECRET_KEY.
SITE_URL = env("SITE_URL").strip().rstrip("/")
if not SITE_URL.startswith(("https://", "http://")) and not env_bool("ALLOW_BUILD_WITHOUT_SECRET"):
    raise ImproperlyConfigured(
        "Set SITE_URL to the address people use, e.g. https://alliance.example.org: "
        "every link in emails and calendar feeds starts with it."
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

# One JSON object per line, for whatever collects the logs.
LOGGING["formatters"]["json"] = {
    "()": "alliance.logging.JsonFormatter",
}
LOGGING["handlers"]["console"]["formatter"] = "json"
# Celery's worker and beat log through the same JSON handler instead of their own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Every database connection is checked before reuse (base.py) and kept for CONN_MAX_AGE.
# The CSRF token reaches htmx through the page, never through JavaScript reading the cookie.
CSRF_COOKIE_HTTPONLY = True
