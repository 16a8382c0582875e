"""Registrations in the account's export and erase; the privacy notice's promise about the
roll is scheduled."""

import pytest
from django.conf import settings

from accounts.services import user_data_export, user_delete
from primaries.models import PrimaryHistory, Voter
from tests.factories import UserFactory
from tests.primaries.conftest import register_and_confirm, set_up

pytestmark = pytest.mark.django_db


def test_registrations_are_exported_and_erased_with_the_account(pw, lookup, travel):
    primary = set_up(pw)
    travel(pw.at("registration"))
    pat = UserFactory(email="pat.person@gmail.com")
    register_and_confirm(primary, "Pat.Person+primary@gmail.com")  # registered signed out
    register_and_confirm(primary, "someone.else@example.org")
    data = user_data_export(user=pat)["primaries"]
    [registration] = data["registrations"]
    assert registration["email"] == "Pat.Person+primary@gmail.com"
    assert registration["postcode"] == "PR1 1AA"
    assert registration["constituency"] == "Primaryton"
    staff_data = user_data_export(user=pw.staff[0])["primaries"]
    assert {a["party"] for a in staff_data["rules_accepted"]} == {"Labour"}
    assert staff_data["primary_actions"]

    user_delete(user=pat)
    assert primary.roll.count() == 2  # the roll's counts stay right
    assert not Voter.objects.filter(email__icontains="pat").exists()
    assert not Voter.objects.filter(email_normalised__icontains="pat").exists()
    assert (
        not Voter.objects.filter(postcode="PR1 1AA", email="")
        .exclude(email_normalised__startswith="erased-")
        .exists()
    )
    assert Voter.objects.filter(email="someone.else@example.org").exists()

    user_delete(user=pw.staff[0])
    assert PrimaryHistory.objects.filter(primary=primary, actor__isnull=True).exists()


def test_the_notice_promises_the_roll_is_deleted_and_a_job_does_it(client, db):
    text = client.get("/privacy/").content.decode()
    assert f"deleted {settings.PRIMARIES_ROLL_RETENTION_DAYS} days after the result" in text
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "primaries.tasks.primaries_rolls_delete_task" in scheduled
    assert "primaries.tasks.primaries_count_due_task" in scheduled
