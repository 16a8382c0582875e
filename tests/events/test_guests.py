"""Answering an event without an account: one email to confirm (the .ics attached), nothing
counts until then, capacity and the waiting list are the members' rule, a reminder the day
before with links that work without signing in, organisers see guests and mark who came."""

import csv
import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from events import services
from events.models import GuestRsvp, Rsvp
from outbox.models import OutboxEmail
from outbox.services import outbox_deliver
from tests.events.factories import EventFactory, RsvpFactory
from tests.factories import UserFactory

LONDON = ZoneInfo("Europe/London")
pytestmark = pytest.mark.django_db


def _guest(event, email="gina@example.org", name="Gina Guest", **kwargs):
    return services.guest_rsvp_request(event=event, name=name, email=email, **kwargs)


def _manage_path(guest) -> str:
    return reverse(
        "events:guest_rsvp_manage", kwargs={"signed": services.guest_rsvp_link_token(guest)}
    )


def _going_shown(client, event) -> int:
    page = client.get(event.get_absolute_url()).content.decode()
    return int(re.search(r"<strong>(\d+)</strong>\s*going", page).group(1))


def _guest_post(client, event, **data):
    fields = {"name": "Gina Guest", "email": "gina@example.org", "postcode": "", **data}
    return client.post(reverse("events:guest_rsvp", args=[event.pk]), fields)


# --- Services: the rule -----------------------------------------------------------------


def test_one_confirmation_email_with_the_event_attached_and_nothing_counts_yet(group):
    event = EventFactory(group=group, title="Stall & leaflets", capacity=1)
    guest = _guest(event)
    again = _guest(event, email=" GINA@example.org ", name="Someone Else")

    assert again.pk == guest.pk
    assert again.name == "Gina Guest"  # a stranger cannot overwrite the answer
    assert OutboxEmail.objects.filter(to_email="gina@example.org").count() == 1
    assert services._going_count(event) == 0  # unconfirmed: holds no place
    outbox_deliver()
    (message,) = mail.outbox
    assert message.to == ["gina@example.org"]
    assert "Please confirm: Stall & leaflets" in message.subject
    assert services.guest_rsvp_url(guest) in message.body
    ((filename, content, mimetype),) = message.attachments
    assert filename == f"event-{event.pk}.ics"
    assert mimetype == "text/calendar"
    assert "BEGIN:VEVENT" in content and str(event.uid) in content


def test_confirmed_guests_take_places_and_join_the_waiting_list_like_members(group):
    event = EventFactory(group=group, capacity=1)
    first = services.guest_rsvp_confirm(guest=_guest(event, email="a@example.org"))
    assert first.answer == "going"
    member = services.rsvp_set(event=event, user=UserFactory(), answer="going")
    assert member.answer == "waiting"  # the guest's place counts for members too
    second = services.guest_rsvp_confirm(guest=_guest(event, email="b@example.org"))
    assert second.answer == "waiting"

    services.guest_rsvp_cancel(guest=first)  # the member waited longest
    member.refresh_from_db()
    assert member.answer == "going"
    services.rsvp_set(event=event, user=member.user, answer="not_going")
    second.refresh_from_db()
    assert second.answer == "going"
    # The promoted guest is told once, through the outbox.
    assert OutboxEmail.objects.filter(key__startswith=f"guest-rsvp:{second.pk}:promoted").count()
    assert services._going_count(event) == 1


def test_confirming_twice_keeps_the_place_and_a_cancelled_guest_can_come_back(group):
    event = EventFactory(group=group, capacity=2)
    guest = services.guest_rsvp_confirm(guest=_guest(event))
    confirmed_at = guest.confirmed_at
    assert services.guest_rsvp_confirm(guest=guest).confirmed_at == confirmed_at
    services.guest_rsvp_cancel(guest=guest)
    assert services._going_count(event) == 0
    assert services.guest_rsvp_confirm(guest=guest).answer == "going"


