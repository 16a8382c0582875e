"""Nothing personal may be kept by a shared cache: private responses are `private, no-store`.

The rule lives in alliance.middleware.PrivateResponseCacheMiddleware: a response to a
signed-in person, or one a view marked private, is `private, no-store`; only anonymous
responses may be public; everything varies on Cookie.
"""

import pytest
from django.urls import reverse
from django.utils.cache import get_max_age

from events import services as event_services
from events.models import Visibility
from tests.events.factories import EventFactory

PRIVATE = "private, no-store"


def _vary(response) -> set[str]:
    return {part.strip().lower() for part in response.get("Vary", "").split(",")}


@pytest.mark.django_db
def test_a_members_only_group_feed_is_never_public(client, world):
    secret = EventFactory(group=world.group_b, title="Members-only planning", visibility="group")
    url = reverse("events:feed_group", args=[world.group_b.slug])

    client.force_login(world.member_b)
    response = client.get(url)
    assert secret.title.encode() in response.content
    assert response["Cache-Control"] == PRIVATE
    assert "cookie" in _vary(response)

    # The same URL without a session: public, and without the members-only event.
    client.logout()
    response = client.get(url)
    assert secret.title.encode() not in response.content
    assert "public" in response["Cache-Control"]
    assert "cookie" in _vary(response)


@pytest.mark.django_db
def test_a_304_to_a_member_is_private_too(client, world):
    EventFactory(group=world.group_b, visibility=Visibility.GROUP)
    url = reverse("events:feed_group", args=[world.group_b.slug])
    client.force_login(world.member_b)
    etag = client.get(url)["ETag"]
    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response["Cache-Control"] == PRIVATE


@pytest.mark.django_db
def test_a_private_token_feed_is_private_and_not_stored(client, world):
    EventFactory(group=world.group_b, visibility=Visibility.GROUP)
    token = event_services.calendar_token_get_or_create(user=world.member_b).token
    response = client.get(reverse("events:feed_private", args=[token]))  # no session
    assert response.status_code == 200
    assert response["Cache-Control"] == PRIVATE


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url_name", ["home", "groups:mine", "events:list", "petitions:list", "accounts:profile"]
)
def test_every_page_for_a_signed_in_person_is_private(client, world, url_name):
    client.force_login(world.member_b)
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    assert response["Cache-Control"] == PRIVATE
    assert get_max_age(response) is None
    assert "cookie" in _vary(response)


@pytest.mark.django_db
def test_a_view_cannot_make_a_signed_in_response_public(client, world):
    # The anonymous calendar feed is public; signed in, the same view's answer is not.
    url = reverse("events:feed")
    assert "public" in client.get(url)["Cache-Control"]
    client.force_login(world.outsider)
    assert client.get(url)["Cache-Control"] == PRIVATE
