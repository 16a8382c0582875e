"""Access to answering without an account (rows: url_table.GUEST_RSVP_URLS). Marking who came
is for the event's organisers only; the guest form takes answers only for public events and
only from signed-out visitors; a guest's page opens only with a link the site signed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from events import services
from events.models import Event, GuestRsvp, Rsvp
from tests.events.factories import EventFactory, RsvpFactory
from tests.security.conftest import db_snapshot
from tests.security.url_table import GUEST_RSVP_URLS, STALL_URLS, fill


def _snapshot() -> dict:
    return {
        **db_snapshot(),
        "attended": list(Rsvp.objects.order_by("pk").values_list("pk", "attended")),
        "guests": list(
            GuestRsvp.objects.order_by("pk").values_list("pk", "email", "answer", "attended")
        ),
    }


def _row(name):
    return next(row for row in GUEST_RSVP_URLS if row[0] == name)


def _request(client, world, name):
    _name, method, path, data = _row(name)
    url, values = fill(world, path, data)
    return getattr(client, method)(url, values or {})


def test_who_came_refuses_everyone_but_the_events_organisers(client, world):
    started = timezone.now() - timedelta(hours=1)
    Event.objects.filter(pk=world.event_b.pk).update(
        starts_at=started, ends_at=started + timedelta(hours=3)
    )
    before = _snapshot()
    response = _request(client, world, "event attendance (post)")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    for who in ["organiser_a", "member_a", "member_b", "outsider", "staff_p1"]:
        client.force_login(getattr(world, who))
        response = _request(client, world, "event attendance (post)")
        assert response.status_code in {403, 404}, who
        assert _snapshot() == before, who
    client.force_login(world.organiser_b)  # the yes: the URL is real
    assert _request(client, world, "event attendance (post)").status_code == 302
    assert Rsvp.objects.get(event=world.event_b).attended


def test_an_organiser_of_another_group_cannot_tick_group_b_answers_on_their_own_event(
    client, world
):
    started = timezone.now() - timedelta(hours=1)
    own = EventFactory(group=world.group_a, starts_at=started, ends_at=started + timedelta(hours=2))
    RsvpFactory(event=own)
    client.force_login(world.organiser_a)
    rsvp_b = Rsvp.objects.get(event=world.event_b)
    client.post(f"/events/{own.pk}/attendance/", {"rsvp": [rsvp_b.pk]})
    assert not Rsvp.objects.get(pk=rsvp_b.pk).attended


def test_the_guest_form_is_for_signed_out_visitors_on_public_events(client, world):
    for who in ["member_b", "organiser_b", "outsider"]:
        client.force_login(getattr(world, who))
        assert _request(client, world, "guest RSVP (post)").status_code == 302
    assert not GuestRsvp.objects.exists()  # signed in: answer with the account
    client.logout()
    Event.objects.filter(pk=world.event_b.pk).update(visibility="group")
    before = _snapshot()
    assert _request(client, world, "guest RSVP (post)").status_code == 404
    assert _snapshot() == before
    Event.objects.filter(pk=world.event_b.pk).update(visibility="public")  # the yes
    assert _request(client, world, "guest RSVP (post)").status_code == 302
    assert GuestRsvp.objects.get().email == "guest@example.net"


@pytest.mark.parametrize(
    "name", ["guest RSVP page, forged link", "guest RSVP page, forged link (post)"]
)
def test_a_guest_page_needs_a_link_we_signed(client, world, name):
    guest = services.guest_rsvp_request(event=world.event_b, name="G", email="g@example.net")
    before = _snapshot()
    for who in [None, "organiser_b", "outsider"]:
        if who:
            client.force_login(getattr(world, who))
        assert _request(client, world, name).status_code == 404
        assert _snapshot() == before
    # Another guest's token, signed for something else, or unsigned, opens nothing either.
    from django.core import signing

    for forged in (guest.token, signing.Signer(salt="petitions.signer-data").sign(guest.token)):
        assert client.post(f"/events/guest/{forged}/", {"action": "erase"}).status_code == 404
    assert _snapshot() == before
    signed = services.guest_rsvp_link_token(guest)  # the yes
    assert client.get(f"/events/guest/{signed}/").status_code == 200


def test_a_guest_page_shows_only_that_guest(client, world):
    mine = services.guest_rsvp_request(event=world.event_b, name="Mine", email="me@example.net")
    services.guest_rsvp_request(event=world.event_b, name="Other", email="other@example.net")
    page = client.get(f"/events/guest/{services.guest_rsvp_link_token(mine)}/").content.decode()
    assert "me@example.net" in page
    assert "other@example.net" not in page and world.member_b.email not in page


@pytest.mark.parametrize("name, method, path, data", STALL_URLS, ids=[r[0] for r in STALL_URLS])
def test_stall_mode_is_for_the_petitions_organisers(client, world, name, method, path, data):
    url, values = fill(world, path, data)
    response = getattr(client, method)(url, values or {})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    for who in ["organiser_a", "member_a", "member_b", "outsider", "staff_p1"]:
        client.force_login(getattr(world, who))
        response = getattr(client, method)(url, values or {})
        assert response.status_code in {403, 404}, who
        assert not any(name.startswith("stall-") for name in response.cookies), who
    client.force_login(world.organiser_b)  # the yes
    response = getattr(client, method)(url, values or {})
    assert response.status_code == (302 if method == "post" else 200)
    if method == "post":
        assert f"stall-{world.petition_b.pk}" in response.cookies


def test_every_new_post_needs_the_csrf_token(world):
    """Guest answer, guest page actions, who came, stall mode: refused without the token."""
    from django.test import Client

    guest = services.guest_rsvp_request(event=world.event_b, name="G", email="g@example.net")
    posts = [
        (None, f"/events/{world.event_b.pk}/guest-rsvp/", {"name": "N", "email": "n@example.net"}),
        (None, f"/events/guest/{services.guest_rsvp_link_token(guest)}/", {"action": "erase"}),
        ("organiser_b", f"/events/{world.event_b.pk}/attendance/", {"rsvp": "1"}),
        ("organiser_b", f"/petitions/{world.petition_b.slug}/stall/", {"action": "on"}),
    ]
    before = _snapshot()
    for who, path, data in posts:
        client = Client(enforce_csrf_checks=True)
        if who:
            client.force_login(getattr(world, who))
        response = client.post(path, data)
        assert response.status_code == 403, path
        assert not any(name.startswith("stall-") for name in response.cookies)
    assert _snapshot() == before
