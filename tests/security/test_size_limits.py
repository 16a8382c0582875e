"""Oversized input gets a clean 4xx (or a form error), never a 500, and nothing is saved."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from groups.models import Group
from tests.factories import GroupFactory

MB = 1024 * 1024


@pytest.fixture
def target(db):
    return GroupFactory(contact_email="organisers@example.org")


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def _group_data(**overrides):
    return {
        "name": "Riverside for Europe",
        "kind": "pro_eu",
        "region": "E12000009",
        "contact_email": "riverside@example.org",
        **overrides,
    }


def _contact_data(**overrides):
    return {
        "name": "Ann",
        "email": "ann@example.org",
        "message": "Hello",
        "website": "",
        **overrides,
    }


def _forms(target):
    return [("/groups/new/", _group_data()), (f"/groups/{target.slug}/contact/", _contact_data())]


def test_oversized_form_body_is_400(signed_in, target, mailoutbox):
    for url, data in _forms(target):
        response = signed_in.post(url, {**data, "description": "x" * (3 * MB)})
        assert response.status_code == 400, url
    assert not Group.objects.filter(name="Riverside for Europe").exists()
    assert mailoutbox == []


def test_body_over_the_overall_limit_is_413(signed_in, target):
    for url, data in _forms(target):
        response = signed_in.post(url, {**data, "message": "x" * (7 * MB)})
        assert response.status_code == 413, url


def test_ten_thousand_fields_is_400(signed_in, target, mailoutbox):
    extra = {f"field{n}": "x" for n in range(10_000)}
    for url, data in _forms(target):
        response = signed_in.post(url, {**data, **extra})
        assert response.status_code == 400, url
    assert not Group.objects.filter(name="Riverside for Europe").exists()
    assert mailoutbox == []


def test_ten_megabyte_upload_is_413(signed_in, target):
    upload = SimpleUploadedFile("big.ics", b"B" * (10 * MB), content_type="text/calendar")
    for url, data in _forms(target):
        upload.seek(0)
        response = signed_in.post(url, {**data, "file": upload})
        assert response.status_code == 413, url


def test_hundred_kilobyte_names_are_refused_with_a_form_error(signed_in, target, mailoutbox):
    """A 100 KB name is a validation error shown on the form (the page re-renders, 200),
    not a crash and not a truncated save."""
    long_name = "N" * 100_000
    response = signed_in.post("/groups/new/", _group_data(name=long_name))
    assert response.status_code == 200
    assert b"Ensure this value has at most 120 characters" in response.content
    assert not Group.objects.filter(name__startswith="NNNN").exists()

    response = signed_in.post(f"/groups/{target.slug}/contact/", _contact_data(name=long_name))
    assert response.status_code == 200
    assert b"Ensure this value has at most 100 characters" in response.content
    assert mailoutbox == []


def test_bad_content_length_is_400(client, db):
    response = client.post(
        "/accounts/login/", data=b"a=b", content_type="text/plain", CONTENT_LENGTH="banana"
    )
    assert response.status_code == 400
