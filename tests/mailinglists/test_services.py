"""Mailing lists: double opt-in with consent recorded, no list bombing, unsubscribe at once,
the send written to the outbox exactly once per recipient, batch by batch, the verified-group
limit, escaping and clean headers, counts, and the erase."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from mailinglists import services
from mailinglists.choices import Audience, ConsentSource, MailingStatus, SubscriptionStatus
from mailinglists.models import Mailing, MailingRecipient, Subscription
from outbox.models import OutboxEmail, OutboxStatus
from outbox.services import outbox_deliver
from tests.events.factories import EventFactory, RsvpFactory
from tests.factories import GroupFactory, UserFactory


def subscribe(group, email, **kwargs):
    kwargs.setdefault("name", "Sam Subscriber")
    kwargs.setdefault("source", ConsentSource.GROUP_PAGE)
    return services.list_subscribe(group=group, email=email, **kwargs)


def confirmed_subscribers(group, n):
    Subscription.objects.bulk_create(
        Subscription(
            group=group,
            email=f"sub{i}@example.org",
            name=f"Sub {i}",
            source=ConsentSource.GROUP_PAGE,
            status=SubscriptionStatus.CONFIRMED,
            confirmed_at=timezone.now(),
            token=f"t{group.pk}-{i}",
        )
        for i in range(n)
    )


@pytest.fixture
def group(db):
    return GroupFactory(name="Lewes for Europe", is_verified=True)


def test_subscribing_sends_one_confirmation_and_records_consent(
    group, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        subscription = subscribe(group, " Sam@Example.ORG ", source=ConsentSource.PETITION)
    assert subscription.email == "sam@example.org"
    assert subscription.status == SubscriptionStatus.PENDING
    assert subscription.source == ConsentSource.PETITION
    assert subscription.consent_at is not None and subscription.confirmed_at is None
    (email,) = OutboxEmail.objects.all()
    assert email.to_email == "sam@example.org"
    assert "Confirm: emails from Lewes for Europe" in email.subject
    assert f"/lists/email/confirm/{subscription.token}/" in email.body_text


def test_asking_again_the_same_day_sends_nothing_more(group):
    for _ in range(5):
        subscribe(group, "sam@example.org")
    assert OutboxEmail.objects.count() == 1
    assert Subscription.objects.count() == 1


def test_nobody_is_emailed_before_confirming(group):
    subscribe(group, "pending@example.org")
    OutboxEmail.objects.all().delete()
    confirmed_subscribers(group, 2)
    with transaction.atomic():
        mailing = services.mailing_create(
            group=group, author=None, subject="News", body="Hi", audience=Audience.LIST
        )
    services.mailing_send(mailing_id=mailing.pk)
    recipients = set(OutboxEmail.objects.values_list("to_email", flat=True))
    assert recipients == {"sub0@example.org", "sub1@example.org"}


def test_confirming_from_the_link(group):
    subscription = subscribe(group, "sam@example.org")
    confirmed = services.list_subscription_confirm(token=subscription.token)
    assert confirmed.status == SubscriptionStatus.CONFIRMED
    assert confirmed.confirmed_at is not None
    assert services.list_subscription_confirm(token="not-a-token") is None


def test_a_signed_in_person_with_the_address_verified_is_subscribed_at_once(group):
    user = UserFactory(email="member@example.org")
    subscription = subscribe(
        group, "member@example.org", source=ConsentSource.JOINED_GROUP, user=user
    )
    assert subscription.status == SubscriptionStatus.CONFIRMED
    assert subscription.user == user
    assert not OutboxEmail.objects.exists()
    # Someone else's address typed in by a signed-in user still needs the owner's confirmation.
    other = subscribe(group, "victim@example.org", user=user)
    assert other.status == SubscriptionStatus.PENDING


def test_an_old_confirmation_link_does_not_resubscribe(group):
    subscription = subscribe(group, "sam@example.org")
    services.list_subscription_confirm(token=subscription.token)
    services.list_unsubscribe(subscription=subscription)
    assert services.list_subscription_confirm(token=subscription.token) is None
    assert Subscription.objects.get().status == SubscriptionStatus.UNSUBSCRIBED


def test_unsubscribe_is_honoured_at_once(group):
    confirmed_subscribers(group, 3)
    with transaction.atomic():
        mailing = services.mailing_create(
            group=group, author=None, subject="News", body="Hi", audience=Audience.LIST
        )
    services.mailing_send(mailing_id=mailing.pk)
    leaving = Subscription.objects.get(email="sub1@example.org")
    assert services.list_unsubscribe(subscription=leaving, mailing_id=mailing.pk)
    # Its email not yet delivered is withdrawn; the others go.
    outbox_deliver()
    assert set(OutboxEmail.objects.values_list("to_email", flat=True)) == {
        "sub0@example.org",
        "sub2@example.org",
    }
    assert Mailing.objects.with_counts().get().unsubscribed_count == 1
    assert not services.list_unsubscribe(subscription=leaving)


def test_the_send_is_exactly_once_per_recipient_in_batches(group, settings):
    confirmed_subscribers(group, 23)
    with transaction.atomic():
        mailing = services.mailing_create(
            group=group, author=None, subject="News", body="Hi", audience=Audience.LIST
        )
    assert services.mailing_send(mailing_id=mailing.pk, batch_size=5) == 23
    mailing.refresh_from_db()
    assert mailing.status == MailingStatus.ENQUEUED
    assert mailing.recipient_count == 23
    # Run again (a redelivered task, beat): nothing more.
    Mailing.objects.filter(pk=mailing.pk).update(status=MailingStatus.QUEUED, cursor=0)
    assert services.mailing_send(mailing_id=mailing.pk, batch_size=5) == 0
    assert OutboxEmail.objects.count() == 23
    assert MailingRecipient.objects.count() == 23


def test_the_email_is_escaped_has_a_clean_subject_and_list_unsubscribe(group):
    confirmed_subscribers(group, 1)
    with pytest.raises(ValidationError):
        services.mailing_create(
            group=group, author=None, subject="Hi\r\nBcc: x@evil.test", body="b",
            audience=Audience.LIST,
        )  # fmt: skip
    with transaction.atomic():
        mailing = services.mailing_create(
            group=group,
            author=None,
            subject="Saturday's stall",
            body="<script>alert(1)</script> & bring leaflets",
            audience=Audience.LIST,
        )
    services.mailing_send(mailing_id=mailing.pk)
    email = OutboxEmail.objects.get()
    assert "<script>" not in email.body_html
    assert "&lt;script&gt;" in email.body_html
    assert "<script>alert(1)</script> & bring leaflets" in email.body_text
    assert email.subject == "[Alliance] Saturday's stall"
    url = email.headers["List-Unsubscribe"].strip("<>")
    assert re.match(r"^https?://[^/]+/lists/email/unsubscribe/[^/]+/$", url)
    assert url in email.body_text and email.headers["List-Unsubscribe-Post"]


def test_only_verified_groups_send_to_more_than_the_limit(db, settings):
    settings.MAILINGLISTS_UNVERIFIED_MAX_RECIPIENTS = 3
    small = GroupFactory(is_verified=False)
    confirmed_subscribers(small, 4)
    with pytest.raises(ValidationError, match="Only verified groups"):
        services.mailing_create(
            group=small, author=None, subject="s", body="b", audience=Audience.LIST
        )
    Subscription.objects.filter(email="sub3@example.org").delete()
    with transaction.atomic():
        assert services.mailing_create(
            group=small, author=None, subject="s", body="b", audience=Audience.LIST
        )


def test_an_event_email_goes_to_the_people_going(group):
    event = EventFactory(group=group, title="Stall")
    going = RsvpFactory(event=event, answer="going")
    RsvpFactory(event=event, answer="not_going")
    other_event = EventFactory(title="Another group's")
    with pytest.raises(ValidationError):
        services.mailing_create(
            group=group, author=None, subject="s", body="b",
            audience=Audience.EVENT, event=other_event,
        )  # fmt: skip
    with transaction.atomic():
        mailing = services.mailing_create(
            group=group, author=None, subject="Bring a flask", body="b",
            audience=Audience.EVENT, event=event,
        )  # fmt: skip
    services.mailing_send(mailing_id=mailing.pk)
    (email,) = OutboxEmail.objects.all()
    assert email.to_email == going.user.email
    assert "You are going to Stall" in email.body_text


def test_counts_of_sent_and_bounced(group):
    confirmed_subscribers(group, 3)
    with transaction.atomic():
        mailing = services.mailing_create(
            group=group, author=None, subject="s", body="b", audience=Audience.LIST
        )
    services.mailing_send(mailing_id=mailing.pk)
    outbox_deliver()
    OutboxEmail.objects.filter(to_email="sub2@example.org").update(status=OutboxStatus.FAILED)
    counted = Mailing.objects.with_counts().get()
    assert (counted.sent_count, counted.bounced_count) == (2, 1)


def test_erase_forgets_the_address_everywhere(group):
    other = GroupFactory()
    confirmed_subscribers(group, 1)
    subscribe(other, "sub0@example.org")
    with transaction.atomic():
        mailing = services.mailing_create(
            group=group, author=None, subject="s", body="b", audience=Audience.LIST
        )
    services.mailing_send(mailing_id=mailing.pk)
    assert services.list_subscriptions_erase(email="SUB0@example.org") == 2
    assert not Subscription.objects.exists()
    assert not MailingRecipient.objects.exists()
    assert not OutboxEmail.objects.filter(to_email="sub0@example.org").exists()


def test_beat_carries_on_a_mailing_whose_run_died(group):
    confirmed_subscribers(group, 4)
    with transaction.atomic():
        mailing = services.mailing_create(
            group=group, author=None, subject="s", body="b", audience=Audience.LIST
        )
    assert services.mailings_send_queued() == 4
    assert Mailing.objects.get(pk=mailing.pk).status == MailingStatus.ENQUEUED
