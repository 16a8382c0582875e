"""A signed-in person can see and download everything held about them and delete their account;
anonymous visitors cannot reach any of it; every app's personal_data module is consulted."""

import json
import sys
import types

import pytest
from allauth.account.models import EmailAddress

from accounts.models import User
from accounts.services import user_data_export, user_delete
from groups.models import Group, GroupLink, Membership, PartyStaff, Role
from groups.services import group_link_request, group_member_add
from tests.factories import PASSWORD, GroupFactory, PartyFactory, UserFactory

URLS = ["/accounts/data/", "/accounts/data/export/", "/accounts/delete/"]


@pytest.fixture
def person(db):
    """Someone with a bit of everything the groups app holds."""
    person = UserFactory(email="pat@example.org", name="Pat Person")
    own = GroupFactory(name="Pat's group", organiser=person, created_by=person)
    other = GroupFactory(name="Neighbours")
    group_member_add(group=other, user=person)
    PartyStaff.objects.create(user=person, party=PartyFactory(name="Green Party"), region="")
    group_link_request(from_group=own, to_group=other, user=person, message="Let's link")
    return person


def test_export_holds_every_section(person):
    data = user_data_export(user=person)
    json.dumps(data)  # JSON-ready as it is
    assert data["account"]["email"] == "pat@example.org"
    assert data["account"]["name"] == "Pat Person"
    assert data["account"]["email_addresses"] == [
        {"email": "pat@example.org", "verified": True, "primary": True}
    ]
    groups = data["groups"]
    assert {(m["group"], m["role"]) for m in groups["memberships"]} == {
        ("Pat's group", "organiser"),
        ("Neighbours", "member"),
    }
    assert groups["party_staff_roles"] == [
        {"party": "Green Party", "region": "whole UK", "notify_clashes": False}
    ]
    assert [g["group"] for g in groups["groups_created"]] == ["Pat's group"]
    assert groups["link_requests_made"][0]["message"] == "Let's link"


def test_export_holds_nothing_about_other_people(person):
    stranger = UserFactory(email="stranger@example.org")
    group_member_add(group=Group.objects.get(name="Neighbours"), user=stranger)
    text = json.dumps(user_data_export(user=person))
    assert "stranger@example.org" not in text
    other_data = user_data_export(user=stranger)
    assert "pat@example.org" not in json.dumps(other_data)
    assert other_data["groups"]["party_staff_roles"] == []


def test_every_apps_personal_data_module_is_used(person, monkeypatch):
    calls = []
    fake = types.ModuleType("seats.personal_data")
    fake.export = lambda user: {"swaps": [user.email]}
    fake.erase = lambda user: calls.append(user.pk)
    monkeypatch.setitem(sys.modules, "seats.personal_data", fake)
    assert user_data_export(user=person)["seats"] == {"swaps": ["pat@example.org"]}
    pk = person.pk
    user_delete(user=person)
    assert calls == [pk]


def test_a_failing_erase_leaves_everything_in_place(person, monkeypatch):
    fake = types.ModuleType("seats.personal_data")

    def erase(user):
        raise RuntimeError("broken app")

    fake.erase = erase
    monkeypatch.setitem(sys.modules, "seats.personal_data", fake)
    with pytest.raises(RuntimeError):
        user_delete(user=person)
    assert User.objects.filter(pk=person.pk).exists()
    assert Membership.objects.filter(user=person).count() == 2


def test_delete_erases_the_person_and_keeps_their_groups(person):
    pk = person.pk
    group = Group.objects.get(name="Pat's group")
    user_delete(user=person)
    assert not User.objects.filter(pk=pk).exists()
    assert not EmailAddress.objects.filter(email="pat@example.org").exists()
    assert not Membership.objects.filter(user_id=pk).exists()
    assert not PartyStaff.objects.filter(user_id=pk).exists()
    group.refresh_from_db()
    assert group.created_by is None
    assert GroupLink.objects.get(from_group=group).requested_by is None


# --- Views -----------------------------------------------------------------------------