def test_guests_answer_only_public_open_events(group):
    from django.core.exceptions import ValidationError

    private = EventFactory(group=group, visibility="group")
    over = EventFactory(
        group=group, starts_at=timezone.now() - timedelta(hours=3), ends_at=timezone.now()
    )
    for event in (private, over):
        with pytest.raises(ValidationError):
            _guest(event)
    assert not GuestRsvp.objects.exists()
    assert not OutboxEmail.objects.exists()


def test_keep_me_posted_is_recorded_with_its_time_and_source_only_when_ticked(group):
    event = EventFactory(group=group)
    ticked = _guest(event, email="yes@example.org", keep_posted=True)
    unticked = _guest(event, email="no@example.org")
    assert ticked.list_consent_at is not None
    assert ticked.list_consent_source == f"guest RSVP to event {event.pk}"
    assert unticked.list_consent_at is None and not unticked.list_consent_source


def test_one_reminder_the_day_before_to_confirmed_guests_only(group):
    now = datetime(2026, 12, 4, 18, 0, tzinfo=LONDON)
    tomorrow = datetime(2026, 12, 5, 10, 0, tzinfo=LONDON)
    event = EventFactory(group=group, starts_at=tomorrow, ends_at=tomorrow + timedelta(hours=2))
    later = EventFactory(
        group=group, starts_at=tomorrow + timedelta(days=2), ends_at=tomorrow + timedelta(days=3)
    )
    confirmed = services.guest_rsvp_confirm(guest=_guest(event, email="c@example.org"))
    _guest(event, email="unconfirmed@example.org")
    services.guest_rsvp_confirm(guest=_guest(later, email="later@example.org"))
    cancelled = services.guest_rsvp_confirm(guest=_guest(event, email="x@example.org"))
    services.guest_rsvp_cancel(guest=cancelled)

    assert services.guest_rsvp_reminders_send(now=now) == 1
    assert services.guest_rsvp_reminders_send(now=now + timedelta(hours=1)) == 0
    reminders = OutboxEmail.objects.filter(key__endswith=":reminder")
    assert [email.to_email for email in reminders] == ["c@example.org"]
    assert services.guest_rsvp_url(confirmed) in reminders[0].body_text
    assert "Tomorrow:" in reminders[0].subject


def test_the_hourly_beat_task_sends_guest_reminders(group, settings):
    from events.tasks import event_reminders_send_task

    start = timezone.localtime(timezone.now(), LONDON).replace(
        hour=12, minute=0, second=0, microsecond=0
    ) + timedelta(days=1)
    event = EventFactory(group=group, starts_at=start, ends_at=start + timedelta(hours=1))
    services.guest_rsvp_confirm(guest=_guest(event))
    assert event_reminders_send_task.apply().get() >= 1
    assert OutboxEmail.objects.filter(key__endswith=":reminder").count() == 1


def test_erasing_a_guest_frees_the_place_and_forgets_their_emails(group):
    event = EventFactory(group=group, capacity=1)
    guest = services.guest_rsvp_confirm(guest=_guest(event))
    waiting = services.rsvp_set(event=event, user=UserFactory(), answer="going")
    assert services.guest_rsvps_erase(guests=[guest]) == 1
    waiting.refresh_from_db()
    assert waiting.answer == "going"
    assert not GuestRsvp.objects.exists()
    assert not OutboxEmail.objects.filter(to_email="gina@example.org").exists()


# --- Views: the event page and the emailed links -------------------------------------------


def test_a_visitor_answers_on_the_event_page(client, group):
    event = EventFactory(group=group)
    page = client.get(event.get_absolute_url()).content.decode()
    assert "No account needed" in page
    assert f"Keep me posted by {group.name}" in page
    response = _guest_post(client, event, postcode="sw1a1aa", keep_posted="on")
    assert response.status_code == 302
    guest = GuestRsvp.objects.get()
    assert (guest.postcode, guest.is_confirmed) == ("SW1A 1AA", False)
    assert guest.list_consent_at is not None
    # Asking again shows the same message and sends nothing more.
    again = _guest_post(client, event)
    assert again.status_code == 302
    assert OutboxEmail.objects.count() == 1


