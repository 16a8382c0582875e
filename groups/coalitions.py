"""Writes of coalitions: linked groups (`GroupLink`, requested in groups/services.py) promote
each other's events, co-host them, and local groups join a network. Every step is asked by one
side and accepted by the other side's organisers, from a link in the email this module sends
them through the outbox: nothing is one-sided."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from alliance.links import absolute_url
from events.services import calendar_changed
from groups.models import (
    CoHostInvitation,
    EventPromotion,
    Group,
    GroupLink,
    GroupRequest,
    LinkStatus,
    Membership,
    NetworkRequest,
)
from outbox.services import email_enqueue


def organisers_notify(
    *,
    group: Group,
    kind: str,
    pk: int,
    subject: str,
    what: str,
    url: str,
    template: str = "groups/email/coalition_request",
):
    """One email to each organiser of `group` asking them to decide, or (`template`) telling
    them what changed (at most one a day per request and person: asking again the same day
    sends nothing)."""
    day = timezone.localdate().isoformat()
    organisers = Membership.objects.organisers().filter(group=group).select_related("user")
    for membership in organisers:
        email_enqueue(
            key=f"coalition:{kind}:{pk}:{membership.user_id}:{day}",
            to=membership.user.email,
            subject=subject,
            template=template,
            context={"group": group, "what": what, "url": absolute_url(url)},
        )


def group_link_request_notify(*, link: GroupLink) -> None:
    organisers_notify(
        group=link.to_group,
        kind="link",
        pk=link.pk,
        subject=f"{link.from_group.name} asks to link up with {link.to_group.name}",
        what=f"{link.from_group.name} asks to link up with {link.to_group.name}. Linked "
        "groups share a coalition calendar and can promote and co-host each other's events."
        + (f"\n\nTheir message: {link.message}" if link.message else ""),
        url=link_url(link),
    )


def link_url(link: GroupLink) -> str:
    from django.urls import reverse

    return reverse("groups:link_detail", kwargs={"slug": link.to_group.slug, "link_id": link.pk})


@transaction.atomic
def group_link_end(*, link: GroupLink, by_group: Group) -> bool:
    """An organiser of `by_group`, one side of the link, ends it: the groups are no longer
    linked (no shared coalition calendar), and the promotions between them of events still
    to come, asked or accepted, go (off both calendars and feeds). The other group's
    organisers get one email each. False when it had ended already (another tab)."""
    link = (
        GroupLink.objects.select_for_update()
        .select_related("from_group", "to_group")
        .filter(pk=link.pk, status=LinkStatus.ACCEPTED)
        .first()
    )
    if link is None:
        return False
    other = link.to_group if link.from_group_id == by_group.pk else link.from_group
    EventPromotion.objects.filter(
        Q(event__group=by_group, group=other) | Q(event__group=other, group=by_group),
        event__ends_at__gte=timezone.now(),
    ).delete()
    link_id = link.pk
    link.delete()
    organisers_notify(
        group=other,
        kind="unlink",
        pk=link_id,
        subject=f"{by_group.name} ended its link with {other.name}",
        what=f"{by_group.name} ended its link with {other.name}. The groups no longer share "
        "a coalition calendar, and events either group had promoted for the other are off "
        "its calendar and feed. Either group can ask to link up again.",
        url=other.get_absolute_url(),
        template="groups/email/link_ended",
    )
    return True


# --- Promotion ------------------------------------------------------------------------------


@transaction.atomic
def event_promotion_request(*, event, groups, user) -> list[EventPromotion]:
    """Ask linked groups to promote `event`; each group's organisers get one email. A group
    asked before (whatever it answered) is not asked again."""
    linked = set(Group.objects.linked_to(event.group).values_list("pk", flat=True))
    asked = []
    for group in groups:
        if group.pk not in linked:
            raise ValidationError(f"{group.name} is not linked with {event.group.name}.")
        promotion, created = EventPromotion.objects.get_or_create(
            event=event, group=group, defaults={"requested_by": user}
        )
        if not created:
            continue
        organisers_notify(
            group=group,
            kind="promote",
            pk=promotion.pk,
            subject=f"{event.group.name} asks {group.name} to promote “{event.title}”",
            what=f"{event.group.name} asks {group.name} to promote their event “{event.title}” "
            f"on {timezone.localtime(event.starts_at):%A %-d %B at %H:%M}. Accepted, it shows "
            f"in {group.name}'s calendar and feed, marked “promoted by {group.name}”.",
            url=promotion.get_absolute_url(),
        )
        asked.append(promotion)
    return asked


def request_decide(request: GroupRequest, *, accept: bool, user=None) -> GroupRequest | None:
    """Lock a request between groups and decide it once, recording when and by whom; None
    when it was decided already. Call inside a transaction (the kinds' services do)."""
    model = type(request)
    request = model.objects.select_for_update().filter(pk=request.pk, status=LinkStatus.REQUESTED)
    request = request.first()
    if request is None:
        return None
    request.status = LinkStatus.ACCEPTED if accept else LinkStatus.DECLINED
    request.decided_at, request.decided_by = timezone.now(), user
    request.save(update_fields=["status", "decided_at", "decided_by"])
    return request


@transaction.atomic
def event_promotion_decide(
    *, promotion: EventPromotion, accept: bool, user=None
) -> EventPromotion | None:
    return request_decide(promotion, accept=accept, user=user)


# --- Co-hosting -----------------------------------------------------------------------------


@transaction.atomic
def event_cohost_invite(*, event, group: Group, user) -> CoHostInvitation:
    """Invite `group` to co-host `event`; its organisers accept from the email."""
    if group.pk == event.group_id or event.co_organisers.filter(pk=group.pk).exists():
        raise ValidationError(f"{group.name} already runs this event.")
    invitation, created = CoHostInvitation.objects.get_or_create(
        event=event, group=group, defaults={"invited_by": user}
    )
    if created:
        organisers_notify(
            group=group,
            kind="cohost",
            pk=invitation.pk,
            subject=f"{event.group.name} invites {group.name} to co-host “{event.title}”",
            what=f"{event.group.name} invites {group.name} to co-host “{event.title}”. "
            f"Accepted, {group.name}'s organisers can edit it, see who is coming and get its "
            "clash notices.",
            url=invitation.get_absolute_url(),
        )
    return invitation


@transaction.atomic
def event_cohost_decide(
    *, invitation: CoHostInvitation, accept: bool, user=None
) -> CoHostInvitation | None:
    decided = request_decide(invitation, accept=accept, user=user)
    if decided is not None and accept:
        decided.event.co_organisers.add(decided.group)
        calendar_changed()  # its members now see the event if it is members-only
    return decided


# --- Networks -------------------------------------------------------------------------------


def _ancestors(group: Group) -> set[int]:
    """The networks above `group`, read from the database (the object may be stale)."""
    seen, current = set(), Group.objects.only("pk", "parent_id").get(pk=group.pk)
    while current.parent_id and current.parent_id not in seen:
        seen.add(current.parent_id)
        current = Group.objects.only("pk", "parent_id").get(pk=current.parent_id)
    return seen


@transaction.atomic
def network_request_create(*, parent: Group, child: Group, user) -> NetworkRequest:
    """`parent` (a county network) asks `child` to join it."""
    if parent.pk == child.pk or child.pk in _ancestors(parent):
        raise ValidationError("A group cannot be in its own network.")
    if child.parent_id == parent.pk:
        raise ValidationError(f"{child.name} is already in this network.")
    request, created = NetworkRequest.objects.get_or_create(
        parent=parent, child=child, defaults={"requested_by": user}
    )
    if not created and request.status == LinkStatus.DECLINED:
        request.status, request.decided_at, created = LinkStatus.REQUESTED, None, True
        request.save(update_fields=["status", "decided_at"])
    if created:
        organisers_notify(
            group=child,
            kind="network",
            pk=request.pk,
            subject=f"{parent.name} asks {child.name} to join its network",
            what=f"{parent.name} asks {child.name} to join its network. Accepted, its "
            f"organisers see {child.name}'s events, clashes and member count in one view.",
            url=request.get_absolute_url(),
        )
    return request


@transaction.atomic
def network_request_decide(
    *, request: NetworkRequest, accept: bool, user=None
) -> NetworkRequest | None:
    decided = request_decide(request, accept=accept, user=user)
    if decided is not None and accept:
        if decided.child_id in _ancestors(decided.parent) | {decided.parent_id}:
            raise ValidationError("A group cannot be in its own network.")
        Group.objects.filter(pk=decided.child_id).update(parent=decided.parent_id)
    return decided
