"""The shared calendar: month, week and agenda views, event pages, RSVPs, feeds, imports.

Views parse input (forms, filters), call one service or queryset, and render. Access goes
through events/permissions.py; every read starts from Event.objects.visible_to(user).
"""

from datetime import date, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber, TruncDate
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from alliance import versioned_cache
from alliance.exports import csv_response
from alliance.links import absolute_url
from alliance.ratelimit import client_ip, rate_limit_exceeded
from alliance.tasks import enqueue_after_commit
from events import ics, imports, services, week_grid
from events.apps import clashes_api
from events.filters import VIEW_KEYS, EventFilter, filter_querystring
from events.forms import (
    DATETIME_FORMAT,
    AttendanceForm,
    CalendarFeedForm,
    EventClashCheckForm,
    EventForm,
    GuestRsvpForm,
    RsvpForm,
)
from events.models import (
    CalendarFeed,
    CalendarToken,
    Event,
    GuestRsvp,
    RsvpAnswer,
    Visibility,
)
from events.permissions import (
    event_get_for_editing,
    event_get_for_organiser,
    event_get_for_viewer,
    feed_get_for_organiser,
    user_organises_event,
)
from events.querysets import viewer_class
from groups.models import Group, Membership, Party, Role
from groups.permissions import group_get_for_organiser
from mailinglists.choices import ConsentSource
from mailinglists.services import list_subscribe, list_subscribe_on_confirmation
from seats.charts import hexmap_locator
from seats.forms import NearForm

LONDON = ZoneInfo("Europe/London")
AGENDA_PAGE_SIZE = 25
# A month cell shows this many events; "N more" links to that day in the agenda.
MONTH_DAY_LIMIT = 4
WEEK_DAY_LIMIT = 12


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=LONDON)


def _today() -> date:
    return timezone.localdate(timezone=LONDON)


def _parse_date(value: str | None, fmt: str) -> date | None:
    try:
        parsed = datetime.strptime(value or "", fmt).date()  # noqa: DTZ007 - a plain date
    except ValueError:
        return None
    # Pages link a month or week either side: years near date.min/max would overflow.
    return parsed if 1900 <= parsed.year <= 2999 else None


def _calendar_filter(request) -> EventFilter:
    return EventFilter(
        request.GET, queryset=Event.objects.visible_to(request.user), request=request
    )


