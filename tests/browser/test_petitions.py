"""A supporter signs in Chromium, ticks "Keep me posted by <group>" (unticked until she does),
confirms from the emailed link, and sees the count go up; that one click also put her on the
group's mailing list, with no second email."""

import re

import pytest
from django.core import mail

from mailinglists.models import Subscription
from petitions.models import Signature, SignatureStatus
from petitions.services.counting import petitions_count_recent
from tests.factories import GroupFactory
from tests.petitions.factories import PetitionFactory


@pytest.fixture
def eager_tasks(eager_tasks, settings):
    """The shared fixture, with each confirmation email sent at once (not batched)."""
    settings.PETITIONS_CONFIRMATION_KICK_SECONDS = 0


@pytest.mark.browser
def test_supporter_signs_confirms_and_sees_the_count_go_up(page, live_server, eager_tasks):
    petition = PetitionFactory(group=GroupFactory(name="Fairhaven for Europe"),
                               title="Talk to the pro-EU groups")  # fmt: skip
    page.goto(petition.get_absolute_url())
    assert page.get_by_text("0 people have signed.").is_visible()
    page.get_by_label("Full name").fill("Grace Hopper")
    page.get_by_role("textbox", name="Email").fill("grace@example.org")
    page.get_by_label("UK postcode").fill("sw1a 1aa")
    page.get_by_label("Town (optional)").fill("Bath")
    page.get_by_label("Show my first name and town among recent signers").check()
    keep_posted = page.get_by_label("Keep me posted by Fairhaven for Europe")
    assert not keep_posted.is_checked()
    keep_posted.check()
    page.get_by_role("button", name="Sign").click()
    page.get_by_role("heading", name="Nearly done: check your email").wait_for()

    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/petitions/s/[^/\s]+/confirm/)", mail.outbox[0].body)
    page.goto(link.group(1))
    page.get_by_role("button", name="Confirm my signature").wait_for()
    assert Signature.objects.get().status == SignatureStatus.PENDING  # opening it is not enough
    page.get_by_role("button", name="Confirm my signature").click()
    page.get_by_role("heading", name="Your signature is confirmed").wait_for()
    subscription = Subscription.objects.get(email="grace@example.org")
    assert (subscription.group.name, subscription.status) == ("Fairhaven for Europe", "confirmed")
    assert len(mail.outbox) == 1  # the signature's email proved the address

    petitions_count_recent()  # what the beat task does every few seconds
    page.goto(petition.get_absolute_url())
    assert page.get_by_text("1 person has signed.").is_visible()
    assert page.get_by_text("Grace, Bath").is_visible()
    assert page.locator("progress").get_attribute("value") == "1"
