"""Nadia types her postcode on the home page and finds the groups nearest to her first."""

import re

import pytest

from tests.factories import GroupFactory


@pytest.mark.browser
def test_a_postcode_search_lists_the_nearest_groups_first(page, transactional_db, postcodes_server):
    postcodes_server.answers["BN72AA"] = ("E14001311", 50.8736, 0.0088)  # Lewes
    for name, latitude, longitude in (
        ("London for Europe", 51.5014, -0.1419),
        ("Eastbourne for Europe", 50.7684, 0.2843),
        ("Lewes for Europe", 50.8736, 0.0088),
        ("Brighton for Europe", 50.8225, -0.1372),
    ):
        GroupFactory(name=name, latitude=latitude, longitude=longitude)

    page.goto("/")
    page.get_by_label("Your postcode").fill("bn7 2aa")
    page.get_by_role("button", name="Find groups near you").click()
    page.wait_for_load_state()
    names = page.locator(".group-card h3").all_inner_texts()
    assert names == ["Lewes for Europe", "Brighton for Europe", "Eastbourne for Europe"]
    cards = page.locator(".group-card").all_inner_texts()
    assert re.search(r"7\.3 miles away", cards[1])
    assert page.get_by_text("within 25 miles of BN7 2AA, nearest first").is_visible()

    page.get_by_label("Within").select_option("50")
    page.get_by_role("button", name="Find nearest").click()
    page.wait_for_load_state()
    assert page.locator(".group-card h3").all_inner_texts()[-1] == "London for Europe"
