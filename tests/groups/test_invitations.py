"""Organiser invitations: nobody becomes an organiser without accepting, signed in with the
invited address verified; the invite form answers the same whether or not the address has an
account; the email goes once, after commit; the link page changes nothing by itself."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from groups import services
from groups.models import InvitationStatus, Membership, OrganiserInvitation, Role
from groups.views import INVITES_PER_HOUR
from tests.factories import GroupFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def invite(client, group, email, **extra):
    return client.post(reverse("groups:organisers", args=[group.slug]), {"email": email}, **extra)


def run_queued_sends() -> None:
    """What the worker does with the queued tasks (the worker itself: see the last test)."""
    for pk in OrganiserInvitation.objects.filter(sent_at__isnull=True).values_list("pk", flat=True):
        services.organiser_invitation_send(invitation_id=pk)


def link_of(message) -> str:
    """The invitation path in an email's text."""
    for word in message.body.split():
        if "/groups/invitations/" in word:
            return "/" + word.split("://", 1)[1].split("/", 1)[1]
    raise AssertionError("no invitation link in the email")


@pytest.fixture
def invitee(db):
    return UserFactory(email="invitee@example.org", name="Ivy Invitee")


# --- The regression: no organiser without consent -----------------------------------------


def test_inviting_a_registered_person_does_not_make_them_an_organiser(
    client, organiser, group, invitee, django_capture_on_commit_callbacks
):
    client.force_login(organiser)
    with django_capture_on_commit_callbacks() as callbacks:
        response = invite(client, group, "Invitee@Example.org ", follow=True)
    assert response.status_code == 200
    assert len(callbacks) == 1  # the email is queued after commit
    run_queued_sends()
    assert not Membership.objects.filter(user=invitee, group=group).exists()
    invitation = OrganiserInvitation.objects.get()
    assert invitation.status == InvitationStatus.PENDING
    assert invitation.invited_by == organiser
    assert timezone.now() + timedelta(days=13) < invitation.expires_at
    assert invitation.expires_at < timezone.now() + timedelta(days=15)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["Invitee@Example.org"]
    # The invitee accepts from the link, with a POST.
    client.force_login(invitee)
    path = link_of(mail.outbox[0])
    page = client.get(path)
    assert page.status_code == 200 and "Accept and become an organiser" in page.content.decode()
    assert not Membership.objects.filter(user=invitee, group=group).exists()  # GET changes nothing
    response = client.post(reverse("groups:invitation_accept", args=[invitation.token]))
    assert response.status_code == 302
    assert Membership.objects.get(user=invitee, group=group).role == Role.ORGANISER
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED and invitation.accepted_by == invitee
    # The link is spent.
    assert client.get(path).status_code == 404
    assert client.post(
        reverse("groups:invitation_accept", args=[invitation.token])
    ).status_code == (404)


def test_the_old_direct_add_is_gone():
    assert not hasattr(services, "group_organiser_add")


# --- No account enumeration ---------------------------------------------------------------


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(
    client, organiser, group, invitee
):
    client.force_login(organiser)
    known = invite(client, group, invitee.email)
    known_page = client.get(known["Location"]).content.decode()
    unknown = invite(client, group, "nobody-here@example.org")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert "If invitee@example.org can receive email, we have sent an invitation there." in (
        known_page
    )
    unknown_page = client.get(unknown["Location"])
    text = unknown_page.content.decode()
    assert "If nobody-here@example.org can receive email, we have sent an invitation there." in (
        text
    )
    assert "Nobody has an Alliance account" not in text
    # Both are listed alike, both emailed.
    run_queued_sends()
    assert {m.to[0] for m in mail.outbox} == {invitee.email, "nobody-here@example.org"}


def test_the_invite_form_does_no_user_lookup(
    client, organiser, group, invitee, django_assert_num_queries
):
    """The same queries, in number, for a known and an unknown address: nothing to time."""
    client.force_login(organiser)
    invite(client, group, "warm-up@example.org")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as known:
        invite(client, group, invitee.email)
    with CaptureQueriesContext(connection) as unknown:
        invite(client, group, "nobody-here@example.org")
    assert len(known.captured_queries) == len(unknown.captured_queries)
    assert not any("accounts_user" in q["sql"] and "invitee" in q["sql"] for q in known)


