""" "How should I vote here?": postcode to seat, the seat's advice, its embeddable card, and
email alerts when the advice changes (no account needed)."""

import hashlib
from urllib.parse import quote, urlencode

from csp.decorators import csp_replace
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alliance.ratelimit import client_ip, rate_limit_exceeded
from events.models import Event
from primaries.permissions import primaries_public
from seats import services
from seats.forms import AdviceAlertForm, AdviceLookupForm
from seats.models import AdviceAlert, Constituency
from seats.postcodes import postcode_lookup
from seats.targets import page_cache_get, page_cache_set, seat_advice_cached

# Alert requests per client address per hour: each one can send a confirmation email.
ALERT_REQUESTS_PER_HOUR = 10


def _seat_or_404(ons_code: str) -> Constituency:
    seat = Constituency.objects.current().filter(ons_code=ons_code).order_by("boundary_set")
    found = seat.first()
    if found is None:
        raise Http404("No such constituency.")
    return found


def advice_lookup(request):
    """The postcode box: a valid, placed postcode (or a chosen seat) leads to the seat's advice."""
    form = AdviceLookupForm(request.GET or None)
    if form.is_bound and form.is_valid():
        seat = form.cleaned_data.get("seat")
        postcode = form.cleaned_data.get("postcode")
        if seat is None and postcode:
            location = postcode_lookup(postcode)
            if location and location.constituency_code:
                seat = (
                    Constituency.objects.current()
                    .filter(ons_code=location.constituency_code)
                    .order_by("boundary_set")
                    .first()
                )
            if seat is None:
                form.add_error(
                    "seat", "We could not place that postcode: choose your constituency."
                )
        if seat is not None:
            return redirect("seats:advice", ons_code=seat.ons_code)
    return render(request, "seats/advice_lookup.html", {"form": form})


def _advice_context(request, seat) -> dict:
    found = seat_advice_cached(seat)
    url = request.build_absolute_uri(reverse("seats:advice", args=[seat.ons_code]))
    share_text = f"How to vote in {seat.name}: {found.advice.headline}."
    swap_query = {"constituency": seat.pk}
    return {
        "seat": seat,
        "found": found,
        "advice": found.advice,
        "share_url": url,
        "share_links": [
            ("Email", f"mailto:?subject={quote(share_text)}&body={quote(url)}"),
            ("WhatsApp", "https://wa.me/?" + urlencode({"text": f"{share_text} {url}"})),
            (
                "Bluesky",
                "https://bsky.app/intent/compose?" + urlencode({"text": f"{share_text} {url}"}),
            ),
            (
                "X",
                "https://twitter.com/intent/tweet?" + urlencode({"text": share_text, "url": url}),
            ),
            ("Facebook", "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url})),
        ],
        "embed_url": request.build_absolute_uri(
            reverse("seats:advice_embed", args=[seat.ons_code])
        ),
        "swap_url": f"{reverse('seats:swap')}?{urlencode(swap_query)}",
    }


def _advice_page(request, seat, *, events=True) -> dict:
    """The advice page's parts: its title words and its main HTML (everything but the alert
    form, which carries the visitor's CSRF token)."""
    context = _advice_context(request, seat)
    if events:
        context["events"] = (
            Event.objects.filter(constituency=seat)
            .visible_to(request.user)
            .upcoming()
            .scheduled()
            .select_related("group")
            .order_by("starts_at")[:10]
        )
        context["groups"] = seat.covering_groups.select_related("party").order_by("name")[:20]
        # Where the parties let local voters choose the candidate, say so (the page is cached
        # for at most PAGE_CACHE_SECONDS, so a phase or a newly published primary shows soon).
        context["primary"] = primaries_public().filter(agreement__constituency=seat).last()
    return {
        "seat_name": seat.name,
        "ons_code": seat.ons_code,
        "headline": context["advice"].headline,
        "main": render_to_string("seats/_advice_main.html", context, request=request),
    }


@require_GET
def advice_detail(request, ons_code):
    """For anonymous visitors the page's parts come from the page cache (one Redis round trip,
    no query) until the advice changes, and for at most a minute (events and groups)."""
    key = None
    if not request.user.is_authenticated:
        digest = hashlib.sha256(f"{request.get_host()}|{ons_code}".encode()).hexdigest()[:32]
        key = f"seats:advice-page:{digest}"
        page, version = page_cache_get(key)
        if page is not None:
            return _advice_render(request, page, AdviceAlertForm())
    seat = _seat_or_404(ons_code)  # only a real seat's page is ever stored
    page = _advice_page(request, seat)
    if key is not None:
        page_cache_set(key, version, **page)
    return _advice_render(request, page, AdviceAlertForm())


def _advice_render(request, page: dict, alert_form, status: int = 200):
    # `main` was rendered from our own autoescaped template by _advice_page.
    page = {**page, "main": mark_safe(page["main"])}
    return render(
        request,
        "seats/advice_detail.html",
        {"page": page, "alert_form": alert_form},
        status=status,
    )


@require_GET
@xframe_options_exempt  # the card is meant to be framed on other sites; it is read-only
@csp_replace({"frame-ancestors": ["*"]})  # the one page any site may frame
def advice_embed(request, ons_code):
    seat = _seat_or_404(ons_code)
    return render(request, "seats/advice_embed.html", _advice_context(request, seat))


@require_POST
def advice_alert(request, ons_code):
    seat = _seat_or_404(ons_code)
    form = AdviceAlertForm(request.POST)
    if form.is_valid():
        if rate_limit_exceeded(
            scope="seats-advice-alert",
            key=client_ip(request),
            limit=ALERT_REQUESTS_PER_HOUR,
            period_seconds=3600,
        ):
            form.add_error(None, "Too many requests from here: try again in an hour.")
        else:
            try:
                services.advice_alert_request(email=form.cleaned_data["email"], constituency=seat)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    "Check your inbox: we sent a link to confirm the alert (if this address "
                    "had not asked already).",
                )
                return redirect("seats:advice", ons_code=seat.ons_code)
    return _advice_render(request, _advice_page(request, seat, events=False), form, status=400)


def _alert_or_404(token: str) -> AdviceAlert:
    if "\x00" in token:
        raise Http404("No such alert.")
    return get_object_or_404(AdviceAlert.objects.select_related("constituency"), token=token)


@require_http_methods(["GET", "POST"])
def alert_confirm(request, token):
    """A GET shows a button (mail scanners open links); the POST confirms."""
    alert = _alert_or_404(token)
    if request.method == "POST":
        services.advice_alert_confirm(alert=alert)
        messages.success(request, "Confirmed: we will email you when the advice here changes.")
        return redirect("seats:advice", ons_code=alert.constituency.ons_code)
    return render(request, "seats/alert_confirm.html", {"alert": alert})


@require_http_methods(["GET", "POST"])
def alert_unsubscribe(request, token):
    """No sign-in: the token is the proof. A GET shows a button; the POST deletes the alert."""
    if request.method == "POST":
        alert = AdviceAlert.objects.filter(token=token.replace("\x00", "")).first()
        if alert is not None:
            services.advice_alert_unsubscribe(alert=alert)
        return render(request, "seats/alert_unsubscribe.html", {"done": True})
    alert = _alert_or_404(token)
    return render(request, "seats/alert_unsubscribe.html", {"alert": alert, "done": False})
