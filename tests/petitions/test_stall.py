"""Stall mode: on one device, for one petition, for a set number of hours, signatures are not
paused by the per-IP limit; each still needs email confirmation; the form is the public one
even with the organiser signed in; and the cookie cannot be made, moved or stretched."""

from datetime import timedelta

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from petitions.models import PetitionStatus, Signature, SignatureStatus
from petitions.stall import SALT
from tests.conftest import _cache_clear_prefix
from tests.factories import GroupFactory, MembershipFactory, UserFactory
from tests.petitions.factories import PetitionFactory

FORM = {"name": "Stall Signer", "postcode": "BS1 4DJ", "consent_to_contact": "on"}


def _sign(client, petition, n: int):
    return client.post(
        reverse("petitions:sign", args=[petition.slug]), {**FORM, "email": f"s{n}@example.org"}
    )


def _stall_on(client, petition, hours: int = 3):
    return client.post(
        reverse("petitions:stall", args=[petition.slug]), {"action": "on", "hours": hours}
    )


@pytest.fixture
def limited(settings):
    settings.PETITIONS_SIGN_LIMIT_PER_IP = 2


def test_a_stall_device_is_not_paused_by_the_per_ip_limit(
    client, petition, organiser, limited, mailoutbox
):
    client.force_login(organiser)
    assert _stall_on(client, petition).status_code == 302
    page = client.get(petition.get_absolute_url()).content.decode()
    assert "Stall mode on this device until" in page
    assert "Sign in one click" not in page  # the organiser is signed in: still the public form
    assert "The organisers may email me about this campaign" in page  # the list checkbox
    codes = [_sign(client, petition, n).status_code for n in range(6)]
    assert codes == [302] * 6
    signatures = Signature.objects.filter(petition=petition)
    assert signatures.count() == 6
    assert {s.status for s in signatures} == {SignatureStatus.PENDING}  # confirm by email
    assert {s.user_id for s in signatures} == {None}
    assert all(s.consent_to_contact for s in signatures)


def test_without_stall_mode_the_same_network_is_paused(client, petition, limited):
    other = PetitionFactory(group=petition.group)
    organiser = UserFactory()
    MembershipFactory(user=organiser, group=petition.group, role="organiser")
    client.force_login(organiser)
    _stall_on(client, other)  # on for another petition only
    client.logout()
    codes = [_sign(client, petition, n).status_code for n in range(3)]
    assert codes == [302, 302, 429]


def test_switching_off_ends_it_on_this_device(client, petition, organiser, limited):
    client.force_login(organiser)
    _stall_on(client, petition)
    response = client.post(reverse("petitions:stall", args=[petition.slug]), {"action": "off"})
    assert response.status_code == 302
    assert [_sign(client, petition, n).status_code for n in range(3)] == [302, 302, 429]


def test_a_made_up_stretched_or_moved_cookie_does_nothing(client, petition, limited):
    other = PetitionFactory(group=petition.group)
    name = f"stall-{petition.pk}"
    later = int((timezone.now() + timedelta(hours=2)).timestamp())
    past = int((timezone.now() - timedelta(minutes=1)).timestamp())
    forged = [
        f"{petition.pk}:{later}",  # not signed
        signing.get_cookie_signer(salt=name + "other").sign(f"{petition.pk}:{later}"),
        signing.get_cookie_signer(salt=name + SALT).sign(f"{petition.pk}:{past}"),  # over
        signing.get_cookie_signer(salt=name + SALT).sign(f"{other.pk}:{later}"),  # moved
    ]
    for n, value in enumerate(forged):
        client.cookies[name] = value
        codes = [_sign(client, petition, 10 * n + k).status_code for k in range(3)]
        assert codes[-1] == 429, value
        _cache_clear_prefix()  # the next cookie starts from a fresh per-IP count


@pytest.mark.parametrize("hours", ["0", "13", "x"])
def test_stall_mode_lasts_one_to_twelve_hours(client, petition, organiser, hours):
    client.force_login(organiser)
    response = _stall_on(client, petition, hours=hours)
    assert f"stall-{petition.pk}" not in response.cookies


def test_a_closed_petition_cannot_go_into_stall_mode(client, organiser, group):
    closed = PetitionFactory(group=group, status=PetitionStatus.CLOSED)
    client.force_login(organiser)
    response = _stall_on(client, closed)
    assert f"stall-{closed.pk}" not in response.cookies


def test_only_the_petitions_organisers_switch_it_on(client, petition):
    url = reverse("petitions:stall", args=[petition.slug])
    response = client.post(url, {"action": "on", "hours": 3})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    member = UserFactory()
    MembershipFactory(user=member, group=petition.group)
    other_organiser = UserFactory()
    MembershipFactory(user=other_organiser, group=GroupFactory(), role="organiser")
    for who in (member, other_organiser, UserFactory()):
        client.force_login(who)
        for method in ("get", "post"):
            response = getattr(client, method)(url, {"action": "on", "hours": 3})
            assert response.status_code == 403
            assert f"stall-{petition.pk}" not in response.cookies
