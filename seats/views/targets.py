"""The target list, the hex map and the seat page: what the results say about each seat."""

import hashlib

from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from alliance.exports import csv_response
from events.models import Event
from seats.charts import bar_chart, hex_centre, hex_points, hex_tap_size, hexmap_render
from seats.filters import COLOURS, ORDERINGS, TargetFilter, margin_percent
from seats.models import Agreement, Constituency, Contest, Result
from seats.party_codes import DEFAULT_BLOC
from seats.permissions import user_is_party_staff
from seats.targets import (
    election_seat_rows,
    election_seat_rows_cached,
    page_cache_get,
    page_cache_set,
    progressive_majority_lost_total,
    results_fingerprint,
    upcoming_elections,
)
from seats.views.common import PAGE_SIZE, party_colours, query_with, with_default_election


def seat_list(request):
    """The target list: every seat of an election, analysed for the chosen bloc.

    The page body depends only on the filters and the results, so it is cached as HTML per
    results fingerprint and normalised filter (Redis holds a string, cheap to read back); the
    analysed rows behind it are cached in process (seats/targets.py)."""
    fast_key = _page_key(request)
    version = None
    if fast_key is not None:
        entry, version = page_cache_get(fast_key)
        if entry is not None:  # the same query string, rendered since the last change
            return render(request, "seats/target_list.html", {"body": mark_safe(entry["body"])})
    data = with_default_election(request)
    target_filter = TargetFilter(data, queryset=Contest.objects.all())
    if not data.get("election") or not target_filter.is_valid():
        return render(
            request,
            "seats/target_list.html",
            {"filter": target_filter, "page_obj": None, "no_data": not data.get("election")},
        )
    election = target_filter.form.cleaned_data["election"]
    bloc = target_filter.bloc_codes() or DEFAULT_BLOC
    if request.GET.get("format") == "csv":
        return _targets_csv(election, bloc, _target_rows(target_filter, election, bloc))
    key = _body_cache_key(request, target_filter, election, bloc)
    body = cache.get(key)
    if body is None:
        rows = _target_rows(target_filter, election, bloc)
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        context = {
            "filter": target_filter,
            "page_obj": page,
            "election": election,
            "bloc": bloc,
            "pml_total": progressive_majority_lost_total(election, bloc),
            "colours": party_colours(),
            "orderings": ORDERINGS,
            "csv_query": query_with(request, format="csv", page=None),
        }
        body = render_to_string("seats/_target_list_body.html", context, request=request)
        cache.set(key, body, BODY_CACHE_SECONDS)
    if fast_key is not None:  # only a query string that validated is ever stored
        page_cache_set(fast_key, version, body=body)
    # The body was rendered by this view from our own template (autoescaped): safe to reuse.
    return render(request, "seats/target_list.html", {"body": mark_safe(body)})


PAGE_KEY_PARAMETERS = {"election", "bloc", "page", "nation", "region", "winner", "flag",
                       "margin_min", "margin_max", "best", "order"}  # fmt: skip


def _page_key(request) -> str | None:
    """The target list's whole-page key for an anonymous visitor, from the raw query string
    (so a hit costs no form, no filter and no query); None for anything unusual: signed in,
    another parameter (the CSV), a long value, a long page number."""
    if request.user.is_authenticated or not set(request.GET) <= PAGE_KEY_PARAMETERS:
        return None
    items = sorted((name, request.GET.getlist(name)) for name in request.GET)
    if any(len(values) > 8 or any(len(v) > 40 for v in values) for _, values in items):
        return None
    if len(request.GET.get("page", "")) > 3:
        return None
    digest = hashlib.sha256(repr((request.get_host(), items)).encode()).hexdigest()[:32]
    return f"seats:targets-page:{digest}"


BODY_CACHE_SECONDS = 60 * 10


def _target_rows(target_filter, election, bloc) -> list:
    rows = election_seat_rows_cached(election, bloc)
    if _narrows(target_filter):
        contest_ids = set(target_filter.qs.values_list("pk", flat=True))
        rows = [row for row in rows if row.contest.pk in contest_ids]
    return target_filter.filter_rows(rows)


def _body_cache_key(request, target_filter, election, bloc) -> str:
    """Only validated filter values (and a numeric page) go into the key: arbitrary query
    strings cannot fill the cache with variants."""
    data = target_filter.form.cleaned_data
    page = request.GET.get("page", "1")
    normal = [
        election.slug,
        ",".join(bloc),
        *(str(data.get(name) or "") for name in FILTER_FIELDS),
        page if page.isdigit() and len(page) < 6 else "1",
    ]
    digest = hashlib.sha256("|".join(normal).encode()).hexdigest()[:32]
    fingerprint = ":".join(str(part) for part in results_fingerprint(election))
    return f"seats:targets-body:{election.pk}:{fingerprint}:{digest}"


FILTER_FIELDS = (
    "nation",
    "region",
    "winner",
    "flag",
    "margin_min",
    "margin_max",
    "best",
    "order",
)


def _narrows(target_filter) -> bool:
    """Whether a database filter (nation, region, winner) narrows the election's contests."""
    data = target_filter.form.cleaned_data
    return any(data.get(name) for name in ("nation", "region", "winner"))


def _targets_csv(election, bloc, rows) -> HttpResponse:
    response, writer = csv_response(f"targets-{election.slug}.csv")
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
            [
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
    fast_key = _page_key(request)
    version = None
    if fast_key is not None:
        entry, version = page_cache_get(fast_key)
        if entry is not None:  # the same query string, rendered since the last change
            return render(request, "seats/target_list.html", {"body": mark_safe(entry["body"])})
    data = with_default_election(request)
    target_filter = TargetFilter(data, queryset=Contest.objects.all())
    colour_by = request.GET.get("colour") if request.GET.get("colour") in COLOURS else "winner"
    context = {"filter": target_filter, "colour_by": colour_by, "colour_choices": COLOURS}
    if not data.get("election") or not target_filter.is_valid():
        return render(request, "seats/seat_map.html", context)
    election = target_filter.form.cleaned_data["election"]
    bloc = target_filter.bloc_codes() or DEFAULT_BLOC
    hexmap = hexmap_render(election, bloc, colour_by)
    # "Find my seat": the seats on this map, for a searchable select; the chosen one is ringed.
    seats = list(
        Constituency.objects.filter(boundary_set=election.boundary_set, hex_q__isnull=False)
        .order_by("name")
        .only("pk", "name", "ons_code", "boundary_set", "hex_q", "hex_r")
    )
    found = next((seat for seat in seats if seat.ons_code == request.GET.get("seat")), None)
    context.update(
        {
            "seats": seats,
            "found": found,
            "found_centre": hex_centre(found.hex_q, found.hex_r) if found else None,
            "tap_size": hex_tap_size(hexmap["viewbox"]),
            "election": election,
            "bloc": bloc,
            "cells_svg": hexmap["cells_svg"],
            "cell_count": hexmap["count"],
            "viewbox": hexmap["viewbox"],
            "hex_points": hex_points(),
            "legend": hexmap["legend"],
            "colour_links": [
                (value, label, query_with(request, colour=value))
                for value, label in COLOURS.items()
            ],
            "colour_label": COLOURS[colour_by],
            "pml_total": progressive_majority_lost_total(election, bloc),
        }
    )
    return render(request, "seats/seat_map.html", context)


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
    colours = party_colours()
    # The next contest here (a general election or this seat's by-election), if set up: its
    # analysis is the latest results on these boundaries, and the page says so.
    upcoming = upcoming_elections(seat).first()
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
        "upcoming": upcoming,
        "can_propose": user_is_party_staff(request.user),
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