def test_the_invite_form_is_rate_limited(client, organiser, group):
    client.force_login(organiser)
    for n in range(INVITES_PER_HOUR):
        assert invite(client, group, f"person{n}@example.org").status_code == 302
    response = invite(client, group, "one-too-many@example.org")
    assert response.status_code == 200
    page = response.content.decode()
    assert "You have sent several invitations recently" in page
    assert 'value="one-too-many@example.org"' in page  # the input is kept
    assert OrganiserInvitation.objects.count() == INVITES_PER_HOUR


def test_inviting_again_while_open_sends_no_second_email(
    client, organiser, group, django_capture_on_commit_callbacks
):
    client.force_login(organiser)
    with django_capture_on_commit_callbacks() as callbacks:
        invite(client, group, "twice@example.org")
        invite(client, group, "TWICE@example.org")
    assert len(callbacks) == 1
    run_queued_sends()
    assert OrganiserInvitation.objects.count() == 1
    assert len(mail.outbox) == 1


def test_an_expired_invitation_can_be_sent_again(organiser, group):
    first = services.organiser_invitation_create(
        group=group, email="late@example.org", invited_by=organiser
    )
    OrganiserInvitation.objects.filter(pk=first.pk).update(expires_at=timezone.now())
    second = services.organiser_invitation_create(
        group=group, email="late@example.org", invited_by=organiser
    )
    assert second.pk != first.pk
    first.refresh_from_db()
    assert first.status == InvitationStatus.EXPIRED


# --- Sending exactly once --------------------------------------------------------------


def test_the_email_is_sent_once_however_often_the_task_runs(organiser, group):
    invitation = services.organiser_invitation_create(
        group=group, email="once@example.org", invited_by=organiser
    )
    assert services.organiser_invitation_send(invitation_id=invitation.pk) is True
    assert services.organiser_invitation_send(invitation_id=invitation.pk) is False
    assert len(mail.outbox) == 1
    invitation.refresh_from_db()
    assert invitation.sent_at is not None


def test_a_revoked_invitation_is_never_sent(organiser, group):
    invitation = services.organiser_invitation_create(
        group=group, email="gone@example.org", invited_by=organiser
    )
    services.organiser_invitation_close(invitation=invitation, status=InvitationStatus.REVOKED)
    assert services.organiser_invitation_send(invitation_id=invitation.pk) is False
    assert mail.outbox == []


def test_hostile_names_cannot_add_headers_or_html(group):
    inviter = UserFactory(name="Eve <b>bold</b>\r\nBcc: victim@example.net")
    group.name = "Evil <script>x</script>\r\nBcc: other@example.net"
    group.save()
    invitation = services.organiser_invitation_create(
        group=group, email="target@example.org", invited_by=inviter
    )
    services.organiser_invitation_send(invitation_id=invitation.pk)
    message = mail.outbox[0]
    assert "\n" not in message.subject and "\r" not in message.subject
    assert message.bcc == [] and message.to == ["target@example.org"]
    html = message.alternatives[0][0]
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>bold</b>" not in html


@pytest.mark.worker
@pytest.mark.slow
def test_the_email_goes_once_on_a_real_worker(
    client, celery_worker_factory, smtp_sink, transactional_db
):
    organiser = UserFactory()
    group = GroupFactory(organiser=organiser)
    worker = celery_worker_factory(
        {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_sink.port),
        }
    )
    client.force_login(organiser)
    assert invite(client, group, "worker@example.org").status_code == 302
    messages = smtp_sink.wait_for(1, timeout=30)
    assert messages[0]["to"] == ["worker@example.org"]
    email = messages[0]["message"]
    assert "Invitation to organise" in email["Subject"]
    assert {part.get_content_type() for part in email.walk()} >= {"text/plain", "text/html"}
    # A redelivered task sends nothing more.
    from groups.tasks import organiser_invitation_send_task

    invitation = OrganiserInvitation.objects.get()
    organiser_invitation_send_task.delay(invitation.pk)
    organiser_invitation_send_task.delay(invitation.pk)
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and worker.output().count("succeeded") < 3:
        time.sleep(0.1)
    time.sleep(0.5)
    assert len(smtp_sink.messages) == 1


# --- Who may accept --------------------------------------------------------------------


@pytest.fixture
def invitation(organiser, group):
    return services.organiser_invitation_create(
        group=group, email="invitee@example.org", invited_by=organiser
    )


