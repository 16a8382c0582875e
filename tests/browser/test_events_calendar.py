"""An organiser creates a weekly street stall; a second user RSVPs to one occurrence."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from events.models import Event, Rsvp
from tests.conftest import browser_login
from tests.factories import GroupFactory, UserFactory


def _first_saturday_of_next_month() -> date:
    today = timezone.localdate()
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first + timedelta(days=(5 - first.weekday()) % 7)


@pytest.mark.browser
def test_weekly_street_stall_and_an_rsvp(page, transactional_db):
    organiser = UserFactory(name="Olive Organiser")
    group = GroupFactory(name="Ashbourne for Europe", organiser=organiser)
    supporter = UserFactory(name="Sam Supporter")
    saturday = _first_saturday_of_next_month()

    browser_login(page, organiser.email)
    page.goto("/events/")
    page.get_by_role("button", name="New event").click()  # one group: straight to its form
    page.get_by_label("Title").fill("Saturday street stall")
    page.get_by_label("Kind").select_option("street_stall")
    page.get_by_label("Starts (UK time)").fill(f"{saturday:%Y-%m-%d}T10:00")
    page.get_by_label("Ends (UK time)").fill(f"{saturday:%Y-%m-%d}T12:00")
    page.get_by_label("Venue name").fill("Market Cross")
    page.get_by_label("Repeats").select_option("weekly")
    page.get_by_role("button", name="Create event").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Saturday street stall").is_visible()
    assert Event.objects.filter(group=group, title="Saturday street stall").count() >= 10

    page.goto(f"/events/month/?month={saturday:%Y-%m}")
    occurrences = page.locator("table.cal-month a.cal-event", has_text="Saturday street stall")
    assert occurrences.count() >= 4
    assert "10:00" in occurrences.first.inner_text()

    page.context.clear_cookies()
    browser_login(page, supporter.email)
    page.goto(f"/events/month/?month={saturday:%Y-%m}")
    page.locator("a.cal-event", has_text="Saturday street stall").nth(1).click()
    page.wait_for_load_state()
    page.get_by_label("Going", exact=True).check()
    page.get_by_role("button", name="Save my answer").click()
    page.wait_for_load_state()
    assert page.get_by_text("You said: Going").is_visible()
    rsvp = Rsvp.objects.get(user=supporter)
    assert rsvp.answer == "going"
    assert rsvp.event.starts_at.date() == saturday + timedelta(days=7)
    assert "1 going" in page.inner_text(".rsvp-box")
