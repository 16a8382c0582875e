from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from events import services
from events.models import Event, EventStatus, Rsvp, RsvpAnswer
from outbox.services import outbox_deliver
from tests.events.factories import EventFactory, RsvpFactory
from tests.factories import GroupFactory, UserFactory

LONDON = ZoneInfo("Europe/London")
pytestmark = pytest.mark.django_db


def _create(group, author, **overrides):
    starts_at = overrides.pop("starts_at", timezone.now() + timedelta(days=2))
    fields = {
        "title": "Street stall",
        "kind": "street_stall",
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=2),
    }
    fields.update(overrides)
    return services.event_create(group=group, author=author, **fields)


def test_event_create_queues_a_clash_check_after_commit(
    organiser, group, django_capture_on_commit_callbacks
):
    with (
        mock.patch("clashes.api.event_clashes_check_task.delay") as delay,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        event = _create(group, organiser)
        assert delay.call_count == 0  # not before the commit
    assert len(callbacks) == 2  # the clash check, and the calendar version's second bump
    delay.assert_called_once_with(event.pk)
    assert event.span.lower == event.starts_at or Event.objects.get(pk=event.pk).span


def test_event_create_rejects_end_before_start(organiser, group):
    now = timezone.now()
    with pytest.raises(ValidationError):
        _create(group, organiser, starts_at=now, ends_at=now - timedelta(hours=1))
    assert not Event.objects.exists()


def test_event_update_bumps_sequence_and_tells_people_going_about_a_new_time(
    organiser, group, django_capture_on_commit_callbacks
):
    event = _create(group, organiser)
    going = RsvpFactory(event=event).user
    RsvpFactory(event=event, answer=RsvpAnswer.MAYBE)
    with (
        mock.patch("clashes.api.event_clashes_check_task.delay") as clash,
        mock.patch("events.tasks.event_attendees_notify_task.delay") as notify,
        django_capture_on_commit_callbacks(execute=True),
    ):
        event = services.event_update(
            event=event,
            author=organiser,
            starts_at=event.starts_at + timedelta(hours=1),
            ends_at=event.ends_at + timedelta(hours=1),
        )
    assert event.sequence == 1
    clash.assert_called_once_with(event.pk)
    notify.assert_called_once_with(event.pk)
    assert services.event_attendees_notify(event_id=event.pk) == 1
    assert services.event_attendees_notify(event_id=event.pk) == 0  # idempotent
    outbox_deliver()  # the emails were written to the outbox
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [going.email]
    assert "Changed" in message.subject
    assert message.alternatives and "changed" in message.alternatives[0][0]


def test_event_update_of_the_title_only_sends_no_email(
    organiser, group, django_capture_on_commit_callbacks
):
    event = _create(group, organiser)
    RsvpFactory(event=event)
    with (
        mock.patch("events.tasks.event_attendees_notify_task.delay") as notify,
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.event_update(event=event, author=organiser, title="Better title")
    notify.assert_not_called()


def test_event_update_refuses_imported_events(organiser, group):
    event = EventFactory(group=group, is_imported=True)
    with pytest.raises(ValidationError):
        services.event_update(event=event, author=organiser, title="Local edit")


def test_event_cancel_keeps_the_event_and_emails_people_going_once(organiser, group):
    event = _create(group, organiser)
    going = RsvpFactory(event=event)
    waiting = RsvpFactory(event=event, answer=RsvpAnswer.WAITING)
    RsvpFactory(event=event, answer=RsvpAnswer.NOT_GOING)
    services.event_cancel(event=event, author=organiser)
    event.refresh_from_db()
    assert event.status == EventStatus.CANCELLED
    assert event.sequence == 1
    assert services.event_attendees_notify(event_id=event.pk) == 2
    assert services.event_attendees_notify(event_id=event.pk) == 0
    outbox_deliver()  # the emails were written to the outbox
    assert sorted(m.to[0] for m in mail.outbox) == sorted([going.user.email, waiting.user.email])
    assert all("Cancelled" in m.subject for m in mail.outbox)


def test_email_subject_never_carries_a_newline_from_the_title(organiser, group):
    event = _create(group, organiser, title="Stall\r\nBcc: victim@example.org")
    RsvpFactory(event=event)
    services.event_cancel(event=event, author=organiser)
    services.event_attendees_notify(event_id=event.pk)
    outbox_deliver()  # the emails were written to the outbox
    assert "\n" not in mail.outbox[0].subject and "\r" not in mail.outbox[0].subject
    assert mail.outbox[0].bcc == []


def test_event_duplicate_copies_the_details_into_a_new_event(organiser, group):
    event = _create(group, organiser, venue_name="Market Square", capacity=10)
    later = event.starts_at + timedelta(days=7)
    copy = services.event_duplicate(
        event=event, author=organiser, starts_at=later, ends_at=later + timedelta(hours=2)
    )
    assert copy.pk != event.pk and copy.uid != event.uid
    assert (copy.venue_name, copy.capacity, copy.group) == ("Market Square", 10, group)
    assert copy.starts_at == later


# --- Series -------------------------------------------------------------------------------


@time_machine.travel(datetime(2026, 9, 1, 12, tzinfo=LONDON), tick=False)
def test_weekly_series_stays_at_ten_local_across_both_clock_changes(organiser, group, settings):
    settings.EVENTS_HORIZON_DAYS = 240
    first = datetime(2026, 10, 3, 10, 0, tzinfo=LONDON)  # a Saturday, BST
    event = _create(
        group, organiser, starts_at=first, ends_at=first + timedelta(hours=2), repeat="weekly"
    )
    occurrences = list(Event.objects.filter(series=event.series).order_by("starts_at"))
    assert len(occurrences) == 30  # 3 Oct 2026 to 24 Apr 2027
    local_times = {timezone.localtime(o.starts_at, LONDON).strftime("%H:%M") for o in occurrences}
    assert local_times == {"10:00"}
    # Either side of the last Sunday of October (25 Oct 2026) the UTC hour moves, not the local.
    utc_hours = {
        o.starts_at.date().isoformat(): o.starts_at.astimezone(ZoneInfo("UTC")).hour
        for o in occurrences
    }
    assert utc_hours["2026-10-24"] == 9 and utc_hours["2026-10-31"] == 10
    # ...and of the last Sunday of March (28 Mar 2027).
    assert utc_hours["2027-03-27"] == 10 and utc_hours["2027-04-03"] == 9
    assert all(o.ends_at - o.starts_at == timedelta(hours=2) for o in occurrences)


@time_machine.travel(datetime(2026, 9, 1, 12, tzinfo=LONDON), tick=False)
def test_series_expansion_is_idempotent_and_the_beat_extends_the_horizon(
    organiser, group, settings
):
    settings.EVENTS_HORIZON_DAYS = 30
    first = datetime(2026, 9, 5, 10, tzinfo=LONDON)
    event = _create(
        group, organiser, starts_at=first, ends_at=first + timedelta(hours=1), repeat="weekly"
    )
    count = Event.objects.filter(series=event.series).count()
    assert count == 4  # 5, 12, 19 and 26 Sep: the horizon ends on 1 Oct
    assert services.event_series_expand(series=event.series) == []
    assert services.event_series_extend_all() == 0
    with time_machine.travel(datetime(2026, 10, 1, 12, tzinfo=LONDON), tick=False):
        made = services.event_series_extend_all()
    assert made == 5  # 3, 10, 17, 24 and 31 Oct
    assert Event.objects.filter(series=event.series).count() == 9


def test_series_until_stops_the_repeats(organiser, group):
    first = timezone.localtime(timezone.now() + timedelta(days=1), LONDON).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    event = _create(
        group,
        organiser,
        starts_at=first,
        ends_at=first + timedelta(hours=1),
        repeat="weekly",
        repeat_until=(first + timedelta(days=15)).date(),
    )
    assert Event.objects.filter(series=event.series).count() == 3


# --- RSVPs --------------------------------------------------------------------------------


def test_rsvp_respects_capacity_with_a_waiting_list_and_promotion(
    django_capture_on_commit_callbacks,
):
    event = EventFactory(capacity=2)
    first, second, third, fourth = UserFactory.create_batch(4)
    assert services.rsvp_set(event=event, user=first, answer="going").answer == "going"
    assert services.rsvp_set(event=event, user=second, answer="going").answer == "going"
    assert services.rsvp_set(event=event, user=third, answer="going").answer == "waiting"
    assert services.rsvp_set(event=event, user=fourth, answer="going").answer == "waiting"
    # Asking again keeps the place in the queue.
    assert services.rsvp_set(event=event, user=third, answer="going").answer == "waiting"
    with (
        mock.patch("events.tasks.rsvp_promoted_notify_task.delay") as promoted,
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.rsvp_set(event=event, user=first, answer="not_going")
    third_rsvp = Rsvp.objects.get(event=event, user=third)
    assert third_rsvp.answer == "going"
    assert Rsvp.objects.get(event=event, user=fourth).answer == "waiting"
    promoted.assert_called_once_with(third_rsvp.pk)
    assert services.rsvp_promoted_notify(rsvp_id=third_rsvp.pk) is True
    assert services.rsvp_promoted_notify(rsvp_id=third_rsvp.pk) is True  # delivered twice
    outbox_deliver()
    assert [m.to for m in mail.outbox] == [[third.email]]


def test_raising_capacity_promotes_from_the_waiting_list(organiser, group):
    event = _create(group, organiser, capacity=1)
    services.rsvp_set(event=event, user=UserFactory(), answer="going")
    waiting_user = UserFactory()
    services.rsvp_set(event=event, user=waiting_user, answer="going")
    services.event_update(event=event, author=organiser, capacity=5)
    assert Rsvp.objects.get(event=event, user=waiting_user).answer == "going"


def test_rsvp_refused_on_cancelled_or_past_events_and_bad_answers():
    user = UserFactory()
    cancelled = EventFactory(status=EventStatus.CANCELLED)
    with pytest.raises(ValidationError):
        services.rsvp_set(event=cancelled, user=user, answer="going")
    past_start = timezone.now() - timedelta(days=2)
    past = EventFactory(starts_at=past_start, ends_at=past_start + timedelta(hours=1))
    with pytest.raises(ValidationError):
        services.rsvp_set(event=past, user=user, answer="going")
    with pytest.raises(ValidationError):
        services.rsvp_set(event=EventFactory(), user=user, answer="waiting")
    assert not Rsvp.objects.exists()


def test_new_rsvp_does_not_hear_about_older_changes(organiser, group):
    event = _create(group, organiser)
    services.event_update(event=event, author=organiser, venue_name="New hall")
    event.refresh_from_db()
    services.rsvp_set(event=event, user=UserFactory(), answer="going")
    assert services.event_attendees_notify(event_id=event.pk) == 0
    outbox_deliver()  # the emails were written to the outbox


# --- Reminders ----------------------------------------------------------------------------


def test_reminders_go_the_day_before_once_and_only_to_people_going():
    now = datetime(2026, 11, 23, 9, 0, tzinfo=LONDON)
    tomorrow = EventFactory(
        starts_at=datetime(2026, 11, 24, 18, 0, tzinfo=LONDON),
        ends_at=datetime(2026, 11, 24, 20, 0, tzinfo=LONDON),
    )
    later = EventFactory(
        starts_at=datetime(2026, 11, 26, 18, 0, tzinfo=LONDON),
        ends_at=datetime(2026, 11, 26, 20, 0, tzinfo=LONDON),
    )
    going = RsvpFactory(event=tomorrow)
    RsvpFactory(event=tomorrow, answer=RsvpAnswer.MAYBE)
    RsvpFactory(event=later)
    assert services.event_reminders_send(now=now) == 1
    assert services.event_reminders_send(now=now + timedelta(hours=1)) == 0
    outbox_deliver()  # the emails were written to the outbox
    assert [m.to for m in mail.outbox] == [[going.user.email]]
    assert "Tomorrow" in mail.outbox[0].subject
    body = mail.outbox[0].body
    assert "18:00" in body  # shown in UK time


def test_calendar_token_revoke_replaces_the_secret():
    user = UserFactory()
    old = services.calendar_token_get_or_create(user=user).token
    new = services.calendar_token_revoke(user=user).token
    assert old != new and len(new) >= 40


def test_other_groups_are_not_touched(organiser, group):
    other = GroupFactory()
    _create(group, organiser)
    assert not Event.objects.filter(group=other).exists()


def test_a_series_queues_one_check_for_its_first_event_and_a_batch_for_the_rest(
    organiser, group, django_capture_on_commit_callbacks
):
    with (
        mock.patch("clashes.api.event_clashes_check_task.delay") as single,
        mock.patch("clashes.api.events_clashes_check_task.delay") as batch,
        django_capture_on_commit_callbacks(execute=True),
    ):
        event = _create(group, organiser, repeat="weekly")
    single.assert_called_once_with(event.pk)
    occurrences = set(
        Event.objects.filter(series=event.series).exclude(pk=event.pk).values_list("pk", flat=True)
    )
    assert batch.call_count == 1 and set(batch.call_args.args[0]) == occurrences


def test_the_beat_safety_net_sends_change_emails_that_were_never_queued(organiser, group):
    event = _create(group, organiser)
    going = RsvpFactory(event=event)
    # No on_commit callbacks run here: the task was never queued (as if Redis was away).
    services.event_update(event=event, author=organiser, venue_name="Moved to the library")
    assert mail.outbox == []
    assert services.event_attendees_notify_pending() == 1
    assert services.event_attendees_notify_pending() == 0
    outbox_deliver()  # the emails were written to the outbox
    assert mail.outbox[0].to == [going.user.email]


def test_a_broker_outage_after_commit_does_not_break_the_save(
    organiser, group, django_capture_on_commit_callbacks
):
    with (
        mock.patch("clashes.api.event_clashes_check_task.delay", side_effect=ConnectionError),
        django_capture_on_commit_callbacks(execute=True),
    ):
        event = _create(group, organiser)
    assert Event.objects.filter(pk=event.pk).exists()
