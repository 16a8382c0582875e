from django.urls import path

from petitions import response_views, signer_data_views, views

app_name = "petitions"
urlpatterns = [
    path("", views.petition_list, name="list"),
    path("new/<slug:group_slug>/", views.petition_create, name="create"),
    path(
        "awaiting-response/",
        response_views.petitions_awaiting_response,
        name="awaiting_response",
    ),
    path("staff/moderation/", views.staff_moderation, name="staff_moderation"),
    path("staff/invalidate/", views.staff_invalidate, name="staff_invalidate"),
    path("s/<str:token>/confirm/", views.signature_confirm, name="confirm"),
    path("s/<str:token>/remove/", views.signature_remove, name="remove"),
    path("s/<str:token>/unsubscribe/", views.signature_unsubscribe, name="unsubscribe"),
    path("my-signature/<str:signed>/", signer_data_views.signer_data, name="signer_data"),
    path(
        "my-signature/<str:signed>/download/",
        signer_data_views.signer_data_download,
        name="signer_data_download",
    ),
    path("<slug:slug>/", views.petition_detail, name="detail"),
    path("<slug:slug>.json", views.petition_json, name="json"),
    path("<slug:slug>/sign/", views.petition_sign, name="sign"),
    path("<slug:slug>/signed/", views.petition_signed, name="signed"),
    path("<slug:slug>/image/<str:name>", views.petition_image, name="image"),
    path("<slug:slug>/edit/", views.petition_edit, name="edit"),
    path("<slug:slug>/submit/", views.petition_submit, name="submit"),
    path("<slug:slug>/dashboard/", views.petition_dashboard, name="dashboard"),
    path("<slug:slug>/stall/", views.petition_stall, name="stall"),
    path("<slug:slug>/export/signers.csv", views.petition_export_signers, name="export_signers"),
    path("<slug:slug>/export/counts.csv", views.petition_export_counts, name="export_counts"),
    path("<slug:slug>/update/", views.petition_send_update, name="send_update"),
    path("<slug:slug>/respond/", response_views.petition_response, name="respond"),
    path("<slug:slug>/close/", views.petition_close, name="close"),
    path("<slug:slug>/deliver/", views.petition_deliver, name="deliver"),
]
