from django.urls import path

from mailinglists import views

app_name = "mailinglists"
urlpatterns = [
    # The links in emails: three fixed segments, so no group slug can shadow them.
    path("email/confirm/<str:token>/", views.confirm, name="confirm"),
    path("email/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("email/forget/<str:token>/", views.forget, name="forget"),
    path("<slug:slug>/", views.list_overview, name="overview"),
    path("<slug:slug>/subscribe/", views.subscribe, name="subscribe"),
    path("<slug:slug>/new/", views.mailing_create, name="mailing_create"),
    path("<slug:slug>/mailings/<int:mailing_id>/", views.mailing_detail, name="mailing"),
]
