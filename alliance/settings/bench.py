"""Benchmarks: production-like (DEBUG off, whitenoise with hashed files, real Redis cache,
gunicorn), but plain HTTP on loopback and no outgoing email.

`BENCH_RATE_LIMIT_MULTIPLIER` raises every rate limit (allauth's and alliance.ratelimit's) so a
load client on one IP measures the page rather than the throttle; `BENCH_RATE_LIMITS=off`
switches allauth's limits off entirely.
"""

from .base import *  # noqa: F403
from .base import BASE_DIR, LOGGING, env, env_int

DEBUG = False
SECRET_KEY = env("SECRET_KEY", "bench-only-secret-key-never-used-in-production-0123456789abcdef")
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Hashed, compressed static files as in production, collected to a bench-only folder.
STATIC_ROOT = env("BENCH_STATIC_ROOT", str(BASE_DIR / "var" / "bench-static"))

# No mail leaves the machine; the dummy backend costs nothing (no console I/O in the figures).
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.dummy.EmailBackend")

RATE_LIMIT_MULTIPLIER = env_int("BENCH_RATE_LIMIT_MULTIPLIER", 1000)


def _raise_limits(spec: str, factor: int) -> str:
    """ "10/m/ip,5/5m/key" -> "10000/m/ip,5000/5m/key"."""
    parts = []
    for rule in spec.split(","):
        amount, _, rest = rule.strip().partition("/")
        parts.append(f"{int(amount) * factor}/{rest}")
    return ",".join(parts)


if env("BENCH_RATE_LIMITS", "on").lower() == "off":
    ACCOUNT_RATE_LIMITS = False
else:
    ACCOUNT_RATE_LIMITS = {
        action: _raise_limits(spec, RATE_LIMIT_MULTIPLIER)
        for action, spec in ACCOUNT_RATE_LIMITS.items()  # noqa: F405
    }

# Access logs off; only warnings, so logging is not what is measured.
LOGGING["root"]["level"] = env("LOG_LEVEL", "WARNING")
