from django.urls import path

from seats.views import activists, agreements, swaps, targets

app_name = "seats"
urlpatterns = [
    path("", targets.seat_list, name="list"),
    path("map/", targets.seat_map, name="map"),
    path("pacts/", agreements.pact_list, name="pacts"),
    path("pacts/reciprocity/", agreements.reciprocity, name="reciprocity"),
    path("agreements/", agreements.agreement_list, name="agreement_list"),
    path("agreements/new/", agreements.agreement_create, name="agreement_create"),
    path("agreements/<int:pk>/", agreements.agreement_detail, name="agreement_detail"),
    path("agreements/<int:pk>/accept/", agreements.agreement_accept, name="agreement_accept"),
    path("agreements/<int:pk>/withdraw/", agreements.agreement_withdraw, name="agreement_withdraw"),
    path("agreements/<int:pk>/terms/", agreements.agreement_terms, name="agreement_terms"),
    path("swap/", swaps.vote_swap, name="swap"),
    path("swap/<int:pk>/confirm/", swaps.vote_swap_confirm, name="swap_confirm"),
    path("swap/cancel/", swaps.vote_swap_cancel, name="swap_cancel"),
    path("help/", activists.activists, name="activists"),
    path("<str:boundary_set>/<str:ons_code>/", targets.seat_detail, name="detail"),
]
