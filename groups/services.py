"""Workflows for groups: every write to groups, memberships and links goes through here."""

from datetime import timedelta
from smtplib import SMTPException

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from alliance import versioned_cache
from alliance.links import absolute_url
from alliance.mail import header_safe
from alliance.tasks import enqueue_after_commit
from events.services import calendar_changed
from groups.models import (
    Group,
    GroupLink,
    InvitationStatus,
    JoinPolicy,
    LinkStatus,
    Membership,
    MembershipRequest,
    OrganiserInvitation,
    Role,
)
from groups.permissions import user_may_accept_invitation
from groups.tasks import organiser_invitation_send_task
from outbox.emails import email_message_build

# The directory's change counter (alliance/versioned_cache.py): its pages are cached per value.
DIRECTORY_VERSION = "groups:directory"


def directory_changed() -> None:
    """A group was created, edited, joined or left: every cached directory page is stale
    (bumped now, in the writing transaction, and again after it commits)."""
    versioned_cache.changed(DIRECTORY_VERSION)


# Words that are paths under /groups/: a group with one as its slug could not be reached.
RESERVED_SLUGS = {"new", "mine", "invitations"}


def _unique_slug(name: str) -> str:
    base = slugify(name)[:120] or "group"
    slug, n = base, 2
    while slug in RESERVED_SLUGS or Group.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def group_create(*, creator, constituencies=(), **fields) -> Group:
    """Create a group; whoever creates it becomes its first organiser."""
    group = Group(created_by=creator, slug=_unique_slug(fields["name"]), **fields)
    group.full_clean()
    group.save()
    group.constituencies.set(constituencies)
    Membership.objects.create(user=creator, group=group, role=Role.ORGANISER)
    directory_changed()
    calendar_changed()  # the calendar's group filter lists it
    return group


@transaction.atomic
def group_update(*, group: Group, constituencies=None, **fields) -> Group:
    for name, value in fields.items():
        setattr(group, name, value)
    group.full_clean()
    group.save()
    if constituencies is not None:
        group.constituencies.set(constituencies)
    directory_changed()
    calendar_changed()  # calendar pages name the group (and its party) beside its events
    return group


def group_member_add(*, group: Group, user, role: str = Role.MEMBER) -> Membership:
    """Record an approved member (idempotent). Never demotes an organiser. Views reach it only
    through group_join, membership_request_decide and organiser_invitation_accept."""
    membership, created = Membership.objects.get_or_create(
        user=user, group=group, defaults={"role": role}
    )
    if not created and role == Role.ORGANISER and membership.role != Role.ORGANISER:
        membership.role = Role.ORGANISER
        membership.save(update_fields=["role"])
    if created:
        directory_changed()  # the member count on the group's card
    return membership


@transaction.atomic
def group_join(*, group: Group, user) -> Membership | MembershipRequest:
    """Join an open group at once; ask to join a group whose organisers approve members.
    Idempotent: a member stays a member, a request stays one request."""
    membership = Membership.objects.filter(group=group, user=user).first()
    if membership is not None:
        return membership
    if group.join_policy == JoinPolicy.OPEN:
        return group_member_add(group=group, user=user)
    request, _ = MembershipRequest.objects.get_or_create(group=group, user=user)
    return request


@transaction.atomic
def membership_request_decide(*, request: MembershipRequest, approve: bool) -> Membership | None:
    """An organiser approves (the person becomes a member) or declines (the request goes)."""
    request = (
        MembershipRequest.objects.select_for_update()
        .select_related("group", "user")
        .filter(pk=request.pk)
        .first()
    )
    if request is None:  # decided already, in another tab
        return None
    request.delete()
    if not approve:
        return None
    return group_member_add(group=request.group, user=request.user)


@transaction.atomic
def group_member_remove(*, group: Group, user) -> bool:
    """Leave a group, or withdraw a request to join (False if `user` had neither). The last
    organiser cannot leave: a group always has someone in charge."""
    withdrawn, _ = MembershipRequest.objects.filter(group=group, user=user).delete()
    membership = Membership.objects.select_for_update().filter(group=group, user=user).first()
    if membership is None:
        return bool(withdrawn)
    if membership.role == Role.ORGANISER:
        organisers = Membership.objects.select_for_update().filter(group=group, role=Role.ORGANISER)
        if organisers.count() <= 1:
            raise ValidationError("You are the only organiser. Add another organiser first.")
    membership.delete()
    directory_changed()
    return True


# --- Organiser invitations ------------------------------------------------------------------


@transaction.atomic
def organiser_invitation_create(*, group: Group, email: str, invited_by) -> OrganiserInvitation:
    """Invite `email` to organise `group`. Never looks up whether the address has an account:
    what the organiser sees, and the work done, are the same either way. Inviting the same
    address again while an invitation is open returns that invitation (no second email)."""
    email = email.strip()
    live = OrganiserInvitation.objects.select_for_update().filter(
        group=group, email__iexact=email, status=InvitationStatus.PENDING
    )
    for invitation in live:
        if invitation.is_open:
            return invitation
        invitation.status = InvitationStatus.EXPIRED
        invitation.save(update_fields=["status"])
    invitation = OrganiserInvitation(group=group, email=email, invited_by=invited_by)
    invitation.full_clean()
    invitation.save()
    enqueue_after_commit(organiser_invitation_send_task, invitation.pk)
    return invitation


