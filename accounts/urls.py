from django.urls import path

from accounts import data_views, views

app_name = "accounts"
urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("data/", data_views.data_overview, name="data"),
    path("data/export/", data_views.data_export, name="data_export"),
    path("delete/", data_views.account_delete, name="delete"),
]
