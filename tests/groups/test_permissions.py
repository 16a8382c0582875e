"""Every organiser view refuses the signed-out (login redirect), outsiders and plain members (403),
and works for organisers. The permission functions are tested for the "no" as well as the "yes"."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from groups.models import (
    GroupLink,
    InvitationStatus,
    LinkStatus,
    Membership,
    MembershipRequest,
    OrganiserInvitation,
    Role,
)
from groups.permissions import (
    group_get_for_organiser,
    user_is_member,
    user_is_organiser,
    user_staff_party_ids,
)
from tests.factories import (
    GroupFactory,
    MembershipFactory,
    PartyFactory,
    PartyStaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_group(db):
    return GroupFactory(name="Other Group")


@pytest.fixture
def pending_link(group, other_group):
    return GroupLink.objects.create(
        from_group=other_group, to_group=group, status=LinkStatus.REQUESTED
    )


@pytest.fixture
def invitation(group):
    return OrganiserInvitation.objects.create(group=group, email="invitee@example.org")


@pytest.fixture
def join_request(group):
    return MembershipRequest.objects.create(group=group, user=UserFactory())


@pytest.fixture
def targets(group, other_group, pending_link, invitation, join_request):
    return group, other_group, pending_link, invitation, join_request


def organiser_requests(group, other_group, pending_link, invitation, join_request):
    """(method, url, data) for every organiser view, with data that would succeed."""
    slug = group.slug
    return [
        ("get", reverse("groups:edit", args=[slug]), None),
        (
            "post",
            reverse("groups:edit", args=[slug]),
            {
                "name": "Renamed by someone",
                "kind": "pro_eu",
                "region": "E12000009",
                "contact_email": "x@example.org",
                "join_policy": "open",
            },
        ),
        ("get", reverse("groups:organisers", args=[slug]), None),
        ("post", reverse("groups:organisers", args=[slug]), {"email": "someone@example.org"}),
        ("get", reverse("groups:link_request", args=[slug]), None),
        ("post", reverse("groups:link_request", args=[slug]), {"to_group": other_group.pk}),
        (
            "post",
            reverse("groups:link_decide", args=[slug, pending_link.pk]),
            {"decision": "accept"},
        ),
        ("post", reverse("groups:invitation_revoke", args=[slug, invitation.pk]), {}),
        (
            "post",
            reverse("groups:request_decide", args=[slug, join_request.pk]),
            {"decision": "approve"},
        ),
    ]


REQUEST_IDS = [
    "edit-get",
    "edit-post",
    "organisers-get",
    "organisers-post",
    "link-request-get",
    "link-request-post",
    "link-decide-post",
    "invitation-revoke-post",
    "request-decide-post",
]


def assert_nothing_changed(group, pending_link, invitation, join_request, user=None):
    group.refresh_from_db()
    assert group.name != "Renamed by someone"
    pending_link.refresh_from_db()
    assert pending_link.status == LinkStatus.REQUESTED
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    assert MembershipRequest.objects.filter(pk=join_request.pk).exists()
    assert not Membership.objects.filter(group=group, user=join_request.user).exists()
    assert OrganiserInvitation.objects.count() == 1


@pytest.mark.parametrize("index", range(len(REQUEST_IDS)), ids=REQUEST_IDS)
def test_signed_out_user_is_sent_to_login(client, targets, index):
    method, url, data = organiser_requests(*targets)[index]
    response = getattr(client, method)(url, data)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login") + "?next=")
    group, _, pending_link, invitation, join_request = targets
    assert_nothing_changed(group, pending_link, invitation, join_request)


@pytest.mark.parametrize("role", [None, Role.MEMBER], ids=["outsider", "member"])
@pytest.mark.parametrize("index", range(len(REQUEST_IDS)), ids=REQUEST_IDS)
def test_non_organisers_are_refused(client, targets, index, role):
    group, other_group, pending_link, invitation, join_request = targets
    user = UserFactory()
    if role:
        MembershipFactory(user=user, group=group, role=role)
    # An organiser of *another* group is still nobody here.
    Membership.objects.create(user=user, group=other_group, role=Role.ORGANISER)
    client.force_login(user)
    method, url, data = organiser_requests(*targets)[index]
    response = getattr(client, method)(url, data)
    assert response.status_code == 403
    assert "You can't do that here" in response.content.decode()
    assert_nothing_changed(group, pending_link, invitation, join_request)
    assert not Membership.objects.filter(group=group, role=Role.ORGANISER, user=user).exists()


@pytest.mark.parametrize("index", range(len(REQUEST_IDS)), ids=REQUEST_IDS)
def test_organisers_are_let_in(client, organiser, targets, index):
    UserFactory(email="someone@example.org")
    client.force_login(organiser)
    method, url, data = organiser_requests(*targets)[index]
    response = getattr(client, method)(url, data)
    assert response.status_code == (200 if method == "get" else 302)


def test_party_staff_are_not_organisers_of_their_partys_branches(client):
    party = PartyFactory()
    branch = GroupFactory(kind="party_branch", party=party, organiser=UserFactory())
    staff = PartyStaffFactory(party=party).user
    client.force_login(staff)
    assert client.get(reverse("groups:edit", args=[branch.slug])).status_code == 403


def test_organiser_views_404_for_unknown_group(client, organiser):
    client.force_login(organiser)
    assert client.get(reverse("groups:edit", args=["no-such-group"])).status_code == 404


# --- the permission functions themselves -------------------------------------------------


def test_group_get_for_organiser_yes_and_no(organiser, group):
    assert group_get_for_organiser(user=organiser, slug=group.slug) == group
    member = MembershipFactory(group=group).user
    with pytest.raises(PermissionDenied):
        group_get_for_organiser(user=member, slug=group.slug)
    with pytest.raises(PermissionDenied):
        group_get_for_organiser(user=AnonymousUser(), slug=group.slug)
    with pytest.raises(Http404):
        group_get_for_organiser(user=organiser, slug="missing")


def test_roles_come_from_memberships(organiser, group):
    member = MembershipFactory(group=group).user
    stranger = UserFactory()
    assert user_is_organiser(user=organiser, group=group)
    assert user_is_member(user=organiser, group=group)  # organisers count as members
    assert not user_is_organiser(user=member, group=group)
    assert user_is_member(user=member, group=group)
    assert not user_is_member(user=stranger, group=group)
    assert not user_is_member(user=AnonymousUser(), group=group)
    assert not user_is_organiser(user=AnonymousUser(), group=group)


def test_party_staff_ids():
    staff = PartyStaffFactory()
    assert user_staff_party_ids(staff.user) == {staff.party_id}
    assert user_staff_party_ids(UserFactory()) == set()
    assert user_staff_party_ids(AnonymousUser()) == set()
