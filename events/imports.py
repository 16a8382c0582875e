"""iCalendar in: a group's external calendar (URL or uploaded file) synced into Event rows.

The sync never raises out of the task. Everything that goes wrong ends up on the feed:
`last_error` when nothing could be read at all, `warnings` for the parts that were skipped
(valid events in the same file still import). Imported events are read-only locally.
"""

from __future__ import annotations

import logging
import re
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from alliance.ratelimit import rate_limit_exceeded
from alliance.tasks import enqueue_after_commit
from events import import_fetch
from events.models import CalendarFeed, Event, EventStatus, Rsvp, Visibility
from events.services import (
    _attendees_notify_queue,
    calendar_changed,
    clash_check_queue,
    horizon_days,
)
from events.tasks import calendar_feed_sync_task

logger = logging.getLogger(__name__)

LONDON = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")
# How far back imported occurrences are kept in step (older ones are left alone).
PAST_DAYS = 365
MAX_WARNINGS = 50
# "Sync now" presses per group per hour (each one downloads and parses a calendar).
SYNC_NOW_PER_GROUP_PER_HOUR = 6
# Previews per group per hour (each downloads and parses a calendar in the web process).
PREVIEWS_PER_GROUP_PER_HOUR = 20
# A series making more occurrences than this in one day is refused (hourly is 24).
MAX_OCCURRENCES_PER_DAY = 24
# BEGIN:...END: nesting; VCALENDAR > VEVENT > VALARM is 3.
MAX_NESTING = 5
# Components (alarms, timezones, ...) allowed per event of EVENTS_FEED_MAX_EVENTS.
COMPONENTS_PER_EVENT = 3


class FeedError(Exception):
    """Nothing could be imported: the message is shown to the organiser as is."""


@dataclass
class SyncResult:
    created: int = 0
    updated: int = 0
    cancelled: int = 0
    not_modified: bool = False
    error: str = ""
    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(message)
        elif len(self.warnings) == MAX_WARNINGS:
            self.warnings.append("More problems were found; only the first 50 are listed.")


# --- Reading the bytes --------------------------------------------------------------------


MAX_REDIRECTS = 3


def _fetch(feed: CalendarFeed) -> tuple[bytes | None, str, str]:
    """GET the feed conditionally (see events/import_fetch.py for how the address is pinned
    and the deadline kept). None when the server says 304 Not Modified."""
    headers = {"User-Agent": "Alliance calendar sync", "Accept": "text/calendar, */*;q=0.5"}
    if feed.etag:
        headers["If-None-Match"] = feed.etag
    if feed.last_modified:
        headers["If-Modified-Since"] = feed.last_modified
    try:
        fetched = import_fetch.fetch(
            feed.url,
            headers=headers,
            max_bytes=settings.EVENTS_FEED_MAX_BYTES,
            total_seconds=settings.EVENTS_FEED_TIMEOUT,
            max_redirects=MAX_REDIRECTS,
            allow_private=settings.EVENTS_FEED_ALLOW_PRIVATE_HOSTS,
            too_big=lambda size, at_least: _too_big_message(size, at_least=at_least),
        )
    except import_fetch.FetchError as error:
        raise FeedError(str(error)) from error
    if fetched.status == 304:
        return None, feed.etag, feed.last_modified
    if fetched.status != 200:
        raise FeedError(f"The calendar server answered HTTP {fetched.status} for {feed.url}.")
    return (
        fetched.body,
        fetched.headers.get("ETag", "")[:300],
        fetched.headers.get("Last-Modified", "")[:100],
    )


def _too_big_message(size: int, *, at_least: bool = False) -> str:
    limit_mb = settings.EVENTS_FEED_MAX_BYTES / 1024 / 1024
    size_mb = size / 1024 / 1024
    more = "more than " if at_least else ""
    return (
        f"The calendar is too large ({more}{size_mb:.1f} MB); the limit is {limit_mb:.0f} MB. "
        "Publish a shorter calendar (e.g. only future events)."
    )


