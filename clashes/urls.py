"""Mounted under /events/clashes/ (alliance/urls.py): links in emails already sent, such as
the unsubscribe link, keep working."""

from django.urls import path

from clashes import views

app_name = "clashes"
urlpatterns = [
    path("", views.clash_list, name="list"),
    path("<int:pk>/", views.clash_detail, name="detail"),
    path("<int:pk>/acknowledge/", views.clash_acknowledge, name="acknowledge"),
    path("<int:pk>/dismiss/", views.clash_dismiss, name="dismiss"),
    path("<int:pk>/merge/", views.clash_merge, name="merge"),
    path("<int:pk>/propose/", views.clash_propose, name="propose"),
    path("<int:pk>/notes/", views.clash_note_add, name="note"),
    path("proposals/<int:pk>/", views.joint_proposal_detail, name="proposal"),
    path("proposals/<int:pk>/accept/", views.joint_proposal_accept, name="proposal_accept"),
    path("proposals/<int:pk>/decline/", views.joint_proposal_decline, name="proposal_decline"),
    path("notifications/", views.clash_notification_settings, name="notifications"),
    path("unsubscribe/<str:token>/", views.clash_unsubscribe, name="unsubscribe"),
]
