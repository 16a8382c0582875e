"""Olive invites Ivy to organise her group; Ivy follows the emailed link, signs in and accepts.
Nothing changes until Ivy presses Accept."""

import re

import pytest
from django.core import mail

from groups.models import Membership, OrganiserInvitation, Role
from groups.services import organiser_invitation_send
from tests.conftest import browser_login
from tests.factories import PASSWORD, GroupFactory, UserFactory

pytestmark = pytest.mark.browser


def test_ivy_is_invited_and_accepts(page, live_server, _playwright_browser):
    olive = UserFactory(name="Olive Organiser")
    group = GroupFactory(name="Ashbourne for Europe", organiser=olive)
    ivy = UserFactory(name="Ivy Invitee", email="ivy@example.org")

    browser_login(page, olive.email)
    page.goto(group.get_absolute_url())
    page.get_by_role("link", name="Members & organisers").click()
    page.get_by_label("Email of the person to invite as an organiser").fill("ivy@example.org")
    page.get_by_role("button", name="Send invitation").click()
    page.get_by_text("If ivy@example.org can receive email, we have sent an invitation").wait_for()
    assert not Membership.objects.filter(user=ivy, group=group).exists()

    # What the worker does once the invitation is committed.
    organiser_invitation_send(invitation_id=OrganiserInvitation.objects.get().pk)
    link = re.search(r"https?://[^/\s]+(/groups/invitations/\S+)", mail.outbox[0].body).group(1)

    context = _playwright_browser.new_context(base_url=live_server.url)
    ivy_page = context.new_page()
    ivy_page.goto(link)
    ivy_page.get_by_role("heading", name="Invitation to organise Ashbourne for Europe").wait_for()
    ivy_page.get_by_role("main").get_by_role("link", name="sign in").click()
    ivy_page.get_by_label("Email").fill(ivy.email)
    ivy_page.get_by_label("Password").fill(PASSWORD)
    ivy_page.get_by_role("button", name="Sign In").click()
    ivy_page.get_by_role("button", name="Accept and become an organiser").click()
    ivy_page.get_by_role("navigation", name="Organiser tools").wait_for()
    assert Membership.objects.get(user=ivy, group=group).role == Role.ORGANISER
    context.close()
