"""The mailing list through HTTP: the subscribe form on every group page, "keep me posted"
when joining, the links in the emails (no sign-in; a GET changes nothing; forged links 404),
the organisers' pages with constant queries, the sending rate limit, the personal data."""

import re

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from accounts.services import user_data_export, user_delete
from mailinglists import services
from mailinglists.choices import Audience, ConsentSource, SubscriptionStatus
from mailinglists.models import Mailing, Subscription
from outbox.models import OutboxEmail
from outbox.services import outbox_deliver
from tests.factories import GroupFactory, UserFactory


@pytest.fixture
def olive(db):
    return UserFactory(name="Olive Organiser")


@pytest.fixture
def group(olive):
    return GroupFactory(name="Lewes for Europe", slug="lewes", organiser=olive, is_verified=True)


def _link(body: str, kind: str) -> str:
    return re.search(rf"https?://[^/\s]+(/lists/email/{kind}/[^/\s]+/)", body).group(1)


def _confirmed(group, n, start=0):
    Subscription.objects.bulk_create(
        Subscription(
            group=group,
            email=f"s{i}@example.org",
            source=ConsentSource.GROUP_PAGE,
            status=SubscriptionStatus.CONFIRMED,
            confirmed_at=timezone.now(),
            token=f"v{group.pk}-{i}",
        )
        for i in range(start, start + n)
    )


def test_the_group_page_has_the_subscribe_form(client, group):
    page = client.get(group.get_absolute_url()).content.decode()
    assert 'action="/lists/lewes/subscribe/"' in page
    assert 'name="email"' in page


def test_subscribe_confirm_and_the_same_answer_for_any_address(client, group):
    response = client.post("/lists/lewes/subscribe/", {"email": "sam@example.org", "name": "Sam"})
    assert response.status_code == 302
    first = client.get(response["Location"]).content.decode()
    outbox_deliver()
    (message,) = mail.outbox
    link = _link(message.body, "confirm")
    assert client.get(link).status_code == 200  # a GET (a mail scanner) confirms nothing
    assert Subscription.objects.get().status == SubscriptionStatus.PENDING
    response = client.post(link)
    assert response.status_code == 302
    assert Subscription.objects.get().status == SubscriptionStatus.CONFIRMED
    # Subscribing a confirmed address again: the same words, no email.
    response = client.post("/lists/lewes/subscribe/", {"email": "sam@example.org"})
    again = client.get(response["Location"]).content.decode()
    assert "we have emailed it a link" in first and "we have emailed it a link" in again
    outbox_deliver()
    assert len(mail.outbox) == 1


def test_subscribing_is_rate_limited_per_address_of_the_sender(client, group, settings):
    settings.MAILINGLISTS_SUBSCRIBE_PER_IP_HOUR = 3
    for i in range(5):
        client.post("/lists/lewes/subscribe/", {"email": f"victim{i}@example.org"})
    assert Subscription.objects.count() == 3


def test_the_honeypot_subscribes_nobody(client, group):
    client.post("/lists/lewes/subscribe/", {"email": "bot@example.org", "website": "x"})
    assert not Subscription.objects.exists()


def test_joining_with_keep_me_posted_subscribes_and_without_does_not(client, group):
    page = client.get(group.get_absolute_url())
    user = UserFactory(email="joiner@example.org")
    client.force_login(user)
    page = client.get(group.get_absolute_url()).content.decode()
    assert (
        'name="keep_posted"' in page and "checked" not in page.split('name="keep_posted"')[1][:20]
    )
    client.post("/groups/lewes/join/", {})
    assert not Subscription.objects.exists()
    client.post("/groups/lewes/leave/", {})
    client.post("/groups/lewes/join/", {"keep_posted": "1"})
    subscription = Subscription.objects.get()
    assert subscription.email == "joiner@example.org"
    assert subscription.source == ConsentSource.JOINED_GROUP
    assert subscription.status == SubscriptionStatus.CONFIRMED  # a verified address


