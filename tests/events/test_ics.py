from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from events import services
from events.models import Event, EventStatus, Visibility
from tests.events.factories import EventFactory, RsvpFactory

LONDON = ZoneInfo("Europe/London")
pytestmark = pytest.mark.django_db


def _parse(response) -> icalendar.Calendar:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/calendar")
    return icalendar.Calendar.from_ical(response.content)


def _uids(calendar) -> set[str]:
    return {str(vevent["UID"]) for vevent in calendar.walk("VEVENT")}


def test_a_feed_of_1000_events_reparses_to_the_same_uids_times_and_titles(client, people):
    group = people["group"]
    start = timezone.now().replace(microsecond=0, second=0) + timedelta(hours=1)
    events = Event.objects.bulk_create(
        [
            Event(
                group=group,
                title=f"Canvass «{n}» & friends; line\\break",
                kind="canvassing",
                starts_at=start + timedelta(hours=7 * n),
                ends_at=start + timedelta(hours=7 * n + 2),
            )
            for n in range(1000)
        ]
    )
    response = client.get(reverse("events:feed_group", args=[group.slug]))
    calendar = _parse(response)
    vevents = calendar.walk("VEVENT")
    assert len(vevents) == 1000
    exported = {
        str(v["UID"]): (v.decoded("DTSTART"), v.decoded("DTEND"), str(v["SUMMARY"]))
        for v in vevents
    }
    # SUMMARY says which group runs the event: "Canvass (Bath Lib Dems)".
    expected = {
        f"{e.uid}@alliance": (e.starts_at, e.ends_at, f"{e.title} ({e.group.name})")
        for e in Event.objects.select_related("group")
    }
    assert exported == expected
    assert len(events) == 1000
    # Europe/London, with its VTIMEZONE, and the other required properties.
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]
    first = vevents[0]
    assert first["DTSTART"].params["TZID"] == "Europe/London"
    for name in ("DTSTAMP", "SEQUENCE", "URL", "STATUS"):
        assert name in first
    assert str(first["URL"]).endswith(f"/events/{Event.objects.order_by('starts_at')[0].pk}/")


def test_sequence_and_status_follow_changes(client, people):
    event = EventFactory(group=people["group"])
    url = reverse("events:feed_group", args=[people["group"].slug])
    before = _parse(client.get(url)).walk("VEVENT")[0]
    assert before["SEQUENCE"] == 0 and str(before["STATUS"]) == "CONFIRMED"
    services.event_update(event=event, author=people["organiser"], title="Renamed")
    services.event_cancel(event=event, author=people["organiser"])
    after = _parse(client.get(url)).walk("VEVENT")[0]
    assert after["SEQUENCE"] == 2
    assert str(after["STATUS"]) == "CANCELLED"
    assert str(after["UID"]) == str(before["UID"])


def test_feed_conditional_get_answers_304_until_something_changes(client, people):
    event = EventFactory(group=people["group"])
    url = reverse("events:feed_group", args=[people["group"].slug])
    first = client.get(url)
    etag, last_modified = first["ETag"], first["Last-Modified"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
    services.event_update(event=event, author=people["organiser"], title="Changed")
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    EventFactory(group=people["group"])  # a new event changes the tag too
    assert client.get(url, HTTP_IF_NONE_MATCH=changed["ETag"]).status_code == 200


def test_single_event_ics_download_and_all_day(client):
    day = datetime(2026, 12, 5, 0, 0, tzinfo=LONDON)
    event = EventFactory(all_day=True, starts_at=day, ends_at=day + timedelta(days=1))
    response = client.get(reverse("events:ics", args=[event.pk]))
    vevent = _parse(response).walk("VEVENT")[0]
    assert "attachment" in response["Content-Disposition"]
    assert vevent.decoded("DTSTART") == day.date()
    assert vevent.decoded("DTEND") == (day + timedelta(days=1)).date()


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("anonymous", {"public"}),
        ("outsider", {"public"}),
        ("other_member", {"public", "alliance"}),
        ("staff", {"public", "alliance"}),
        ("member", {"public", "alliance", "group"}),
        ("organiser", {"public", "alliance", "group"}),
    ],
)
def test_filtered_and_group_feeds_enforce_visibility(client, people, role, sees):
    by_visibility = {
        visibility: EventFactory(group=people["group"], visibility=visibility, title=visibility)
        for visibility in Visibility.values
    }
    if role != "anonymous":
        client.force_login(people[role])
    expected = {f"{by_visibility[v].uid}@alliance" for v in sees}
    for url in (
        reverse("events:feed"),
        reverse("events:feed") + f"?group={people['group'].slug}",
        reverse("events:feed_group", args=[people["group"].slug]),
    ):
        assert _uids(_parse(client.get(url))) == expected, url


def test_party_feed_lists_only_that_partys_branches(client, people):
    branch = people["other_group"]
    mine = EventFactory(group=branch)
    EventFactory(group=people["group"])
    calendar = _parse(client.get(reverse("events:feed_party", args=[branch.party.slug])))
    assert _uids(calendar) == {f"{mine.uid}@alliance"}


def test_filtered_feed_follows_the_calendar_filters(client, people):
    canvass = EventFactory(group=people["group"], kind="canvassing")
    EventFactory(group=people["group"], kind="social")
    calendar = _parse(client.get(reverse("events:feed") + "?kind=canvassing"))
    assert _uids(calendar) == {f"{canvass.uid}@alliance"}


def test_private_feed_uses_a_secret_revocable_token(client, people):
    member = people["member"]
    group_only = EventFactory(group=people["group"], visibility=Visibility.GROUP)
    alliance = EventFactory(group=people["other_group"], visibility=Visibility.ALLIANCE)
    elsewhere_group = EventFactory(group=people["other_group"], visibility=Visibility.GROUP)
    rsvped_public = EventFactory(group=people["other_group"])
    RsvpFactory(event=rsvped_public, user=member)
    token = services.calendar_token_get_or_create(user=member).token
    url = reverse("events:feed_private", args=[token])
    response = client.get(url)  # no session: calendar apps do not sign in
    uids = _uids(_parse(response))
    assert f"{group_only.uid}@alliance" in uids
    assert f"{alliance.uid}@alliance" in uids
    assert f"{rsvped_public.uid}@alliance" in uids
    assert f"{elsewhere_group.uid}@alliance" not in uids
    assert "private" in response["Cache-Control"]
    services.calendar_token_revoke(user=member)
    assert client.get(url).status_code == 404
    assert client.get(reverse("events:feed_private", args=["not-a-token"])).status_code == 404


def test_cancelled_events_stay_in_feeds_as_cancelled(client, people):
    event = EventFactory(group=people["group"], status=EventStatus.CANCELLED)
    vevent = _parse(client.get(reverse("events:feed"))).walk("VEVENT")[0]
    assert str(vevent["UID"]) == f"{event.uid}@alliance"
    assert str(vevent["STATUS"]) == "CANCELLED"