def organiser_invitation_send(*, invitation_id: int) -> bool:
    """Email the invitation once: the sent_at claim makes a second run (or a redelivered task)
    send nothing. If the mail server fails, the claim is released so a retry can send it."""
    now = timezone.now()
    claimed = OrganiserInvitation.objects.filter(
        pk=invitation_id, sent_at__isnull=True, status=InvitationStatus.PENDING
    ).update(sent_at=now)
    if not claimed:
        return False
    invitation = OrganiserInvitation.objects.select_related("group", "invited_by").get(
        pk=invitation_id
    )
    inviter = invitation.invited_by
    message = email_message_build(
        to=invitation.email,
        subject=f"Invitation to organise {invitation.group.name}",
        template="groups/email/organiser_invitation",
        context={
            "invitation": invitation,
            "group": invitation.group,
            "inviter": inviter.display_name if inviter else "An organiser",
            "url": absolute_url(invitation),
        },
    )
    try:
        message.send()
    except (SMTPException, OSError):
        OrganiserInvitation.objects.filter(pk=invitation_id, sent_at=now).update(sent_at=None)
        raise
    return True


# Closed and expired invitations (an email address of someone who may never have signed up)
# are deleted this long after they closed; the privacy notice promises it.
INVITATION_RETENTION = timedelta(days=30)
# A send task not done by then was lost (broker outage at commit): the beat sends it.
INVITATION_SEND_GRACE = timedelta(minutes=5)


def organiser_invitations_housekeep(*, now=None) -> tuple[int, int]:
    """Beat: send open invitations whose task was lost (the same once-only send), and delete
    invitations closed or expired more than INVITATION_RETENTION ago. (sent, deleted)"""
    now = now or timezone.now()
    unsent = OrganiserInvitation.objects.open().filter(
        sent_at__isnull=True, created_at__lt=now - INVITATION_SEND_GRACE
    )
    sent = sum(
        organiser_invitation_send(invitation_id=pk)
        for pk in list(unsent.values_list("pk", flat=True))
    )
    cutoff = now - INVITATION_RETENTION
    deleted, _ = OrganiserInvitation.objects.filter(
        Q(expires_at__lt=cutoff) | Q(decided_at__lt=cutoff)
    ).delete()
    return sent, deleted


@transaction.atomic
def organiser_invitation_accept(*, invitation: OrganiserInvitation, user) -> Membership:
    """The invitee, signed in with the invited address verified, becomes an organiser."""
    invitation = OrganiserInvitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open:
        raise ValidationError("This invitation is no longer valid.")
    if not user_may_accept_invitation(user=user, invitation=invitation):
        raise PermissionDenied("This invitation is for someone else.")
    MembershipRequest.objects.filter(group=invitation.group, user=user).delete()
    membership = group_member_add(group=invitation.group, user=user, role=Role.ORGANISER)
    invitation.status = InvitationStatus.ACCEPTED
    invitation.accepted_by = user
    invitation.decided_at = timezone.now()
    invitation.save(update_fields=["status", "accepted_by", "decided_at"])
    return membership


def organiser_invitation_close(*, invitation: OrganiserInvitation, status: str) -> bool:
    """Decline (the invitee) or revoke (an organiser) an open invitation; False if it was
    already closed."""
    if status not in {InvitationStatus.DECLINED, InvitationStatus.REVOKED}:
        raise ValueError(f"Cannot close an invitation as {status!r}.")
    return bool(
        OrganiserInvitation.objects.filter(
            pk=invitation.pk, status=InvitationStatus.PENDING
        ).update(status=status, decided_at=timezone.now())
    )


def group_contact_send(*, group: Group, sender_name: str, sender_email: str, message: str) -> None:
    """Relay a message to the group without showing the group's address to the sender."""
    sender_name = header_safe(sender_name)[:100]
    sender_email = header_safe(sender_email)
    email_message_build(
        to=group.contact_email,
        subject=f"Message for {group.name} from {sender_name}",
        template="groups/email/contact",
        context={
            "group": group,
            "sender_name": sender_name,
            "sender_email": sender_email,
            "message": message,
        },
        reply_to=sender_email,
        html=False,  # a stranger's words, relayed as they are: no HTML part
    ).send()


@transaction.atomic
def group_link_request(*, from_group: Group, to_group: Group, user, message: str = "") -> GroupLink:
    """Ask to link up; `to_group`'s organisers are emailed a link to accept or decline (at
    most once a day per request). Asking a group that asked us first is accepting."""
    from groups.coalitions import group_link_request_notify

    if from_group == to_group:
        raise ValidationError("A group cannot link to itself.")
    reverse_link = GroupLink.objects.filter(from_group=to_group, to_group=from_group).first()
    if reverse_link and reverse_link.status == LinkStatus.REQUESTED:
        # They already asked us: asking back is agreeing.
        return group_link_decide(link=reverse_link, accept=True, user=user)
    if reverse_link and reverse_link.status == LinkStatus.ACCEPTED:
        return reverse_link
    try:
        with transaction.atomic():
            link, created = GroupLink.objects.get_or_create(
                from_group=from_group,
                to_group=to_group,
                defaults={"requested_by": user, "message": message},
            )
    except IntegrityError:
        link, created = GroupLink.objects.get(from_group=from_group, to_group=to_group), False
    if link.status == LinkStatus.DECLINED:
        link.status, link.decided_at, link.message = LinkStatus.REQUESTED, None, message
        link.save(update_fields=["status", "decided_at", "message"])
        created = True
    if created:
        group_link_request_notify(link=link)
    return link


def group_link_decide(*, link: GroupLink, accept: bool, user=None) -> GroupLink:
    """The asked group's organisers decide (from the group page or the emailed link)."""
    link.status = LinkStatus.ACCEPTED if accept else LinkStatus.DECLINED
    link.decided_at, link.decided_by = timezone.now(), user
    link.save(update_fields=["status", "decided_at", "decided_by"])
    return link
