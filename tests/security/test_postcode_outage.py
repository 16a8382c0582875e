"""The postcode lookup failing never loses what an organiser was saving.

postcodes.io (or the compatible server in POSTCODES_API_URL) answering 500 or not answering at
all: the event is saved without a constituency and the organiser is told, so they can pick it.
"""

import socket

import pytest
from django.urls import reverse

from events.models import Event
from tests.events.test_views import _form_data
from tests.factories import ConstituencyFactory, GroupFactory, MembershipFactory, UserFactory

TOLD = "could not look up the constituency"


@pytest.fixture
def organiser_and_group(db):
    group = GroupFactory()
    organiser = UserFactory()
    MembershipFactory(user=organiser, group=group, role="organiser")
    return organiser, group


@pytest.fixture
def silent_server(settings):
    """Accepts connections and never answers: a lookup that times out."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        settings.POSTCODES_API_URL = f"http://127.0.0.1:{listener.getsockname()[1]}"
        settings.POSTCODES_API_TIMEOUT = 0.5
        yield listener


def _create(client, organiser, group, **fields):
    client.force_login(organiser)
    return client.post(
        reverse("events:create", args=[group.slug]),
        _form_data(postcode="SW1A 1AA", title="Keep me", **fields),
        follow=True,
    )


def test_lookup_down_the_event_is_saved_without_a_place_and_the_organiser_told(
    client, organiser_and_group, postcodes_server
):
    organiser, group = organiser_and_group
    postcodes_server.answers["SW1A1AA"] = None  # the service answers 500
    response = _create(client, organiser, group)
    event = Event.objects.get(title="Keep me")
    assert (event.postcode, event.constituency, event.latitude) == ("SW1A 1AA", None, None)
    assert response.redirect_chain[-1][0] == event.get_absolute_url()
    assert TOLD in response.content.decode()
    assert postcodes_server.hits == ["SW1A1AA"]


def test_lookup_timing_out_the_event_is_saved_too(client, organiser_and_group, silent_server):
    organiser, group = organiser_and_group
    response = _create(client, organiser, group)
    event = Event.objects.get(title="Keep me")
    assert event.constituency is None
    assert TOLD in response.content.decode()


def test_editing_while_the_lookup_is_down_keeps_the_changes(
    client, organiser_and_group, postcodes_server
):
    organiser, group = organiser_and_group
    seat = ConstituencyFactory(ons_code="E14009999", boundary_set="2024")
    postcodes_server.answers["SW1A1AA"] = "E14009999"
    _create(client, organiser, group)
    event = Event.objects.get(title="Keep me")
    assert event.constituency == seat

    postcodes_server.answers["EC1A1BB"] = None
    response = client.post(
        reverse("events:edit", args=[event.pk]),
        _form_data(postcode="EC1A 1BB", title="Renamed"),
        follow=True,
    )
    event.refresh_from_db()
    assert (event.title, event.postcode, event.constituency) == ("Renamed", "EC1A 1BB", None)
    assert TOLD in response.content.decode()


def test_an_unknown_postcode_still_asks_for_the_constituency(
    client, organiser_and_group, postcodes_server
):
    # The service answered, and does not know it: the organiser picks (nothing is lost).
    organiser, group = organiser_and_group
    response = _create(client, organiser, group)
    assert response.status_code == 200
    assert "pick it from the list" in response.content.decode()
    assert not Event.objects.exists()
