import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.views.decorators.http import require_POST

from events.models import Event
from groups.models import Group, Party
from groups.permissions import user_staff_party_ids
from seats import services
from seats.activists import activist_targets
from seats.charts import HIGHLIGHT, NEUTRAL, HexCell, bar_chart, hex_centre, hex_points, hex_viewbox
from seats.filters import COLOURS, ORDERINGS, TargetFilter, margin_percent
from seats.forms import (
    ActivistForm,
    AgreementForm,
    AgreementTermsForm,
    PartyActionForm,
    SwapRegistrationForm,
)
from seats.models import (
    Agreement,
    AgreementStatus,
    Constituency,
    Contest,
    Election,
    Result,
    SwapStatus,
    VoteSwapRegistration,
)
from seats.party_codes import DEFAULT_BLOC
from seats.permissions import agreement_get_for_staff, party_staff_required, user_is_party_staff
from seats.postcodes import postcode_lookup
from seats.targets import election_seat_rows, progressive_majority_lost_total, results_version

PAGE_SIZE = 50


def _latest_election():
    return Election.objects.filter(contests__isnull=False).order_by("-date").first()


def _party_colours() -> dict[str, str]:
    return dict(Party.objects.values_list("short_name", "colour"))


def _with_default_election(request):
    data = request.GET.copy()
    if not data.get("election"):
        latest = _latest_election()
        if latest:
            data["election"] = latest.slug
    return data


def seat_list(request):
    """The target list: every seat of an election, analysed for the chosen bloc."""
    data = _with_default_election(request)
    target_filter = TargetFilter(data, queryset=Contest.objects.all())
    if not data.get("election") or not target_filter.is_valid():
        return render(
            request,
            "seats/target_list.html",
            {"filter": target_filter, "page_obj": None, "no_data": not data.get("election")},
        )
    election = target_filter.form.cleaned_data["election"]
    bloc = target_filter.bloc_codes() or DEFAULT_BLOC
    rows = target_filter.filter_rows(election_seat_rows(election, bloc, contests=target_filter.qs))
    if request.GET.get("format") == "csv":
        return _targets_csv(election, bloc, rows)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter": target_filter,
        "page_obj": page,
        "election": election,
        "bloc": bloc,
        "pml_total": progressive_majority_lost_total(election, bloc),
        "colours": _party_colours(),
        "orderings": ORDERINGS,
        "csv_query": _query_with(request, format="csv", page=None),
    }
    return render(request, "seats/target_list.html", context)


def _query_with(request, **changes) -> str:
    query = request.GET.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value is not None:
            query[key] = value
    return query.urlencode()


