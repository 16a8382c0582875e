"""Sam subscribes to Lewes for Europe's list on its page and confirms from the email; Olive,
its organiser, writes to the list; Sam unsubscribes from the link in that email, without
signing in, and Olive sees the count."""

import re

import pytest
from django.core import mail

from mailinglists.choices import SubscriptionStatus
from mailinglists.models import Subscription
from tests.conftest import browser_login
from tests.factories import GroupFactory, UserFactory

pytestmark = pytest.mark.browser


def _path(message, kind: str) -> str:
    return re.search(rf"https?://[^/\s]+(/lists/email/{kind}/\S+/)", message.body).group(1)


def test_organiser_emails_the_list_and_a_subscriber_unsubscribes(
    page, live_server, eager_tasks, _playwright_browser
):
    olive = UserFactory(name="Olive Organiser")
    group = GroupFactory(name="Lewes for Europe", organiser=olive, is_verified=True)

    # Sam, signed out, subscribes on the group page and confirms from the email.
    page.goto(group.get_absolute_url())
    page.get_by_label("Your email").fill("sam@example.org")
    page.get_by_label("Your name").fill("Sam <Subscriber>")
    page.get_by_role("button", name="Subscribe").click()
    page.get_by_text("we have emailed it a link").wait_for()
    (confirmation,) = mail.outbox
    page.goto(_path(confirmation, "confirm"))
    page.get_by_role("button", name="Confirm my subscription").click()
    page.get_by_text("Confirmed: you will get news from Lewes for Europe").wait_for()
    assert Subscription.objects.get().status == SubscriptionStatus.CONFIRMED

    # Olive writes to the list.
    context = _playwright_browser.new_context(base_url=live_server.url)
    olive_page = context.new_page()
    browser_login(olive_page, olive.email)
    olive_page.goto(group.get_absolute_url())
    olive_page.get_by_role("link", name="Mailing list").click()
    olive_page.get_by_text("1 subscribed").wait_for()
    olive_page.get_by_role("button", name="Write an email").click()
    olive_page.get_by_label("The group's mailing list").check()
    olive_page.get_by_label("Subject").fill("Stall on Saturday")
    olive_page.get_by_label("Body").fill("Meet at the war memorial at 10.\nBring <leaflets>!")
    olive_page.get_by_role("button", name="Send").click()
    olive_page.get_by_text("Your email is on its way.").wait_for()

    news = mail.outbox[-1]
    assert news.to == ["sam@example.org"]
    assert news.subject == "[Alliance] Stall on Saturday"
    assert "Bring <leaflets>!" in news.body
    assert "Bring &lt;leaflets&gt;!" in news.alternatives[0][0]
    unsubscribe = _path(news, "unsubscribe")
    assert news.extra_headers["List-Unsubscribe"].endswith(f"{unsubscribe}>")

    # Sam unsubscribes from the email's link, still signed out.
    page.goto(unsubscribe)
    page.get_by_role("button", name="Unsubscribe").click()
    page.get_by_role("heading", name="Unsubscribed").wait_for()
    assert Subscription.objects.get().status == SubscriptionStatus.UNSUBSCRIBED

    olive_page.reload()
    counts = olive_page.locator("dl.counts")
    assert "Sent\n1" in counts.inner_text() or re.search(r"Sent\s+1", counts.inner_text())
    assert re.search(r"Unsubscribed\s+1", counts.inner_text())
    context.close()
