"""Near me: groups and events within a distance of a postcode, nearest first, with miles; the
SQL distance agrees with the formula; a fixed number of queries whatever the size."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events.models import Event
from events.services import calendar_changed
from groups.models import Group
from groups.services import directory_changed
from seats.distance import Point, distance_miles, distance_miles_python, near_q
from tests.events.factories import EventFactory
from tests.factories import GroupFactory

pytestmark = pytest.mark.django_db

LEWES = Point(50.8736, 0.0088)
BRIGHTON = Point(50.8225, -0.1372)
EASTBOURNE = Point(50.7684, 0.2843)
LONDON = Point(51.5014, -0.1419)
PLACES = {"Lewes": LEWES, "Brighton": BRIGHTON, "Eastbourne": EASTBOURNE, "London": LONDON}


@pytest.fixture
def lewes_postcode(postcodes_server):
    postcodes_server.answers["BN72AA"] = ("E14001311", LEWES.latitude, LEWES.longitude)
    return "BN7 2AA"


def _groups():
    for name, point in PLACES.items():
        GroupFactory(name=f"{name} for Europe", latitude=point.latitude, longitude=point.longitude)
    GroupFactory(name="Nowhere in particular")  # not placed: never in a distance search


def test_sql_distance_agrees_with_the_formula_and_the_box_holds_the_circle(db):
    _groups()
    rows = Group.objects.exclude(latitude=None).annotate(miles=distance_miles(LEWES))
    for group in rows:
        expected = distance_miles_python(LEWES, Point(group.latitude, group.longitude))
        assert group.miles == pytest.approx(expected, abs=1e-6)
    assert distance_miles_python(LEWES, BRIGHTON) == pytest.approx(7.3, abs=0.1)
    assert distance_miles_python(LEWES, LONDON) == pytest.approx(43.5, abs=1.0)
    # Every group within 44 miles by the formula is inside the box.
    inside = set(Group.objects.filter(near_q(LEWES, 44)).values_list("name", flat=True))
    assert "London for Europe" in inside


def test_groups_nearest_first_with_their_distance(client, lewes_postcode):
    _groups()
    page = client.get(reverse("groups:list"), {"postcode": "bn72aa", "distance": 25})
    text = page.content.decode()
    names = re.findall(r"<h3><a [^>]+>([^<]+)</a></h3>", text)
    assert names == ["Lewes for Europe", "Brighton for Europe", "Eastbourne for Europe"]
    assert "0.0 miles away" in text and "7.3 miles away" in text
    assert "within 25 miles of BN7 2AA, nearest first" in text
    wider = client.get(reverse("groups:list"), {"postcode": "BN7 2AA", "distance": 50})
    assert "London for Europe" in wider.content.decode()


def test_an_unknown_or_invalid_postcode_says_so_and_lists_as_usual(client, postcodes_server):
    _groups()
    unknown = client.get(reverse("groups:list"), {"postcode": "ZZ1 1ZZ"}).content.decode()
    assert "We do not know where this postcode is." in unknown
    assert "Nowhere in particular" in unknown  # the usual alphabetical list
    invalid = client.get(reverse("groups:list"), {"postcode": "hello"}).content.decode()
    assert "Enter a UK postcode" in invalid


def test_a_lookup_that_is_down_is_said_plainly(client, postcodes_server):
    postcodes_server.answers["BN72AA"] = None  # the service answers 500
    page = client.get(reverse("groups:list"), {"postcode": "BN7 2AA"}).content.decode()
    assert "cannot look up postcodes just now" in page


def test_the_group_form_places_the_group_from_its_postcode(client, user, lewes_postcode):
    client.force_login(user)
    response = client.post(
        reverse("groups:create"),
        {
            "name": "Lewes Progressives",
            "kind": "pro_eu",
            "region": "E12000008",
            "contact_email": "hello@example.org",
            "join_policy": "approval",
            "postcode": "bn7 2aa",
        },
    )
    assert response.status_code == 302
    group = Group.objects.get(name="Lewes Progressives")
    assert (group.postcode, group.latitude, group.longitude) == (
        "BN7 2AA", LEWES.latitude, LEWES.longitude,
    )  # fmt: skip


def test_the_group_list_near_me_runs_a_fixed_number_of_queries(
    client, lewes_postcode, django_assert_num_queries
):
    url = reverse("groups:list") + "?postcode=BN7+2AA&distance=50"
    client.get(url)  # the postcode lookup is cached from here on
    _groups()
    directory_changed()  # written past the services: drop the cached pages as they would
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    Group.objects.bulk_create(
        Group(
            name=f"Group {n}",
            slug=f"bulk-{n}",
            kind="pro_eu",
            region="E12000008",
            contact_email="x@example.org",
            latitude=LEWES.latitude + n / 1000,
            longitude=LEWES.longitude,
        )
        for n in range(200)
    )
    directory_changed()
    with django_assert_num_queries(len(few)):
        page = client.get(url)
    assert "Group 0" in page.content.decode()


def _events():
    start = timezone.now() + timedelta(days=3)
    for hours, (name, point) in enumerate(PLACES.items()):
        EventFactory(
            title=f"{name} stall",
            starts_at=start + timedelta(hours=hours),
            ends_at=start + timedelta(hours=hours + 1),
            latitude=point.latitude,
            longitude=point.longitude,
        )
    EventFactory(title="Unplaced meeting")


@pytest.mark.parametrize("view", ["events:list", "events:agenda"])
def test_events_nearest_first_with_their_distance(client, lewes_postcode, view):
    _events()
    page = client.get(reverse(view), {"postcode": "BN7 2AA", "distance": 25})
    text = page.content.decode()
    titles = re.findall(r'<h4><a href="/events/\d+/">([^<]+?) <span', text)
    assert titles == ["Lewes stall", "Brighton stall", "Eastbourne stall"]
    assert "7.3 miles away" in text
    assert "Nearest first, within 25 miles of BN7 2AA" in text


def test_the_event_list_near_me_runs_a_fixed_number_of_queries(
    client, lewes_postcode, django_assert_num_queries
):
    url = reverse("events:agenda") + "?postcode=BN7+2AA&distance=50"
    client.get(url)
    _events()
    calendar_changed()  # written past the services: drop the cached pages as they would
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    group = GroupFactory()
    start = timezone.now() + timedelta(days=5)
    Event.objects.bulk_create(
        Event(
            group=group,
            title=f"Bulk {n}",
            kind="canvassing",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            latitude=LEWES.latitude + n / 1000,
            longitude=LEWES.longitude,
        )
        for n in range(200)
    )
    calendar_changed()
    with django_assert_num_queries(len(few)):
        page = client.get(url)
    assert "Bulk 0" in page.content.decode()


def test_the_home_page_asks_for_a_postcode_to_find_groups(client, db):
    page = client.get("/").content.decode()
    assert 'action="/groups/"' in page and 'name="postcode"' in page
    assert "Find groups near you" in page


def test_group_and_event_pages_show_where_they_are_on_the_hex_map(client, db):
    from tests.factories import ConstituencyFactory

    seat = ConstituencyFactory(name="Lewes", hex_q=3, hex_r=4)
    ConstituencyFactory(boundary_set=seat.boundary_set, name="Wealden", hex_q=4, hex_r=4)
    group = GroupFactory(name="Lewes for Europe")
    group.constituencies.set([seat])
    event = EventFactory(group=group, constituency=seat)
    for url in (group.get_absolute_url(), event.get_absolute_url()):
        page = client.get(url).content.decode()
        assert "Where: Lewes, in red on a hex map" in page
        assert page.count('<use href="#hex-locator"') == 3  # two grey, Lewes again in red
    unplaced = EventFactory(group=group)
    assert "hex-locator" not in client.get(unplaced.get_absolute_url()).content.decode()


def test_the_directorys_constituency_filter_is_escaped_and_keeps_the_choice(client, db):
    from tests.factories import ConstituencyFactory

    seat = ConstituencyFactory(boundary_set="2024", name='Bath <b>"&"</b>')
    group = GroupFactory(name="Bath for Europe")
    group.constituencies.set([seat])
    GroupFactory(name="Elsewhere for Europe")
    html = client.get(reverse("groups:list"), {"constituency": seat.pk}).content.decode()
    assert "Bath &lt;b&gt;&quot;&amp;&quot;&lt;/b&gt;" in html and '<b>"&"</b>' not in html
    assert f'<option value="{seat.pk}" selected>' in html
    assert "Bath for Europe" in html and "Elsewhere for Europe" not in html
