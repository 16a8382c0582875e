from django.urls import path

from seats.views import activists, advice, agreements, packages, swaps, targets

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
    path("packages/", packages.package_list, name="package_list"),
    path("packages/new/", packages.package_create, name="package_create"),
    path("packages/<int:pk>/", packages.package_detail, name="package_detail"),
    path("packages/<int:pk>/accept/", packages.package_accept, name="package_accept"),
    path("packages/<int:pk>/reject/", packages.package_reject, name="package_reject"),
    path("packages/<int:pk>/seats/", packages.package_seats, name="package_seats"),
    path("packages/<int:pk>/consult/", packages.package_consult, name="package_consult"),
    path("packages/<int:pk>/comment/", packages.package_comment, name="package_comment"),
    path("coverage/", agreements.coverage, name="coverage"),
    path("elections/new/", agreements.election_create, name="election_create"),
    path("swap/", swaps.vote_swap, name="swap"),
    path("swap/<int:pk>/confirm/", swaps.vote_swap_confirm, name="swap_confirm"),
    path("swap/choose/", swaps.vote_swap_choose, name="swap_choose"),
    path("swap/cancel/", swaps.vote_swap_cancel, name="swap_cancel"),
    path("help/", activists.activists, name="activists"),
    path("advice/", advice.advice_lookup, name="advice_lookup"),
    path("advice/<str:ons_code>/", advice.advice_detail, name="advice"),
    path("advice/<str:ons_code>/alert/", advice.advice_alert, name="advice_alert"),
    path("embed/<str:ons_code>/", advice.advice_embed, name="advice_embed"),
    path("alerts/<str:token>/confirm/", advice.alert_confirm, name="alert_confirm"),
    path("alerts/<str:token>/unsubscribe/", advice.alert_unsubscribe, name="alert_unsubscribe"),
    path("<str:boundary_set>/<str:ons_code>/", targets.seat_detail, name="detail"),
]
