from django.urls import path

from seats import views

app_name = "seats"
urlpatterns = [
    path("", views.seat_list, name="list"),
]
