"""Who may do what in conversations: one function per entity and action. Every view goes
through these. A private conversation someone may not see is a 404 (its existence is not
revealed); something they may see but not do is a 403."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from clashes.models import Clash, ClashStatus
from clashes.permissions import clash_get_for_viewer, clash_sides_show
from conversations.models import Conversation, Participant, ParticipantRole, Proposal, Visibility
from groups.models import Membership, Role


def user_can_open_conversations(user) -> bool:
    """Group organisers and party staff open conversations; members are invited."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return (
        Membership.objects.filter(user=user, role=Role.ORGANISER).exists()
        or user.party_staff_roles.exists()
    )


def conversation_opener_required(user) -> None:
    if not user_can_open_conversations(user):
        raise PermissionDenied("Group organisers and party staff open conversations.")


def conversation_get_for_viewer(*, user, pk: int) -> tuple[Conversation, Participant | None]:
    """A public conversation for anyone signed in; a private one for its current participants
    only (404 for everyone else). Returns the viewer's participation too (or None).

    A participant's row comes with its conversation in one query (most readers take part);
    only someone who does not take part costs a second query, for the conversation."""
    if user.is_authenticated:
        participant = (
            Participant.objects.current()
            .filter(conversation_id=pk, user=user)
            .select_related("conversation__constituency")
            .first()
        )
        if participant is not None:
            return participant.conversation, participant
    conversation = get_object_or_404(Conversation.objects.select_related("constituency"), pk=pk)
    if not (user.is_authenticated and conversation.visibility == Visibility.PUBLIC):
        raise Http404("No such conversation.")
    return conversation, None


def conversation_get_for_participant(*, user, pk: int) -> tuple[Conversation, Participant]:
    """Posting, email settings, leaving, proposing: current participants only."""
    conversation, participant = conversation_get_for_viewer(user=user, pk=pk)
    if participant is None:
        raise PermissionDenied("Only participants of this conversation can do that.")
    return conversation, participant


def conversation_get_for_organiser(*, user, pk: int) -> tuple[Conversation, Participant]:
    """Inviting and closing: the conversation's organisers (who opened it or were made so)."""
    conversation, participant = conversation_get_for_participant(user=user, pk=pk)
    if participant.role != ParticipantRole.ORGANISER:
        raise PermissionDenied("Only the organisers of this conversation can do that.")
    return conversation, participant


def proposal_get_for_viewer(*, user, pk: int) -> tuple[Proposal, Participant | None]:
    proposal = get_object_or_404(Proposal.objects.select_related("proposer"), pk=pk)
    conversation, participant = conversation_get_for_viewer(user=user, pk=proposal.conversation_id)
    proposal.conversation = conversation
    return proposal, participant


def proposal_get_for_answer(*, user, pk: int) -> Proposal:
    """Answering: current participants of the proposal's conversation."""
    proposal, participant = proposal_get_for_viewer(user=user, pk=pk)
    if participant is None:
        raise PermissionDenied("Only participants can answer this proposal.")
    return proposal


def poll_get_for_vote(*, user, pk: int) -> Proposal:
    """Voting in a poll (a time poll or a ranked-choice poll): current participants of its
    conversation (404 if it is not a poll, as for a proposal that does not exist)."""
    proposal = proposal_get_for_answer(user=user, pk=pk)
    if not (proposal.is_time_poll or proposal.is_ranked_poll):
        raise Http404("No such poll.")
    return proposal


def proposal_get_for_outcome(*, user, pk: int) -> Proposal:
    """Recording the outcome: the proposer, or an organiser of the conversation."""
    proposal, participant = proposal_get_for_viewer(user=user, pk=pk)
    if participant is None or not (
        proposal.proposer_id == user.pk or participant.role == ParticipantRole.ORGANISER
    ):
        raise PermissionDenied("Only the proposer records the outcome.")
    return proposal


def clash_get_for_opener(*, user, clash_id: int) -> Clash:
    """A clash someone may start a conversation about: whoever may see its clash page. Each side
    is set on `shown_a` / `shown_b` as that person may see it (another group's members-only
    event is only its group and time), so a pre-filled conversation leaks nothing. 404 for
    anyone else (or no such clash)."""
    if not user.is_authenticated:
        raise Http404("No such clash.")
    try:
        clash = clash_get_for_viewer(user=user, pk=clash_id)
    except PermissionDenied:
        raise Http404("No such clash.")
    clash_sides_show(user=user, clashes=[clash])
    return clash


def agreement_get_for_opener(*, user, pk: int):
    """An agreement's negotiation thread is opened by staff of a party in the agreement."""
    from seats.permissions import agreement_get_for_staff

    return agreement_get_for_staff(user=user, pk=pk)


def open_clash_count(*, group_ids) -> int:
    """Open clashes involving these groups."""
    if group_ids is None:
        return 0
    return (
        Clash.objects.filter(status=ClashStatus.OPEN)
        .filter(Q(event_a__group_id__in=group_ids) | Q(event_b__group_id__in=group_ids))
        .count()
    )
