from django.urls import path

from conversations import views

app_name = "conversations"
urlpatterns = [
    path("", views.conversation_list, name="list"),
    path("new/", views.conversation_create, name="create"),
    path("digest/", views.digest_settings, name="digest"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path(
        "unsubscribe/<str:token>/one-click/",
        views.unsubscribe_one_click,
        name="unsubscribe_one_click",
    ),
    path("<int:pk>/", views.conversation_detail, name="detail"),
    path("<int:pk>/reply/", views.post_create, name="reply"),
    path("<int:pk>/invite/", views.conversation_invite, name="invite"),
    path("<int:pk>/emails/", views.email_mode_set, name="email_mode"),
    path("<int:pk>/leave/", views.conversation_leave, name="leave"),
    path("<int:pk>/close/", views.conversation_close, name="close"),
    path("<int:pk>/proposals/new/", views.proposal_create, name="proposal_create"),
    path("<int:pk>/polls/new/", views.time_poll_create, name="time_poll_create"),
    path("<int:pk>/ranked/new/", views.ranked_poll_create, name="ranked_poll_create"),
    path("proposals/<int:pk>/", views.proposal_detail, name="proposal"),
    path("proposals/<int:pk>/vote/", views.poll_vote, name="poll_vote"),
    path("proposals/<int:pk>/answer/", views.proposal_answer, name="proposal_answer"),
    path("proposals/<int:pk>/outcome/", views.proposal_outcome, name="proposal_outcome"),
]
