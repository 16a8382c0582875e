"""An imported party calendar clashes like any other, end to end: a real Celery worker
process (Redis broker), a real SMTP sink on loopback (aiosmtpd) and a postcodes.io-compatible
server on loopback (no internet).

A party branch uploads its calendar as an .ics file: one event whose LOCATION holds a postcode
(placed by the lookup, as the event form does) and one without (it takes the calendar's default
constituency). A pro-EU group has an event in the same seat at the same time as each, and one
80 km away at the same time as the first. Both organisers get exactly one email per clash; the
far event clashes with nothing, however often the sync, the checks and the sweep run again."""

import time
from collections import Counter
from datetime import UTC, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clashes.models import Clash, ClashNotification
from clashes.rules import haversine_km
from clashes.tasks import clash_notifications_deliver_task, clashes_sweep_task
from events.models import CalendarFeed, Event
from events.tasks import calendar_feed_sync_task
from tests.clashes.clash_support import two_sides
from tests.clashes.test_clash_worker import local_slot, succeeded, wait_until, worker_env
from tests.factories import ConstituencyFactory

pytestmark = [pytest.mark.worker, pytest.mark.slow]

BROADMEAD = (51.4585, -2.5886)  # Bristol city centre
FAR_AWAY = (51.4585 + 0.72, -2.5886)  # 80 km due north


def _ics(*vevents: str) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Branch//Campaign calendar//EN"]
    return "\r\n".join([*lines, *vevents, "END:VCALENDAR", ""]).encode()


def _vevent(uid: str, start, *, summary: str, location: str) -> str:
    fmt = "%Y%m%dT%H%M%SZ"
    utc = start.astimezone(UTC)
    return "\r\n".join(
        [
            "BEGIN:VEVENT",
            f"UID:{uid}",
            "DTSTAMP:20260101T000000Z",
            f"DTSTART:{utc:{fmt}}",
            f"DTEND:{utc + timedelta(hours=2):{fmt}}",
            f"SUMMARY:{summary}",
            f"LOCATION:{location}",
            "END:VEVENT",
        ]
    )


def _event_form(title: str, start, **place) -> dict:
    return {
        "title": title,
        "kind": "rally",
        "description": "",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "venue_name": "",
        "address": "",
        "postcode": place.get("postcode", ""),
        "constituency": place.get("constituency", ""),
        "capacity": "",
        "visibility": "public",
        "repeat": "",
        "repeat_until": "",
    }