def test_someone_else_signed_in_cannot_accept(client, invitation, group):
    stranger = UserFactory(email="stranger@example.org")
    client.force_login(stranger)
    page = client.get(invitation.get_absolute_url())
    assert page.status_code == 403
    assert "invitee@example.org" not in page.content.decode()
    response = client.post(reverse("groups:invitation_accept", args=[invitation.token]))
    assert response.status_code == 403
    assert not Membership.objects.filter(user=stranger, group=group).exists()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


def test_the_invited_address_must_be_verified(client, invitation, group):
    unverified = UserFactory(email="invitee@example.org", verified=False)
    client.force_login(unverified)
    assert client.get(invitation.get_absolute_url()).status_code == 403
    client.post(reverse("groups:invitation_accept", args=[invitation.token]))
    assert not Membership.objects.filter(user=unverified, group=group).exists()
    # Once they confirm the address, they can.
    EmailAddress.objects.create(user=unverified, email="invitee@example.org", verified=True)
    client.post(reverse("groups:invitation_accept", args=[invitation.token]))
    assert Membership.objects.get(user=unverified, group=group).role == Role.ORGANISER


def test_a_verified_second_address_counts(client, invitation, group):
    person = UserFactory(email="main@example.org")
    EmailAddress.objects.create(user=person, email="Invitee@example.org", verified=True)
    client.force_login(person)
    client.post(reverse("groups:invitation_accept", args=[invitation.token]))
    assert Membership.objects.get(user=person, group=group).role == Role.ORGANISER


def test_someone_without_an_account_is_asked_to_sign_up_then_accepts(client, invitation, group):
    page = client.get(invitation.get_absolute_url())
    assert page.status_code == 200
    text = page.content.decode()
    assert "create an account" in text and "invitee@example.org" not in text
    assert f"next={invitation.get_absolute_url()}" in text.replace("%2F", "/")
    # Signed out, accepting goes to sign in and changes nothing.
    response = client.post(reverse("groups:invitation_accept", args=[invitation.token]))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    newcomer = UserFactory(email="invitee@example.org")  # they sign up and confirm
    client.force_login(newcomer)
    client.post(reverse("groups:invitation_accept", args=[invitation.token]))
    assert Membership.objects.get(user=newcomer, group=group).role == Role.ORGANISER


def test_an_existing_member_is_promoted(client, invitation, group, invitee):
    MembershipFactory(user=invitee, group=group)
    client.force_login(invitee)
    client.post(reverse("groups:invitation_accept", args=[invitation.token]))
    assert Membership.objects.get(user=invitee, group=group).role == Role.ORGANISER


def test_accepting_needs_a_post(client, invitation, invitee):
    client.force_login(invitee)
    assert (
        client.get(reverse("groups:invitation_accept", args=[invitation.token])).status_code == 405
    )
    assert not Membership.objects.filter(user=invitee).exists()


def test_expired_revoked_and_made_up_links_are_404(client, invitation, invitee, organiser, group):
    client.force_login(invitee)
    assert client.get("/groups/invitations/made-up-token/").status_code == 404
    OrganiserInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    assert client.get(invitation.get_absolute_url()).status_code == 404
    assert client.post(
        reverse("groups:invitation_accept", args=[invitation.token])
    ).status_code == (404)
    assert not Membership.objects.filter(user=invitee).exists()

    fresh = services.organiser_invitation_create(
        group=group, email=invitee.email, invited_by=organiser
    )
    client.force_login(organiser)
    client.post(reverse("groups:invitation_revoke", args=[group.slug, fresh.pk]))
    fresh.refresh_from_db()
    assert fresh.status == InvitationStatus.REVOKED
    client.force_login(invitee)
    assert client.post(reverse("groups:invitation_accept", args=[fresh.token])).status_code == 404
    assert not Membership.objects.filter(user=invitee).exists()


def test_the_invitee_can_decline_without_signing_in(client, invitation, group):
    response = client.post(reverse("groups:invitation_decline", args=[invitation.token]))
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.DECLINED
    assert client.get(invitation.get_absolute_url()).status_code == 404


def test_organisers_see_pending_invitations_and_revoke_them(client, organiser, invitation, group):
    client.force_login(organiser)
    page = client.get(reverse("groups:organisers", args=[group.slug])).content.decode()
    assert "invitee@example.org" in page and "Revoke" in page
    response = client.post(
        reverse("groups:invitation_revoke", args=[group.slug, invitation.pk]), follow=True
    )
    page = response.content.decode()
    assert "The invitation to invitee@example.org is revoked." in page
    assert "Revoke</button>" not in page


