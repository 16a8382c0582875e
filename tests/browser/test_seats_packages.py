"""Two parties agree a two-seat package for the next election by email links, in Chromium:
Green staff bundle the two seats and open the package to local consultation; the Lib Dems'
staff follow the link in their email and accept the whole package; a group organiser in one
seat follows the link in theirs and endorses it with a comment; the Greens see the comment and
the package agreed, with its balance."""

import re
from datetime import date

import pytest
from django.core import mail

from groups.parties import parties_seed
from seats import services as seat_services
from tests.conftest import browser_login
from tests.factories import (
    ConstituencyFactory,
    GroupFactory,
    PartyStaffFactory,
    UserFactory,
)
from tests.seats.factories import ElectionFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def two_seats(transactional_db, eager_tasks):
    parties = {p.short_name: p for p in parties_seed()}
    green, ld = parties["Green"], parties["LD"]
    gus = PartyStaffFactory(party=green, user=UserFactory(name="Gus Green")).user
    lena = PartyStaffFactory(party=ld, user=UserFactory(name="Lena Libdem")).user
    election = ElectionFactory(
        slug="ge2029", name="General election 2029", date=date(2099, 5, 3), kind="general"
    )
    bristol = ConstituencyFactory(name="Bristol Central", region="E12000009")
    taunton = ConstituencyFactory(name="Taunton", region="E12000009")
    for seat, carrier, aside in ((bristol, green, ld), (taunton, ld, green)):
        seat_services.agreement_propose(
            user=gus,
            election=election,
            constituency=seat,
            arrangement="stand_aside",
            carries_hopes=carrier,
            stands_aside=[aside],
            red_lines="Secret Green red line",
        )
    olu = UserFactory(name="Olu Organiser")
    group = GroupFactory(name="Bristol for Europe", organiser=olu)
    group.constituencies.add(bristol)
    mail.outbox.clear()
    return gus, lena, olu


def _link(email) -> str:
    return re.search(r"https?://[^/\s]+(/seats/packages/\d+/)", email.body).group(1)


def _email_to(user, subject_part: str):
    found = [m for m in mail.outbox if user.email in m.to and subject_part in m.subject]
    assert len(found) == 1, [(m.to, m.subject) for m in mail.outbox]
    return found[0]


def _new_page(page, live_server):
    context = page.context.browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    return context.new_page()


def test_two_parties_agree_a_two_seat_package_by_email_links(page, live_server, two_seats):
    gus, lena, olu = two_seats

    # The Greens bundle the two seats for the next election.
    browser_login(page, gus.email)
    page.goto("/seats/packages/new/")
    page.get_by_role("heading", name="Propose a package of seats").wait_for()
    assert page.get_by_label("Election").input_value() == "ge2029"  # the next one
    page.get_by_label("Name").fill("Severn deal")
    page.get_by_label(re.compile("Bristol Central: ")).check()
    page.get_by_label(re.compile("Taunton: ")).check()
    page.get_by_role("button", name="Propose the package").click()
    page.get_by_role("heading", name="Severn deal").wait_for()
    page.get_by_text("Green Party stand aside in 1, Liberal Democrats in 1.").wait_for()
    page.get_by_role("button", name="Open to local consultation").click()
    page.get_by_text("Open to local consultation", exact=True).wait_for()

    # The Lib Dems' staff follow the link in their email and accept the whole package.
    proposed = _email_to(lena, "Package of seats proposed: Severn deal")
    lib = _new_page(page, live_server)
    browser_login(lib, lena.email)
    lib.goto(_link(proposed))
    lib.get_by_role("heading", name="Severn deal").wait_for()
    lib.locator("#id_accept-party").select_option(label="Liberal Democrats")
    lib.get_by_role("button", name="Accept the package").click()
    lib.get_by_text("Accepted the whole package for Liberal Democrats.").wait_for()
    lib.get_by_text("Agreed", exact=True).first.wait_for()

    # A group organiser in Bristol Central follows the consultation link and endorses it.
    invited = _email_to(olu, "Your view on a pact in your area")
    local = _new_page(page, live_server)
    browser_login(local, olu.email)
    local.goto(_link(invited))
    local.get_by_role("heading", name="Severn deal").wait_for()
    assert "Secret Green red line" not in local.content()
    local.get_by_label("Commenting for").select_option(label="Bristol for Europe")
    local.locator("#id_body").fill("Our members will canvass for the Greens here.")
    local.get_by_label("Our group endorses this package").check()
    local.get_by_role("button", name="Send the comment to the parties").click()
    local.get_by_text("the parties' staff will read your comment").wait_for()

    # The Greens heard the package is agreed, and read the organiser's comment.
    agreed = _email_to(gus, "Package agreed: Severn deal")
    page.goto(_link(agreed))
    page.get_by_text("Our members will canvass for the Greens here.").wait_for()
    page.get_by_text("Endorses", exact=True).wait_for()
    page.get_by_text("Secret Green red line").first.wait_for()  # staff see the red lines
    # Both seats are public pacts now, and the ledger reads for the package.
    page.get_by_role("link", name="Reciprocity ledger").click()
    page.get_by_role("cell", name="Green", exact=True).wait_for()
    assert page.get_by_label("Package").input_value() != ""