def _csv_safe(value) -> str:
    """Cells starting with = + - @ are neutralised so spreadsheets do not run them."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _targets_csv(election, bloc, rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="targets-{election.slug}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "ons_code",
            "constituency",
            "region",
            "winner",
            "runner_up",
            "majority",
            "majority_pct",
            "bloc",
            "bloc_total",
            "bloc_share_pct",
            "progressive_majority_lost",
            "best_placed",
            "votes_needed",
            "transfer_share_pct",
            "target_score",
        ]
    )
    for row in rows:
        a = row.analysis
        writer.writerow(
            _csv_safe(v)
            for v in [
                row.constituency.ons_code,
                row.constituency.name,
                row.constituency.get_region_display(),
                a.winner,
                a.runner_up,
                a.majority,
                f"{margin_percent(a):.2f}",
                "+".join(bloc),
                a.bloc_total,
                f"{100 * a.bloc_share:.2f}",
                "yes" if a.progressive_majority_lost else "no",
                a.best_placed or "",
                a.votes_needed,
                "" if a.transfer_share is None else f"{100 * a.transfer_share:.1f}",
                "" if a.target_score is None else a.target_score,
            ]
        )
    return response


def seat_map(request):
    """All seats of an election as a hex map (SVG, no JS), coloured by ?colour=."""
    data = _with_default_election(request)
    target_filter = TargetFilter(data, queryset=Contest.objects.all())
    colour_by = request.GET.get("colour") if request.GET.get("colour") in COLOURS else "winner"
    context = {"filter": target_filter, "colour_by": colour_by, "colour_choices": COLOURS}
    if not data.get("election") or not target_filter.is_valid():
        return render(request, "seats/seat_map.html", context)
    election = target_filter.form.cleaned_data["election"]
    bloc = target_filter.bloc_codes() or DEFAULT_BLOC
    hexmap = _hexmap(election, bloc, colour_by)
    context.update(
        {
            "election": election,
            "bloc": bloc,
            "cells_svg": hexmap["cells_svg"],
            "cell_count": hexmap["count"],
            "viewbox": hexmap["viewbox"],
            "hex_points": hex_points(),
            "legend": hexmap["legend"],
            "colour_links": [
                (value, label, _query_with(request, colour=value))
                for value, label in COLOURS.items()
            ],
            "colour_label": COLOURS[colour_by],
            "pml_total": progressive_majority_lost_total(election, bloc),
        }
    )
    return render(request, "seats/seat_map.html", context)


def _hexmap(election, bloc, colour_by) -> dict:
    """The map's hexes as ready SVG markup, cached until the election's results change."""
    # The importer bumps results_version; the contest count and last id catch other writes.
    seen = Contest.objects.filter(election=election).aggregate(n=Count("pk"), last=Max("pk"))
    version = f"{results_version(election)}-{seen['n']}-{seen['last']}"
    key = f"seats:hexmap:{election.pk}:{','.join(sorted(bloc))}:{colour_by}:{version}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    analyses = {row.constituency.pk: row.analysis for row in election_seat_rows(election, bloc)}
    colours = _party_colours()
    url_template = reverse("seats:detail", args=["BOUNDARIES", "ONSCODE"])
    cells, legend = [], {}
    for seat in Constituency.objects.filter(
        boundary_set=election.boundary_set, hex_q__isnull=False
    ).only("pk", "name", "ons_code", "boundary_set", "hex_q", "hex_r"):
        a = analyses.get(seat.pk)
        x, y = hex_centre(seat.hex_q, seat.hex_r)
        if a is None:
            fill, legend_key, title = NEUTRAL, "No party result (Speaker or no data)", seat.name
        elif colour_by == "best":
            legend_key = a.best_placed or "No progressive candidate"
            fill = colours.get(a.best_placed, NEUTRAL)
            title = f"{seat.name}: best-placed progressive {a.best_placed or 'none'}"
        elif colour_by == "pml":
            legend_key = (
                "Conservative win despite a progressive majority"
                if a.progressive_majority_lost
                else "Other seats"
            )
            fill = HIGHLIGHT if a.progressive_majority_lost else NEUTRAL
            title = f"{seat.name}: {a.winner} won" + (
                ", progressive majority lost" if a.progressive_majority_lost else ""
            )
        else:
            legend_key = a.winner or "None"
            fill = colours.get(a.winner, NEUTRAL)
            title = f"{seat.name}: won by {a.winner}, majority {a.majority:,}"
        legend.setdefault(legend_key, fill)
        url = url_template.replace("BOUNDARIES", seat.boundary_set).replace(
            "ONSCODE", seat.ons_code
        )
        cells.append(
            HexCell(x=x, y=y, fill=fill, url=f"{url}?election={election.slug}", title=title)
        )
    value = {
        "cells_svg": format_html_join(
            "\n",
            '<a href="{}" aria-label="{}"><title>{}</title>'
            '<use href="#hex" x="{}" y="{}" fill="{}"/></a>',
            ((c.url, c.title, c.title, c.x, c.y, c.fill) for c in cells),
        ),
        "count": len(cells),
        "viewbox": hex_viewbox(cells),
        "legend": sorted(legend.items()),
    }
    cache.set(key, value, 60 * 10)
    return value


def seat_detail(request, boundary_set, ons_code):
    seat = get_object_or_404(Constituency, boundary_set=boundary_set, ons_code=ons_code)
    contests = list(
        Contest.objects.filter(constituency=seat)
        .select_related("election")
        .order_by("-election__date")
    )
    chosen = next(
        (c for c in contests if c.election.slug == request.GET.get("election")),
        contests[0] if contests else None,
    )
    colours = _party_colours()
    results = list(Result.objects.filter(constituency=seat).select_related("party", "election"))
    chart = analysis = None
    if chosen:
        chosen_results = [r for r in results if r.election_id == chosen.election_id]
        chart = bar_chart([(r.party.name, r.votes, r.party.colour) for r in chosen_results])
        analysis = next(
            (
                row.analysis
                for row in election_seat_rows(
                    chosen.election, contests=Contest.objects.filter(pk=chosen.pk)
                )
            ),
            None,
        )
    # History: share per party per election on these boundaries.
    parties = sorted(
        {r.party for r in results}, key=lambda p: -sum(r.votes for r in results if r.party == p)
    )
    history = []
    for contest in contests:
        by_party = {r.party_id: r.votes for r in results if r.election_id == contest.election_id}
        history.append(
            {
                "contest": contest,
                "shares": [
                    100 * by_party.get(p.pk, 0) / contest.valid_votes if contest.valid_votes else 0
                    for p in parties
                ],
            }
        )
    context = {
        "seat": seat,
        "contests": contests,
        "chosen": chosen,
        "chart": chart,
        "analysis": analysis,
        "history": history,
        "history_parties": parties,
        "colours": colours,
        "groups": seat.covering_groups.select_related("party").order_by("name"),
        "events": Event.objects.filter(constituency=seat)
        .visible_to(request.user)
        .upcoming()
        .scheduled()
        .select_related("group")[:10],
        "agreements": Agreement.objects.filter(constituency=seat)
        .agreed()
        .select_related("election")
        .prefetch_related("parties__party"),
        "petition_tallies": _petition_tallies(seat),
    }
    return render(request, "seats/seat_detail.html", context)


def _petition_tallies(seat):
    """Signers from this seat per public petition (counts only; the petitions app's tallies)."""
    from petitions.models import ConstituencyTally, Petition

    return (
        ConstituencyTally.objects.filter(
            constituency=seat,
            confirmed_count__gt=0,
            petition__in=Petition.objects.public(),
        )
        .select_related("petition")
        .order_by("-confirmed_count")[:10]
    )


# --- Agreements ------------------------------------------------------------------------------


def pact_list(request):
    """Public: agreed pacts, per seat, for voters."""
    agreements = (
        Agreement.objects.agreed()
        .select_related("election", "constituency")
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
    form = AgreementForm(request.POST or None, initial={"election": request.GET.get("election")})
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
    return render(request, "seats/reciprocity.html", {"rows": services.reciprocity_rows()})


# --- Vote swaps ------------------------------------------------------------------------------


def vote_swap(request):
    """Explain swapping; register, see your match, confirm or cancel."""
    registration = swap = explanation = None
    verified = False
    if request.user.is_authenticated:
        verified = services.user_has_verified_email(request.user)
        registration = (
            VoteSwapRegistration.objects.filter(user=request.user)
            .select_related("preferred_party", "local_party", "constituency")
            .first()
        )
        swap = services.vote_swap_active_for(request.user)
        if registration and registration.status == SwapStatus.WAITING:
            explanation = services.vote_swap_queue_explanation(registration)
    form = SwapRegistrationForm(request.POST or None)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('account_login')}?next={request.path}")
        if form.is_valid():
            try:
                services.vote_swap_register(user=request.user, **form.cleaned_data)
            except PermissionDenied as error:
                form.add_error(None, str(error))
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for field, errors in error.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, error)
            else:
                messages.success(
                    request, "You are in the queue. We will pair you as soon as we can."
                )
                return redirect("seats:swap")
    partner = None
    if swap and registration:
        mine = swap.a if swap.a_id == registration.pk else swap.b
        partner = swap.partner_of(mine)
        swap.my_side_confirmed = (
            swap.a_confirmed_at if swap.a_id == registration.pk else swap.b_confirmed_at
        )
    return render(
        request,
        "seats/vote_swap.html",
        {
            "form": form,
            "registration": registration,
            "swap": swap,
            "partner": partner,
            "explanation": explanation,
            "verified": verified,
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def vote_swap_confirm(request, pk):
    try:
        swap = services.vote_swap_confirm(user=request.user, swap_id=pk)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    except services.VoteSwap.DoesNotExist:
        raise Http404("No such swap.")
    else:
        messages.success(
            request,
            "Confirmed. Your partner's contact details are below."
            if swap.state == "confirmed"
            else "Confirmed. We are waiting for your partner to confirm.",
        )
    return redirect("seats:swap")


@login_required
@require_POST
def vote_swap_cancel(request):
    services.vote_swap_cancel(user=request.user)
    messages.success(request, "You have left the vote swap.")
    return redirect("seats:swap")


# --- Where activists help most ---------------------------------------------------------------


def activists(request):
    """For a party branch (?group=slug) or a member (party + postcode or constituency)."""
    group = None
    form = ActivistForm(request.GET or None)
    party = origins = None
    if request.GET.get("group"):
        if "\x00" in request.GET["group"]:  # PostgreSQL refuses NUL in text: no such group
            raise Http404("No such group.")
        group = get_object_or_404(Group.objects.select_related("party"), slug=request.GET["group"])
        if group.party is None:
            messages.info(request, "This group is not a party branch: choose a party below.")
        else:
            party, origins = group.party, list(group.constituencies.all())
    elif form.is_bound and form.is_valid():
        party = form.cleaned_data["party"]
        seat = form.cleaned_data.get("constituency")
        if seat is None and form.cleaned_data.get("postcode"):
            location = postcode_lookup(form.cleaned_data["postcode"])
            if location and location.constituency_code:
                seat = (
                    Constituency.objects.current()
                    .filter(ons_code=location.constituency_code)
                    .first()
                )
            if seat is None:
                form.add_error(
                    "constituency", "We could not place that postcode: choose a constituency."
                )
        origins = [seat] if seat else []
    election = _latest_election()
    targets, events_by_seat = [], {}
    if party and election:
        targets = activist_targets(party=party, origins=origins or [], election=election)
        seat_ids = [t.row.constituency.pk for t in targets]
        for event in (
            Event.objects.filter(constituency_id__in=seat_ids)
            .visible_to(request.user)
            .upcoming()
            .scheduled()
            .select_related("group")
            .order_by("starts_at")[:200]
        ):
            events_by_seat.setdefault(event.constituency_id, []).append(event)
    return render(
        request,
        "seats/activists.html",
        {
            "form": form,
            "group": group,
            "party": party,
            "origins": origins,
            "election": election,
            "targets": [(t, events_by_seat.get(t.row.constituency.pk, [])) for t in targets],
        },
    )
