"""A browser journey on the clash page (headless Chromium)."""

import os

import pytest

from clashes import services
from clashes.models import Clash, ClashStatus
from tests.clashes.clash_support import make_event, two_sides
from tests.conftest import browser_login
from tests.factories import ConstituencyFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_organiser_opens_the_clash_and_dismisses_it(page, live_server):
    from datetime import timedelta

    from django.utils import timezone

    branch, pro_eu, branch_org, _ = two_sides()
    seat = ConstituencyFactory(name="Bristol West")
    start = (timezone.localtime() + timedelta(days=2)).replace(
        hour=11, minute=0, second=0, microsecond=0
    )
    make_event(branch, start=start, constituency=seat, title="Saturday street stall")
    rally = make_event(pro_eu, start=start, constituency=seat, title="EU flag rally")
    services.event_clashes_check(event_id=rally.pk)
    clash = Clash.objects.get()

    browser_login(page, branch_org.email)
    page.goto(f"/events/clashes/{clash.pk}/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Saturday street stall")
    assert page.get_by_text("Free slots for").is_visible()
    if os.environ.get("CLASH_SCREENSHOT"):
        page.screenshot(path=os.environ["CLASH_SCREENSHOT"], full_page=True)
    page.get_by_role("button", name="Not a problem").click()
    page.wait_for_load_state()
    assert page.get_by_text("Clash dismissed as not a problem.").is_visible()
    clash.refresh_from_db()
    assert clash.status == ClashStatus.DISMISSED
    page.goto("/events/clashes/")
    assert page.get_by_role("link", name="Saturday street stall × EU flag rally").is_visible()
