"""Browser journeys (headless Chromium): the event form warns before saving and a suggested
slot fills it; a joint event needs the other side's acceptance; a signed-out visitor sees no
clash markers."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clashes import services
from clashes.models import Clash
from events.models import Event, EventStatus
from tests.clashes.clash_support import make_event, two_sides
from tests.conftest import browser_choose, browser_login
from tests.factories import ConstituencyFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _start():
    return (timezone.localtime() + timedelta(days=2)).replace(
        hour=11, minute=0, second=0, microsecond=0
    )


def test_bea_is_warned_while_typing_and_a_free_slot_fills_the_form(page, live_server):
    branch, pro_eu, branch_org, _ = two_sides()
    seat = ConstituencyFactory(name="Bristol West")
    start = _start()
    make_event(pro_eu, start=start, constituency=seat, title="EU flag rally")

    browser_login(page, branch_org.email)
    page.goto(f"/events/new/{branch.slug}/")
    page.get_by_label("Title").fill("Saturday street stall")
    page.get_by_label("Kind").select_option("street_stall")
    page.get_by_label("Starts (UK time)").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Ends (UK time)").fill(
        (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    )
    browser_choose(page, "Constituency", "Bristol West", typed="bristol w")
    warning = page.locator("#clash-warning")
    warning.get_by_text("This overlaps “EU flag rally”").wait_for()
    assert pro_eu.name in warning.inner_text()
    slot = warning.locator("a.clash-slot").first
    chosen = slot.get_attribute("data-starts-at")
    slot.click()
    assert page.get_by_label("Starts (UK time)").input_value() == chosen
    # The chosen slot is free: the live check clears the warning.
    page.locator("#clash-warning .clash-warning").wait_for(state="detached")
    page.get_by_role("button", name="Create event").click()
    page.wait_for_load_state()
    errors = page.locator(".field-error, .form-errors, .clash-warning").all_inner_texts()
    assert page.get_by_text("Event created.").is_visible(), errors
    created = Event.objects.get(title="Saturday street stall")
    assert timezone.localtime(created.starts_at).strftime("%Y-%m-%dT%H:%M") == chosen


def test_a_joint_event_needs_the_other_sides_acceptance(page, live_server):
    branch, pro_eu, branch_org, pro_eu_org = two_sides()
    seat = ConstituencyFactory(name="Bristol West")
    stall = make_event(branch, start=_start(), constituency=seat, title="Saturday street stall")
    rally = make_event(pro_eu, start=_start(), constituency=seat, title="EU flag rally")
    services.event_clashes_check(event_id=rally.pk)
    clash = Clash.objects.get()

    browser_login(page, branch_org.email)
    page.goto(clash.get_absolute_url())
    page.get_by_text("Propose a joint event").first.click()
    page.get_by_label("Saturday street stall").check()
    page.get_by_role("button", name="Propose a joint event").click()
    page.wait_for_load_state()
    assert page.get_by_text("Waiting for an organiser of").is_visible()
    assert page.get_by_role("button", name="Accept: one joint event").count() == 0
    assert Event.objects.get(pk=rally.pk).status == EventStatus.SCHEDULED

    page.context.clear_cookies()
    browser_login(page, pro_eu_org.email)
    page.goto(clash.joint_proposals.get().get_absolute_url())
    page.get_by_role("button", name="Accept: one joint event").click()
    page.wait_for_load_state()
    assert page.get_by_text("Accepted: both groups now organise").is_visible()
    assert Event.objects.get(pk=rally.pk).status == EventStatus.CANCELLED
    assert list(Event.objects.get(pk=stall.pk).co_organisers.all()) == [pro_eu]


def test_a_signed_out_visitor_sees_no_clash_markers(page, live_server):
    branch, pro_eu, branch_org, _ = two_sides()
    seat = ConstituencyFactory(name="Bristol West")
    stall = make_event(branch, start=_start(), constituency=seat, title="Saturday street stall")
    rally = make_event(pro_eu, start=_start(), constituency=seat, title="EU flag rally")
    services.event_clashes_check(event_id=rally.pk)
    week = f"/events/week/?week={_start().date().isoformat()}"
    for url in (week, stall.get_absolute_url()):
        page.goto(url)
        assert page.get_by_text("Saturday street stall").first.is_visible()
        assert page.locator(".clash-marker").count() == 0, url
    browser_login(page, branch_org.email)
    for url in (week, stall.get_absolute_url()):
        page.goto(url)
        assert page.locator(".clash-marker").count() >= 1, url
