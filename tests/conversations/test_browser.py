"""A Lib Dem staffer opens a conversation about a seat and invites a pro-EU group's organiser,
who replies from the emailed link; a proposal gets answers, a reminder and an outcome; both
see it on the seat page and their dashboards; an outsider is refused. Headless Chromium."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from conversations import services
from conversations.models import Proposal
from outbox.services import outbox_deliver
from tests.conftest import browser_choose, browser_login

pytestmark = pytest.mark.browser


def emailed_link(to: str, subject_part: str) -> str:
    outbox_deliver()  # what the worker does after each commit
    messages = [m for m in mail.outbox if m.to == [to] and subject_part in m.subject]
    assert len(messages) == 1, [m.subject for m in mail.outbox]
    return re.search(r"https?://[^/\s]+(/conversations/\S+?/)\s", messages[0].body).group(1)


def test_staffer_and_pro_eu_organiser_talk_decide_and_see_it(
    _playwright_browser, live_server, cast
):
    def new_page():
        context = _playwright_browser.new_context(base_url=live_server.url)
        context.set_default_timeout(15_000)
        return context.new_page()

    seat_url = f"/seats/{cast.seat.boundary_set}/{cast.seat.ons_code}/"
    staffer = new_page()
    browser_login(staffer, cast.staffer.email)
    staffer.goto(seat_url)
    staffer.get_by_role("link", name="Talk about this seat with other groups").click()
    staffer.get_by_role("heading", name="Open a conversation").wait_for()
    assert staffer.get_by_label("Title").input_value() == "Working together in Marginalton"
    browser_choose(
        staffer, "Invite the organisers of these groups", "Marginalton for Europe", typed="margin"
    )
    staffer.get_by_label("First message").fill("Shall we split the wards? <b>not bold</b>")
    staffer.get_by_role("button", name="Open the conversation").click()
    staffer.get_by_role("heading", name="Working together in Marginalton").wait_for()
    assert staffer.get_by_text("<b>not bold</b>").is_visible()  # shown as typed, escaped

    # The pro-EU organiser follows the emailed link, signs in and replies.
    link = emailed_link(cast.pro_eu_organiser.email, "invites you to talk")
    organiser = new_page()
    organiser.goto(link)
    organiser.get_by_label("Email").fill(cast.pro_eu_organiser.email)
    organiser.get_by_label("Password").fill("correct-horse-battery-staple")
    organiser.get_by_role("button", name="Sign In").click()
    organiser.get_by_role("heading", name="Working together in Marginalton").wait_for()
    organiser.get_by_label("Your reply").fill("Yes: we take the south, see https://example.org/map")
    organiser.get_by_role("button", name="Post reply").click()
    organiser.get_by_role("link", name="https://example.org/map").wait_for()

    # The staffer puts a proposal with a deadline less than a day away.
    staffer.reload()
    staffer.get_by_text("Yes: we take the south").wait_for()
    staffer.get_by_text("Make a proposal").click()
    staffer.get_by_label("What do you propose?").fill("North wards for us, south for you")
    deadline = timezone.localtime(timezone.now() + timedelta(hours=20))
    staffer.get_by_label("Deadline").fill(deadline.strftime("%Y-%m-%dT%H:%M"))
    staffer.get_by_role("button", name="Put the proposal").click()
    staffer.get_by_role("heading", name="North wards for us, south for you").wait_for()

    organiser.goto(emailed_link(cast.pro_eu_organiser.email, "Proposal:"))
    organiser.get_by_label("Agree", exact=True).check()
    organiser.get_by_label("Your reason").fill("Fair split")
    organiser.get_by_role("button", name="Save my answer").click()
    organiser.get_by_text("Your answer is saved").wait_for()

    # Beat: one reminder to the staffer, who has not answered; none to the organiser.
    assert services.proposals_remind() == 1
    assert services.proposals_remind() == 0
    emailed_link(cast.staffer.email, "A day left to answer")

    # The deadline passes; beat closes it; the staffer sees the tally and records the outcome.
    proposal = Proposal.objects.get()
    Proposal.objects.filter(pk=proposal.pk).update(deadline=timezone.now())
    services.proposals_close_due()
    staffer.goto(emailed_link(cast.staffer.email, "record the outcome"))
    tally = staffer.get_by_role("table")
    assert "Fair split" in tally.text_content()
    staffer.get_by_role("textbox", name="Outcome").fill(
        "Agreed: north for the Lib Dems, south for the group."
    )
    staffer.get_by_role("button", name="Record and email everyone").click()
    staffer.get_by_role("heading", name="Outcome", exact=True).wait_for()
    outbox_deliver()
    outcome_emails = [m.to[0] for m in mail.outbox if m.subject.startswith("[Alliance] Outcome")]
    assert sorted(outcome_emails) == sorted([cast.staffer.email, cast.pro_eu_organiser.email])

    # Both see it on the seat page and on their dashboards.
    for person in (staffer, organiser):
        person.goto(seat_url)
        section = person.get_by_role("region", name="Conversations about Marginalton")
        assert "Agreed: north for the Lib Dems" in section.text_content()
        person.goto("/")
        decisions = person.get_by_role("region", name="Decisions")
        assert "Agreed: north for the Lib Dems" in decisions.text_content()

    # An outsider is refused the conversation and sees nothing of it on the seat page.
    outsider = new_page()
    browser_login(outsider, cast.outsider.email)
    response = outsider.goto(link)
    assert response.status == 404
    outsider.goto(seat_url)
    assert "Working together in Marginalton" not in outsider.content()
    assert "Agreed: north" not in outsider.content()
