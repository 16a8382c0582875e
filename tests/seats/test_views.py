"""Target list, hex map and seat page over HTTP."""

import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from events.models import Event
from seats.models import Constituency
from tests.conftest import _cache_clear_prefix
from tests.factories import ConstituencyFactory, GroupFactory
from tests.seats.factories import ElectionFactory, contest_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def election(parties):
    return ElectionFactory(slug="test2029", name="Test election 2029")


def make_seats(election, parties, n, start=0):
    """n seats: Con beats Lab, with LD+Green pushing the bloc over (progressive majority lost)
    on even seats and not on odd ones."""
    con, lab, ld, green = (parties[k] for k in ("Con", "Lab", "LD", "Green"))
    for i in range(start, start + n):
        contest_create(
            election=election,
            votes={con: 20000, lab: 12000 + 10 * i, ld: 9000 if i % 2 == 0 else 100, green: 500},
            name=f"Seat {i:04d}",
            hex_q=i % 30,
            hex_r=i // 30,
        )


def test_target_list_shows_the_pml_count_and_filters(client, election, parties):
    make_seats(election, parties, 6)
    response = client.get(reverse("seats:list"))
    assert response.status_code == 200
    assert response.context["pml_total"] == 3
    assert b"won by the Conservatives despite a progressive majority" in response.content
    response = client.get(reverse("seats:list"), {"election": "test2029", "flag": "pml"})
    names = [row.constituency.name for row in response.context["page_obj"]]
    assert names == ["Seat 0004", "Seat 0002", "Seat 0000"]  # best score first
    response = client.get(
        reverse("seats:list"), {"election": "test2029", "bloc": ["Lab", "Green"], "flag": "pml"}
    )
    assert response.context["pml_total"] == 0
    assert list(response.context["page_obj"]) == []


def test_target_list_sorting_is_whitelisted_and_bad_input_does_not_500(client, election, parties):
    make_seats(election, parties, 4)
    response = client.get(reverse("seats:list"), {"order": "name"})
    names = [row.constituency.name for row in response.context["page_obj"]]
    assert names == sorted(names)
    for params in (
        {"order": "constituency__name; drop table"},
        {"margin_min": "lots"},
        {"election": "nope"},
        {"bloc": "Con"},
        {"page": "999"},
    ):
        response = client.get(reverse("seats:list"), params)
        assert response.status_code == 200


def test_margin_and_best_placed_filters(client, election, parties):
    make_seats(election, parties, 4)
    con, ld = parties["Con"], parties["LD"]
    contest_create(election=election, votes={con: 10000, ld: 9900}, name="Close Call")
    response = client.get(reverse("seats:list"), {"best": "LD"})
    assert [r.constituency.name for r in response.context["page_obj"]] == ["Close Call"]
    response = client.get(reverse("seats:list"), {"margin_max": "1"})
    assert [r.constituency.name for r in response.context["page_obj"]] == ["Close Call"]


