from django.urls import path

from seats import views

app_name = "seats"
urlpatterns = [
    path("", views.seat_list, name="list"),
    path("map/", views.seat_map, name="map"),
    path("pacts/", views.pact_list, name="pacts"),
    path("pacts/reciprocity/", views.reciprocity, name="reciprocity"),
    path("agreements/", views.agreement_list, name="agreement_list"),
    path("agreements/new/", views.agreement_create, name="agreement_create"),
    path("agreements/<int:pk>/", views.agreement_detail, name="agreement_detail"),
    path("agreements/<int:pk>/accept/", views.agreement_accept, name="agreement_accept"),
    path("agreements/<int:pk>/withdraw/", views.agreement_withdraw, name="agreement_withdraw"),
    path("agreements/<int:pk>/terms/", views.agreement_terms, name="agreement_terms"),
    path("swap/", views.vote_swap, name="swap"),
    path("swap/<int:pk>/confirm/", views.vote_swap_confirm, name="swap_confirm"),
    path("swap/cancel/", views.vote_swap_cancel, name="swap_cancel"),
    path("help/", views.activists, name="activists"),
    path("<str:boundary_set>/<str:ons_code>/", views.seat_detail, name="detail"),
]