def test_a_bad_form_is_shown_again_with_its_errors(client, group):
    event = EventFactory(group=group)
    response = _guest_post(client, event, email="not-an-email")
    assert response.status_code == 400
    assert "valid email" in response.content.decode()
    assert not GuestRsvp.objects.exists()


def test_guest_answers_are_rate_limited_per_address(client, group):
    events = [EventFactory(group=group) for _ in range(12)]
    codes = [
        _guest_post(client, event, email=f"p{n}@example.org").status_code
        for n, event in enumerate(events)
    ]
    assert codes[:10] == [302] * 10
    assert codes[10:] == [400, 400]
    assert GuestRsvp.objects.count() == 10


def test_guest_answers_are_rate_limited_per_email(client, group):
    events = [EventFactory(group=group) for _ in range(6)]
    codes = []
    for n, event in enumerate(events):
        response = client.post(
            reverse("events:guest_rsvp", args=[event.pk]),
            {"name": "Vic", "email": "victim@example.org"},
            REMOTE_ADDR=f"10.0.0.{n + 1}",
        )
        codes.append(response.status_code)
    assert codes == [302] * 5 + [400]
    assert OutboxEmail.objects.filter(to_email="victim@example.org").count() == 5


def test_signed_in_people_answer_with_their_account_not_as_guests(client, group, user):
    event = EventFactory(group=group)
    client.force_login(user)
    assert "No account needed" not in client.get(event.get_absolute_url()).content.decode()
    assert _guest_post(client, event).status_code == 302
    assert not GuestRsvp.objects.exists()


def test_the_emailed_link_confirms_and_cancels_without_signing_in(client, group):
    event = EventFactory(group=group, title="Hustings")
    guest = _guest(event)
    path = _manage_path(guest)
    page = client.get(path)
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert "not confirmed yet" in page.content.decode()
    guest.refresh_from_db()
    assert not guest.is_confirmed  # a GET (a mail scanner) changes nothing

    client.post(path, {"action": "confirm"})
    guest.refresh_from_db()
    assert (guest.is_confirmed, guest.answer) == (True, "going")
    assert _going_shown(client, event) == 1

    client.post(path, {"action": "cancel"})
    guest.refresh_from_db()
    assert guest.answer == "not_going"
    assert client.post(path, {"action": "nonsense"}).status_code == 400

    client.post(path, {"action": "erase"})
    assert not GuestRsvp.objects.exists()
    assert client.get(path).status_code == 404


def test_forged_or_tampered_links_are_404(client, group):
    guest = _guest(EventFactory(group=group))
    signed = services.guest_rsvp_link_token(guest)
    for bad in (
        guest.token,
        signed[:-2] + "xx",
        "abc:def",
        signed.replace(guest.token[:4], "AAAA"),
    ):
        path = reverse("events:guest_rsvp_manage", kwargs={"signed": bad})
        assert client.get(path).status_code == 404
        assert client.post(path, {"action": "erase"}).status_code == 404
    assert GuestRsvp.objects.filter(pk=guest.pk).exists()


# --- Organisers: attendees, CSV, who came ---------------------------------------------------


def _answers(event, members: int, guests: int):
    for _ in range(members):
        RsvpFactory(event=event)
    first = GuestRsvp.objects.filter(event=event).count()
    GuestRsvp.objects.bulk_create(
        GuestRsvp(event=event, name=f"Guest {n}", email=f"g{n}-{event.pk}@example.org")
        for n in range(first, first + guests)
    )


def test_attendees_page_and_csv_show_guests_in_constant_queries(
    client, group, organiser, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    event = EventFactory(group=group)
    client.force_login(organiser)
    url = reverse("events:attendees", args=[event.pk])
    _answers(event, 2, 2)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    with CaptureQueriesContext(connection) as small_csv:
        client.get(url + "?format=csv")
    _answers(event, 40, 60)
    with django_assert_num_queries(len(small)):
        page = client.get(url).content.decode()
    with django_assert_num_queries(len(small_csv)):
        response = client.get(url + "?format=csv")
    assert "Guest 61" in page and "Not confirmed yet" in page
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:5] == ["Name", "Email", "Answer", "Answered at (UK time)", "Account"]
    assert len(rows) == 1 + 42 + 62
    assert ["Guest 0", f"g0-{event.pk}@example.org", "Not confirmed yet"] in [r[:3] for r in rows]


