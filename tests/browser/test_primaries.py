"""An open primary, end to end in Chromium: staff of two parties set it up and accept the
rules; voters ask "can I vote?", are refused outside the seat, register from the emailed link,
vote with their own ballot link and check their receipt; the result page shows every round;
the agreement now names the winner's party."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from primaries import services
from primaries.models import Primary
from seats import services as seat_services
from tests.conftest import browser_login
from tests.factories import ConstituencyFactory, PartyFactory, PartyStaffFactory, UserFactory
from tests.primaries.conftest import INSIDE, INSIDE_TOO, OUTSIDE, SEAT_CODE
from tests.seats.factories import ElectionFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def two_parties(transactional_db, postcodes_server):
    postcodes_server.answers[INSIDE.replace(" ", "")] = SEAT_CODE
    postcodes_server.answers[INSIDE_TOO.replace(" ", "")] = SEAT_CODE
    postcodes_server.answers[OUTSIDE.replace(" ", "")] = "E14000001"
    seat = ConstituencyFactory(name="Primaryton", ons_code=SEAT_CODE)
    lab = PartyFactory(name="Labour", short_name="Lab", slug="lab")
    green = PartyFactory(name="Green", short_name="Green", slug="green")
    lab_staff = PartyStaffFactory(party=lab, user=UserFactory(name="Lena Lab")).user
    green_staff = PartyStaffFactory(party=green, user=UserFactory(name="Gus Green")).user
    agreement = seat_services.agreement_propose(
        user=lab_staff,
        election=ElectionFactory(slug="ge2029", name="General election 2029"),
        constituency=seat,
        arrangement="open_primary",
        carries_hopes=lab,
        stands_aside=[green],
    )
    for party, person in ((lab, lab_staff), (green, green_staff)):
        seat_services.agreement_accept(agreement=agreement, user=person, party=party)
    return agreement, (lab_staff, green_staff)


def _link(path_prefix: str, body: str) -> str:
    return re.search(rf"https?://[^/\s]+({path_prefix}[^/\s]+/)", body).group(1)


def _new_page(page, live_server):
    context = page.context.browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    return context.new_page()


def test_two_parties_run_an_open_primary(page, live_server, two_parties, time_machine, eager_tasks):
    def travel(moment):  # the live server runs in this process: it moves too
        time_machine.move_to(moment, tick=True)

    agreement, (lab_staff, green_staff) = two_parties
    start = timezone.localtime(timezone.now()).replace(second=0, microsecond=0)
    fmt = "%Y-%m-%dT%H:%M"

    # Labour's staff set the rules and nominate from the agreement page.
    browser_login(page, lab_staff.email)
    page.goto(agreement.get_absolute_url())
    page.get_by_role("link", name=re.compile("Set up the primary")).click()
    page.get_by_role("heading", name="Open primary in Primaryton").wait_for()
    rules = page.locator("form[action$='/rules/']")
    rules.get_by_label("Registration opens (UK time)").fill(
        (start + timedelta(days=1)).strftime(fmt)
    )
    rules.get_by_label("Registration closes (UK time)").fill(
        (start + timedelta(days=3)).strftime(fmt)
    )
    rules.get_by_label("Voting opens (UK time)").fill((start + timedelta(days=4)).strftime(fmt))
    rules.get_by_label("Voting closes (UK time)").fill((start + timedelta(days=6)).strftime(fmt))
    rules.get_by_role("button", name="Save rules").click()
    page.get_by_text("Rules saved").wait_for()
    nominate = page.locator("form[action$='/candidate/']")
    nominate.get_by_label("For the party").select_option(label="Labour")
    nominate.get_by_label("Candidate's name").fill("Lara Lab")
    nominate.get_by_label("Statement").fill("Buses, homes, the NHS.")
    nominate.get_by_label("Your party's red lines (public)").fill("No new runways.")
    nominate.get_by_role("button", name="Save candidate").click()
    page.get_by_text("Candidate saved").wait_for()

    # Green's staff nominate, then both parties accept.
    green = _new_page(page, live_server)
    browser_login(green, green_staff.email)
    green.goto(f"/primaries/agreement/{agreement.pk}/")
    nominate = green.locator("form[action$='/candidate/']")
    nominate.get_by_label("For the party").select_option(label="Green")
    nominate.get_by_label("Candidate's name").fill("Gwen Green")
    nominate.get_by_label("Statement").fill("Climate first.")
    nominate.get_by_role("button", name="Save candidate").click()
    green.get_by_text("Candidate saved").wait_for()
    for staff_page, party in ((green, "Green"), (page, "Labour")):
        staff_page.goto(f"/primaries/agreement/{agreement.pk}/")
        accept = staff_page.locator("form[action$='/accept/']")
        accept.get_by_label("For the party").select_option(label=party)
        accept.get_by_role("button", name="Accept the rules and candidates").click()
        staff_page.get_by_text(f"Accepted for {party}.", exact=True).wait_for()
    primary = Primary.objects.get(agreement=agreement)
    assert primary.status == "agreed"

    # Before registration opens: "Can I vote?"
    voter = _new_page(page, live_server)
    voter.goto(primary.get_absolute_url())
    voter.get_by_text("No new runways.").wait_for()  # red lines are public
    voter.get_by_label("Your postcode").fill(OUTSIDE)
    voter.get_by_role("button", name="Check").first.click()
    voter.get_by_role("heading", name="No, you cannot vote in this primary").wait_for()
    voter.get_by_label("Your postcode").fill(INSIDE.lower())
    voter.get_by_role("button", name="Check").click()
    voter.get_by_role("heading", name="Yes, you can vote").wait_for()

    # Registration: refused outside the seat (input kept), then two voters register.
    travel(start + timedelta(days=1, hours=1))
    voter.goto(f"/primaries/{primary.pk}/register/")
    voter.get_by_label("Your email address").fill("olive@example.org")
    voter.get_by_label("Your postcode").fill(OUTSIDE)
    voter.get_by_role("button", name="Register").click()
    voter.get_by_text("not in Primaryton").wait_for()
    assert voter.get_by_label("Your email address").input_value() == "olive@example.org"
    ballots = {}
    for email, postcode in (("vera@example.org", INSIDE), ("victor@example.org", INSIDE_TOO)):
        mail.outbox.clear()
        voter.goto(f"/primaries/{primary.pk}/register/")
        voter.get_by_label("Your email address").fill(email)
        voter.get_by_label("Your postcode").fill(postcode)
        voter.get_by_role("button", name="Register").click()
        voter.get_by_role("heading", name="Check your email").wait_for()
        # Only this voter's email: the pact's own emails to party staff go out too.
        [message] = [m for m in mail.outbox if m.to == [email]]
        voter.goto(_link("/primaries/confirm/", message.body))
        voter.get_by_role("button", name="Confirm my registration").click()
        voter.get_by_text("You are registered").wait_for()

    # Voting opens: the beat task emails each voter their own ballot link.
    travel(start + timedelta(days=4, hours=1))
    mail.outbox.clear()
    services.ballots_send_due()
    for message in mail.outbox:
        if "/primaries/vote/" in message.body:  # not the pact's own emails to party staff
            ballots[message.to[0]] = _link("/primaries/vote/", message.body)
    assert set(ballots) == {"vera@example.org", "victor@example.org"}
    receipts = {}
    for email, first, second in (
        ("vera@example.org", "Gwen Green", "Lara Lab"),
        ("victor@example.org", "Gwen Green", None),
    ):
        voter.goto(ballots[email])
        voter.get_by_label(re.compile(f"^{first}")).select_option("1")
        if second:
            voter.get_by_label(re.compile(f"^{second}")).select_option("2")
        voter.get_by_role("button", name="Cast my ballot").click()
        voter.get_by_role("heading", name="Your ballot is in the box").wait_for()
        receipts[email] = voter.get_by_test_id("receipt").inner_text()
    voter.goto(ballots["vera@example.org"])
    voter.get_by_text("already been cast").wait_for()  # no second vote
    voter.goto(f"/primaries/{primary.pk}/receipt/")
    voter.get_by_label("Your receipt code").fill(receipts["vera@example.org"])
    voter.get_by_role("button", name="Check").click()
    voter.get_by_text("In the box").wait_for()
    voter.goto(f"/primaries/{primary.pk}/result/")
    voter.get_by_text("The result is published once voting has closed").wait_for()

    # Voting closes; the beat task counts; the result shows the rounds.
    travel(start + timedelta(days=6, hours=1))
    services.primaries_count_due()
    voter.goto(f"/primaries/{primary.pk}/result/")
    voter.get_by_role("heading", name="Winner: Gwen Green (Green)").wait_for()
    assert voter.get_by_text("Round 1", exact=True).is_visible()
    assert "2 ballots from 2 registered voters" in voter.content()
    voter.goto(f"/primaries/{primary.pk}/receipt/?code={receipts['victor@example.org']}")
    voter.get_by_text("Counted: a ballot with this receipt").wait_for()

    # The agreement names the winner's party.
    page.goto(agreement.get_absolute_url())
    row = page.get_by_role("row", name=re.compile("^Green"))
    assert "Carries the alliance's hopes" in row.inner_text()
    assert "Stands aside" in page.get_by_role("row", name=re.compile("^Labour")).inner_text()
