"""iCalendar out: RFC 5545 feeds built with the `icalendar` package, with cheap conditional GET.

UIDs are the events' stable UUIDs, SEQUENCE is bumped by every change, times are given in
Europe/London with its VTIMEZONE, cancelled events say STATUS:CANCELLED.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from functools import lru_cache
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import icalendar
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.http import http_date, parse_etags, parse_http_date_safe, quote_etag

from alliance.links import absolute_url

LONDON = ZoneInfo("Europe/London")
PRODID = "-//Alliance//Campaign calendar//EN"
UID_DOMAIN = "alliance"
# A feed covers this much of the past by default (calendar apps keep their own history).
FEED_PAST_DAYS = 90
FEED_MAX_EVENTS = 5000
VEVENT_CACHE_SECONDS = 60 * 60 * 24


@lru_cache(maxsize=1)
def _london_vtimezone_ical() -> bytes:
    return icalendar.Timezone.from_tzid(
        "Europe/London", first_date=date(2020, 1, 1), last_date=date(2040, 1, 1)
    ).to_ical()


def event_uid(event) -> str:
    return f"{event.uid}@{UID_DOMAIN}"


def event_summary(event) -> str:
    return f"{event.title} ({event.group.name})"


def _local(value: datetime) -> datetime:
    return timezone.localtime(value, LONDON)


def _vevent(event) -> icalendar.Event:
    """`event.promoted_by`, when a feed sets it: the names of the groups whose calendar this
    is that promote the event (it is another group's), shown in its description and
    categories as "Promoted by <group>"."""
    promoted_by = getattr(event, "promoted_by", ())
    vevent = icalendar.Event()
    vevent.add("uid", event_uid(event))
    vevent.add("dtstamp", event.updated_at.astimezone(ZoneInfo("UTC")))
    vevent.add("created", event.created_at.astimezone(ZoneInfo("UTC")))
    vevent.add("last-modified", event.updated_at.astimezone(ZoneInfo("UTC")))
    vevent.add("sequence", event.sequence)
    # Which group runs it, in every calendar app: "Canvass (Bath Lib Dems)".
    vevent.add("summary", event_summary(event))
    if event.all_day:
        start = _local(event.starts_at).date()
        end = _local(event.ends_at).date()
        vevent.add("dtstart", start)
        vevent.add("dtend", max(end, start + timedelta(days=1)))
    else:
        vevent.add("dtstart", _local(event.starts_at))
        vevent.add("dtend", _local(event.ends_at))
    promotion = "\n".join(f"Promoted by {name}" for name in promoted_by)
    description = "\n\n".join(part for part in (promotion, event.description) if part)
    if description:
        vevent.add("description", description)
    location = ", ".join(part for part in (event.venue_name, event.address, event.postcode) if part)
    if location:
        vevent.add("location", location)
    if event.latitude is not None and event.longitude is not None:
        vevent.add("geo", (event.latitude, event.longitude))
    vevent.add("url", absolute_url(event))
    vevent.add("organizer", "mailto:no-reply@alliance.invalid", parameters={"cn": event.group.name})
    vevent.add(
        "categories",
        [event.get_kind_display(), *(f"Promoted by {name}" for name in promoted_by)],
    )
    vevent.add("status", "CANCELLED" if event.is_cancelled else "CONFIRMED")
    vevent.add("class", "PUBLIC" if event.visibility == "public" else "PRIVATE")
    return vevent


def _vevent_cache_key(
    pk: int, sequence: int, updated_at: datetime, group_name: str, promoted_by=()
) -> str:
    """Changes with everything a VEVENT shows: each save bumps updated_at (and SEQUENCE);
    the groups promoting it differ from one feed to another."""
    version = "|".join([str(pk), str(sequence), updated_at.isoformat(), group_name, *promoted_by])
    return "ics:v1:" + hashlib.sha256(version.encode()).hexdigest()[:40]


def _key_of(event) -> str:
    return _vevent_cache_key(
        event.pk,
        event.sequence,
        event.updated_at,
        event.group.name,
        getattr(event, "promoted_by", ()),
    )


def _vevents_ical(keys: list[str], load) -> list[bytes]:
    """The VEVENTs for `keys` (in order), from the cache when that version was serialised
    before: building components with `icalendar` is the expensive part of a feed. `load`
    gets the positions of the missing ones and returns their Event objects."""
    try:
        cached = cache.get_many(keys)
    except Exception:  # the cache is an optimisation: without Redis, build everything
        cached = {}
    missing_positions = [i for i, key in enumerate(keys) if key not in cached]
    built = {}
    if missing_positions:
        for position, event in zip(missing_positions, load(missing_positions), strict=True):
            # None: deleted since the ids were read; it simply drops out of this response.
            built[keys[position]] = _vevent(event).to_ical() if event is not None else b""
        try:
            cache.set_many({k: v for k, v in built.items() if v}, timeout=VEVENT_CACHE_SECONDS)
        except Exception:  # noqa: S110 - see above
            pass
    return [cached[key] if key in cached else built[key] for key in keys]


def _calendar_head(name: str) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/London")
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"value": "DURATION"})
    calendar.add_component(icalendar.Timezone.from_ical(_london_vtimezone_ical()))
    head = calendar.to_ical()
    return head[: -len(CALENDAR_END)]


CALENDAR_END = b"END:VCALENDAR\r\n"


def calendar_build(events, *, name: str) -> bytes:
    """A VCALENDAR with the Europe/London VTIMEZONE and one VEVENT per event."""
    events = list(events)
    chunks = _vevents_ical(
        [_key_of(event) for event in events], lambda positions: [events[i] for i in positions]
    )
    return b"".join([_calendar_head(name), *chunks, CALENDAR_END])


def feed_events(queryset, *, start: datetime | None = None):
    """The events a feed lists: from 90 days ago (or `start`) on, soonest first."""
    start = start or timezone.now() - timedelta(days=FEED_PAST_DAYS)
    return queryset.filter(ends_at__gte=start).order_by("starts_at", "pk")


def feed_response(
    request, events, *, name: str, filename: str, private: bool = False, promoted_in=None
):
    """The feed as text/calendar with an ETag and Last-Modified; 304 when nothing changed.

    First one narrow query (ids and change times, capped at FEED_MAX_EVENTS) gives the
    validators, so a calendar app polling an unchanged feed costs that query and no rendering;
    only otherwise are the events themselves loaded, by primary key. `promoted_in`: the ids
    of the groups whose calendar this is; the events they promote are marked "Promoted by
    <group>" (one more query).
    """
    from groups.models import EventPromotion

    rows = list(events.values_list("pk", "updated_at", "sequence", "group__name")[:FEED_MAX_EVENTS])
    ids = [row[0] for row in rows]
    promoted = (
        EventPromotion.objects.promoters(event_ids=ids, group_ids=promoted_in)
        if promoted_in
        else {}
    )
    changed = max((row[1] for row in rows), default=None)
    fingerprint = "|".join(
        [
            str(len(rows)),
            changed.isoformat() if changed else "-",
            hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest(),
            hashlib.sha256(repr(sorted(promoted.items())).encode()).hexdigest(),
            request.get_full_path(),
        ]
    )
    etag = quote_etag(hashlib.sha256(fingerprint.encode()).hexdigest()[:32])
    last_modified_ts = int((changed or timezone.now()).timestamp())
    if_none_match = request.headers.get("If-None-Match")
    if_modified_since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    not_modified = False
    if if_none_match:
        not_modified = etag in parse_etags(if_none_match) or if_none_match.strip() == "*"
    elif if_modified_since is not None:
        not_modified = last_modified_ts <= if_modified_since
    headers = {
        "ETag": etag,
        "Last-Modified": http_date(last_modified_ts),
        # Public only when no one is signed in: alliance.middleware makes the rest private.
        "Cache-Control": "private, no-store" if private else "public, max-age=300",
    }
    if private:
        headers["X-Robots-Tag"] = "noindex"
        headers["Referrer-Policy"] = "no-referrer"
    if not_modified:
        response = HttpResponseNotModified()
    else:
        from events.models import Event

        def load(positions):
            wanted = [ids[i] for i in positions]
            loaded = Event.objects.filter(pk__in=wanted).select_related("group").in_bulk()
            for event in loaded.values():
                event.promoted_by = promoted.get(event.pk, ())
            return [loaded.get(pk) for pk in wanted]

        keys = [
            _vevent_cache_key(pk, sequence, at, group, promoted.get(pk, ()))
            for pk, at, sequence, group in rows
        ]
        body = b"".join([_calendar_head(name), *_vevents_ical(keys, load), CALENDAR_END])
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="{filename}"'
    for key, value in headers.items():
        response[key] = value
    return response


def google_calendar_url(event) -> str:
    """An "add to Google Calendar" link (template URL with dates in UTC)."""
    utc = ZoneInfo("UTC")
    if event.all_day:
        start = _local(event.starts_at).date()
        end = max(_local(event.ends_at).date(), start + timedelta(days=1))
        dates = f"{start:%Y%m%d}/{end:%Y%m%d}"
    else:
        dates = (
            f"{event.starts_at.astimezone(utc):%Y%m%dT%H%M%SZ}/"
            f"{event.ends_at.astimezone(utc):%Y%m%dT%H%M%SZ}"
        )
    location = ", ".join(p for p in (event.venue_name, event.address, event.postcode) if p)
    query = {
        "action": "TEMPLATE",
        "text": event.title,
        "dates": dates,
        "details": absolute_url(event),
        "location": location,
        "ctz": "Europe/London",
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def openstreetmap_url(event) -> str:
    if event.latitude is not None and event.longitude is not None:
        return (
            "https://www.openstreetmap.org/?"
            + urlencode({"mlat": event.latitude, "mlon": event.longitude})
            + f"#map=16/{event.latitude}/{event.longitude}"
        )
    query = ", ".join(p for p in (event.venue_name, event.address, event.postcode) if p)
    if not query:
        return ""
    return "https://www.openstreetmap.org/search?" + urlencode({"query": query})
