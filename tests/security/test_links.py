"""Every absolute link in emails and feeds starts with SITE_URL, whatever Host the request
carried, and the sign-up email names the site (never django.contrib.sites' "example.com")."""

import re

import pytest
from django.contrib.sites.models import Site
from django.core import mail
from django.urls import reverse

from accounts.apps import site_sync_from_settings
from events import services as event_services
from tests.events.factories import EventFactory
from tests.factories import PASSWORD, UserFactory
from tests.petitions.factories import PetitionFactory

SITE = "https://alliance.example.org"
FORGED_HOST = "attacker.example"  # ALLOWED_HOSTS is "*" in the test settings


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE


def _links(text: str) -> list[str]:
    return re.findall(r"https?://[^\s\"'<>]+", text)


@pytest.mark.django_db
def test_the_sign_up_email_names_the_site_and_links_to_it(client):
    client.post(
        reverse("account_signup"),
        {"email": "new@example.org", "password1": PASSWORD, "password2": PASSWORD},
        HTTP_HOST=FORGED_HOST,
    )
    (message,) = mail.outbox
    assert "example.com" not in message.body
    assert FORGED_HOST not in message.body
    assert "Hello from Alliance!" in message.body
    assert "alliance.example.org" in message.body  # "... register an account on <domain>"
    links = _links(message.body)
    assert links and all(link.startswith(f"{SITE}/") for link in links), links
    assert any("/accounts/confirm-email/" in link for link in links)


@pytest.mark.django_db
def test_the_password_reset_email_links_to_the_site(client):
    user = UserFactory(email="forgetful@example.org")
    client.post(reverse("account_reset_password"), {"email": user.email}, HTTP_HOST=FORGED_HOST)
    (message,) = mail.outbox
    links = _links(message.body)
    assert any("/accounts/password/reset/key/" in link for link in links), message.body
    assert all(link.startswith(f"{SITE}/") for link in links), links
    assert "example.com" not in message.body and FORGED_HOST not in message.body


@pytest.mark.django_db
def test_calendar_links_and_feeds_use_the_site_address(client, user):
    event = EventFactory()
    feed = client.get(reverse("events:feed"), HTTP_HOST=FORGED_HOST).content.decode()
    assert f"URL:{SITE}{event.get_absolute_url()}" in feed.replace("\r\n ", "")
    page = client.get(reverse("events:list"), HTTP_HOST=FORGED_HOST).content.decode()
    assert f"{SITE}/events/feed.ics" in page and FORGED_HOST not in page

    client.force_login(user)
    page = client.get(reverse("events:my_calendar"), HTTP_HOST=FORGED_HOST).content.decode()
    token = event_services.calendar_token_get_or_create(user=user).token
    assert f"{SITE}{reverse('events:feed_private', args=[token])}" in page
    assert FORGED_HOST not in page


@pytest.mark.django_db
def test_petition_share_and_api_links_use_the_site_address(client):
    petition = PetitionFactory(slug="ferry")
    page = client.get(petition.get_absolute_url(), HTTP_HOST=FORGED_HOST).content.decode()
    assert FORGED_HOST not in page
    payload = client.get(reverse("petitions:json", args=["ferry"]), HTTP_HOST=FORGED_HOST).json()
    assert payload["links"]["self"] == f"{SITE}/petitions/ferry.json"


@pytest.mark.django_db
def test_the_sites_row_follows_site_url(settings):
    settings.SITE_URL = "https://campaigns.example.net"
    site_sync_from_settings()
    site = Site.objects.get(pk=settings.SITE_ID)
    assert (site.domain, site.name) == ("campaigns.example.net", "Alliance")
