"""A party answers a petition addressed to it; the public list of petitions still waiting for
their party's answer."""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import F
from django.shortcuts import redirect, render

from groups.models import Party
from groups.permissions import user_staff_party_ids
from petitions.forms import ResponseForm
from petitions.models import Petition, PetitionStatus
from petitions.permissions import petition_get_for_responder
from petitions.services.responses import petition_respond

PAGE_SIZE = 20
SLUG = re.compile(r"[-a-zA-Z0-9_]{1,50}")


@login_required
def petition_response(request, slug):
    """The staff of the party a petition is addressed to write its one answer."""
    petition = petition_get_for_responder(user=request.user, slug=slug)
    if hasattr(petition, "response"):
        messages.info(request, "This petition has been answered already.")
        return redirect(petition)
    form = ResponseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            petition_respond(petition=petition, user=request.user, body=form.cleaned_data["body"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, "Your answer is on the petition page and is being emailed to signers."
            )
            return redirect(petition)
    return render(request, "petitions/petition_response.html", {"petition": petition, "form": form})


def petitions_awaiting_response(request):
    """Public: open and closed petitions addressed to a party that has not answered yet, the
    most signed first; ?party=<slug> for one party."""
    petitions = (
        Petition.objects.filter(
            status__in=[PetitionStatus.OPEN, PetitionStatus.CLOSED],
            target_party__isnull=False,
            response__isnull=True,
        )
        .select_related("group", "target_party", "tally")
        .order_by(F("tally__confirmed_count").desc(nulls_last=True), "-created_at", "pk")
    )
    parties = Party.objects.filter(petitions_addressed__isnull=False).distinct().order_by("name")
    slug = request.GET.get("party", "")
    party = parties.filter(slug=slug).first() if SLUG.fullmatch(slug) else None
    if party is not None:
        petitions = petitions.filter(target_party=party)
    page = Paginator(petitions, PAGE_SIZE).get_page(request.GET.get("page"))
    mine = user_staff_party_ids(request.user) if request.user.is_authenticated else set()
    return render(
        request,
        "petitions/petitions_awaiting.html",
        {
            "page_obj": page,
            "parties": parties,
            "party": party,
            "my_party_ids": mine,
        },
    )
