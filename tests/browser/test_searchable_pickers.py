"""On a phone, an organiser finds a seat among hundreds by typing part of its name
(static/js/searchable-select.js, Tom Select), and the form saves it. Without JS the same
field is a plain <select> that saves the same way."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from events.models import Event
from groups.models import Group
from seats.models import BoundarySet
from tests.conftest import browser_choose, browser_login
from tests.factories import ConstituencyFactory, GroupFactory, UserFactory

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def seats(transactional_db):
    # Enough seats that the list is long, with two whose names share "ford".
    for n in range(300):
        ConstituencyFactory(name=f"Seat {n:03d}", boundary_set=BoundarySet.B2024)
    return {
        name: ConstituencyFactory(name=name, boundary_set=BoundarySet.B2024)
        for name in ("Bradford East", "Stafford", "Aldershot")
    }


def test_an_organiser_types_part_of_a_seat_name_on_a_phone(page, live_server, seats):
    organiser = UserFactory()
    group = GroupFactory(name="Stafford for Europe", organiser=organiser)
    page.set_viewport_size(PHONE)
    browser_login(page, organiser.email)
    page.goto(f"/events/new/{group.slug}/")
    page.get_by_label("Title").fill("Town centre stall")
    page.get_by_label("Kind").select_option("street_stall")
    starts = timezone.localtime() + timedelta(days=7)
    page.get_by_label("Starts (UK time)").fill(f"{starts:%Y-%m-%d}T10:00")
    page.get_by_label("Ends (UK time)").fill(f"{starts:%Y-%m-%d}T12:00")
    box = page.locator("#id_constituency-ts-control")
    box.locator("xpath=..").click()  # the box around the text field, as a finger taps it
    box.fill("staff")  # part of the name, in lower case
    listbox = page.locator("#id_constituency-ts-dropdown")
    expect(listbox.get_by_role("option")).to_have_count(1)  # of 303 seats
    listbox.get_by_role("option", name="Stafford", exact=True).click()
    assert page.locator("#id_constituency").input_value() == str(seats["Stafford"].pk)
    page.get_by_role("button", name="Create event").click()
    page.get_by_role("heading", name="Town centre stall").wait_for()
    assert Event.objects.get(title="Town centre stall").constituency == seats["Stafford"]


def test_a_group_covers_several_seats_picked_by_typing(page, live_server, seats):
    organiser = UserFactory()
    group = GroupFactory(name="Ford Valley Greens", organiser=organiser)
    page.set_viewport_size(PHONE)
    browser_login(page, organiser.email)
    page.goto(f"/groups/{group.slug}/edit/")
    browser_choose(page, "Constituencies", "Bradford East", typed="ford")
    browser_choose(page, "Constituencies", "Aldershot", typed="alder")
    page.get_by_role("button", name="Save changes").click()
    page.get_by_role("heading", name="Ford Valley Greens", exact=True).wait_for()
    assert set(Group.objects.get(pk=group.pk).constituencies.all()) == {
        seats["Bradford East"],
        seats["Aldershot"],
    }


def test_without_javascript_the_plain_select_saves_the_seat(
    _playwright_browser, live_server, seats
):
    organiser = UserFactory()
    group = GroupFactory(name="No Script Society", organiser=organiser)
    context = _playwright_browser.new_context(
        base_url=live_server.url, java_script_enabled=False, viewport=PHONE
    )
    page = context.new_page()
    browser_login(page, organiser.email)
    page.goto(f"/groups/{group.slug}/edit/")
    seat_list = page.get_by_label("Constituencies")
    assert seat_list.evaluate("select => select.tagName") == "SELECT"
    seat_list.select_option(label="Aldershot")
    page.get_by_role("button", name="Save changes").click()
    page.get_by_role("heading", name="No Script Society", exact=True).wait_for()
    assert list(Group.objects.get(pk=group.pk).constituencies.all()) == [seats["Aldershot"]]
    context.close()