@pytest.mark.parametrize("url", URLS)
def test_anonymous_visitors_are_sent_to_sign_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    response = client.post(url, {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_data_page_shows_what_is_held(client, person):
    client.force_login(person)
    response = client.get("/accounts/data/")
    assert response.status_code == 200
    assert b"pat@example.org" in response.content
    assert b"Pat&#x27;s group" in response.content
    assert b"Download my data" in response.content
    assert "no-cache" in response["Cache-Control"]


def test_download_is_json_attachment_of_the_signed_in_user(client, person):
    UserFactory(email="someone.else@example.org")
    client.force_login(person)
    response = client.get("/accounts/data/export/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="alliance-my-data-')
    data = json.loads(response.content)
    assert data["account"]["email"] == "pat@example.org"
    assert "someone.else@example.org" not in response.content.decode()


def test_delete_page_warns_about_groups_left_without_organiser(client, person):
    client.force_login(person)
    response = client.get("/accounts/delete/")
    assert response.status_code == 200
    assert b"You are the only organiser of" in response.content
    assert b"Pat&#x27;s group" in response.content
    assert User.objects.filter(pk=person.pk).exists()  # a GET never deletes


def test_no_warning_when_someone_else_also_organises(client, person):
    group = Group.objects.get(name="Pat's group")
    group_member_add(group=group, user=UserFactory(), role=Role.ORGANISER)
    client.force_login(person)
    assert b"You are the only organiser" not in client.get("/accounts/delete/").content


@pytest.mark.parametrize(
    "data, error",
    [
        ({"password": "wrong-password", "confirm": "on"}, b"That is not your password."),
        ({"password": PASSWORD}, b"This field is required."),
        ({}, b"This field is required."),
    ],
)
def test_delete_needs_password_and_confirmation(client, person, data, error):
    client.force_login(person)
    response = client.post("/accounts/delete/", data)
    assert response.status_code == 200
    assert error in response.content
    assert User.objects.filter(pk=person.pk).exists()


def test_delete_with_confirmation_signs_out_and_forgets(client, person):
    pk = person.pk
    client.force_login(person)
    response = client.post("/accounts/delete/", {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert not User.objects.filter(pk=pk).exists()
    assert "_auth_user_id" not in client.session
    assert client.get("/accounts/data/").status_code == 302
    page = client.get("/")
    assert b"Your account and your personal data have been deleted." in page.content


def test_delete_refuses_without_csrf_token(person):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(person)
    response = client.post("/accounts/delete/", {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 403
    assert User.objects.filter(pk=person.pk).exists()


def test_privacy_notice_says_what_is_kept_and_for_how_long(client, db, settings):
    settings.PETITIONS_RETENTION_MONTHS = 18
    settings.PETITIONS_UNCONFIRMED_EXPIRY_HOURS = 48
    settings.PRIVACY_CONTACT_EMAIL = "privacy@alliance.example.org"
    response = client.get("/privacy/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "18 months after a petition closes" in text
    assert "deleted 48 hours after signing" in text
    assert "At most 14 days" in text
    assert 'href="mailto:privacy@alliance.example.org"' in text
    for anchor in ["accounts", "groups", "events", "petitions", "seats", "technical", "rights"]:
        assert f'id="{anchor}"' in text
    assert 'href="/accounts/data/"' in text and 'href="/accounts/delete/"' in text


@pytest.mark.django_db
def test_expired_sessions_are_deleted_by_the_retention_job(client, user):
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from alliance.tasks import sessions_clear_task

    client.force_login(user)
    live = Session.objects.get()
    Session.objects.create(
        session_key="x" * 32, session_data="", expire_date=timezone.now() - timedelta(days=1)
    )
    assert sessions_clear_task() == 1
    assert sessions_clear_task() == 0  # idempotent
    assert list(Session.objects.all()) == [live]


def test_the_account_menu_links_to_your_data(client, person):
    client.force_login(person)
    assert b'href="/accounts/data/">Your data</a>' in client.get("/").content