@pytest.mark.parametrize("ticked", [False, True])
def test_a_member_answering_an_event_is_offered_the_list_unticked(client, group, ticked):
    from tests.events.factories import EventFactory

    event = EventFactory(group=group, title="Lewes street stall")
    client.force_login(UserFactory(email="goer@example.org"))
    page = client.get(event.get_absolute_url()).content.decode()
    assert "Keep me posted by Lewes for Europe" in page
    assert "checked" not in page.split('name="keep_posted"')[1].split(">")[0]
    data = {"answer": "going", **({"keep_posted": "on"} if ticked else {})}
    assert client.post(f"/events/{event.pk}/rsvp/", data).status_code == 302
    assert event.rsvps.get().answer == "going"
    subscriptions = Subscription.objects.filter(group=group, email="goer@example.org")
    if ticked:
        subscription = subscriptions.get()
        assert subscription.source == ConsentSource.EVENT_RSVP
        assert subscription.status == SubscriptionStatus.CONFIRMED  # a verified address
    else:
        assert not subscriptions.exists()


def test_unsubscribe_and_forget_from_the_email_without_signing_in(client, group):
    _confirmed(group, 2)
    with transaction.atomic():
        services.mailing_create(
            group=group, author=None, subject="News", body="Hi", audience=Audience.LIST
        )
    services.mailing_send(mailing_id=Mailing.objects.get().pk)
    outbox_deliver()
    message = next(m for m in mail.outbox if m.to == ["s0@example.org"])
    link = _link(message.body, "unsubscribe")
    assert message.extra_headers["List-Unsubscribe"].endswith(f"{link}>")
    assert client.get(link).status_code == 200
    assert Subscription.objects.get(email="s0@example.org").status == SubscriptionStatus.CONFIRMED
    page = client.post(link).content.decode()
    assert "Unsubscribed" in page
    assert Subscription.objects.get(email="s0@example.org").status == (
        SubscriptionStatus.UNSUBSCRIBED
    )
    forget = link.replace("/unsubscribe/", "/forget/")
    assert client.get(forget).status_code == 405
    assert client.post(forget).status_code == 200
    assert not Subscription.objects.filter(email="s0@example.org").exists()
    assert not OutboxEmail.objects.filter(to_email="s0@example.org").exists()


@pytest.mark.parametrize("kind", ["confirm", "unsubscribe"])
def test_forged_links_are_404(client, group, kind):
    _confirmed(group, 1)
    token = services.unsubscribe_token(subscription_id=1, mailing_id=None)
    for bad in ["nope", token[:-2] + "xx"]:
        assert client.get(f"/lists/email/{kind}/{bad}/").status_code == 404
        assert client.post(f"/lists/email/{kind}/{bad}/").status_code == 404
    assert client.post(f"/lists/email/forget/{token[:-2]}xx/").status_code == 404
    assert Subscription.objects.get().status == SubscriptionStatus.CONFIRMED


def test_the_organiser_writes_an_email_and_sees_the_counts(client, group, olive):
    _confirmed(group, 3)
    client.force_login(olive)
    response = client.post(
        "/lists/lewes/new/",
        {"audience": "list", "subject": "Stall on Saturday", "body": "Come <b>along</b>"},
    )
    mailing = Mailing.objects.get()
    assert response["Location"] == f"/lists/lewes/mailings/{mailing.pk}/"
    services.mailing_send(mailing_id=mailing.pk)
    outbox_deliver()
    page = client.get(response["Location"]).content.decode()
    assert re.search(r"<dt>Sent</dt><dd>3</dd>", page)
    assert "Come &lt;b&gt;along&lt;/b&gt;" in page