def test_target_list_csv_export(client, election, parties):
    make_seats(election, parties, 3)
    ConstituencyFactory(name="=cmd()")  # no contest: not in the export
    response = client.get(reverse("seats:list"), {"format": "csv", "order": "name"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["constituency"] for r in rows] == ["Seat 0000", "Seat 0001", "Seat 0002"]
    assert rows[0]["progressive_majority_lost"] == "yes"
    assert rows[1]["progressive_majority_lost"] == "no"


def test_csv_neutralises_formulas(client, election, parties):
    contest_create(
        election=election, votes={parties["Con"]: 2, parties["Lab"]: 1}, name="=HYPERLINK()"
    )
    rows = list(
        csv.DictReader(
            io.StringIO(client.get(reverse("seats:list"), {"format": "csv"}).content.decode())
        )
    )
    assert rows[0]["constituency"] == "'=HYPERLINK()"


@pytest.mark.parametrize("view", ["seats:list", "seats:map"])
def test_constant_query_count(client, election, parties, django_assert_num_queries, view):
    """Same count with 10 and 300 seats, on a cold cache and on a warm one."""
    counts = []
    for start, n in ((0, 10), (10, 290)):
        make_seats(election, parties, n, start=start)
        _cache_clear_prefix()
        with CaptureQueriesContext(connection) as cold:
            assert client.get(reverse(view)).status_code == 200
        with CaptureQueriesContext(connection) as warm:
            response = client.get(reverse(view))
        counts.append((len(cold), len(warm)))
    assert counts[0] == counts[1], counts
    if view == "seats:list":
        # the warm response comes from the cached body: 50 rows all the same
        assert response.content.decode().count('<tr>\n          <th scope="row">') == 50
    with django_assert_num_queries(counts[1][1]):
        client.get(reverse(view))


def test_hex_map_links_every_seat_with_a_title(client, election, parties):
    make_seats(election, parties, 5)
    response = client.get(reverse("seats:map"), {"colour": "pml"})
    body = response.content.decode()
    assert body.count('<use href="#hex"') == 5
    seat = Constituency.objects.get(name="Seat 0000")
    assert reverse("seats:detail", args=[seat.boundary_set, seat.ons_code]) in body
    assert "<title>Seat 0000: Con won, progressive majority lost</title>" in body
    assert "Conservative win despite a progressive majority" in body  # legend
    for colour in ("winner", "best", "nonsense"):
        assert client.get(reverse("seats:map"), {"colour": colour}).status_code == 200


def test_hex_map_finds_a_seat_and_is_drawn_big_enough_to_tap(client, election, parties):
    make_seats(election, parties, 5)
    seat = Constituency.objects.get(name="Seat 0003")
    body = client.get(reverse("seats:map")).content.decode()
    picker = body[body.index('id="find-seat"') : body.index("</select>", body.index("find-seat"))]
    assert '<option value="">Choose a constituency</option>' in picker  # "Find my seat"
    assert picker.count("<option") == 6
    assert 'id="found-hex"' not in body
    # The <svg> is drawn 2.4 px per unit: a hexagon (10.4 units across) is 25 px on any screen.
    viewbox = re.search(r'viewBox="([^"]+)" width="(\d+)" height="(\d+)"', body)
    width_units = float(viewbox.group(1).split()[2])
    assert int(viewbox.group(2)) == round(width_units * 2.4)

    body = client.get(reverse("seats:map"), {"seat": seat.ons_code, "colour": "best"}).content
    body = body.decode()
    assert body.count('id="found-hex"') == 1
    assert "Seat 0003 is ringed on the map." in body
    assert reverse("seats:detail", args=[seat.boundary_set, seat.ons_code]) in body
    assert '<input type="hidden" name="colour" value="best">' in body  # keeps the colouring
    assert client.get(reverse("seats:map"), {"seat": "nonsense"}).status_code == 200


def test_seat_page_chart_history_groups_events(client, election, parties, user):
    make_seats(election, parties, 1)
    seat = Constituency.objects.get(name="Seat 0000")
    later = ElectionFactory(slug="test2031", name="Test election 2031", date="2031-05-01")
    contest_create(
        election=later, constituency=seat, votes={parties["Lab"]: 21000, parties["Con"]: 19000}
    )
    group = GroupFactory(name="Seat Zero Greens")
    group.constituencies.add(seat)
    from django.utils import timezone

    now = timezone.now()
    Event.objects.create(
        group=group,
        title="Canvass <Seat 0000>",
        kind="canvassing",
        starts_at=now + timezone.timedelta(days=2),
        ends_at=now + timezone.timedelta(days=2, hours=2),
        constituency=seat,
    )
    Event.objects.create(
        group=group,
        title="Members only",
        kind="social",
        visibility="group",
        starts_at=now + timezone.timedelta(days=3),
        ends_at=now + timezone.timedelta(days=3, hours=2),
        constituency=seat,
    )
    url = reverse("seats:detail", args=[seat.boundary_set, seat.ons_code])
    body = client.get(url, {"election": "test2029"}).content.decode()
    assert 'class="results-chart"' in body
    assert "Conservative" in body and "20,000" in body
    assert "Test election 2031" in body  # history
    assert "Seat Zero Greens" in body
    assert "Canvass &lt;Seat 0000&gt;" in body
    assert "Members only" not in body
    assert client.get(reverse("seats:detail", args=["2010", "E99999999"])).status_code == 404
