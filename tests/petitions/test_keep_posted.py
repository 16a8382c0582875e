"""Signing a petition offers its group's mailing list: "Keep me posted by <group>", unticked by
default, on the public form, the one-click form and in stall mode. Consent is recorded with
its time and form; the list takes the address only when the signature is confirmed from its
email (that click proves the address: no second email), and nothing from the list reaches
a signature that was never confirmed."""

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse

from mailinglists.choices import Audience, ConsentSource, SubscriptionStatus
from mailinglists.models import Subscription
from mailinglists.services import list_subscribe, mailing_create, mailing_send
from outbox.models import OutboxEmail
from petitions.models import Signature
from tests.factories import UserFactory
from tests.petitions.conftest import link_from

pytestmark = pytest.mark.django_db

FORM = {"name": "Jo Bloggs", "email": "jo@example.org", "postcode": "SW1A 1AA"}
BOX = 'name="keep_posted"'


def _sign(client, petition, capture, **changes):
    with capture(execute=True):
        response = client.post(reverse("petitions:sign", args=[petition.slug]), {**FORM, **changes})
    assert response.status_code == 302, response.content.decode()[:500]
    return Signature.objects.get(petition=petition, email="jo@example.org")


def _confirm(client):
    (message,) = [m for m in mail.outbox if "confirm your signature" in m.subject]
    return client.post(link_from(message, "confirm"))


def _list_confirmations() -> int:
    return OutboxEmail.objects.filter(key__startswith="list-confirm:").count()


def _box_of(page: str) -> str:
    return page.split(BOX)[1].split(">")[0]


def test_the_form_offers_the_group_list_unticked(client, petition):
    page = client.get(petition.get_absolute_url()).content.decode()
    assert f"Keep me posted by {petition.group.name}" in page
    assert "checked" not in _box_of(page)


def test_ticked_the_list_takes_the_address_when_the_signature_is_confirmed(
    client, petition, eager_tasks, django_capture_on_commit_callbacks
):
    signature = _sign(client, petition, django_capture_on_commit_callbacks, keep_posted="on")
    assert signature.list_consent_at is not None
    assert signature.list_consent_source == f"petition:{petition.slug}"
    assert not Subscription.objects.exists()  # not before the address is proven
    assert _confirm(client).status_code == 200
    subscription = Subscription.objects.get()
    assert (subscription.group, subscription.email) == (petition.group, "jo@example.org")
    assert subscription.status == SubscriptionStatus.CONFIRMED
    assert subscription.source == ConsentSource.PETITION
    assert subscription.consent_at == signature.list_consent_at  # when the box was ticked
    assert _list_confirmations() == 0  # the signature's email proved it: no second email
    assert len(mail.outbox) == 1


def test_unticked_confirming_subscribes_nobody(
    client, petition, eager_tasks, django_capture_on_commit_callbacks
):
    signature = _sign(client, petition, django_capture_on_commit_callbacks)
    assert (signature.list_consent_at, signature.list_consent_source) == (None, "")
    _confirm(client)
    assert Signature.objects.get().status == "confirmed"
    assert not Subscription.objects.exists()
    assert _list_confirmations() == 0


def test_an_unconfirmed_signature_gets_nothing_from_the_list(
    client, petition, organiser, eager_tasks, django_capture_on_commit_callbacks
):
    _sign(client, petition, django_capture_on_commit_callbacks, keep_posted="on")
    list_subscribe(
        group=petition.group,
        email="kim@example.org",
        name="Kim",
        source=ConsentSource.GROUP_PAGE,
        address_proven=True,
    )
    with transaction.atomic():
        mailing = mailing_create(
            group=petition.group,
            author=organiser,
            subject="News",
            body="Hi",
            audience=Audience.LIST,
        )
    mailing_send(mailing_id=mailing.pk)
    assert list(OutboxEmail.objects.values_list("to_email", flat=True)) == ["kim@example.org"]
    assert _list_confirmations() == 0


def test_confirming_twice_does_not_put_back_an_address_that_left(
    client, petition, eager_tasks, django_capture_on_commit_callbacks
):
    from mailinglists.services import list_unsubscribe

    _sign(client, petition, django_capture_on_commit_callbacks, keep_posted="on")
    _confirm(client)
    list_unsubscribe(subscription=Subscription.objects.get())
    _confirm(client)
    assert Subscription.objects.get().status == SubscriptionStatus.UNSUBSCRIBED


def test_stall_mode_offers_it_and_records_the_stall(
    client, petition, organiser, eager_tasks, django_capture_on_commit_callbacks
):
    client.force_login(organiser)
    client.post(reverse("petitions:stall", args=[petition.slug]), {"action": "on", "hours": 2})
    page = client.get(petition.get_absolute_url()).content.decode()
    assert "Stall mode on this device until" in page
    assert f"Keep me posted by {petition.group.name}" in page and "checked" not in _box_of(page)
    signature = _sign(client, petition, django_capture_on_commit_callbacks, keep_posted="on")
    assert signature.user_id is None  # the public form, not the organiser's one click
    assert signature.list_consent_source == f"stall:{petition.slug}"
    assert not Subscription.objects.exists()
    _confirm(client)
    assert Subscription.objects.get().status == SubscriptionStatus.CONFIRMED


@pytest.mark.parametrize("ticked, subscribed", [(True, True), (False, False)])
def test_one_click_signers_join_at_once_only_if_they_tick_it(
    client, petition, ticked, subscribed, django_capture_on_commit_callbacks
):
    user = UserFactory(name="Val Verified", email="val@example.org")
    client.force_login(user)
    page = client.get(petition.get_absolute_url()).content.decode()
    assert "Sign in one click" in page and "checked" not in _box_of(page)
    data = {"postcode": "SW1A 1AA", **({"keep_posted": "on"} if ticked else {})}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("petitions:sign", args=[petition.slug]), data)
    assert Signature.objects.get().status == "confirmed"
    subscriptions = Subscription.objects.filter(email="val@example.org", group=petition.group)
    assert subscriptions.filter(status=SubscriptionStatus.CONFIRMED).exists() is subscribed
    assert subscriptions.exists() is subscribed
    assert _list_confirmations() == 0
