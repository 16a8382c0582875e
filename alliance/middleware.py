import logging
import re

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from kombu.exceptions import OperationalError as BrokerOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

OUTAGE_ERRORS = (
    OperationalError,
    InterfaceError,
    RedisConnectionError,
    RedisTimeoutError,
    BrokerOperationalError,  # Celery could not reach the broker to queue a task
)


def is_outage(exception: BaseException | None) -> bool:
    """True for "a backing service is down or restarting", as opposed to a bug."""
    if exception is None:
        return False
    if isinstance(exception, OUTAGE_ERRORS):
        return True
    return isinstance(exception, DatabaseError) and "connection" in str(exception).lower()


def outage_response() -> HttpResponse:
    """The "try again" page. Rendered without a request context: no database, no session."""
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = "10"
    response["Cache-Control"] = "no-store"
    return response


class ServiceUnavailableMiddleware:
    """While the database or Redis is down, say "try again" with a 503, never a 500 trace.

    This catches outages raised by views; `alliance.views.error_500` catches those raised by
    other middleware (e.g. the session being saved while PostgreSQL restarts).
    Nothing the visitor sent is half-saved: services write inside one transaction.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_outage(exception):
            logger.warning(
                "Service unavailable: %s: %s",
                exception.__class__.__name__,
                exception,
                extra={"path": request.path, "method": request.method},
            )
            return outage_response()
        return None


class RequestSizeLimitMiddleware:
    """Refuse bodies larger than MAX_REQUEST_BODY_SIZE with a 413 before anything reads them.

    Django already limits form fields (DATA_UPLOAD_MAX_MEMORY_SIZE, ..._NUMBER_FIELDS) but not
    file uploads, which it streams to disk; this caps the whole body, uploads included.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.MAX_REQUEST_BODY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return HttpResponse("Bad Content-Length.", status=400, content_type="text/plain")
        if limit and length > limit:
            logger.warning("Request body too large: %s bytes", length, extra={"path": request.path})
            return HttpResponse(
                f"That is too much data to send at once (the limit is {limit // 1024 // 1024} MB).",
                status=413,
                content_type="text/plain",
            )
        return self.get_response(request)


# NUL and the other C0 control characters (and DEL): no URL of ours contains one, and
# PostgreSQL refuses NUL in text, so a lookup with one would fail with a 500.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


class MalformedPathMiddleware:
    """Answer 404 to any path holding a control character, before a view can look it up.

    Path converters cannot do this for every pattern (allauth's and the admin's are not ours,
    and `<str:...>` takes anything but a slash), so it is done once, here.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if CONTROL_CHARACTERS.search(request.path_info):
            raise Http404("No such page.")
        return self.get_response(request)


PRIVATE = "private, no-store"


class PrivateResponseCacheMiddleware:
    """Nothing personal is ever kept by a shared cache (or the browser's disk).

    The rule, decided once: a response to a signed-in person, or one a view marked private
    (any `Cache-Control: private`, e.g. a calendar feed read through a secret token), is sent
    `Cache-Control: private, no-store`, whatever the view said. Only responses to anonymous
    visitors keep the view's own header, so only those can be `public`. Every response varies
    on Cookie: the same URL says different things to different people.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        directives = {
            part.strip().split("=")[0] for part in response.get("Cache-Control", "").split(",")
        }
        personal = "private" in directives or (user is not None and user.is_authenticated)
        # never_cache's fuller header (private, no-store, no-cache, ...) is kept as it is.
        if personal and not {"private", "no-store"} <= directives:
            response["Cache-Control"] = PRIVATE
            response.headers.pop("Expires", None)
        patch_vary_headers(response, ["Cookie"])
        return response
