from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from alliance import views

# The admin signs in through allauth: its rate limits (failed logins per IP and per account)
# and two-factor authentication apply to staff too.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", views.home, name="home"),
    path("privacy/", views.privacy, name="privacy"),
    path("health/", views.health, name="health"),
    path("ping/", views.ping, name="ping"),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("groups/", include("groups.urls")),
    path("events/clashes/", include("clashes.urls")),
    path("events/", include("events.urls")),
    path("petitions/", include("petitions.urls")),
    path("seats/", include("seats.urls")),
    path("conversations/", include("conversations.urls")),
    path("priorities/", include("priorities.urls")),
    path("primaries/", include("primaries.urls")),
    path("lists/", include("mailinglists.urls")),
    path("admin/", admin.site.urls),
]

handler403 = "alliance.views.error_403"
handler404 = "alliance.views.error_404"
handler500 = "alliance.views.error_500"

if settings.DEBUG or getattr(settings, "SERVE_MEDIA", False):
    # Uploaded files from the app itself: only `make run` (settings.local) and DEBUG.
    from django.urls import re_path
    from django.views.static import serve

    urlpatterns += [
        re_path(
            rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.*)$",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    ]