def _read_upload(feed: CalendarFeed) -> bytes:
    data = bytes(feed.upload_data or b"")
    if len(data) > settings.EVENTS_FEED_MAX_BYTES:
        raise FeedError(_too_big_message(len(data), at_least=True))
    return data


def _cap_vevents(text: str, result: SyncResult) -> str:
    """Cut a calendar with too many events before parsing it: parsing is the slow part."""
    limit = settings.EVENTS_FEED_MAX_EVENTS
    upper = text.upper()
    total = upper.count("BEGIN:VEVENT")
    if total <= limit:
        return text
    position = -1
    for _ in range(limit + 1):
        position = upper.index("BEGIN:VEVENT", position + 1)
    result.warn(f"The calendar holds {total:,} events; only the first {limit:,} were read.")
    return text[:position] + "END:VCALENDAR\r\n"


COMPONENT_LINE = re.compile(r"^(BEGIN|END)[ \t]*:", re.IGNORECASE | re.MULTILINE)


def _check_structure(text: str) -> None:
    """Refuse deeply nested or component-heavy files before the parser sees them: the
    parser and the walk over components are recursive and slow (3,000 nested VEVENTs took
    15 s and 560 MB). A real calendar nests three deep (VCALENDAR > VEVENT > VALARM)."""
    depth = deepest = components = 0
    for match in COMPONENT_LINE.finditer(text):
        if match.group(1).upper() == "BEGIN":
            depth += 1
            components += 1
            deepest = max(deepest, depth)
            if deepest > MAX_NESTING:
                raise FeedError(
                    f"The calendar nests components more than {MAX_NESTING} deep (for example "
                    "an event inside an event), so it was not read."
                )
        else:
            depth = max(0, depth - 1)
    limit = settings.EVENTS_FEED_MAX_EVENTS * COMPONENTS_PER_EVENT
    if components > limit:
        raise FeedError(
            f"The calendar holds {components:,} components (events, alarms, timezones...); "
            f"at most {limit:,} are read."
        )


def _decode(data: bytes, result: SyncResult) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data:  # PostgreSQL text cannot hold NUL: drop them before anything else
        result.warn("The file contains NUL bytes; they were removed.")
        data = data.replace(b"\x00", b"")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        result.warn(
            f"The file is not valid UTF-8 (first bad byte at position {error.start}); "
            "unreadable characters were replaced with �."
        )
        return data.decode("utf-8", errors="replace")


# --- Understanding the calendar ----------------------------------------------------------


@dataclass
class Occurrence:
    key: str
    uid: str
    title: str
    description: str
    location: str
    starts_at: datetime
    ends_at: datetime
    all_day: bool
    cancelled: bool


def _parse(text: str) -> list[icalendar.Calendar]:
    if "BEGIN:VCALENDAR" not in text[:2000].upper():
        raise FeedError("This is not an iCalendar file (it does not start with BEGIN:VCALENDAR).")
    try:
        calendars = icalendar.Calendar.from_ical(text, multiple=True)
    except Exception as error:  # noqa: BLE001 - untrusted input: the parser may raise anything
        raise FeedError(f"This iCalendar file could not be read: {str(error)[:200]}")
    calendars = [cal for cal in calendars if isinstance(cal, icalendar.Calendar)]
    if not calendars:
        raise FeedError("This file holds no calendar (no VCALENDAR).")
    return calendars