def test_an_event_email_reaches_confirmed_guests_once_with_their_cancel_link(
    client, group, olive, settings
):
    """Members going and guests who confirmed and hold a place, each address once (also
    batch by batch, and sent twice); not unconfirmed or cancelled guests. A guest stops
    from their own link, without signing in, and the next email skips them."""
    from events import services as event_services
    from events.models import GuestRsvp
    from tests.events.factories import EventFactory, RsvpFactory

    settings.MAILINGLISTS_BATCH_SIZE = 1
    event = EventFactory(group=group, title="Lewes street stall")
    RsvpFactory(event=event, user=UserFactory(email="member@example.org"), answer="going")
    RsvpFactory(event=event, user=UserFactory(email="both@example.org"), answer="going")
    for name in ["gina", "both", "una", "cal"]:
        event_services.guest_rsvp_request(
            event=event, name=name.title(), email=f"{name}@example.org"
        )
    for guest in GuestRsvp.objects.exclude(email="una@example.org"):
        event_services.guest_rsvp_confirm(guest=guest)
    event_services.guest_rsvp_cancel(guest=GuestRsvp.objects.get(email="cal@example.org"))
    mail.outbox.clear()
    client.force_login(olive)

    def send(subject):
        client.post(
            "/lists/lewes/new/",
            {"audience": "event", "event": event.pk, "subject": subject, "body": "Bring a flask"},
        )
        mailing = Mailing.objects.get(subject=subject)
        services.mailing_send(mailing_id=mailing.pk)
        Mailing.objects.filter(pk=mailing.pk).update(status="queued", cursor=0, guest_cursor=0)
        services.mailing_send(mailing_id=mailing.pk)  # a second run writes nothing again
        outbox_deliver()
        return {m.to[0]: m for m in mail.outbox if m.subject.endswith(subject)}

    sent = send("Saturday")
    assert sorted(sent) == ["both@example.org", "gina@example.org", "member@example.org"]
    assert len([m for m in mail.outbox if m.subject.endswith("Saturday")]) == 3
    guest_email = sent["gina@example.org"]
    assert "Cancel your place" in guest_email.body
    assert "List-Unsubscribe" not in guest_email.extra_headers  # not a list: a place
    assert "Cancel your place" not in sent["member@example.org"].body
    manage = re.search(r"https?://[^/\s]+(/events/guest/\S+/)", guest_email.body).group(1)
    client.logout()
    page = client.get(manage).content.decode()
    assert "Lewes street stall" in page
    assert GuestRsvp.objects.get(email="gina@example.org").answer == "going"  # a GET is safe
    client.post(manage, {"action": "cancel"})
    assert GuestRsvp.objects.get(email="gina@example.org").answer == "not_going"

    client.force_login(olive)
    assert sorted(send("Sunday")) == ["both@example.org", "member@example.org"]


def test_a_subject_on_two_lines_is_refused(client, group, olive):
    _confirmed(group, 1)
    client.force_login(olive)
    response = client.post(
        "/lists/lewes/new/", {"audience": "list", "subject": "A\r\nBcc: x@y.z", "body": "b"}
    )
    assert response.status_code == 200
    assert not Mailing.objects.exists()


def test_sending_is_rate_limited_per_group(client, group, olive, settings):
    settings.MAILINGLISTS_SENDS_PER_DAY = 2
    _confirmed(group, 1)
    client.force_login(olive)
    for i in range(4):
        client.post("/lists/lewes/new/", {"audience": "list", "subject": f"S{i}", "body": "b"})
    assert Mailing.objects.count() == 2


def test_an_unverified_group_is_told_the_limit(client, olive, settings):
    settings.MAILINGLISTS_UNVERIFIED_MAX_RECIPIENTS = 2
    group = GroupFactory(slug="small", organiser=olive, is_verified=False)
    _confirmed(group, 3)
    client.force_login(olive)
    response = client.post("/lists/small/new/", {"audience": "list", "subject": "S", "body": "b"})
    assert "Only verified groups can email more than 2 people" in response.content.decode()
    assert not Mailing.objects.exists()


@pytest.mark.parametrize("n", [1, 6])
def test_the_list_page_has_constant_queries(client, group, olive, n, django_assert_num_queries):
    _confirmed(group, 3)
    for i in range(n):
        with transaction.atomic():
            mailing = services.mailing_create(
                group=group, author=olive, subject=f"S{i}", body="b", audience=Audience.LIST
            )
        services.mailing_send(mailing_id=mailing.pk)
    client.force_login(olive)
    client.get("/lists/lewes/")  # warm the session
    with django_assert_num_queries(6):
        response = client.get("/lists/lewes/")
    assert response.content.decode().count("/lists/lewes/mailings/") == n


def test_subscriptions_are_in_the_export_and_erased_with_the_account(group):
    pat = UserFactory(email="pat@example.org")
    services.list_subscribe(
        group=group, email="PAT@example.org", name="Pat", source=ConsentSource.PETITION
    )
    exported = user_data_export(user=pat)["mailinglists"]
    (subscription,) = exported["subscriptions"]
    assert subscription["email"] == "pat@example.org"
    assert subscription["source"] == ConsentSource.PETITION
    user_delete(user=pat)
    assert not Subscription.objects.exists()
    assert not OutboxEmail.objects.filter(to_email="pat@example.org").exists()
