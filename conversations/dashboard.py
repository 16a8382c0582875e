"""What a signed-in person sees first, instead of the marketing page: their groups' next
events with RSVPs, open clashes, proposals awaiting them, petition counts, recent replies;
party staff also their party's groups and pending agreements; a new person is asked their
name and shown groups near their postcode. A fixed number of queries whatever the sizes.

The lists are the same on every visit for a while, so their HTML is kept per person for
DASHBOARD_SECONDS (`dashboard_parts`). What the person does in conversations (answering, being
invited, leaving) and what happens in their conversations (a reply, a proposal put, closed or
decided) expires it at once (`dashboards_expire`); other apps' changes (an event, a petition
signature, a new membership) show within DASHBOARD_SECONDS."""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from conversations.models import Conversation, Participant, Post, Proposal
from conversations.permissions import open_clash_count, user_can_open_conversations
from events.models import Event, EventStatus, RsvpAnswer
from groups.models import Group, Membership, Role
from petitions.models import Petition, PetitionStatus
from seats.models import Agreement, AgreementStatus, Constituency
from seats.postcodes import InvalidPostcode, postcode_lookup

LIMIT = 8
DASHBOARD_SECONDS = 60


def _dashboard_key(user_id: int) -> str:
    return f"conversations:dashboard:{user_id}"


def dashboards_expire(*, user_ids=(), conversation_ids=()) -> None:
    """Forget the cached dashboards of these people and of every current participant of
    these conversations: now, and again after the current transaction commits."""
    user_ids = set(user_ids)
    if conversation_ids:
        user_ids |= set(
            Participant.objects.current()
            .filter(conversation_id__in=list(conversation_ids))
            .values_list("user_id", flat=True)
        )
    keys = [_dashboard_key(user_id) for user_id in user_ids]
    if keys:
        cache.delete_many(keys)
        transaction.on_commit(lambda: cache.delete_many(keys), robust=True)


def dashboard_parts(*, user) -> dict:
    """{"lists_html": the person's lists, "newcomer": True if they belong to no group and
    are no party's staff (the page then asks for their postcode)}, cached per person."""
    key = _dashboard_key(user.pk)
    parts = cache.get(key)
    if parts is None:
        context = dashboard_context(user=user)
        parts = {
            "lists_html": str(
                render_to_string("conversations/_dashboard_lists.html", {"user": user, **context})
            ),
            "newcomer": not context["memberships"] and not context["is_staff_member"],
        }
        cache.set(key, parts, DASHBOARD_SECONDS)
    # Rendered above by an autoescaping template, for this person only.
    return {**parts, "lists_html": mark_safe(parts["lists_html"])}  # noqa: S308


def dashboard_context(*, user) -> dict:
    memberships = list(Membership.objects.of_user(user))
    organised = [m.group_id for m in memberships if m.role == Role.ORGANISER]
    staff_party_ids = list(user.party_staff_roles.values_list("party_id", flat=True))
    # Organisers: their groups (a list, no query); party staff: also every group of their
    # party (a subquery, however many branches the party has).
    scope_groups = None
    if staff_party_ids:
        in_scope = Q(pk__in=organised) | Q(party_id__in=staff_party_ids)
        scope_groups = Group.objects.filter(in_scope).values("pk")
    elif organised:
        scope_groups = organised
    my_group_ids = [m.group_id for m in memberships]

    context: dict = {
        "memberships": memberships,
        "is_organiser": bool(organised),
        "is_staff_member": bool(staff_party_ids),
        "can_open": bool(organised or staff_party_ids) or user_can_open_conversations(user),
        "needs_name": not user.name,
    }
    event_groups = scope_groups if scope_groups is not None else my_group_ids
    context["events"] = (
        list(
            Event.objects.filter(
                group_id__in=event_groups, status=EventStatus.SCHEDULED, ends_at__gte=timezone.now()
            )
            .select_related("group", "constituency")
            .annotate(going=Count("rsvps", filter=Q(rsvps__answer=RsvpAnswer.GOING)))
            .order_by("starts_at", "pk")[:LIMIT]
        )
        if my_group_ids or scope_groups is not None
        else []
    )
    context["open_clashes"] = (
        open_clash_count(group_ids=scope_groups) if scope_groups is not None else 0
    )
    context["awaiting"] = list(
        Proposal.objects.awaiting_answer_from(user)
        .select_related("conversation")
        .order_by("deadline", "pk")[:LIMIT]
    )
    context["petitions"] = (
        list(
            Petition.objects.filter(
                group_id__in=event_groups, status__in=[PetitionStatus.OPEN, PetitionStatus.PENDING]
            )
            .select_related("group", "tally")
            .order_by("-created_at", "-pk")[:LIMIT]
        )
        if my_group_ids or scope_groups is not None
        else []
    )
    context["replies"] = list(
        Post.objects.filter(conversation__in=Conversation.objects.joined_by(user))
        .exclude(author=user)
        .select_related("author", "conversation")
        .order_by("-created_at", "-pk")[:LIMIT]
    )
    context["outcomes"] = list(
        Proposal.objects.filter(
            conversation__in=Conversation.objects.joined_by(user), outcome_at__isnull=False
        )
        .select_related("conversation")
        .order_by("-outcome_at", "-pk")[:LIMIT]
    )
    context["agreements"] = (
        list(
            Agreement.objects.filter(
                parties__party_id__in=staff_party_ids,
                status__in=[AgreementStatus.PROPOSED, AgreementStatus.NEGOTIATING],
            )
            .select_related("constituency", "election")
            .distinct()
            .order_by("-updated_at", "pk")[:LIMIT]
        )
        if staff_party_ids
        else []
    )
    return context


def groups_near(postcode: str) -> dict:
    """For a newcomer: groups covering the seat of their postcode."""
    if not postcode:
        return {"near": None, "postcode_error": ""}
    try:
        location = postcode_lookup(postcode)
    except InvalidPostcode as error:
        return {"near": None, "postcode_error": str(error)}
    seat = None
    if location and location.constituency_code:
        seat = Constituency.objects.current().filter(ons_code=location.constituency_code).first()
    if seat is None:
        return {
            "near": None,
            "postcode_error": "We could not place that postcode; try the group directory.",
        }
    groups = list(Group.objects.with_counts().filter(constituencies=seat).alphabetical()[:LIMIT])
    return {"near": groups, "near_seat": seat, "postcode_error": ""}
