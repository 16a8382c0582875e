"""Size: oversized bodies, 10,000 fields, 100 KB names and 10 MB uploads on the events,
petitions and seats forms get a clean 4xx, or a form error with nothing saved; never a 500."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from events.models import CalendarFeed, Event
from petitions.models import Petition, Signature
from tests.petitions.factories import PetitionFactory
from tests.security.url_table import _event_form

MB = 1024 * 1024
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def setup(client, organiser, group):
    client.force_login(organiser)
    petition = PetitionFactory(group=group, slug="open-one")
    return client, group, petition


def _forms(group, petition):
    """(url, valid data) of forms that would save something."""
    return [
        (f"/events/new/{group.slug}/", _event_form("Size test")),
        (
            f"/petitions/new/{group.slug}/",
            {"title": "Size test", "target": "Them", "body": "Please."},
        ),
        (
            f"/petitions/{petition.slug}/sign/",
            {"name": "Size Test", "email": "size@example.net", "postcode": "SW1A 1AA"},
        ),
        (
            f"/events/imports/{group.slug}/",
            {"name": "Size test", "url": "http://127.0.0.1:9/a.ics", "kind": "other",
             "visibility": "public"},
        ),
    ]  # fmt: skip


def _nothing_saved():
    assert not Event.objects.filter(title="Size test").exists()
    assert not Petition.objects.filter(title="Size test").exists()
    assert not Signature.objects.filter(email="size@example.net").exists()
    assert not CalendarFeed.objects.filter(name="Size test").exists()


def test_a_three_megabyte_field_is_400(setup):
    client, group, petition = setup
    for url, data in _forms(group, petition):
        response = client.post(url, {**data, "description": "x" * (3 * MB)})
        assert response.status_code == 400, url
    _nothing_saved()


def test_a_body_over_the_limit_is_413(setup):
    client, group, petition = setup
    for url, data in _forms(group, petition):
        response = client.post(url, {**data, "body": "x" * (7 * MB)})
        assert response.status_code == 413, url
        assert b"too much data" in response.content
    _nothing_saved()


def test_ten_thousand_fields_is_400(setup):
    client, group, petition = setup
    extra = {f"f{n}": "x" for n in range(10_000)}
    for url, data in _forms(group, petition):
        assert client.post(url, {**data, **extra}).status_code == 400, url
    _nothing_saved()


@pytest.mark.parametrize(
    "field, limit",
    [("title", 200), ("venue_name", 200), ("address", 300)],
)
def test_hundred_kilobyte_event_text_is_a_form_error(setup, field, limit):
    client, group, _ = setup
    response = client.post(f"/events/new/{group.slug}/", {**_event_form(), field: "N" * 100_000})
    assert response.status_code == 200
    assert f"Ensure this value has at most {limit} characters".encode() in response.content
    assert not Event.objects.exists()


def test_hundred_kilobyte_petition_text_is_a_form_error(setup):
    client, group, petition = setup
    response = client.post(
        f"/petitions/new/{group.slug}/",
        {"title": "T" * 100_000, "target": "U" * 100_000, "body": "B" * 100_000},
    )
    assert response.status_code == 200
    assert b"Ensure this value has at most 150 characters" in response.content
    assert b"Ensure this value has at most 10000 characters" in response.content
    assert Petition.objects.count() == 1
    # A 100 KB name on the signing form: a 400 with the message, nothing kept.
    client.logout()
    response = client.post(
        f"/petitions/{petition.slug}/sign/",
        {"name": "N" * 100_000, "email": "size@example.net", "postcode": "SW1A 1AA"},
    )
    assert response.status_code == 400
    assert b"Ensure this value has at most 100 characters" in response.content
    _nothing_saved()


def test_hundred_kilobyte_email_and_postcode_are_refused(setup):
    client, _, petition = setup
    client.logout()
    response = client.post(
        f"/petitions/{petition.slug}/sign/",
        {"name": "Ann", "email": "a" * 100_000 + "@example.net", "postcode": "S" * 100_000},
    )
    assert response.status_code == 400
    assert not Signature.objects.exists()


def test_ten_megabyte_uploads_are_413(setup):
    client, group, petition = setup
    ics = SimpleUploadedFile("big.ics", b"B" * (10 * MB), content_type="text/calendar")
    response = client.post(
        f"/events/imports/{group.slug}/",
        {"name": "Size test", "upload": ics, "kind": "other", "visibility": "public"},
    )
    assert response.status_code == 413
    image = SimpleUploadedFile("big.png", PNG + b"\0" * (10 * MB), content_type="image/png")
    response = client.post(
        f"/petitions/{petition.slug}/edit/",
        {"title": "Size test", "target": "Them", "body": "x", "image": image},
    )
    assert response.status_code == 413
    _nothing_saved()
    petition.refresh_from_db()
    assert not petition.image


def test_uploads_under_the_body_limit_but_over_their_own_are_form_errors(setup, settings):
    client, group, petition = setup
    settings.EVENTS_FEED_MAX_BYTES = 1 * MB
    ics = SimpleUploadedFile(
        "big.ics", b"BEGIN:VCALENDAR\r\n" + b"X" * (2 * MB), content_type="text/calendar"
    )
    response = client.post(
        f"/events/imports/{group.slug}/",
        {"name": "Size test", "upload": ics, "kind": "other", "visibility": "public"},
    )
    assert response.status_code == 200
    assert b"The file is too large (2.0 MB); the limit is 1 MB." in response.content
    image = SimpleUploadedFile("big.png", PNG + b"\0" * (3 * MB), content_type="image/png")
    response = client.post(
        f"/petitions/{petition.slug}/edit/",
        {"title": "Size test", "target": "Them", "body": "x", "image": image},
    )
    assert response.status_code == 200
    assert b"The image must be 2 MB or smaller." in response.content
    svg = SimpleUploadedFile("x.png", b"<svg onload=alert(1)></svg>", content_type="image/png")
    response = client.post(
        f"/petitions/{petition.slug}/edit/",
        {"title": "Size test", "target": "Them", "body": "x", "image": svg},
    )
    assert response.status_code == 200
    assert b"Upload a PNG, JPEG, GIF or WebP image." in response.content
    _nothing_saved()


def test_a_huge_capacity_or_far_dates_are_form_errors(setup):
    client, group, _ = setup
    start = timezone.localtime(timezone.now() + timedelta(days=3))
    response = client.post(
        f"/events/new/{group.slug}/", {**_event_form("Size test"), "capacity": "9" * 40}
    )
    assert response.status_code == 200
    assert b"Ensure this value is less than or equal to" in response.content
    response = client.post(
        f"/events/new/{group.slug}/",
        {**_event_form("Size test"), "starts_at": f"{start:%Y-%m-%d}T99:99"},
    )
    assert response.status_code == 200
    assert b"Enter a valid date/time." in response.content
    _nothing_saved()
