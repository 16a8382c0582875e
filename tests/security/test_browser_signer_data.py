"""In Chromium: a signer without an account follows the link in their confirmation email,
downloads their data and deletes their details; the signature still counts."""

import json
import os
import re
from pathlib import Path

import pytest

from petitions.models import Signature
from petitions.services.signing import signature_confirmations_send
from tests.factories import GroupFactory
from tests.petitions.factories import PetitionFactory

pytestmark = pytest.mark.browser


def test_signer_downloads_then_deletes_their_details(page, live_server, mailoutbox, settings):
    settings.PETITIONS_CONFIRMATION_KICK_SECONDS = 0
    petition = PetitionFactory(group=GroupFactory(), title="Save the ferry", slug="ferry")
    page.goto(f"/petitions/{petition.slug}/")
    page.get_by_label("Full name").fill("Robin Reader")
    page.get_by_role("textbox", name="Email").fill("robin@example.net")
    page.get_by_label("UK postcode").fill("SW1A 1AA")
    page.get_by_role("button", name=re.compile("Sign")).first.click()
    page.wait_for_load_state()
    signature_confirmations_send()
    (message,) = mailoutbox
    path = re.search(r"/petitions/my-signature/\S+/", message.body).group(0)
    confirm = re.search(r"/petitions/s/\S+/confirm/", message.body).group(0)
    page.goto(confirm)
    page.get_by_role("button", name="Confirm my signature").click()
    page.get_by_role("heading", name="Your signature is confirmed").wait_for()

    page.goto(path)
    page.get_by_role("heading", name="The data your signature holds").wait_for()
    page.get_by_role("cell", name="robin@example.net").wait_for()
    if os.environ.get("HOSTILE_SCREENSHOTS"):
        page.screenshot(path=os.environ["HOSTILE_SCREENSHOTS"] + "/signer-data.png", full_page=True)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download as JSON").click()
    data = json.loads(Path(download_info.value.path()).read_text())
    assert data["signature"]["name"] == "Robin Reader"

    page.get_by_role("button", name="Delete my details").click()
    page.get_by_role("heading", name="Your details are deleted").wait_for()
    signature = Signature.objects.get(petition=petition)
    assert (signature.name, signature.email, signature.status) == ("", "", "confirmed")
    page.goto(path)
    page.get_by_text("We hold no personal details for this signature any more").wait_for()
