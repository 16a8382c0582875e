"""Adding a calendar is two steps, without JavaScript: a preview (how many events, the first
ones, the warnings) and then a confirmation. Nothing is published before it."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from events.models import CalendarFeed, Event, Visibility
from events.tasks import calendar_feed_sync_task, calendar_feeds_sync_due_task
from tests.events.test_imports import _ics, _soon, _vevent
from tests.factories import ConstituencyFactory

pytestmark = pytest.mark.django_db


def _upload(data: bytes, name: str = "party.ics") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/calendar")


def _add(client, group, data: bytes, **fields):
    return client.post(
        f"/events/imports/{group.slug}/",
        {
            "name": "Party calendar",
            "url": "",
            "upload": _upload(data),
            "kind": "other",
            "visibility": "group",
            "default_constituency": "",
            **fields,
        },
    )


def test_adding_shows_a_preview_and_publishes_nothing_until_confirmed(client, organiser, group):
    client.force_login(organiser)
    data = _ics(
        _vevent("one@src", _soon(2), summary="Street stall"),
        _vevent("two@src", _soon(3), summary="Canvass"),
        _vevent("bad@src", _soon(4), hours=-1),
    )
    response = _add(client, group, data)
    feed = CalendarFeed.objects.get(group=group)
    assert response.status_code == 302
    assert response["Location"] == f"/events/imports/feed/{feed.pk}/preview/"
    assert feed.is_preview

    page = client.get(response["Location"]).content.decode()
    assert "2 upcoming events" in page
    assert "Street stall" in page and "Canvass" in page
    assert "bad@src" in page  # the warning
    assert f'action="/events/imports/feed/{feed.pk}/confirm/"' in page
    assert not Event.objects.exists()
    calendar_feed_sync_task.apply(args=[feed.pk])  # a sync queued some other way: nothing
    assert not Event.objects.exists()

    response = client.post(f"/events/imports/feed/{feed.pk}/confirm/")
    assert response.status_code == 302
    feed.refresh_from_db()
    assert not feed.is_preview
    calendar_feed_sync_task.apply(args=[feed.pk])
    assert Event.objects.filter(feed=feed).count() == 2


def test_a_preview_can_be_discarded(client, organiser, group):
    client.force_login(organiser)
    _add(client, group, _ics(_vevent("one@src", _soon())))
    feed = CalendarFeed.objects.get(group=group)
    response = client.post(f"/events/imports/feed/{feed.pk}/delete/", follow=True)
    assert "nothing was imported" in response.content.decode()
    assert not CalendarFeed.objects.exists() and not Event.objects.exists()


def test_a_preview_shows_why_a_calendar_cannot_be_imported(client, organiser, group):
    client.force_login(organiser)
    _add(client, group, b"this is not a calendar")
    feed = CalendarFeed.objects.get(group=group)
    page = client.get(f"/events/imports/feed/{feed.pk}/preview/").content.decode()
    assert "cannot be imported" in page and "not an iCalendar file" in page
    assert "/confirm/" not in page


def test_imported_events_default_to_the_group_s_members(client, organiser, group):
    client.force_login(organiser)
    page = client.get(f"/events/imports/{group.slug}/").content.decode()
    assert '<option value="group" selected>' in page
    feed = CalendarFeed.objects.create(group=group, name="Plain", upload_data=b"x")
    assert feed.visibility == Visibility.GROUP


def test_the_default_constituency_is_the_group_s_when_it_covers_one(client, organiser, group):
    seat = ConstituencyFactory(name="Only Seat")
    group.constituencies.set([seat])
    client.force_login(organiser)
    page = client.get(f"/events/imports/{group.slug}/").content.decode()
    assert f'<option value="{seat.pk}" selected>Only Seat</option>' in page
    group.constituencies.add(ConstituencyFactory())
    page = client.get(f"/events/imports/{group.slug}/").content.decode()
    assert f'<option value="{seat.pk}" selected>' not in page


def test_uploaded_calendars_are_never_files_under_media(client, organiser, group, settings):
    """The bytes live in the database: nothing under MEDIA_ROOT, so no URL can serve them."""
    client.force_login(organiser)
    data = _ics(_vevent("secret@src", _soon(), summary="Members-only meeting"))
    _add(client, group, data)
    feed = CalendarFeed.objects.get(group=group)
    assert bytes(feed.upload_data) == data
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]
    assert client.get(f"/media/calendar_feeds/{feed.upload_name}").status_code == 404


def test_beat_skips_previews_and_forgets_stale_ones(group):
    stale = CalendarFeed.objects.create(
        group=group, name="Old", url="https://example.org/a", is_preview=True
    )
    CalendarFeed.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(days=2))
    fresh = CalendarFeed.objects.create(
        group=group, name="New", url="https://example.org/b", is_preview=True
    )
    confirmed = CalendarFeed.objects.create(group=group, name="Live", url="https://example.org/c")
    from alliance.celery import app

    app.control.purge()
    assert calendar_feeds_sync_due_task.apply().get() == 1
    app.control.purge()
    assert set(CalendarFeed.objects.values_list("pk", flat=True)) == {fresh.pk, confirmed.pk}


def test_a_wrong_preview_or_confirm_is_refused_to_others(client, group, people):
    feed = CalendarFeed.objects.create(
        group=group, name="Theirs", url="https://example.org/a", is_preview=True
    )
    client.force_login(people["outsider"])
    assert client.get(f"/events/imports/feed/{feed.pk}/preview/").status_code == 403
    assert client.post(f"/events/imports/feed/{feed.pk}/confirm/").status_code == 403
    feed.refresh_from_db()
    assert feed.is_preview


@pytest.mark.parametrize("count", [1, 6])
def test_the_calendar_list_keeps_a_constant_query_count(
    count, client, organiser, group, django_assert_num_queries
):
    seat = ConstituencyFactory()
    for n in range(count):
        CalendarFeed.objects.create(
            group=group,
            name=f"Feed {n}",
            url=f"https://example.org/{n}.ics",
            default_constituency=seat,
            is_preview=n % 2 == 0,
        )
    client.force_login(organiser)
    client.get(f"/events/imports/{group.slug}/")  # warm the session and caches
    with django_assert_num_queries(QUERIES_FOR_THE_LIST):
        response = client.get(f"/events/imports/{group.slug}/")
    assert response.content.decode().count('class="feed-card"') == count


QUERIES_FOR_THE_LIST = 7