def test_an_invitation_of_another_group_cannot_be_revoked_here(client, invitation):
    other_organiser = UserFactory()
    other = GroupFactory(organiser=other_organiser)
    client.force_login(other_organiser)
    response = client.post(reverse("groups:invitation_revoke", args=[other.slug, invitation.pk]))
    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


def test_the_organiser_page_keeps_a_constant_query_count(
    client, organiser, group, django_assert_num_queries
):
    client.force_login(organiser)
    url = reverse("groups:organisers", args=[group.slug])

    def add(n):
        for _ in range(n):
            inviter = UserFactory()
            MembershipFactory(group=group, user=inviter, role=Role.ORGANISER)
            services.organiser_invitation_create(
                group=group, email=f"{inviter.pk}@example.org", invited_by=inviter
            )
            services.group_join(group=group, user=UserFactory())

    add(2)
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(url)
    add(8)
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(url)


# --- Personal data ---------------------------------------------------------------------


def test_invitations_are_in_the_export_and_erased(invitation, invitee, organiser, group):
    from accounts.services import user_data_export, user_delete

    received = user_data_export(user=invitee)["groups"]["organiser_invitations_received"]
    assert [(row["group"], row["email"]) for row in received] == [
        (group.name, "invitee@example.org")
    ]
    sent = user_data_export(user=organiser)["groups"]["organiser_invitations_sent"]
    assert [row["email"] for row in sent] == ["invitee@example.org"]
    user_delete(user=invitee)
    assert not OrganiserInvitation.objects.filter(email__iexact="invitee@example.org").exists()


def test_erasing_the_inviter_keeps_the_invitation_without_them(invitation, organiser, group):
    from accounts.services import user_delete

    MembershipFactory(group=group, role=Role.ORGANISER)  # someone else stays in charge
    user_delete(user=organiser)
    invitation.refresh_from_db()
    assert invitation.invited_by is None


# --- Housekeeping (beat) ------------------------------------------------------------------


def test_housekeeping_sends_a_lost_invitation_once(organiser, group):
    invitation = services.organiser_invitation_create(
        group=group, email="lost@example.org", invited_by=organiser
    )  # its task never ran (the test transaction never commits)
    assert services.organiser_invitations_housekeep() == (0, 0)  # still within the grace
    later = timezone.now() + timedelta(minutes=6)
    assert services.organiser_invitations_housekeep(now=later) == (1, 0)
    assert services.organiser_invitations_housekeep(now=later) == (0, 0)
    assert [m.to for m in mail.outbox] == [["lost@example.org"]]
    invitation.refresh_from_db()
    assert invitation.sent_at is not None


def test_housekeeping_deletes_old_closed_and_expired_invitations(organiser, group):
    open_one = services.organiser_invitation_create(
        group=group, email="open@example.org", invited_by=organiser
    )
    declined = services.organiser_invitation_create(
        group=group, email="declined@example.org", invited_by=organiser
    )
    services.organiser_invitation_close(invitation=declined, status=InvitationStatus.DECLINED)
    OrganiserInvitation.objects.update(sent_at=timezone.now())
    assert services.organiser_invitations_housekeep(now=timezone.now() + timedelta(days=29)) == (
        0,
        0,
    )
    # A month after closing, the declined one goes; the open one lasts until 30 days after
    # it expired.
    assert services.organiser_invitations_housekeep(now=timezone.now() + timedelta(days=31)) == (
        0,
        1,
    )
    assert list(OrganiserInvitation.objects.all()) == [open_one]
    assert services.organiser_invitations_housekeep(now=timezone.now() + timedelta(days=45)) == (
        0,
        1,
    )
    assert not OrganiserInvitation.objects.exists()


def test_accepting_a_link_closed_a_moment_ago_changes_nothing(invitation, invitee, group):
    from django.core.exceptions import ValidationError

    services.organiser_invitation_close(invitation=invitation, status=InvitationStatus.REVOKED)
    with pytest.raises(ValidationError):
        services.organiser_invitation_accept(invitation=invitation, user=invitee)
    assert not Membership.objects.filter(user=invitee, group=group).exists()
