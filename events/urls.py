from django.urls import path

from events import views

app_name = "events"
urlpatterns = [
    path("", views.calendar_month, name="list"),
    path("month/", views.calendar_month, name="month"),
    path("week/", views.calendar_week, name="week"),
    path("agenda/", views.calendar_agenda, name="agenda"),
    path("new/", views.event_create_choose, name="create_choose"),
    path("new/<slug:slug>/", views.event_create, name="create"),
    path("new/<slug:slug>/clash-check/", views.event_clash_check, name="clash_check"),
    path("<int:pk>/", views.event_detail, name="detail"),
    path("<int:pk>/event.ics", views.event_ics, name="ics"),
    path("<int:pk>/rsvp/", views.event_rsvp, name="rsvp"),
    path("<int:pk>/edit/", views.event_edit, name="edit"),
    path("<int:pk>/duplicate/", views.event_duplicate, name="duplicate"),
    path("<int:pk>/cancel/", views.event_cancel, name="cancel"),
    path("<int:pk>/attendees/", views.event_attendees, name="attendees"),
    path("<int:pk>/attendance/", views.event_attendance, name="attendance"),
    path("<int:pk>/guest-rsvp/", views.event_guest_rsvp, name="guest_rsvp"),
    path("guest/<str:signed>/", views.guest_rsvp_manage, name="guest_rsvp_manage"),
    path("feed.ics", views.feed_calendar, name="feed"),
    path("feeds/group/<slug:slug>.ics", views.feed_group, name="feed_group"),
    path("feeds/party/<slug:slug>.ics", views.feed_party, name="feed_party"),
    path("feeds/private/<str:token>.ics", views.feed_private, name="feed_private"),
    path("my-calendar/", views.my_calendar, name="my_calendar"),
    path("imports/<slug:slug>/", views.feed_list, name="feed_list"),
    path("imports/feed/<int:pk>/preview/", views.feed_preview, name="feed_preview"),
    path("imports/feed/<int:pk>/confirm/", views.feed_confirm, name="feed_confirm"),
    path("imports/feed/<int:pk>/sync/", views.feed_sync, name="feed_sync"),
    path("imports/feed/<int:pk>/delete/", views.feed_delete, name="feed_delete"),
]
