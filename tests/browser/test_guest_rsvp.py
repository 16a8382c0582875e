"""Gina has no account: she says she is going to a street stall from its page, confirms from
the email, and cancels from the reminder the day before; her place goes to the next person."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from events.models import GuestRsvp
from events.services import guest_rsvp_reminders_send
from outbox.services import outbox_deliver
from tests.events.factories import EventFactory
from tests.factories import GroupFactory


def _link_in(message) -> str:
    (url,) = set(re.findall(r"https?://\S+/events/guest/\S+/", message.body))
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


@pytest.mark.browser
def test_a_visitor_answers_confirms_and_cancels_from_the_reminder(page, transactional_db):
    group = GroupFactory(name="Lewes for Europe")
    start = (timezone.now() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    event = EventFactory(
        group=group, title="Market stall", starts_at=start, ends_at=start + timedelta(hours=2)
    )
    mail.outbox.clear()

    page.goto(event.get_absolute_url())
    page.get_by_label("Your name").fill("Gina Guest")
    page.get_by_label("Your email").fill("gina@example.org")
    keep_posted = page.get_by_label("Keep me posted by Lewes for Europe")
    assert not keep_posted.is_checked()  # unticked unless she ticks it
    page.get_by_role("button", name="I am going").click()
    page.wait_for_load_state()
    assert page.get_by_text("we emailed you a link to confirm").is_visible()
    assert re.search(r"0\s+going", page.inner_text(".rsvp-box"))  # not until she confirms

    outbox_deliver()
    (confirmation,) = mail.outbox
    assert confirmation.attachments[0][0] == f"event-{event.pk}.ics"
    page.goto(_link_in(confirmation))
    page.get_by_role("button", name="Confirm I am going").click()
    page.wait_for_load_state()
    assert page.get_by_text("Confirmed: see you there.").is_visible()
    page.get_by_role("link", name="See the event").click()
    assert re.search(r"1\s+going", page.inner_text(".rsvp-box"))

    # The day before, the hourly beat task sends her one reminder.
    guest_rsvp_reminders_send(now=start - timedelta(days=1))
    outbox_deliver()
    reminder = mail.outbox[-1]
    assert "Tomorrow: Market stall" in reminder.subject
    page.goto(_link_in(reminder))
    page.get_by_role("button", name="Cancel: I am not going").click()
    page.wait_for_load_state()
    assert page.get_by_text("Cancelled: thank you for letting us know.").is_visible()
    assert GuestRsvp.objects.get(email="gina@example.org").answer == "not_going"
