"""Who may do what in priority mapping. Every view goes through one of these.

Participants are found by account when signed in, otherwise by this browser's session (one
round, one browser). Someone with no business in a round gets a 404, so that round ids cannot
be probed; an organiser of another group gets a 403 on organiser tools.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from groups.models import Group, Party
from groups.permissions import user_is_organiser, user_staff_party_ids
from priorities.models import Note, Participant, Round, RoundStatus, Statement

SESSION_KEY = "priorities_participants"


def session_participant_remember(request, participant: Participant) -> None:
    remembered = dict(request.session.get(SESSION_KEY, {}))
    remembered[str(participant.round_id)] = participant.pk
    request.session[SESSION_KEY] = remembered


def participant_for(request, round_: Round) -> Participant | None:
    """This browser's (or this account's) participant in `round_`, if any."""
    user = request.user
    if user.is_authenticated:
        found = Participant.objects.filter(round=round_, user=user).select_related("party").first()
        if found:
            return found
    participant_id = request.session.get(SESSION_KEY, {}).get(str(round_.pk))
    if participant_id is None:
        return None
    return (
        Participant.objects.filter(pk=participant_id, round=round_, user__isnull=True)
        .select_related("party")
        .first()
    )


def round_get_for_organiser(*, user, pk: int) -> Round:
    """The round, if `user` organises its group: 404 when there is none, 403 otherwise."""
    round_ = get_object_or_404(Round.objects.select_related("group"), pk=pk)
    if not user_is_organiser(user=user, group=round_.group):
        raise PermissionDenied("Only the organisers of this round's group can do that.")
    return round_


def round_get_for_participant(*, request, pk: int) -> tuple[Round, Participant | None, bool]:
    """(round, participant or None, is organiser) for someone taking part or organising;
    404 for everyone else."""
    round_ = get_object_or_404(Round.objects.select_related("group"), pk=pk)
    participant = participant_for(request, round_)
    is_organiser = user_is_organiser(user=request.user, group=round_.group)
    if participant is None and not is_organiser:
        raise Http404("No such round.")
    return round_, participant, is_organiser


def participant_get_for_round(*, request, pk: int) -> Participant:
    """The caller's own participant in round `pk` (to add notes and dots): 404 otherwise."""
    round_ = get_object_or_404(Round, pk=pk)
    participant = participant_for(request, round_)
    if participant is None:
        raise Http404("You are not taking part in this round.")
    participant.round = round_  # the same row: no second read
    return participant


def round_get_for_clustering(*, request, pk: int) -> tuple[Round, bool]:
    """(round, is organiser) for organisers and, when the round allows it, participants."""
    round_ = get_object_or_404(Round.objects.select_related("group"), pk=pk)
    if user_is_organiser(user=request.user, group=round_.group):
        return round_, True  # the board's polls: no need to look for a participant
    if participant_for(request, round_) is None:
        raise Http404("No such round.")
    if not round_.participants_may_cluster:
        raise PermissionDenied("Only the organisers arrange the notes in this round.")
    return round_, False


def round_get_for_results(*, request, pk: int) -> Round:
    """Results of a closed round are public; while open, only for those taking part."""
    round_ = get_object_or_404(Round.objects.select_related("group"), pk=pk)
    if round_.status == RoundStatus.CLOSED:
        return round_
    return round_get_for_participant(request=request, pk=pk)[0]


def note_get_for_organiser(*, user, round_: Round, pk) -> Note:
    """A note of `round_` (already checked as the user's to organise): 404 for others."""
    try:
        return Note.objects.get(pk=int(pk), round=round_)
    except (Note.DoesNotExist, TypeError, ValueError):
        raise Http404("No such note in this round.")


def statement_get(*, pk: int) -> Statement:
    """Statements are public."""
    return get_object_or_404(
        Statement.objects.select_related("round", "round__group", "round__event"), pk=pk
    )


def group_get_for_endorsing(*, user, slug: str) -> Group:
    """A group the user organises, to endorse for it: 404 if none, 403 if not theirs."""
    group = get_object_or_404(Group, slug=slug or "")
    if not user_is_organiser(user=user, group=group):
        raise PermissionDenied("Only a group's organisers can endorse for it.")
    return group


def party_get_for_endorsing(*, user, party_id) -> Party:
    """A party the user works for, to endorse for it: 404 if none, 403 if not theirs."""
    try:
        party = Party.objects.get(pk=int(party_id))
    except (Party.DoesNotExist, TypeError, ValueError):
        raise Http404("No such party.")
    if party.pk not in user_staff_party_ids(user):
        raise PermissionDenied("Only a party's staff can endorse for it.")
    return party
