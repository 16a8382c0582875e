from django.urls import path

from priorities import views

app_name = "priorities"
urlpatterns = [
    path("", views.index, name="index"),
    path("join/", views.join, name="join"),
    path("join/<str:code>/", views.join_code, name="join_code"),
    path("new/<slug:slug>/", views.round_create, name="create"),
    path("<int:pk>/", views.round_detail, name="round"),
    path("<int:pk>/vote/", views.vote_panel, name="vote_panel"),
    path("<int:pk>/notes/", views.note_add, name="note_add"),
    path("<int:pk>/dots/", views.dot_add, name="dot_add"),
    path("<int:pk>/dots/remove/", views.dot_remove, name="dot_remove"),
    path("<int:pk>/leave/", views.participant_leave, name="leave"),
    path("<int:pk>/board/", views.board, name="board"),
    path("<int:pk>/board/live/", views.board_live, name="board_live"),
    path("<int:pk>/clusters/", views.cluster_create, name="cluster_create"),
    path("<int:pk>/move/", views.note_move, name="move"),
    path("<int:pk>/merge/", views.cluster_merge, name="merge"),
    path("<int:pk>/split/", views.cluster_split, name="split"),
    path("<int:pk>/rename/", views.cluster_rename, name="rename"),
    path("<int:pk>/hide/", views.note_hide, name="hide"),
    path("<int:pk>/projector/", views.projector, name="projector"),
    path("<int:pk>/projector/live/", views.projector_live, name="projector_live"),
    path("<int:pk>/qr.svg", views.join_qr, name="qr"),
    path("<int:pk>/close/", views.round_close, name="close"),
    path("<int:pk>/results/", views.results, name="results"),
    path("<int:pk>/results.csv", views.results_csv, name="results_csv"),
    path("<int:pk>/statement/", views.statement_create, name="statement_create"),
    path("statements/<int:pk>/", views.statement_detail, name="statement"),
    path("statements/<int:pk>/endorse/group/", views.endorse_group, name="endorse_group"),
    path("statements/<int:pk>/endorse/party/", views.endorse_party, name="endorse_party"),
    path("regions/<str:code>/", views.region, name="region"),
]
