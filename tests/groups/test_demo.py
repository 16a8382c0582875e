"""`manage.py demo_load`: a labelled sample, loaded once, with logins printed."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from groups import demo
from groups.models import Group, GroupKind, GroupLink, LinkStatus, Membership, Party, PartyStaff
from seats.models import Constituency

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (User, Party, Group, Membership, PartyStaff, GroupLink, Constituency)
    }


def test_demo_load_prints_logins_and_is_idempotent():
    out = StringIO()
    call_command("demo_load", stdout=out)
    output = out.getvalue()
    assert f"password: {demo.DEMO_PASSWORD}" in output
    for login in ["admin", "organiser", "libdem.staff", "supporter"]:
        assert f"{login}@{demo.DEMO_DOMAIN}" in output
    first = counts()
    again = StringIO()
    call_command("demo_load", stdout=again)
    assert "already loaded" in again.getvalue()
    assert counts() == first


def test_groups_sample_is_idempotent_even_when_forced():
    demo.load()
    first = counts()
    demo.load()
    assert counts() == first


def test_sample_content():
    demo.load()
    for kind in [GroupKind.PARTY_BRANCH, GroupKind.PRO_EU, GroupKind.PROGRESSIVE_ALLIANCE]:
        assert 10 <= Group.objects.filter(kind=kind).count() <= 14  # "about a dozen" of each
    assert Group.objects.values("region").distinct().count() >= 6
    assert set(Party.objects.values_list("short_name", flat=True)) >= {
        "Con", "Lab", "LD", "Green", "SNP", "PC", "RUK", "WEP", "Other"
    }  # fmt: skip
    assert all(g.description.startswith("Sample data") for g in Group.objects.all())
    assert all(c.is_sample for c in Constituency.objects.all())
    assert PartyStaff.objects.filter(
        user__email=f"libdem.staff@{demo.DEMO_DOMAIN}", party__short_name="LD"
    ).exists()
    assert GroupLink.objects.filter(status=LinkStatus.ACCEPTED).count() == len(demo.PLACES)
    assert User.objects.get(email=f"admin@{demo.DEMO_DOMAIN}").is_superuser
    # Every demo login can sign in with the printed password.
    for user in User.objects.filter(email__endswith=demo.DEMO_DOMAIN):
        assert user.check_password(demo.DEMO_PASSWORD)
    assert Membership.objects.filter(user__email=f"supporter@{demo.DEMO_DOMAIN}").count() == (
        Group.objects.count()
    )
