"""Injection: SQL-ish strings in every filter, search and ordering parameter never cause a 500
or change data; <script> and attribute-breaking strings in event, petition, signer and imported
calendar text are escaped in pages, feeds, JSON and emails; CR/LF cannot inject headers."""

import json
from datetime import timedelta

import icalendar
import pytest
from django.utils import timezone

from clashes import delivery
from clashes.models import ClashNotification
from events import imports
from events import services as event_services
from events.models import CalendarFeed, Event
from groups.parties import parties_seed
from outbox.services import outbox_deliver
from petitions.services.counting import petition_count
from petitions.services.updates import (
    milestones_notify,
    petition_update_create,
    petition_update_send_batch,
)
from tests.events.factories import EventFactory, RsvpFactory
from tests.factories import UserFactory
from tests.petitions.factories import PetitionFactory, SignatureFactory
from tests.seats.factories import ElectionFactory, contest_create
from tests.security.conftest import db_snapshot

SCRIPT = '<script>alert("xss")</script>'
BREAKOUT = '"><img src=x onerror=alert(1)>'
SINGLE = "'><svg onload=alert(2)>"
HOSTILE = f"{SCRIPT} {BREAKOUT} {SINGLE}"
CRLF = "Stall\r\nBcc: victim@example.net\r\nX-Evil: 1"

SQLISH = [
    "' OR 1=1 --",
    '" OR ""="',
    "1; DROP TABLE events_event; --",
    "%' UNION SELECT email, password FROM accounts_user --",
    "1) OR (1=1",
    "\x00",
    "abc\x00def",
    "%%%%__\\",
    "-1",
    "99999999999999999999999999",
    "1e309",
    "NaN",
    '{"$gt": ""}',
    "9999-99",
    "2026-02-30",
    "0000-01-01",
    "x" * 5000,
]
NASTIEST = ["' OR 1=1 --", "a\x00b", "99999999999999999999999999", "9999-12", "x" * 5000]


def _assert_escaped(text: str) -> None:
    assert SCRIPT not in text
    assert "<img src=x" not in text
    assert "<svg onload" not in text
    assert 'onerror=alert(1)>"' not in text


# --- SQL-ish parameters ------------------------------------------------------------------


@pytest.fixture
def seats_data(db):
    parties = {p.short_name: p for p in parties_seed()}
    election = ElectionFactory(slug="ge2029", boundary_set="sample")
    for n in range(3):
        contest_create(
            election=election,
            votes={parties["Con"]: 20000, parties["LD"]: 15000 + n, parties["Lab"]: 5000},
            name=f"Seat {n}",
        )
    return election


PAGES = {
    "/events/": ["q", "party", "group", "group_kind", "kind", "constituency", "region",
                 "after", "before", "mine", "month", "page", "order"],
    "/events/week/": ["q", "party", "kind", "week", "after", "before", "order"],
    "/events/agenda/": ["q", "group", "region", "date", "page", "order"],
    "/events/feed.ics": ["q", "party", "group", "kind", "constituency", "region", "after"],
    "/events/feeds/group/beta.ics": ["q", "after"],
    "/events/clashes/": ["region", "party", "status", "page", "order"],
    "/petitions/": ["page", "order", "q", "status"],
    "/seats/": ["election", "bloc", "nation", "region", "winner", "flag", "margin_min",
                "margin_max", "best", "order", "page", "format"],
    "/seats/map/": ["election", "bloc", "nation", "region", "colour", "order"],
    "/seats/pacts/": ["page", "order"],
    "/seats/help/": ["group", "party", "constituency", "postcode"],
    "/seats/pacts/reciprocity/": ["election", "region", "package"],
    "/petitions/awaiting-response/": ["party", "page"],
    "/petitions/beta-petition/": ["seat"],
}  # fmt: skip


@pytest.mark.parametrize("url", list(PAGES))
def test_sqlish_filter_values_never_500_and_change_nothing(client, world, seats_data, url):
    client.force_login(world.organiser_b)
    before = db_snapshot()
    # Every value in every parameter at once, then each parameter alone with the nastiest.
    for value in SQLISH:
        response = client.get(url, dict.fromkeys(PAGES[url], value))
        assert response.status_code in {200, 400, 404}, value
    for parameter in PAGES[url]:
        for value in NASTIEST:
            response = client.get(url, {parameter: value})
            assert response.status_code in {200, 400, 404}, (parameter, value)
    # Every parameter hostile at once, and repeated.
    query = {name: [SQLISH[0], SQLISH[5], SQLISH[2]] for name in PAGES[url]}
    assert client.get(url, query).status_code in {200, 400, 404}
    assert db_snapshot() == before