def _aware(value, *, tzid_ok: bool, result: SyncResult, uid: str) -> tuple[datetime, bool]:
    """A DTSTART/DTEND value as an aware datetime, and whether it was a whole day."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            if not tzid_ok:
                result.warn(
                    f"Event {uid}: its timezone is unknown, so its times were read as UK time."
                )
            return value.replace(tzinfo=LONDON), False
        return value, False
    if isinstance(value, date):
        return datetime.combine(value, datetime.min.time(), tzinfo=LONDON), True
    raise ValueError("not a date or time")


def _text(component, name: str, limit: int) -> str:
    value = component.get(name)
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0] if value else ""
    return " ".join(str(value).split())[:limit] if name != "DESCRIPTION" else str(value)[:limit]


def _occurrences(
    calendars: list[icalendar.Calendar], *, start: datetime, end: datetime, result: SyncResult
) -> list[Occurrence]:
    """Every occurrence between start and end, one series (UID) at a time so that one broken
    series costs only itself."""
    max_events = settings.EVENTS_FEED_MAX_EVENTS
    series: dict[str, list] = defaultdict(list)
    timezones = []
    vevent_count = 0
    for calendar in calendars:
        timezones.extend(calendar.walk("VTIMEZONE"))
        for component in calendar.walk("VEVENT"):
            vevent_count += 1
            if vevent_count > max_events:
                continue
            uid = str(component.get("UID", "")).strip()
            if not uid:
                summary = str(component.get("SUMMARY", ""))[:60]
                dtstart = component.get("DTSTART")
                try:
                    stamp = dtstart.to_ical().decode() if dtstart is not None else ""
                except Exception:  # two DTSTARTs, or a broken one: reported when expanded
                    stamp = ""
                uid = f"no-uid:{summary}:{stamp}"
                result.warn(f"An event without a UID (“{summary}”) was given one from its title.")
            series[uid].append(component)
    if vevent_count > max_events:
        result.warn(
            f"The calendar holds {vevent_count:,} events; only the first {max_events:,} were read."
        )
    if vevent_count == 0:
        result.warn("The calendar holds no events (no VEVENT).")
    known_tzids = {str(tz.get("TZID")) for tz in timezones}

    occurrences: list[Occurrence] = []
    max_occurrences = max_events
    # Occurrences looked at (kept or not), across every series of this sync.
    expanded, max_expanded = 0, max_events * 4
    for uid, components in series.items():
        if expanded > max_expanded:
            result.warn("The calendar's series make too many occurrences; the rest were skipped.")
            break
        if len(occurrences) >= max_occurrences:
            result.warn(
                f"More than {max_occurrences:,} occurrences fall in the next {horizon_days()} "
                "days; the rest were skipped."
            )
            break
        mini = icalendar.Calendar()
        for tz in timezones:
            mini.add_component(tz)
        for component in components:
            mini.add_component(component)
        backwards = [component for component in components if _ends_before_start(component)]
        if backwards:
            result.warn(f"Event {uid} was skipped: it ends (DTEND) before it starts (DTSTART).")
            components = [c for c in components if c not in backwards]
            if not components:
                continue
            mini = icalendar.Calendar()
            for tz in timezones:
                mini.add_component(tz)
            for component in components:
                mini.add_component(component)
        tzid_ok = all(_start_zone_known(component, known_tzids) for component in components)
        problem = next(filter(None, (_rule_problem(c) for c in components)), "")
        if problem:
            result.warn(f"Event {uid} was skipped: {problem}")
            continue
        try:
            # Only the window: at most MAX_OCCURRENCES_PER_DAY a day of it (checked above),
            # and no further than the sync's total. (An open-ended after() would search
            # forever for a rule that never matches, such as 31 February.)
            for item in recurring_ical_events.of(mini).between(start, end):
                expanded += 1
                if expanded > max_expanded:
                    break
                occurrence = _occurrence(item, uid=uid, tzid_ok=tzid_ok, result=result)
                if occurrence is None:
                    continue
                if occurrence.starts_at > end:
                    break
                occurrences.append(occurrence)
                if len(occurrences) >= max_occurrences:
                    break
        except Exception as error:  # a broken series must not stop the others
            result.warn(f"Event {uid} was skipped: {_describe(error)}")
            continue
    return occurrences


def _rule_problem(component) -> str:
    """Why this series may not be expanded, or "" when it may. Decided from the RRULE's parts
    alone, BEFORE any expansion: a 400-byte rule (FREQ=HOURLY;BYMINUTE=0..59;BYSECOND=0..59)
    would otherwise build millions of occurrences."""
    for name in ("RRULE", "EXRULE"):
        try:
            rules = component.get(name)
        except Exception:  # a broken rule: the expansion reports it in its own words
            continue
        if rules is None:
            continue
        for rule in rules if isinstance(rules, list) else [rules]:
            try:
                per_day = _occurrences_per_day(rule)
            except Exception:
                return f"its {name} cannot be read."
            if per_day is None:
                return "it repeats more often than every hour."
            if per_day > MAX_OCCURRENCES_PER_DAY:
                return (
                    f"it repeats {per_day:,} times a day; at most {MAX_OCCURRENCES_PER_DAY} "
                    "a day are imported."
                )
    return ""


def _occurrences_per_day(rule) -> int | None:
    """The most occurrences a rule can make in one day; None for sub-hourly rules (SECONDLY,
    MINUTELY, or any BYSECOND), which are never imported."""

    def values(part: str) -> list:
        value = rule.get(part) or []
        return value if isinstance(value, list) else [value]

    frequency = str((values("FREQ") or [""])[0]).upper()
    if frequency in {"SECONDLY", "MINUTELY"} or values("BYSECOND"):
        return None
    minutes = max(1, len(set(values("BYMINUTE"))))
    hours = len(set(values("BYHOUR")))
    if frequency == "HOURLY" and not hours:
        try:
            interval = max(1, int((values("INTERVAL") or [1])[0]))
        except (TypeError, ValueError):
            interval = 1
        hours = -(-24 // interval)  # ceiling
    return max(1, hours) * minutes


def _ends_before_start(component) -> bool:
    try:
        start, end = component.get("DTSTART"), component.get("DTEND")
        if start is None or end is None:
            return False
        start, end = start.dt, end.dt
        if isinstance(start, datetime) != isinstance(end, datetime):
            return False
        if isinstance(start, datetime) and (start.tzinfo is None) != (end.tzinfo is None):
            start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
        return end < start
    except Exception:  # unreadable values are reported when the series is expanded
        return False


def _start_zone_known(component, known_tzids: set[str]) -> bool:
    """False when DTSTART names a timezone neither the file nor the system knows."""
    prop = component.get("DTSTART")
    if isinstance(prop, list):  # a broken file with two DTSTARTs
        prop = prop[0] if prop else None
    params = getattr(prop, "params", None) or {}
    if "TZID" not in params:
        return True
    return params["TZID"] in known_tzids or _zone_exists(params["TZID"])


def _zone_exists(tzid: str) -> bool:
    try:
        ZoneInfo(str(tzid))
    except (ValueError, KeyError, OSError):
        return False
    return True


def _describe(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"it has no {error.args[0] if error.args else 'required property'}."
    message = str(error).strip() or error.__class__.__name__
    return message[:200].rstrip(".") + "."


def _occurrence(item, *, uid: str, tzid_ok: bool, result: SyncResult) -> Occurrence | None:
    try:
        dtstart = item.get("DTSTART")
        if dtstart is None:
            result.warn(f"Event {uid} was skipped: it has no start (DTSTART).")
            return None
        starts_at, all_day = _aware(dtstart.dt, tzid_ok=tzid_ok, result=result, uid=uid)
        dtend = item.get("DTEND")
        if dtend is not None:
            ends_at, _ = _aware(dtend.dt, tzid_ok=True, result=result, uid=uid)
        elif item.get("DURATION") is not None:
            ends_at = starts_at + item.get("DURATION").dt
        else:
            ends_at = starts_at + (timedelta(days=1) if all_day else timedelta(hours=1))
    except Exception as error:
        result.warn(f"Event {uid} was skipped: {_describe(error)}")
        return None
    if ends_at < starts_at:
        result.warn(f"Event {uid} was skipped: it ends (DTEND) before it starts (DTSTART).")
        return None
    if ends_at == starts_at:
        ends_at = starts_at + timedelta(minutes=1)
    title = _text(item, "SUMMARY", 200) or "(untitled)"
    return Occurrence(
        key=f"{uid[:500]}|{starts_at.astimezone(UTC):%Y%m%dT%H%M%SZ}",
        uid=uid[:500],
        title=title,
        description=_text(item, "DESCRIPTION", 5000),
        location=_text(item, "LOCATION", 300),
        starts_at=starts_at,
        ends_at=ends_at,
        all_day=all_day,
        cancelled=str(item.get("STATUS", "")).upper() == "CANCELLED",
    )


# --- Where imported events are -----------------------------------------------------------

# A UK postcode anywhere in a LOCATION line (the last one wins: addresses end with it).
POSTCODE_IN_TEXT = re.compile(
    r"\b(GIR ?0AA|[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2})\b", re.IGNORECASE
)
# Lookups per sync: distinct postcodes, and seconds in all (a slow lookup service must not
# push the sync past its time limit; the rest get the feed's default constituency).
MAX_POSTCODE_LOOKUPS = 200
POSTCODE_LOOKUP_SECONDS = 10.0


@dataclass(frozen=True)
class Place:
    constituency_id: int | None
    postcode: str = ""
    latitude: float | None = None
    longitude: float | None = None


def _places(
    feed: CalendarFeed, occurrences: list[Occurrence], result: SyncResult
) -> dict[str, Place]:
    """The place of every distinct LOCATION: its postcode, found with the same lookup as the
    event form (seats.postcodes), or else the feed's default constituency. A lookup that fails
    never loses the event: it keeps the default."""
    from seats.models import Constituency
    from seats.postcodes import InvalidPostcode, postcode_lookup, postcode_normalise

    default = Place(constituency_id=feed.default_constituency_id)
    places: dict[str, Place] = {}
    by_postcode: dict[str, Place] = {}
    budget_ends = time.monotonic() + POSTCODE_LOOKUP_SECONDS
    unplaced = 0
    for location in {occurrence.location for occurrence in occurrences}:
        matches = POSTCODE_IN_TEXT.findall(location)
        if not matches:
            places[location] = default
            continue
        try:
            postcode = postcode_normalise(matches[-1])
        except InvalidPostcode:
            places[location] = default
            continue
        if postcode not in by_postcode:
            place = default
            if len(by_postcode) < MAX_POSTCODE_LOOKUPS and time.monotonic() < budget_ends:
                found = postcode_lookup(postcode)
                seat_id = None
                if found and found.constituency_code:
                    seat_id = (
                        Constituency.objects.current()
                        .filter(ons_code=found.constituency_code)
                        .values_list("pk", flat=True)
                        .first()
                    )
                if seat_id:
                    place = Place(seat_id, postcode, found.latitude, found.longitude)
                else:
                    place = Place(default.constituency_id, postcode)
                    unplaced += 1
            else:
                place = Place(default.constituency_id, postcode)
                unplaced += 1
            by_postcode[postcode] = place
        places[location] = by_postcode[postcode]
    if unplaced:
        result.warn(
            f"{unplaced} postcode(s) in event locations could not be placed; those events "
            "were given the calendar's default constituency."
        )
    return places


# --- Writing events -----------------------------------------------------------------------

# A change to these is news for the people going: the event's SEQUENCE moves and they hear.
SYNCED_FIELDS = ("title", "description", "venue_name", "starts_at", "ends_at", "all_day", "status")
# These follow from the others (where the postcode is; who sees a cancelled event): kept in
# step quietly.
QUIET_FIELDS = ("postcode", "latitude", "longitude", "constituency_id", "visibility")


def _values(feed: CalendarFeed, occurrence: Occurrence, place: Place) -> tuple[dict, dict]:
    status = EventStatus.CANCELLED if occurrence.cancelled else EventStatus.SCHEDULED
    synced = {
        "title": occurrence.title,
        "description": occurrence.description,
        "venue_name": occurrence.location[:200],
        "starts_at": occurrence.starts_at,
        "ends_at": occurrence.ends_at,
        "all_day": occurrence.all_day,
        "status": status,
    }
    quiet = {
        "postcode": place.postcode,
        "latitude": place.latitude,
        "longitude": place.longitude,
        "constituency_id": place.constituency_id,
        # A cancelled imported event is not shown to the public at all.
        "visibility": feed.visibility if status == EventStatus.SCHEDULED else Visibility.GROUP,
    }
    return synced, quiet


def _apply(
    feed: CalendarFeed,
    occurrences: list[Occurrence],
    *,
    places: dict[str, Place],
    window_start: datetime,
    result,
) -> None:
    now = timezone.now()
    existing = {
        event.source_key: event
        for event in Event.objects.filter(feed=feed).only(
            "pk", "source_key", "sequence", "series_id", *SYNCED_FIELDS, *QUIET_FIELDS
        )
    }
    seen: set[str] = set()
    to_create: list[Event] = []
    changed: list[Event] = []
    moved_quietly: list[Event] = []
    for occurrence in occurrences:
        if occurrence.key in seen:
            continue
        seen.add(occurrence.key)
        synced, quiet = _values(feed, occurrence, places[occurrence.location])
        event = existing.get(occurrence.key)
        if event is None:
            to_create.append(
                Event(
                    **synced,
                    **quiet,
                    group_id=feed.group_id,
                    kind=feed.kind,
                    feed=feed,
                    is_imported=True,
                    source_uid=occurrence.uid,
                    source_key=occurrence.key,
                    created_at=now,
                    updated_at=now,
                )
            )
            continue
        news = any(getattr(event, name) != value for name, value in synced.items())
        quiet_change = any(getattr(event, name) != value for name, value in quiet.items())
        for name, value in {**synced, **quiet}.items():
            setattr(event, name, value)
        if news:
            event.sequence += 1
            event.updated_at = now
            changed.append(event)
        elif quiet_change:
            moved_quietly.append(event)
    Event.objects.bulk_create(to_create, batch_size=1000)
    Event.objects.bulk_update(
        changed, [*SYNCED_FIELDS, *QUIET_FIELDS, "sequence", "updated_at"], batch_size=1000
    )
    Event.objects.bulk_update(moved_quietly, list(QUIET_FIELDS), batch_size=1000)
    vanished = [
        event
        for key, event in existing.items()
        if key not in seen
        and event.status == EventStatus.SCHEDULED
        and event.starts_at >= window_start
    ]
    for event in vanished:
        event.cancel_fields_set(now=now, hide_from_public=True)
    Event.objects.bulk_update(vanished, Event.CANCEL_HIDDEN_FIELDS, batch_size=1000)
    for event in [*changed, *vanished]:
        _attendees_notify_queue(event)
    if to_create or changed or moved_quietly or vanished:
        calendar_changed()
    clash_check_queue(*[event.pk for event in [*to_create, *changed, *moved_quietly, *vanished]])
    result.created, result.updated, result.cancelled = len(to_create), len(changed), len(vanished)


def _window(now: datetime) -> tuple[datetime, datetime]:
    """Kept in step: the last year, and as far ahead as the platform's own series go."""
    return now - timedelta(days=PAST_DAYS), now + timedelta(days=horizon_days())


