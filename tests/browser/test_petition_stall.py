"""An organiser runs a street stall on one phone, in Chromium.

She switches stall mode on for the petition on that phone; four passers-by sign on it one after
another from the same network (the per-network limit is two), each pressing "Next signer" for
the one behind them. Nobody's signature counts until they confirm from their own email; the one
who ticked "Keep me posted" joins the group's list when she confirms, with no second email.
Once stall mode is off, the network is held to its limit again: the third signer after it is
paused, with a message that says so and the form still filled in.
"""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from mailinglists.models import Subscription
from petitions.models import Signature, SignatureStatus
from tests.conftest import browser_login
from tests.factories import GroupFactory, UserFactory
from tests.petitions.factories import PetitionFactory

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PASSERS_BY = [
    ("Amira Khan", "amira@example.org", True),
    ("Ben Ode", "ben@example.org", False),
    ("Cara Lloyd", "cara@example.org", False),
    ("Dan Price", "dan@example.org", False),
]


@pytest.fixture
def one_network_limit(settings):
    settings.PETITIONS_SIGN_LIMIT_PER_IP = 2
    settings.PETITIONS_CONFIRMATION_KICK_SECONDS = 0


def _confirm_link(email: str) -> str:
    (message,) = [m for m in mail.outbox if email in m.to]
    return re.search(r"https?://[^/\s]+(/petitions/s/[^/\s]+/confirm/)", message.body).group(1)


def test_a_stall_phone_takes_signatures_from_one_network_until_switched_off(
    _playwright_browser, live_server, eager_tasks, one_network_limit
):
    organiser = UserFactory(name="Sally Stall")
    group = GroupFactory(name="Bristol for Europe", organiser=organiser)
    petition = PetitionFactory(group=group, title="Stand together in Bristol West")
    stall = _playwright_browser.new_context(base_url=live_server.url, viewport=PHONE)
    stall.set_default_timeout(15_000)
    page = stall.new_page()
    browser_login(page, organiser.email)

    page.goto(f"/petitions/{petition.slug}/dashboard/")
    page.get_by_role("link", name=re.compile("^Stall mode")).click()
    page.get_by_label("For how long").select_option(label="4 hours")
    page.get_by_role("button", name="Switch stall mode on, on this device").click()
    expect(page.locator("p[role=status]")).to_contain_text("Stall mode is on for this device until")
    page.get_by_role("button", name="Open the signing form").click()

    for name, email, keep_posted in PASSERS_BY:
        expect(page.get_by_text("Stall mode on this device until")).to_be_visible()
        page.get_by_label("Full name").fill(name)
        page.get_by_role("textbox", name="Email").fill(email)
        page.get_by_label("UK postcode").fill("BS8 1TH")
        keep = page.get_by_label("Keep me posted by Bristol for Europe")
        expect(keep).not_to_be_checked()  # the last signer's choice is not carried over
        if keep_posted:
            keep.check()
        page.get_by_role("button", name="Sign").click()
        page.get_by_role("heading", name="Nearly done: check your email").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.get_by_role("button", name="Next signer").click()

    signatures = Signature.objects.filter(petition=petition)
    assert sorted(signatures.values_list("email", flat=True)) == sorted(
        email for _, email, _ in PASSERS_BY
    )
    assert {s.status for s in signatures} == {SignatureStatus.PENDING}
    assert {s.user_id for s in signatures} == {None}  # the organiser's account signs nothing
    assert len(mail.outbox) == 4
    assert not Subscription.objects.exists()  # nobody is on the list before confirming

    # Amira confirms on her own phone later; she ticked "Keep me posted".
    own_phone = _playwright_browser.new_context(base_url=live_server.url, viewport=PHONE)
    mine = own_phone.new_page()
    mine.goto(_confirm_link("amira@example.org"))
    mine.get_by_role("button", name="Confirm my signature").click()
    mine.get_by_role("heading", name="Your signature is confirmed").wait_for()
    assert Signature.objects.get(email="amira@example.org").status == SignatureStatus.CONFIRMED
    subscription = Subscription.objects.get()
    assert (subscription.email, subscription.group, subscription.status) == (
        "amira@example.org",
        group,
        "confirmed",
    )
    assert len(mail.outbox) == 4  # no second email to prove her address

    # The stall packs up: stall mode off, and the network is held to its limit again.
    page.goto(f"/petitions/{petition.slug}/stall/")
    page.get_by_role("button", name="Switch stall mode off").click()
    expect(page.get_by_text("Stall mode is off on this device.")).to_be_visible()
    page.goto(petition.get_absolute_url())
    expect(page.get_by_text("Stall mode on this device until")).to_have_count(0)
    # Late passers-by sign on another phone on the same network: the stall's signatures
    # did not use up the network's two, and the third is paused, with nothing lost.
    for name in ("Eve Late", "Fay Later", "Gus Last"):
        mine.goto(petition.get_absolute_url())
        mine.get_by_label("Full name").fill(name)
        mine.get_by_role("textbox", name="Email").fill(f"{name.split()[0].lower()}@example.org")
        mine.get_by_label("UK postcode").fill("BS8 1TH")
        mine.get_by_role("button", name="Sign").click()
        if name != "Gus Last":
            mine.get_by_role("heading", name="Nearly done: check your email").wait_for()
    expect(mine.get_by_text("we have paused signing from it")).to_be_visible()
    assert not Signature.objects.filter(email="gus@example.org").exists()
    assert mine.get_by_label("Full name").input_value() == "Gus Last"

    own_phone.close()
    stall.close()
