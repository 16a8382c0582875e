from django.urls import path

from primaries import views

app_name = "primaries"

urlpatterns = [
    path("", views.index, name="index"),
    # Set-up and the roll: staff of the parties in the agreement
    path("agreement/<int:agreement_pk>/", views.setup, name="setup"),
    path("agreement/<int:agreement_pk>/rules/", views.rules, name="rules"),
    path("agreement/<int:agreement_pk>/candidate/", views.candidate, name="candidate"),
    path("agreement/<int:agreement_pk>/accept/", views.accept, name="accept"),
    path("agreement/<int:agreement_pk>/roll/", views.roll, name="roll"),
    path("agreement/<int:agreement_pk>/roll/<int:voter_pk>/", views.review, name="review"),
    # Public, once every party has accepted the rules
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/can-i-vote/", views.can_i_vote, name="can_i_vote"),
    path("<int:pk>/register/", views.register, name="register"),
    path("<int:pk>/register/sent/", views.registered, name="registered"),
    path("<int:pk>/receipt/", views.receipt, name="receipt"),
    path("<int:pk>/result/", views.result, name="result"),
    path("<int:pk>/ballots.csv", views.ballots_csv, name="ballots_csv"),
    path("candidates/<int:pk>/photo/<str:name>", views.candidate_photo, name="candidate_photo"),
    # Links emailed to voters
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("vote/<str:token>/", views.vote, name="vote"),
]
