"""Group flows over HTTP: create, edit, join/leave, organisers, links, contact relay."""

import pytest
from django.core import mail
from django.urls import reverse

from groups.models import (
    Group,
    GroupLink,
    JoinPolicy,
    LinkStatus,
    Membership,
    MembershipRequest,
    Role,
)
from tests.factories import (
    ConstituencyFactory,
    GroupFactory,
    MembershipFactory,
    PartyFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- create and edit ----------------------------------------------------------------------


def test_creating_a_group_makes_you_its_organiser(client, user):
    seat = ConstituencyFactory(name="Sampleton North")
    party = PartyFactory(name="Green Party", short_name="Green")
    client.force_login(user)
    response = client.post(
        reverse("groups:create"),
        {
            "name": "Sampleton Greens",
            "kind": "party_branch",
            "party": party.pk,
            "region": "E12000009",
            "description": "Local Greens.",
            "constituencies": [seat.pk],
            "contact_email": "greens@example.org",
            "join_policy": "approval",
            "website": "https://greens.example.org",
        },
        follow=True,
    )
    group = Group.objects.get(name="Sampleton Greens")
    assert response.redirect_chain[-1][0] == group.get_absolute_url()
    assert group.slug == "sampleton-greens"
    assert group.created_by == user
    assert list(group.constituencies.all()) == [seat]
    assert Membership.objects.get(group=group, user=user).role == Role.ORGANISER
    assert any("You are its organiser" in m for m in messages_of(response))
    page = response.content.decode()
    assert "Organiser tools" in page
    assert "greens@example.org" not in page


def test_create_form_keeps_input_and_explains_errors(client, user):
    client.force_login(user)
    response = client.post(
        reverse("groups:create"),
        {
            "name": "Branch without a party",
            "kind": "party_branch",
            "region": "E12000009",
            "contact_email": "not-an-email",
            "description": "Kept after the error",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Choose the party this branch belongs to." in page
    assert "Enter a valid email address." in page
    assert "Branch without a party" in page and "Kept after the error" in page
    assert 'aria-invalid="true"' in page
    assert not Group.objects.filter(name="Branch without a party").exists()


def test_non_branch_groups_drop_a_party(client, user):
    client.force_login(user)
    client.post(
        reverse("groups:create"),
        {
            "name": "Europe Group",
            "kind": "pro_eu",
            "party": PartyFactory().pk,
            "region": "E12000007",
            "contact_email": "eu@example.org",
            "join_policy": "approval",
        },
    )
    assert Group.objects.get(name="Europe Group").party is None


def test_same_name_gets_a_unique_slug(client, user):
    GroupFactory(name="Twin Town for Europe", slug="twin-town-for-europe")
    client.force_login(user)
    client.post(
        reverse("groups:create"),
        {
            "name": "Twin Town for Europe",
            "kind": "pro_eu",
            "region": "E12000007",
            "contact_email": "t@example.org",
            "join_policy": "approval",
        },
    )
    assert Group.objects.filter(slug="twin-town-for-europe-2").exists()


def test_create_needs_sign_in(client):
    response = client.get(reverse("groups:create"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_organiser_edits_group(client, organiser, group):
    client.force_login(organiser)
    response = client.post(
        reverse("groups:edit", args=[group.slug]),
        {
            "name": "Renamed Group",
            "kind": "progressive_alliance",
            "region": "E12000007",
            "contact_email": "new@example.org",
            "join_policy": "approval",
        },
        follow=True,
    )
    group.refresh_from_db()
    assert group.name == "Renamed Group"
    assert group.kind == "progressive_alliance"
    assert "Changes saved." in messages_of(response)


# --- join and leave ------------------------------------------------------------------------


def test_join_and_leave_an_open_group(client, user, group):
    group.join_policy = JoinPolicy.OPEN
    group.save()
    client.force_login(user)
    response = client.post(reverse("groups:join", args=[group.slug]), follow=True)
    assert Membership.objects.get(user=user, group=group).role == Role.MEMBER
    assert f"You have joined {group.name}." in messages_of(response)
    assert "Leave group" in response.content.decode()
    # Joining twice changes nothing.
    client.post(reverse("groups:join", args=[group.slug]))
    assert Membership.objects.filter(user=user, group=group).count() == 1
    response = client.post(reverse("groups:leave", args=[group.slug]), follow=True)
    assert not Membership.objects.filter(user=user, group=group).exists()
    assert any(f"You have left {group.name}" in m for m in messages_of(response))


def test_joining_an_approval_group_asks_the_organisers(client, user, organiser, group):
    assert group.join_policy == JoinPolicy.APPROVAL  # the default
    client.force_login(user)
    response = client.post(reverse("groups:join", args=[group.slug]), follow=True)
    assert not Membership.objects.filter(user=user, group=group).exists()
    assert MembershipRequest.objects.filter(user=user, group=group).count() == 1
    assert "Its organisers will decide." in " ".join(messages_of(response))
    assert "Withdraw request" in response.content.decode()
    client.post(reverse("groups:join", args=[group.slug]))  # asking twice is one request
    assert MembershipRequest.objects.filter(user=user, group=group).count() == 1

    client.force_login(organiser)
    page = client.get(reverse("groups:organisers", args=[group.slug])).content.decode()
    assert user.display_name in page and "Approve" in page
    join_request = MembershipRequest.objects.get(user=user, group=group)
    client.post(
        reverse("groups:request_decide", args=[group.slug, join_request.pk]),
        {"decision": "approve"},
    )
    assert Membership.objects.get(user=user, group=group).role == Role.MEMBER
    assert not MembershipRequest.objects.exists()


def test_my_groups_lists_requests_waiting_for_approval(client, user, group):
    client.force_login(user)
    client.post(reverse("groups:join", args=[group.slug]))
    page = client.get(reverse("groups:mine")).content.decode()
    assert "Waiting for approval" in page and group.name in page


def test_organisers_can_decline_and_the_asker_can_withdraw(client, user, organiser, group):
    client.force_login(user)
    client.post(reverse("groups:join", args=[group.slug]))
    client.post(reverse("groups:leave", args=[group.slug]))  # withdraw
    assert not MembershipRequest.objects.exists()
    client.post(reverse("groups:join", args=[group.slug]))
    join_request = MembershipRequest.objects.get()
    client.force_login(organiser)
    client.post(
        reverse("groups:request_decide", args=[group.slug, join_request.pk]),
        {"decision": "decline"},
    )
    assert not MembershipRequest.objects.exists()
    assert not Membership.objects.filter(user=user, group=group).exists()


def test_a_request_of_another_group_cannot_be_decided_here(client, user, organiser, group):
    other = GroupFactory()
    join_request = MembershipRequest.objects.create(user=user, group=other)
    client.force_login(organiser)
    response = client.post(
        reverse("groups:request_decide", args=[group.slug, join_request.pk]),
        {"decision": "approve"},
    )
    assert response.status_code == 404
    assert not Membership.objects.filter(user=user).exists()


def test_join_and_leave_need_post_and_sign_in(client, user, group):
    assert client.post(reverse("groups:join", args=[group.slug])).status_code == 302
    assert not Membership.objects.filter(group=group, role=Role.MEMBER).exists()
    client.force_login(user)
    assert client.get(reverse("groups:join", args=[group.slug])).status_code == 405
    assert not Membership.objects.filter(user=user, group=group).exists()


def test_last_organiser_cannot_leave(client, organiser, group):
    client.force_login(organiser)
    response = client.post(reverse("groups:leave", args=[group.slug]), follow=True)
    assert Membership.objects.filter(user=organiser, group=group, role=Role.ORGANISER).exists()
    assert "You are the only organiser. Add another organiser first." in messages_of(response)


def test_an_organiser_can_leave_once_there_is_another(client, organiser, group):
    MembershipFactory(group=group, role=Role.ORGANISER)
    client.force_login(organiser)
    client.post(reverse("groups:leave", args=[group.slug]))
    assert not Membership.objects.filter(user=organiser, group=group).exists()


# --- organisers ----------------------------------------------------------------------------


def test_the_organiser_page_lists_members(client, organiser, group):
    member = MembershipFactory(group=group).user
    client.force_login(organiser)
    response = client.get(reverse("groups:organisers", args=[group.slug]))
    assert member.display_name in response.content.decode()
    assert "Invite an organiser" in response.content.decode()


# --- links between groups --------------------------------------------------------------------


def test_link_request_then_accept(client, organiser, group):
    other_organiser = UserFactory()
    other = GroupFactory(name="Neighbours for Europe", organiser=other_organiser)
    client.force_login(organiser)
    response = client.post(
        reverse("groups:link_request", args=[group.slug]),
        {"to_group": other.pk, "message": "Shall we share stalls?"},
        follow=True,
    )
    assert any("Request sent" in m for m in messages_of(response))
    link = GroupLink.objects.get(from_group=group, to_group=other)
    assert link.status == LinkStatus.REQUESTED and link.requested_by == organiser

    client.force_login(other_organiser)
    page = client.get(other.get_absolute_url()).content.decode()
    assert "asked to link up" in page and "Shall we share stalls?" in page
    response = client.post(
        reverse("groups:link_decide", args=[other.slug, link.pk]),
        {"decision": "accept"},
        follow=True,
    )
    link.refresh_from_db()
    assert link.status == LinkStatus.ACCEPTED and link.decided_at is not None
    # Linked groups show on both pages.
    assert group.name in client.get(other.get_absolute_url()).content.decode()
    assert other.name in client.get(group.get_absolute_url()).content.decode()
    # A decided link cannot be decided again.
    again = client.post(
        reverse("groups:link_decide", args=[other.slug, link.pk]), {"decision": "decline"}
    )
    assert again.status_code == 404


def test_link_decline(client, organiser, group):
    other = GroupFactory()
    link = GroupLink.objects.create(from_group=other, to_group=group)
    client.force_login(organiser)
    client.post(reverse("groups:link_decide", args=[group.slug, link.pk]), {"decision": "decline"})
    link.refresh_from_db()
    assert link.status == LinkStatus.DECLINED
    page = client.get(group.get_absolute_url()).content.decode()
    assert "Not linked with any group yet." in page


def test_asking_back_accepts(client, organiser, group):
    other = GroupFactory()
    link = GroupLink.objects.create(from_group=other, to_group=group)
    client.force_login(organiser)
    response = client.post(
        reverse("groups:link_request", args=[group.slug]), {"to_group": other.pk}, follow=True
    )
    link.refresh_from_db()
    assert link.status == LinkStatus.ACCEPTED
    assert GroupLink.objects.count() == 1
    assert "You are now linked." in messages_of(response)


def test_a_group_cannot_pick_itself_to_link(client, organiser, group):
    client.force_login(organiser)
    response = client.post(
        reverse("groups:link_request", args=[group.slug]), {"to_group": group.pk}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not GroupLink.objects.exists()


def test_organiser_cannot_decide_a_link_addressed_to_another_group(client, organiser, group):
    other, third = GroupFactory(), GroupFactory()
    link = GroupLink.objects.create(from_group=other, to_group=third)
    client.force_login(organiser)
    response = client.post(
        reverse("groups:link_decide", args=[group.slug, link.pk]), {"decision": "accept"}
    )
    assert response.status_code == 404
    link.refresh_from_db()
    assert link.status == LinkStatus.REQUESTED


# --- contact relay ---------------------------------------------------------------------------


def test_contact_form_relays_without_revealing_the_address(client, group):
    page = client.get(reverse("groups:contact", args=[group.slug])).content.decode()
    assert group.contact_email not in page
    assert group.contact_email not in client.get(group.get_absolute_url()).content.decode()
    response = client.post(
        reverse("groups:contact", args=[group.slug]),
        {"name": "Robin Voter", "email": "robin@example.net", "message": "Can I help?"},
        follow=True,
    )
    assert "Your message has been sent to the organisers." in messages_of(response)
    assert group.contact_email not in response.content.decode()
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [group.contact_email]
    assert email.reply_to == ["robin@example.net"]
    assert "robin@example.net" not in email.from_email
    assert "Can I help?" in email.body and "Robin Voter" in email.body
    assert group.name in email.subject


def test_contact_strips_cr_lf_from_header_values(client, group):
    response = client.post(
        reverse("groups:contact", args=[group.slug]),
        {
            "name": "Eve\r\nBcc: victim@example.com",
            "email": "eve@example.net",
            "message": "Hello\nthere",
        },
    )
    assert response.status_code == 302
    email = mail.outbox[0]
    assert "\r" not in email.subject and "\n" not in email.subject
    message = email.message()
    assert message["Bcc"] is None
    assert "victim@example.com" not in email.recipients()
    assert "Eve Bcc: victim@example.com" in email.subject
    assert "Hello\nthere" in email.body  # the body keeps its lines


def test_contact_rejects_a_bad_reply_address_and_keeps_the_message(client, group):
    response = client.post(
        reverse("groups:contact", args=[group.slug]),
        {"name": "Eve", "email": "eve@example.net\r\nBcc: x@example.com", "message": "Keep me"},
    )
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert "Keep me" in response.content.decode()
    assert mail.outbox == []


def test_contact_honeypot_pretends_and_sends_nothing(client, group):
    response = client.post(
        reverse("groups:contact", args=[group.slug]),
        {
            "name": "Bot",
            "email": "bot@example.net",
            "message": "Buy now",
            "website": "http://spam.example",
        },
        follow=True,
    )
    assert "Your message has been sent to the organisers." in messages_of(response)
    assert mail.outbox == []


def test_contact_is_rate_limited_per_address(client, group):
    data = {"name": "Robin", "email": "robin@example.net", "message": "Hi"}
    for _ in range(5):
        assert client.post(reverse("groups:contact", args=[group.slug]), data).status_code == 302
    response = client.post(reverse("groups:contact", args=[group.slug]), data)
    assert response.status_code == 200
    assert "You have sent several messages recently" in response.content.decode()
    assert len(mail.outbox) == 5


def test_contact_prefills_for_signed_in_users(client, user, group):
    client.force_login(user)
    page = client.get(reverse("groups:contact", args=[group.slug])).content.decode()
    assert f'value="{user.email}"' in page


# --- group page and my groups ----------------------------------------------------------------


def test_group_page_shows_organisers_members_count_and_escapes(client, organiser):
    group = GroupFactory(
        name="<script>alert(1)</script> Group", description="<b>bold</b>", organiser=organiser
    )
    MembershipFactory.create_batch(3, group=group)
    response = client.get(group.get_absolute_url())
    page = response.content.decode()
    assert "4 members" in page
    assert organiser.display_name in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "Sign in to join" in page


def test_group_page_404s_for_unknown_slug(client):
    response = client.get(reverse("groups:detail", args=["missing"]))
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_my_groups_lists_roles(client, organiser, group):
    other = GroupFactory(name="Joined Group")
    MembershipFactory(user=organiser, group=other)
    client.force_login(organiser)
    page = client.get(reverse("groups:mine")).content.decode()
    assert group.name in page and "Organiser" in page
    assert "Joined Group" in page and "Member" in page


def test_leaving_a_group_you_are_not_in_says_so(client, user, group):
    client.force_login(user)
    response = client.post(reverse("groups:leave", args=[group.slug]), follow=True)
    assert f"You were not a member of {group.name}." in messages_of(response)


def test_a_bad_edit_keeps_input_and_the_saved_name_in_the_title(client, organiser, group):
    client.force_login(organiser)
    response = client.post(
        reverse("groups:edit", args=[group.slug]),
        {"name": "", "kind": "pro_eu", "region": "E12000009", "description": "Typed text"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert f"<h1>Edit {group.name}</h1>" in page
    assert "This field is required." in page and "Typed text" in page
    group.refresh_from_db()
    assert group.name and group.description != "Typed text"


def test_my_groups_keeps_a_constant_query_count(client, user, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from groups.services import group_join

    def add(n):
        for _ in range(n):
            MembershipFactory(user=user, group=GroupFactory())
            group_join(group=GroupFactory(), user=user)

    client.force_login(user)
    add(1)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("groups:mine"))
    add(6)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(reverse("groups:mine"))
    assert response.content.decode().count("(asked ") == 7
