"""The README's run command: email printed to the console, and DEBUG off by default so a missing
page shows the designed 404 (and 403, 500) a visitor would see; DEBUG=1 turns Django's debug
pages back on. WhiteNoise serves the static files straight from the app folders meanwhile."""

from .base import *  # noqa: F403
from .base import env, env_bool

DEBUG = env_bool("DEBUG", False)
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "0.0.0.0"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Without DEBUG, runserver serves no static files: WhiteNoise finds them without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Uploaded files are served by runserver itself (alliance/urls.py), DEBUG or not.
SERVE_MEDIA = True
