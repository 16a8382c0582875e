"""What each event visibility promises, kept on every path an event can be read by.

- members only: organisers and APPROVED members of the group (a request to join is not enough);
- alliance-wide: party staff, and organisers and approved members of VERIFIED groups (creating
  or joining an unverified group is not enough).

A brand-new account goes through the real HTTP flows (join, create a group) and then tries every
way in: the event page, its .ics, RSVP, month/week/agenda, search, and every feed.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from events import services as event_services
from events.models import Rsvp, Visibility
from groups.models import JoinPolicy, MembershipRequest
from tests.events.factories import EventFactory
from tests.factories import (
    GroupFactory,
    MembershipFactory,
    PartyBranchFactory,
    PartyStaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def _feed_uids(response) -> set[str]:
    assert response.status_code == 200, response.status_code
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(vevent["UID"]) for vevent in calendar.walk("VEVENT")}


def ways_in(client, user, event) -> dict[str, bool]:
    """Whether `user` reaches `event` by each path (signed in on `client` as `user`)."""
    client.force_login(user)
    local = timezone.localtime(event.starts_at, LONDON)
    uid = f"{event.uid}@alliance"
    token = event_services.calendar_token_get_or_create(user=user).token
    group = event.group
    seen = {
        "detail": client.get(event.get_absolute_url()).status_code == 200,
        "ics": client.get(reverse("events:ics", args=[event.pk])).status_code == 200,
    }
    for name, url in [
        ("month", reverse("events:month") + f"?month={local:%Y-%m}"),
        ("week", reverse("events:week") + f"?week={local:%Y-%m-%d}"),
        ("agenda", reverse("events:agenda") + f"?date={local:%Y-%m-%d}"),
        ("search", reverse("events:agenda") + f"?date={local:%Y-%m-%d}&q={event.title[:6]}"),
        ("group page", group.get_absolute_url()),
    ]:
        seen[name] = f'href="{event.get_absolute_url()}"' in client.get(url).content.decode()
    for name, url in [
        ("feed", reverse("events:feed")),
        ("filtered feed", reverse("events:feed") + f"?group={group.slug}&q={event.title}"),
        ("group feed", reverse("events:feed_group", args=[group.slug])),
        ("party feed", reverse("events:feed_party", args=[group.party.slug])),
        ("private feed", reverse("events:feed_private", args=[token])),
    ]:
        seen[name] = uid in _feed_uids(client.get(url))
    response = client.post(reverse("events:rsvp", args=[event.pk]), {"answer": "going"})
    seen["rsvp"] = response.status_code == 302
    seen["rsvp stored"] = Rsvp.objects.filter(event=event, user=user).exists()
    Rsvp.objects.filter(event=event, user=user).delete()
    return seen


def assert_sees_nothing(seen: dict[str, bool]) -> None:
    assert not any(seen.values()), {way for way, yes in seen.items() if yes}


def assert_sees_everywhere(seen: dict[str, bool]) -> None:
    assert all(seen.values()), {way for way, yes in seen.items() if not yes}


@pytest.fixture
def organiser(db):
    return UserFactory(name="Olive Organiser")


def _event(group, visibility, title):
    start = (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    return EventFactory(
        group=group,
        visibility=visibility,
        title=title,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
    )


# --- Members only -----------------------------------------------------------------------


def test_a_fresh_account_that_asks_to_join_sees_no_members_only_event(client, organiser):
    group = PartyBranchFactory(organiser=organiser, is_verified=True)
    assert group.join_policy == JoinPolicy.APPROVAL
    event = _event(group, Visibility.GROUP, "Closedmeeting")
    newcomer = UserFactory()
    client.force_login(newcomer)
    assert client.post(reverse("groups:join", args=[group.slug])).status_code == 302
    assert MembershipRequest.objects.filter(user=newcomer, group=group).exists()
    assert_sees_nothing(ways_in(client, newcomer, event))

    # The "yes": once an organiser approves, every path opens.
    client.force_login(organiser)
    join_request = MembershipRequest.objects.get(user=newcomer, group=group)
    client.post(
        reverse("groups:request_decide", args=[group.slug, join_request.pk]),
        {"decision": "approve"},
    )
    assert_sees_everywhere(ways_in(client, newcomer, event))


def test_joining_an_open_group_opens_its_members_only_events(client, organiser):
    group = PartyBranchFactory(organiser=organiser, join_policy=JoinPolicy.OPEN)
    event = _event(group, Visibility.GROUP, "Openmeeting")
    newcomer = UserFactory()
    assert_sees_nothing(ways_in(client, newcomer, event))
    client.force_login(newcomer)
    client.post(reverse("groups:join", args=[group.slug]))
    assert_sees_everywhere(ways_in(client, newcomer, event))


def test_organisers_see_their_members_only_events(client, organiser):
    group = PartyBranchFactory(organiser=organiser)
    event = _event(group, Visibility.GROUP, "Teammeeting")
    assert_sees_everywhere(ways_in(client, organiser, event))


# --- Alliance-wide ----------------------------------------------------------------------


def test_a_fresh_account_that_creates_a_group_sees_no_alliance_event(client, organiser):
    verified = PartyBranchFactory(organiser=organiser, is_verified=True)
    event = _event(verified, Visibility.ALLIANCE, "Alliancesummit")
    newcomer = UserFactory()
    client.force_login(newcomer)
    response = client.post(
        reverse("groups:create"),
        {
            "name": "Brand New Group",
            "kind": "pro_eu",
            "region": "E12000009",
            "contact_email": "new@example.org",
            "join_policy": "open",
        },
    )
    assert response.status_code == 302
    assert_sees_nothing(ways_in(client, newcomer, event))
    # Nor by joining an open group that nobody has verified.
    unverified = GroupFactory(join_policy=JoinPolicy.OPEN)
    client.force_login(newcomer)
    client.post(reverse("groups:join", args=[unverified.slug]))
    assert_sees_nothing(ways_in(client, newcomer, event))


def test_members_of_verified_groups_and_party_staff_see_alliance_events(client, organiser):
    home = PartyBranchFactory(organiser=organiser, is_verified=True)
    event = _event(home, Visibility.ALLIANCE, "Alliancesummit")
    elsewhere = GroupFactory(is_verified=True)
    member_elsewhere = MembershipFactory(group=elsewhere).user
    organiser_elsewhere = MembershipFactory(group=elsewhere, role="organiser").user
    staff = PartyStaffFactory().user
    for person in (member_elsewhere, organiser_elsewhere, staff, organiser):
        assert_sees_everywhere(ways_in(client, person, event))


def test_verifying_a_group_opens_alliance_events_to_its_members(client, organiser):
    event = _event(PartyBranchFactory(is_verified=True), Visibility.ALLIANCE, "Alliancesummit")
    group = GroupFactory(organiser=organiser)
    assert_sees_nothing(ways_in(client, organiser, event))
    group.is_verified = True  # site staff, in the admin
    group.save()
    assert_sees_everywhere(ways_in(client, organiser, event))


def test_alliance_events_are_not_members_only_events(client, organiser):
    """Alliance-wide reach does not open another group's members-only events."""
    other = PartyBranchFactory(is_verified=True)
    event = _event(other, Visibility.GROUP, "Closedmeeting")
    MembershipFactory(group=GroupFactory(is_verified=True), user=organiser)
    staff = PartyStaffFactory(party=other.party).user
    for person in (organiser, staff):
        assert_sees_nothing(ways_in(client, person, event))


def test_the_event_form_states_each_promise(client, organiser):
    group = GroupFactory(organiser=organiser)
    client.force_login(organiser)
    page = client.get(reverse("events:create", args=[group.slug])).content.decode()
    assert "organisers and approved members of verified groups" in page
    assert "this group&#x27;s organisers and approved members" in page
    assert "creating or joining an unverified group does not open it" in page
