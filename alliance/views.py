import sys
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from alliance.celery import app as celery_app
from alliance.middleware import is_outage, outage_response
from alliance.tasks import BEAT_HEARTBEAT_KEY
from conversations import views as conversations_views
from groups.models import Group


def home(request):
    if request.user.is_authenticated:
        return conversations_views.dashboard(request)
    featured_groups = Group.objects.with_counts().order_by("-created_at")[:6]
    return render(request, "home.html", {"featured_groups": featured_groups})


def ping(request):
    """The bare Django view benchmarks compare against: no database, no cache, no template."""
    return HttpResponse("ok", content_type="text/plain")


def privacy(request):
    context = {
        "contact_email": settings.PRIVACY_CONTACT_EMAIL,
        "session_days": settings.SESSION_COOKIE_AGE // 86400,
        "unconfirmed_hours": settings.PETITIONS_UNCONFIRMED_EXPIRY_HOURS,
        "retention_months": settings.PETITIONS_RETENTION_MONTHS,
    }
    return render(request, "privacy.html", context)


@never_cache
def health(request):
    """Database, broker and beat, each checked for real. 200 only when all three are fine."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as error:  # noqa: BLE001 - reported, not raised
        checks["database"] = f"error: {error.__class__.__name__}"
    try:
        with celery_app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = "ok"
    except Exception as error:  # noqa: BLE001
        checks["broker"] = f"error: {error.__class__.__name__}"
    try:
        last_beat = cache.get(BEAT_HEARTBEAT_KEY)
        fresh = last_beat and timezone.now() - datetime.fromisoformat(last_beat) < timedelta(
            minutes=5
        )
        checks["beat"] = "ok" if fresh else "stale"
    except Exception as error:  # noqa: BLE001
        checks["beat"] = f"error: {error.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", **checks}, status=200 if healthy else 503
    )


def error_403(request, exception=None):
    return render(request, "403.html", status=403)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    """Django calls this inside its `except` block, so the exception is still at hand."""
    if is_outage(sys.exc_info()[1]):
        return outage_response()
    return render(request, "500.html", status=500)
