"""Ann (Lewes for Europe) asks Brighton Greens to link up; Bob, their organiser, accepts from
the emailed link. Ann asks Brighton to promote her street stall; Bob accepts from the email;
the stall shows in Brighton's calendar, marked "Promoted by Brighton Greens", and in its
iCalendar feed and the coalition's, marked the same (description and categories)."""

import re

import pytest
from django.core import mail

from groups.models import EventPromotion, GroupLink, LinkStatus
from tests.conftest import browser_choose, browser_login
from tests.events.factories import EventFactory
from tests.factories import GroupFactory, UserFactory

pytestmark = pytest.mark.browser


def _latest_path(to: str) -> str:
    message = [m for m in mail.outbox if m.to == [to]][-1]
    return re.search(r"https?://[^/\s]+(/groups/\S+/)", message.body).group(1)


def test_two_groups_link_and_one_promotes_an_event(
    page, live_server, eager_tasks, _playwright_browser
):
    ann = UserFactory(name="Ann Lewes", email="ann@example.org")
    bob = UserFactory(name="Bob Brighton", email="bob@example.org")
    lewes = GroupFactory(name="Lewes for Europe", slug="lewes", organiser=ann)
    GroupFactory(name="Brighton Greens", slug="brighton", organiser=bob)
    stall = EventFactory(group=lewes, title="Lewes street stall")

    browser_login(page, ann.email)
    page.goto("/groups/lewes/")
    page.get_by_role("link", name="Link with another group").click()
    browser_choose(page, "Link up with", "Brighton Greens", typed="brigh")
    page.get_by_role("button", name="Send request").click()
    page.get_by_text("Request sent.").wait_for()

    context = _playwright_browser.new_context(base_url=live_server.url)
    bob_page = context.new_page()
    browser_login(bob_page, bob.email)
    bob_page.goto(_latest_path("bob@example.org"))
    bob_page.get_by_role("heading", name="Lewes for Europe asks to link up").wait_for()
    bob_page.get_by_role("button", name="Accept the link").click()
    bob_page.get_by_text("Link with Lewes for Europe accepted.").wait_for()
    assert GroupLink.objects.get().status == LinkStatus.ACCEPTED

    page.goto(stall.get_absolute_url())
    page.get_by_role("button", name="Ask linked groups to promote").click()
    page.get_by_label("Brighton Greens").check()
    page.get_by_role("button", name="Ask them").click()
    page.get_by_text("Asked 1 group.").wait_for()

    bob_page.goto("/groups/brighton/")
    assert not bob_page.get_by_text("Lewes street stall").count()
    bob_page.goto(_latest_path("bob@example.org"))
    bob_page.get_by_role("button", name="Promote it").click()
    bob_page.get_by_text("Promoted: it is in your calendar.").wait_for()
    assert EventPromotion.objects.get().status == LinkStatus.ACCEPTED
    context.close()

    # Anyone, signed out: Brighton's calendar and feeds show it.
    visitor = _playwright_browser.new_context(base_url=live_server.url)
    visitor_page = visitor.new_page()
    visitor_page.goto("/groups/brighton/")
    item = visitor_page.locator("li", has_text="Lewes street stall")
    item.get_by_text("Promoted by Brighton Greens").wait_for()
    feed = visitor_page.request.get("/events/feeds/group/brighton.ics").body()
    assert _promoted_in_feed(feed) == ["Promoted by Brighton Greens"]
    visitor_page.get_by_role("link", name="Coalition calendar with linked groups").click()
    visitor_page.get_by_role("heading", name="Brighton Greens and linked groups").wait_for()
    visitor_page.get_by_text("Promoted by Brighton Greens").wait_for()
    coalition_feed = visitor_page.request.get("/groups/brighton/coalition.ics").body()
    assert _promoted_in_feed(coalition_feed) == ["Promoted by Brighton Greens"]
    visitor.close()


def _promoted_in_feed(feed: bytes) -> list[str]:
    """The stall's "Promoted by" marks in a feed, as a calendar app reads them: in its
    description and, the same, among its categories."""
    import icalendar

    (stall,) = [
        vevent
        for vevent in icalendar.Calendar.from_ical(feed).walk("VEVENT")
        if str(vevent["summary"]).startswith("Lewes street stall")
    ]
    marks = [str(c) for c in stall["categories"].cats if str(c).startswith("Promoted by")]
    assert str(stall["description"]).splitlines()[: len(marks)] == marks
    return marks
