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
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from alliance.exports import csv_response
from alliance.links import absolute_url
from alliance.tasks import enqueue_after_commit
from events import ics, imports, services
from events.apps import clashes_api
from events.filters import EventFilter, filter_querystring
from events.forms import (
    DATETIME_FORMAT,
    CalendarFeedForm,
    EventClashCheckForm,
    EventForm,
    RsvpForm,
)
from events.models import CalendarFeed, CalendarToken, Event, RsvpAnswer, Visibility
from events.permissions import (
    event_get_for_editing,
    event_get_for_organiser,
    event_get_for_viewer,
    feed_get_for_organiser,
    user_organises_event,
)
from groups.models import Group, Membership, Party, Role
from groups.permissions import group_get_for_organiser

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


def calendar_month(request):
    event_filter = _calendar_filter(request)
    today = _today()
    chosen = _parse_date(request.GET.get("month"), "%Y-%m") or today.replace(day=1)
    first = chosen.replace(day=1)
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
    return render(request, "events/event_month.html", context)


def calendar_week(request):
    event_filter = _calendar_filter(request)
    today = _today()
    chosen = _parse_date(request.GET.get("week"), "%Y-%m-%d") or today
    monday = chosen - timedelta(days=chosen.weekday())
    sunday = monday + timedelta(days=6)
    days_map = _days_with_events(
        event_filter.qs, monday, sunday, WEEK_DAY_LIMIT, viewer=request.user
    )
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        events, total = days_map.get(day, ([], 0))
        days.append(
            {"date": day, "is_today": day == today, "events": events, "more": total - len(events)}
        )
    context = {
        "monday": monday,
        "sunday": sunday,
        "days": days,
        "previous": monday - timedelta(days=7),
        "next": monday + timedelta(days=7),
        "today": today,
        "view": "week",
        **_nav_context(request, event_filter),
    }
    return render(request, "events/event_week.html", context)


def calendar_agenda(request):
    event_filter = _calendar_filter(request)
    today = _today()
    chosen = _parse_date(request.GET.get("date"), "%Y-%m-%d") or today
    events = (
        event_filter.qs.filter(ends_at__gte=_local_midnight(chosen))
        .for_calendar(viewer=request.user)
        .annotate(day=TruncDate("starts_at", tzinfo=LONDON))
        .order_by("starts_at", "pk")
    )
    page = Paginator(events, AGENDA_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page_obj": page,
        "events": page.object_list,
        "date": chosen,
        "previous": chosen - timedelta(days=7),
        "next": chosen + timedelta(days=7),
        "today": today,
        "view": "agenda",
        **_nav_context(request, event_filter),
    }
    return render(request, "events/event_agenda.html", context)


def event_detail(request, pk):
    event = event_get_for_viewer(user=request.user, pk=pk)
    counts = event.rsvps.aggregate(
        going=Count("pk", filter=Q(answer=RsvpAnswer.GOING)),
        maybe=Count("pk", filter=Q(answer=RsvpAnswer.MAYBE)),
        waiting=Count("pk", filter=Q(answer=RsvpAnswer.WAITING)),
    )
    my_rsvp = (
        event.rsvps.filter(user=request.user).first() if request.user.is_authenticated else None
    )
    is_organiser = user_organises_event(user=request.user, event=event)
    api = clashes_api()
    context = {
        "event": event,
        # Only organisers of either side and party staff who may see a clash get these.
        "open_clashes": api.event_open_clashes(event_id=event.pk, viewer=request.user)
        if api
        else [],
        "counts": counts,
        "is_full": event.capacity is not None and counts["going"] >= event.capacity,
        "my_rsvp": my_rsvp,
        "rsvp_form": RsvpForm(initial={"answer": my_rsvp.answer if my_rsvp else "going"}),
        "is_organiser": is_organiser,
        "can_rsvp": not event.is_cancelled and event.ends_at >= timezone.now(),
        "organisers": Membership.objects.filter(
            group=event.group, role=Role.ORGANISER
        ).select_related("user"),
        "co_organisers": event.co_organisers.all(),
        "map_url": ics.openstreetmap_url(event),
        "google_url": ics.google_calendar_url(event),
    }
    return render(request, "events/event_detail.html", context)


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
    form = RsvpForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose going, maybe or not going.")
        return redirect(event)
    try:
        rsvp = services.rsvp_set(event=event, user=request.user, answer=form.cleaned_data["answer"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(event)
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
    )


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
    event = event_get_for_organiser(user=request.user, pk=pk)
    rsvps = event.rsvps.select_related("user").order_by("answer", "created_at", "pk")
    if request.GET.get("format") == "csv":
        response, writer = csv_response(f"event-{event.pk}-attendees.csv")
        writer.writerow(["Name", "Email", "Answer", "Answered at (UK time)"])
        for rsvp in rsvps:
            writer.writerow(
                [
                    rsvp.user.name,
                    rsvp.user.email,
                    rsvp.get_answer_display(),
                    timezone.localtime(rsvp.updated_at, LONDON).strftime("%Y-%m-%d %H:%M"),
                ]
            )
        return response
    return render(request, "events/event_attendees.html", {"event": event, "rsvps": rsvps})


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
    events = (
        Event.objects.visible_to(request.user)
        .filter(Q(group=group) | Q(co_organisers=group))
        .distinct()
    )
    return ics.feed_response(
        request, ics.feed_events(events), name=group.name, filename=f"{group.slug}.ics"
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
