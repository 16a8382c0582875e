"""A voter opens the hex map, clicks a seat and sees its results chart (no JS needed)."""

import re

import pytest
from django.core.management import call_command

from groups.parties import parties_seed

pytestmark = pytest.mark.browser


@pytest.fixture
def ge2019(shared_data, transactional_db):
    parties_seed()
    call_command("seats_import_results", str(shared_data / "ge2019_results.csv"), election="ge2019")
    call_command(
        "seats_import_hexmap",
        str(shared_data / "hexmap_constituencies_2010_boundaries.hexjson"),
        boundary_set="2010",
    )


def test_hex_map_to_seat_results_chart(page, live_server, ge2019):
    page.goto("/seats/map/?election=ge2019")
    page.get_by_role("heading", name="Hex map: General election 2019").wait_for()
    assert page.locator("svg a").count() == 650
    page.get_by_role("link", name=re.compile(r"^Aldershot: won by Con")).click()
    page.get_by_role("heading", name="Aldershot", exact=True).wait_for()
    chart = page.get_by_role("img", name="Votes by party in Aldershot, General election 2019")
    chart.wait_for()
    assert "Conservative" in chart.text_content()
    assert "27,980" in chart.text_content()  # the winner's 2019 vote, from the file


def test_map_colour_switch_works_without_js(page, live_server, ge2019):
    page.goto("/seats/map/?election=ge2019")
    page.get_by_role("link", name="Progressive majority lost").click()
    page.get_by_text("Conservative win despite a progressive majority").wait_for()
    assert "colour=pml" in page.url