def test_organisers_mark_who_came_after_the_event_started(client, group, organiser):
    started = timezone.now() - timedelta(hours=1)
    event = EventFactory(group=group, starts_at=started, ends_at=started + timedelta(hours=3))
    member = RsvpFactory(event=event)
    absent = RsvpFactory(event=event)
    guest = GuestRsvp.objects.create(event=event, name="G", email="g@example.org")
    client.force_login(organiser)
    page = client.get(reverse("events:attendees", args=[event.pk])).content.decode()
    assert "Save who came" in page
    response = client.post(
        reverse("events:attendance", args=[event.pk]), {"rsvp": [member.pk], "guest": [guest.pk]}
    )
    assert response.status_code == 302
    assert Rsvp.objects.get(pk=member.pk).attended
    assert not Rsvp.objects.get(pk=absent.pk).attended
    assert GuestRsvp.objects.get(pk=guest.pk).attended
    csv_text = client.get(reverse("events:attendees", args=[event.pk]) + "?format=csv")
    assert csv_text.content.decode().count(",yes\r\n") == 2


def test_who_came_is_refused_before_the_event_and_for_other_events_rows(client, group, organiser):
    future = EventFactory(group=group)
    rsvp = RsvpFactory(event=future)
    client.force_login(organiser)
    assert (
        "Save who came"
        not in client.get(reverse("events:attendees", args=[future.pk])).content.decode()
    )
    client.post(reverse("events:attendance", args=[future.pk]), {"rsvp": [rsvp.pk]})
    assert not Rsvp.objects.get(pk=rsvp.pk).attended

    started = timezone.now() - timedelta(hours=1)
    past = EventFactory(group=group, starts_at=started, ends_at=started + timedelta(hours=3))
    client.post(reverse("events:attendance", args=[past.pk]), {"rsvp": [rsvp.pk]})
    assert not Rsvp.objects.get(pk=rsvp.pk).attended  # not this event's answer: refused


def test_the_calendar_counts_confirmed_guests(client, group):
    event = EventFactory(group=group)
    services.guest_rsvp_confirm(guest=_guest(event, email="one@example.org"))
    _guest(event, email="two@example.org")
    counted = type(event).objects.filter(pk=event.pk).for_calendar().get()
    assert counted.going_count == 1
    assert _going_shown(client, event) == 1


def test_confirmed_guests_hear_of_a_cancellation_once(group, organiser):
    from events.services import event_attendees_notify

    event = EventFactory(group=group, title="Rally")
    services.guest_rsvp_confirm(guest=_guest(event, email="told@example.org"))
    _guest(event, email="unconfirmed@example.org")
    services.event_cancel(event=event, author=organiser)
    event_attendees_notify(event_id=event.pk)
    event_attendees_notify(event_id=event.pk)  # the task delivered twice
    told = OutboxEmail.objects.filter(key__contains=":changed:")
    assert [(email.to_email, email.subject) for email in told] == [
        ("told@example.org", "[Alliance] Cancelled: Rally")
    ]


def test_confirming_hands_a_ticked_keep_me_posted_to_the_groups_list(client, group):
    from mailinglists.choices import SubscriptionStatus
    from mailinglists.models import Subscription

    event = EventFactory(group=group)
    ticked = _guest(event, email="yes@example.org", keep_posted=True)
    unticked = _guest(event, email="no@example.org")
    assert not Subscription.objects.exists()  # nothing before the address is proven

    for guest in (ticked, unticked):
        response = client.post(_manage_path(guest), {"action": "confirm"})
        assert response.status_code == 302

    (subscription,) = Subscription.objects.all()
    assert (subscription.group, subscription.email) == (group, "yes@example.org")
    assert subscription.status == SubscriptionStatus.CONFIRMED
    assert subscription.source == "event_rsvp" and subscription.consent_at is not None
