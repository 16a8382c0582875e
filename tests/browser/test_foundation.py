"""A newcomer in headless Chromium: signs up, verifies the email by POST, creates a group and
finds it in the directory with the search filter. Organisers' tools stay hidden from others."""

import re

import pytest
from django.core import mail

from accounts.models import User
from groups.models import Group, Membership, Role
from tests.conftest import browser_login
from tests.factories import PASSWORD, GroupFactory, UserFactory

pytestmark = pytest.mark.browser


def test_sign_up_verify_create_a_group_and_find_it(page, live_server):
    GroupFactory(name="Someone Else's Group")
    page.goto("/")
    page.get_by_role("button", name="Join").click()
    page.get_by_role("heading", name="Sign Up").wait_for()
    page.get_by_label("Email").fill("newcomer@example.org")
    page.get_by_label("Password").first.fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    page.get_by_role("heading", name="Verify Your Email Address").wait_for()

    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+)", mail.outbox[0].body)
    page.goto(link.group(1))
    # Opening the link confirms nothing yet: a button does, by POST.
    assert not User.objects.get(email="newcomer@example.org").emailaddress_set.get().verified
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state()
    if page.get_by_role("link", name="Sign in").count():  # confirmed in another session
        browser_login(page, "newcomer@example.org")
    page.get_by_text("newcomer", exact=True).wait_for()  # the account menu

    page.goto("/groups/new/")
    page.get_by_label("Name").fill("Little Snoring for Europe")
    page.get_by_label("Kind").select_option(label="Pro-EU group")
    page.get_by_label("Region").select_option(label="East of England")
    page.get_by_label("Description").fill("Rejoiners in Little Snoring.")
    page.get_by_label("Contact email").fill("snoring@example.org")
    page.get_by_role("button", name="Add group").click()
    page.get_by_role("heading", name="Little Snoring for Europe", exact=True).wait_for()
    assert page.get_by_text("You are its organiser").is_visible()
    assert page.get_by_role("navigation", name="Organiser tools").is_visible()
    group = Group.objects.get(name="Little Snoring for Europe")
    assert Membership.objects.get(group=group).user.email == "newcomer@example.org"
    assert Membership.objects.get(group=group).role == Role.ORGANISER

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Groups").click()
    page.get_by_role("searchbox", name="Search").fill("snoring")
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_text("1 group", exact=True).wait_for()
    results = page.get_by_role("region", name="Groups")
    assert results.get_by_role("link", name="Little Snoring for Europe").is_visible()
    assert results.get_by_role("link", name="Someone Else's Group").count() == 0
    assert "q=snoring" in page.url


def test_member_sees_no_organiser_tools_and_is_refused(page, live_server):
    organiser = UserFactory()
    group = GroupFactory(name="Guarded Group", organiser=organiser)
    member = UserFactory()
    Membership.objects.create(user=member, group=group, role=Role.MEMBER)
    browser_login(page, member.email)
    page.goto(group.get_absolute_url())
    page.get_by_role("button", name="Leave group").wait_for()
    assert page.get_by_role("navigation", name="Organiser tools").count() == 0
    response = page.goto(f"/groups/{group.slug}/edit/")
    assert response.status == 403
    assert page.get_by_role("heading", name="You can't do that here").is_visible()
