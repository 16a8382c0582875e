"""Settings shared by every environment. Everything that differs comes from the environment.

Django and the services it talks to first (data stores, email, Celery), then one section per
app (apps with no settings have none), then the one beat schedule, grouped by app. Code reads
`settings.X` and never repeats a default: the default is written here once.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    return env(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(env(name, str(default)))


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


SECRET_KEY = env("SECRET_KEY", "insecure-local-only-key-change-me")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Every absolute link in emails and feeds starts with this (alliance.links.absolute_url).
# production.py requires it; `make run` sets it from the HOST and PORT it serves on.
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# The site's name in emails (allauth's "Hello from ...") and on the django.contrib.sites row.
SITE_NAME = env("SITE_NAME", "Alliance")
SITE_ID = 1

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_filters",
    "csp",
    "accounts",
    "groups",
    "seats",
    "events",
    "clashes",
    "petitions",
    "outbox",
    "conversations",
    "priorities",
    "primaries",
    "mailinglists",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "alliance.middleware.MalformedPathMiddleware",
    "alliance.middleware.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "alliance.middleware.PrivateResponseCacheMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "alliance.middleware.ServiceUnavailableMiddleware",
]

ROOT_URLCONF = "alliance.urls"
WSGI_APPLICATION = "alliance.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "alliance.context_processors.site",
            ],
        },
    },
]

# --- Data stores ----------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/alliance"),
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# JIT compiles big calendar queries for longer than they take to run; plain plans win here.
DATABASES["default"].setdefault("OPTIONS", {}).update(
    {"connect_timeout": 5, "options": "-c jit=off"}
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", "alliance"),
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Forms -----------------------------------------------------------------------------
# A list's filters offer "Any" where Django would show "---------" (alliance/forms.py does the
# same for the other forms).
FILTERS_EMPTY_CHOICE_LABEL = "Any"

# --- Static and media ------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Content-Security-Policy (django-csp) ---------------------------------------------
# Only our own files run: no inline <script>, no on*= attributes, no eval (templates/base.html
# tells htmx not to try). Style *attributes* may be inline (style-src-attr): they carry colours
# from data (party badges, the map legend), and CSS in an attribute cannot run code. <style>
# elements may not, except the self-contained 500/503 pages (no static files needed while
# something is broken), allowed by the hash of their one rule set. allauth's TOTP QR code is a
# data: image.
ERROR_PAGE_STYLE_HASH = "'sha256-auiRrpxl6TWD4ZUV06SzbiTDI6DhHPLpb0DjZqgITLM='"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, ERROR_PAGE_STYLE_HASH],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# Hostile clients get a clean 400 instead of tying up a worker.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Email ----------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Alliance <no-reply@alliance.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery ---------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task whose worker died is handed to another worker after this many seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 60)}
# Calendar imports have their own queue and workers (Procfile "importer"), so a slow calendar
# never delays a clash alert or a petition email on the default queue. A worker started
# without -Q consumes both queues.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = (Queue("celery"), Queue("imports"))
CELERY_TASK_ROUTES = {
    "events.tasks.calendar_feed_sync_task": {"queue": "imports"},
    "events.tasks.calendar_feeds_sync_due_task": {"queue": "imports"},
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}


# === Apps: one section each ===========================================================

# --- alliance (the project: requests, proxies, rate limits, privacy) ------------------
# The whole body, uploads included (Django does not cap uploads): bigger gets a 413.
MAX_REQUEST_BODY_SIZE = env_int("MAX_REQUEST_BODY_SIZE", 6 * 1024 * 1024)
# How many proxies we control append to X-Forwarded-For in front of the app (deploy/nginx.conf:
# one). 0: no proxy is trusted, every limit counts REMOTE_ADDR and the header is ignored.
# TRUST_X_FORWARDED_FOR=true is the older spelling of 1. Read by alliance.ratelimit.client_ip.
TRUSTED_PROXY_COUNT = env_int(
    "TRUSTED_PROXY_COUNT", 1 if env_bool("TRUST_X_FORWARDED_FOR", False) else 0
)
# Every limit of alliance.ratelimit is multiplied by this (only the bench settings raise it).
RATE_LIMIT_MULTIPLIER = 1
# Shown on the privacy notice: who answers questions about personal data.
PRIVACY_CONTACT_EMAIL = env("PRIVACY_CONTACT_EMAIL", "")

# --- accounts (users, sign-in and two-factor through allauth) -------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False  # mail scanners open links: confirming takes a POST
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
# allauth keeps these counters in the cache (Redis): "action": "limit/period/per".
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_email": "5/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Alliance"
# allauth's own IP detection agrees (our adapter also routes it through client_ip).
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT

# --- seats (constituencies, postcodes) ------------------------------------------------
# A postcodes.io-compatible API, on by default (tests blank it and start their own). Empty:
# people pick constituencies from a list. If it fails, nothing being saved is lost.
POSTCODES_API_URL = env("POSTCODES_API_URL", "https://api.postcodes.io")
POSTCODES_API_TIMEOUT = float(env("POSTCODES_API_TIMEOUT", "3"))

# --- events (the calendar) ------------------------------------------------------------
# Recurring series are expanded this far ahead; imported calendars are capped.
EVENTS_HORIZON_DAYS = env_int("EVENTS_HORIZON_DAYS", 120)
EVENTS_FEED_TIMEOUT = float(env("EVENTS_FEED_TIMEOUT", "10"))
EVENTS_FEED_MAX_BYTES = env_int("EVENTS_FEED_MAX_BYTES", 5 * 1024 * 1024)
EVENTS_FEED_MAX_EVENTS = env_int("EVENTS_FEED_MAX_EVENTS", 5000)
# Only for tests and local runs: let imported calendar URLs point at private addresses.
EVENTS_FEED_ALLOW_PRIVATE_HOSTS = env_bool("EVENTS_FEED_ALLOW_PRIVATE_HOSTS", False)

# --- clashes --------------------------------------------------------------------------
CLASH_TRAVEL_MARGIN = timedelta(minutes=env_int("CLASH_TRAVEL_MARGIN_MINUTES", 30))
CLASH_RADIUS_KM = float(env("CLASH_RADIUS_KM", "5"))
# The beat sweep re-checks this many weeks ahead; outbox rows left "sending" by a dead worker
# are retried after CLASH_OUTBOX_RECLAIM_SECONDS (keep it above CELERY_TASK_TIME_LIMIT).
CLASH_SWEEP_WEEKS = env_int("CLASH_SWEEP_WEEKS", 8)
CLASH_OUTBOX_RECLAIM_SECONDS = env_int("CLASH_OUTBOX_RECLAIM_SECONDS", 360)
CLASH_OUTBOX_RETRY_BASE_SECONDS = env_int("CLASH_OUTBOX_RETRY_BASE_SECONDS", 30)

# --- petitions ------------------------------------------------------------------------
PETITIONS_UNCONFIRMED_EXPIRY_HOURS = env_int("PETITIONS_UNCONFIRMED_EXPIRY_HOURS", 72)
PETITIONS_RETENTION_MONTHS = env_int("PETITIONS_RETENTION_MONTHS", 12)
PETITIONS_SIGN_LIMIT_PER_IP = env_int("PETITIONS_SIGN_LIMIT_PER_IP", 20)
PETITIONS_SIGN_LIMIT_PER_DOMAIN = env_int("PETITIONS_SIGN_LIMIT_PER_DOMAIN", 100)
PETITIONS_SIGN_LIMIT_PERIOD_SECONDS = env_int("PETITIONS_SIGN_LIMIT_PERIOD_SECONDS", 600)
# Someone who keeps signing the same petition gets at most one email per this many seconds.
PETITIONS_RESEND_SECONDS = env_int("PETITIONS_RESEND_SECONDS", 600)
PETITIONS_COUNT_INTERVAL_SECONDS = env_int("PETITIONS_COUNT_INTERVAL_SECONDS", 5)
PETITIONS_COUNT_LOOKBACK_SECONDS = env_int("PETITIONS_COUNT_LOOKBACK_SECONDS", 120)
# Confirmation emails go out at most this many seconds after signing (0: a task per signature).
PETITIONS_CONFIRMATION_KICK_SECONDS = env_int("PETITIONS_CONFIRMATION_KICK_SECONDS", 1)
# A confirmation claimed by a sender that died is claimed again after this (keep it above
# CELERY_TASK_TIME_LIMIT, like CLASH_OUTBOX_RECLAIM_SECONDS).
PETITIONS_CONFIRMATION_RECLAIM_SECONDS = env_int("PETITIONS_CONFIRMATION_RECLAIM_SECONDS", 360)

# --- outbox (every email of the newer features) ---------------------------------------
# A row left "sending" by a dead sender is claimed again after OUTBOX_RECLAIM_SECONDS (keep it
# above CELERY_TASK_TIME_LIMIT); a failed send is retried after 30 s, 60 s, ... (capped at 1 h).
OUTBOX_RECLAIM_SECONDS = env_int("OUTBOX_RECLAIM_SECONDS", 360)
OUTBOX_RETRY_BASE_SECONDS = env_int("OUTBOX_RETRY_BASE_SECONDS", 30)

# --- primaries (open primaries) -------------------------------------------------------
# The voter roll is deleted this many days after the result (counts stay).
PRIMARIES_ROLL_RETENTION_DAYS = env_int("PRIMARIES_ROLL_RETENTION_DAYS", 30)
PRIMARIES_REGISTER_LIMIT_PER_IP = env_int("PRIMARIES_REGISTER_LIMIT_PER_IP", 20)
PRIMARIES_REGISTER_LIMIT_PERIOD_SECONDS = env_int("PRIMARIES_REGISTER_LIMIT_PERIOD_SECONDS", 600)
# A voter asking for their confirmation link again gets at most one email per this many seconds.
PRIMARIES_RESEND_SECONDS = env_int("PRIMARIES_RESEND_SECONDS", 600)

# --- mailinglists (group mailing lists) ------------------------------------------------
# Only verified groups may email more people than this at once; sending and subscribing are
# rate-limited; the worker writes a mailing's emails in batches of this size.
MAILINGLISTS_UNVERIFIED_MAX_RECIPIENTS = env_int("MAILINGLISTS_UNVERIFIED_MAX_RECIPIENTS", 50)
MAILINGLISTS_SENDS_PER_DAY = env_int("MAILINGLISTS_SENDS_PER_DAY", 5)
MAILINGLISTS_SUBSCRIBE_PER_IP_HOUR = env_int("MAILINGLISTS_SUBSCRIBE_PER_IP_HOUR", 10)
MAILINGLISTS_BATCH_SIZE = env_int("MAILINGLISTS_BATCH_SIZE", 500)


# === The beat schedule: one dict, grouped by app ======================================
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # alliance
    "beat-heartbeat": {
        "task": "alliance.tasks.beat_heartbeat_task",
        "schedule": timedelta(minutes=1),
    },
    "sessions-clear": {
        "task": "alliance.tasks.sessions_clear_task",
        "schedule": timedelta(hours=24),
    },
    # groups
    "organiser-invitations-housekeep": {
        "task": "groups.tasks.organiser_invitations_housekeep_task",
        "schedule": timedelta(minutes=10),
    },
    # seats: vote swaps not confirmed in time expire; the matcher also runs after each change.
    "seats-vote-swaps-expire": {
        "task": "seats.tasks.vote_swaps_expire_task",
        "schedule": timedelta(minutes=15),
    },
    "seats-vote-swaps-match": {
        "task": "seats.tasks.vote_swaps_match_task",
        "schedule": timedelta(minutes=15),
    },
    # events
    "events-reminders": {
        "task": "events.tasks.event_reminders_send_task",
        "schedule": timedelta(hours=1),
    },
    "events-series-extend": {
        "task": "events.tasks.event_series_extend_task",
        "schedule": timedelta(hours=6),
    },
    "events-feeds-sync": {
        "task": "events.tasks.calendar_feeds_sync_due_task",
        "schedule": timedelta(hours=1),
    },
    # clashes: the tasks live in clashes/tasks.py and keep these names (messages already queued).
    "clashes-sweep": {
        "task": "events.clash_tasks.clashes_sweep_task",
        "schedule": timedelta(minutes=30),
    },
    "clash-notifications-deliver": {
        "task": "events.clash_tasks.clash_notifications_deliver_task",
        "schedule": timedelta(minutes=1),
    },
    "clash-digest-send": {
        "task": "events.clash_tasks.clash_digest_send_task",
        "schedule": crontab(hour=7, minute=0),
    },
    # petitions
    "petitions-count": {
        "task": "petitions.tasks.petitions_count_task",
        "schedule": timedelta(seconds=PETITIONS_COUNT_INTERVAL_SECONDS),
        "options": {"expires": PETITIONS_COUNT_INTERVAL_SECONDS * 2},
    },
    "petitions-send-confirmations": {
        "task": "petitions.tasks.signature_confirmations_send_task",
        "schedule": timedelta(seconds=30),
        "options": {"expires": 30},
    },
    "petitions-reconcile": {
        "task": "petitions.tasks.petitions_reconcile_task",
        "schedule": timedelta(hours=1),
    },
    "petitions-expire-unconfirmed": {
        "task": "petitions.tasks.signatures_expire_task",
        "schedule": timedelta(minutes=30),
    },
    "petitions-close-due": {
        "task": "petitions.tasks.petitions_close_due_task",
        "schedule": timedelta(minutes=1),
    },
    "petitions-retention": {
        "task": "petitions.tasks.petitions_retention_task",
        "schedule": timedelta(hours=24),
    },
    "petitions-response-emails": {
        "task": "petitions.tasks.petition_responses_emails_sweep_task",
        "schedule": timedelta(minutes=10),
    },
    # outbox: delivery after every commit, and this run as a safety net.
    "outbox-deliver": {
        "task": "outbox.tasks.outbox_deliver_task",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 60},
    },
    # conversations: proposals close at their deadline, one reminder a day before, summaries.
    "conversations-proposals-close": {
        "task": "conversations.tasks.proposals_close_due_task",
        "schedule": timedelta(minutes=1),
    },
    "conversations-proposals-remind": {
        "task": "conversations.tasks.proposals_remind_task",
        "schedule": timedelta(minutes=15),
    },
    "conversations-daily-summaries": {
        "task": "conversations.tasks.daily_summaries_send_task",
        "schedule": crontab(hour=18, minute=0),
    },
    "conversations-weekly-digest": {
        "task": "conversations.tasks.digest_send_weekly_task",
        "schedule": crontab(hour="8-12", minute=0, day_of_week=1),  # reruns send nothing twice
    },
    # primaries
    "primaries-count-due": {
        "task": "primaries.tasks.primaries_count_due_task",
        "schedule": timedelta(minutes=1),
    },
    "primaries-ballots-send": {
        "task": "primaries.tasks.primaries_ballots_send_task",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 60},
    },
    "primaries-rolls-delete": {
        "task": "primaries.tasks.primaries_rolls_delete_task",
        "schedule": timedelta(hours=24),
    },
    # mailinglists
    "mailinglists-send-queued": {
        "task": "mailinglists.tasks.mailings_send_queued_task",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 60},
    },
}
