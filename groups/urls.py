from django.urls import path

from groups import views

app_name = "groups"
urlpatterns = [
    path("", views.group_list, name="list"),
    path("mine/", views.my_groups, name="mine"),
    path("new/", views.group_create, name="create"),
    path("invitations/<str:token>/", views.invitation_detail, name="invitation"),
    path("invitations/<str:token>/accept/", views.invitation_accept, name="invitation_accept"),
    path("invitations/<str:token>/decline/", views.invitation_decline, name="invitation_decline"),
    path("<slug:slug>/", views.group_detail, name="detail"),
    path("<slug:slug>/edit/", views.group_edit, name="edit"),
    path("<slug:slug>/join/", views.group_join, name="join"),
    path("<slug:slug>/leave/", views.group_leave, name="leave"),
    path("<slug:slug>/organisers/", views.group_organisers, name="organisers"),
    path(
        "<slug:slug>/invitations/<int:invitation_id>/revoke/",
        views.group_invitation_revoke,
        name="invitation_revoke",
    ),
    path(
        "<slug:slug>/requests/<int:request_id>/decide/",
        views.group_request_decide,
        name="request_decide",
    ),
    path("<slug:slug>/contact/", views.group_contact, name="contact"),
    path("<slug:slug>/links/new/", views.group_link_request, name="link_request"),
    path("<slug:slug>/links/<int:link_id>/decide/", views.group_link_decide, name="link_decide"),
    path("<slug:slug>/links/<int:link_id>/", views.group_link_detail, name="link_detail"),
    path("<slug:slug>/links/<int:link_id>/end/", views.group_link_end, name="link_end"),
    # Coalitions: the combined calendar, promotions, co-hosts, networks.
    path("<slug:slug>/coalition/", views.group_coalition, name="coalition"),
    path("<slug:slug>/coalition.ics", views.group_coalition_feed, name="coalition_feed"),
    path("<slug:slug>/events/<int:pk>/promote/", views.group_event_promote, name="event_promote"),
    path("<slug:slug>/events/<int:pk>/cohost/", views.group_event_cohost, name="event_cohost"),
    path(
        "<slug:slug>/promotions/<int:pk>/",
        views.coalition_request_detail,
        {"kind": "promotion"},
        name="promotion",
    ),
    path(
        "<slug:slug>/promotions/<int:pk>/decide/",
        views.coalition_request_decide,
        {"kind": "promotion"},
        name="promotion_decide",
    ),
    path(
        "<slug:slug>/cohosting/<int:pk>/",
        views.coalition_request_detail,
        {"kind": "cohosting"},
        name="cohosting",
    ),
    path(
        "<slug:slug>/cohosting/<int:pk>/decide/",
        views.coalition_request_decide,
        {"kind": "cohosting"},
        name="cohosting_decide",
    ),
    path("<slug:slug>/network/", views.group_network, name="network"),
    path(
        "<slug:slug>/network/requests/<int:pk>/",
        views.coalition_request_detail,
        {"kind": "network"},
        name="network_request",
    ),
    path(
        "<slug:slug>/network/requests/<int:pk>/decide/",
        views.coalition_request_decide,
        {"kind": "network"},
        name="network_request_decide",
    ),
]
