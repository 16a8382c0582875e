"""Calendar entries say which group runs them, with the party's colour and its name as text;
every .ics SUMMARY says the group too."""

import icalendar
import pytest

from tests.clashes.clash_support import at, make_event, two_sides
from tests.factories import PartyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def canvass():
    branch, *_ = two_sides()
    branch.name = "Bath Lib Dems"
    branch.party = PartyFactory(name="Liberal Democrats", short_name="LD", colour="#FAA61A")
    branch.save(update_fields=["name", "party"])
    return make_event(branch, start=at(0, 10), title="Canvass")


@pytest.mark.parametrize(
    "url",
    [
        "/events/month/?month=2030-06",
        "/events/week/?week=2030-06-03",
        "/events/agenda/?date=2030-06-03",
    ],
)
def test_calendar_entries_name_the_group_and_party_by_colour_and_text(client, canvass, url):
    html = client.get(url).content.decode()
    assert 'Canvass <span class="cal-group">(Bath Lib Dems)</span>' in html
    assert 'fill="#FAA61A"' in html and "</svg>LD</span>" in html


def test_every_ics_summary_names_the_group(client, canvass):
    for url in (f"/events/{canvass.pk}/event.ics", "/events/feed.ics"):
        calendar = icalendar.Calendar.from_ical(client.get(url).content)
        summaries = {str(v["SUMMARY"]) for v in calendar.walk("VEVENT")}
        assert "Canvass (Bath Lib Dems)" in summaries, url
