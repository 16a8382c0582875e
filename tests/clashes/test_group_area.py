"""A group covering several seats: its events without a place of their own (an imported event
with no postcode, on a calendar without a default seat) are anywhere in its area for clash
purposes. The real detection finds them against an event in any seat of that area, never
outside it, and the clash page, its email and the daily digest say "somewhere in <area>"
rather than a distance."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from clashes import services
from clashes.delivery import clash_digest_build, clash_email_build
from clashes.drafts import Draft, draft_clashing_event_ids
from clashes.models import Clash, ClashNotification
from clashes.presentation import area_phrase
from events import imports
from events.forms import CalendarFeedForm
from events.models import CalendarFeed, Event
from tests.clashes.clash_support import BRISTOL, make_event, two_sides
from tests.events.test_imports import _ics, _soon, _vevent
from tests.factories import ConstituencyFactory

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def area():
    """A party branch covering three Bristol seats; a pro-EU group; a seat outside the area."""
    branch, pro_eu, branch_org, pro_eu_org = two_sides()
    seats = [
        ConstituencyFactory(name=name)
        for name in ("Bristol West", "Bristol East", "Bristol Central")
    ]
    branch.constituencies.set(seats)
    return {
        "branch": branch,
        "pro_eu": pro_eu,
        "branch_org": branch_org,
        "pro_eu_org": pro_eu_org,
        "seats": seats,
        "bath": ConstituencyFactory(name="Bath"),
    }


def _imported_without_a_place(branch, **fields) -> Event:
    """The branch's calendar, added without a default seat (its group covers several)."""
    form = CalendarFeedForm(group=branch)
    assert "default_constituency" not in form.initial
    feed = CalendarFeed.objects.create(
        group=branch,
        name="Campaign calendar",
        upload_data=_ics(_vevent("crown@src", _soon(5, 10), extra="LOCATION:The Crown")),
        **fields,
    )
    imports.calendar_feed_sync(feed=feed)
    event = Event.objects.get(feed=feed)
    assert (event.constituency, event.latitude) == (None, None)
    return event


def test_an_event_without_a_place_clashes_in_any_seat_of_its_group_s_area(area):
    crown = _imported_without_a_place(area["branch"])
    east = make_event(area["pro_eu"], start=_soon(5, 11), constituency=area["seats"][1])
    central = make_event(
        area["pro_eu"], start=_soon(5, 9), point=BRISTOL, constituency=area["seats"][2]
    )
    bath = make_event(area["pro_eu"], start=_soon(5, 10), constituency=area["bath"])
    unplaced_elsewhere = make_event(area["pro_eu"], start=_soon(5, 10))  # its group covers nothing

    result = services.clashes_sweep(start=_soon(4, 0), end=_soon(7, 0))

    pairs = {(c.event_a_id, c.event_b_id) for c in Clash.objects.filter(pk__in=result.new)}
    assert pairs == {(crown.pk, east.pk), (crown.pk, central.pk)}
    assert bath.pk not in {pk for pair in pairs for pk in pair}
    assert unplaced_elsewhere.pk not in {pk for pair in pairs for pk in pair}
    clash = Clash.objects.get(event_b=east)
    assert (clash.distance_km, clash.same_constituency) == (None, False)
    # Both sides are told, as for any clash.
    assert set(
        ClashNotification.objects.filter(clash=clash).values_list("recipient__email", flat=True)
    ) == {area["branch_org"].email, area["pro_eu_org"].email}


def test_the_incremental_check_and_the_form_warning_agree(area):
    crown = _imported_without_a_place(area["branch"])
    west = make_event(area["pro_eu"], start=_soon(5, 10), constituency=area["seats"][0])
    assert services.event_clashes_check(event_id=west.pk).new
    assert Clash.objects.filter(event_a=crown, event_b=west).exists()

    # The pro-EU organiser writing another event in the area, or outside it, at that time.
    inside = Draft(
        area["pro_eu"].pk, _soon(5, 10), _soon(5, 12), constituency_id=area["seats"][2].pk
    )
    outside = Draft(area["pro_eu"].pk, _soon(5, 10), _soon(5, 12), constituency_id=area["bath"].pk)
    assert draft_clashing_event_ids(inside) == [crown.pk]
    assert draft_clashing_event_ids(outside) == []
    # The branch writing an event without a place: anywhere in its area, so it meets "west".
    somewhere = Draft(area["branch"].pk, _soon(5, 11), _soon(5, 12))
    assert draft_clashing_event_ids(somewhere) == [west.pk]


def test_the_clash_page_and_email_say_somewhere_in_the_area(client, area):
    _imported_without_a_place(area["branch"])
    make_event(area["pro_eu"], start=_soon(5, 10), constituency=area["seats"][1])
    services.clashes_sweep(start=_soon(4, 0), end=_soon(7, 0))
    clash = Clash.objects.get()
    where = "somewhere in Bristol Central, Bristol East or Bristol West"

    client.force_login(area["pro_eu_org"])
    page = client.get(reverse("clashes:detail", kwargs={"pk": clash.pk})).content.decode()
    assert where in page
    assert "km apart" not in page

    notification = ClashNotification.objects.get(clash=clash, recipient=area["pro_eu_org"])
    email = clash_email_build(notification)
    assert where in email.body and "km apart" not in email.body
    assert where in email.alternatives[0][0]

    digest = clash_digest_build(area["pro_eu_org"], [notification])
    assert where in digest.body and "km apart" not in digest.body
    assert where in digest.alternatives[0][0]


def test_area_phrase():
    assert area_phrase(["Bath"]) == "somewhere in Bath"
    assert area_phrase(["A", "B"]) == "somewhere in A or B"
    assert area_phrase(["A", "B", "C", "D"]) == "somewhere in A, B, C or D"
    assert (
        area_phrase(["A", "B", "C", "D", "E"]) == "somewhere in A, B, C or 2 other constituencies"
    )
    assert area_phrase([]) == "somewhere in its group's area"


def test_the_form_warning_says_the_event_is_somewhere_in_the_area(client, area):
    crown = _imported_without_a_place(area["branch"], visibility="public")
    client.force_login(area["pro_eu_org"])
    start = timezone.localtime(crown.starts_at, LONDON)
    response = client.get(
        reverse("events:clash_check", kwargs={"slug": area["pro_eu"].slug}),
        {
            "starts_at": f"{start:%Y-%m-%dT%H:%M}",
            "ends_at": f"{start + timedelta(hours=1):%Y-%m-%dT%H:%M}",
            "constituency": area["seats"][0].pk,
        },
    )
    html = response.content.decode()
    assert "This overlaps “crown@src”" in html
    assert f"somewhere in the area {area['branch'].name} covers" in html