def _read_occurrences(
    feed: CalendarFeed, *, now: datetime, result: SyncResult
) -> tuple[list[Occurrence] | None, str, str]:
    """The feed's occurrences in the window; None when the server says nothing changed.
    Raises FeedError when nothing can be read at all."""
    window_start, window_end = _window(now)
    etag, last_modified = feed.etag, feed.last_modified
    if feed.url:
        data, etag, last_modified = _fetch(feed)
    else:
        data = _read_upload(feed)
    if data is None:
        return None, etag, last_modified
    text = _decode(data, result)
    text = _cap_vevents(text, result)
    _check_structure(text)
    calendars = _parse(text)
    occurrences = _occurrences(calendars, start=window_start, end=window_end, result=result)
    return occurrences, etag, last_modified


def calendar_feed_sync(*, feed: CalendarFeed, now: datetime | None = None) -> SyncResult:
    """Read the feed and bring its events in step. Records the outcome on the feed, in the
    same transaction as the events it wrote."""
    now = now or timezone.now()
    result = SyncResult()
    window_start, _ = _window(now)
    etag, last_modified = feed.etag, feed.last_modified
    try:
        occurrences, etag, last_modified = _read_occurrences(feed, now=now, result=result)
        if occurrences is None:
            result.not_modified = True
        else:
            places = _places(feed, occurrences, result)
            if not occurrences and not result.warnings:
                result.warn("No events fall within the last year or the coming months.")
            with transaction.atomic():
                _apply(feed, occurrences, places=places, window_start=window_start, result=result)
                _record(feed, result, now=now, etag=etag, last_modified=last_modified)
            return result
    except FeedError as error:
        result.error = str(error)
    _record(feed, result, now=now, etag=etag, last_modified=last_modified)
    return result


