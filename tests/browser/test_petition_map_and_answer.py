"""A supporter on a phone finds their seat on a petition's map; the Lib Dems' staffer the
petition is addressed to answers it; a consenting signer reads the answer in their email and
stops further emails from its link, without signing in."""

import re

import pytest
from django.core import mail

from petitions.models import Signature
from petitions.services.counting import petition_count
from tests.conftest import browser_login
from tests.factories import (
    ConstituencyFactory,
    GroupFactory,
    PartyFactory,
    PartyStaffFactory,
    UserFactory,
)
from tests.petitions.factories import PetitionFactory, SignatureFactory

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def addressed(transactional_db, eager_tasks):
    """A petition to the Lib Dems, signed in two seats; one consenting signer with an email."""
    seats = [
        ConstituencyFactory(
            boundary_set="2024", name=name, ons_code=f"E1400090{i}", hex_q=i, hex_r=0
        )
        for i, name in enumerate(["Lewes", "Eastbourne", "Brighton Pavilion"])
    ]
    lib_dems = PartyFactory(name="Liberal Democrats", short_name="LD", slug="ld")
    petition = PetitionFactory(
        group=GroupFactory(name="Sussex Progressives"),
        title="Stand aside in Lewes",
        target_party=lib_dems,
    )
    for _ in range(2):
        SignatureFactory(petition=petition, confirmed=True, constituency=seats[0])
    SignatureFactory(
        petition=petition,
        confirmed=True,
        constituency=seats[0],
        email="ada@example.org",
        consent_to_contact=True,
    )
    SignatureFactory(petition=petition, confirmed=True, constituency=seats[1])
    petition_count(petition_id=petition.pk)
    staff = PartyStaffFactory(party=lib_dems, user=UserFactory(name="Lena Libdem")).user
    return petition, staff


def test_a_phone_finds_its_seat_and_the_party_answers_by_email(page, live_server, addressed):
    petition, staff = addressed
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}{petition.get_absolute_url()}")
    page.get_by_role("heading", name="Signatures on the map").wait_for()
    assert page.get_by_text("not answered yet").is_visible()
    # The top constituencies, largest first, and a tap on a hexagon gives that seat's count.
    top = page.locator("ol", has_text="Lewes: 3").first
    assert top.inner_text().index("Lewes: 3") < top.inner_text().index("Eastbourne: 1")
    page.locator('a[href*="seat=E14000900"]').first.click()
    page.locator("#your-seat").wait_for()
    assert "In Lewes, 3 people have signed." in page.locator("#your-seat").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # The Lib Dems' staffer signs in and answers from the petition page.
    browser_login(page, staff.email)
    page.goto(f"{live_server.url}{petition.get_absolute_url()}")
    page.get_by_role("link", name="Answer for Liberal Democrats").click()
    page.get_by_label("Your party's answer").fill(
        "We will talk to the local groups before we choose."
    )
    page.get_by_role("button", name="Publish the answer and email signers").click()
    page.get_by_text("We will talk to the local groups before we choose.").wait_for()
    assert page.get_by_text("Liberal Democrats answered").first.is_visible()

    # Exactly one email, to the one signer who agreed to hear more.
    answers = [m for m in mail.outbox if "Liberal Democrats answered" in m.subject]
    assert [m.to for m in answers] == [["ada@example.org"]]
    unsubscribe = re.search(r"https?://[^/\s]+(/petitions/s/[^/\s]+/unsubscribe/)", answers[0].body)
    assert unsubscribe, answers[0].body

    # The signer stops further emails from the link, signed out.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}{unsubscribe.group(1)}")
    page.get_by_role("button").filter(has_text=re.compile("unsubscribe|stop", re.I)).click()
    page.wait_for_load_state()
    assert Signature.objects.get(email="ada@example.org").unsubscribed_at is not None