# --- HTML in pages, feeds, JSON ------------------------------------------------------------


@pytest.fixture
def hostile(world):
    event = EventFactory(
        group=world.group_b,
        title=f"Stall {SCRIPT}",
        description=f"Bring {BREAKOUT} and {SINGLE}\n{SCRIPT}",
        venue_name=f"Hall {BREAKOUT}",
        address=f"1 {SINGLE} Street",
    )
    attendee = UserFactory(name=f"Eve {SCRIPT}")
    RsvpFactory(event=event, user=attendee)
    petition = PetitionFactory(
        group=world.group_b,
        title=f"Stop {SCRIPT}",
        slug="hostile-petition",
        target=f"The {BREAKOUT} council",
        body=f"Para {SCRIPT}\n\n- {BREAKOUT}\n- **{SINGLE}** https://example.org/{BREAKOUT}",
    )
    SignatureFactory(
        petition=petition,
        confirmed=True,
        name=f"Mallory {SCRIPT}",
        show_publicly=True,
        consent_to_contact=True,
    )
    petition_count(petition_id=petition.pk)
    return {"event": event, "petition": petition}


def test_event_text_is_escaped_on_every_page(client, world, hostile):
    event = hostile["event"]
    day = timezone.localtime(event.starts_at)
    urls = [
        f"/events/{event.pk}/",
        f"/events/?month={day:%Y-%m}",
        f"/events/week/?week={day:%Y-%m-%d}",
        f"/events/agenda/?date={day:%Y-%m-%d}",
        "/events/agenda/?q=Stall",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_escaped(response.content.decode())
    assert b"&lt;script&gt;" in client.get(f"/events/{event.pk}/").content
    client.force_login(world.organiser_b)
    for url in [
        f"/events/{event.pk}/",
        f"/events/{event.pk}/edit/",
        f"/events/{event.pk}/duplicate/",
        f"/events/{event.pk}/cancel/",
        f"/events/{event.pk}/attendees/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_escaped(response.content.decode())


def _feed_events(content: bytes) -> list:
    calendar = icalendar.Calendar.from_ical(content)
    return list(calendar.walk("VEVENT"))


def test_feeds_are_calendars_that_carry_the_text_exactly(client, world, hostile):
    event = hostile["event"]
    for url in [
        "/events/feed.ics",
        f"/events/feeds/group/{world.group_b.slug}.ics",
        f"/events/{event.pk}/event.ics",
    ]:
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/calendar"), url
        assert response["X-Content-Type-Options"] == "nosniff"
        vevents = [
            v
            for v in _feed_events(response.content)
            if str(v["SUMMARY"]) == f"{event.title} ({event.group.name})"
        ]
        assert len(vevents) == 1, url
        assert str(vevents[0]["DESCRIPTION"]) == event.description


def test_petition_text_is_escaped_on_every_page(client, world, hostile):
    petition = hostile["petition"]
    for url in [f"/petitions/{petition.slug}/", "/petitions/"]:
        response = client.get(url)
        assert response.status_code == 200
        text = response.content.decode()
        _assert_escaped(text)
        assert "&lt;script&gt;" in text
    assert "Mallory" in client.get(f"/petitions/{petition.slug}/").content.decode()
    client.force_login(world.organiser_b)
    for url in [f"/petitions/{petition.slug}/dashboard/", f"/petitions/{petition.slug}/edit/"]:
        response = client.get(url)
        assert response.status_code == 200
        _assert_escaped(response.content.decode())


def test_petition_json_is_json_and_not_sniffable(client, hostile):
    petition = hostile["petition"]
    response = client.get(f"/petitions/{petition.slug}.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"
    data = json.loads(response.content)
    assert data["data"]["attributes"]["action"] == petition.title
    assert data["data"]["attributes"]["addressed_to"] == petition.target


def test_csv_exports_defuse_formulas_and_keep_html_as_text(client, world, hostile):
    petition = hostile["petition"]
    SignatureFactory(
        petition=petition, confirmed=True, consent_to_contact=True, name="=HYPERLINK(1)"
    )
    client.force_login(world.organiser_b)
    text = client.get(f"/petitions/{petition.slug}/export/signers.csv").content.decode()
    assert "'=HYPERLINK(1)" in text
    assert "Mallory <script>" in text  # a CSV is data, not HTML


def test_imported_ics_summary_is_escaped(client, world):
    starts = timezone.now() + timedelta(days=5)
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//evil//EN\r\n"
        "BEGIN:VEVENT\r\nUID:evil-1@example.net\r\n"
        f"DTSTART:{starts:%Y%m%dT%H%M00Z}\r\nDTEND:{starts + timedelta(hours=1):%Y%m%dT%H%M00Z}\r\n"
        f"SUMMARY:Imported {SCRIPT} {BREAKOUT}\r\n"
        f"LOCATION:{SINGLE}\r\nDESCRIPTION:{SCRIPT}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    feed = CalendarFeed(group=world.group_b, name=f"Feed {SCRIPT}", visibility="public")
    feed.upload_data = ics.encode()
    feed.save()
    result = imports.calendar_feed_sync(feed=feed)
    assert not result.error and result.created == 1
    event = Event.objects.get(feed=feed)
    assert event.title == f"Imported {SCRIPT} {BREAKOUT}".replace("\\", "")
    for url in [f"/events/{event.pk}/", "/events/agenda/", f"/events/?month={starts:%Y-%m}"]:
        response = client.get(url)
        assert response.status_code == 200
        _assert_escaped(response.content.decode())
    feed_response = client.get("/events/feed.ics")
    # SUMMARY is "<title> (<group>)": the title inside it is carried exactly.
    summaries = [str(v["SUMMARY"]).rsplit(" (", 1)[0] for v in _feed_events(feed_response.content)]
    assert event.title in summaries
    client.force_login(world.organiser_b)
    _assert_escaped(client.get(f"/events/imports/{world.group_b.slug}/").content.decode())


# --- Emails --------------------------------------------------------------------------------


def _headers(message) -> tuple[list[str], str]:
    raw = message.message().as_string()
    head = raw.split("\n\n", 1)[0]
    names = [line.split(":", 1)[0].lower() for line in head.splitlines() if line[:1].strip()]
    return names, head


def _assert_single_recipient(message, address: str) -> None:
    assert message.recipients() == [address]
    names, head = _headers(message)
    assert "bcc" not in names and "x-evil" not in names
    assert "victim@example.net" not in head.replace("\n ", " ").split("Subject:")[0]
    assert "\n" not in message.subject and "\r" not in message.subject


def _html_part(message) -> str:
    (html, mimetype), *_ = message.alternatives
    assert mimetype == "text/html"
    return html


def test_signature_confirmation_email_escapes_and_cannot_be_redirected(client, world, mailoutbox):
    petition = PetitionFactory(group=world.group_b, title=f"{CRLF} {SCRIPT}", slug="crlf")
    data = {"email": "signer@example.net", "postcode": "SW1A 1AA"}
    # CR/LF in a name is refused on the form, with a message, and nothing is kept.
    response = client.post(f"/petitions/{petition.slug}/sign/", {**data, "name": CRLF})
    assert response.status_code == 400
    assert b"Please use letters, spaces and punctuation only." in response.content
    assert not petition.signatures.exists()
    response = client.post(f"/petitions/{petition.slug}/sign/", {**data, "name": SCRIPT})
    assert response.status_code == 302
    from petitions.services.signing import signature_confirmations_send

    signature_confirmations_send()
    (message,) = mailoutbox
    _assert_single_recipient(message, "signer@example.net")
    html = _html_part(message)
    _assert_escaped(html)
    assert "&lt;script&gt;" in html


def test_rsvp_emails_escape_and_keep_headers_clean(world, mailoutbox):
    from outbox.models import OutboxEmail

    OutboxEmail.objects.all().delete()  # the world's own emails (a joint-event proposal, ...)
    event = EventFactory(group=world.group_b, title=f"{CRLF} {SCRIPT}", capacity=1)
    first = UserFactory(email="first@example.net", name=f"{CRLF}")
    waiting = UserFactory(email="waiting@example.net", name=f"Wendy {SCRIPT}")
    event_services.rsvp_set(event=event, user=first, answer="going")
    rsvp = event_services.rsvp_set(event=event, user=waiting, answer="going")
    assert rsvp.answer == "waiting"
    event_services.rsvp_set(event=event, user=first, answer="not_going")
    assert event_services.rsvp_promoted_notify(rsvp_id=rsvp.pk)
    outbox_deliver()
    event_services.event_cancel(event=event, author=world.organiser_b)
    event_services.event_attendees_notify(event_id=event.pk)
    outbox_deliver()  # the emails were written to the outbox
    assert len(mailoutbox) == 2
    for message in mailoutbox:
        _assert_single_recipient(message, "waiting@example.net")
        _assert_escaped(_html_part(message))


def test_clash_email_escapes_and_keeps_headers_clean(world):
    a = EventFactory(group=world.group_a, title=f"{CRLF} {SCRIPT}", venue_name=BREAKOUT)
    b = EventFactory(group=world.group_b, title=f"Other {SINGLE}", starts_at=a.starts_at)
    from clashes.models import Clash

    clash = Clash.objects.create(
        event_a=min(a, b, key=lambda e: e.pk), event_b=max(a, b, key=lambda e: e.pk)
    )
    notification = ClashNotification.objects.create(clash=clash, recipient=world.organiser_b)
    message = delivery.clash_email_build(notification)
    _assert_single_recipient(message, world.organiser_b.email)
    _assert_escaped(_html_part(message))
    assert "&lt;script&gt;" in _html_part(message)


def test_seat_names_from_an_imported_file_are_escaped(client, db):
    """Constituency names and winners come from results files: treat them as hostile too."""
    parties = {p.short_name: p for p in parties_seed()}
    election = ElectionFactory(slug="ge2030", boundary_set="sample")
    contest = contest_create(
        election=election,
        votes={parties["Con"]: 20000, parties["LD"]: 15000, parties["Lab"]: 5000},
        name=f"Seat {SCRIPT} {BREAKOUT}",
    )
    seat = contest.constituency
    seat.hex_q, seat.hex_r = 1, 1
    seat.save()
    contest_create(
        election=election, votes={parties["Lab"]: 9000, parties["Con"]: 100},
        name=f"=cmd|' /C calc'!A0 {SINGLE}",
    )  # fmt: skip
    for url in [
        "/seats/?election=ge2030",
        "/seats/map/?election=ge2030",
        "/seats/map/?election=ge2030&colour=best",
        f"/seats/{seat.boundary_set}/{seat.ons_code}/",
        "/seats/help/?party=" + str(parties["LD"].pk),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_escaped(response.content.decode())
    text = client.get("/seats/?election=ge2030&format=csv").content.decode()
    assert "'=cmd|" in text  # the spreadsheet formula is defused


def test_petition_update_and_milestone_emails_escape_and_keep_headers_clean(world, mailoutbox):
    petition = PetitionFactory(group=world.group_b, title=f"{CRLF} {SCRIPT}", slug="upd")
    SignatureFactory(
        petition=petition, confirmed=True, consent_to_contact=True, email="fan@example.net",
        name=f"Fan {SCRIPT}",
    )  # fmt: skip
    update = petition_update_create(
        petition=petition,
        subject=f"News\r\nBcc: victim@example.net {SCRIPT}",
        body=f"{SCRIPT}\n{BREAKOUT}",
        by=world.organiser_b,
    )
    petition_update_send_batch(update_id=update.pk)
    (message,) = mailoutbox
    _assert_single_recipient(message, "fan@example.net")
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")
    html = _html_part(message)
    _assert_escaped(html)
    assert "&lt;script&gt;" in html
    # A milestone email to the organisers, about a petition with a hostile title.
    mailoutbox.clear()
    from petitions.models import Milestone

    Milestone.objects.create(petition=petition, goal=100)
    assert milestones_notify(petition_id=petition.pk) == 1
    (message,) = mailoutbox
    _assert_single_recipient(message, world.organiser_b.email)
    _assert_escaped(_html_part(message))


def test_event_reminder_email_escapes_and_keeps_headers_clean(world, mailoutbox):
    from outbox.models import OutboxEmail

    OutboxEmail.objects.all().delete()  # the world's own emails (a joint-event proposal, ...)
    tomorrow = timezone.localtime(timezone.now() + timedelta(days=1)).replace(
        hour=12, minute=0, second=0, microsecond=0
    )
    event = EventFactory(
        group=world.group_b, title=f"{CRLF} {SCRIPT}", venue_name=BREAKOUT, starts_at=tomorrow
    )
    RsvpFactory(event=event, user=UserFactory(email="goer@example.net", name=SCRIPT))
    assert event_services.event_reminders_send() == 1
    outbox_deliver()  # the emails were written to the outbox
    (message,) = mailoutbox
    _assert_single_recipient(message, "goer@example.net")
    _assert_escaped(_html_part(message))
