"""Pure clash rules: plain data in, a yes/no or a set of pairs out. No queries.

Two scheduled events clash when
- they belong to different groups,
- their times overlap once one of them is widened by the travel margin on both sides
  (`a.start < b.end + margin and b.start - margin < a.end`: exactly PostgreSQL's
  `a.span && tstzrange(b.start - margin, b.end + margin, '[)')` for non-empty ranges),
- they are in the same area: a constituency both may be in, or both have coordinates and the
  great-circle (haversine) distance between them is at most the radius. An event may be in
  its constituency; an event with no place at all (no constituency, no coordinates: an
  imported event of a group covering several seats, say) may be anywhere in its group's area,
  so in any constituency the group covers,
- and some active clash rule puts one event's group on one side and the other's on the other.

`clashes/detection.py` implements exactly this in SQL; the property tests check that the two agree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG); detection.py uses the same constant

SCHEDULED = "scheduled"


@dataclass(frozen=True)
class RuleInfo:
    """One clash rule: groups of `side_a_kinds` (of `party_id` if set) vs `side_b_kinds`."""

    side_a_kinds: frozenset[str]
    side_b_kinds: frozenset[str]
    party_id: int | None = None

    def _on_a(self, event: EventInfo) -> bool:
        return event.group_kind in self.side_a_kinds and (
            self.party_id is None or event.party_id == self.party_id
        )

    def matches(self, a: EventInfo, b: EventInfo) -> bool:
        return (self._on_a(a) and b.group_kind in self.side_b_kinds) or (
            self._on_a(b) and a.group_kind in self.side_b_kinds
        )


DEFAULT_RULE = RuleInfo(
    side_a_kinds=frozenset({"party_branch"}),
    side_b_kinds=frozenset({"pro_eu", "progressive_alliance"}),
)


@dataclass(frozen=True)
class EventInfo:
    id: int
    group_id: int
    group_kind: str
    starts_at: datetime
    ends_at: datetime
    party_id: int | None = None
    constituency_id: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    status: str = SCHEDULED
    # The constituencies the event's group covers (its area).
    area_ids: frozenset[int] = frozenset()

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @property
    def in_group_area(self) -> bool:
        """No place of its own: for clashes it is anywhere in its group's area."""
        return self.constituency_id is None and not self.has_point

    @property
    def seat_ids(self) -> frozenset[int]:
        """The constituencies the event may be in."""
        if self.constituency_id is not None:
            return frozenset({self.constituency_id})
        return self.area_ids if self.in_group_area else frozenset()


@dataclass(frozen=True)
class ClashSettings:
    margin: timedelta
    radius_km: float
    rules: Sequence[RuleInfo] = field(default_factory=lambda: (DEFAULT_RULE,))


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km. Written exactly as the SQL in detection.py."""
    h = (
        math.sin(math.radians(lat2 - lat1) / 2) ** 2
        + math.cos(math.radians(lat1))
        * math.cos(math.radians(lat2))
        * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def times_overlap(a: EventInfo, b: EventInfo, margin: timedelta) -> bool:
    return a.starts_at < b.ends_at + margin and b.starts_at - margin < a.ends_at


def distance_km(a: EventInfo, b: EventInfo) -> float | None:
    if not (a.has_point and b.has_point):
        return None
    return haversine_km(a.latitude, a.longitude, b.latitude, b.longitude)


def same_area(a: EventInfo, b: EventInfo, radius_km: float) -> bool:
    if a.seat_ids & b.seat_ids:
        return True
    distance = distance_km(a, b)
    return distance is not None and distance <= radius_km


def sides_compared(a: EventInfo, b: EventInfo, rules: Iterable[RuleInfo]) -> bool:
    return any(rule.matches(a, b) for rule in rules)


def events_clash(a: EventInfo, b: EventInfo, settings: ClashSettings) -> bool:
    """Whether two events clash. Symmetric; an event never clashes with itself."""
    return (
        a.id != b.id
        and a.status == SCHEDULED
        and b.status == SCHEDULED
        and a.group_id != b.group_id
        and times_overlap(a, b, settings.margin)
        and same_area(a, b, settings.radius_km)
        and sides_compared(a, b, settings.rules)
    )


def pair_key(a_id: int, b_id: int) -> tuple[int, int]:
    """A clash is one row per unordered pair: (smaller id, larger id)."""
    return (a_id, b_id) if a_id < b_id else (b_id, a_id)


def clash_pairs_bruteforce(
    events: Sequence[EventInfo], settings: ClashSettings
) -> set[tuple[int, int]]:
    """The reference: every pair checked, O(n²). For tests and the benchmark's naive baseline."""
    pairs: set[tuple[int, int]] = set()
    for i, a in enumerate(events):
        for b in events[i + 1 :]:
            if events_clash(a, b, settings):
                pairs.add(pair_key(a.id, b.id))
    return pairs


def overlap_minutes(a: EventInfo, b: EventInfo) -> int:
    """Minutes the two events actually overlap (0 when they only meet within the margin)."""
    seconds = (min(a.ends_at, b.ends_at) - max(a.starts_at, b.starts_at)).total_seconds()
    return max(0, int(seconds // 60))


def candidate_slots(
    starts_at: datetime, ends_at: datetime, *, now: datetime, days: int = 14
) -> list[tuple[datetime, datetime]]:
    """Alternative times for an event, nearest first: the same wall-clock time (Europe/London,
    right across the clock changes) on other days, and three hours earlier or later, starting
    within the next `days` days."""
    from zoneinfo import ZoneInfo

    london = ZoneInfo("Europe/London")
    local = starts_at.astimezone(london)
    duration = ends_at - starts_at
    horizon = now + timedelta(days=days)
    found = []
    for day in range(-days, days + 1):
        for hours in (0, -3, 3):
            if day == 0 and hours == 0:
                continue
            start = (local + timedelta(days=day, hours=hours)).astimezone(london)
            if now < start <= horizon:
                found.append((abs(day) * 24 + abs(hours), day, hours, start))
    found.sort(key=lambda item: item[:3])
    return [(start, start + duration) for *_, start in found]
