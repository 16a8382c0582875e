import csv
import io
import json
from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from events.models import CalendarFeed, Event, EventStatus, Rsvp, Visibility
from events.services import calendar_changed
from events.tasks import calendar_feed_sync_task
from tests.events.factories import EventFactory, RsvpFactory
from tests.factories import ConstituencyFactory, GroupFactory, UserFactory

LONDON = ZoneInfo("Europe/London")
pytestmark = pytest.mark.django_db


def _bulk_events(group, count: int, *, start: datetime, **fields):
    """`count` events spread over the 28 days from `start` (several per day)."""
    constituency = ConstituencyFactory()
    events = Event.objects.bulk_create(
        [
            Event(
                group=group,
                title=f"Bulk {n}",
                kind="canvassing",
                starts_at=start + timedelta(minutes=(n * 28 * 24 * 60) // count),
                ends_at=start + timedelta(minutes=(n * 28 * 24 * 60) // count + 60),
                constituency=constituency,
                **fields,
            )
            for n in range(count)
        ]
    )
    for event in events[:: max(1, count // 20)]:
        RsvpFactory(event=event)
    calendar_changed()  # seeded past the services: no cached calendar page may outlive it
    return events


def _count_queries(client, url, django_assert_max_num_queries) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("view", ["events:month", "events:agenda", "events:week"])
def test_calendar_views_run_a_fixed_number_of_queries(
    client, people, view, django_assert_num_queries
):
    """Same SQL count with 10 and with 1,000 events (signed in, so visibility costs queries)."""
    client.force_login(people["member"])
    start = datetime(2026, 12, 1, 9, 0, tzinfo=LONDON)
    params = {
        "events:month": "?month=2026-12",
        "events:agenda": "?date=2026-12-01",
        "events:week": "?week=2026-12-07",
    }[view]
    url = reverse(view) + params
    _bulk_events(people["group"], 10, start=start)
    with_10 = _count_queries(client, url, None)
    _bulk_events(people["group"], 990, start=start)
    with django_assert_num_queries(with_10):
        response = client.get(url)
    assert response.status_code == 200
    assert "Bulk" in response.content.decode()


def test_month_view_caps_each_day_and_links_to_the_rest(client, people):
    day = datetime(2026, 12, 3, 9, 0, tzinfo=LONDON)
    for hour in range(7):
        EventFactory(
            group=people["group"],
            title=f"Slot {hour}",
            starts_at=day + timedelta(hours=hour),
            ends_at=day + timedelta(hours=hour, minutes=30),
        )
    html = client.get(reverse("events:month") + "?month=2026-12").content.decode()
    assert "Slot 0" in html and "Slot 3" in html and "Slot 4" not in html
    assert "3 more" in html
    assert "date=2026-12-03" in html


def test_an_empty_month_points_to_the_next_event_and_phones_get_day_names(client, people):
    EventFactory(
        group=people["group"],
        title="Spring stall",
        starts_at=datetime(2030, 3, 5, 10, 0, tzinfo=LONDON),
        ends_at=datetime(2030, 3, 5, 12, 0, tzinfo=LONDON),
    )
    html = client.get(reverse("events:month") + "?month=2030-01").content.decode()
    assert "No events in January." in html
    assert '<a href="?month=2030-03">The next is on Tuesday 5 March →</a>' in html
    html = client.get(reverse("events:month") + "?month=2030-03").content.decode()
    assert "No events in March" not in html and "The next is on" not in html
    # On a phone the grid is an agenda: each day with events shows its full date.
    assert '<span class="cal-day-long" aria-hidden="true">Tuesday 5 March</span>' in html


def test_month_view_places_events_on_the_london_date(client, people):
    # 23:30 on 31 Mar 2027 in London (BST) is 22:30 UTC: still the 31st.
    late = datetime(2027, 3, 31, 23, 30, tzinfo=LONDON)
    EventFactory(
        group=people["group"],
        title="Late vigil",
        starts_at=late,
        ends_at=late + timedelta(minutes=20),
    )
    html = client.get(reverse("events:month") + "?month=2027-03").content.decode()
    assert "Late vigil" in html
    assert "23:30" in html


def test_agenda_filters_survive_paging_and_feed_link_keeps_them(client, people):
    start = timezone.now() + timedelta(days=1)
    _bulk_events(people["group"], 60, start=start)
    EventFactory(group=GroupFactory(), title="Other group's event", starts_at=start)
    url = reverse("events:agenda") + f"?group={people['group'].slug}&q=Bulk"
    response = client.get(url)
    html = response.content.decode()
    assert response.context["page_obj"].paginator.count == 60
    assert "Other group" not in html
    assert f"group={people['group'].slug}" in html and "page=2" in html
    page_2 = client.get(url + "&page=2")
    assert page_2.context["page_obj"].number == 2
    assert all(e.group_id == people["group"].pk for e in page_2.context["events"])
    assert f"feed.ics?group={people['group'].slug}" in html.replace("&amp;", "&")


@pytest.mark.parametrize(
    "query",
    [
        "?month=banana",
        "?week=2026-13-45",
        "?date=nope",
        "?party=nope&kind=xx&constituency=abc",
        "?after=not-a-date",
        "?page=999",
        "?region=<script>",
    ],
)
def test_bad_calendar_input_never_500s(client, query):
    for view in ("events:month", "events:week", "events:agenda", "events:feed"):
        assert client.get(reverse(view) + query).status_code == 200


def test_filters_by_party_group_kind_region_constituency_and_mine(client, people):
    branch = people["other_group"]
    seat = ConstituencyFactory(region="E12000007")  # London
    by_branch = EventFactory(group=branch, title="Branch canvass", kind="canvassing")
    in_seat = EventFactory(
        group=people["group"], title="Seat rally", kind="rally", constituency=seat
    )
    mine = people["member"]

    def titles(query):
        response = client.get(reverse("events:agenda") + query)
        return {e.title for e in response.context["events"]}

    assert titles(f"?party={branch.party.slug}") == {"Branch canvass"}
    assert titles("?group_kind=party_branch") == {"Branch canvass"}
    assert titles("?kind=rally") == {"Seat rally"}
    assert titles(f"?constituency={seat.pk}") == {"Seat rally"}
    assert titles("?region=E12000007") == {"Seat rally"}
    assert titles("?q=canvass") == {"Branch canvass"}
    client.force_login(mine)
    assert titles("?mine=on") == {"Seat rally"}
    assert by_branch and in_seat


# --- Visibility ---------------------------------------------------------------------------

ROLES_SEEING = {
    "anonymous": {"public"},
    "outsider": {"public"},
    "other_member": {"public", "alliance"},
    "staff": {"public", "alliance"},
    "member": {"public", "alliance", "group"},
    "organiser": {"public", "alliance", "group"},
}


@pytest.mark.parametrize("role", ROLES_SEEING)
def test_every_view_enforces_visibility(client, people, role):
    start = timezone.now() + timedelta(days=2)
    events = {
        v: EventFactory(
            group=people["group"],
            visibility=v,
            title=f"Secret-{v}",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
        )
        for v in Visibility.values
    }
    if role != "anonymous":
        client.force_login(people[role])
    sees = ROLES_SEEING[role]
    local = timezone.localtime(start, LONDON)
    pages = [
        reverse("events:month") + f"?month={local:%Y-%m}",
        reverse("events:week") + f"?week={local:%Y-%m-%d}",
        reverse("events:agenda"),
    ]
    for page in pages:
        html = client.get(page).content.decode()
        for visibility, event in events.items():
            assert (event.title in html) == (visibility in sees), (page, visibility)
    for visibility, event in events.items():
        expected = 200 if visibility in sees else 404
        assert client.get(event.get_absolute_url()).status_code == expected
        assert client.get(reverse("events:ics", args=[event.pk])).status_code == expected


# --- Organiser-only views -------------------------------------------------------------------


def _organiser_urls(event, feed):
    return [
        ("get", reverse("events:edit", args=[event.pk])),
        ("get", reverse("events:duplicate", args=[event.pk])),
        ("get", reverse("events:cancel", args=[event.pk])),
        ("post", reverse("events:cancel", args=[event.pk])),
        ("get", reverse("events:attendees", args=[event.pk])),
        ("get", reverse("events:attendees", args=[event.pk]) + "?format=csv"),
        ("get", reverse("events:create", args=[event.group.slug])),
        ("post", reverse("events:create", args=[event.group.slug])),
        ("get", reverse("events:feed_list", args=[event.group.slug])),
        ("post", reverse("events:feed_sync", args=[feed.pk])),
        ("post", reverse("events:feed_delete", args=[feed.pk])),
    ]


@pytest.mark.parametrize("role", ["anonymous", "outsider", "member", "other_member", "staff"])
def test_organiser_views_refuse_everyone_else(client, people, role):
    event = EventFactory(group=people["group"])
    feed = CalendarFeed.objects.create(group=people["group"], name="X", url="http://127.0.0.1:9/")
    if role != "anonymous":
        client.force_login(people[role])
    for method, url in _organiser_urls(event, feed):
        response = getattr(client, method)(url)
        if role == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        else:
            assert response.status_code in (403, 404), (url, response.status_code)
    event.refresh_from_db()
    assert event.status == EventStatus.SCHEDULED
    assert CalendarFeed.objects.filter(pk=feed.pk).exists()


def test_hidden_event_is_404_not_403_for_outsiders(client, people):
    event = EventFactory(group=people["group"], visibility=Visibility.GROUP)
    client.force_login(people["outsider"])
    assert client.get(reverse("events:attendees", args=[event.pk])).status_code == 404
    client.force_login(people["member"])
    assert client.get(reverse("events:attendees", args=[event.pk])).status_code == 403


def test_imported_events_cannot_be_edited_or_cancelled_locally(client, people):
    event = EventFactory(group=people["group"], is_imported=True)
    client.force_login(people["organiser"])
    assert client.get(reverse("events:edit", args=[event.pk])).status_code == 403
    assert client.post(reverse("events:cancel", args=[event.pk])).status_code == 403
    assert "Imported" in client.get(event.get_absolute_url()).content.decode()


# --- Organiser flows ----------------------------------------------------------------------


def _form_data(**overrides):
    start = timezone.localtime(timezone.now() + timedelta(days=3), LONDON).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    data = {
        "title": "Saturday stall",
        "kind": "street_stall",
        "description": "Leaflets <b>and</b> badges",
        "starts_at": f"{start:%Y-%m-%dT%H:%M}",
        "ends_at": f"{start + timedelta(hours=2):%Y-%m-%dT%H:%M}",
        "venue_name": "Market Square",
        "address": "",
        "postcode": "",
        "constituency": "",
        "capacity": "",
        "visibility": "public",
        "repeat": "",
        "repeat_until": "",
    }
    data.update(overrides)
    return data


def test_organiser_creates_an_event_with_a_postcode_lookup(client, people, local_http, settings):
    seat = ConstituencyFactory(ons_code="E14001234", boundary_set="2024")
    local_http.body = json.dumps(
        {
            "result": {
                "codes": {"parliamentary_constituency_2024": "E14001234"},
                "latitude": 51.5,
                "longitude": -0.12,
            }
        }
    ).encode()
    settings.POSTCODES_API_URL = local_http.url
    client.force_login(people["organiser"])
    response = client.post(
        reverse("events:create", args=[people["group"].slug]), _form_data(postcode="sw1a1aa")
    )
    assert response.status_code == 302
    event = Event.objects.get()
    assert (event.postcode, event.constituency, event.latitude) == ("SW1A 1AA", seat, 51.5)
    html = client.get(event.get_absolute_url()).content.decode()
    assert "openstreetmap.org" in html and "calendar.google.com" in html
    assert "&lt;b&gt;and&lt;/b&gt;" in html  # user text escaped


def test_failed_lookup_asks_for_the_constituency_and_keeps_the_input(client, people):
    client.force_login(people["organiser"])
    url = reverse("events:create", args=[people["group"].slug])
    response = client.post(url, _form_data(postcode="SW1A 1AA", title="Keep me"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "pick it from the list" in html
    assert 'value="Keep me"' in html and 'value="SW1A 1AA"' in html
    seat = ConstituencyFactory()
    response = client.post(url, _form_data(postcode="SW1A 1AA", constituency=seat.pk))
    assert response.status_code == 302
    assert Event.objects.get().constituency == seat


def test_bad_form_input_re_renders_with_messages(client, people):
    client.force_login(people["organiser"])
    url = reverse("events:create", args=[people["group"].slug])
    data = _form_data(postcode="NOT A POSTCODE", ends_at="2020-01-01T00:00", capacity="-3")
    response = client.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "UK postcode" in html and "end after it starts" in html
    assert not Event.objects.exists()


def test_organiser_creates_a_weekly_series(client, people):
    client.force_login(people["organiser"])
    client.post(reverse("events:create", args=[people["group"].slug]), _form_data(repeat="weekly"))
    assert Event.objects.count() >= 15  # 120-day horizon


def test_edit_duplicate_cancel_and_attendees(client, people):
    event = EventFactory(group=people["group"], title="Canvass")
    rsvp = RsvpFactory(event=event, user=UserFactory(name='=HYPERLINK("x")'))
    client.force_login(people["organiser"])
    edit = client.post(reverse("events:edit", args=[event.pk]), _form_data(title="Canvass (new)"))
    assert edit.status_code == 302
    event.refresh_from_db()
    assert event.title == "Canvass (new)" and event.sequence == 1
    duplicate_page = client.get(reverse("events:duplicate", args=[event.pk]))
    assert 'value="Canvass (new)"' in duplicate_page.content.decode()
    client.post(reverse("events:duplicate", args=[event.pk]), _form_data(title="Copy"))
    assert Event.objects.filter(title="Copy", group=people["group"]).exists()
    csv_response = client.get(reverse("events:attendees", args=[event.pk]) + "?format=csv")
    rows = list(csv.reader(io.StringIO(csv_response.content.decode())))
    assert rows[0][:3] == ["Name", "Email", "Answer"]
    assert rows[1][0].startswith("'=")  # formula defused
    assert rows[1][1] == rsvp.user.email
    client.post(reverse("events:cancel", args=[event.pk]))
    event.refresh_from_db()
    assert event.status == EventStatus.CANCELLED
    assert "Cancelled" in client.get(event.get_absolute_url()).content.decode()


def test_rsvp_view_and_full_events(client, people):
    event = EventFactory(group=people["group"], capacity=1)
    client.force_login(people["member"])
    client.post(reverse("events:rsvp", args=[event.pk]), {"answer": "going"})
    client.force_login(people["other_member"])
    response = client.post(
        reverse("events:rsvp", args=[event.pk]), {"answer": "going"}, follow=True
    )
    html = response.content.decode()
    assert "waiting list" in html
    assert "Full" in html
    assert Rsvp.objects.get(user=people["other_member"]).answer == "waiting"
    assert (
        client.post(reverse("events:rsvp", args=[event.pk]), {"answer": "bogus"}).status_code == 302
    )


def test_rsvp_needs_sign_in_and_visibility(client, people):
    event = EventFactory(group=people["group"], visibility=Visibility.GROUP)
    response = client.post(reverse("events:rsvp", args=[event.pk]), {"answer": "going"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(people["outsider"])
    assert (
        client.post(reverse("events:rsvp", args=[event.pk]), {"answer": "going"}).status_code == 404
    )
    assert not Rsvp.objects.exists()


def test_feed_list_shows_errors_and_warnings_to_the_organiser(client, people):
    CalendarFeed.objects.create(
        group=people["group"],
        name="LD calendar",
        url="http://127.0.0.1:9/",
        last_error="The calendar server answered HTTP 404.",
        warnings=["Event x was skipped."],
    )
    client.force_login(people["organiser"])
    html = client.get(reverse("events:feed_list", args=[people["group"].slug])).content.decode()
    assert "HTTP 404" in html and "Event x was skipped." in html


def test_organiser_uploads_an_ics_file(client, people, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    start = timezone.now() + timedelta(days=2)
    body = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:u1\r\n"
        f"DTSTAMP:20260101T000000Z\r\nDTSTART:{start:%Y%m%dT%H%M%SZ}\r\n"
        f"DTEND:{start + timedelta(hours=1):%Y%m%dT%H%M%SZ}\r\nSUMMARY:From file\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()
    client.force_login(people["organiser"])
    url = reverse("events:feed_list", args=[people["group"].slug])
    response = client.post(
        url,
        {
            "name": "File",
            "url": "",
            "kind": "other",
            "visibility": "public",
            "upload": SimpleUploadedFile("cal.ics", body, content_type="text/calendar"),
        },
    )
    assert response.status_code == 302
    feed = CalendarFeed.objects.get()
    assert feed.is_preview  # step two: the preview, then "Import these events"
    client.post(reverse("events:feed_confirm", args=[feed.pk]))
    with (
        mock.patch("events.tasks.calendar_feed_sync_task.delay") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(reverse("events:feed_sync", args=[feed.pk]), follow=True)
    queued.assert_called_once_with(feed.pk)
    assert "sync started" in response.content.decode()
    calendar_feed_sync_task.apply(args=[feed.pk])  # what the worker then runs
    assert Event.objects.get(feed=feed).title == "From file"
    assert (
        client.post(url, {"name": "Empty", "kind": "other", "visibility": "public"}).status_code
        == 200
    )


def test_my_calendar_page_shows_and_revokes_the_private_feed(client, people):
    client.force_login(people["member"])
    first = client.get(reverse("events:my_calendar")).context["feed_url"]
    client.post(reverse("events:my_calendar"))
    second = client.get(reverse("events:my_calendar")).context["feed_url"]
    assert first != second and "/events/feeds/private/" in second


def test_filter_options_are_escaped_and_keep_the_choice(client):
    group = GroupFactory(name='<script>alert("x")</script> & Co', slug="evil")
    html = client.get(reverse("events:agenda") + "?group=evil").content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in html
    assert '<option value="evil" selected>' in html
    assert group.pk


def test_date_range_filter_in_the_agenda_and_the_feed(client, people):
    def on(day):
        start = datetime(2027, 1, day, 10, 0, tzinfo=LONDON)
        return EventFactory(
            group=people["group"],
            title=f"Jan {day}",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
        )

    early, middle, late = on(5), on(15), on(25)
    query = "?after=2027-01-10&before=2027-01-20"
    response = client.get(reverse("events:agenda") + query + "&date=2027-01-01")
    assert [e.title for e in response.context["events"]] == ["Jan 15"]
    feed = client.get(reverse("events:feed") + query).content.decode()
    assert str(middle.uid) in feed and str(early.uid) not in feed and str(late.uid) not in feed


def test_agenda_says_when_an_event_is_full(client, people):
    event = EventFactory(group=people["group"], capacity=1)
    RsvpFactory(event=event)
    assert "Full: waiting list" in client.get(reverse("events:agenda")).content.decode()