def _record(
    feed: CalendarFeed, result: SyncResult, *, now: datetime, etag: str, last_modified: str
) -> None:
    feed_fields = {
        "last_synced_at": now,
        "last_error": result.error,
    }
    if not result.not_modified:
        feed_fields["warnings"] = result.warnings
    if not result.error:
        feed_fields.update(etag=etag or "", last_modified=last_modified or "", last_success_at=now)
        if not result.not_modified:
            feed_fields["imported_count"] = Event.objects.filter(
                feed=feed, status=EventStatus.SCHEDULED
            ).count()
    CalendarFeed.objects.filter(pk=feed.pk).update(**feed_fields)
    for name, value in feed_fields.items():
        setattr(feed, name, value)


# --- Preview ------------------------------------------------------------------------------

PREVIEW_FIRST = 10


@dataclass
class FeedPreview:
    upcoming: int = 0
    past: int = 0
    first: list[Occurrence] = field(default_factory=list)
    cancelled: int = 0
    error: str = ""
    warnings: list[str] = field(default_factory=list)


def calendar_feed_preview(*, feed: CalendarFeed, now: datetime | None = None) -> FeedPreview:
    """What confirming would import: counts, the first upcoming events, the warnings. Reads
    the calendar with the same limits as a sync and writes nothing."""
    now = now or timezone.now()
    result = SyncResult()
    preview = FeedPreview()
    try:
        occurrences, _, _ = _read_occurrences(feed, now=now, result=result)
    except FeedError as error:
        preview.error = str(error)
        return preview
    occurrences = sorted(occurrences or [], key=lambda o: o.starts_at)
    upcoming = [o for o in occurrences if o.ends_at >= now and not o.cancelled]
    preview.upcoming = len(upcoming)
    preview.past = sum(1 for o in occurrences if o.ends_at < now and not o.cancelled)
    preview.cancelled = sum(1 for o in occurrences if o.cancelled)
    preview.first = upcoming[:PREVIEW_FIRST]
    preview.warnings = result.warnings
    return preview


