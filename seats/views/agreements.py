"""Agreements between parties (proposed, accepted, withdrawn), public pacts and reciprocity."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from alliance.forms import form_errors_add
from groups.models import Party
from groups.permissions import user_staff_party_ids
from petitions.permissions import staff_check
from seats import services
from seats.forms import (
    AgreementForm,
    AgreementTermsForm,
    PartyActionForm,
    ReciprocityForm,
    UpcomingElectionForm,
)
from seats.models import Agreement, AgreementStatus, Election
from seats.permissions import agreement_get_for_staff, party_staff_required, user_is_party_staff
from seats.targets import election_seat_rows_cached
from seats.views.common import PAGE_SIZE, latest_election, next_election


def pact_list(request):
    """Public: agreed pacts, per seat, for voters."""
    agreements = (
        Agreement.objects.agreed()
        .select_related("election", "constituency", "package")
        .prefetch_related("parties__party")
        .order_by("constituency__name", "pk")
    )
    page = Paginator(agreements, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "seats/pact_list.html",
        {
            "page_obj": page,
            "is_staff": user_is_party_staff(request.user),
        },
    )


@login_required
def agreement_list(request):
    """Party staff: the agreements their parties are in, at every status."""
    party_staff_required(request.user)
    party_ids = (
        set(Party.objects.values_list("pk", flat=True))
        if request.user.is_superuser
        else user_staff_party_ids(request.user)
    )
    agreements = (
        Agreement.objects.involving(party_ids)
        .select_related("election", "constituency")
        .prefetch_related("parties__party", "acceptances__party")
        .order_by("-updated_at", "pk")
    )
    page = Paginator(agreements, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "seats/agreement_list.html", {"page_obj": page})


def agreement_detail(request, pk):
    """Agreed pacts are public; anything else only for staff of the parties involved."""
    agreement = get_object_or_404(
        Agreement.objects.select_related("election", "constituency"), pk=pk
    )
    is_involved_staff = False
    try:
        agreement_get_for_staff(user=request.user, pk=pk)
        is_involved_staff = True
    except PermissionDenied:
        if agreement.status != AgreementStatus.AGREED:
            raise Http404("No such agreement.")
    party_links = list(agreement.parties.select_related("party"))
    accepted = {a.party_id: a for a in agreement.acceptances.select_related("accepted_by")}
    my_parties = Party.objects.filter(
        pk__in=[
            ap.party_id
            for ap in party_links
            if request.user.is_authenticated
            and (request.user.is_superuser or ap.party_id in user_staff_party_ids(request.user))
        ]
    )
    context = {
        "agreement": agreement,
        "party_links": party_links,
        "accepted": accepted,
        "is_involved_staff": is_involved_staff,
        "history": agreement.history.select_related("actor") if is_involved_staff else [],
        "accept_form": PartyActionForm(parties=my_parties, prefix="accept", with_reason=False)
        if is_involved_staff
        else None,
        "withdraw_form": PartyActionForm(parties=my_parties, prefix="withdraw")
        if is_involved_staff
        else None,
        "terms_form": AgreementTermsForm(
            initial={"terms": agreement.terms, "red_lines": agreement.red_lines}
        )
        if is_involved_staff
        else None,
    }
    return render(request, "seats/agreement_detail.html", context)


@login_required
def agreement_create(request):
    party_staff_required(request.user)
    election = request.GET.get("election") or getattr(next_election(), "slug", None)
    initial = {"election": election}
    if (request.GET.get("seat") or "").isdigit():
        initial["constituency"] = request.GET["seat"]
    form = AgreementForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            agreement = services.agreement_propose(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Agreement proposed. Each party's staff must now accept it.")
            return redirect(agreement)
    return render(request, "seats/agreement_form.html", {"form": form})


def _party_action(request, pk, action, prefix):
    agreement = agreement_get_for_staff(user=request.user, pk=pk)
    parties = Party.objects.filter(pk__in=agreement.parties.values("party_id"))
    form = PartyActionForm(
        request.POST, parties=parties, prefix=prefix, with_reason=prefix == "withdraw"
    )
    if not form.is_valid():
        messages.error(request, "Choose one of the parties in this agreement.")
        return redirect(agreement)
    try:
        action(agreement=agreement, user=request.user, party=form.cleaned_data["party"], form=form)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(agreement)


@login_required
@require_POST
def agreement_accept(request, pk):
    def accept(*, agreement, user, party, form):
        services.agreement_accept(agreement=agreement, user=user, party=party)
        messages.success(request, f"Accepted for {party.name}.")

    return _party_action(request, pk, accept, "accept")


@login_required
@require_POST
def agreement_withdraw(request, pk):
    def withdraw(*, agreement, user, party, form):
        services.agreement_withdraw(
            agreement=agreement, user=user, party=party, reason=form.cleaned_data["reason"]
        )
        messages.success(request, f"{party.name} withdrew from the agreement.")

    return _party_action(request, pk, withdraw, "withdraw")


@login_required
@require_POST
def agreement_terms(request, pk):
    agreement = agreement_get_for_staff(user=request.user, pk=pk)
    form = AgreementTermsForm(request.POST)
    if form.is_valid():
        try:
            services.agreement_update_terms(
                agreement=agreement, user=request.user, **form.cleaned_data
            )
            messages.success(request, "Terms changed: every party must accept them again.")
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    else:
        messages.error(request, "The terms are too long (5,000 characters at most).")
    return redirect(agreement)


def reciprocity(request):
    """Public: the ledger over agreed pacts, for every election, region and package, or one."""
    form = ReciprocityForm(request.GET or None)
    chosen = form.cleaned_data if form.is_valid() else {}
    rows = services.reciprocity_rows(
        election=chosen.get("election"),
        region=chosen.get("region") or "",
        package=chosen.get("package"),
    )
    return render(request, "seats/reciprocity.html", {"rows": rows, "form": form})


@login_required
def election_create(request):
    """Site staff: set up an upcoming general election or by-election (2024 boundaries)."""
    staff_check(user=request.user)
    form = UpcomingElectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            election = services.election_create_upcoming(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, f"{election.name} is set up for pacts, swaps and help.")
            return redirect("seats:election_create")
    upcoming = Election.objects.filter(date__gte=timezone.localdate()).select_related(
        "by_election_seat"
    )
    return render(
        request,
        "seats/election_form.html",
        {"form": form, "upcoming": upcoming.order_by("date", "pk")},
    )


@login_required
def coverage(request):
    """Party staff: target seats with no live agreement yet, by region, for the next general
    election (from the latest results on its boundaries). Staff only: a live agreement that is
    not agreed yet is not public, and its absence here would reveal it."""
    party_staff_required(request.user)
    election = next_election()
    results = latest_election(boundary_set=election.boundary_set) if election else None
    regions: dict[str, list] = {}
    if results is not None:
        covered = set(
            Agreement.objects.filter(election=election)
            .live()
            .values_list("constituency_id", flat=True)
        )
        targets = [
            row
            for row in election_seat_rows_cached(results)
            if row.analysis.target_score is not None
            and row.analysis.target_score > 0
            and row.constituency.pk not in covered
        ]
        for row in sorted(targets, key=lambda r: -r.analysis.target_score):
            regions.setdefault(row.constituency.get_region_display(), []).append(row)
    return render(
        request,
        "seats/coverage.html",
        {
            "election": election,
            "results": results,
            "regions": sorted(regions.items()),
            "total": sum(len(rows) for rows in regions.values()),
        },
    )
