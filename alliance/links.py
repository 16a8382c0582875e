"""Absolute links for emails, feeds and anything read away from the site: one rule, SITE_URL.

Never the request's Host header: an email sent from a worker has no request, a calendar app
has no session, and a Host header is whatever the client sent.
"""

from urllib.parse import urlsplit

from django.conf import settings


def absolute_url(path_or_object) -> str:
    """SITE_URL + a path (or an object's get_absolute_url())."""
    path = path_or_object if isinstance(path_or_object, str) else path_or_object.get_absolute_url()
    if not path.startswith("/"):
        raise ValueError(f"absolute_url takes a path starting with '/', not {path!r}")
    return settings.SITE_URL + path


def on_site(url: str) -> str:
    """The same link with SITE_URL's scheme and host (for URLs a library built from a request)."""
    parts = urlsplit(url)
    return absolute_url(parts.path + (f"?{parts.query}" if parts.query else ""))


def site_domain() -> str:
    """`alliance.example.org` for SITE_URL `https://alliance.example.org`."""
    return urlsplit(settings.SITE_URL).netloc
