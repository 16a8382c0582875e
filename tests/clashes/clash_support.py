"""Helpers of the clash tests: events placed exactly where a test needs them."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from clashes.models import ClashRule
from clashes.rules import EventInfo
from events.models import Event
from tests.factories import GroupFactory, PartyBranchFactory, UserFactory

LONDON = ZoneInfo("Europe/London")
# Bristol city centre and a point 3 km east of it.
BRISTOL = (51.4545, -2.5879)
BRISTOL_EAST = (51.4545, -2.5447)
BATH = (51.3811, -2.3590)  # about 18 km away


def at(day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A London time `day` days from a fixed future Monday (2030-06-03)."""
    return datetime(2030, 6, 3, hour, minute, tzinfo=LONDON) + timedelta(days=day)


def make_event(group, *, start: datetime, hours: float = 2, point=None, **fields) -> Event:
    lat, lon = point if point else (None, None)
    return Event.objects.create(
        group=group,
        title=fields.pop("title", f"{group.name} event"),
        kind=fields.pop("kind", "street_stall"),
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        latitude=lat,
        longitude=lon,
        **fields,
    )


def info(event: Event) -> EventInfo:
    group = event.group
    return EventInfo(
        id=event.pk,
        group_id=event.group_id,
        group_kind=group.kind,
        party_id=group.party_id,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        constituency_id=event.constituency_id,
        latitude=event.latitude,
        longitude=event.longitude,
        status=event.status,
        area_ids=frozenset(group.constituencies.values_list("pk", flat=True)),
    )


def ensure_default_rule() -> None:
    """The data migration's rule; transactional tests flush it, so put it back if needed."""
    ClashRule.objects.get_or_create(
        side_a_kinds=["party_branch"],
        side_b_kinds=["pro_eu", "progressive_alliance"],
        party=None,
        defaults={"name": "Party branches vs pro-EU and Progressive Alliance groups"},
    )


def two_sides():
    """A party branch and a pro-EU group, each with its own organiser (and the default rule)."""
    ensure_default_rule()
    branch_organiser = UserFactory(name="Bea Branch")
    pro_eu_organiser = UserFactory(name="Paul ProEU")
    branch = PartyBranchFactory(organiser=branch_organiser)
    pro_eu = GroupFactory(organiser=pro_eu_organiser)
    return branch, pro_eu, branch_organiser, pro_eu_organiser
