"""In Chromium: a person downloads their data and deletes their account."""

import json
from pathlib import Path

import pytest

from accounts.models import User
from tests.conftest import browser_login
from tests.factories import PASSWORD, GroupFactory, UserFactory

pytestmark = pytest.mark.browser


def test_download_my_data_then_delete_my_account(page, live_server):
    person = UserFactory(email="leaving@example.org", name="Lee Leaving")
    GroupFactory(name="Riverside Greens", organiser=person)
    browser_login(page, "leaving@example.org")

    page.goto("/privacy/")
    page.get_by_role("link", name="see and download everything we hold about you").click()
    page.get_by_role("heading", name="Your data").wait_for()
    page.get_by_text("Riverside Greens").first.wait_for(state="attached")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download my data (JSON)").click()
    data = json.loads(Path(download_info.value.path()).read_text())
    assert data["account"]["email"] == "leaving@example.org"
    assert data["groups"]["memberships"][0]["group"] == "Riverside Greens"

    page.get_by_role("button", name="Delete my account").click()
    page.get_by_role("heading", name="Delete your account").wait_for()
    page.get_by_text("You are the only organiser of").wait_for()
    page.get_by_role("button", name="Delete my account for good").click()
    page.get_by_text("This field is required.").first.wait_for()  # nothing filled in
    assert User.objects.filter(pk=person.pk).exists()

    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("I understand").check()
    page.get_by_role("button", name="Delete my account for good").click()
    page.get_by_text("Your account and your personal data have been deleted.").wait_for()
    assert not User.objects.filter(email="leaving@example.org").exists()
    assert page.get_by_role("link", name="Sign in").is_visible()