def _days_with_events(queryset, first_day: date, last_day: date, per_day: int, *, viewer):
    """{date: ([events], total)} for the days in range, in two queries whatever the volume:
    the first `per_day` events of each day (a window function), and the count per day."""
    start, end = _local_midnight(first_day), _local_midnight(last_day + timedelta(days=1))
    in_range = queryset.filter(starts_at__gte=start, starts_at__lt=end)
    day = TruncDate("starts_at", tzinfo=LONDON)
    # Rank on the bare events table first, then join and annotate only the rows shown.
    ranked = (
        in_range.order_by()
        .annotate(
            day_rank=Window(RowNumber(), partition_by=[day], order_by=[F("starts_at"), F("pk")])
        )
        .filter(day_rank__lte=per_day)
        .values_list("pk", flat=True)
    )
    # A literal list of at most days × per_day ids: the planner then fetches exactly those
    # rows by primary key (as a subquery it misjudged the size and paid for JIT compilation).
    shown = (
        Event.objects.filter(pk__in=list(ranked))
        .for_calendar(viewer=viewer)
        .annotate(day=day)
        .order_by("starts_at", "pk")
    )
    totals = dict(
        in_range.order_by()
        .annotate(day=day)
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    days: dict[date, list] = {}
    for event in shown:
        days.setdefault(event.day, []).append(event)
    return {d: (days.get(d, []), totals.get(d, 0)) for d in totals.keys() | days.keys()}


def _nav_context(request, event_filter) -> dict:
    query = filter_querystring(request.GET)
    return {
        "filter": event_filter,
        "filter_query": query,
        "amp_query": f"&{query}" if query else "",
        "feed_url": absolute_url(reverse("events:feed") + (f"?{query}" if query else "")),
    }


# --- Calendar pages: month, week, agenda -----------------------------------------------------

# Calendar pages are cached per version of the calendar (events/services.py:
# calendar_changed, bumped by every service that writes an event, an answer or a clash, and by
# a co-host joining an event) and per viewer class (events/querysets.py: viewer_class), and go
# after this long at most, should something else they show change without telling them.
CALENDAR_PAGE_SECONDS = 60 * 5
# Query-string keys a cached page may be keyed by: the filters, the views' own keys and "near me".
CALENDAR_PAGE_PARAMETERS = {
    *EventFilter.base_filters,
    *VIEW_KEYS,
    *NearForm.base_fields,
}


def _calendar_page_key(request, view: str, day: date) -> str | None:
    """The cache key of a calendar page: the view, the page's date (month, week or day), today
    (the "today" marks), the query string and the viewer's class (what they may see: their
    groups and roles decide clash markers, members-only and alliance events; "" when signed
    out). None for anything unusual (another parameter, a long value)."""
    return versioned_cache.page_key(
        request,
        "events:page",
        CALENDAR_PAGE_PARAMETERS,
        view,
        day,
        _today(),
        viewer_class(request.user),
    )


def _calendar_page(request, view: str, day: date, build):
    """A calendar page: `build()` gives (title, body template, context, cacheable). The
    rendered body is cached per calendar version (read before any row) and viewer class, so
    a page served from the cache costs one Redis read and no query for a signed-out visitor
    (two small queries for the class of a signed-in one); a write to an event bumps the
    version, so the next request renders it again."""
    key = _calendar_page_key(request, view, day)
    version = versioned_cache.version(services.CALENDAR_VERSION) if key else None
    parts = versioned_cache.parts_get(key, version) if key else None
    if parts is None:
        title, template, context, cacheable = build()
        parts = {"title": title, "body": render_to_string(template, context, request=request)}
        if key and cacheable:
            versioned_cache.parts_set(key, version, timeout=CALENDAR_PAGE_SECONDS, **parts)
    # The body was rendered by this view from our own (autoescaped) templates: safe to reuse.
    context = {"page_title": parts["title"], "body": mark_safe(parts["body"]), "view": view}  # noqa: S308
    return render(request, "events/calendar_page.html", context)


def _month_or_today(request) -> date:
    chosen = _parse_date(request.GET.get("month"), "%Y-%m") or _today()
    return chosen.replace(day=1)


def calendar_month(request):
    if request.GET.get("postcode"):  # "near me": a list nearest first, not a grid
        return calendar_agenda(request)
    return _calendar_page(request, "month", _month_or_today(request), lambda: _month_build(request))


def _month_build(request):
    event_filter = _calendar_filter(request)
    today = _today()
    first = _month_or_today(request)
    grid_start = first - timedelta(days=first.weekday())
    next_month = (first + timedelta(days=32)).replace(day=1)
    last = next_month - timedelta(days=1)
    grid_end = last + timedelta(days=6 - last.weekday())
    days = _days_with_events(
        event_filter.qs, grid_start, grid_end, MONTH_DAY_LIMIT, viewer=request.user
    )
    weeks, day = [], grid_start
    while day <= grid_end:
        week = []
        for _ in range(7):
            events, total = days.get(day, ([], 0))
            week.append(
                {
                    "date": day,
                    "in_month": day.month == first.month,
                    "is_today": day == today,
                    "events": events,
                    "more": total - len(events),
                }
            )
            day += timedelta(days=1)
        weeks.append(week)
    previous_month = (first - timedelta(days=1)).replace(day=1)
    month_has_events = any(d["events"] for week in weeks for d in week if d["in_month"])
    # An empty month points on to the next event (one query, only when the month is empty).
    next_event_at = (
        None
        if month_has_events
        else event_filter.qs.filter(starts_at__gte=_local_midnight(next_month))
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )
    context = {
        "month": first,
        "weeks": weeks,
        "month_has_events": month_has_events,
        "next_event_on": timezone.localtime(next_event_at).date() if next_event_at else None,
        "previous": previous_month,
        "next": next_month,
        "today": today,
        "view": "month",
        **_nav_context(request, event_filter),
    }
    title = f"Calendar: {date_format(first, 'F Y')}"
    return title, "events/event_month.html", context, True


def _week_monday(request) -> date:
    chosen = _parse_date(request.GET.get("week"), "%Y-%m-%d") or _today()
    return chosen - timedelta(days=chosen.weekday())


def calendar_week(request):
    """The week as a time grid: days as columns, hours as rows, overlapping events side by
    side (placed by the pure events/week_grid.py; a list of days on a phone, by CSS alone)."""
    return _calendar_page(request, "week", _week_monday(request), lambda: _week_build(request))


def _week_build(request):
    event_filter = _calendar_filter(request)
    today = _today()
    monday = _week_monday(request)
    sunday = monday + timedelta(days=6)
    days_map = _days_with_events(
        event_filter.qs, monday, sunday, WEEK_DAY_LIMIT, viewer=request.user
    )
    first_hour, last_hour = week_grid.hours_shown(
        {day: events for day, (events, _) in days_map.items()}
    )
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        events, total = days_map.get(day, ([], 0))
        timed = [event for event in events if not event.all_day]
        days.append(
            {
                "date": day,
                "is_today": day == today,
                "all_day": [event for event in events if event.all_day],
                "entries": week_grid.day_entries(timed, day, first_hour),
                "more": total - len(events),
            }
        )
    context = {
        "monday": monday,
        "sunday": sunday,
        "days": days,
        "hours": week_grid.hour_labels(first_hour, last_hour),
        "rows_class": week_grid.rows_class(first_hour, last_hour),
        "previous": monday - timedelta(days=7),
        "next": monday + timedelta(days=7),
        "today": today,
        "view": "week",
        **_nav_context(request, event_filter),
    }
    title = f"Calendar: week of {date_format(monday, 'j F Y')}"
    return title, "events/event_week.html", context, True


def _agenda_date(request) -> date:
    return _parse_date(request.GET.get("date"), "%Y-%m-%d") or _today()


def calendar_agenda(request):
    """Events from a date, by date; with a postcode ("near me"), the placed events within the
    chosen distance, nearest first, each with its distance in miles."""
    return _calendar_page(request, "agenda", _agenda_date(request), lambda: _agenda_build(request))


def _agenda_build(request):
    event_filter = _calendar_filter(request)
    near_form = NearForm(request.GET)
    near_point = near_form.point if near_form.is_valid() else None
    today = _today()
    chosen = _agenda_date(request)
    events = event_filter.qs.not_ended_before(_local_midnight(chosen))
    if near_point:
        events = events.near(near_point, near_form.miles)
    events = events.for_calendar(viewer=request.user).annotate(
        day=TruncDate("starts_at", tzinfo=LONDON)
    )
    if not near_point:
        events = events.order_by("starts_at", "pk")
    page = Paginator(events, AGENDA_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page_obj": page,
        "events": page.object_list,
        "near_form": near_form,
        "near_point": near_point,
        "date": chosen,
        "previous": chosen - timedelta(days=7),
        "next": chosen + timedelta(days=7),
        "today": today,
        "view": "agenda",
        **_nav_context(request, event_filter),
    }
    title = f"Calendar: agenda from {date_format(chosen, 'j F Y')}"
    # A postcode the lookup could not place just now must not be remembered as unplaceable.
    return title, "events/event_agenda.html", context, not near_form.errors


def _rsvp_counts(event) -> dict:
    """Members' answers and confirmed guests' (an unconfirmed guest counts nowhere)."""
    counts = event.rsvps.aggregate(
        going=Count("pk", filter=Q(answer=RsvpAnswer.GOING)),
        maybe=Count("pk", filter=Q(answer=RsvpAnswer.MAYBE)),
        waiting=Count("pk", filter=Q(answer=RsvpAnswer.WAITING)),
    )
    guests = (
        GuestRsvp.objects.filter(event=event)
        .confirmed()
        .aggregate(
            going=Count("pk", filter=Q(answer=RsvpAnswer.GOING)),
            waiting=Count("pk", filter=Q(answer=RsvpAnswer.WAITING)),
        )
    )
    return {
        "going": counts["going"] + guests["going"],
        "maybe": counts["maybe"],
        "waiting": counts["waiting"] + guests["waiting"],
        "guests": guests["going"],
    }


def _event_detail_render(request, event, *, guest_form=None, status=200):
    counts = _rsvp_counts(event)
    my_rsvp = (
        event.rsvps.filter(user=request.user).first() if request.user.is_authenticated else None
    )
    is_organiser = user_organises_event(user=request.user, event=event)
    api = clashes_api()
    can_rsvp = not event.is_cancelled and event.ends_at >= timezone.now()
    context = {
        "event": event,
        # Only organisers of either side and party staff who may see a clash get these.
        "open_clashes": api.event_open_clashes(event_id=event.pk, viewer=request.user)
        if api
        else [],
        "counts": counts,
        "is_full": event.capacity is not None and counts["going"] >= event.capacity,
        "my_rsvp": my_rsvp,
        "rsvp_form": RsvpForm(
            initial={"answer": my_rsvp.answer if my_rsvp else "going"}, group=event.group
        ),
        "guest_form": guest_form or GuestRsvpForm(group=event.group),
        "takes_guests": can_rsvp
        and not request.user.is_authenticated
        and event.visibility == Visibility.PUBLIC,
        "is_organiser": is_organiser,
        "can_rsvp": can_rsvp,
        "organisers": Membership.objects.filter(
            group=event.group, role=Role.ORGANISER
        ).select_related("user"),
        "co_organisers": event.co_organisers.all(),
        "map_url": ics.openstreetmap_url(event),
        "google_url": ics.google_calendar_url(event),
        "locator": hexmap_locator([event.constituency]) if event.constituency else None,
    }
    return render(request, "events/event_detail.html", context, status=status)


def event_detail(request, pk):
    event = event_get_for_viewer(user=request.user, pk=pk)
    return _event_detail_render(request, event)


# Going without an account: per address making the requests, and per email address (each
# address gets at most one email per event anyway; this bounds how many events).
GUEST_RSVPS_PER_IP_PER_HOUR = 10
GUEST_RSVPS_PER_EMAIL_PER_DAY = 5


def _guest_rsvp_limited(request, email: str) -> bool:
    return rate_limit_exceeded(
        scope="events-guest-rsvp-ip",
        key=client_ip(request),
        limit=GUEST_RSVPS_PER_IP_PER_HOUR,
        period_seconds=3600,
    ) or rate_limit_exceeded(
        scope="events-guest-rsvp-email",
        key=email.strip().lower(),
        limit=GUEST_RSVPS_PER_EMAIL_PER_DAY,
        period_seconds=24 * 3600,
    )


@require_POST
def event_guest_rsvp(request, pk):
    """Going without an account: one email asks to confirm; nothing counts until then."""
    event = event_get_for_viewer(user=request.user, pk=pk)
    if request.user.is_authenticated:
        messages.info(request, "You are signed in: answer with your account below.")
        return redirect(event)
    form = GuestRsvpForm(request.POST, group=event.group)
    if form.is_valid():
        data = form.cleaned_data
        if _guest_rsvp_limited(request, data["email"]):
            form.add_error(None, "Too many answers from here: try again later.")
        else:
            try:
                services.guest_rsvp_request(
                    event=event,
                    name=data["name"],
                    email=data["email"],
                    postcode=data["postcode"],
                    keep_posted=data["keep_posted"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                # The same answer whether or not this address had answered already.
                messages.success(
                    request,
                    "Almost done: we emailed you a link to confirm. Your place counts once "
                    "you confirm.",
                )
                return redirect(event)
    return _event_detail_render(request, event, guest_form=form, status=400)


GUEST_ACTIONS = {
    "confirm": (services.guest_rsvp_confirm, "Confirmed: see you there."),
    "cancel": (services.guest_rsvp_cancel, "Cancelled: thank you for letting us know."),
}


@never_cache
@require_http_methods(["GET", "POST"])
def guest_rsvp_manage(request, signed):
    """A guest's page, reached from their emails (a signed token, no sign-in): confirm, cancel
    or delete their answer. A GET never changes anything (mail scanners open links)."""
    guest = services.guest_rsvp_from_link(signed)
    if guest is None:
        raise Http404("This link is not valid any more.")
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "erase":
            event = guest.event
            services.guest_rsvps_erase(guests=[guest])
            messages.success(request, "Your answer and your details are deleted.")
            return redirect(event) if event.visibility == Visibility.PUBLIC else redirect("/")
        if action not in GUEST_ACTIONS:
            return HttpResponseBadRequest("Unknown action.")
        service, done = GUEST_ACTIONS[action]
        try:
            guest = service(guest=guest)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            if action == "confirm":
                # A ticked "keep me posted" goes to the group's list now that the link in
                # the guest's email has proven the address.
                list_subscribe_on_confirmation(
                    group=guest.event.group, answer=guest, source=ConsentSource.EVENT_RSVP
                )
            if guest.answer == RsvpAnswer.WAITING:
                messages.warning(request, "The event is full: you are on the waiting list.")
            else:
                messages.success(request, done)
        return redirect(request.path)
    return render(request, "events/guest_rsvp_manage.html", {"guest": guest, "event": guest.event})


def event_ics(request, pk):
    event = event_get_for_viewer(user=request.user, pk=pk)
    response = HttpResponse(
        ics.calendar_build([event], name=event.title), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="event-{event.pk}.ics"'
    return response


@login_required
@require_POST
def event_rsvp(request, pk):
    event = event_get_for_viewer(user=request.user, pk=pk)
    form = RsvpForm(request.POST, group=event.group)
    if not form.is_valid():
        messages.error(request, "Choose going, maybe or not going.")
        return redirect(event)
    try:
        rsvp = services.rsvp_set(event=event, user=request.user, answer=form.cleaned_data["answer"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(event)
    if form.cleaned_data["keep_posted"]:  # unticked by default
        list_subscribe(
            group=event.group,
            email=request.user.email,
            name=request.user.display_name,
            source=ConsentSource.EVENT_RSVP,
            user=request.user,
        )
    if rsvp.answer == RsvpAnswer.WAITING:
        messages.warning(
            request, "This event is full: you are on the waiting list. We will email you."
        )
    else:
        messages.success(request, f"Thanks: you said “{rsvp.get_answer_display()}”.")
    return redirect(event)


# --- Organisers ---------------------------------------------------------------------------


@login_required
def event_create_choose(request):
    groups = Group.objects.organised_by(request.user).order_by("name")
    if len(groups) == 1:
        return redirect("events:create", slug=groups[0].slug)
    return render(request, "events/event_create_choose.html", {"groups": groups})


def _tell_if_lookup_unavailable(request, form) -> None:
    if form.lookup_unavailable:
        messages.warning(
            request,
            "We could not look up the constituency for this postcode just now, so the event "
            "is saved without one. Edit the event to pick it from the list.",
        )


# --- The event form, and its warning before a clash ------------------------------------------


def _initial_from_query(request, form_class=EventForm) -> dict:
    """A suggested slot's link (no JavaScript) reloads the form with the organiser's values and
    the slot's times in the query string."""
    names = set(form_class.base_fields)
    return {key: value for key, value in request.GET.items() if key in names}


def _clash_warning(request, form, *, group, event=None) -> dict | None:
    """Before saving: the clashes this time and place would make, or None. Publishing anyway
    is allowed: the normal detection then tells both sides."""
    api = clashes_api()
    if api is None or form.publishing_anyway:
        return None
    data = form.service_kwargs()
    seat = data.get("constituency")
    warning = api.event_draft_warning(
        viewer=request.user,
        group_id=group.pk,
        starts_at=data["starts_at"],
        ends_at=data["ends_at"],
        constituency_id=seat.pk if seat else None,
        latitude=data.get("latitude", event.latitude if event else None),
        longitude=data.get("longitude", event.longitude if event else None),
        event_id=event.pk if event else None,
    )
    if not warning:
        return None
    form.offer_publish_anyway()
    return _clash_warning_context(warning, form_url=request.path, values=request.POST)


def _clash_warning_context(warning, *, form_url: str, values) -> dict:
    keep = {
        key: value
        for key, value in values.items()
        if key not in {"csrfmiddlewaretoken", "clash_warned", "publish_anyway"}
    }
    slots = []
    for slot in warning.slots:
        starts = timezone.localtime(slot.starts_at, LONDON).strftime(DATETIME_FORMAT)
        ends = timezone.localtime(slot.ends_at, LONDON).strftime(DATETIME_FORMAT)
        query = urlencode({**keep, "starts_at": starts, "ends_at": ends})
        slots.append(
            {
                "starts_at": slot.starts_at,
                "ends_at": slot.ends_at,
                "starts_value": starts,
                "ends_value": ends,
                "url": f"{form_url}?{query}",
            }
        )
    return {"clashes": warning.clashes, "slots": slots}


def _event_form(request, *, group, event=None, creating=True, initial=None) -> EventForm:
    check_url = reverse("events:clash_check", kwargs={"slug": group.slug})
    if event is not None and not creating:
        check_url += f"?event={event.pk}"
    return EventForm(
        request.POST or None,
        instance=event if not creating else None,
        initial=initial if request.method != "POST" else None,
        creating=creating,
        clash_check_url=check_url,
        group=group,
    )


def _invite_cohost(request, form, event) -> None:
    """The form's "invite a group to co-host": an invitation its organisers accept."""
    from groups.coalitions import event_cohost_invite

    cohost = form.cleaned_data.get("cohost")
    if cohost is None:
        return
    try:
        event_cohost_invite(event=event, group=cohost, user=request.user)
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
    else:
        messages.info(request, f"{cohost.name} is invited to co-host; their organisers decide.")


@login_required
def event_create(request, slug):
    group = group_get_for_organiser(user=request.user, slug=slug)
    form = _event_form(request, group=group, initial=_initial_from_query(request))
    warning = None
    if request.method == "POST" and form.is_valid():
        warning = _clash_warning(request, form, group=group)
        if warning is None:
            try:
                event = services.event_create(
                    group=group, author=request.user, **form.service_kwargs()
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Event created.")
                _invite_cohost(request, form, event)
                _tell_if_lookup_unavailable(request, form)
                return redirect(event)
    return render(
        request,
        "events/event_form.html",
        {"form": form, "group": group, "clash_warning": warning},
    )


@login_required
def event_edit(request, pk):
    event = event_get_for_editing(user=request.user, pk=pk)
    form = _event_form(
        request,
        group=event.group,
        event=event,
        creating=False,
        initial=_initial_from_query(request),
    )
    warning = None
    if request.method == "POST" and form.is_valid():
        warning = _clash_warning(request, form, group=event.group, event=event)
        if warning is None:
            try:
                services.event_update(event=event, author=request.user, **form.service_kwargs())
            except ValidationError as error:
                form.add_error(None, error)
            else:
                _invite_cohost(request, form, event)
                messages.success(
                    request, "Changes saved. People going were told of any new time or place."
                )
                _tell_if_lookup_unavailable(request, form)
                return redirect(event)
    # The form mutates the instance while validating: show the saved title in the heading.
    saved = Event.objects.select_related("group").get(pk=event.pk)
    return render(
        request,
        "events/event_form.html",
        {"form": form, "group": saved.group, "event": saved, "clash_warning": warning},
    )


@login_required
def event_duplicate(request, pk):
    event = event_get_for_organiser(user=request.user, pk=pk)
    warning = None
    if request.method == "POST":
        form = _event_form(request, group=event.group)
        if form.is_valid():
            warning = _clash_warning(request, form, group=event.group)
            if warning is None:
                try:
                    copy = services.event_create(
                        group=event.group, author=request.user, **form.service_kwargs()
                    )
                except ValidationError as error:
                    form.add_error(None, error)
                else:
                    messages.success(request, "Event duplicated.")
                    _tell_if_lookup_unavailable(request, form)
                    return redirect(copy)
    else:
        week = timedelta(days=7)
        if event.ends_at.year >= 9999:  # a week later does not exist (admin-made dates)
            week = timedelta(0)
        initial = {field: getattr(event, field) for field in services.EDITABLE_FIELDS}
        initial.update(
            starts_at=timezone.localtime(event.starts_at + week, LONDON),
            ends_at=timezone.localtime(event.ends_at + week, LONDON),
            constituency=event.constituency_id,
        )
        initial.update(_initial_from_query(request))
        form = _event_form(request, group=event.group, initial=initial)
    return render(
        request,
        "events/event_form.html",
        {"form": form, "group": event.group, "duplicating": event, "clash_warning": warning},
    )


@login_required
def event_clash_check(request, slug):
    """The event form's live warning (htmx, on change of time or place): a partial saying
    which events this would clash with, as the organiser may see them, and free slots."""
    group = group_get_for_organiser(user=request.user, slug=slug)
    form = EventClashCheckForm(request.GET)
    api = clashes_api()
    context = {"clash_warning": None}
    if api is not None and form.is_valid():
        constituency_id, latitude, longitude = form.place()
        event_id = request.GET.get("event", "")
        event = None
        if event_id.isdigit():
            event = Event.objects.filter(pk=int(event_id)).first()
            if event is not None and not user_organises_event(user=request.user, event=event):
                event = None
        warning = api.event_draft_warning(
            viewer=request.user,
            group_id=group.pk,
            starts_at=form.cleaned_data["starts_at"],
            ends_at=form.cleaned_data["ends_at"],
            constituency_id=constituency_id,
            latitude=latitude,
            longitude=longitude,
            event_id=event.pk if event else None,
        )
        if warning:
            form_url = (
                reverse("events:edit", kwargs={"pk": event.pk})
                if event
                else reverse("events:create", kwargs={"slug": group.slug})
            )
            context["clash_warning"] = _clash_warning_context(
                warning, form_url=form_url, values=request.GET
            )
    return render(request, "events/_clash_warning.html", context)


@login_required
def event_cancel(request, pk):
    event = event_get_for_editing(user=request.user, pk=pk)
    if request.method == "POST":
        services.event_cancel(event=event, author=request.user)
        messages.success(request, "Event cancelled. People going are being told.")
        return redirect(event)
    going = event.rsvps.filter(answer=RsvpAnswer.GOING).count()
    return render(request, "events/event_cancel.html", {"event": event, "going": going})


@login_required
def event_attendees(request, pk):
    """Members' and guests' answers (two queries whatever the size), and after the event has
    started, the form to tick who came."""
    event = event_get_for_organiser(user=request.user, pk=pk)
    rsvps = list(event.rsvps.select_related("user").order_by("answer", "created_at", "pk"))
    guests = list(GuestRsvp.objects.filter(event=event).order_by("answer", "created_at", "pk"))
    if request.GET.get("format") == "csv":
        response, writer = csv_response(f"event-{event.pk}-attendees.csv")
        writer.writerow(
            ["Name", "Email", "Answer", "Answered at (UK time)", "Account", "Postcode", "Came"]
        )
        rows = [(rsvp.user.name, rsvp.user.email, rsvp, "yes", "") for rsvp in rsvps] + [
            (guest.name, guest.email, guest, "no (guest)", guest.postcode) for guest in guests
        ]
        for name, email, answer, account, postcode in rows:
            writer.writerow(
                [
                    name,
                    email,
                    _answer_label(answer),
                    timezone.localtime(answer.updated_at, LONDON).strftime("%Y-%m-%d %H:%M"),
                    account,
                    postcode,
                    "yes" if answer.attended else "",
                ]
            )
        return response
    context = {
        "event": event,
        "rsvps": rsvps,
        "guests": guests,
        "answered": len(rsvps) + len(guests),
        "can_mark_attendance": event.starts_at <= timezone.now(),
    }
    return render(request, "events/event_attendees.html", context)


def _answer_label(answer) -> str:
    if isinstance(answer, GuestRsvp) and not answer.is_confirmed:
        return "Not confirmed yet"
    return answer.get_answer_display()


@login_required
@require_POST
def event_attendance(request, pk):
    event = event_get_for_organiser(user=request.user, pk=pk)
    form = AttendanceForm(
        request.POST,
        rsvp_ids=event.rsvps.values_list("pk", flat=True),
        guest_ids=GuestRsvp.objects.filter(event=event).values_list("pk", flat=True),
    )
    if not form.is_valid():
        messages.error(request, "Tick people who answered this event.")
        return redirect("events:attendees", pk=event.pk)
    try:
        came = services.event_attendance_set(
            event=event,
            rsvp_ids=form.cleaned_data["rsvp"],
            guest_ids=form.cleaned_data["guest"],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Saved: {came} came.")
    return redirect("events:attendees", pk=event.pk)


# --- Feeds --------------------------------------------------------------------------------


def feed_calendar(request):
    """The filtered calendar as a feed: the same query string as the calendar page."""
    event_filter = _calendar_filter(request)
    return ics.feed_response(
        request,
        ics.feed_events(event_filter.qs),
        name="Alliance campaign calendar",
        filename="alliance.ics",
    )


def feed_group(request, slug):
    group = get_object_or_404(Group, slug=slug)
    # Its own events, those it co-hosts and those it accepted to promote.
    events = Event.objects.visible_to(request.user).in_calendar_of([group.pk])
    return ics.feed_response(
        request,
        ics.feed_events(events),
        name=group.name,
        filename=f"{group.slug}.ics",
        promoted_in=[group.pk],
    )


def feed_party(request, slug):
    party = get_object_or_404(Party, slug=slug)
    events = Event.objects.visible_to(request.user).filter(group__party=party)
    return ics.feed_response(
        request, ics.feed_events(events), name=f"{party.name} events", filename=f"{party.slug}.ics"
    )


def feed_private(request, token):
    """A user's private feed: everything they may see, for calendar apps without a session."""
    calendar_token = CalendarToken.objects.select_related("user").filter(token=token).first()
    if calendar_token is None or not calendar_token.user.is_active:
        raise Http404("No such calendar.")
    user = calendar_token.user
    events = (
        Event.objects.visible_to(user)
        .filter(
            Q(visibility__in=[Visibility.ALLIANCE, Visibility.GROUP])
            | Q(rsvps__user=user)
            | Q(group__memberships__user=user)
        )
        .distinct()
    )
    return ics.feed_response(
        request,
        ics.feed_events(events),
        name="My Alliance calendar",
        filename="alliance-private.ics",
        private=True,
    )


@login_required
def my_calendar(request):
    token = services.calendar_token_get_or_create(user=request.user)
    if request.method == "POST":
        token = services.calendar_token_revoke(user=request.user)
        messages.success(request, "Your old private calendar address no longer works.")
        return redirect("events:my_calendar")
    url = absolute_url(reverse("events:feed_private", args=[token.token]))
    return render(request, "events/my_calendar.html", {"feed_url": url})


# --- Imported calendars -------------------------------------------------------------------


@login_required
def feed_list(request, slug):
    """The group's calendars, and step one of adding one (a preview comes next)."""
    group = group_get_for_organiser(user=request.user, slug=slug)
    form = CalendarFeedForm(request.POST or None, request.FILES or None, group=group)
    if request.method == "POST" and form.is_valid():
        try:
            feed = imports.calendar_feed_create(
                group=group,
                author=request.user,
                name=form.cleaned_data["name"],
                url=form.cleaned_data["url"],
                upload_data=form.cleaned_data["upload"],
                upload_name=form.upload_name,
                kind=form.cleaned_data["kind"],
                visibility=form.cleaned_data["visibility"],
                default_constituency=form.cleaned_data["default_constituency"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("events:feed_preview", pk=feed.pk)
    feeds = CalendarFeed.objects.filter(group=group).select_related("default_constituency")
    return render(
        request, "events/calendarfeed_list.html", {"group": group, "feeds": feeds, "form": form}
    )


@login_required
def feed_preview(request, pk):
    """Step two: what would be imported. Nothing is published until "Import these events".
    (For a calendar already added, the same page shows what the next sync would bring.)"""
    feed = feed_get_for_organiser(user=request.user, pk=pk)
    if imports.calendar_feed_preview_allowed(group=feed.group):
        preview = imports.calendar_feed_preview(feed=feed)
    else:
        preview = imports.FeedPreview(
            error="This group has previewed many calendars in the last hour; "
            "try again later, or import it without a preview."
        )
    return render(
        request,
        "events/calendarfeed_preview.html",
        {"feed": feed, "group": feed.group, "preview": preview},
    )


@login_required
@require_POST
def feed_confirm(request, pk):
    feed = feed_get_for_organiser(user=request.user, pk=pk)
    imports.calendar_feed_confirm(feed=feed)
    messages.success(request, f"{feed.name} added. Its events appear within a minute.")
    return redirect("events:feed_list", slug=feed.group.slug)


@login_required
@require_POST
def feed_sync(request, pk):
    """Queue a sync now (the worker does it: a big calendar must not hold a web worker)."""
    from events.tasks import calendar_feed_sync_task

    feed = feed_get_for_organiser(user=request.user, pk=pk)
    if not imports.calendar_feed_sync_now_allowed(feed=feed):
        messages.error(
            request,
            f"{feed.name}: this group's calendars were synced "
            f"{imports.SYNC_NOW_PER_GROUP_PER_HOUR} times in the last hour; they also sync "
            "by themselves every hour. Try again later.",
        )
        return redirect("events:feed_list", slug=feed.group.slug)
    enqueue_after_commit(calendar_feed_sync_task, feed.pk)
    messages.success(
        request, f"{feed.name}: sync started. Reload this page in a minute to see the result."
    )
    return redirect("events:feed_list", slug=feed.group.slug)


@login_required
@require_POST
def feed_delete(request, pk):
    feed = feed_get_for_organiser(user=request.user, pk=pk)
    slug, was_preview = feed.group.slug, feed.is_preview
    deleted, cancelled = imports.calendar_feed_delete(feed=feed)
    if was_preview:
        messages.success(request, "Calendar not added; nothing was imported.")
    else:
        messages.success(
            request,
            f"Calendar removed: {deleted} imported event{'s' if deleted != 1 else ''} deleted, "
            f"{cancelled} cancelled (people had replied to them and have been told).",
        )
    return redirect("events:feed_list", slug=slug)
