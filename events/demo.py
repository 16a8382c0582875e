"""Sample events for the demo groups (called by `manage.py demo_load` after groups.demo).

Fictional and labelled as sample. Includes a weekly street stall and, in the Ashbourne Vale
sample constituency, a party branch canvassing session and a pro-EU rally at overlapping
times, so the clash worker has something to find.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from events import services
from events.models import Event, EventKind, Visibility
from groups.demo import DEMO_DOMAIN
from groups.models import Group, GroupKind, Membership, Role

LONDON = ZoneInfo("Europe/London")
SAMPLE_NOTE = "Sample event: fictional, here to show how Alliance works."


def _next_weekday(weekday: int, *, weeks_ahead: int = 0) -> date:
    """The next given weekday (0 = Monday) after today, plus whole weeks."""
    today = timezone.localdate(timezone=LONDON)
    days = (weekday - today.weekday()) % 7 or 7
    return today + timedelta(days=days + 7 * weeks_ahead)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


def _organiser(group: Group):
    membership = (
        Membership.objects.filter(group=group, role=Role.ORGANISER).select_related("user").first()
    )
    return membership.user if membership else None


def _event(group: Group, *, title, kind, starts_at, hours, **extra) -> Event:
    seat = group.constituencies.first()
    return services.event_create(
        group=group,
        author=_organiser(group),
        title=title,
        kind=kind,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        description=extra.pop("description", SAMPLE_NOTE),
        constituency=seat,
        **extra,
    )


@transaction.atomic
def load(stdout=None) -> int:
    """Create the sample events once. Returns how many events were created."""
    demo_groups = Group.objects.filter(contact_email__endswith=f"@{DEMO_DOMAIN}")
    if not demo_groups.exists():
        if stdout is not None:
            stdout.write("events: no demo groups, no sample events.")
        return 0
    if Event.objects.filter(group__in=demo_groups).exists():
        if stdout is not None:
            stdout.write("events: sample events already loaded.")
        return 0
    before = Event.objects.count()
    saturday = _next_weekday(5)
    by_place: dict[str, dict[str, Group]] = {}
    for group in demo_groups.order_by("pk"):
        seat = group.constituencies.first()
        place = seat.name if seat else group.name
        by_place.setdefault(place, {})[group.kind] = group

    for index, (_place, groups) in enumerate(sorted(by_place.items())):
        branch = groups.get(GroupKind.PARTY_BRANCH)
        pro_eu = groups.get(GroupKind.PRO_EU)
        alliance = groups.get(GroupKind.PROGRESSIVE_ALLIANCE)
        if index == 0 and branch and pro_eu:
            # The weekly street stall: Saturdays 10:00-12:00, local time all year round.
            _event(
                pro_eu,
                title="Weekly street stall",
                kind=EventKind.STREET_STALL,
                starts_at=_at(saturday, 10),
                hours=2,
                venue_name="Market Cross",
                address="High Street",
                repeat="weekly",
                description=f"{SAMPLE_NOTE}\n\nLeaflets, badges and a petition table.",
            )
            # A clash: the branch canvasses the same constituency during a pro-EU rally.
            clash_day = _next_weekday(6, weeks_ahead=1)  # a Sunday
            _event(
                branch,
                title="Doorstep canvassing session",
                kind=EventKind.CANVASSING,
                starts_at=_at(clash_day, 11),
                hours=3,
                venue_name="Meet at the library",
                capacity=20,
            )
            _event(
                pro_eu,
                title="Rally for Europe",
                kind=EventKind.RALLY,
                starts_at=_at(clash_day, 12),
                hours=2,
                venue_name="Town Hall steps",
            )
        if branch:
            _event(
                branch,
                title="Canvassing session",
                kind=EventKind.CANVASSING,
                starts_at=_at(_next_weekday(2, weeks_ahead=index % 3), 18, 30),
                hours=2,
                capacity=15,
            )
            _event(
                branch,
                title="Volunteer training",
                kind=EventKind.TRAINING,
                starts_at=_at(_next_weekday(3, weeks_ahead=1 + index % 2), 19),
                hours=2,
                visibility=Visibility.ALLIANCE,
            )
        if alliance:
            _event(
                alliance,
                title="Public meeting: working together locally",
                kind=EventKind.PUBLIC_MEETING,
                starts_at=_at(_next_weekday(1, weeks_ahead=2 + index % 3), 19),
                hours=2,
                venue_name="Community centre",
                capacity=80,
            )
        if pro_eu and index % 2 == 1:
            _event(
                pro_eu,
                title="Members' social",
                kind=EventKind.SOCIAL,
                starts_at=_at(_next_weekday(4, weeks_ahead=index % 4), 19, 30),
                hours=3,
                visibility=Visibility.GROUP,
            )
    from accounts.models import User

    supporter = User.objects.filter(email=f"supporter@{DEMO_DOMAIN}").first()
    if supporter is not None:
        for event in Event.objects.filter(
            group__in=demo_groups, visibility=Visibility.PUBLIC
        ).order_by("starts_at")[:6]:
            services.rsvp_set(event=event, user=supporter, answer="going")
    created = Event.objects.count() - before
    if stdout is not None:
        stdout.write(f"events: {created} sample events (a weekly stall and a clash included).")
    return created
