"""Workflows for groups: every write to groups, memberships and links goes through here."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from alliance.mail import header_safe
from groups.models import Group, GroupLink, LinkStatus, Membership, Role


def _unique_slug(name: str) -> str:
    base = slugify(name)[:120] or "group"
    slug, n = base, 2
    while Group.objects.filter(slug=slug).exists():
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
    return group


@transaction.atomic
def group_update(*, group: Group, constituencies=None, **fields) -> Group:
    for name, value in fields.items():
        setattr(group, name, value)
    group.full_clean()
    group.save()
    if constituencies is not None:
        group.constituencies.set(constituencies)
    return group


def group_member_add(*, group: Group, user, role: str = Role.MEMBER) -> Membership:
    """Join a group (idempotent). Never demotes an organiser."""
    membership, created = Membership.objects.get_or_create(
        user=user, group=group, defaults={"role": role}
    )
    if not created and role == Role.ORGANISER and membership.role != Role.ORGANISER:
        membership.role = Role.ORGANISER
        membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def group_member_remove(*, group: Group, user) -> bool:
    """Leave a group (False if `user` was not in it). The last organiser cannot leave: a group
    always has someone in charge."""
    membership = Membership.objects.select_for_update().filter(group=group, user=user).first()
    if membership is None:
        return False
    if membership.role == Role.ORGANISER:
        organisers = Membership.objects.select_for_update().filter(group=group, role=Role.ORGANISER)
        if organisers.count() <= 1:
            raise ValidationError("You are the only organiser. Add another organiser first.")
    membership.delete()
    return True


def group_organiser_add(*, group: Group, email: str) -> Membership:
    """Make a registered user an organiser, by their email address."""
    from accounts.models import User

    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise ValidationError(
            "Nobody has an Alliance account with that email. Ask them to sign up first."
        )
    return group_member_add(group=group, user=user, role=Role.ORGANISER)


def group_contact_send(*, group: Group, sender_name: str, sender_email: str, message: str) -> None:
    """Relay a message to the group without showing the group's address to the sender."""
    sender_name = header_safe(sender_name)[:100]
    sender_email = header_safe(sender_email)
    body = render_to_string(
        "groups/email/contact.txt",
        {
            "group": group,
            "sender_name": sender_name,
            "sender_email": sender_email,
            "message": message,
            "site_url": settings.SITE_URL,
        },
    )
    EmailMessage(
        subject=f"[Alliance] Message for {header_safe(group.name)} from {sender_name}",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[group.contact_email],
        reply_to=[sender_email],
    ).send()


def group_link_request(*, from_group: Group, to_group: Group, user, message: str = "") -> GroupLink:
    if from_group == to_group:
        raise ValidationError("A group cannot link to itself.")
    reverse_link = GroupLink.objects.filter(from_group=to_group, to_group=from_group).first()
    if reverse_link and reverse_link.status == LinkStatus.REQUESTED:
        # They already asked us: asking back is agreeing.
        return group_link_decide(link=reverse_link, accept=True)
    if reverse_link and reverse_link.status == LinkStatus.ACCEPTED:
        return reverse_link
    try:
        link, _ = GroupLink.objects.get_or_create(
            from_group=from_group,
            to_group=to_group,
            defaults={"requested_by": user, "message": message},
        )
    except IntegrityError:
        link = GroupLink.objects.get(from_group=from_group, to_group=to_group)
    if link.status == LinkStatus.DECLINED:
        link.status, link.decided_at, link.message = LinkStatus.REQUESTED, None, message
        link.save(update_fields=["status", "decided_at", "message"])
    return link


def group_link_decide(*, link: GroupLink, accept: bool) -> GroupLink:
    link.status = LinkStatus.ACCEPTED if accept else LinkStatus.DECLINED
    link.decided_at = timezone.now()
    link.save(update_fields=["status", "decided_at"])
    return link