def test_an_imported_calendar_clashes_once_per_pair_and_far_events_never(
    client, celery_worker_factory, smtp_sink, postcodes_server
):
    assert haversine_km(*BROADMEAD, *FAR_AWAY) == pytest.approx(80, abs=0.5)
    branch, pro_eu, branch_org, pro_eu_org = two_sides()
    centre = ConstituencyFactory(name="Bristol Central", ons_code="E14001111")
    east = ConstituencyFactory(name="Bristol East", ons_code="E14001112")
    far = ConstituencyFactory(name="Far North", ons_code="E14001113")
    postcodes_server.answers.update({"BS13XD": centre.ons_code, "GL11AA": far.ons_code})
    postcodes_server.points.update({"BS13XD": BROADMEAD, "GL11AA": FAR_AWAY})
    saturday, sunday = local_slot(3, 10), local_slot(4, 14)

    # The pro-EU group's events, through the event form (its postcode lookup places them).
    client.force_login(pro_eu_org)
    create = reverse("events:create", kwargs={"slug": pro_eu.slug})
    for form in (
        _event_form("EU flag rally", saturday, postcode="BS1 3XD"),
        _event_form("Rally up north", saturday, postcode="GL1 1AA"),
        _event_form("Sunday meeting", sunday, constituency=east.pk),
    ):
        response = client.post(create, form)
        assert response.status_code == 302, response.content.decode()[:2000]
    rally, up_north, meeting = (
        Event.objects.get(title=title)
        for title in ("EU flag rally", "Rally up north", "Sunday meeting")
    )
    assert (rally.constituency, rally.latitude) == (centre, BROADMEAD[0])
    assert (up_north.constituency, up_north.latitude) == (far, FAR_AWAY[0])

    # The worker reaches the same postcode server; it sends to the sink.
    worker = celery_worker_factory(
        worker_env(smtp_sink.port, ALLIANCE_TEST_POSTCODES_API_URL=postcodes_server.url)
    )

    # The branch uploads its calendar, sees the preview, imports.
    client.force_login(branch_org)
    calendar = _ics(
        _vevent(
            "stall@branch",
            saturday,
            summary="Street stall",
            location=r"Broadmead\, Bristol BS1 3XD",
        ),
        _vevent("canvass@branch", sunday, summary="Canvassing", location="The Crown"),
    )
    response = client.post(
        reverse("events:feed_list", kwargs={"slug": branch.slug}),
        {
            "name": "Branch campaign calendar",
            "url": "",
            "upload": SimpleUploadedFile("campaign.ics", calendar, "text/calendar"),
            "kind": "street_stall",
            "visibility": "group",
            "default_constituency": east.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    feed = CalendarFeed.objects.get(group=branch)
    preview = client.get(reverse("events:feed_preview", kwargs={"pk": feed.pk}))
    assert "Street stall" in preview.content.decode()
    assert not Event.objects.filter(feed=feed).exists(), "nothing published before confirming"
    response = client.post(reverse("events:feed_confirm", kwargs={"pk": feed.pk}))
    assert response.status_code == 302

    # Two clashes, four emails: each organiser once per clash.
    messages = smtp_sink.wait_for(4, timeout=60)
    assert len(messages) == 4, worker.output()[-3000:]
    stall = Event.objects.get(feed=feed, source_uid="stall@branch")
    canvass = Event.objects.get(feed=feed, source_uid="canvass@branch")
    assert (stall.constituency, stall.latitude, stall.postcode) == (centre, BROADMEAD[0], "BS1 3XD")
    assert (canvass.constituency, canvass.latitude) == (east, None)  # the calendar's default
    clashes = {
        frozenset((c.event_a_id, c.event_b_id)): c.pk for c in Clash.objects.filter(status="open")
    }
    assert set(clashes) == {
        frozenset((rally.pk, stall.pk)),
        frozenset((meeting.pk, canvass.pk)),
    }
    assert not Clash.objects.filter(event_a=up_north).exists()
    assert not Clash.objects.filter(event_b=up_north).exists()

    def per_recipient_and_clash():
        return Counter(
            (to, int(m["message"]["X-Alliance-Clash"]))
            for m in smtp_sink.messages
            for to in m["to"]
        )

    expected = {
        (organiser.email, clash_id): 1
        for organiser in (branch_org, pro_eu_org)
        for clash_id in clashes.values()
    }
    assert per_recipient_and_clash() == expected

    # Everything again: a sync asked for on the web and one from beat, the sweep, delivery
    # twice. Nothing new is found and nobody hears twice.
    response = client.post(reverse("events:feed_sync", kwargs={"pk": feed.pk}))
    assert response.status_code == 302
    calendar_feed_sync_task.delay(feed.pk)
    clashes_sweep_task.delay()
    clash_notifications_deliver_task.delay()
    clash_notifications_deliver_task.delay()
    assert wait_until(
        lambda: (
            succeeded(worker, "calendar_feed_sync_task") >= 3
            and succeeded(worker, "clashes_sweep_task") >= 1
            and succeeded(worker, "clash_notifications_deliver_task") >= 3
        ),
        timeout=60,
    ), worker.output()[-3000:]
    time.sleep(0.5)
    assert per_recipient_and_clash() == expected
    assert Clash.objects.count() == 2
    assert set(ClashNotification.objects.values_list("status", flat=True)) == {"sent"}
    assert Event.objects.filter(feed=feed).count() == 2