def calendar_feed_preview_allowed(*, group) -> bool:
    """Count one preview (a download and a parse in the web process) for the group."""
    return not rate_limit_exceeded(
        scope="calendar-feed-preview",
        key=str(group.pk),
        limit=PREVIEWS_PER_GROUP_PER_HOUR,
        period_seconds=3600,
    )


# Advisory-lock namespace of feed syncs (the second key is the feed's id).
SYNC_LOCK_NAMESPACE = 7_042_001


@contextmanager
def _feed_sync_lock(feed_id: int):
    """Yield True when this process holds the feed's sync lock. A PostgreSQL session lock:
    released when we finish, and also when a killed worker's connection closes."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [SYNC_LOCK_NAMESPACE, feed_id])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [SYNC_LOCK_NAMESPACE, feed_id])


def calendar_feed_sync_by_id(*, feed_id: int) -> SyncResult | None:
    """The task's body: whatever happens, the task does not raise. A sync already running for
    the feed (the same task redelivered by the broker, or "Sync now" pressed twice) makes this
    one do nothing."""
    with _feed_sync_lock(feed_id) as acquired:
        if not acquired:
            logger.info("Calendar feed %s is already syncing; skipped", feed_id)
            return None
        feed = CalendarFeed.objects.filter(pk=feed_id, is_preview=False).first()
        if feed is None:  # deleted, or not confirmed yet: nothing is published before that
            return None
        try:
            return calendar_feed_sync(feed=feed)
        except Exception as error:  # the last line of defence: record it, never crash
            logger.exception("Calendar feed %s failed to sync", feed_id)
            message = f"The sync failed unexpectedly ({error.__class__.__name__}); we will retry."
            CalendarFeed.objects.filter(pk=feed_id).update(
                last_error=message, last_synced_at=timezone.now()
            )
            return SyncResult(error=message)


def calendar_feed_sync_now_allowed(*, feed: CalendarFeed) -> bool:
    """Count one "Sync now" for the feed's group; False once the group used up its hour."""
    return not rate_limit_exceeded(
        scope="calendar-feed-sync",
        key=str(feed.group_id),
        limit=SYNC_NOW_PER_GROUP_PER_HOUR,
        period_seconds=3600,
    )


