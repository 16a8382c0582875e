"""Signers without an account: see, download and forget what a signature holds about them.

Reached from the link in the confirmation email. The link carries the signature's secret
token signed with the site's key (a separate salt from the confirm/remove links), so it cannot
be made from anything else a visitor could know. GET shows; only POST acts.
"""

import json

from django.core import signing
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from alliance.links import absolute_url
from petitions.models import Signature
from petitions.personal_data import signature_data
from petitions.services.retention import signatures_anonymise

SALT = "petitions.signer-data"


def signer_data_token(signature: Signature) -> str:
    return signing.Signer(salt=SALT).sign(signature.token)


def signer_data_url(signature: Signature) -> str:
    """The absolute link put in the confirmation email."""
    return absolute_url(
        reverse("petitions:signer_data", kwargs={"signed": signer_data_token(signature)})
    )


def _signature_for(signed: str) -> Signature | None:
    try:
        token = signing.Signer(salt=SALT).unsign(signed)
    except signing.BadSignature:
        return None
    return Signature.objects.select_related("petition", "constituency").filter(token=token).first()


def _is_anonymised(signature: Signature) -> bool:
    return not (signature.email or signature.name or signature.postcode or signature.ip)


def _missing(request):
    return render(request, "petitions/signer_data_missing.html", status=404)


@never_cache
@require_http_methods(["GET", "POST"])
def signer_data(request, signed):
    signature = _signature_for(signed)
    if signature is None:
        return _missing(request)
    if request.method == "POST":
        petition = signature.petition
        signatures_anonymise(signatures=Signature.objects.filter(pk=signature.pk))
        return render(request, "petitions/signer_data_done.html", {"petition": petition})
    return render(
        request,
        "petitions/signer_data.html",
        {
            "signature": signature,
            "petition": signature.petition,
            "data": signature_data(signature),
            "anonymised": _is_anonymised(signature),
            "remove_url": reverse("petitions:remove", kwargs={"token": signature.token}),
        },
    )


@never_cache
@require_GET
def signer_data_download(request, signed):
    signature = _signature_for(signed)
    if signature is None:
        return _missing(request)
    response = HttpResponse(
        json.dumps({"signature": signature_data(signature)}, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="alliance-signature-{signature.petition.slug}.json"'
    )
    return response