@transaction.atomic
def calendar_feed_create(
    *,
    group,
    author,
    name: str,
    url: str = "",
    upload_data: bytes | None = None,
    upload_name: str = "",
    kind: str,
    visibility: str,
    default_constituency=None,
) -> CalendarFeed:
    """Add a calendar as a preview: nothing is imported or synced until it is confirmed."""
    if not url and not upload_data:
        raise ValidationError("Give the calendar's URL or upload an .ics file.")
    feed = CalendarFeed(
        group=group,
        created_by=author,
        name=name,
        url=url,
        upload_data=upload_data or None,
        upload_name=upload_name[:200],
        kind=kind,
        visibility=visibility,
        default_constituency=default_constituency,
        is_preview=True,
    )
    feed.full_clean()
    feed.save()
    return feed


@transaction.atomic
def calendar_feed_confirm(*, feed: CalendarFeed) -> CalendarFeed:
    """The organiser saw the preview: publish, and sync it now."""
    updated = CalendarFeed.objects.filter(pk=feed.pk, is_preview=True).update(is_preview=False)
    feed.is_preview = False
    if updated:
        enqueue_after_commit(calendar_feed_sync_task, feed.pk)
    return feed


def calendar_feed_previews_expire(*, now: datetime | None = None) -> int:
    """Previews nobody confirmed within a day are forgotten (with any uploaded file)."""
    cutoff = (now or timezone.now()) - timedelta(days=1)
    deleted, _ = CalendarFeed.objects.filter(is_preview=True, created_at__lt=cutoff).delete()
    return deleted


@transaction.atomic
def calendar_feed_delete(*, feed: CalendarFeed) -> tuple[int, int]:
    """Remove the feed. Its events nobody RSVPed to are deleted; upcoming events someone
    RSVPed to are cancelled and kept (those people are told), hidden from the public.
    Returns (deleted, cancelled)."""
    events = Event.objects.filter(feed=feed)
    answered = events.filter(Exists(Rsvp.objects.filter(event=OuterRef("pk"))))
    deleted, _ = events.exclude(pk__in=answered.values("pk")).delete()
    now = timezone.now()
    to_cancel = list(answered.filter(status=EventStatus.SCHEDULED, ends_at__gte=now))
    for event in to_cancel:
        event.cancel_fields_set(now=now, hide_from_public=True)
    Event.objects.bulk_update(to_cancel, Event.CANCEL_HIDDEN_FIELDS)
    for event in to_cancel:
        _attendees_notify_queue(event)
    calendar_changed()
    clash_check_queue(*[event.pk for event in to_cancel])
    feed.delete()
    return deleted, len(to_cancel)
